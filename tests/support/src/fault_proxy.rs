//! A TCP proxy in front of a registry that cuts chosen HTTP requests: the
//! way a test interrupts a publish at an exact point (say, just before the
//! bundle's index is pushed) without racing a `kill`.
//!
//! Every request's head gets `Connection: close`, so each connection
//! carries one request and the proxy can judge each by its head alone.
//! A request the predicate picks is answered by closing the connection,
//! as a registry that died would.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

/// Decides from a request's head (request line and headers, lowercase
/// header names not guaranteed) whether to cut it.
pub type Cut = dyn Fn(&str) -> bool + Send + Sync;

/// A running proxy; it stops when the test process ends.
pub struct FaultProxy {
    port: u16,
    cuts: Arc<AtomicUsize>,
}

impl FaultProxy {
    /// Proxies 127.0.0.1:<new port> to `upstream` (`host:port`), cutting
    /// the requests `cut` picks.
    pub fn start(upstream: &str, cut: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port for the proxy");
        let port = listener.local_addr().unwrap().port();
        let cuts = Arc::new(AtomicUsize::new(0));
        let cut: Arc<Cut> = Arc::new(cut);
        let upstream = upstream.to_string();
        let counter = cuts.clone();
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (upstream, cut, counter) = (upstream.clone(), cut.clone(), counter.clone());
                thread::spawn(move || serve(client, &upstream, &*cut, &counter));
            }
        });
        Self { port, cuts }
    }

    /// `127.0.0.1:PORT`, to use as the registry's host.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// How many requests were cut.
    pub fn cuts(&self) -> usize {
        self.cuts.load(Ordering::SeqCst)
    }
}

fn serve(mut client: TcpStream, upstream: &str, cut: &Cut, cuts: &AtomicUsize) {
    let Some((head, rest)) = read_head(&mut client) else {
        return;
    };
    if cut(&head) {
        cuts.fetch_add(1, Ordering::SeqCst);
        let _ = client.shutdown(Shutdown::Both);
        return;
    }
    let Ok(mut server) = TcpStream::connect(upstream) else {
        return;
    };
    let head = with_connection_close(&head);
    if server.write_all(head.as_bytes()).is_err() || server.write_all(&rest).is_err() {
        return;
    }
    let (Ok(mut client_reader), Ok(mut server_writer)) = (client.try_clone(), server.try_clone())
    else {
        return;
    };
    let upload = thread::spawn(move || {
        let _ = std::io::copy(&mut client_reader, &mut server_writer);
        let _ = server_writer.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut server, &mut client);
    let _ = client.shutdown(Shutdown::Both);
    let _ = upload.join();
}

/// Reads up to the end of the request head; returns it and any body bytes
/// read past it.
fn read_head(client: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = client.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buffer.split_off(end + 4);
            return Some((String::from_utf8_lossy(&buffer).into_owned(), rest));
        }
        if buffer.len() > 1 << 20 {
            return None;
        }
    }
}

fn with_connection_close(head: &str) -> String {
    let mut lines: Vec<&str> = head
        .trim_end_matches("\r\n")
        .split("\r\n")
        .filter(|line| !line.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    lines.push("Connection: close");
    format!("{}\r\n\r\n", lines.join("\r\n"))
}
