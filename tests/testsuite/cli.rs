//! The therapist's tool, driven as a therapist would: the installed binary in a fresh folder.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

fn tarea(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tarea")).args(args).current_dir(dir).env_remove("TAREA_ROOT").output().unwrap()
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).to_string()
}

/// A new site made by `tarea init` with one plan holding one task.
fn new_site() -> tempfile::TempDir {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("clinic");
    ok(&tarea(
        parent.path(),
        &["init", "clinic", "--name", "Centre \"Prova\"", "--language", "ca", "--paper", "us-letter"],
    ));
    ok(&tarea(
        &dir,
        &["new", "plan", "marc", "--name", "Marc", "--language", "ca", "--therapist", "Núria", "--date", "2027-03-01"],
    ));
    let plan = dir.join("library/plans/marc.toml");
    let mut text = std::fs::read_to_string(&plan).unwrap();
    text.push_str("\n[[sessions.tasks]]\nhomework = \"thought-record\"\nlevel = 1\nnote = \"Primera nota.\"\n");
    std::fs::write(&plan, text).unwrap();
    // Keep the temp dir alive by moving the site into it.
    let site = tempfile::tempdir().unwrap();
    copy_dir(&dir, site.path());
    site
}

/// A [`new_site`] built once by `tarea build -q`.
fn built_site() -> tempfile::TempDir {
    let site = new_site();
    ok(&tarea(site.path(), &["build", "-q"]));
    site
}

#[test]
fn init_new_plan_new_session_check_build() {
    let site = new_site();
    let dir = site.path();
    assert!(dir.join("library/homework/warning-signs.toml").is_file());
    assert!(dir.join("templates/README.md").is_file());
    assert!(std::fs::read_to_string(dir.join(".gitignore")).unwrap().contains("/.tarea/"));
    let clinic: toml::Table =
        toml::from_str(&std::fs::read_to_string(dir.join("library/clinic.toml")).unwrap()).unwrap();
    assert_eq!(clinic["name"].as_str(), Some("Centre \"Prova\""));
    assert_eq!(clinic["paper"].as_str(), Some("us-letter"));

    // The next session: a review of the thought record and the level it proposes if done.
    ok(&tarea(dir, &["new", "session", "marc"]));
    let plan = std::fs::read_to_string(dir.join("library/plans/marc.toml")).unwrap();
    assert!(plan.contains("# Give homework, e.g.:"), "the therapist's lines are kept");
    assert!(plan.contains("date = 2027-03-08"), "{plan}");
    // No answers came back: no outcome is made up, and check refuses the plan until it is set.
    assert!(plan.contains("homework = \"thought-record\"\nstatus = \"set-me\""), "{plan}");
    assert!(plan.contains("homework = \"thought-record\"\nlevel = 1   # if done: 2;"), "{plan}");
    let unset = tarea(dir, &["check"]);
    assert!(!unset.status.success());
    let stderr = String::from_utf8_lossy(&unset.stderr);
    let line = plan.lines().position(|l| l.starts_with("status = \"set-me\"")).unwrap() + 1;
    assert!(stderr.contains("this review's status is not set yet"), "{stderr}");
    assert!(stderr.contains(&format!("--> library/plans/marc.toml:{line}:")), "{stderr}");
    // The therapist writes what happened and raises the level as proposed for "done".
    let plan =
        plan.replacen("status = \"set-me\"", "status = \"done\"", 1).replacen("level = 1   #", "level = 2   #", 1);
    std::fs::write(dir.join("library/plans/marc.toml"), plan).unwrap();

    let checked = ok(&tarea(dir, &["check"]));
    assert!(checked.contains("no errors found"), "{checked}");
    assert!(!dir.join("out").exists() && !dir.join(".tarea").exists(), "check writes nothing");

    let build = tarea(dir, &["build"]);
    let built = ok(&build);
    assert!(built.contains("packets"), "{built}");
    // Until the clinic's address is set and the example patient is gone, every build says so.
    let warned = String::from_utf8_lossy(&build.stderr);
    assert!(warned.contains("`base_url` is still an example address"), "{warned}");
    assert!(warned.contains("not published: the example plans elisa"), "{warned}");
    let listed: Vec<String> = tarea::list(dir).unwrap().into_iter().map(|l| l.patient_id).collect();
    assert!(!listed.contains(&"elisa".to_string()), "the fictional patient is not published: {listed:?}");
    let asked = tarea(dir, &["build", "--patient", "elisa"]);
    assert!(String::from_utf8_lossy(&asked.stderr).contains("`elisa` is an example plan"), "{asked:?}");
    let second = packet_for(dir, "Marc", "2027-03-08");
    let page = html(&second.join("thought-record.html"));
    assert_eq!(texts(&page, ".level"), ["Nivell 2 de 6"]);
    let copy = html(&dir.join("out/private/marc/2027-03-08.html"));
    assert_eq!(texts(&copy, ".copy-review td.status"), ["Feta"]);

    let listed = ok(&tarea(dir, &["list", "--json"]));
    let links: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert!(links.as_array().unwrap().iter().any(|l| l["patient_id"] == "marc" && l["date"] == "2027-03-08"));

    // A build of one patient's session leaves the other packets where they are.
    let first = packet_for(dir, "Marc", "2027-03-01");
    std::fs::remove_file(second.join("index.html")).unwrap();
    ok(&tarea(dir, &["build", "--patient", "marc", "--session", "2027-03-08", "-q"]));
    assert!(second.join("index.html").is_file() && first.join("packet.pdf").is_file());
}

#[test]
fn commands_find_their_site_from_any_folder_inside_it_and_refuse_outside_one() {
    let site = new_site();
    let root = site.path();
    // In library/plans/ (where a therapist edits plans), the new plan lands beside the others.
    let plans = root.join("library/plans");
    ok(&tarea(&plans, &["new", "plan", "ona", "--name", "Ona", "--language", "ca", "--therapist", "N"]));
    assert!(plans.join("ona.toml").is_file());
    assert!(!plans.join("library").exists(), "no library/ inside library/plans/");
    assert!(ok(&tarea(&plans, &["check"])).contains("no errors found"));

    // Outside any site: it says so, and creates nothing.
    let elsewhere = tempfile::tempdir().unwrap();
    let refused = tarea(elsewhere.path(), &["new", "plan", "x", "--name", "X", "--language", "ca", "--therapist", "N"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not inside a tarea site"));
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0, "nothing was created");
    // TAREA_ROOT names the site from anywhere (importing from ~/Downloads).
    let listed = Command::new(env!("CARGO_BIN_EXE_tarea"))
        .args(["list", "--json"])
        .current_dir(elsewhere.path())
        .env("TAREA_ROOT", root)
        .output()
        .unwrap();
    assert!(ok(&listed).contains("\"patient_id\": \"marc\""));
    // --root must name a site.
    let wrong = tarea(root, &["check", "--root", "library"]);
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("is not a tarea site"), "{wrong:?}");
}

#[test]
fn links_give_a_ready_to_send_message_in_the_patients_language_never_with_the_password() {
    let site = new_site();
    let root = site.path();
    let said = ok(&tarea(root, &["links", "--patient", "marc"]));
    let link = tarea::list(root).unwrap().into_iter().find(|l| l.patient_id == "marc").unwrap();
    assert!(said.contains(&link.url) && said.contains("Hola, Marc: aquí tens les tasques"), "{said}");
    assert!(!said.contains("contrasenya"), "no password, no word of one: {said}");

    // Sealed: the message says the password comes another way; the password is shown apart.
    let plan = root.join("library/plans/marc.toml");
    let text = std::fs::read_to_string(&plan).unwrap().replacen("therapist =", "encrypt = true\ntherapist =", 1);
    std::fs::write(&plan, text).unwrap();
    let said = ok(&tarea(root, &["links", "--patient", "marc"]));
    let link = tarea::list(root).unwrap().into_iter().find(|l| l.patient_id == "marc").unwrap();
    let password = link.password.clone().expect("sealed");
    assert!(link.message.contains("te la dono a part") && !link.message.contains(&password), "{}", link.message);
    let (message, apart) = said.split_once("password, to send another way").expect("shown apart");
    assert!(!message.contains(&password) && apart.contains(&password), "{said}");

    // The private index holds the same message, ready to copy.
    ok(&tarea(root, &["build", "-q", "--no-pdf"]));
    let index = html(&root.join("out/private/index.html"));
    let boxes = texts(&index, "td.send textarea");
    assert!(boxes.iter().any(|m| *m == normalise(&link.message)), "{boxes:?}");
    assert_eq!(index.select(&sel("td.send button.copy-message")).count(), boxes.len());
    assert!(!boxes.iter().any(|m| m.contains(&password)));
}

#[test]
fn init_force_names_every_file_it_adds_to_a_site() {
    let site = new_site();
    let root = site.path();
    let example = root.join("library/plans/elisa.toml");
    std::fs::remove_file(&example).unwrap();
    let output = tarea(root, &["init", ".", "--force"]);
    ok(&output);
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("added ./library/plans/elisa.toml (it was not there)"), "{said}");
    assert!(said.contains("kept ./library/clinic.toml (it exists already)"), "{said}");
    assert_eq!(said.matches("added ").count(), 1, "only the missing file is added: {said}");
    assert!(
        std::fs::read_to_string(&example).unwrap().contains("example = true"),
        "it comes back marked as an example"
    );
}

#[test]
fn init_refuses_a_folder_with_files_in_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
    let output = tarea(dir.path(), &["init", "."]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not empty"));
    assert_eq!(std::fs::read_to_string(dir.path().join("keep.txt")).unwrap(), "mine");
}

#[test]
fn check_reports_three_different_mistakes_with_file_and_line() {
    let site = new_site();
    let dir = site.path();
    let clinic = dir.join("library/clinic.toml");
    let text = std::fs::read_to_string(&clinic).unwrap().replace("paper =", "papper =");
    std::fs::write(&clinic, text).unwrap();
    let plan = dir.join("library/plans/marc.toml");
    let text = std::fs::read_to_string(&plan)
        .unwrap()
        .replace("homework = \"thought-record\"", "homework = \"thougt-record\"");
    std::fs::write(&plan, text).unwrap();
    // An overridden layout with a Typst error.
    std::fs::create_dir_all(dir.join("templates/typst")).unwrap();
    let sheet = std::fs::read_to_string(repo().join("templates/typst/sheet.typ")).unwrap();
    std::fs::write(dir.join("templates/typst/sheet.typ"), sheet.replacen("#let ink = rgb(", "#let ink = rgbb(", 1))
        .unwrap();

    let output = tarea(dir, &["check"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("unknown field `papper`") && stderr.contains("--> library/clinic.toml:"), "{stderr}");
    assert!(
        stderr.contains("unknown homework `thougt-record`") && stderr.contains("--> library/plans/marc.toml:"),
        "{stderr}"
    );

    // With the input fixed, the layout error shows at the override's line.
    std::fs::write(&clinic, std::fs::read_to_string(&clinic).unwrap().replace("papper =", "paper =")).unwrap();
    std::fs::write(&plan, std::fs::read_to_string(&plan).unwrap().replace("thougt-record", "thought-record")).unwrap();
    let output = tarea(dir, &["check"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("unknown variable: rgbb") && stderr.contains("--> templates/typst/sheet.typ:"), "{stderr}");

    // An error inside a layout function says which calls led there, with their lines.
    let broken = sheet.replacen("metadata(\"tarea-close\")", "metadata(\"tarea-close\" + 1)", 1);
    assert_ne!(broken, sheet, "the closing question's mark is where this test breaks the layout");
    std::fs::write(dir.join("templates/typst/sheet.typ"), broken).unwrap();
    let output = tarea(dir, &["check"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot add string and integer"), "{stderr}");
    assert!(
        stderr.contains("= note: while calling `close` (templates/typst/sheet.typ:")
            && stderr.contains("= note: while laying out packet.pdf of "),
        "{stderr}"
    );
}

#[test]
fn completions_and_man_page_are_generated() {
    let dir = tempfile::tempdir().unwrap();
    assert!(ok(&tarea(dir.path(), &["completions", "bash"])).contains("tarea"));
    let man = ok(&tarea(dir.path(), &["man"]));
    assert!(man.contains(".TH tarea") && man.contains("serve"), "{man}");
}

/// Stops the server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `tarea serve --port 0` in `dir` and waits for the line that gives its address: the
/// server, its port and that line.
fn start_serve(dir: &Path) -> (Server, u16, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tarea"))
        .args(["serve", "--port", "0"])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let server = Server(child);
    let mut line = String::new();
    while !line.contains("serving") {
        line.clear();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "serve stopped");
    }
    let port: u16 = line.rsplit(':').next().unwrap().split('/').next().unwrap().parse().unwrap();
    std::thread::spawn(move || for _ in stdout.lines() {});
    (server, port, line)
}

/// Sends `request` byte for byte and reads the whole answer: its head and its body.
fn raw(port: u16, request: &str) -> (String, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let end = response.windows(4).position(|w| w == b"\r\n\r\n").map(|at| at + 4);
    let end = end.unwrap_or_else(|| panic!("no whole head: {:?}", String::from_utf8_lossy(&response)));
    (String::from_utf8(response[..end].to_vec()).unwrap(), response[end..].to_vec())
}

fn get(port: u16, path: &str) -> (String, String) {
    let (head, body) =
        raw(port, &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"));
    (head, String::from_utf8_lossy(&body).to_string())
}

/// The value of a response header.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| line.split_once(": ").filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v))
}

/// Opens the event stream an open page keeps, as `live.js` does.
fn open_page(port: u16) -> BufReader<TcpStream> {
    let mut events = TcpStream::connect(("127.0.0.1", port)).unwrap();
    events.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    write!(events, "GET /__tarea/events HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n").unwrap();
    BufReader::new(events)
}

/// The packet folder in serve's preview whose cover names `patient` and whose session is `iso_date`.
fn preview_packet(root: &Path, patient: &str, iso_date: &str) -> std::path::PathBuf {
    std::fs::read_dir(root.join(".tarea/preview/public"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|dir| {
            dir.join("index.html").is_file() && {
                let doc = html(&dir.join("index.html"));
                texts(&doc, ".patient").iter().any(|t| t == patient)
                    && doc.select(&sel(&format!(".session-date[data-date='{iso_date}']"))).count() == 1
            }
        })
        .unwrap_or_else(|| panic!("no packet for {patient} on {iso_date} in the preview"))
}

/// Reads Server-Sent Events until one named `name` arrives, or fails after `limit`.
fn wait_for_event(events: &mut BufReader<TcpStream>, name: &str, limit: Duration) -> String {
    let started = Instant::now();
    let mut line = String::new();
    while started.elapsed() < limit {
        line.clear();
        if events.read_line(&mut line).unwrap_or(0) > 0 && line.trim() == format!("event: {name}") {
            let mut data = String::new();
            events.read_line(&mut data).unwrap();
            return data;
        }
    }
    panic!("no `{name}` event within {limit:?}");
}

#[test]
fn serve_rebuilds_reloads_and_keeps_the_last_good_page() {
    let site = new_site();
    let dir = site.path();
    let (server, port, _) = start_serve(dir);

    let packet = preview_packet(dir, "Marc", "2027-03-01");
    let page_path = format!("/public/{}/thought-record.html", packet.file_name().unwrap().to_string_lossy());
    let (head, body) = get(port, &page_path);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(body.contains("Primera nota.") && body.contains("/__tarea/live.js"));
    // The preview serves what the pages load with the type a browser runs or offers it as.
    for (file, expected) in [
        ("/public/assets/form.js".to_string(), "text/javascript"),
        (format!("/public/{}/reminders.ics", packet.file_name().unwrap().to_string_lossy()), "text/calendar"),
    ] {
        let (head, _) = get(port, &file);
        assert!(head.contains(&format!("Content-Type: {expected}")), "{file}: {head}");
    }
    let (head, _) = get(port, "/../library/clinic.toml");
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");

    // A few open tabs, each with its event stream.
    let mut pages: Vec<_> = (0..3).map(|_| open_page(port)).collect();

    let plan = dir.join("library/plans/marc.toml");
    let text = std::fs::read_to_string(&plan).unwrap();
    std::fs::write(&plan, text.replace("Primera nota.", "Nota canviada.")).unwrap();
    for page in &mut pages {
        wait_for_event(page, "reload", Duration::from_secs(30));
    }
    let (_, body) = get(port, &page_path);
    assert!(body.contains("Nota canviada."), "the edit is served");

    std::fs::write(&plan, "name = \"Marc\nthis is not TOML").unwrap();
    for page in &mut pages {
        let error = wait_for_event(page, "error-report", Duration::from_secs(30));
        assert!(error.contains("library/plans/marc.toml"), "{error}");
    }
    let (head, body) = get(port, &page_path);
    assert!(head.starts_with("HTTP/1.1 200") && body.contains("Nota canviada."), "the last good page stays served");
    assert!(!dir.join("out").exists(), "serve wrote into out/");
    drop(server);
}

#[test]
fn serve_previews_in_its_own_folder_and_never_changes_out() {
    let site = built_site();
    let dir = site.path();
    let published = snapshot(&dir.join("out"));
    let token = packet_for(dir, "Marc", "2027-03-01").file_name().unwrap().to_string_lossy().to_string();
    let page_path = format!("/public/{token}/thought-record.html");

    let (server, port, line) = start_serve(dir);
    assert!(line.contains(".tarea/preview"), "serve says where the preview is: {line}");
    let preview = dir.join(".tarea/preview");
    assert!(preview.join("private/links.csv").is_file() && preview.join(&page_path[1..]).is_file());
    assert_eq!(
        std::fs::read_to_string(dir.join(".tarea/.gitignore")).unwrap(),
        "*\n",
        "the preview is kept out of git"
    );

    let mut page = open_page(port);
    let plan = dir.join("library/plans/marc.toml");
    let text = std::fs::read_to_string(&plan).unwrap();
    std::fs::write(&plan, text.replace("Primera nota.", "Nota canviada.")).unwrap();
    wait_for_event(&mut page, "reload", Duration::from_secs(30));

    // The page served is the preview's, rebuilt; the published one is as `tarea build` left it.
    let (_, body) = get(port, &page_path);
    assert!(body.contains("Nota canviada."), "the edit is served");
    assert!(std::fs::read_to_string(preview.join(&page_path[1..])).unwrap().contains("Nota canviada."));
    let now = snapshot(&dir.join("out"));
    let changed: Vec<_> = now.iter().filter(|file| !published.contains(file)).map(|(path, _)| path).collect();
    let gone: Vec<_> = published.iter().filter(|file| !now.contains(file)).map(|(path, _)| path).collect();
    assert!(changed.is_empty() && gone.is_empty(), "serve changed out/: {changed:?} written, {gone:?} changed or gone");
    drop(server);
}

#[test]
fn serve_answers_only_its_own_host_and_bounds_what_it_reads() {
    let site = new_site();
    let dir = site.path();
    let (server, port, _) = start_serve(dir);
    let request = |method: &str, path: &str, host: &str| {
        format!("{method} {path} HTTP/1.1\r\n{host}Accept: */*\r\nConnection: close\r\n\r\n")
    };
    let refused = |(head, body): (String, Vec<u8>), status: &str, what: &str| {
        assert!(head.starts_with(&format!("HTTP/1.1 {status}")), "{what}: {head}");
        assert!(body.is_empty() && header(&head, "Content-Length") == Some("0"), "{what}: {head}");
    };

    // DNS rebinding: a page of another site that made its name point at 127.0.0.1.
    let rebound = request("GET", "/private/links.csv", &format!("Host: rebind.attacker.example:{port}\r\n"));
    refused(raw(port, &rebound), "421", "another host");
    refused(raw(port, &request("GET", "/private/links.csv", "")), "421", "no Host");
    let wrong_port = format!("Host: 127.0.0.1:{}\r\n", port.wrapping_add(1));
    refused(raw(port, &request("GET", "/private/links.csv", &wrong_port)), "421", "another port");
    for name in ["127.0.0.1", "LocalHost", "[::1]"] {
        let (head, body) = raw(port, &request("GET", "/private/links.csv", &format!("Host: {name}:{port}\r\n")));
        assert!(head.starts_with("HTTP/1.1 200") && String::from_utf8_lossy(&body).contains("Marc"), "{name}: {head}");
    }

    // HEAD: what GET would answer, without the body.
    let host = format!("Host: 127.0.0.1:{port}\r\n");
    let (get_head, get_body) = raw(port, &request("GET", "/private/index.html", &host));
    let (head, body) = raw(port, &request("HEAD", "/private/index.html", &host));
    assert!(head.starts_with("HTTP/1.1 200") && body.is_empty(), "HEAD sent a body of {} bytes", body.len());
    assert_eq!(header(&head, "Content-Length"), Some(get_body.len().to_string().as_str()));
    assert_eq!(header(&head, "Content-Length"), header(&get_head, "Content-Length"));

    // Oversized heads are refused without a body.
    let long_target = format!("/{}", "a".repeat(9000));
    refused(raw(port, &request("GET", &long_target, &host)), "414", "a long request line");
    let many = format!("{host}{}", "X-Fill: y\r\n".repeat(200));
    refused(raw(port, &request("GET", "/", &many)), "431", "200 header lines");
    let big = format!("{host}X-Fill: {}\r\n", "y".repeat(20 * 1024));
    refused(raw(port, &request("GET", "/", &big)), "431", "20 KiB of headers");

    // Connections are bounded, open pages included; a closed page gives its place back.
    let pages: Vec<_> = (0..tarea::serve::MAX_CONNECTIONS)
        .map(|_| {
            let mut page = open_page(port);
            let mut status = String::new();
            page.read_line(&mut status).unwrap();
            assert!(status.starts_with("HTTP/1.1 200"), "{status}");
            page
        })
        .collect();
    refused(raw(port, ""), "503", "one connection too many");
    drop(pages);
    let started = Instant::now();
    while !get(port, "/private/index.html").0.starts_with("HTTP/1.1 200") {
        assert!(started.elapsed() < Duration::from_secs(10), "closed pages still hold their connections");
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(server);
}

#[test]
fn import_records_a_download_rebuilds_and_refuses_a_bad_one_with_exit_code_1() {
    let site = built_site();
    let dir = site.path();
    let list: serde_json::Value = serde_json::from_str(&ok(&tarea(dir, &["list", "--json"]))).unwrap();
    let token = list.as_array().unwrap().iter().find(|l| l["patient_id"] == "marc").unwrap()["token"].clone();
    let answers = |intensity: &str| {
        serde_json::json!({ "format": "tarea-answers", "version": 1, "token": token,
            "answers": { "thought-record/0/situation": "A l'entrenament", "thought-record/0/intensity": intensity } })
        .to_string()
    };
    let downloads = tempfile::tempdir().unwrap();
    let good = downloads.path().join("answers-2027-03-01.json");
    std::fs::write(&good, answers("6")).unwrap();
    let shown = ok(&tarea(dir, &["import", good.to_str().unwrap()]));
    assert!(shown.contains("Marc (marc), session 2027-03-01: 2 answers, 2 new or changed"), "{shown}");
    // The rebuild writes the session's therapist copy, and the private index and the patient's
    // page, which now say the homework came back.
    assert!(shown.contains("3 files written"), "the import rebuilt: {shown}");
    let copy = html(&dir.join("out/private/marc/2027-03-01.html"));
    assert_eq!(copy.select(&sel("section#answers svg.chart-plot")).count(), 1);

    let bad = downloads.path().join("bad.json");
    std::fs::write(&bad, answers("11")).unwrap();
    let output = tarea(dir, &["import", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("\"thought-record/0/intensity\" should be a whole number from 0 to 10, not \"11\""),
        "{error}"
    );
    assert!(error.contains("bad.json"), "{error}");
    let kept = std::fs::read_to_string(dir.join("library/answers/marc/2027-03-01.json")).unwrap();
    assert!(
        kept.contains("\"thought-record/0/intensity\": \"6\""),
        "the refused file changed the kept answers: {kept}"
    );
}

#[test]
fn import_after_an_encrypted_build_keeps_the_packets_sealed() {
    let site = new_site();
    let dir = site.path();
    ok(&tarea(dir, &["build", "-q", "--encrypt"]));
    let list: serde_json::Value = serde_json::from_str(&ok(&tarea(dir, &["list", "--json"]))).unwrap();
    let token = list.as_array().unwrap().iter().find(|l| l["patient_id"] == "marc").unwrap()["token"].clone();
    let file = serde_json::json!({ "format": "tarea-answers", "version": 1, "token": token,
        "answers": { "thought-record/0/intensity": "6" } });
    let downloads = tempfile::tempdir().unwrap();
    let path = downloads.path().join("answers.json");
    std::fs::write(&path, file.to_string()).unwrap();
    ok(&tarea(dir, &["import", path.to_str().unwrap()]));
    let cover =
        std::fs::read_to_string(dir.join("out/public").join(token.as_str().unwrap()).join("index.html")).unwrap();
    assert!(cover.contains("id=\"tarea-sealed\""), "the rebuild after import published the packet open");
    assert!(!cover.contains("Marc"), "the patient's name is readable in a sealed packet");
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let out = tarea(&repo(), &["--version"]);
    assert!(out.status.success());
    let printed = String::from_utf8(out.stdout).unwrap();
    let commit = Command::new("git").args(["rev-parse", "--short=12", "HEAD"]).current_dir(repo()).output().unwrap();
    // From a git checkout (CI's fresh clone, a developer's tree) the commit is known; built from a
    // source archive it says so.
    let expected = if commit.status.success() && std::env::var("TAREA_COMMIT").is_err() {
        String::from_utf8(commit.stdout).unwrap().trim().to_string()
    } else {
        std::env::var("TAREA_COMMIT").unwrap_or_else(|_| "unknown commit".into())
    };
    assert_eq!(printed.trim(), format!("tarea {} ({expected})", env!("CARGO_PKG_VERSION")));
}
