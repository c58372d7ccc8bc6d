//! Headless Firefox for the tests, driven over WebDriver BiDi (Firefox's own remote protocol; its
//! CDP support is gone). The pages come from [`super::browser::Server`], as for Chromium.
//!
//! ```ignore
//! let Some(firefox) = Firefox::start_or_skip("my_test") else { return };
//! let server = Server::start(&site.path().join("out"));
//! firefox.goto(&server.url("public/<token>/index.html"));
//! assert_eq!(firefox.eval("document.documentElement.lang"), "es");
//! ```
//!
//! One Firefox, one tab. Every call and wait has a deadline ([`DEFAULT_TIMEOUT`]); running past
//! it panics with what was awaited. When Firefox is not installed the test skips, or fails under
//! `TAREA_BROWSER_TESTS=require` (see [`super::browser::skip_or_fail`]).

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Map, Value, json};

pub use super::browser::Download;
use super::browser::{focus_script, shorten, wait_truthy};
pub use super::launch::DEFAULT_TIMEOUT;
use super::launch::{Socket, StderrTail, found_or_skip, program_path, spawn_listening, stop};

/// Preferences for a quiet headless run in a closed network: nothing to update, report, sync or
/// fetch at startup, no first-run pages or prompts. Written to the fresh profile's `user.js`.
const PREFS: &[(&str, &str)] = &[
    ("app.normandy.api_url", "\"\""),
    ("app.normandy.enabled", "false"),
    ("app.shield.optoutstudies.enabled", "false"),
    ("app.update.auto", "false"),
    ("app.update.checkInstallTime", "false"),
    ("app.update.disabledForTesting", "true"),
    ("app.update.enabled", "false"),
    ("browser.aboutwelcome.enabled", "false"),
    ("browser.backup.enabled", "false"),
    ("browser.backup.scheduled.enabled", "false"),
    ("browser.discovery.enabled", "false"),
    ("browser.newtabpage.enabled", "false"),
    ("browser.newtabpage.activity-stream.feeds.system.topstories", "false"),
    ("browser.newtabpage.activity-stream.feeds.telemetry", "false"),
    ("browser.newtabpage.activity-stream.telemetry", "false"),
    ("browser.ping-centre.telemetry", "false"),
    ("browser.safebrowsing.blockedURIs.enabled", "false"),
    ("browser.safebrowsing.downloads.enabled", "false"),
    ("browser.safebrowsing.downloads.remote.enabled", "false"),
    ("browser.safebrowsing.malware.enabled", "false"),
    ("browser.safebrowsing.phishing.enabled", "false"),
    ("browser.safebrowsing.provider.google4.updateURL", "\"\""),
    ("browser.safebrowsing.provider.mozilla.updateURL", "\"\""),
    ("browser.search.update", "false"),
    ("browser.sessionstore.resume_from_crash", "false"),
    ("browser.shell.checkDefaultBrowser", "false"),
    ("browser.startup.homepage", "\"about:blank\""),
    ("browser.startup.homepage_override.mstone", "\"ignore\""),
    ("browser.startup.page", "0"),
    ("browser.tabs.warnOnClose", "false"),
    ("browser.topsites.contile.enabled", "false"),
    ("browser.translations.automaticallyPopup", "false"),
    ("browser.uitour.enabled", "false"),
    ("browser.urlbar.suggest.searches", "false"),
    ("browser.warnOnQuit", "false"),
    ("datareporting.healthreport.uploadEnabled", "false"),
    ("datareporting.policy.dataSubmissionEnabled", "false"),
    ("datareporting.policy.dataSubmissionPolicyBypassNotification", "true"),
    ("datareporting.usage.uploadEnabled", "false"),
    ("extensions.getAddons.cache.enabled", "false"),
    ("extensions.update.enabled", "false"),
    ("extensions.blocklist.enabled", "false"),
    ("focusmanager.testmode", "true"),
    ("identity.fxaccounts.enabled", "false"),
    ("media.gmp-manager.updateEnabled", "false"),
    ("messaging-system.rsexperimentloader.enabled", "false"),
    ("network.captive-portal-service.enabled", "false"),
    ("network.connectivity-service.enabled", "false"),
    ("network.dns.disablePrefetch", "true"),
    ("network.http.speculative-parallel-limit", "0"),
    ("network.prefetch-next", "false"),
    ("nimbus.rollouts.enabled", "false"),
    ("privacy.trackingprotection.enabled", "false"),
    ("security.OCSP.enabled", "0"),
    ("security.remote_settings.crlite_filters.enabled", "false"),
    ("security.remote_settings.intermediates.enabled", "false"),
    ("services.settings.server", "\"data:,#remote-settings-dummy/v1\""),
    ("services.sync.engine.addons", "false"),
    ("signon.rememberSignons", "false"),
    ("startup.homepage_welcome_url", "\"about:blank\""),
    ("startup.homepage_welcome_url.additional", "\"\""),
    ("toolkit.telemetry.archive.enabled", "false"),
    ("toolkit.telemetry.enabled", "false"),
    ("toolkit.telemetry.server", "\"data:,\""),
    ("toolkit.telemetry.unified", "false"),
    ("toolkit.telemetry.updatePing.enabled", "false"),
];

/// The Firefox binary: `$FIREFOX`, else `firefox-esr`, else `firefox` on the `PATH`.
pub fn firefox_path() -> Option<PathBuf> {
    program_path("FIREFOX", &["firefox-esr", "firefox"])
}

/// A running headless Firefox with one tab; killed (and its profile deleted) when dropped.
pub struct Firefox {
    child: Child,
    bidi: RefCell<Bidi>,
    context: String,
    stderr: StderrTail,
    profile: Option<tempfile::TempDir>,
}

impl Firefox {
    /// Launches Firefox, or `None` when it is not installed (reported through
    /// [`super::browser::skip_or_fail`]). Panics when it is installed but does not start.
    pub fn start_or_skip(test: &str) -> Option<Firefox> {
        let missing = "firefox is not installed (apt-get install firefox-esr, or set $FIREFOX)";
        Some(Firefox::launch(&found_or_skip(firefox_path(), test, missing)?))
    }

    /// Launches the Firefox at `program` with a fresh profile, opens a BiDi session, subscribes
    /// to the page log and takes the window's tab.
    pub fn launch(program: &Path) -> Firefox {
        let profile = tempfile::tempdir().expect("a temp dir for the Firefox profile");
        let user_js: String = PREFS.iter().map(|(name, value)| format!("user_pref(\"{name}\", {value});\n")).collect();
        std::fs::write(profile.path().join("user.js"), user_js).expect("writing the profile's user.js");
        let mut command = Command::new(program);
        command
            .args(["--headless", "--remote-debugging-port=0", "--no-remote", "--profile"])
            .arg(profile.path())
            .arg("about:blank")
            // No desktop session to talk to, and no crash reporter to wait for.
            .env("MOZ_CRASHREPORTER_DISABLE", "1")
            .env("MOZ_DISABLE_AUTO_SAFE_MODE", "1")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("DBUS_SESSION_BUS_ADDRESS");
        let (mut child, stderr, ws_url) = spawn_listening(command, program, "WebDriver BiDi listening on");
        let bidi = match Bidi::connect(&ws_url) {
            Ok(bidi) => bidi,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{e}; Firefox's stderr:\n{}", stderr.text());
            }
        };
        let mut firefox =
            Firefox { child, bidi: RefCell::new(bidi), context: String::new(), stderr, profile: Some(profile) };
        firefox.call("session.new", json!({ "capabilities": {} }));
        firefox.call("session.subscribe", json!({ "events": ["log.entryAdded"] }));
        let tree = firefox.call("browsingContext.getTree", json!({ "maxDepth": 0 }));
        firefox.context = match tree["contexts"][0]["context"].as_str() {
            Some(context) => context.to_string(),
            None => firefox.call("browsingContext.create", json!({ "type": "tab" }))["context"]
                .as_str()
                .expect("a browsing context id")
                .to_string(),
        };
        firefox
    }

    /// The last lines Firefox wrote to stderr, for diagnostics.
    pub fn stderr_tail(&self) -> String {
        self.stderr.text()
    }

    /// Sends a BiDi command and returns its result; panics on an error.
    pub fn call(&self, method: &str, params: Value) -> Value {
        self.try_call(method, params).unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    /// Like [`Firefox::call`], returning a BiDi error instead of panicking.
    pub fn try_call(&self, method: &str, params: Value) -> Result<Value, String> {
        let result = self.bidi.borrow_mut().call(method, params, DEFAULT_TIMEOUT);
        if let Err(e) = &result
            && e.starts_with("disconnected")
        {
            panic!("{method}: {e}; Firefox's stderr:\n{}", self.stderr_tail());
        }
        result
    }

    /// Opens `url` and waits for its `load` event. Panics when the navigation fails.
    pub fn goto(&self, url: &str) {
        self.try_call("browsingContext.navigate", json!({ "context": self.context, "url": url, "wait": "complete" }))
            .unwrap_or_else(|e| panic!("could not open {url}: {e}"));
    }

    /// Reloads the page and waits for its `load` event.
    pub fn reload(&self) {
        self.call("browsingContext.reload", json!({ "context": self.context, "wait": "complete" }));
    }

    /// Evaluates `js` in the page (awaiting a returned promise, as after a user's gesture) and
    /// returns its value as JSON (`null` for `undefined`; DOM nodes and other handles stay as
    /// BiDi's remote values). A thrown exception panics with its message.
    pub fn eval(&self, js: &str) -> Value {
        self.try_eval(js).unwrap_or_else(|e| panic!("evaluating {}: {e}", shorten(js)))
    }

    /// Like [`Firefox::eval`], returning the exception's message (or the BiDi error, such as a
    /// page that is being replaced) instead of panicking.
    pub fn try_eval(&self, js: &str) -> Result<Value, String> {
        let result = self.try_call(
            "script.evaluate",
            json!({
                "expression": js,
                "target": { "context": self.context },
                "awaitPromise": true,
                "resultOwnership": "none",
                "userActivation": true,
            }),
        )?;
        match result["type"].as_str() {
            Some("success") => Ok(remote_to_json(&result["result"])),
            Some("exception") => {
                let details = &result["exceptionDetails"];
                Err(details["text"].as_str().map(String::from).unwrap_or_else(|| details.to_string()))
            }
            _ => Err(format!("an unexpected answer: {result}")),
        }
    }

    /// Polls `js` until it returns a truthy value (errors count as "not yet") and returns that
    /// value; panics after [`DEFAULT_TIMEOUT`].
    pub fn wait_for(&self, js: &str) -> Value {
        wait_truthy(js, DEFAULT_TIMEOUT, |js| self.try_eval(js))
    }

    /// Scrolls the first element matching `selector` into view and clicks its centre with the
    /// mouse, as a person would. Panics when nothing matches.
    pub fn click(&self, selector: &str) {
        let js = format!(
            "(() => {{ const e = document.querySelector({}); if (!e) return null; \
             e.scrollIntoView({{ block: 'center', inline: 'center' }}); const r = e.getBoundingClientRect(); \
             return [Math.round(r.left + r.width / 2), Math.round(r.top + r.height / 2)]; }})()",
            json!(selector)
        );
        let at = self.eval(&js);
        let (Some(x), Some(y)) = (at[0].as_i64(), at[1].as_i64()) else { panic!("nothing matches {selector}") };
        let pointer = json!({
            "type": "pointer",
            "id": "mouse",
            "parameters": { "pointerType": "mouse" },
            "actions": [
                { "type": "pointerMove", "x": x, "y": y, "origin": "viewport" },
                { "type": "pointerDown", "button": 0 },
                { "type": "pointerUp", "button": 0 },
            ],
        });
        self.call("input.performActions", json!({ "context": self.context, "actions": [pointer] }));
    }

    /// Focuses the first element matching `selector`. Panics when nothing matches.
    pub fn focus(&self, selector: &str) {
        assert_eq!(self.eval(&focus_script(selector)), true, "nothing matches {selector}");
    }

    /// Types `text` into the focused element key by key (one key per character).
    pub fn type_text(&self, text: &str) {
        let actions: Vec<Value> = text
            .chars()
            .flat_map(|c| {
                let key = c.to_string();
                [json!({ "type": "keyDown", "value": key }), json!({ "type": "keyUp", "value": key })]
            })
            .collect();
        let keyboard = json!({ "type": "key", "id": "keyboard", "actions": actions });
        self.call("input.performActions", json!({ "context": self.context, "actions": [keyboard] }));
    }

    /// Presses and releases a key: `Enter`, `Tab`, `Escape`, `Backspace`, or one character.
    pub fn press(&self, key: &str) {
        let value = match key {
            "Enter" => "\u{E007}",
            "Tab" => "\u{E004}",
            "Escape" => "\u{E00C}",
            "Backspace" => "\u{E003}",
            one if one.chars().count() == 1 => one,
            other => panic!("press: unknown key {other:?}"),
        };
        self.type_text(value);
    }

    /// The page printed to PDF (Firefox's own print layout, A4 by default).
    pub fn print_pdf(&self) -> Vec<u8> {
        let result = self.call("browsingContext.print", json!({ "context": self.context, "background": true }));
        let data = result["data"].as_str().expect("base64 PDF data");
        base64::engine::general_purpose::STANDARD.decode(data).expect("browsingContext.print sends base64")
    }

    /// Saves every download (also those of `<a download href="blob:…">`) into `dir`, and reports
    /// them to [`Firefox::wait_download`].
    pub fn set_download_dir(&self, dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        let dir = dir.canonicalize().unwrap();
        let events = ["browsingContext.downloadWillBegin", "browsingContext.downloadEnd"];
        self.call("session.subscribe", json!({ "events": events }));
        self.call(
            "browser.setDownloadBehavior",
            json!({ "downloadBehavior": { "type": "allowed", "destinationFolder": dir } }),
        );
    }

    /// Waits for the next download to begin and complete, and returns it (see
    /// [`Firefox::set_download_dir`]).
    pub fn wait_download(&self) -> Download {
        let begun = self.wait_event("browsingContext.downloadWillBegin", |_| true);
        let navigation = begun["navigation"].clone();
        let done = self.wait_event("browsingContext.downloadEnd", |e| e["navigation"] == navigation);
        let url = begun["url"].as_str().unwrap_or_default().to_string();
        let suggested_filename = begun["suggestedFilename"].as_str().unwrap_or_default().to_string();
        assert_eq!(done["status"], "complete", "the download of {url} ({suggested_filename}) did not complete: {done}");
        let path = PathBuf::from(done["filepath"].as_str().expect("the downloaded file's path"));
        Download { path, suggested_filename, url }
    }

    /// Waits for the event `method` for which `matches` holds, and returns its params. Events
    /// that arrived earlier (since the subscription) count too.
    pub fn wait_event(&self, method: &str, matches: impl Fn(&Value) -> bool) -> Value {
        let result = self.bidi.borrow_mut().wait_event(method, &matches, DEFAULT_TIMEOUT);
        result.unwrap_or_else(|e| panic!("waiting for {method}: {e}; Firefox's stderr:\n{}", self.stderr_tail()))
    }

    /// What the page logged as errors since the last call: uncaught exceptions and
    /// `console.error`s (BiDi `log.entryAdded` at level `error`), with where they came from.
    pub fn errors(&self) -> Vec<String> {
        let mut bidi = self.bidi.borrow_mut();
        bidi.pump();
        let mut errors = Vec::new();
        bidi.socket.events.retain(|e| {
            if e["method"] != "log.entryAdded" {
                return true;
            }
            let p = &e["params"];
            if p["level"] == "error" {
                let mut error = format!("{}: {}", p["type"].as_str().unwrap_or("?"), p["text"].as_str().unwrap_or("?"));
                let frame = &p["stackTrace"]["callFrames"][0];
                if let Some(url) = frame["url"].as_str().filter(|u| !u.is_empty()) {
                    error.push_str(&format!(" ({url}:{})", frame["lineNumber"]));
                }
                errors.push(error);
            }
            false
        });
        errors
    }

    /// Asserts that the page reported no errors since the last call (see [`Firefox::errors`]).
    pub fn assert_no_errors(&self) {
        let errors = self.errors();
        assert!(errors.is_empty(), "errors in the page: {errors:?}");
    }
}

impl Drop for Firefox {
    fn drop(&mut self) {
        // Ask politely, then make sure; never panic here (this may run while a test unwinds).
        if let Ok(mut bidi) = self.bidi.try_borrow_mut() {
            let _ = bidi.socket.send(json!({ "method": "browser.close", "params": {} }));
        }
        stop(&mut self.child, Duration::from_secs(5));
        // Content processes may still be writing into the profile for a moment.
        if let Some(profile) = self.profile.take() {
            let path = profile.path().to_path_buf();
            if profile.close().is_err() {
                for _ in 0..50 {
                    std::thread::sleep(Duration::from_millis(100));
                    if std::fs::remove_dir_all(&path).is_ok() || !path.exists() {
                        break;
                    }
                }
            }
        }
    }
}

/// A BiDi remote value (`{"type": "string", "value": "…"}` and so on) as plain JSON. Numbers
/// JSON cannot hold (NaN, ±Infinity) become `null` as in `JSON.stringify`, dates and regular
/// expressions strings, maps and objects JSON objects; nodes, windows, functions and the like
/// are kept as they came.
pub fn remote_to_json(remote: &Value) -> Value {
    let value = &remote["value"];
    match remote["type"].as_str() {
        Some("undefined" | "null") => Value::Null,
        Some("string" | "boolean" | "date") => value.clone(),
        Some("number") => match value {
            Value::Number(_) => value.clone(),
            Value::String(s) if s == "-0" => json!(0),
            _ => Value::Null,
        },
        Some("bigint") => value.as_str().and_then(|s| s.parse::<i64>().ok()).map_or_else(|| value.clone(), Value::from),
        Some("regexp") => json!(format!(
            "/{}/{}",
            value["pattern"].as_str().unwrap_or_default(),
            value["flags"].as_str().unwrap_or_default()
        )),
        Some("array" | "set") => match value.as_array() {
            Some(items) => Value::Array(items.iter().map(remote_to_json).collect()),
            None => Value::Null,
        },
        Some("object" | "map") => match value.as_array() {
            Some(pairs) => {
                let mut object = Map::new();
                for pair in pairs {
                    let key = match &pair[0] {
                        Value::String(key) => key.clone(),
                        key => match remote_to_json(key) {
                            Value::String(s) => s,
                            other => other.to_string(),
                        },
                    };
                    object.insert(key, remote_to_json(&pair[1]));
                }
                Value::Object(object)
            }
            None => Value::Null,
        },
        _ => remote.clone(),
    }
}

/// The BiDi WebSocket: commands and their responses, and the events that arrive meanwhile.
struct Bidi {
    socket: Socket,
}

impl Bidi {
    /// Connects to the BiDi server Firefox announced (`ws://127.0.0.1:<port>`) at its `/session`
    /// endpoint.
    fn connect(announced: &str) -> Result<Bidi, String> {
        let address = announced.trim_start_matches("ws://").split('/').next().unwrap_or_default();
        Ok(Bidi { socket: Socket::connect("Firefox's BiDi", &format!("ws://{address}/session"))? })
    }

    /// The next message, `None` when none arrived within [`super::launch::POLL`], or an error
    /// starting with "disconnected" when Firefox went away.
    fn read(&mut self) -> Result<Option<Value>, String> {
        self.socket.read().map_err(|e| format!("disconnected: {e}"))
    }

    /// Reads whatever has arrived, hardly waiting, and keeps the events.
    fn pump(&mut self) {
        // A lost connection ends the pumping as an empty socket does: the next call or wait
        // reports it.
        let _ = self.socket.pump(|message| message["type"] == "event");
    }

    fn wait_event(
        &mut self,
        method: &str,
        matches: &dyn Fn(&Value) -> bool,
        timeout: Duration,
    ) -> Result<Value, String> {
        let fits = |e: &Value| e["method"] == method && matches(&e["params"]);
        if let Some(at) = self.socket.events.iter().position(fits) {
            return Ok(self.socket.events.remove(at).unwrap()["params"].clone());
        }
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(message) = self.read()?
                && message["type"] == "event"
            {
                if fits(&message) {
                    return Ok(message["params"].clone());
                }
                self.socket.keep(message);
            }
            if Instant::now() > deadline {
                panic!("no {method} event within {timeout:?}");
            }
        }
    }

    fn call(&mut self, method: &str, params: Value, timeout: Duration) -> Result<Value, String> {
        let command = json!({ "method": method, "params": params });
        let id = self.socket.send(command).map_err(|e| format!("disconnected: sending: {e}"))?;
        let deadline = Instant::now() + timeout;
        loop {
            match self.read()? {
                Some(message) if message["type"] == "event" => self.socket.keep(message),
                Some(message) if message["id"] == id => {
                    if message["type"] == "error" {
                        return Err(format!(
                            "{}: {}",
                            message["error"].as_str().unwrap_or("error"),
                            message["message"].as_str().unwrap_or("")
                        ));
                    }
                    return Ok(message["result"].clone());
                }
                Some(message) if message["type"] == "error" && message["id"].is_null() => {
                    panic!("Firefox could not read the BiDi command {method}: {message}");
                }
                Some(_) | None => {}
            }
            if Instant::now() > deadline {
                panic!("no answer to {method} within {timeout:?}");
            }
        }
    }
}
