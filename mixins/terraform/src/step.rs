//! A terraform step in Porter's schema, and the exact commands it becomes.
//!
//! Every action starts with `terraform init` in the step's working directory
//! (with `-backend=true -backend-config=K=V... -reconfigure` when the step
//! has `backendConfig`), then:
//!
//! | action | command |
//! | --- | --- |
//! | install, upgrade | `terraform apply -auto-approve -input=false -var K=V...` |
//! | uninstall | `terraform destroy -auto-approve -input=false -var K=V...` |
//! | custom (`show`, `plan`, ...) | `terraform <action>` or `terraform <arguments>`, then `-var K=V...` |
//!
//! The step's own `flags` join these, every flag with one dash as terraform
//! wants, all sorted by name as Porter sorts them. Install (only install,
//! as in Porter) also writes the vars to `terraform.tfvars.json` in the
//! working directory unless `disableVarFile` is set: terraform reads that
//! file by itself, so with the file in the bundle's state an upgrade or
//! uninstall without `vars` still has the install's values. Each output is
//! then read with `terraform output -json NAME`.
//!
//! Unlike Porter, a `-var` value is passed as one argument as it is, rather
//! than quoted and split again, so values with spaces or quotes arrive whole.

use std::collections::BTreeMap;

use mixin_sdk::words::{split_all, split_words};
use mixin_sdk::{Command, Flags};
use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::RuntimeConfig;

/// The file install writes the vars to, in the working directory.
pub const VAR_FILE: &str = "terraform.tfvars.json";
/// The program the mixin runs, and the only one it declares.
pub const PROGRAM: &str = "terraform";

/// One `terraform:` step.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TerraformStep {
    /// What the step does.
    #[serde(default)]
    pub description: String,
    /// For a custom action: the terraform command and its arguments, used
    /// instead of the action's name. Ignored by install, upgrade and
    /// uninstall, as in Porter.
    #[serde(default, deserialize_with = "nullable")]
    pub arguments: Vec<String>,
    /// Extra flags for the main command, written with one dash.
    #[serde(default)]
    pub flags: Flags,
    /// Terraform input variables.
    #[serde(default, deserialize_with = "nullable")]
    pub vars: BTreeMap<String, Value>,
    /// Do not write `terraform.tfvars.json` on install.
    #[serde(default, rename = "disableVarFile")]
    pub disable_var_file: bool,
    /// `TF_LOG` for every terraform command of the step.
    #[serde(default, rename = "logLevel")]
    pub log_level: Option<String>,
    /// `-backend-config` values for `terraform init`.
    #[serde(default, rename = "backendConfig", deserialize_with = "nullable")]
    pub backend_config: BTreeMap<String, Value>,
    /// The terraform directory, relative to the bundle directory.
    #[serde(default, rename = "workingDir")]
    pub working_dir: Option<String>,
    /// Accepted for compatibility with older Porter bundles; terraform always
    /// runs with `-input=false` because a bundle has no terminal.
    #[serde(default)]
    pub input: Option<bool>,
    /// Terraform outputs to collect as step outputs.
    #[serde(default, deserialize_with = "nullable")]
    pub outputs: Vec<OutputSpec>,
}

/// One entry of a step's `outputs`: a terraform output, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// The terraform output's name, which is also the step output's name.
    #[serde(default)]
    pub name: String,
    /// A file to write the value to as well, relative to the working
    /// directory, so later steps can use it.
    #[serde(
        default,
        rename = "destinationFile",
        skip_serializing_if = "Option::is_none"
    )]
    pub destination_file: Option<String>,
}

/// What one step does, before anything runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The working directory, relative to the bundle directory (`.` for
    /// the bundle directory itself).
    pub dir: String,
    /// `terraform init ...`.
    pub init: Command,
    /// The contents of `terraform.tfvars.json`, when this step writes it.
    pub var_file: Option<String>,
    /// The action's command.
    pub main: Command,
    /// `terraform output -json NAME` for each output, with its spec.
    pub outputs: Vec<(OutputSpec, Command)>,
}

impl Plan {
    /// Where the var file goes, relative to the bundle directory.
    pub fn var_file_path(&self) -> String {
        in_dir(&self.dir, VAR_FILE)
    }
}

/// `file` inside the working directory `dir`.
pub fn in_dir(dir: &str, file: &str) -> String {
    if dir == "." || file.starts_with('/') {
        file.to_string()
    } else {
        format!("{dir}/{file}")
    }
}

/// The commands `step` runs for `action`.
pub fn plan(action: &str, step: &TerraformStep, runtime: &RuntimeConfig) -> Result<Plan, String> {
    let dir = runtime.working_dir(step.working_dir.as_deref())?;
    let env = environment(step);
    let command = |args: Vec<String>| {
        let mut cmd = Command::new(PROGRAM).args(args).envs(env.clone());
        if dir != "." {
            cmd = cmd.dir(dir.clone());
        }
        cmd
    };

    let mut init = vec!["init".to_string()];
    if !step.backend_config.is_empty() {
        init.push("-backend=true".into());
        for (key, value) in &step.backend_config {
            init.push(format!("-backend-config={key}={}", value_text(value)));
        }
        init.push("-reconfigure".into());
    }

    let mut extra = Vec::new();
    let subcommand = match action {
        "install" | "upgrade" => vec!["apply".to_string()],
        "uninstall" => vec!["destroy".to_string()],
        custom if step.arguments.is_empty() => vec![custom.to_string()],
        _ => split_all(&step.arguments),
    };
    if matches!(action, "install" | "upgrade" | "uninstall") {
        extra.push(("auto-approve".to_string(), None));
        extra.push(("input=false".to_string(), None));
    }
    for (key, value) in &step.vars {
        extra.push((
            "var".to_string(),
            Some(format!("{key}={}", value_text(value))),
        ));
    }
    let mut main = subcommand;
    main.extend(flag_args(&step.flags, extra));

    let var_file = (action == "install" && !step.disable_var_file).then(|| {
        let vars: BTreeMap<&String, Value> =
            step.vars.iter().map(|(k, v)| (k, canonical(v))).collect();
        serde_json::to_string(&vars).unwrap_or_else(|_| "{}".into())
    });

    let outputs = step
        .outputs
        .iter()
        .map(|spec| {
            let cmd = command(vec!["output".into(), "-json".into(), spec.name.clone()])
                .stream_output(false);
            (spec.clone(), cmd)
        })
        .collect();

    Ok(Plan {
        init: command(init),
        main: command(main),
        var_file,
        outputs,
        dir,
    })
}

/// The variables every terraform command of the step gets: `TF_LOG` from
/// `logLevel` (as Porter sets it), and `CHECKPOINT_DISABLE` so terraform
/// does not try to reach HashiCorp's update service from an air-gapped
/// installer.
fn environment(step: &TerraformStep) -> Vec<(String, String)> {
    let mut env = vec![("CHECKPOINT_DISABLE".to_string(), "1".to_string())];
    if let Some(level) = step.log_level.as_deref().filter(|l| !l.is_empty()) {
        env.push(("TF_LOG".into(), level.into()));
    }
    env
}

/// The step's flags and the mixin's, sorted by name, each with one dash.
/// The author's values are split into words as Porter splits them; the
/// mixin's own (`extra`, `None` for a bare flag) are passed whole. A bare
/// flag the author also gave is not repeated.
fn flag_args(user: &Flags, extra: Vec<(String, Option<String>)>) -> Vec<String> {
    let mut flags: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    for flag in user.iter() {
        let occurrences = flags.entry(flag.name).or_default();
        if flag.values.is_empty() {
            occurrences.push(Vec::new());
        }
        for value in &flag.values {
            occurrences.push(split_words(value));
        }
    }
    for (name, value) in extra {
        let occurrences = flags.entry(name).or_default();
        match value {
            Some(value) => occurrences.push(vec![value]),
            None if occurrences.iter().any(Vec::is_empty) => {}
            None => occurrences.push(Vec::new()),
        }
    }
    let mut args = Vec::new();
    for (name, occurrences) in flags {
        for words in occurrences {
            args.push(format!("-{name}"));
            args.extend(words);
        }
    }
    args
}

/// A value as terraform reads it on the command line (Porter's rule):
/// strings bare, numbers and booleans as written, lists and maps as compact
/// JSON with sorted keys, null as nothing.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(_) | Value::Number(_) => value.to_string(),
        Value::Array(_) | Value::Object(_) => canonical(value).to_string(),
    }
}

/// `value` with every map's keys sorted, as Go's encoder writes maps, so the
/// var file and outputs come out byte for byte as Porter writes them.
pub fn canonical(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        Value::Object(map) => {
            let sorted: BTreeMap<&String, Value> =
                map.iter().map(|(k, v)| (k, canonical(v))).collect();
            Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        other => other.clone(),
    }
}

/// An output's value from `terraform output -json NAME`: a string bare, as
/// `-raw` would print it, anything else as compact JSON (Porter's rule).
pub fn output_value(name: &str, stdout: &[u8]) -> Result<Vec<u8>, String> {
    let value: Value = serde_json::from_slice(stdout).map_err(|e| {
        format!("`terraform output -json {name}` did not print JSON ({e}); is `{name}` declared as an output in the terraform files?")
    })?;
    Ok(match value {
        Value::String(s) => s.into_bytes(),
        other => canonical(&other).to_string().into_bytes(),
    })
}

/// `null` means the default: YAML writes an empty `vars:` as null.
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn step(value: Value) -> TerraformStep {
        serde_json::from_value(value).unwrap()
    }

    fn line(cmd: &Command) -> String {
        cmd.display()
    }

    fn planned(action: &str, value: Value) -> Plan {
        plan(action, &step(value), &RuntimeConfig::default()).unwrap()
    }

    #[test]
    fn install_inits_with_backend_config_then_applies_with_vars_and_writes_the_var_file() {
        let plan = planned(
            "install",
            json!({
                "description": "Install MySQL",
                "backendConfig": {"key": "my.tfstate"},
                "vars": {"myvar": "foo"},
                "logLevel": "TRACE",
                "outputs": [{"name": "vault_uri"}]
            }),
        );
        assert_eq!(
            line(&plan.init),
            "terraform init -backend=true -backend-config=key=my.tfstate -reconfigure"
        );
        assert_eq!(
            line(&plan.main),
            "terraform apply -auto-approve -input=false -var myvar=foo"
        );
        assert_eq!(plan.main.get_dir(), Some("terraform"));
        assert_eq!(
            plan.main.get_env(),
            [
                ("CHECKPOINT_DISABLE".to_string(), "1".to_string()),
                ("TF_LOG".to_string(), "TRACE".to_string())
            ]
        );
        assert_eq!(plan.var_file.as_deref(), Some(r#"{"myvar":"foo"}"#));
        assert_eq!(plan.var_file_path(), "terraform/terraform.tfvars.json");
        let (spec, output) = &plan.outputs[0];
        assert_eq!(spec.name, "vault_uri");
        assert_eq!(line(output), "terraform output -json vault_uri");
        assert_eq!(output.get_dir(), Some("terraform"));
    }

    #[test]
    fn install_without_vars_writes_an_empty_var_file_and_no_var_flags() {
        let plan = planned("install", json!({"description": "x", "vars": null}));
        assert_eq!(line(&plan.init), "terraform init");
        assert_eq!(
            line(&plan.main),
            "terraform apply -auto-approve -input=false"
        );
        assert_eq!(plan.var_file.as_deref(), Some("{}"));
    }

    #[test]
    fn disable_var_file_keeps_the_flags_and_drops_the_file() {
        let plan = planned(
            "install",
            json!({"description": "x", "disableVarFile": true, "vars": {"a": 1}}),
        );
        assert_eq!(plan.var_file, None);
        assert_eq!(
            line(&plan.main),
            "terraform apply -auto-approve -input=false -var a=1"
        );
    }

    #[test]
    fn upgrade_applies_without_writing_the_var_file() {
        let plan = planned(
            "upgrade",
            json!({"description": "x", "vars": {"name": "new value"}}),
        );
        assert_eq!(plan.var_file, None);
        assert_eq!(
            plan.main.get_args(),
            [
                "apply",
                "-auto-approve",
                "-input=false",
                "-var",
                "name=new value"
            ]
        );
    }

    #[test]
    fn uninstall_destroys() {
        let plan = planned(
            "uninstall",
            json!({"description": "x", "arguments": ["ignored"]}),
        );
        assert_eq!(
            line(&plan.main),
            "terraform destroy -auto-approve -input=false"
        );
        assert_eq!(plan.var_file, None);
    }

    #[test]
    fn custom_actions_run_their_name_or_their_arguments() {
        let show = planned("show", json!({"description": "x"}));
        assert_eq!(line(&show.main), "terraform show");
        let plan_action = planned(
            "plan",
            json!({"description": "x", "vars": {"n": true}, "flags": {"out": "tfplan", "no-color": null}}),
        );
        assert_eq!(
            line(&plan_action.main),
            "terraform plan -no-color -out tfplan -var n=true"
        );
        let version = planned(
            "printVersion",
            json!({"description": "x", "arguments": ["version", "state list"]}),
        );
        assert_eq!(line(&version.main), "terraform version state list");
        assert_eq!(show.var_file, None);
    }

    #[test]
    fn author_flags_merge_sorted_with_one_dash_and_bare_flags_are_not_repeated() {
        let plan = planned(
            "install",
            json!({"description": "x", "flags": {"auto-approve": null, "parallelism": 2, "target": ["a.b", "c.d"]}}),
        );
        assert_eq!(
            line(&plan.main),
            "terraform apply -auto-approve -input=false -parallelism 2 -target a.b -target c.d"
        );
    }

    #[test]
    fn complex_vars_are_compact_json_with_sorted_keys_like_porter() {
        let plan = planned(
            "install",
            json!({"description": "x", "vars": {
                "string": "mystring", "bool": true, "int": 22, "number": 1.5,
                "list": ["a", "b"], "doc": {"z": 1, "a": {"y": [1, 2], "b": null}}
            }}),
        );
        assert_eq!(
            plan.main.get_args()[3..],
            [
                "-var",
                "bool=true",
                "-var",
                r#"doc={"a":{"b":null,"y":[1,2]},"z":1}"#,
                "-var",
                "int=22",
                "-var",
                r#"list=["a","b"]"#,
                "-var",
                "number=1.5",
                "-var",
                "string=mystring"
            ]
        );
        assert_eq!(
            plan.var_file.as_deref(),
            Some(
                r#"{"bool":true,"doc":{"a":{"b":null,"y":[1,2]},"z":1},"int":22,"list":["a","b"],"number":1.5,"string":"mystring"}"#
            )
        );
    }

    #[test]
    fn the_working_dir_comes_from_the_step_then_the_config() {
        let runtime = RuntimeConfig {
            working_dir: Some("infra".into()),
            ..Default::default()
        };
        let from_config = plan("install", &step(json!({"description": "x"})), &runtime).unwrap();
        assert_eq!(from_config.main.get_dir(), Some("infra"));
        let from_step = plan(
            "install",
            &step(json!({"description": "x", "workingDir": "./other/"})),
            &runtime,
        )
        .unwrap();
        assert_eq!(from_step.main.get_dir(), Some("other"));
        assert_eq!(from_step.var_file_path(), "other/terraform.tfvars.json");
        let bundle_root = planned("install", json!({"description": "x", "workingDir": "."}));
        assert_eq!(bundle_root.main.get_dir(), None);
        assert_eq!(bundle_root.var_file_path(), "terraform.tfvars.json");
    }

    #[test]
    fn outputs_are_strings_bare_and_the_rest_compact_json() {
        assert_eq!(output_value("s", b"\"a <b>\"\n").unwrap(), b"a <b>");
        assert_eq!(output_value("n", b"42\n").unwrap(), b"42");
        assert_eq!(
            output_value("m", b"{\n  \"z\": [1],\n  \"a\": \"&\"\n}\n").unwrap(),
            br#"{"a":"&","z":[1]}"#
        );
        assert!(output_value("x", b"").unwrap_err().contains("declared"));
    }

    #[test]
    fn unknown_fields_and_nameless_outputs() {
        let err = serde_json::from_value::<TerraformStep>(json!({"description": "x", "var": {}}))
            .unwrap_err();
        assert!(err.to_string().contains("`var`"), "{err}");
        let nameless = step(json!({"description": "x", "outputs": [{}]}));
        assert_eq!(nameless.outputs[0].name, "");
        let err = serde_json::from_value::<TerraformStep>(json!({"vars": "a=b"})).unwrap_err();
        assert!(err.to_string().contains("map"), "{err}");
    }
}
