//! Running a planned step: the commands through the host, the var file and
//! destination files inside the bundle through the working directory,
//! which (with the outputs directory) is the only place in the bundle
//! directory the host lets this mixin write. A `destinationFile` anywhere
//! else goes back in the step result, for the runtime to write.

use mixin_sdk::{Command, Error, FileWrite, Output, Result, StepResult, log};

use crate::config::RuntimeConfig;
use crate::step::{Plan, TerraformStep, in_dir, output_value, plan};

/// Runs `step` for `action` with the configured directories in `runtime`.
pub fn execute(action: &str, step: &TerraformStep, runtime: &RuntimeConfig) -> Result<StepResult> {
    let plan = plan(action, step, runtime).map_err(Error::new)?;

    log::info(format!("Initializing Terraform in {}", plan.dir));
    run(&plan.init).map_err(|e| e.context("could not init terraform"))?;
    if let Some(contents) = &plan.var_file {
        write_var_file(&plan, contents)?;
    }
    run(&plan.main)?;
    collect_outputs(&plan)
}

/// Runs one command, showing its command line first as Porter does (the
/// host masks any secret in it), and fails on a non-zero exit.
fn run(command: &Command) -> Result<()> {
    log::info(command.display());
    command.run()?.check()?;
    Ok(())
}

fn write_var_file(plan: &Plan, contents: &str) -> Result<()> {
    let path = plan.var_file_path();
    std::fs::write(&path, contents).map_err(|e| {
        Error::new(format!(
            "cannot write the terraform variables to {path}: {e}; \
             set disableVarFile to pass them only as -var flags"
        ))
    })?;
    log::debug(format!("wrote {path}"));
    Ok(())
}

/// Reads every output; a failure of one does not hide the others, as in
/// Porter, but fails the step with all the reasons.
fn collect_outputs(plan: &Plan) -> Result<StepResult> {
    let mut result = StepResult::default();
    let mut problems = Vec::new();
    for (spec, command) in &plan.outputs {
        let value = command
            .run()
            .map_err(|e| e.to_string())
            .and_then(|out| out.check().map_err(|e| e.message().to_string()))
            .and_then(|out| output_value(&spec.name, &out.stdout));
        let value = match value {
            Ok(value) => value,
            Err(problem) => {
                problems.push(format!("output {}: {problem}", spec.name));
                continue;
            }
        };
        match spec.destination_file.as_deref() {
            // Outside /cnab: the runtime writes it, where the step names it.
            Some(file) if file.starts_with('/') && !file.starts_with("/cnab/") => {
                result.files.push(FileWrite::new(file, value.clone()));
            }
            Some(file) => {
                if let Err(problem) = write_destination(&in_dir(&plan.dir, file), &value) {
                    problems.push(format!("output {}: {problem}", spec.name));
                }
            }
            None => {}
        }
        result.outputs.push(Output::new(spec.name.clone(), value));
    }
    if problems.is_empty() {
        Ok(result)
    } else {
        Err(Error::new(problems.join("; ")))
    }
}

fn write_destination(path: &str, value: &[u8]) -> std::result::Result<(), String> {
    if let Some(parent) = std::path::Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::write(path, value).map_err(|e| {
        format!(
            "cannot write {path}: {e}; the terraform mixin can write only in its working \
             directory and /cnab/app/outputs"
        )
    })
}
