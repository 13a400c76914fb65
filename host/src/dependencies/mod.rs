//! Bundles that require other bundles: Porter's dependencies v1 and v2.
//!
//! A bundle.json names what its bundle requires ([`requirement`]); before
//! anything runs, each requirement is resolved to a version and pulled,
//! all the way down ([`graph`]), so a missing version, a cycle or a tree
//! that is too deep costs nothing. Then [`chain`] runs each dependency as
//! its own installation, `<parent>-<alias>` (or `<group>-<alias>` when it
//! is shared), before the root for install, upgrade and custom actions,
//! and after it, in reverse, for uninstall. Values travel through
//! [`wiring`]: a parent's parameters, credentials and sibling outputs into
//! a dependency, a dependency's outputs back into the root's run.

#[cfg(feature = "cli")]
pub mod chain;
#[cfg(feature = "cli")]
mod decide;
#[cfg(feature = "cli")]
pub mod graph;
pub mod requirement;
#[cfg(feature = "cli")]
pub mod rules;
pub mod version;
#[cfg(feature = "cli")]
pub mod wiring;

#[cfg(feature = "cli")]
pub use chain::{Chain, ChainOutcome, DependencyStep};
#[cfg(feature = "cli")]
pub use decide::dependencies_of;
#[cfg(feature = "cli")]
pub use graph::{MAX_DEPTH, ResolvedDependency, Resolver};
pub use requirement::{Requirement, aliases, requirements_of};
pub use version::VersionStrategy;

/// The label on a dependency's installation naming the installation that
/// first required it, as Porter labels it.
pub const PARENT_LABEL: &str = "sh.porter.parentInstallation";
/// The label on a shared dependency's installation naming its group.
pub const SHARING_GROUP_LABEL: &str = "sh.porter.sharingGroup";
/// The prefix of the labels on a parent's installation, one per
/// dependency: `sh.wharf.dependency.<alias>=<installation name>`. A shared
/// dependency is kept while another installed parent has such a label.
pub const DEPENDENCY_LABEL_PREFIX: &str = "sh.wharf.dependency.";

/// Why a bundle's dependencies cannot run.
#[derive(Debug, thiserror::Error)]
pub enum DependencyError {
    #[error(
        "the dependencies of the bundle {bundle} cannot be read: {why}; rebuild it with `wharf build`"
    )]
    BadExtension { bundle: String, why: String },
    #[error("the dependency {alias} ({reference}) cannot be pulled: {why}")]
    Pull {
        alias: String,
        reference: String,
        why: String,
    },
    #[error(
        "no version of the dependency {alias} of {parent} fits: {reference} has the tags [{tags}], \
         the range is {ranges:?} and the version strategy {strategy}; publish a version in range, \
         or change `dependencies.requires` in porter.yaml"
    )]
    NoVersion {
        parent: String,
        alias: String,
        reference: String,
        ranges: String,
        strategy: VersionStrategy,
        tags: String,
    },
    #[error(
        "the dependencies form a cycle: {chain}; a bundle cannot require itself, directly or \
         through another bundle"
    )]
    Cycle { chain: String },
    #[error(
        "the dependencies nest deeper than {limit} levels ({chain}); flatten them, or raise the \
         limit with --max-dependency-depth"
    )]
    TooDeep { chain: String, limit: usize },
    #[error(
        "the dependency {alias} resolved to {bundle}, which does not offer its interface: it lacks \
         {missing}"
    )]
    Interface {
        alias: String,
        bundle: String,
        missing: String,
    },
    #[error("the dependency {alias}: {why}")]
    Wiring { alias: String, why: String },
}
