//! One run of one action, from the CNAB environment to the outputs.
//!
//! The order is Porter's: read the inputs, unpack the state bag, then for
//! each step render its templates just in time (so a step sees the outputs
//! of the steps before it), print its description and hand it to its
//! mixin. Whatever happens in the steps, the outputs produced so far and
//! the state bag are written afterwards: a failed install that created
//! resources must still hand back the state that tracks them.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::cnab::Bundle;
use crate::cnab::contract::{
    DEPENDENCIES_DIR, STATE_NAME, dependency_output_env, output_parameter_name,
};
use crate::manifest::{Manifest, Step, work_dirs};
use crate::mixin::{ExecuteGrant, HostConfig, LogLevel, MixinHost, OutputSink};

use super::destination_files;
use super::error::{RuntimeError, StepRef};
use super::inputs::{Inputs, Invocation, read_inputs};
use super::layout::Layout;
use super::mask::{Masker, MaskingSink};
use super::mixins::Mixins;
use super::outputs::{write_file, write_outputs};
use super::render::render_node;
use super::state;
use super::variables::{Variables, text_of};

/// What a successful run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    /// The action that ran.
    pub action: String,
    /// How many steps ran.
    pub steps: usize,
    /// The bundle outputs written, by name.
    pub outputs: Vec<String>,
    /// The paths packed into the `wharf-state` output, if it was written.
    pub state: Option<Vec<String>>,
}

/// Runs the action `CNAB_ACTION` names, with the bundle in `layout` and
/// the environment `env`, streaming everything to `sink` with every secret
/// masked. Commands get `env` as their environment. Errors are masked too.
pub async fn run(
    layout: &Layout,
    env: &BTreeMap<String, String>,
    sink: Arc<dyn OutputSink>,
) -> Result<RunSummary, RuntimeError> {
    let masker = Masker::default();
    let sink = Arc::new(MaskingSink::new(sink, masker.clone()));
    let result = run_masked(layout, env, &sink).await;
    sink.flush();
    result.map_err(|e| e.masked(&masker))
}

async fn run_masked(
    layout: &Layout,
    env: &BTreeMap<String, String>,
    sink: &Arc<MaskingSink>,
) -> Result<RunSummary, RuntimeError> {
    let invocation = Invocation::from_env(env)?;
    let action = invocation.action.clone();
    let bundle = read_bundle(layout)?;
    let manifest = read_manifest(layout)?;
    let Some(steps) = manifest.steps(&action) else {
        let available: Vec<&str> = manifest.actions().into_iter().map(|(a, _)| a).collect();
        return Err(RuntimeError::UnknownAction {
            action,
            available: available.join(", "),
        });
    };
    let masker = sink.masker();
    let inputs = read_inputs(&bundle, &action, layout, env, masker)?;
    mask_passed_in_outputs(&bundle, &inputs, masker);
    let relocations = read_relocations(layout)?;
    let dependencies = read_dependency_bundles(layout)?;
    mask_dependency_outputs(&dependencies, env, masker);
    let variables = Variables::new(&bundle, &invocation, &inputs, env, &relocations)
        .with_dependencies(dependencies);
    let installation = invocation.installation.as_deref().unwrap_or_default();
    let installation = if invocation.namespace.is_empty() {
        installation.to_string()
    } else {
        format!("{}/{installation}", invocation.namespace)
    };
    sink.say(&format!(
        "executing {action} action from {} (installation: {installation})",
        bundle.name
    ));
    if let Some(archive) = &inputs.state_file {
        let files = state::unpack(archive, &layout.app_dir())?;
        debug(
            sink,
            &inputs,
            &format!("unpacked {files} state files from {}", archive.display()),
        );
    }
    let outputs_dir = layout.outputs_dir();
    std::fs::create_dir_all(&outputs_dir)
        .map_err(|e| RuntimeError::io("create", &outputs_dir, e))?;
    let host = MixinHost::new(HostConfig {
        cache_dir: None,
        sink: sink.clone(),
        ..HostConfig::default()
    })
    .map_err(|e| RuntimeError::Host(e.to_string()))?;
    let mixins = Mixins::open(host, &layout.mixins_dir())?;

    let mut run = Steps {
        layout,
        env,
        sink,
        action: &action,
        bundle: &bundle,
        manifest: &manifest,
        inputs: &inputs,
        variables,
        mixins,
        step_outputs: BTreeMap::new(),
    };
    let mut failure = None;
    let mut ran = 0;
    for (index, step) in steps.iter().enumerate() {
        match run.step(index, step).await {
            Ok(()) => ran += 1,
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let finished = finish(
        layout,
        &bundle,
        &manifest,
        &action,
        &run.step_outputs,
        sink,
        &inputs,
    );
    match (failure, finished) {
        (None, Ok((outputs, state))) => Ok(RunSummary {
            action,
            steps: ran,
            outputs,
            state,
        }),
        (None, Err(e)) => Err(e),
        (Some(failure), Ok(_)) => Err(failure),
        (Some(failure), Err(also)) => {
            sink.log("wharf", LogLevel::Error, &also.to_string());
            Err(failure)
        }
    }
}

/// The state of the step loop.
struct Steps<'a> {
    layout: &'a Layout,
    env: &'a BTreeMap<String, String>,
    sink: &'a Arc<MaskingSink>,
    action: &'a str,
    bundle: &'a Bundle,
    manifest: &'a Manifest,
    inputs: &'a Inputs,
    variables: Variables,
    mixins: Mixins,
    /// Every output a step produced so far, by name; later steps win.
    step_outputs: BTreeMap<String, Vec<u8>>,
}

impl Steps<'_> {
    async fn step(&mut self, index: usize, step: &Step) -> Result<(), RuntimeError> {
        let mut step_ref = StepRef {
            action: self.action.to_string(),
            number: index + 1,
            description: step.description.clone(),
        };
        let rendered = self.render(step, &step_ref)?;
        if let Some(description) = rendered.get("description").and_then(|d| d.as_str()) {
            step_ref.description = Some(description.to_string());
            self.sink.say(description);
        }
        debug(
            self.sink,
            self.inputs,
            &format!("{step_ref}: the {} mixin runs {rendered}", step.mixin),
        );
        let mixin = self.mixins.get(&step.mixin, &step_ref).await?;
        let declaration = self.manifest.mixin(&step.mixin);
        let config = declaration.and_then(|m| m.config.as_ref());
        // Exactly the granted variables that are set; nothing else.
        let guest_env: Vec<(String, String)> = declaration
            .into_iter()
            .flat_map(|m| m.grant.env_names())
            .filter_map(|name| Some((name.to_string(), self.env.get(name)?.clone())))
            .collect();
        if !guest_env.is_empty() {
            let names: Vec<&str> = guest_env.iter().map(|(k, _)| k.as_str()).collect();
            debug(
                self.sink,
                self.inputs,
                &format!(
                    "{step_ref}: the {} mixin is granted {}",
                    step.mixin,
                    names.join(", ")
                ),
            );
        }
        let app_dir = self.layout.app_dir();
        let mut writable: Vec<_> = work_dirs::for_step(&step.mixin, config, &rendered)
            .map_err(|message| RuntimeError::StepFailed {
                step: step_ref.clone(),
                message,
            })?
            .into_iter()
            .map(|dir| app_dir.join(dir))
            .collect();
        writable.push(self.layout.outputs_dir());
        let may_write = writable
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        debug(
            self.sink,
            self.inputs,
            &format!(
                "{step_ref}: the {} mixin may write in {may_write}",
                step.mixin
            ),
        );
        let grant = ExecuteGrant {
            bundle_dir: Some(app_dir),
            writable,
            env: self
                .env
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            guest_env,
        };
        let result = mixin.execute(self.action, &rendered, config, &grant).await;
        self.sink.flush();
        let result = result.map_err(|e| {
            let mut message = e.to_string();
            if looks_like_a_refused_write(&message) {
                message.push_str(&format!(
                    " (the {} mixin may write only in {may_write}; the rest of the bundle \
                     directory is read-only to it)",
                    step.mixin
                ));
            }
            RuntimeError::StepFailed {
                step: step_ref.clone(),
                message,
            }
        })?;
        let written =
            destination_files::write(self.layout, &rendered, &result.files).map_err(|message| {
                RuntimeError::StepFailed {
                    step: step_ref.clone(),
                    message,
                }
            })?;
        for file in written {
            self.sink.log(
                "wharf",
                LogLevel::Info,
                &format!(
                    "{step_ref}: the runtime wrote {} ({} bytes) for the {} mixin",
                    file.path.display(),
                    file.bytes,
                    step.mixin
                ),
            );
        }
        let outputs = result.outputs;
        for output in outputs {
            let text = String::from_utf8_lossy(&output.value).into_owned();
            if self.bundle.is_sensitive_output(&output.name) {
                self.sink.masker().add(&text);
            }
            self.variables.set_output(&output.name, &text);
            self.step_outputs.insert(output.name, output.value);
        }
        Ok(())
    }

    /// Renders the step's templates. A variable with no value stops the
    /// run here, before the step does anything.
    fn render(&self, step: &Step, step_ref: &StepRef) -> Result<serde_json::Value, RuntimeError> {
        let mut why_missing = None;
        let masker = self.sink.masker();
        let mut lookup = |reference: &str| match self.variables.resolve(reference) {
            Ok(resolved) => {
                if resolved.sensitive {
                    masker.add(&resolved.text);
                }
                Some(resolved.text)
            }
            Err(why) => {
                why_missing = Some(why);
                None
            }
        };
        let rendered = render_node(&step.body, self.manifest.template_syntax, &mut lookup);
        rendered.map_err(|message| RuntimeError::Template {
            step: step_ref.clone(),
            message: match why_missing.take() {
                Some(why) => format!("{message}: {why}"),
                None => message,
            },
        })
    }
}

/// Whether a mixin's error reads like a write the sandbox refused, so the
/// step's error can say where the mixin may write. Only a hint: the
/// refusal itself does not depend on it.
fn looks_like_a_refused_write(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    ["read-only", "not permitted", "permission denied"]
        .iter()
        .any(|sign| message.contains(sign))
}

/// Writes the outputs and, for an action that changes the installation,
/// the state bag.
fn finish(
    layout: &Layout,
    bundle: &Bundle,
    manifest: &Manifest,
    action: &str,
    step_outputs: &BTreeMap<String, Vec<u8>>,
    sink: &MaskingSink,
    inputs: &Inputs,
) -> Result<(Vec<String>, Option<Vec<String>>), RuntimeError> {
    let written = write_outputs(layout, bundle, manifest, action, step_outputs)?;
    for (name, source) in &written {
        debug(
            sink,
            inputs,
            &format!("wrote the output {name} (from {source:?})"),
        );
    }
    let outputs = written.into_iter().map(|(name, _)| name).collect();
    let modifies = bundle.action_modifies(action).unwrap_or(true);
    if !modifies || manifest.state.is_empty() {
        return Ok((outputs, None));
    }
    let (archive, packed) = state::pack(&manifest.state, layout)?;
    let destination = match bundle
        .outputs
        .get(STATE_NAME)
        .filter(|o| !o.path.is_empty())
    {
        Some(output) => layout.host_path(&output.path),
        None => layout.outputs_dir().join(STATE_NAME),
    };
    write_file(&destination, &archive).map_err(|message| RuntimeError::State { message })?;
    debug(
        sink,
        inputs,
        &format!("packed {} into the state bag", packed.join(", ")),
    );
    Ok((outputs, Some(packed)))
}

/// Outputs passed back in from an earlier run are as secret as when they
/// were made.
fn mask_passed_in_outputs(bundle: &Bundle, inputs: &Inputs, masker: &Masker) {
    for name in bundle
        .outputs
        .keys()
        .filter(|n| bundle.is_sensitive_output(n))
    {
        if let Some(value) = inputs.parameters.get(&output_parameter_name(name)) {
            masker.add(&text_of(value));
        }
    }
}

fn debug(sink: &MaskingSink, inputs: &Inputs, message: &str) {
    if inputs.debug {
        sink.log("wharf", LogLevel::Debug, message);
    }
}

fn read_bundle(layout: &Layout) -> Result<Bundle, RuntimeError> {
    let path = layout.bundle_json();
    let bytes = std::fs::read(&path).map_err(|e| RuntimeError::io("read", &path, e))?;
    Bundle::from_slice(&bytes).map_err(|source| RuntimeError::Bundle { path, source })
}

fn read_manifest(layout: &Layout) -> Result<Manifest, RuntimeError> {
    let path = layout.manifest();
    let text = std::fs::read_to_string(&path).map_err(|e| RuntimeError::io("read", &path, e))?;
    crate::manifest::parse(&text, &path)
        .map(|(manifest, _warnings)| manifest)
        .map_err(|e| RuntimeError::Manifest(e.to_string()))
}

/// The CNAB relocation mapping (original image → relocated image), if the
/// bundle was copied to another registry.
fn read_relocations(layout: &Layout) -> Result<BTreeMap<String, String>, RuntimeError> {
    let path = layout.relocation_mapping();
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            RuntimeError::io(
                "read the relocation mapping",
                &path,
                std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(RuntimeError::io("read", &path, e)),
    }
}

/// The bundles the host put at `/cnab/app/dependencies/<alias>/bundle.json`
/// for a run of a bundle with dependencies, by alias.
fn read_dependency_bundles(layout: &Layout) -> Result<BTreeMap<String, Bundle>, RuntimeError> {
    let dir = layout.host_path(DEPENDENCIES_DIR);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(RuntimeError::io("read", &dir, e)),
    };
    let mut bundles = BTreeMap::new();
    for entry in entries {
        let entry = entry.map_err(|e| RuntimeError::io("read", &dir, e))?;
        let path = entry.path().join("bundle.json");
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(RuntimeError::io("read", &path, e)),
        };
        let bundle = Bundle::from_slice(&bytes).map_err(|e| {
            RuntimeError::io(
                "read the dependency bundle",
                &path,
                std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
            )
        })?;
        bundles.insert(entry.file_name().to_string_lossy().into_owned(), bundle);
    }
    Ok(bundles)
}

/// Masks the values of the dependencies' sensitive outputs passed in.
fn mask_dependency_outputs(
    dependencies: &BTreeMap<String, Bundle>,
    env: &BTreeMap<String, String>,
    masker: &Masker,
) {
    for (alias, bundle) in dependencies {
        for name in bundle.outputs.keys() {
            if bundle.is_sensitive_output(name)
                && let Some(value) = env.get(&dependency_output_env(alias, name))
            {
                masker.add(value);
            }
        }
    }
}
