//! A small HTTP server of a directory's files, for image builds that
//! download: on a machine without internet, a test serves the release a
//! mixin's `mirror` points at. It listens on every interface, so a build on
//! Docker's default bridge reaches it at the bridge's host address.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::docker::ensure_docker;

/// Serves `root` until the test process ends.
pub struct FileServer {
    /// `http://HOST:PORT` as an image build reaches it, without a slash.
    pub url: String,
    /// Every path asked for so far, without the leading slash.
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl FileServer {
    /// Starts serving `root`.
    pub fn start(root: &Path) -> FileServer {
        let listener = TcpListener::bind("0.0.0.0:0").expect("bind the file server");
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let root: PathBuf = root.to_path_buf();
        let seen = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (root, seen) = (root.clone(), seen.clone());
                std::thread::spawn(move || serve(stream, &root, &seen));
            }
        });
        // Image builds run on Docker's default bridge, where the host is
        // the gateway.
        let host = ensure_docker().bridge_host_address();
        FileServer {
            url: format!("http://{host}:{port}"),
            requests,
        }
    }

    /// The paths asked for so far.
    pub fn served(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// Answers one HTTP GET with a file of `root`, or 404.
fn serve(stream: TcpStream, root: &Path, seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut header = String::new();
    while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
        header.clear();
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .trim_start_matches('/')
        .to_string();
    seen.lock().unwrap().push(path.clone());
    let file = (!path.contains("..") && !path.is_empty())
        .then(|| std::fs::read(root.join(&path)).ok())
        .flatten();
    let mut out = &stream;
    let _ = match file {
        Some(body) => out
            .write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
                .as_bytes(),
            )
            .and_then(|()| out.write_all(&body)),
        None => out
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    };
}
