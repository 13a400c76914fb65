//! What a mixin's `build` asks to put into the invocation image.
//!
//! Wharf turns each [`Contribution`] into Dockerfile lines itself, so a
//! mixin needs no shell to install a program: it names the download, its
//! checksum and where it goes, or the Debian packages it needs. A raw line
//! is still possible for the rest; Wharf accepts only `RUN`, `ENV`, `ARG`,
//! `COPY`, `ADD`, `LABEL` and `WORKDIR` there.

use crate::bindings::wharf::mixin::types as wit;

/// One thing the invocation image needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contribution {
    /// A program to download, check and install.
    Client(Download),
    /// Debian packages by name (`git`, or `git=1:2.39.5-0+deb12u1`).
    DebianPackages(Vec<String>),
    /// A raw Dockerfile line.
    Line(String),
}

impl Contribution {
    /// Debian packages to install with apt-get.
    pub fn debian_packages<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Contribution::DebianPackages(names.into_iter().map(Into::into).collect())
    }

    /// A raw Dockerfile line.
    pub fn line(line: impl Into<String>) -> Self {
        Contribution::Line(line.into())
    }

    /// The download, if this is one.
    pub fn as_download(&self) -> Option<&Download> {
        match self {
            Contribution::Client(download) => Some(download),
            _ => None,
        }
    }
}

impl From<Download> for Contribution {
    fn from(download: Download) -> Self {
        Contribution::Client(download)
    }
}

/// How Wharf checks a download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checksum {
    /// The file's SHA-256, 64 hexadecimal digits.
    Sha256(String),
    /// The URL of a `sha256sum`-style file that lists the download by the
    /// last segment of its URL (or holds one bare checksum).
    SumsFile(String),
    /// No checksum is published: installed as it is. Lint the
    /// configuration that leads here.
    Unverified,
}

/// A program to download into the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    /// An `https://` or `http://` URL.
    pub url: String,
    /// How to check it.
    pub checksum: Checksum,
    /// The program's path inside a `.zip`, `.tar.gz` or `.tgz` download.
    pub archive_member: Option<String>,
    /// The absolute path it is installed at, outside `/cnab`.
    pub destination: String,
    /// Its permission bits; 0o755 unless set.
    pub mode: u32,
}

impl Download {
    /// The program at `url`, installed at `destination` with mode 0o755.
    /// Set its checksum with [`Download::sha256`] or [`Download::sums_file`].
    pub fn new(url: impl Into<String>, destination: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            checksum: Checksum::Unverified,
            archive_member: None,
            destination: destination.into(),
            mode: 0o755,
        }
    }

    /// Checks the download against this SHA-256.
    pub fn sha256(mut self, hex: impl Into<String>) -> Self {
        self.checksum = Checksum::Sha256(hex.into());
        self
    }

    /// Checks the download against its line in the checksum file at `url`.
    pub fn sums_file(mut self, url: impl Into<String>) -> Self {
        self.checksum = Checksum::SumsFile(url.into());
        self
    }

    /// Takes the program out of the downloaded archive at `member`.
    pub fn archive_member(mut self, member: impl Into<String>) -> Self {
        self.archive_member = Some(member.into());
        self
    }

    /// Sets the permission bits.
    pub fn mode(mut self, mode: u32) -> Self {
        self.mode = mode;
        self
    }
}

impl From<Contribution> for wit::Contribution {
    fn from(c: Contribution) -> Self {
        match c {
            Contribution::Client(d) => wit::Contribution::Client(wit::ClientDownload {
                url: d.url,
                checksum: match d.checksum {
                    Checksum::Sha256(hex) => wit::Checksum::Sha256(hex),
                    Checksum::SumsFile(url) => wit::Checksum::SumsFile(url),
                    Checksum::Unverified => wit::Checksum::Unverified,
                },
                archive_member: d.archive_member,
                destination: d.destination,
                mode: d.mode,
            }),
            Contribution::DebianPackages(names) => wit::Contribution::DebianPackages(names),
            Contribution::Line(line) => wit::Contribution::DockerfileLine(line),
        }
    }
}
