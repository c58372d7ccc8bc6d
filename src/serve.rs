//! `tarea serve`: build a preview of the site into its own folder, `.tarea/preview/`, serve it on
//! 127.0.0.1 only, watch `library/` and `templates/`, rebuild on every change and reload the open
//! page. A broken edit shows its error in the terminal and as an overlay on the page, while the
//! last good preview stays served (builds are all-or-nothing).
//!
//! **The preview has its own folder.** `out/` is what the clinic uploads, and only `tarea build`
//! writes it, when the therapist decides to publish. A preview is rebuilt from whatever was saved a
//! second ago — a plan half edited, a sealing setting being changed, a session not meant to go out
//! yet — and a rebuild can fail or be stopped half way. Built into `out/`, any of that could unseal,
//! re-token or half-write what is published. So the preview is built into `.tarea/preview/`, in the
//! site's private state folder (beside the secret, ignored by git through the `.tarea/.gitignore`
//! tarea writes there), with its own manifest and cache, and `serve` never creates, reads or changes
//! `out/`.
//!
//! **Only this machine's browser, by name.** Listening on 127.0.0.1 is not enough: with DNS
//! rebinding, any web page the therapist opens can point a name of its own at 127.0.0.1 and then
//! read the preview as its own origin — the private index and `links.csv`, with every patient's
//! name, link and password. The browser still sends that name in `Host`, so a request is answered
//! only when its `Host` is `127.0.0.1:PORT`, `localhost:PORT` or `[::1]:PORT` (the port serve
//! listens on, any case); anything else, or no `Host`, gets `421 Misdirected Request` with no body.
//!
//! The HTTP side is a small GET/HEAD-only server on std's `TcpListener` (one thread per connection,
//! `Connection: close`), because live reload needs a long-lived Server-Sent Events stream that is
//! flushed event by event. Since anything on the machine can connect, it is bounded: at most
//! [`MAX_CONNECTIONS`] connections at once (the event streams of open pages included; one more is
//! answered `503` and closed), a request line of 8 KiB (`414`), 16 KiB and 100 lines of headers
//! (`431`), all read within 10 s, and never more than those limits in memory. Pages get the reload
//! script injected when served; files on disk are never changed.
//!
//! Why not tiny_http (the usual maintained choice, and typst-kit's): it reads a request's headers
//! with no limit at all (tiny-http/tiny-http#56, open since 2015; the PR adding one, #232, is
//! unmerged), so any local process could make the preview hold gigabytes, and it offers no way to
//! refuse a connection over a bound before reading it. The pieces that are only bookkeeping come
//! from maintained crates: MIME types from `mime_guess`, `%XX` decoding from `percent-encoding`.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use notify::{RecursiveMode, Watcher};

use crate::diagnostic::Failed;
use crate::site::{self, BuildOptions, BuildRequest, BuildSettings};

/// Where the preview is built and served from, relative to the site root.
pub const PREVIEW_DIR: &str = ".tarea/preview";
/// The most connections served at once, the event streams of open pages included.
pub const MAX_CONNECTIONS: usize = 64;
/// The longest request line read (method, target and version, with its line end).
pub const MAX_REQUEST_LINE: usize = 8 * 1024;
/// The most header bytes read after the request line (the blank line that ends them included).
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// The most header lines read.
pub const MAX_HEADER_LINES: usize = 100;
/// How long a client has to send its whole request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How often an event stream checks whether its page went away.
const EVENTS_POLL: Duration = Duration::from_secs(1);
/// How often an idle event stream sends a comment to keep the connection open.
const EVENTS_PING: Duration = Duration::from_secs(15);

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

/// Builds the preview once, then serves and rebuilds it until the process is stopped.
pub fn serve(options: &ServeOptions) -> Result<()> {
    let root = options.root.clone();
    let preview = root.join(PREVIEW_DIR);
    // The preview (private/links.csv, passwords included) goes into the site's private folder,
    // which ignores itself in git.
    crate::token::private_dir(&root)?;
    let state = Arc::new(State::default());
    // Watching starts before the first build, so that an edit saved while it runs, or right after
    // the address is printed, is not missed.
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
    rebuild(&root, &preview, &state);
    let (watch_state, watch_root, watch_preview) = (Arc::clone(&state), root.clone(), preview.clone());
    std::thread::spawn(move || {
        let _keep = watcher;
        rebuild_on_change(&watch_root, &watch_preview, &watch_state, &changed);
    });
    let listener = TcpListener::bind(("127.0.0.1", options.port))
        .with_context(|| format!("cannot listen on 127.0.0.1:{}", options.port))?;
    let address = listener.local_addr()?;
    println!("serving {} at http://{address}/ (Ctrl-C to stop)", preview.display());
    println!("(a preview of its own: out/ is left as it is; `tarea build` writes what you publish)");
    if let Some(ready) = &options.ready {
        let _ = ready.send(address);
    }
    let port = address.port();
    let open = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        // An accept can fail while the process is out of file descriptors: wait a moment instead
        // of spinning on the same error at full speed.
        let Ok(stream) = stream else {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        let Some(slot) = Slot::take(&open, MAX_CONNECTIONS) else {
            turn_away(stream);
            continue;
        };
        let (state, preview) = (Arc::clone(&state), preview.clone());
        // When no thread can be made, the closure is dropped: the connection closes and the slot
        // is given back.
        let _ = std::thread::Builder::new().name("tarea-serve".into()).spawn(move || {
            let _slot = slot;
            let _ = respond(stream, &preview, port, &state);
        });
    }
    Ok(())
}

/// Waits for changes, lets a burst of saves settle, then rebuilds once. (A debouncer crate such
/// as notify-debouncer-full tracks renames and per-file events; a rebuild of the whole preview
/// needs only "something changed", which these four lines give.)
fn rebuild_on_change(root: &Path, preview: &Path, state: &State, changed: &Receiver<()>) {
    while changed.recv().is_ok() {
        while changed.recv_timeout(Duration::from_millis(150)).is_ok() {}
        rebuild(root, preview, state);
    }
}

fn rebuild(root: &Path, preview: &Path, state: &State) {
    let options = BuildOptions { root: root.to_path_buf(), out: preview.to_path_buf() };
    let preview = BuildSettings::decide(&options, &BuildRequest { preview: true, ..Default::default() });
    match preview.and_then(|settings| site::build(&settings, None)) {
        Ok(report) => {
            for warning in &report.warnings {
                eprintln!("{warning}");
            }
            println!(
                "rebuilt the preview: {} packets, {} pages in {:.2} s",
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
            eprintln!("{text}\n(the last good preview is still served)");
            state.broadcast(Event::Error(text));
        }
    }
}

/// One of the [`MAX_CONNECTIONS`] a server answers at once, given back when dropped.
struct Slot(Arc<AtomicUsize>);

impl Slot {
    /// A slot, if fewer than `limit` are taken.
    fn take(open: &Arc<AtomicUsize>, limit: usize) -> Option<Slot> {
        open.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < limit).then_some(n + 1)).ok()?;
        Some(Slot(Arc::clone(open)))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Answers a connection over the limit `503` without a thread of its own and without ever
/// blocking the accepting loop.
fn turn_away(stream: TcpStream) {
    let _ = stream.set_nonblocking(true);
    // Whatever the client already sent is read away, so that closing does not reset the
    // connection before it reads the answer.
    let mut scratch = [0u8; 4096];
    for _ in 0..8 {
        if !matches!((&stream).read(&mut scratch), Ok(n) if n > 0) {
            break;
        }
    }
    let _ = Response::empty("503 Service Unavailable").write_to(&mut &stream, false);
    let _ = stream.shutdown(Shutdown::Write);
}

/// The request head, as far as serve reads it.
#[derive(Debug, PartialEq)]
struct Request {
    method: String,
    target: String,
    /// The value of every `Host` header (a browser sends exactly one).
    hosts: Vec<String>,
}

/// Why a request head was not read.
#[derive(Debug)]
enum HeadError {
    /// The request line is longer than [`MAX_REQUEST_LINE`].
    LineTooLong,
    /// The headers are over [`MAX_HEADER_BYTES`] or [`MAX_HEADER_LINES`].
    HeadersTooLarge,
    /// Not an HTTP/1 request line.
    Malformed,
    /// The client went away or took too long.
    Io(io::Error),
}

/// One line of at most `limit` bytes (its end included); `None` when the line is longer, reading
/// no more than `limit` bytes either way.
fn read_line_within(reader: &mut impl BufRead, limit: usize) -> Result<Option<Vec<u8>>, HeadError> {
    let mut line = Vec::new();
    reader.take(limit as u64).read_until(b'\n', &mut line).map_err(HeadError::Io)?;
    if line.ends_with(b"\n") {
        Ok(Some(line))
    } else if line.len() == limit {
        Ok(None)
    } else {
        Err(HeadError::Io(io::ErrorKind::UnexpectedEof.into()))
    }
}

/// Reads a request line and its headers, within [`MAX_REQUEST_LINE`], [`MAX_HEADER_BYTES`] and
/// [`MAX_HEADER_LINES`]: a hostile client cannot make it hold more.
fn read_request(reader: &mut impl BufRead) -> Result<Request, HeadError> {
    let line = read_line_within(reader, MAX_REQUEST_LINE)?.ok_or(HeadError::LineTooLong)?;
    let line = std::str::from_utf8(&line).map_err(|_| HeadError::Malformed)?;
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HeadError::Malformed);
    };
    if !version.starts_with("HTTP/1.") {
        return Err(HeadError::Malformed);
    }
    let mut request = Request { method: method.to_string(), target: target.to_string(), hosts: Vec::new() };
    let (mut left, mut lines) = (MAX_HEADER_BYTES, 0);
    loop {
        let header = read_line_within(reader, left)?.ok_or(HeadError::HeadersTooLarge)?;
        left -= header.len();
        if header == b"\r\n" || header == b"\n" {
            return Ok(request);
        }
        lines += 1;
        if lines > MAX_HEADER_LINES {
            return Err(HeadError::HeadersTooLarge);
        }
        let header = String::from_utf8_lossy(&header);
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("host")
        {
            request.hosts.push(value.trim().to_string());
        }
    }
}

/// Whether a request's `Host` names this server as a browser on this machine reaches it:
/// `127.0.0.1`, `localhost` or `[::1]` with the port serve listens on (without it only on port 80,
/// where browsers leave it out). No `Host`, or more than one, is refused: that is what stops DNS
/// rebinding from reading the preview.
fn host_allowed(hosts: &[String], port: u16) -> bool {
    let [host] = hosts else { return false };
    let host = host.to_ascii_lowercase();
    ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|name| host == format!("{name}:{port}") || (port == 80 && host == *name))
}

/// A reader of a connection that fails once `until` has passed, however slowly the client sends.
struct Deadline<'a> {
    stream: &'a TcpStream,
    until: Instant,
}

impl Read for Deadline<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.stream.set_read_timeout(Some(left))?;
        let mut stream = self.stream;
        stream.read(buf)
    }
}

/// Answers one request.
fn respond(stream: TcpStream, preview: &Path, port: u16, state: &State) -> io::Result<()> {
    // A client that stops reading cannot hold its slot for ever either.
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let read = read_request(&mut BufReader::new(Deadline { stream: &stream, until: Instant::now() + HEAD_TIMEOUT }));
    let request = match read {
        Ok(request) => request,
        Err(HeadError::LineTooLong) => return refuse(&stream, "414 URI Too Long"),
        Err(HeadError::HeadersTooLarge) => return refuse(&stream, "431 Request Header Fields Too Large"),
        Err(HeadError::Malformed) => return refuse(&stream, "400 Bad Request"),
        Err(HeadError::Io(e)) => return Err(e),
    };
    let head_only = request.method == "HEAD";
    match answer(&request, preview, port) {
        Reply::Events if head_only => (&stream).write_all(EVENTS_HEAD.as_bytes()),
        Reply::Events => events(&stream, state),
        Reply::Full(response) => response.write_to(&mut &stream, head_only),
    }
}

/// Answers a request that broke a limit, then closes: what the client still sends is read away for
/// a moment (so that it reads the answer rather than a reset), never kept.
fn refuse(stream: &TcpStream, status: &'static str) -> io::Result<()> {
    Response::empty(status).write_to(&mut &*stream, false)?;
    stream.shutdown(Shutdown::Write)?;
    let rest = Deadline { stream, until: Instant::now() + Duration::from_secs(2) };
    let _ = io::copy(&mut rest.take(256 * 1024), &mut io::sink());
    Ok(())
}

/// What a request is answered with.
enum Reply {
    /// The Server-Sent Events stream of an open page.
    Events,
    /// A whole response.
    Full(Response),
}

/// A whole response: a status, a few headers and a body.
struct Response {
    status: &'static str,
    /// Headers besides `Content-Length` and those every response has.
    headers: Vec<(&'static str, Cow<'static, str>)>,
    body: Vec<u8>,
}

impl Response {
    fn new(status: &'static str, content_type: impl Into<Cow<'static, str>>, body: impl Into<Vec<u8>>) -> Self {
        Response { status, headers: vec![("Content-Type", content_type.into())], body: body.into() }
    }

    /// A refusal: the status line and no body at all.
    fn empty(status: &'static str) -> Self {
        Response { status, headers: Vec::new(), body: Vec::new() }
    }

    /// Writes the response; for `HEAD`, the same status and headers (the length of the body too)
    /// without the body.
    fn write_to(&self, out: &mut impl Write, head_only: bool) -> io::Result<()> {
        let mut head = format!("HTTP/1.1 {}\r\n", self.status);
        for (name, value) in &self.headers {
            let _ = write!(head, "{name}: {value}\r\n");
        }
        let _ = write!(
            head,
            "Content-Length: {}\r\nCache-Control: no-store\r\nX-Robots-Tag: noindex, nofollow\r\nConnection: close\r\n\r\n",
            self.body.len()
        );
        out.write_all(head.as_bytes())?;
        if !head_only {
            out.write_all(&self.body)?;
        }
        out.flush()
    }
}

/// What a request gets, once its head is read.
fn answer(request: &Request, preview: &Path, port: u16) -> Reply {
    if !host_allowed(&request.hosts, port) {
        return Reply::Full(Response::empty("421 Misdirected Request"));
    }
    if request.method != "GET" && request.method != "HEAD" {
        let mut response = Response::new("405 Method Not Allowed", "text/plain; charset=utf-8", "only GET and HEAD");
        response.headers.push(("Allow", "GET, HEAD".into()));
        return Reply::Full(response);
    }
    if !request.target.starts_with('/') {
        return Reply::Full(Response::empty("400 Bad Request"));
    }
    let path = request.target.split(['?', '#']).next().unwrap_or("/");
    Reply::Full(match path {
        "/" => Response {
            status: "302 Found",
            headers: vec![("Location", "/private/index.html".into())],
            body: Vec::new(),
        },
        "/__tarea/live.js" => Response::new("200 OK", "text/javascript; charset=utf-8", LIVE_JS),
        "/__tarea/events" => return Reply::Events,
        _ => match resolve_file(preview, path).and_then(|file| Some((std::fs::read(&file).ok()?, file))) {
            Some((bytes, file)) => {
                let content_type = content_type(&file);
                let body = if content_type.starts_with("text/html") { inject_live_reload(&bytes) } else { bytes };
                Response::new("200 OK", content_type, body)
            }
            None => Response::new("404 Not Found", "text/plain; charset=utf-8", "not found"),
        },
    })
}

const EVENTS_HEAD: &str =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n";

/// Streams reload and error events to one open page until it goes away. A page that closes is
/// noticed within [`EVENTS_POLL`], so reloads and closed tabs give their slot back at once.
fn events(stream: &TcpStream, state: &State) -> io::Result<()> {
    let mut out = stream;
    out.write_all(EVENTS_HEAD.as_bytes())?;
    let (sender, receiver) = mpsc::channel();
    let current = state.error.lock().expect("state lock").clone();
    state.pages.lock().expect("state lock").push(sender);
    if let Some(text) = current {
        write_event(&mut out, &Event::Error(text))?;
    }
    let mut quiet_since = Instant::now();
    loop {
        match receiver.recv_timeout(EVENTS_POLL) {
            Ok(event) => {
                write_event(&mut out, &event)?;
                quiet_since = Instant::now();
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if page_gone(stream) {
                    return Ok(());
                }
                // A comment keeps the connection open through proxies and idle timeouts.
                if quiet_since.elapsed() >= EVENTS_PING {
                    out.write_all(b": ping\n\n")?;
                    out.flush()?;
                    quiet_since = Instant::now();
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
        }
    }
}

/// Whether the page at the other end of an event stream has closed it. A page sends nothing after
/// its request, so anything it does send is read away, a little at a time.
fn page_gone(stream: &TcpStream) -> bool {
    if stream.set_read_timeout(Some(Duration::from_millis(1))).is_err() {
        return true;
    }
    let mut scratch = [0u8; 512];
    let mut stream = stream;
    match stream.read(&mut scratch) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted),
    }
}

fn write_event(stream: &mut impl Write, event: &Event) -> io::Result<()> {
    let text = match event {
        Event::Reload => "event: reload\ndata: {}\n\n".to_string(),
        // JSON keeps the text on one `data:` line; the page shows it with textContent.
        Event::Error(text) => format!("event: error-report\ndata: {}\n\n", serde_json::Value::String(text.clone())),
    };
    stream.write_all(text.as_bytes())?;
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
    percent_encoding::percent_decode_str(text).decode_utf8().ok().map(Cow::into_owned)
}

/// The `Content-Type` of a file tarea writes (or a site adds), by its extension (mime_guess's
/// table); text types in UTF-8, which is all tarea writes.
pub fn content_type(path: &Path) -> String {
    let mime = mime_guess::from_path(path).first_raw().unwrap_or("application/octet-stream");
    if mime.starts_with("text/") { format!("{mime}; charset=utf-8") } else { mime.to_string() }
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

    fn hosts(hosts: &[&str]) -> Vec<String> {
        hosts.iter().map(|h| (*h).to_string()).collect()
    }

    #[test]
    fn only_this_machines_names_for_this_port_are_answered() {
        for host in ["127.0.0.1:1111", "localhost:1111", "LocalHost:1111", "[::1]:1111"] {
            assert!(host_allowed(&hosts(&[host]), 1111), "{host} is refused");
        }
        for refused in [
            &["rebind.attacker.example:1111"][..],
            &["127.0.0.1:2222"],
            &["127.0.0.1"],
            &["localhost.:1111"],
            &["127.0.0.1.attacker.example:1111"],
            &["localhost:1111.attacker.example"],
            &["attacker.example:1111@127.0.0.1:1111"],
            &[""],
            &[],
            &["127.0.0.1:1111", "rebind.attacker.example:1111"],
        ] {
            assert!(!host_allowed(&hosts(refused), 1111), "{refused:?} is answered");
        }
        // Browsers leave out the default port.
        assert!(host_allowed(&hosts(&["localhost"]), 80) && !host_allowed(&hosts(&["localhost"]), 8080));
    }

    #[test]
    fn the_request_head_is_read_within_its_limits() {
        let read = |bytes: &[u8]| read_request(&mut &bytes[..]);
        let request =
            read(b"HEAD /private/links.csv?x HTTP/1.1\r\nAccept: */*\r\nhOsT:  Localhost:1111 \r\n\r\n").unwrap();
        assert_eq!(
            request,
            Request { method: "HEAD".into(), target: "/private/links.csv?x".into(), hosts: hosts(&["Localhost:1111"]) }
        );

        // The request line: up to 8 KiB with its line end.
        let line = |length: usize| format!("GET /{} HTTP/1.1\r\n", "a".repeat(length - "GET / HTTP/1.1\r\n".len()));
        assert!(read(format!("{}Host: a\r\n\r\n", line(MAX_REQUEST_LINE)).as_bytes()).is_ok());
        let long = format!("{}Host: a\r\n\r\n", line(MAX_REQUEST_LINE + 1));
        assert!(matches!(read(long.as_bytes()), Err(HeadError::LineTooLong)));

        // The headers: 16 KiB with the blank line that ends them, and 100 lines.
        let start = "GET / HTTP/1.1\r\n";
        let fill = |bytes: usize| format!("X-Fill: {}\r\n", "b".repeat(bytes - "X-Fill: \r\n".len()));
        let fits = format!("{start}{}\r\n", fill(MAX_HEADER_BYTES - 2));
        assert!(read(fits.as_bytes()).is_ok());
        let over = format!("{start}{}\r\n", fill(MAX_HEADER_BYTES - 1));
        assert!(matches!(read(over.as_bytes()), Err(HeadError::HeadersTooLarge)));
        let lines = |n: usize| format!("{start}{}\r\n", "X: y\r\n".repeat(n));
        assert!(read(lines(MAX_HEADER_LINES).as_bytes()).is_ok());
        assert!(matches!(read(lines(MAX_HEADER_LINES + 1).as_bytes()), Err(HeadError::HeadersTooLarge)));

        // A client that never stops sending is read no further than the limits.
        let mut endless = BufReader::new(io::repeat(b'a'));
        assert!(matches!(read_request(&mut endless), Err(HeadError::LineTooLong)));
        let mut endless = BufReader::new(start.as_bytes().chain(io::repeat(b'a')));
        assert!(matches!(read_request(&mut endless), Err(HeadError::HeadersTooLarge)));
        let flood = format!("{start}{}", "X: y\r\n".repeat(100_000));
        let mut cursor = io::Cursor::new(flood.as_bytes());
        assert!(matches!(read_request(&mut cursor), Err(HeadError::HeadersTooLarge)));
        assert!(cursor.position() <= (start.len() + MAX_HEADER_BYTES) as u64);
        // The limits themselves: 8 KiB, 16 KiB, 100 lines.
        assert!(matches!(read(line(8 * 1024 + 1).as_bytes()), Err(HeadError::LineTooLong)));
        let over = format!("{start}{}\r\n", fill(16 * 1024 - 1));
        assert!(matches!(read(over.as_bytes()), Err(HeadError::HeadersTooLarge)));
        assert!(matches!(read(lines(101).as_bytes()), Err(HeadError::HeadersTooLarge)));

        assert!(matches!(read(b"GET /\r\n\r\n"), Err(HeadError::Malformed)));
        assert!(matches!(read(b"GET / HTTP/1.1 extra\r\n\r\n"), Err(HeadError::Malformed)));
        assert!(matches!(read(b"\xff / HTTP/1.1\r\n\r\n"), Err(HeadError::Malformed)));
        assert!(matches!(read(b"GET / HTTP/1.1\r\nHost: a"), Err(HeadError::Io(_))));
    }

    /// The bytes `answer` sends for a request with `host`.
    fn answered(preview: &Path, method: &str, target: &str, host: &[&str]) -> Vec<u8> {
        let request = Request { method: method.into(), target: target.into(), hosts: hosts(host) };
        let Reply::Full(response) = answer(&request, preview, 1111) else { panic!("an event stream") };
        let mut bytes = Vec::new();
        response.write_to(&mut bytes, method == "HEAD").unwrap();
        bytes
    }

    #[test]
    fn other_hosts_get_421_and_no_body() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("private")).unwrap();
        std::fs::write(dir.path().join("private/links.csv"), "patient,link,password\nMarc,x,K7QM\n").unwrap();
        let good = String::from_utf8(answered(dir.path(), "GET", "/private/links.csv", &["127.0.0.1:1111"])).unwrap();
        assert!(good.starts_with("HTTP/1.1 200") && good.ends_with("K7QM\n"), "{good}");
        for host in [&["rebind.attacker.example:1111"][..], &[]] {
            for target in ["/private/links.csv", "/__tarea/events", "/"] {
                let refused = String::from_utf8(answered(dir.path(), "GET", target, host)).unwrap();
                assert!(refused.starts_with("HTTP/1.1 421 Misdirected Request\r\n"), "{refused}");
                assert!(refused.contains("\r\nContent-Length: 0\r\n") && refused.ends_with("\r\n\r\n"), "{refused}");
                assert!(!refused.contains("Content-Type"), "{refused}");
            }
        }
    }

    #[test]
    fn head_gets_the_status_and_headers_of_get_without_the_body() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("public")).unwrap();
        std::fs::write(dir.path().join("public/index.html"), "<body>x</body>").unwrap();
        for target in ["/public/index.html", "/__tarea/live.js", "/missing.pdf", "/"] {
            let get = answered(dir.path(), "GET", target, &["localhost:1111"]);
            let head = answered(dir.path(), "HEAD", target, &["localhost:1111"]);
            let header_end = get.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
            assert_eq!(head, get[..header_end], "{target}");
        }
    }

    #[test]
    fn connections_are_bounded_and_given_back() {
        let open = Arc::new(AtomicUsize::new(0));
        let mut taken: Vec<Slot> = (0..3).map(|_| Slot::take(&open, 3).unwrap()).collect();
        assert!(Slot::take(&open, 3).is_none());
        taken.pop();
        assert!(Slot::take(&open, 3).is_some(), "a closed connection gives its slot back");
        drop(taken);
        assert_eq!(open.load(Ordering::Acquire), 0);
    }

    #[test]
    fn the_private_folder_the_preview_goes_into_ignores_itself() {
        let site = tempfile::tempdir().unwrap();
        std::fs::create_dir(site.path().join(".tarea")).unwrap();
        std::fs::write(site.path().join(".tarea/secret"), "restored from a backup").unwrap();
        crate::token::private_dir(site.path()).unwrap();
        assert_eq!(std::fs::read_to_string(site.path().join(".tarea/.gitignore")).unwrap(), "*\n");
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
