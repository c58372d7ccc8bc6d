//! What the two browsers the tests drive have in common, Chromium (over the DevTools Protocol,
//! [`super::browser`]) and Firefox (over WebDriver BiDi, [`super::firefox`]): finding the
//! program, starting it and reading the address it announces, the WebSocket it is driven over,
//! and stopping it. What differs is each protocol's own: its messages, sessions and events.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

use super::browser::skip_or_fail;

/// How long any one browser call or wait may take before the test panics.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long one read of the WebSocket blocks before deadlines are checked again.
pub const POLL: Duration = Duration::from_millis(100);

/// Events kept for later waits; older ones are dropped.
const MAX_EVENTS: usize = 10_000;

/// The program `$variable` names when it is set, else the first of `defaults` there is. A bare
/// name is looked up on the `PATH`.
pub fn program_path(variable: &str, defaults: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(variable).filter(|p| !p.is_empty()) {
        return find_program(Path::new(&path));
    }
    defaults.iter().find_map(|program| find_program(Path::new(program)))
}

fn find_program(program: &Path) -> Option<PathBuf> {
    if program.components().count() > 1 {
        return program.is_file().then(|| program.to_path_buf());
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(program)).find(|p| p.is_file())
}

/// `program`, or `None` after reporting through [`skip_or_fail`] that `test` cannot run: `missing`
/// says what is not installed.
pub fn found_or_skip(program: Option<PathBuf>, test: &str, missing: &str) -> Option<PathBuf> {
    if program.is_none() {
        skip_or_fail(test, missing);
    }
    program
}

/// The last lines a browser printed on stderr, for error messages.
#[derive(Clone, Default)]
pub struct StderrTail(Arc<Mutex<VecDeque<String>>>);

impl StderrTail {
    /// Keeps `line`, forgetting the oldest beyond 60.
    fn push(&self, line: String) {
        let mut tail = self.0.lock().unwrap();
        if tail.len() == 60 {
            tail.pop_front();
        }
        tail.push_back(line);
    }

    /// The lines kept, oldest first.
    pub fn text(&self) -> String {
        self.0.lock().unwrap().iter().cloned().collect::<Vec<_>>().join("\n")
    }
}

/// Starts a browser (`command`, with its flags) and waits for the line on stderr that announces
/// its remote-control address (`ws://…`, after `marker`). Its stderr is read on a thread for as
/// long as it lives (a full pipe would block it), keeping the last lines for error messages.
pub fn spawn_listening(mut command: Command, program: &Path, marker: &str) -> (Child, StderrTail, String) {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {}: {e}", program.display()));
    let stderr = StderrTail::default();
    let (send, receive) = mpsc::channel();
    let pipe = child.stderr.take().unwrap();
    let tail = stderr.clone();
    let wanted = marker.to_string();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if let Some(at) = line.find("ws://")
                && line.contains(&wanted)
            {
                let _ = send.send(line[at..].trim().to_string());
            }
            tail.push(line);
        }
    });
    match receive.recv_timeout(DEFAULT_TIMEOUT) {
        Ok(url) => (child, stderr, url),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{} did not print \"{marker} ws://…\" within {:?}; its stderr:\n{}",
                program.display(),
                DEFAULT_TIMEOUT,
                stderr.text()
            );
        }
    }
}

/// Gives a browser that was asked to close up to `grace` to exit, then kills it. Never panics:
/// this runs when a browser is dropped, maybe while a test unwinds.
pub fn stop(child: &mut Child, grace: Duration) {
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A browser's remote-control WebSocket: JSON commands out, JSON messages in, and the events
/// that arrived while something else was awaited, kept for later.
pub struct Socket {
    ws: WebSocket<TcpStream>,
    next_id: u64,
    /// Events read but not awaited yet, oldest first.
    pub events: VecDeque<Value>,
    /// What answers at the other end (`DevTools`, `Firefox's BiDi`), for messages.
    name: &'static str,
}

impl Socket {
    /// Connects to `url` (`ws://127.0.0.1:<port>/…`), where `name` listens.
    pub fn connect(name: &'static str, url: &str) -> Result<Socket, String> {
        let address = url.trim_start_matches("ws://").split('/').next().unwrap_or_default();
        let address: SocketAddr = address.parse().map_err(|e| format!("{name} address {url}: {e}"))?;
        let stream = TcpStream::connect_timeout(&address, DEFAULT_TIMEOUT)
            .map_err(|e| format!("connecting to {name} at {url}: {e}"))?;
        stream.set_read_timeout(Some(DEFAULT_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(DEFAULT_TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        let (ws, _) = tungstenite::client(url, stream).map_err(|e| format!("{name} handshake with {url}: {e}"))?;
        ws.get_ref().set_read_timeout(Some(POLL)).unwrap();
        Ok(Socket { ws, next_id: 1, events: VecDeque::new(), name })
    }

    /// Sends `command` (its method and params) under the next id, and returns that id.
    pub fn send(&mut self, mut command: Value) -> Result<u64, String> {
        let id = self.next_id;
        self.next_id += 1;
        command["id"] = json!(id);
        self.ws.send(Message::text(command.to_string())).map_err(|e| e.to_string())?;
        Ok(id)
    }

    /// The next message, `None` when none arrived within [`POLL`], or why the connection is gone.
    pub fn read(&mut self) -> Result<Option<Value>, String> {
        let name = self.name;
        loop {
            match self.ws.read() {
                Ok(Message::Text(text)) => {
                    let message =
                        serde_json::from_str(text.as_str()).unwrap_or_else(|e| panic!("{name} sends JSON: {e}"));
                    return Ok(Some(message));
                }
                Ok(Message::Close(frame)) => return Err(format!("{name} closed the connection: {frame:?}")),
                Ok(_) => continue,
                Err(tungstenite::Error::Io(e))
                    if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) =>
                {
                    return Ok(None);
                }
                Err(e) => return Err(format!("reading from {name}: {e}")),
            }
        }
    }

    /// Keeps `event` for a later wait.
    pub fn keep(&mut self, event: Value) {
        if self.events.len() == MAX_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }

    /// Reads whatever has arrived, hardly waiting, and keeps the messages `wanted` picks.
    pub fn pump(&mut self, wanted: impl Fn(&Value) -> bool) -> Result<(), String> {
        let _ = self.ws.get_ref().set_read_timeout(Some(Duration::from_millis(1)));
        let read = loop {
            match self.read() {
                Ok(Some(message)) if wanted(&message) => self.keep(message),
                Ok(Some(_)) => {}
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        let _ = self.ws.get_ref().set_read_timeout(Some(POLL));
        read
    }
}
