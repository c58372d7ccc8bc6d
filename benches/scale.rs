//! `cargo bench --bench scale`: a clinic's caseload at 100, 1,000 and 5,000 patients.
//!
//! For each size a synthetic site is generated (each patient one packet: three or four tasks of
//! different kinds, seven dated days), then measured in a child process of its own so that peak
//! memory is per size: full build, pages per second, ms per packet, Typst's share, a no-op
//! rebuild, a rebuild after editing one plan, the HTML/Markdown side alone, and — when `typst`
//! is on PATH — the same emitted packets through `typst compile`, one process each.
//! Then one patient of 2,500 and of 10,000 sessions (time and memory must grow linearly).
//! Prints a table and writes `target/bench/scale.json`. `TAREA_BENCH_SIZES=100,1000` picks sizes;
//! `TAREA_BENCH_SESSIONS=0` leaves out the long plan; `TAREA_BENCH_DIR` is where sites are made.
//! `--generate N DIR` only writes a site of N patients into DIR (to profile a build by hand).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The allocator the `tarea` program uses, so the figures are the program's.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--one") {
        let n: usize = args[at + 1].parse().expect("a size");
        println!("{}", one_size(n));
        return;
    }
    if let Some(at) = args.iter().position(|a| a == "--generate") {
        // A site to profile by hand: `--generate 1000 /tmp/site`, then `tarea build` in it.
        let n: usize = args[at + 1].parse().expect("a size");
        generate(Path::new(&args[at + 2]), n);
        return;
    }
    if args.iter().any(|a| a == "--memo") {
        println!("{}", memo());
        return;
    }
    if let Some(at) = args.iter().position(|a| a == "--sessions") {
        let n: usize = args[at + 1].parse().expect("a number of sessions");
        println!("{}", one_plan(n));
        return;
    }
    let sizes: Vec<usize> = std::env::var("TAREA_BENCH_SIZES")
        .unwrap_or_else(|_| "100,1000,5000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let mut rows = Vec::new();
    for n in sizes {
        eprintln!("measuring {n} packets…");
        rows.push(child("--one", n));
    }
    print_table(&rows);
    eprintln!("measuring what a packet reuses of the one before…");
    let reuse = child("--memo", 0);
    print_memo(&reuse);
    let mut long = Vec::new();
    if std::env::var("TAREA_BENCH_SESSIONS").as_deref() != Ok("0") {
        for n in [2_500, 10_000] {
            eprintln!("measuring one plan of {n} sessions…");
            long.push(child("--sessions", n));
        }
        print_long(&long);
    }
    let target = PathBuf::from(std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into())).join("bench");
    std::fs::create_dir_all(&target).unwrap();
    let report = json!({ "machine": machine(), "threads": threads(), "sizes": rows, "reuse": reuse, "one_plan": long });
    std::fs::write(target.join("scale.json"), serde_json::to_string_pretty(&report).unwrap()).unwrap();
    eprintln!("wrote {}", target.join("scale.json").display());
}

/// Runs this bench binary again as `<mode> <n>` (a process of its own, so that peak memory is the
/// measurement's alone) and returns the JSON row it prints.
fn child(mode: &str, n: usize) -> Value {
    let me = std::env::current_exe().expect("the bench binary");
    let output = Command::new(&me).args([mode, &n.to_string()]).output().expect("a child run");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let line = String::from_utf8(output.stdout).unwrap();
    serde_json::from_str::<Value>(line.trim().lines().last().unwrap()).unwrap()
}

/// A folder for one measurement's site: under `TAREA_BENCH_DIR` if set (e.g. a tmpfs, to take
/// the disk out of the figures), else the system's temporary folder.
fn scratch() -> tempfile::TempDir {
    match std::env::var_os("TAREA_BENCH_DIR") {
        Some(dir) => tempfile::tempdir_in(dir).unwrap(),
        None => tempfile::tempdir().unwrap(),
    }
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cpu}, {} cores", threads())
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|t| {
            t.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_string())
        })
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Builds a site of `n` patients and measures it; returns one JSON row.
fn one_size(n: usize) -> Value {
    let site = scratch();
    let root = site.path();
    generate(root, n);
    let options = tarea::BuildOptions { root: root.to_path_buf(), out: root.join("out") };

    let full = tarea::build(&options).expect("the synthetic site builds");
    let full_s = full.elapsed.as_secs_f64();
    let full_rss = peak_rss_mb();

    let noop = tarea::build(&options).unwrap();
    assert_eq!((noop.rendered, noop.plans), (0, 0));

    let check_started = Instant::now();
    tarea::check(root).expect("the synthetic site checks");
    let check_s = check_started.elapsed().as_secs_f64();

    // Three edits of one plan's note, each its own build: the median of the whole build, and of
    // the build without the time spent rendering the plan's own packets.
    let plan = root.join("library/plans/p00000.toml");
    let original = std::fs::read_to_string(&plan).unwrap();
    let mut edits: Vec<(f64, f64)> = Vec::new();
    let mut edit = None;
    for k in 1..=3 {
        std::fs::write(&plan, original.replace("Una nota.", &format!("Una nota cambiada {k}."))).unwrap();
        let started = Instant::now();
        let report = tarea::build(&options).unwrap();
        let total = started.elapsed().as_secs_f64();
        assert_eq!(report.plans, 1, "an edit resolves its own plan only");
        edits.push((total, total - report.laying_out.as_secs_f64()));
        edit = Some(report);
    }
    let edit = edit.expect("three edits");
    let median_of = |f: fn(&(f64, f64)) -> f64| {
        let mut values: Vec<f64> = edits.iter().map(f).collect();
        values.sort_by(f64::total_cmp);
        values[1]
    };
    let (edit_s, edit_rest_s) = (median_of(|e| e.0), median_of(|e| e.1));

    let html_only = tarea::BuildOptions { root: root.to_path_buf(), out: root.join("out-html") };
    let filter = tarea::BuildRequest { no_pdf: true, ..Default::default() };
    let html = tarea::build_with(&html_only, &filter, None).unwrap();
    let html_pages = html.files;

    // Everything but Typst: the same build without PDFs, against the full one.
    let non_typst_share = html.elapsed.as_secs_f64() / full_s;
    let typst_cli = typst_cli(root, n.min(100));
    json!({
        "packets": n,
        "pages": full.pages,
        "full_build_s": round(full_s),
        "pages_per_s": round(full.pages as f64 / full_s),
        "ms_per_packet": round(full_s * 1000.0 / n as f64),
        "non_typst_share_of_build": round(non_typst_share),
        "noop_rebuild_s": round(noop.elapsed.as_secs_f64()),
        "noop_share_of_full": round(noop.elapsed.as_secs_f64() / full_s),
        "check_unchanged_s": round(check_s),
        "check_share_of_full": round(check_s / full_s),
        "one_plan_edit_s": round(edit_s),
        "one_plan_edit_without_its_packets_s": round(edit_rest_s),
        "one_plan_edit_rendered": edit.rendered,
        "one_plan_edit_plans_resolved": edit.plans,
        "html_only_s": round(html.elapsed.as_secs_f64()),
        "html_files_per_s": round(html_pages as f64 / html.elapsed.as_secs_f64()),
        "peak_rss_mb_full_build": round(full_rss),
        "peak_rss_mb": round(peak_rss_mb()),
        "typst_cli": typst_cli,
    })
}

/// How much of Typst's work one packet reuses from the packet laid out before it in the same
/// process — the part of a build that separate `typst compile` processes cannot share. Two
/// packets of the same homework at the same levels, for two patients (other name, date and book):
/// the second laid out cold (Typst's caches emptied), again at once (everything cached), and
/// after the first.
fn memo() -> Value {
    let site = scratch();
    let root = site.path();
    generate(root, 7);
    // The packets' links come from the site's secret, which the first build makes.
    let options = tarea::BuildOptions { root: root.to_path_buf(), out: root.join("out") };
    tarea::build_with(&options, &tarea::BuildRequest { no_pdf: true, ..Default::default() }, None).unwrap();
    let packets = tarea::packets(root).unwrap();
    let find = |id: &str| &packets.iter().find(|(_, link)| link.patient_id == id).unwrap().0;
    let (first, second) = (find("p00000"), find("p00006"));
    let mut diags = tarea::Diagnostics::default();
    let renderer = tarea::render::pdf::PdfRenderer::new(&tarea::templates::Templates::load(root, &mut diags));
    let time = |packet: &tarea::resolve::Packet| {
        let started = Instant::now();
        renderer.packet(packet).expect("the packet lays out");
        started.elapsed().as_secs_f64() * 1000.0
    };
    let median = |f: &dyn Fn() -> f64| {
        let mut runs: Vec<f64> = (0..5).map(|_| f()).collect();
        runs.sort_by(f64::total_cmp);
        runs[2]
    };
    time(first); // fonts and the library, once per process
    let cold = median(&|| {
        typst::comemo::evict(0);
        time(second)
    });
    let again = median(&|| time(second));
    let after_other = median(&|| {
        typst::comemo::evict(0);
        time(first);
        time(second)
    });
    // The same packet with only the patient's name changed: what one printed field costs.
    let mut renamed = first.clone();
    renamed.patient = "Otra Persona".into();
    let name_only = median(&|| {
        typst::comemo::evict(0);
        time(first);
        time(&renamed)
    });
    json!({
        "cold_ms": round(cold),
        "name_only_ms": round(name_only),
        "same_again_ms": round(again),
        "after_another_patient_ms": round(after_other),
        "reused_share": round(1.0 - after_other / cold),
    })
}

fn print_memo(r: &Value) {
    println!(
        "\nA packet laid out cold: {} ms; the same again: {} ms; after another patient's packet of the same homework: {} ms ({:.0} % reused); after the same packet with another name only: {} ms.",
        r["cold_ms"],
        r["same_again_ms"],
        r["after_another_patient_ms"],
        r["reused_share"].as_f64().unwrap_or(0.0) * 100.0,
        r["name_only_ms"]
    );
}

/// One patient seen `n` times (a session a day, one thought record each): the HTML and Markdown
/// of every packet and therapist copy, whose course history grows with every session.
fn one_plan(n: usize) -> Value {
    let site = scratch();
    let root = site.path();
    generate(root, 0);
    let mut plan = String::from("name = \"Paciente Larga\"\nlanguage = \"es\"\ntherapist = \"Terapeuta\"\n");
    let first = chrono::NaiveDate::from_ymd_opt(2000, 1, 3).unwrap();
    for i in 0..n {
        let date = first + chrono::Days::new(i as u64);
        let next = date + chrono::Days::new(1);
        plan.push_str(&format!(
            "\n[[sessions]]\ndate = {date}\nnext = {next}\n\n[[sessions.tasks]]\nhomework = \"thought-record\"\nlevel = 1\n"
        ));
    }
    std::fs::write(root.join("library/plans/larga.toml"), plan).unwrap();
    let options = tarea::BuildOptions { root: root.to_path_buf(), out: root.join("out") };
    let request = tarea::BuildRequest { no_pdf: true, ..Default::default() };
    let built = tarea::build_with(&options, &request, None).expect("the long plan builds");
    json!({
        "sessions": n,
        "html_only_s": round(built.elapsed.as_secs_f64()),
        "files": built.files,
        "peak_rss_mb": round(peak_rss_mb()),
    })
}

fn print_long(rows: &[Value]) {
    println!("\n| one plan of | HTML+MD only | files | peak RSS |\n|---:|---:|---:|---:|");
    for r in rows {
        println!("| {} sessions | {} s | {} | {} MB |", r["sessions"], r["html_only_s"], r["files"], r["peak_rss_mb"]);
    }
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// `typst compile` on `sample` emitted packets, one process each, sequentially and one per core.
fn typst_cli(root: &Path, sample: usize) -> Value {
    if Command::new("typst").arg("--version").output().is_err() {
        return Value::Null;
    }
    let dir = root.join("emitted");
    let filter = tarea::BuildRequest::default();
    tarea::emit_typst(root, &dir, &filter).unwrap();
    let folders: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).take(sample).collect();
    let compile = |folder: &Path| {
        let status = Command::new("typst")
            .args(["compile", "--root"])
            .arg(folder)
            .arg("--font-path")
            .arg(folder)
            .arg(folder.join("main.typ"))
            .arg(folder.join("out.pdf"))
            .status()
            .unwrap();
        assert!(status.success());
    };
    let started = Instant::now();
    folders.iter().for_each(|f| compile(f));
    let sequential = started.elapsed();
    let started = Instant::now();
    std::thread::scope(|s| {
        for chunk in folders.chunks(folders.len().div_ceil(threads())) {
            s.spawn(move || chunk.iter().for_each(|f| compile(f)));
        }
    });
    let parallel = started.elapsed();
    let per = |d: Duration| round(d.as_secs_f64() * 1000.0 / folders.len() as f64);
    json!({ "sample": folders.len(), "ms_per_packet_one_process_each": per(sequential), "ms_per_packet_one_process_per_core": per(parallel) })
}

/// Writes a clinic, the shipped catalogue and `n` plans with one session each.
fn generate(root: &Path, n: usize) {
    let library = root.join("library");
    std::fs::create_dir_all(library.join("plans")).unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(library.join("homework")).unwrap();
    for entry in std::fs::read_dir(repo.join("library/homework")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, library.join("homework").join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(
        library.join("clinic.toml"),
        "name = \"Clínica Grande\"\nbase_url = \"https://example.org/t\"\ndefault_language = \"es\"\nlanguages = [\"es\", \"en\", \"ca\"]\n",
    )
    .unwrap();
    let languages = ["es", "en", "ca"];
    for i in 0..n {
        let mut plan = format!(
            "name = \"Paciente {i}\"\nlanguage = \"{}\"\ntherapist = \"Terapeuta {}\"\n\n[[sessions]]\ndate = 2027-01-{:02}\nnext = 2027-01-{:02}\n",
            languages[i % 3],
            i % 40,
            1 + i % 20,
            8 + i % 20
        );
        let tasks = [
            format!("homework = \"thought-record\"\nlevel = {}\nnote = \"Una nota.\"", 1 + i % 6),
            format!("homework = \"breathing-practice\"\nlevel = {}", 1 + i % 3),
            format!(
                "homework = \"reading-guide\"\nlevel = {}\nparams = {{ book = \"Libro {}\", chapters = \"1-3\" }}",
                1 + i % 3,
                i % 50
            ),
            "homework = \"therapy-objectives\"\nlevel = 1".to_string(),
        ];
        for task in tasks.iter().take(3 + i % 2) {
            plan.push_str(&format!("\n[[sessions.tasks]]\n{task}\n"));
        }
        std::fs::write(library.join(format!("plans/p{i:05}.toml")), plan).unwrap();
    }
}

fn print_table(rows: &[Value]) {
    println!("\nmachine: {}", machine());
    println!(
        "| packets | pages | full build | pages/s | ms/packet | not Typst | no-op rebuild | check, unchanged | one-plan edit (packets; without their rendering) | HTML+MD only (files/s) | peak RSS (full build) | typst compile: 1 process each / 1 per core, ms/packet | tarea's speed-up over 1 per core |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let cli = &r["typst_cli"];
        let (each, per_core) =
            (cli["ms_per_packet_one_process_each"].as_f64(), cli["ms_per_packet_one_process_per_core"].as_f64());
        let columns = match (each, per_core, r["ms_per_packet"].as_f64()) {
            (Some(each), Some(core), Some(ours)) => (format!("{each} / {core}"), format!("{:.2}×", core / ours)),
            _ => ("not on PATH".to_string(), "–".to_string()),
        };
        println!(
            "| {} | {} | {} s | {} | {} | {:.1} % | {} s ({:.1} %) | {} s ({:.1} %) | {} s ({}; {} s) | {} s ({}) | {} MB | {} | {} |",
            r["packets"],
            r["pages"],
            r["full_build_s"],
            r["pages_per_s"],
            r["ms_per_packet"],
            r["non_typst_share_of_build"].as_f64().unwrap_or(0.0) * 100.0,
            r["noop_rebuild_s"],
            r["noop_share_of_full"].as_f64().unwrap_or(0.0) * 100.0,
            r["check_unchanged_s"],
            r["check_share_of_full"].as_f64().unwrap_or(0.0) * 100.0,
            r["one_plan_edit_s"],
            r["one_plan_edit_rendered"],
            r["one_plan_edit_without_its_packets_s"],
            r["html_only_s"],
            r["html_files_per_s"],
            r["peak_rss_mb_full_build"],
            columns.0,
            columns.1
        );
    }
}
