//! Shared by the runtime tests: a staged `/cnab` tree in a temporary
//! directory, with a hand-written bundle.json and porter.yaml and the real
//! exec mixin precompiled as `wharf build` stages it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wharf::mixin::{BUILTIN_EXEC, HostConfig, MemorySink, MemorySinkData, MixinHost};
use wharf::runtime::{Layout, RunSummary, RuntimeError, run};
use wharf_test_support::scratch_dir;

/// The exec mixin, precompiled once per test binary.
pub fn exec_cwasm() -> &'static [u8] {
    static COMPILED: OnceLock<Vec<u8>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let host = MixinHost::new(HostConfig::default()).unwrap();
        host.precompile(
            "exec",
            wharf::digest::Digest::of(BUILTIN_EXEC),
            BUILTIN_EXEC,
        )
        .unwrap()
    })
}

/// A staged `/cnab` tree.
pub struct Staged {
    _dir: tempfile::TempDir,
    pub layout: Layout,
}

impl Staged {
    pub fn new(bundle: &BundleJson, manifest: &str) -> Self {
        let dir = scratch_dir();
        let layout = Layout::new(dir.path().join("cnab"));
        let mixins = layout.mixins_dir();
        std::fs::create_dir_all(&mixins).unwrap();
        std::fs::create_dir_all(layout.app_dir()).unwrap();
        std::fs::write(
            layout.bundle_json(),
            serde_json::to_vec_pretty(&bundle.0).unwrap(),
        )
        .unwrap();
        std::fs::write(layout.manifest(), manifest).unwrap();
        std::fs::write(mixins.join("exec.cwasm"), exec_cwasm()).unwrap();
        let index = json!([{
            "name": "exec",
            "version": "0.1.0",
            "digest": format!("sha256:{}", hex::encode(Sha256::digest(BUILTIN_EXEC))),
            "compiled": format!("sha256:{}", hex::encode(Sha256::digest(exec_cwasm()))),
            "programs": ["*"],
            "file": "exec.cwasm",
        }]);
        std::fs::write(mixins.join("index.json"), index.to_string()).unwrap();
        Self { _dir: dir, layout }
    }

    pub fn app(&self, path: &str) -> PathBuf {
        self.layout.app_dir().join(path)
    }

    pub fn output(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.layout.outputs_dir().join(name)).ok()
    }

    pub async fn run(&self, action: &str, vars: &[(&str, &str)]) -> Ran {
        let mut env = BTreeMap::from([
            ("CNAB_ACTION".to_string(), action.to_string()),
            ("CNAB_INSTALLATION_NAME".into(), "mysite".into()),
            ("CNAB_BUNDLE_NAME".into(), "rt".into()),
            ("CNAB_BUNDLE_VERSION".into(), "0.2.0".into()),
            ("CNAB_REVISION".into(), "01REV".into()),
            ("WHARF_INSTALLATION_NAMESPACE".into(), "dev".into()),
            ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
        ]);
        for (k, v) in vars {
            env.insert(k.to_string(), v.to_string());
        }
        let sink = MemorySink::default();
        let result = run(&self.layout, &env, Arc::new(sink.clone())).await;
        Ran {
            result,
            output: sink.snapshot(),
        }
    }
}

/// What a run returned and printed.
pub struct Ran {
    pub result: Result<RunSummary, RuntimeError>,
    pub output: MemorySinkData,
}

impl Ran {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    /// Everything that reached the sink.
    pub fn everything(&self) -> String {
        let logs: Vec<&str> = self.output.logs.iter().map(|(_, m)| m.as_str()).collect();
        format!(
            "{}{}{}",
            self.stdout(),
            String::from_utf8_lossy(&self.output.stderr),
            logs.join("\n")
        )
    }

    pub fn ok(&self) -> &RunSummary {
        match &self.result {
            Ok(summary) => summary,
            Err(e) => panic!("the run failed: {e}\n--- output:\n{}", self.everything()),
        }
    }

    pub fn err(&self) -> String {
        match &self.result {
            Ok(_) => panic!("the run should fail\n--- output:\n{}", self.everything()),
            Err(e) => e.to_string(),
        }
    }
}

/// bundle.json, shaped as `wharf build` writes it.
pub struct BundleJson(pub Value);

impl BundleJson {
    pub fn new() -> Self {
        let mut b = BundleJson(json!({
            "schemaVersion": "1.2.0",
            "name": "rt",
            "version": "0.2.0",
            "description": "Runtime test",
            "invocationImages": [{"imageType": "docker", "image": "localhost:5000/rt:v0.2.0"}],
            "parameters": {}, "credentials": {}, "outputs": {}, "definitions": {},
            "custom": {"acme": {"team": "blue"}},
        }));
        b = b.param(
            "wharf-debug",
            json!({"env": "WHARF_DEBUG"}),
            json!({"type": "boolean", "default": false}),
        );
        b = b.param(
            "wharf-state",
            json!({"path": "/cnab/state/wharf-state.tgz"}),
            json!({"type": "string", "contentEncoding": "base64"}),
        );
        b.0["outputs"]["wharf-state"] =
            json!({"definition": "wharf-state-parameter", "path": "/cnab/app/outputs/wharf-state"});
        b
    }

    pub fn param(mut self, name: &str, destination: Value, definition: Value) -> Self {
        let def = format!("{name}-parameter");
        self.0["definitions"][&def] = definition;
        self.0["parameters"][name] = json!({"definition": def, "destination": destination});
        self
    }

    pub fn param_for(
        mut self,
        name: &str,
        env: &str,
        definition: Value,
        apply_to: &[&str],
    ) -> Self {
        self = self.param(name, json!({"env": env}), definition);
        self.0["parameters"][name]["applyTo"] = json!(apply_to);
        self
    }

    pub fn cred(mut self, name: &str, location: Value) -> Self {
        self.0["credentials"][name] = location;
        self
    }

    pub fn output(mut self, name: &str, definition: Value, apply_to: &[&str]) -> Self {
        let def = format!("{name}-output");
        self.0["definitions"][&def] = definition;
        self.0["outputs"][name] =
            json!({"definition": def, "path": format!("/cnab/app/outputs/{name}")});
        if !apply_to.is_empty() {
            self.0["outputs"][name]["applyTo"] = json!(apply_to);
        }
        self
    }

    pub fn image(mut self, alias: &str, image: &str, digest: &str) -> Self {
        self.0["images"][alias] = json!({"imageType": "docker", "image": image, "contentDigest": digest, "description": ""});
        self
    }
}

pub const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// The regular files in a gzipped tar, sorted.
pub fn archive_files(path: &Path) -> Vec<String> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut names: Vec<String> = archive
        .entries()
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.header().entry_type().is_file())
        .map(|e| e.path().unwrap().display().to_string())
        .collect();
    names.sort();
    names
}
