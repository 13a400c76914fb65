//! Which version of a dependency to use: its tags, its ranges and the
//! operator's `--dependencies-version-strategy`.
//!
//! Porter writes ranges in Masterminds' syntax (`>=0.1.0 <1.0.0`, `1.x`,
//! `^1.2 || ~2.0`, `1.0 - 2.0`, a bare version meaning exactly it); they
//! are translated to Cargo's comparator syntax, which the semver crate
//! reads, keeping Masterminds' meaning.

use std::fmt;
use std::str::FromStr;

use semver::{Version, VersionReq};

/// How a version is chosen among the tags a requirement allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VersionStrategy {
    /// Porter's default: the highest version in range, or the referenced
    /// tag itself when there is no range.
    #[default]
    Default,
    /// The referenced tag exactly (with a range: the lowest in range when
    /// no tag is referenced).
    Exact,
    /// The highest patch of the referenced (or lowest allowed) version.
    MaxPatch,
    /// The highest minor of the referenced (or lowest allowed) version.
    MaxMinor,
    /// The lowest version allowed.
    Min,
}

impl FromStr for VersionStrategy {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "exact" => Ok(Self::Exact),
            "max-patch" => Ok(Self::MaxPatch),
            "max-minor" => Ok(Self::MaxMinor),
            "min" => Ok(Self::Min),
            other => Err(format!(
                "unknown dependency version strategy {other:?}; use exact, max-patch, max-minor \
                 or min"
            )),
        }
    }
}

impl fmt::Display for VersionStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Default => "default",
            Self::Exact => "exact",
            Self::MaxPatch => "max-patch",
            Self::MaxMinor => "max-minor",
            Self::Min => "min",
        })
    }
}

/// Translates Masterminds ranges into one requirement per `||` branch.
pub fn parse_ranges(ranges: &[String]) -> Result<Vec<VersionReq>, String> {
    let mut reqs = Vec::new();
    for range in ranges {
        for branch in range.split("||") {
            let cargo = cargo_syntax(branch.trim());
            let req = VersionReq::parse(&cargo)
                .map_err(|e| format!("the version range {range:?} is not a semver range ({e})"))?;
            reqs.push(req);
        }
    }
    Ok(reqs)
}

/// One Masterminds branch (comparators and hyphen ranges, all of which
/// must hold, joined by commas or spaces) in Cargo's syntax.
fn cargo_syntax(branch: &str) -> String {
    let mut comparators: Vec<String> = Vec::new();
    for part in branch.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if let Some((low, high)) = part.split_once(" - ") {
            comparators.push(format!(">={}", partial(low.trim())));
            comparators.push(format!("<={}", partial(high.trim())));
            continue;
        }
        let mut pending_operator = String::new();
        for token in part.split(' ').filter(|t| !t.is_empty()) {
            if token.chars().all(|c| "<>=~^!".contains(c)) {
                pending_operator.push_str(token);
                continue;
            }
            let token = format!("{pending_operator}{token}");
            pending_operator.clear();
            let split = token
                .find(|c: char| !"<>=~^".contains(c))
                .unwrap_or(token.len());
            let (operator, version) = token.split_at(split);
            let version = version.trim_start_matches('v');
            comparators.push(match operator {
                // Masterminds reads a bare version as that version exactly,
                // and a bare wildcard as any version it covers.
                "" if is_wildcard(version) => wildcard(version),
                "" => format!("={version}"),
                _ => format!("{operator}{}", partial(version)),
            });
        }
    }
    if comparators.is_empty() {
        "*".to_string()
    } else {
        comparators.join(", ")
    }
}

fn is_wildcard(version: &str) -> bool {
    version
        .split('.')
        .any(|part| matches!(part, "x" | "X" | "*"))
}

/// `1.x` → `1.*`.
fn wildcard(version: &str) -> String {
    version
        .split('.')
        .map(|part| {
            if part == "x" || part == "X" {
                "*"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// A version cut at its first wildcard (`3.x` → `3`), which Cargo's
/// operators read as Masterminds' do.
fn partial(version: &str) -> String {
    let version = version.trim_start_matches('v');
    version
        .split('.')
        .take_while(|part| !matches!(*part, "x" | "X" | "*"))
        .collect::<Vec<_>>()
        .join(".")
}

/// A tag read as a version (`v1.2.3` or `1.2.3`).
pub fn tag_version(tag: &str) -> Option<Version> {
    Version::parse(tag.strip_prefix('v').unwrap_or(tag)).ok()
}

/// Whether `version` is allowed by any of `reqs` (all when none).
fn allowed(version: &Version, reqs: &[VersionReq], prereleases: bool) -> bool {
    if !version.pre.is_empty() && !prereleases {
        return false;
    }
    if reqs.is_empty() {
        return true;
    }
    let release = Version::new(version.major, version.minor, version.patch);
    reqs.iter()
        .any(|r| r.matches(version) || (prereleases && r.matches(&release)))
}

/// Chooses a tag of `tags`. `referenced` is the tag the reference names, if
/// any. `None` when no tag fits.
pub fn choose_tag<'t>(
    tags: &'t [String],
    reqs: &[VersionReq],
    prereleases: bool,
    referenced: Option<&str>,
    strategy: VersionStrategy,
) -> Option<&'t str> {
    let mut candidates: Vec<(Version, &str)> = tags
        .iter()
        .filter_map(|t| Some((tag_version(t)?, t.as_str())))
        .filter(|(v, _)| allowed(v, reqs, prereleases))
        .collect();
    candidates.sort_by(|a, b| a.0.cmp(&b.0));
    let base = referenced
        .and_then(tag_version)
        .or_else(|| candidates.first().map(|(v, _)| v.clone()))?;
    let pick = |keep: &dyn Fn(&Version) -> bool| {
        candidates
            .iter()
            .rev()
            .find(|(v, _)| keep(v) && *v >= base)
            .map(|(_, t)| *t)
    };
    match strategy {
        VersionStrategy::Default => candidates.last().map(|(_, t)| *t),
        VersionStrategy::Min => candidates.first().map(|(_, t)| *t),
        VersionStrategy::Exact => candidates.iter().find(|(v, _)| *v == base).map(|(_, t)| *t),
        VersionStrategy::MaxPatch => {
            pick(&|v: &Version| v.major == base.major && v.minor == base.minor)
        }
        VersionStrategy::MaxMinor => pick(&|v: &Version| v.major == base.major),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags() -> Vec<String> {
        [
            "latest",
            "v0.1.0",
            "v0.1.3",
            "v0.2.0",
            "v0.3.0-beta.1",
            "v1.0.0",
            "v1.4.2",
        ]
        .map(String::from)
        .to_vec()
    }

    fn choose(ranges: &[&str], pre: bool, referenced: Option<&str>, s: VersionStrategy) -> String {
        let ranges: Vec<String> = ranges.iter().map(|r| r.to_string()).collect();
        let reqs = parse_ranges(&ranges).unwrap();
        let tags = tags();
        choose_tag(&tags, &reqs, pre, referenced, s)
            .unwrap_or("none")
            .to_string()
    }

    #[test]
    fn masterminds_ranges_keep_their_meaning() {
        use VersionStrategy::Default as D;
        assert_eq!(choose(&[">=0.1.0 <1.0.0"], false, None, D), "v0.2.0");
        assert_eq!(choose(&[">= 0.1.0, < 1.0.0"], false, None, D), "v0.2.0");
        assert_eq!(choose(&["0.1.x"], false, None, D), "v0.1.3");
        assert_eq!(
            choose(&["0.1.0"], false, None, D),
            "v0.1.0",
            "bare means exact"
        );
        assert_eq!(choose(&["^1.0 || 0.1.x"], false, None, D), "v1.4.2");
        assert_eq!(choose(&["0.1.0 - 0.2.0"], false, None, D), "v0.2.0");
        assert_eq!(choose(&["0.x"], false, None, D), "v0.2.0");
        // Porter's porter-with-depsv2: both hyphen ranges must hold.
        assert_eq!(choose(&["0.x - 1,0.1.1 - 0.1.x"], false, None, D), "v0.1.3");
        assert_eq!(choose(&["<= 0.1.x"], false, None, D), "v0.1.3");
        assert_eq!(choose(&[">=0.2.0 <1.0.0"], true, None, D), "v0.3.0-beta.1");
        assert_eq!(choose(&[">=2.0.0"], false, None, D), "none");
    }

    #[test]
    fn strategies_pick_from_the_referenced_version() {
        use VersionStrategy::*;
        assert_eq!(choose(&[], false, Some("v0.1.0"), Exact), "v0.1.0");
        assert_eq!(choose(&[], false, Some("v0.1.0"), MaxPatch), "v0.1.3");
        assert_eq!(choose(&[], false, Some("v0.1.0"), MaxMinor), "v0.2.0");
        assert_eq!(choose(&[], false, Some("v1.0.0"), MaxMinor), "v1.4.2");
        assert_eq!(choose(&[">=0.1.0 <1.0.0"], false, None, Min), "v0.1.0");
        assert_eq!(choose(&[">=0.1.0 <1.0.0"], false, None, MaxPatch), "v0.1.3");
    }

    #[test]
    fn a_bad_range_or_strategy_is_named() {
        let err = parse_ranges(&["not a range".into()]).unwrap_err();
        assert!(err.contains("not a range"), "{err}");
        let err = "newest".parse::<VersionStrategy>().unwrap_err();
        assert!(err.contains("max-patch"), "{err}");
    }
}
