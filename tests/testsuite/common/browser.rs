//! Headless Chromium for the tests, driven over the Chrome DevTools Protocol (CDP), and a tiny
//! static file server to load the built pages from (`http://127.0.0.1:<port>/`, so that
//! `localStorage`, downloads and the Content-Security-Policy behave as on a real host).
//!
//! ```ignore
//! let Some(browser) = Browser::start_or_skip("my_test") else { return };
//! let server = Server::start(&site.path().join("out"));
//! let page = browser.new_page();
//! page.goto(&server.url("public/<token>/index.html"));
//! assert_eq!(page.eval("document.documentElement.lang"), "es");
//! ```
//!
//! Every wait has a deadline ([`DEFAULT_TIMEOUT`], or [`Browser::set_timeout`]); running past it
//! panics with what was awaited, so a test never hangs. When Chromium is not installed the
//! browser tests skip with a loud message, unless `TAREA_BROWSER_TESTS=require` (set by
//! `.ci/run`), which turns a missing browser or axe-core into a failure.

use std::cell::{Cell, RefCell};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tarea::serve::{content_type, percent_decode};

pub use super::launch::DEFAULT_TIMEOUT;
use super::launch::{Socket, StderrTail, found_or_skip, program_path, spawn_listening, stop};

/// What to tell someone whose machine lacks the browser tests' tools.
pub const HOW_TO_INSTALL: &str = "install chromium (apt-get install chromium) and axe-core \
     (npm install --no-save --prefix ~/.cache/tarea/npm axe-core@4), or run .ci/run";

/// Whether a missing browser or axe-core must fail the test (`TAREA_BROWSER_TESTS=require`).
pub fn required() -> bool {
    std::env::var("TAREA_BROWSER_TESTS").is_ok_and(|v| v == "require")
}

/// Reports that `test` cannot run because `missing` is not installed: a panic when the browser
/// tests are [`required`], otherwise a loud note on stderr (the caller then returns).
pub fn skip_or_fail(test: &str, missing: &str) {
    if required() {
        panic!("{test}: {missing}, and TAREA_BROWSER_TESTS=require: {HOW_TO_INSTALL}");
    }
    eprintln!("\n******** {test} skipped: {missing}: {HOW_TO_INSTALL} ********\n");
}

/// The Chromium binary: `$CHROMIUM`, else `/usr/bin/chromium`, else `chromium` on the `PATH`.
pub fn chromium_path() -> Option<PathBuf> {
    program_path("CHROMIUM", &["/usr/bin/chromium", "chromium"])
}

/// Where axe-core's `axe.min.js` is: `$TAREA_AXE_JS`, else the npm cache `.ci/run` fills.
pub fn axe_path() -> PathBuf {
    match std::env::var_os("TAREA_AXE_JS").filter(|p| !p.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
            .join(".cache/tarea/npm/node_modules/axe-core/axe.min.js"),
    }
}

/// axe-core's source, or `None` (after [`skip_or_fail`]) when it is not installed.
pub fn axe_or_skip(test: &str) -> Option<String> {
    let path = axe_path();
    match std::fs::read_to_string(&path) {
        Ok(source) => Some(source),
        Err(e) => {
            skip_or_fail(test, &format!("axe-core is not at {} ({e})", path.display()));
            None
        }
    }
}

/// A running headless Chromium; killed when dropped.
pub struct Browser {
    child: Child,
    cdp: RefCell<Cdp>,
    timeout: Cell<Duration>,
    stderr: StderrTail,
    download_dir: RefCell<Option<PathBuf>>,
    _profile: tempfile::TempDir,
}

/// One tab of a [`Browser`], attached through a flat CDP session.
pub struct Page<'b> {
    browser: &'b Browser,
    session: String,
    target: String,
}

/// A finished download: where it was saved and the name the page suggested.
#[derive(Debug, Clone)]
pub struct Download {
    pub path: PathBuf,
    pub suggested_filename: String,
    pub url: String,
}

impl Browser {
    /// Launches Chromium, or `None` when it is not installed (reported through [`skip_or_fail`]).
    /// Panics when it is installed but does not start.
    pub fn start_or_skip(test: &str) -> Option<Browser> {
        Some(Browser::launch(&found_or_skip(chromium_path(), test, "chromium is not installed")?))
    }

    /// Launches the Chromium at `program` with a fresh profile and connects to it.
    pub fn launch(program: &Path) -> Browser {
        let profile = tempfile::tempdir().expect("a temp dir for the Chromium profile");
        let mut command = Command::new(program);
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-dev-shm-usage",
                "--password-store=basic",
                "--use-mock-keychain",
                "--mute-audio",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank");
        let (child, stderr, ws_url) = spawn_listening(command, program, "DevTools listening on");
        let cdp = Cdp::connect(&ws_url);
        Browser {
            child,
            cdp: RefCell::new(cdp),
            timeout: Cell::new(DEFAULT_TIMEOUT),
            stderr,
            download_dir: RefCell::new(None),
            _profile: profile,
        }
    }

    /// Changes how long each call and wait may take (default [`DEFAULT_TIMEOUT`]).
    pub fn set_timeout(&self, timeout: Duration) {
        self.timeout.set(timeout);
    }

    /// The last lines Chromium wrote to stderr, for diagnostics.
    pub fn stderr_tail(&self) -> String {
        self.stderr.text()
    }

    /// Sends a browser-level CDP command and returns its result; panics on a CDP error.
    pub fn call(&self, method: &str, params: Value) -> Value {
        self.try_call(None, method, params).unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    fn try_call(&self, session: Option<&str>, method: &str, params: Value) -> Result<Value, String> {
        self.cdp.borrow_mut().call(session, method, params, self.timeout.get())
    }

    /// Waits for the event `method` (of `session`, or browser-level when `None`) for which
    /// `matches` holds, and returns its params. Events that arrived earlier count too.
    pub fn wait_event(&self, session: Option<&str>, method: &str, matches: impl Fn(&Value) -> bool) -> Value {
        self.cdp.borrow_mut().wait_event(session, method, &matches, self.timeout.get())
    }

    /// A new tab on `about:blank`, with the Page, Runtime and Log domains enabled, and behaving
    /// as the focused window (so that focus, `:focus-visible` and Tab work in every tab).
    pub fn new_page(&self) -> Page<'_> {
        let target = self.call("Target.createTarget", json!({ "url": "about:blank" }))["targetId"]
            .as_str()
            .expect("a target id")
            .to_string();
        let session = self.call("Target.attachToTarget", json!({ "targetId": target, "flatten": true }))["sessionId"]
            .as_str()
            .expect("a session id")
            .to_string();
        let page = Page { browser: self, session, target };
        for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
            page.call(domain, json!({}));
        }
        page.call("Emulation.setFocusEmulationEnabled", json!({ "enabled": true }));
        page
    }

    /// Saves every download (also those of `<a download href="blob:…">`) into `dir`, and reports
    /// them to [`Browser::wait_download`].
    pub fn set_download_dir(&self, dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        let dir = dir.canonicalize().unwrap();
        self.call(
            "Browser.setDownloadBehavior",
            json!({ "behavior": "allowAndName", "downloadPath": dir, "eventsEnabled": true }),
        );
        *self.download_dir.borrow_mut() = Some(dir);
    }

    /// Waits for the next download to begin and complete, and returns it, saved under the name
    /// the page suggested in the download folder (see [`Browser::set_download_dir`]).
    pub fn wait_download(&self) -> Download {
        let dir = self.download_dir.borrow().clone().expect("call set_download_dir before waiting for a download");
        let begun = self.wait_event(None, "Browser.downloadWillBegin", |_| true);
        let guid = begun["guid"].as_str().unwrap().to_string();
        let done = self
            .wait_event(None, "Browser.downloadProgress", |e| e["guid"] == guid.as_str() && e["state"] != "inProgress");
        let name = begun["suggestedFilename"].as_str().unwrap_or_default().to_string();
        let url = begun["url"].as_str().unwrap_or_default().to_string();
        assert_eq!(done["state"], "completed", "the download of {url} ({name}) did not complete: {done}");
        let saved = dir.join(&guid);
        let path = if name.is_empty() || name.contains('/') { saved } else { dir.join(&name) };
        if path != dir.join(&guid) {
            std::fs::rename(dir.join(&guid), &path).unwrap();
        }
        Download { path, suggested_filename: name, url }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ask politely, then make sure; never panic here (this may run while a test unwinds).
        if let Ok(mut cdp) = self.cdp.try_borrow_mut() {
            let _ = cdp.socket.send(json!({ "method": "Browser.close", "params": {} }));
        }
        stop(&mut self.child, Duration::from_secs(3));
    }
}

impl Page<'_> {
    /// The browser this tab belongs to.
    pub fn browser(&self) -> &Browser {
        self.browser
    }

    /// Sends a CDP command to this tab and returns its result; panics on a CDP error.
    pub fn call(&self, method: &str, params: Value) -> Value {
        self.try_call(method, params).unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    /// Like [`Page::call`], returning a CDP error instead of panicking.
    pub fn try_call(&self, method: &str, params: Value) -> Result<Value, String> {
        self.browser.try_call(Some(&self.session), method, params)
    }

    /// Waits for this tab's event `method` for which `matches` holds (see [`Browser::wait_event`]).
    pub fn wait_event(&self, method: &str, matches: impl Fn(&Value) -> bool) -> Value {
        self.browser.wait_event(Some(&self.session), method, matches)
    }

    fn forget_loads(&self) {
        let session = self.session.as_str();
        self.browser
            .cdp
            .borrow_mut()
            .socket
            .events
            .retain(|e| !(e["method"] == "Page.loadEventFired" && e["sessionId"] == session));
    }

    /// Opens `url` and waits for its `load` event. Panics when the navigation fails.
    pub fn goto(&self, url: &str) {
        self.forget_loads();
        let result = self.call("Page.navigate", json!({ "url": url }));
        if let Some(error) = result["errorText"].as_str().filter(|e| !e.is_empty()) {
            panic!("could not open {url}: {error}");
        }
        self.wait_load();
    }

    /// Reloads the page and waits for its `load` event.
    pub fn reload(&self) {
        self.forget_loads();
        self.call("Page.reload", json!({}));
        self.wait_load();
    }

    /// Waits for the next `load` event of this tab (after a click that navigates, say).
    pub fn wait_load(&self) {
        self.wait_event("Page.loadEventFired", |_| true);
    }

    /// Runs `f` (a click on a link, say) and waits for the page it opens to load.
    pub fn expect_navigation<T>(&self, f: impl FnOnce() -> T) -> T {
        self.forget_loads();
        let out = f();
        self.wait_load();
        out
    }

    /// Evaluates `js` in the page (awaiting a returned promise) and returns its value as JSON
    /// (`null` for `undefined`). A thrown exception panics with its message.
    pub fn eval(&self, js: &str) -> Value {
        self.try_eval(js).unwrap_or_else(|e| panic!("evaluating {}: {e}", shorten(js)))
    }

    /// Like [`Page::eval`], returning the exception's message instead of panicking.
    pub fn try_eval(&self, js: &str) -> Result<Value, String> {
        let result = self.try_call(
            "Runtime.evaluate",
            json!({ "expression": js, "awaitPromise": true, "returnByValue": true, "userGesture": true }),
        )?;
        if let Some(details) = result.get("exceptionDetails") {
            let message = details["exception"]["description"]
                .as_str()
                .or_else(|| details["text"].as_str())
                .unwrap_or("an exception")
                .to_string();
            return Err(message);
        }
        Ok(result["result"].get("value").cloned().unwrap_or(Value::Null))
    }

    /// Polls `js` until it returns a truthy value (errors count as "not yet", so this also waits
    /// across navigations) and returns that value; panics after the timeout.
    pub fn wait_for(&self, js: &str) -> Value {
        wait_truthy(js, self.browser.timeout.get(), |js| self.try_eval(js))
    }

    /// Emulates a screen of `width`×`height` CSS pixels; `mobile` also honours the page's
    /// `<meta name="viewport">` as a phone does.
    pub fn set_viewport(&self, width: u32, height: u32, mobile: bool) {
        let scale = if mobile { 2 } else { 1 };
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile }),
        );
    }

    /// Sets this tab's clock to `local` (`2026-11-28T12:00:00`, the device's local time) for every
    /// page it opens from now on: `Date` runs on from there, shifted, so timers still work.
    pub fn set_clock(&self, local: &str) {
        let script = format!(
            "(() => {{ const Real = Date; const shift = new Real({}).getTime() - Real.now();
               class Shifted extends Real {{
                 constructor(...args) {{ if (args.length) super(...args); else super(Real.now() + shift); }}
                 static now() {{ return Real.now() + shift; }}
               }}
               globalThis.Date = Shifted; }})()",
            json!(local)
        );
        self.call("Page.addScriptToEvaluateOnNewDocument", json!({ "source": script }));
    }

    /// Waits until the web fonts are in and two frames are drawn: the layout is final, and media
    /// query listeners (after `Emulation.setEmulatedMedia`, say) have run.
    pub fn settle(&self) {
        self.eval(
            "document.fonts.ready.then(() => new Promise(done => \
             requestAnimationFrame(() => requestAnimationFrame(() => done(true)))))",
        );
    }

    /// Back to the default window size.
    pub fn clear_viewport(&self) {
        self.call("Emulation.clearDeviceMetricsOverride", json!({}));
    }

    /// Saves downloads into `dir`; see [`Browser::set_download_dir`] and [`Browser::wait_download`].
    pub fn set_download_dir(&self, dir: &Path) {
        self.browser.set_download_dir(dir);
    }

    /// Waits for the next download to complete (see [`Browser::wait_download`]).
    pub fn wait_download(&self) -> Download {
        self.browser.wait_download()
    }

    /// Scrolls the first element matching `selector` into view and clicks its centre with the
    /// mouse, as a person would. Panics when nothing matches.
    pub fn click(&self, selector: &str) {
        let js = format!(
            // Fonts loaded and two frames drawn after scrolling: the element is where the mouse
            // will land (a late web font or a page swapped in place can still move it otherwise).
            "(async () => {{ await document.fonts.ready; const e = document.querySelector({}); if (!e) return null; \
             e.scrollIntoView({{ block: 'center', inline: 'center' }}); \
             await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done))); \
             const r = e.getBoundingClientRect(); \
             return [r.left + r.width / 2, r.top + r.height / 2]; }})()",
            json!(selector)
        );
        let at = self.eval(&js);
        let (Some(x), Some(y)) = (at[0].as_f64(), at[1].as_f64()) else { panic!("nothing matches {selector}") };
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({ "type": kind, "x": x, "y": y, "button": "left", "buttons": 1, "clickCount": 1 }),
            );
        }
    }

    /// Focuses the first element matching `selector`. Panics when nothing matches.
    pub fn focus(&self, selector: &str) {
        assert_eq!(self.eval(&focus_script(selector)), true, "nothing matches {selector}");
    }

    /// Types `text` into the focused element as the keyboard would (`input` events fire).
    pub fn type_text(&self, text: &str) {
        self.call("Input.insertText", json!({ "text": text }));
    }

    /// Presses and releases a key: `Tab`, `Shift+Tab`, `Enter`, `Space`, `Escape`, `Backspace`,
    /// `ArrowUp`/`Down`/`Left`/`Right`, `Home`, `End`, or one printable character.
    pub fn press(&self, key: &str) {
        let (shift, key) = match key.strip_prefix("Shift+") {
            Some(rest) => (true, rest),
            None => (false, key),
        };
        let (key, code, vk, text) = match key {
            "Tab" => ("Tab", "Tab".to_string(), 9, ""),
            "Enter" => ("Enter", "Enter".to_string(), 13, "\r"),
            "Space" | " " => (" ", "Space".to_string(), 32, " "),
            "Escape" => ("Escape", "Escape".to_string(), 27, ""),
            "Backspace" => ("Backspace", "Backspace".to_string(), 8, ""),
            "ArrowLeft" => ("ArrowLeft", "ArrowLeft".to_string(), 37, ""),
            "ArrowUp" => ("ArrowUp", "ArrowUp".to_string(), 38, ""),
            "ArrowRight" => ("ArrowRight", "ArrowRight".to_string(), 39, ""),
            "ArrowDown" => ("ArrowDown", "ArrowDown".to_string(), 40, ""),
            "Home" => ("Home", "Home".to_string(), 36, ""),
            "End" => ("End", "End".to_string(), 35, ""),
            one if one.chars().count() == 1 => {
                let c = one.chars().next().unwrap();
                let upper = c.to_ascii_uppercase();
                let code = if c.is_ascii_alphabetic() {
                    format!("Key{upper}")
                } else if c.is_ascii_digit() {
                    format!("Digit{c}")
                } else {
                    String::new()
                };
                (one, code, upper as u32, one)
            }
            other => panic!("press: unknown key {other:?}"),
        };
        let modifiers = if shift { 8 } else { 0 };
        let down = if text.is_empty() { "rawKeyDown" } else { "keyDown" };
        self.call(
            "Input.dispatchKeyEvent",
            json!({ "type": down, "key": key, "code": code, "windowsVirtualKeyCode": vk,
                    "nativeVirtualKeyCode": vk, "text": text, "unmodifiedText": text, "modifiers": modifiers }),
        );
        self.call(
            "Input.dispatchKeyEvent",
            json!({ "type": "keyUp", "key": key, "code": code, "windowsVirtualKeyCode": vk,
                    "nativeVirtualKeyCode": vk, "modifiers": modifiers }),
        );
    }

    /// What the page reported as errors since the last call: uncaught exceptions, console
    /// errors, and browser log errors such as Content-Security-Policy violations and failed loads.
    pub fn errors(&self) -> Vec<String> {
        let mut cdp = self.browser.cdp.borrow_mut();
        cdp.socket.pump(|_| true).unwrap_or_else(|e| panic!("{e}"));
        let session = self.session.as_str();
        let mut errors = Vec::new();
        cdp.socket.events.retain(|e| {
            if e["sessionId"] != session {
                return true;
            }
            let p = &e["params"];
            let message = match e["method"].as_str() {
                Some("Runtime.exceptionThrown") => {
                    let d = &p["exceptionDetails"];
                    Some(d["exception"]["description"].as_str().or(d["text"].as_str()).unwrap_or("?").to_string())
                }
                Some("Runtime.consoleAPICalled") if p["type"] == "error" || p["type"] == "assert" => Some(
                    p["args"]
                        .as_array()
                        .map(|args| {
                            args.iter()
                                .map(|a| {
                                    a["value"]
                                        .as_str()
                                        .map(String::from)
                                        .unwrap_or_else(|| a["description"].to_string())
                                })
                                .collect::<Vec<_>>()
                                .join(" ")
                        })
                        .unwrap_or_default(),
                ),
                Some("Log.entryAdded") if p["entry"]["level"] == "error" => Some(format!(
                    "{} ({})",
                    p["entry"]["text"].as_str().unwrap_or("?"),
                    p["entry"]["url"].as_str().unwrap_or("")
                )),
                _ => None,
            };
            match message {
                Some(m) => {
                    errors.push(m);
                    false
                }
                None => true,
            }
        });
        errors
    }

    /// Asserts that the page reported no errors since the last call (see [`Page::errors`]).
    pub fn assert_no_errors(&self) {
        let errors = self.errors();
        assert!(errors.is_empty(), "errors in the page: {errors:?}");
    }
}

impl Drop for Page<'_> {
    fn drop(&mut self) {
        if let Ok(mut cdp) = self.browser.cdp.try_borrow_mut() {
            let _ = cdp.socket.send(json!({ "method": "Target.closeTarget", "params": { "targetId": self.target } }));
        }
    }
}

/// At most 200 bytes of a script, for a message.
pub fn shorten(js: &str) -> String {
    if js.len() <= 200 {
        js.to_string()
    } else {
        let mut end = 200;
        while !js.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}… ({} bytes)", &js[..end], js.len())
    }
}

/// Polls `try_eval` of `js` until it returns a truthy value (errors count as "not yet", so this
/// also waits across navigations) and returns that value; panics after `timeout`.
pub fn wait_truthy(js: &str, timeout: Duration, try_eval: impl Fn(&str) -> Result<Value, String>) -> Value {
    let deadline = Instant::now() + timeout;
    loop {
        let last = match try_eval(js) {
            Ok(v) if !matches!(&v, Value::Null | Value::Bool(false)) && v != json!(0) && v != json!("") => {
                return v;
            }
            Ok(v) => format!("it returned {v}"),
            Err(e) => format!("it threw {e}"),
        };
        if Instant::now() > deadline {
            panic!("waited {timeout:?} for `{}`; last {last}", shorten(js));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A script that focuses the first element matching `selector` and returns whether there was one.
pub fn focus_script(selector: &str) -> String {
    format!(
        "(() => {{ const e = document.querySelector({}); if (!e) return false; e.focus(); return true; }})()",
        json!(selector)
    )
}

/// The DevTools WebSocket: commands and their responses, and the events that arrive meanwhile.
struct Cdp {
    socket: Socket,
}

impl Cdp {
    fn connect(url: &str) -> Cdp {
        Cdp { socket: Socket::connect("DevTools", url).unwrap_or_else(|e| panic!("{e}")) }
    }

    /// The next message, or `None` when none arrived within [`super::launch::POLL`]; panics when
    /// Chromium went away.
    fn read(&mut self) -> Option<Value> {
        self.socket.read().unwrap_or_else(|e| panic!("{e}"))
    }

    fn call(&mut self, session: Option<&str>, method: &str, params: Value, timeout: Duration) -> Result<Value, String> {
        let mut command = json!({ "method": method, "params": params });
        if let Some(session) = session {
            command["sessionId"] = json!(session);
        }
        let id = self.socket.send(command).unwrap_or_else(|e| panic!("sending {method}: {e}"));
        let deadline = Instant::now() + timeout;
        loop {
            match self.read() {
                Some(message) if message["id"] == id => {
                    if let Some(error) = message.get("error") {
                        return Err(format!("{} ({})", error["message"].as_str().unwrap_or("?"), error["data"]));
                    }
                    return Ok(message["result"].clone());
                }
                Some(message) if message.get("method").is_some() => self.socket.keep(message),
                Some(_) => {}
                None => {}
            }
            if Instant::now() > deadline {
                panic!("no answer to {method} within {timeout:?}");
            }
        }
    }

    fn wait_event(
        &mut self,
        session: Option<&str>,
        method: &str,
        matches: &dyn Fn(&Value) -> bool,
        timeout: Duration,
    ) -> Value {
        let fits = |e: &Value| {
            e["method"] == method
                && match session {
                    Some(s) => e["sessionId"] == s,
                    None => e.get("sessionId").is_none(),
                }
                && matches(&e["params"])
        };
        if let Some(at) = self.socket.events.iter().position(fits) {
            return self.socket.events.remove(at).unwrap()["params"].clone();
        }
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(message) = self.read() {
                if fits(&message) {
                    return message["params"].clone();
                }
                if message.get("method").is_some() {
                    self.socket.keep(message);
                }
            }
            if Instant::now() > deadline {
                panic!("no {method} event within {timeout:?}");
            }
        }
    }
}

/// A static file server for one folder, on `127.0.0.1` and a free port; stops when dropped.
///
/// Content types follow the file extension; a folder serves its `index.html`; anything else is
/// a 404. Like Netlify and Cloudflare Pages, a `_headers` file applies its headers to the files
/// below its folder (`/*` and exact paths), and is not served itself.
pub struct Server {
    address: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves `root` until dropped.
    pub fn start(root: &Path) -> Server {
        let root = root.canonicalize().unwrap_or_else(|e| panic!("serving {}: {e}", root.display()));
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port on 127.0.0.1");
        let address = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let root = root.clone();
                std::thread::spawn(move || {
                    let _ = serve(&root, stream);
                });
            }
        });
        Server { address, stop, thread: Some(thread) }
    }

    /// `http://127.0.0.1:<port>/`.
    pub fn base(&self) -> String {
        format!("http://{}/", self.address)
    }

    /// The URL of `path` (relative to the served folder; a leading `/` is allowed).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base(), path.trim_start_matches('/'))
    }

    /// Fetches `path` without a browser: the status, the headers (names lower-cased) and the body.
    pub fn get(&self, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let mut stream = TcpStream::connect_timeout(&self.address, DEFAULT_TIMEOUT).unwrap();
        stream.set_read_timeout(Some(DEFAULT_TIMEOUT)).unwrap();
        let request = format!(
            "GET /{} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            path.trim_start_matches('/'),
            self.address
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let split = response.windows(4).position(|w| w == b"\r\n\r\n").expect("a response head");
        let head = String::from_utf8_lossy(&response[..split]).to_string();
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap().split_whitespace().nth(1).unwrap().parse().unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
            .collect();
        (status, headers, response[split + 4..].to_vec())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The headers a `_headers` file in `dir` sets for `relative` (a `/`-led path below `dir`).
fn headers_from(dir: &Path, relative: &str) -> Vec<(String, String)> {
    let Ok(text) = std::fs::read_to_string(dir.join("_headers")) else { return Vec::new() };
    let mut headers = Vec::new();
    let mut applies = false;
    for line in text.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if !line.starts_with([' ', '\t']) {
            let pattern = line.trim();
            applies = match pattern.strip_suffix('*') {
                Some(prefix) => relative.starts_with(prefix),
                None => relative == pattern,
            };
        } else if applies && let Some((name, value)) = line.trim().split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    headers
}

fn serve(root: &Path, mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buffer)?;
        if n == 0 || head.len() > 64 * 1024 {
            return Ok(());
        }
        head.extend_from_slice(&buffer[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let mut words = head.lines().next().unwrap_or_default().split_whitespace();
    let method = words.next().unwrap_or_default().to_string();
    let target = words.next().unwrap_or_default();
    let raw_path = target.split(['?', '#']).next().unwrap_or_default();

    let respond = |stream: &mut TcpStream, status: &str, headers: &[(String, String)], body: &[u8]| {
        let mut response = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
        for (name, value) in headers {
            response.push_str(&format!("{name}: {value}\r\n"));
        }
        response.push_str("\r\n");
        stream.write_all(response.as_bytes())?;
        if method != "HEAD" {
            stream.write_all(body)?;
        }
        stream.flush()
    };
    let not_found = |stream: &mut TcpStream| {
        let plain = [("Content-Type".to_string(), "text/plain; charset=utf-8".to_string())];
        respond(stream, "404 Not Found", &plain, b"not found\n")
    };

    if method != "GET" && method != "HEAD" {
        let plain = [("Allow".to_string(), "GET, HEAD".to_string())];
        return respond(&mut stream, "405 Method Not Allowed", &plain, b"");
    }
    let Some(decoded) = percent_decode(raw_path) else { return not_found(&mut stream) };
    let relative = Path::new(decoded.trim_start_matches('/'));
    if relative.components().any(|c| !matches!(c, Component::Normal(_))) {
        return not_found(&mut stream);
    }
    let mut file = root.join(relative);
    if file.is_dir() {
        file.push("index.html");
    }
    if !file.is_file() || file.file_name().is_some_and(|n| n == "_headers") {
        return not_found(&mut stream);
    }
    let body = std::fs::read(&file)?;
    let mut headers = vec![("Content-Type".to_string(), content_type(&file))];
    // The nearest `_headers` above the file, as a host serving that folder would apply it.
    let mut dir = file.parent();
    while let Some(d) = dir.filter(|d| d.starts_with(root)) {
        if d.join("_headers").is_file() {
            let below = file.strip_prefix(d).unwrap().to_string_lossy().replace('\\', "/");
            headers.extend(headers_from(d, &format!("/{below}")));
            break;
        }
        dir = d.parent();
    }
    respond(&mut stream, "200 OK", &headers, &body)
}
