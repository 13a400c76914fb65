//! The contract between a bundle.json Wharf writes and the code that reads
//! it: the operator's side (`operation`), the driver, and the in-image
//! runtime.
//!
//! `wharf build` writes these names into bundle.json and the image; an
//! install run by another Wharf version, or by another CNAB runtime, reads
//! them back. They are part of a published bundle's format, so each is
//! defined once, here, and every writer and reader takes it from here.

/// The CNAB root inside an invocation image.
pub const CNAB_ROOT: &str = "/cnab";
/// The bundle directory (and working directory) in the invocation image.
pub const BUNDLE_DIR: &str = "/cnab/app";
/// Where outputs are written in the invocation image, and copied out from.
pub const OUTPUTS_DIR: &str = "/cnab/app/outputs";
/// bundle.json in the invocation image: root's and read-only.
pub const BUNDLE_JSON: &str = "/cnab/bundle.json";
/// Wharf's own files in the invocation image, outside the bundle directory:
/// owned by root and read-only, so nothing the bundle runs (as 65532:0) can
/// change them.
pub const WHARF_DIR: &str = "/cnab/wharf";
/// The precompiled mixins and their index, under [`WHARF_DIR`].
pub const MIXINS_DIR: &str = "/cnab/wharf/mixins";
/// The mixin index's file name in [`MIXINS_DIR`]: each mixin's name,
/// version, programs, component digest, and the digest of its precompiled
/// file, which the runtime checks before it loads the file.
pub const MIXIN_INDEX: &str = "index.json";

/// The prefix of Wharf's internal parameters and outputs, as Porter's are
/// prefixed `porter-`.
pub const INTERNAL_PREFIX: &str = "wharf-";
/// Marks Wharf's internal definitions, as Porter's `porter-internal` does.
pub const INTERNAL_COMMENT: &str = "wharf-internal";
/// The internal parameter and output carrying the state bag.
pub const STATE_NAME: &str = "wharf-state";
/// The directory the state bag parameter is written to.
pub const STATE_DIR: &str = "/cnab/state";
/// Where the state bag parameter is written in the invocation image.
pub const STATE_PATH: &str = "/cnab/state/wharf-state.tgz";
/// The internal parameter that turns on the runtime's debug output.
pub const DEBUG_NAME: &str = "wharf-debug";

/// Wharf's stamp: the manifest, its digest and the pinned mixins.
pub const STAMP_EXTENSION: &str = "sh.wharf";
/// The extension of bundles that drive the host's Docker (`required: docker`).
pub const DOCKER_EXTENSION: &str = "io.cnab.docker";
/// Where parameters fed from outputs (and dependencies) name their source.
pub const PARAMETER_SOURCES_EXTENSION: &str = "io.cnab.parameter-sources";
/// The bundles a bundle depends on (dependencies v1).
pub const DEPENDENCIES_EXTENSION: &str = "io.cnab.dependencies";
/// Porter's dependencies v2: requirements with sharing and wiring.
pub const DEPENDENCIES_V2_EXTENSION: &str = "org.getporter.dependencies@v2";
/// Where a root bundle's run finds each dependency's bundle.json:
/// `/cnab/app/dependencies/<alias>/bundle.json`, as Porter puts it.
pub const DEPENDENCIES_DIR: &str = "/cnab/app/dependencies";
/// Porter's marker for parameters of type `file`.
pub const FILE_PARAMETERS_EXTENSION: &str = "sh.porter.file-parameters";

/// The internal parameter that carries a bundle output into later actions:
/// `wharf-<output>-output`.
pub fn output_parameter_name(output: &str) -> String {
    format!("{INTERNAL_PREFIX}{output}-output")
}

/// The internal parameter that carries the output `output` of the
/// dependency `alias` into a run of the root bundle:
/// `wharf-<alias>-<output>-dep-output`, as Porter's is
/// `porter-<alias>-<output>-dep-output`.
pub fn dependency_output_parameter(alias: &str, output: &str) -> String {
    format!("{INTERNAL_PREFIX}{alias}-{output}-dep-output")
}

/// The environment variable that parameter arrives in, which the runtime
/// reads for `bundle.dependencies.<alias>.outputs.<output>`.
pub fn dependency_output_env(alias: &str, output: &str) -> String {
    format!(
        "WHARF_DEP_{}_{}",
        crate::manifest::upper_snake(alias),
        crate::manifest::upper_snake(output)
    )
}

/// The output an internal `wharf-<output>-output` parameter carries.
pub fn output_of_parameter(parameter: &str) -> Option<&str> {
    parameter
        .strip_prefix(INTERNAL_PREFIX)?
        .strip_suffix("-output")
        .filter(|output| !output.is_empty())
}

/// Whether `name` is an internal parameter or output, Wharf's or Porter's,
/// which a person never sets and `explain` does not list.
pub fn is_internal(name: &str) -> bool {
    name.starts_with(INTERNAL_PREFIX) || name.starts_with("porter-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_parameters_round_trip() {
        let name = output_parameter_name("kubeconfig");
        assert_eq!(name, "wharf-kubeconfig-output");
        assert_eq!(output_of_parameter(&name), Some("kubeconfig"));
        assert_eq!(output_of_parameter("wharf--output"), None);
        assert_eq!(output_of_parameter("kubeconfig-output"), None);
        assert_eq!(output_of_parameter(STATE_NAME), None);
    }

    #[test]
    fn paths_nest_as_the_image_lays_them_out() {
        assert_eq!(BUNDLE_DIR, format!("{CNAB_ROOT}/app"));
        assert_eq!(OUTPUTS_DIR, format!("{BUNDLE_DIR}/outputs"));
        assert!(STATE_PATH.starts_with(&format!("{STATE_DIR}/")));
        assert_eq!(BUNDLE_JSON, format!("{CNAB_ROOT}/bundle.json"));
        assert_eq!(MIXINS_DIR, format!("{WHARF_DIR}/mixins"));
        assert!(WHARF_DIR.starts_with(CNAB_ROOT) && !WHARF_DIR.starts_with(BUNDLE_DIR));
        assert!(STATE_NAME.starts_with(INTERNAL_PREFIX) && is_internal(DEBUG_NAME));
    }
}
