//! `tarea serve`: build, serve `out/` on 127.0.0.1 only, watch `library/` and `templates/`, rebuild
//! on every change and reload the open page. A broken edit shows its error in the terminal and as
//! an overlay on the page, while the last good output stays served (builds are all-or-nothing).
//!
//! The HTTP side is a small GET-only server on std's `TcpListener` (one thread per connection,
//! `Connection: close`), because live reload needs a long-lived Server-Sent Events stream that is
//! flushed event by event. Pages get the reload script injected when served; files on disk are
//! never changed.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use notify::{RecursiveMode, Watcher};

use crate::{BuildOptions, Failed, build};

/// How `serve` runs.
pub struct ServeOptions {
    /// The site.
    pub root: PathBuf,
    /// The port on 127.0.0.1 (0 picks a free one).
    pub port: u16,
    /// Told the address once the server listens (tests, embedding).
    pub ready: Option<Sender<SocketAddr>>,
}

/// What the open pages are told.
#[derive(Clone)]
enum Event {
    Reload,
    Error(String),
}

/// Shared between the watcher and the connections.
#[derive(Default)]
struct State {
    /// The current build error, shown to pages that connect while the site is broken.
    error: Mutex<Option<String>>,
    /// One channel per open page.
    pages: Mutex<Vec<Sender<Event>>>,
}

impl State {
    fn broadcast(&self, event: Event) {
        *self.error.lock().expect("state lock") = match &event {
            Event::Error(text) => Some(text.clone()),
            Event::Reload => None,
        };
        self.pages.lock().expect("state lock").retain(|page| page.send(event.clone()).is_ok());
    }
}

const LIVE_JS: &str = r#"// tarea serve: reload on rebuild, show build errors over the page.
(function () {
  var overlay = null;
  function show(text) {
    if (!overlay) {
      overlay = document.createElement("pre");
      overlay.id = "tarea-error";
      overlay.setAttribute("role", "alert");
      overlay.style.cssText = "position:fixed;inset:0;margin:0;padding:2rem;overflow:auto;z-index:99999;" +
        "background:rgba(255,250,250,.97);color:#8a1c1c;font:14px/1.5 monospace;white-space:pre-wrap";
      document.body.appendChild(overlay);
    }
    overlay.textContent = text;
  }
  var source = new EventSource("/__tarea/events");
  source.addEventListener("reload", function () { location.reload(); });
  source.addEventListener("error-report", function (e) { show(JSON.parse(e.data)); });
})();
"#;

/// Builds once, then serves and rebuilds until the process is stopped.
pub fn serve(options: &ServeOptions) -> Result<()> {
    let root = options.root.clone();
    let out = root.join("out");
    let state = Arc::new(State::default());
    rebuild(&root, &state);
    let listener = TcpListener::bind(("127.0.0.1", options.port))
        .with_context(|| format!("cannot listen on 127.0.0.1:{}", options.port))?;
    let address = listener.local_addr()?;
    println!("serving {} at http://{address}/ (Ctrl-C to stop)", out.display());
    if let Some(ready) = &options.ready {
        let _ = ready.send(address);
    }
    let (changes, changed) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok_and(|e| !e.kind.is_access()) {
            let _ = changes.send(());
        }
    })?;
    for dir in ["library", "templates"] {
        let path = root.join(dir);
        if path.is_dir() {
            watcher.watch(&path, RecursiveMode::Recursive).with_context(|| format!("watching {}", path.display()))?;
        }
    }
    let watch_state = Arc::clone(&state);
    let watch_root = root.clone();
    std::thread::spawn(move || {
        let _keep = watcher;
        rebuild_on_change(&watch_root, &watch_state, &changed);
    });
    for stream in listener.incoming().flatten() {
        let (state, out) = (Arc::clone(&state), out.clone());
        std::thread::spawn(move || {
            let _ = respond(stream, &out, &state);
        });
    }
    Ok(())
}

/// Waits for changes, lets a burst of saves settle, then rebuilds once.
fn rebuild_on_change(root: &Path, state: &State, changed: &Receiver<()>) {
    while changed.recv().is_ok() {
        while changed.recv_timeout(Duration::from_millis(150)).is_ok() {}
        rebuild(root, state);
    }
}

fn rebuild(root: &Path, state: &State) {
    let options = BuildOptions { root: root.to_path_buf(), out: root.join("out") };
    match build(&options) {
        Ok(report) => {
            for warning in &report.warnings {
                eprintln!("{warning}");
            }
            println!(
                "rebuilt: {} packets, {} pages in {:.2} s",
                report.packets,
                report.pages,
                report.elapsed.as_secs_f64()
            );
            state.broadcast(Event::Reload);
        }
        Err(e) => {
            let text = match e.downcast_ref::<Failed>() {
                Some(failed) => failed.to_string(),
                None => format!("error: {e:#}"),
            };
            eprintln!("{text}\n(the last good build is still served)");
            state.broadcast(Event::Error(text));
        }
    }
}

/// Answers one request.
fn respond(stream: TcpStream, out: &Path, state: &State) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Skip the headers: a GET has no body.
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear();
    }
    let mut stream = stream;
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    if method != "GET" && method != "HEAD" {
        return send(&mut stream, "405 Method Not Allowed", "text/plain", b"only GET");
    }
    let path = target.split(['?', '#']).next().unwrap_or("/");
    match path {
        "/" => {
            let headers =
                "HTTP/1.1 302 Found\r\nLocation: /private/index.html\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            stream.write_all(headers.as_bytes())
        }
        "/__tarea/live.js" => send(&mut stream, "200 OK", "text/javascript; charset=utf-8", LIVE_JS.as_bytes()),
        "/__tarea/events" => events(stream, state),
        _ => match resolve_file(out, path) {
            Some(file) => {
                let bytes = std::fs::read(&file)?;
                let content_type = content_type(&file);
                let body = if content_type.starts_with("text/html") { inject_live_reload(&bytes) } else { bytes };
                send(&mut stream, "200 OK", content_type, &body)
            }
            None => send(&mut stream, "404 Not Found", "text/plain; charset=utf-8", b"not found"),
        },
    }
}

/// Streams reload and error events to one open page until it goes away.
fn events(mut stream: TcpStream, state: &State) -> std::io::Result<()> {
    let headers =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n";
    stream.write_all(headers.as_bytes())?;
    let (sender, receiver) = mpsc::channel();
    let current = state.error.lock().expect("state lock").clone();
    state.pages.lock().expect("state lock").push(sender);
    if let Some(text) = current {
        write_event(&mut stream, &Event::Error(text))?;
    }
    loop {
        match receiver.recv_timeout(Duration::from_secs(15)) {
            Ok(event) => write_event(&mut stream, &event)?,
            // A comment keeps the connection open and finds closed pages.
            Err(mpsc::RecvTimeoutError::Timeout) => stream.write_all(b": ping\n\n")?,
            Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
        }
        stream.flush()?;
    }
}

fn write_event(stream: &mut TcpStream, event: &Event) -> std::io::Result<()> {
    let text = match event {
        Event::Reload => "event: reload\ndata: {}\n\n".to_string(),
        // JSON keeps the text on one `data:` line; the page shows it with textContent.
        Event::Error(text) => format!("event: error-report\ndata: {}\n\n", serde_json::Value::String(text.clone())),
    };
    stream.write_all(text.as_bytes())?;
    stream.flush()
}

fn send(stream: &mut TcpStream, status: &str, content_type: &str, body: &[u8]) -> std::io::Result<()> {
    let headers = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n\
         X-Robots-Tag: noindex, nofollow\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(headers.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

/// The file under `out` that a URL path names, if it is inside `out` (no `..`, no links out).
fn resolve_file(out: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path)?;
    let relative = Path::new(decoded.trim_start_matches('/'));
    if relative.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    let mut path = out.join(relative);
    if path.is_dir() {
        path = path.join("index.html");
    }
    let canonical = path.canonicalize().ok()?;
    (canonical.starts_with(out.canonicalize().ok()?) && canonical.is_file()).then_some(canonical)
}

/// A URL path with its `%XX` escapes decoded; `None` when they are not valid UTF-8.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The `Content-Type` of a file tarea writes (or a site adds), by its extension.
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "md" => "text/markdown; charset=utf-8",
        "ics" => "text/calendar; charset=utf-8",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "svg" => "image/svg+xml",
        "txt" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Adds the reload script to a page as served (the published page forbids scripts with its
/// Content-Security-Policy; the local preview drops that one line).
fn inject_live_reload(html: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(html);
    let text = match text.find("<meta http-equiv=\"Content-Security-Policy\"") {
        Some(start) => {
            let end = text[start..].find('>').map_or(text.len(), |i| start + i + 1);
            format!("{}{}", &text[..start], &text[end..])
        }
        None => text.into_owned(),
    };
    let script = "<script src=\"/__tarea/live.js\"></script>\n";
    match text.rfind("</body>") {
        Some(at) => format!("{}{script}{}", &text[..at], &text[at..]).into_bytes(),
        None => format!("{text}{script}").into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_out() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("out/public")).unwrap();
        std::fs::write(dir.path().join("out/public/index.html"), "x").unwrap();
        std::fs::write(dir.path().join("secret"), "s").unwrap();
        let out = dir.path().join("out");
        assert!(resolve_file(&out, "/public/").is_some());
        assert!(resolve_file(&out, "/public/index.html").is_some());
        assert!(resolve_file(&out, "/../secret").is_none());
        assert!(resolve_file(&out, "/public/%2e%2e/%2e%2e/secret").is_none());
    }

    #[test]
    fn the_script_replaces_the_policy_only_in_the_preview() {
        let page =
            b"<head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\"></head><body>x</body>";
        let served = String::from_utf8(inject_live_reload(page)).unwrap();
        assert!(!served.contains("Content-Security-Policy"));
        assert!(served.ends_with("<script src=\"/__tarea/live.js\"></script>\n</body>"));
    }
}
