//! The `tarea` command line: parses arguments, calls the pipeline in `lib.rs`, and turns the
//! outcome into messages and an exit code — in one place.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{CommandFactory, Parser, Subcommand};
use tarea::model::Paper;

/// jemalloc keeps a long build's memory flat where the system allocator's per-thread arenas grow
/// (Cargo.toml says by how much).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Printable, personalised therapy homework packets from a TOML library.
/// `tarea --version`: the version and the commit it was built from (build.rs), so that a clinic
/// can say which build made a packet.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("TAREA_COMMIT"), ")");

#[derive(Parser)]
#[command(name = "tarea", version = VERSION, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new clinic site: clinic.toml, the whole homework catalogue, an example plan.
    Init {
        /// The folder to create the site in.
        dir: PathBuf,
        /// The clinic's name.
        #[arg(long)]
        name: Option<String>,
        /// The clinic's default language: es, en or ca.
        #[arg(long)]
        language: Option<String>,
        /// The paper: a4 or us-letter.
        #[arg(long, value_parser = parse_paper)]
        paper: Option<Paper>,
        /// Add to a non-empty folder (existing files are never overwritten).
        #[arg(long)]
        force: bool,
        /// Also copy every built-in template into templates/ to edit.
        #[arg(long)]
        eject: bool,
    },
    /// Create a plan or add a session to one.
    #[command(subcommand)]
    New(New),
    /// Check the library and templates, print every problem, and write nothing.
    Check {
        /// The site folder (holding library/clinic.toml); by default the one the current folder is in.
        #[arg(long, env = "TAREA_ROOT")]
        root: Option<PathBuf>,
    },
    /// Build the packets: HTML, Markdown and PDF into out/public, the therapist's side into out/private.
    Build {
        /// The site folder (holding library/clinic.toml); by default the one the current folder is in.
        #[arg(long, env = "TAREA_ROOT")]
        root: Option<PathBuf>,
        /// Where to write; defaults to <root>/out.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Only this patient's packets.
        #[arg(long)]
        patient: Option<String>,
        /// Only the packets of the session on this date (YYYY-MM-DD).
        #[arg(long)]
        session: Option<NaiveDate>,
        /// Only the patients of shard K of N (e.g. 2/4), to split a build across CI runners; the
        /// shards' out/ folders copied into one are the whole build (docs/publishing.md).
        #[arg(long)]
        shard: Option<tarea::site::Shard>,
        /// Seal every packet with a password (listed in out/private only), now and in every later
        /// build of this site (remembered in .tarea/sealed).
        #[arg(long)]
        encrypt: bool,
        /// Publish in the clear on purpose: forget --encrypt, and replace packets that out/ holds
        /// sealed with open ones.
        #[arg(long, conflicts_with = "encrypt")]
        unseal: bool,
        /// Leave the PDFs out: HTML and Markdown only.
        #[arg(long)]
        no_pdf: bool,
        /// Also write each packet's Typst sources, data and fonts into DIR/<packet>/, so that
        /// `typst compile --root DIR/<packet> --font-path DIR/<packet> DIR/<packet>/main.typ` lays it out.
        #[arg(long, value_name = "DIR")]
        emit_typst: Option<PathBuf>,
        /// Print nothing but errors.
        #[arg(short, long)]
        quiet: bool,
        /// Also list every packet built.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Build a preview into .tarea/preview (never out/), serve it on 127.0.0.1, and rebuild and
    /// reload the page on every change.
    Serve {
        /// The site folder (holding library/clinic.toml); by default the one the current folder is in.
        #[arg(long, env = "TAREA_ROOT")]
        root: Option<PathBuf>,
        /// The port (0 picks a free one).
        #[arg(long, default_value_t = 1111)]
        port: u16,
    },
    /// Record the answers patients filled in online (the .json files from "Download my answers", or
    /// folders of them) on the therapist's side, then rebuild so their copies show them.
    Import {
        /// Answer files, or folders holding them.
        #[arg(required = true, value_name = "ANSWERS")]
        paths: Vec<PathBuf>,
        /// The site folder (holding library/clinic.toml); by default the one the current folder is in.
        #[arg(long, env = "TAREA_ROOT")]
        root: Option<PathBuf>,
        /// Only record the answers; do not rebuild.
        #[arg(long)]
        no_build: bool,
        /// Where the site is built; defaults to <root>/out. The rebuild seals the packets when the
        /// site is sealed (`encrypt = true`, or an earlier `build --encrypt`).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// List the patients, their sessions and their packet links.
    List {
        /// The site folder (holding library/clinic.toml); by default the one the current folder is in.
        #[arg(long, env = "TAREA_ROOT")]
        root: Option<PathBuf>,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a ready-to-send message for each packet: its link, how to open and print it, in the
    /// patient's language (a password is never in it: it is shown apart, to send another way).
    Links {
        /// Only this patient's packets.
        #[arg(long)]
        patient: Option<String>,
        /// Only the packets of sessions on this date.
        #[arg(long)]
        session: Option<NaiveDate>,
        /// The site folder (holding library/clinic.toml); by default the one the current folder is in.
        #[arg(long, env = "TAREA_ROOT")]
        root: Option<PathBuf>,
    },
    /// Print a ready-to-paste [[sessions]] block for a patient's next session, with proposed levels.
    Suggest {
        /// The patient's id (their plan's file name without .toml).
        patient: String,
        /// The site folder (holding library/clinic.toml); by default the one the current folder is in.
        #[arg(long, env = "TAREA_ROOT")]
        root: Option<PathBuf>,
    },
    /// Manage the site secret that packet links are derived from.
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Print shell completions (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (troff).
    Man,
}

#[derive(Subcommand)]
enum New {
    /// A new patient plan with a first session dated today.
    Plan {
        /// The patient's id: lowercase letters, digits, dashes and underscores; never published.
        id: String,
        /// The name printed on the sheets (a first name or pseudonym).
        #[arg(long)]
        name: String,
        /// The patient's language: es, en or ca.
        #[arg(long)]
        language: String,
        /// The therapist's name as printed.
        #[arg(long)]
        therapist: String,
        /// The first session's date (default: today).
        #[arg(long)]
        date: Option<NaiveDate>,
        /// The site folder (holding library/clinic.toml); by default the one the current folder is in.
        #[arg(long, env = "TAREA_ROOT")]
        root: Option<PathBuf>,
    },
    /// Append the next session to a plan, with reviews to fill in and the proposed levels.
    Session {
        /// The patient's id.
        id: String,
        /// The session's date (default: the last session's `next`, or a week after it).
        #[arg(long)]
        date: Option<NaiveDate>,
        /// The site folder (holding library/clinic.toml); by default the one the current folder is in.
        #[arg(long, env = "TAREA_ROOT")]
        root: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum SecretCommand {
    /// Replace the secret: every packet link changes (the old secret is kept as .tarea/secret.old-N).
    Rotate {
        /// The site folder (holding library/clinic.toml); by default the one the current folder is in.
        #[arg(long, env = "TAREA_ROOT")]
        root: Option<PathBuf>,
    },
}

fn parse_paper(value: &str) -> Result<Paper, String> {
    match value {
        "a4" => Ok(Paper::A4),
        "us-letter" | "letter" => Ok(Paper::UsLetter),
        _ => Err("use a4 or us-letter".into()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            match e.downcast_ref::<tarea::Failed>() {
                Some(failed) => eprintln!("{failed}"),
                None => eprintln!("error: {e:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Init { dir, name, language, paper, force, eject } => {
            let written = tarea::scaffold::init(&tarea::scaffold::InitOptions {
                dir: dir.clone(),
                force,
                name,
                language,
                paper,
                eject,
            })?;
            for kept in &written.kept {
                eprintln!("kept {} (it exists already)", kept.display());
            }
            // Into a site that exists, every file added is named: one the therapist deleted (the
            // example patient, say) must not come back unnoticed.
            if !written.kept.is_empty() {
                for added in &written.created {
                    eprintln!("added {} (it was not there)", added.display());
                }
            }
            println!(
                "created {} files in {}; next: cd {} && tarea new plan <id> --name … --language …",
                written.created.len(),
                dir.display(),
                dir.display()
            );
        }
        Command::New(New::Plan { id, name, language, therapist, date, root }) => {
            let root = site_root(root)?;
            let date = date.unwrap_or_else(today);
            let plan = tarea::scaffold::NewPlan { root, id, name, language, therapist, date };
            let path = tarea::scaffold::new_plan(&plan)?;
            println!("created {}", path.display());
        }
        Command::New(New::Session { id, date, root }) => {
            let root = site_root(root)?;
            let path = tarea::new_session(&root, &id, date)?;
            println!("added a session to {}: set the review statuses and check the levels", path.display());
        }
        Command::Check { root } => {
            let root = site_root(root)?;
            let bar = std::io::stderr().is_terminal().then(Bar::new);
            let warnings = tarea::check_with(&root, bar.as_ref().map(|b| b as &dyn tarea::Progress))?;
            if let Some(bar) = bar {
                bar.0.finish_and_clear();
            }
            for warning in &warnings {
                eprintln!("{warning}");
            }
            println!("no errors found ({} warnings)", warnings.len());
        }
        Command::Build { root, out, patient, session, shard, encrypt, unseal, no_pdf, emit_typst, quiet, verbose } => {
            let root = site_root(root)?;
            let out = out.unwrap_or_else(|| root.join("out"));
            let options = tarea::BuildOptions { root: root.clone(), out: out.clone() };
            let select = tarea::Selection { patient, session, shard };
            let request = tarea::BuildRequest { select, encrypt, unseal, no_pdf, preview: false };
            if let Some(dir) = &emit_typst {
                let count = tarea::emit_typst(&root, dir, &request)?;
                if !quiet {
                    println!("wrote the Typst sources of {count} documents into {}", dir.display());
                }
            }
            let bar = (!quiet && std::io::stderr().is_terminal()).then(Bar::new);
            let report = tarea::build_with(&options, &request, bar.as_ref().map(|b| b as &dyn tarea::Progress))?;
            if let Some(bar) = bar {
                bar.0.finish_and_clear();
            }
            print_report(&report, &out, quiet, verbose);
        }
        Command::Serve { root, port } => {
            let root = site_root(root)?;
            tarea::serve::serve(&tarea::serve::ServeOptions { root, port, ready: None })?
        }
        Command::Import { paths, root, no_build, out } => {
            let root = site_root(root)?;
            for i in tarea::import_answers(&root, &paths)? {
                println!(
                    "{} ({}), session {}: {}, {} new or changed → {}",
                    i.patient,
                    i.patient_id,
                    i.date,
                    count(i.answers, "answer", "answers"),
                    i.changed,
                    i.path.display()
                );
                if !i.skipped.is_empty() {
                    eprintln!(
                        "warning: {} (the plan changed after the packet was handed out); left out",
                        tarea::diagnostic::visible(&tarea::answers::unknown_message(&i.skipped))
                    );
                }
                for warning in &i.warnings {
                    eprintln!("warning: {warning}");
                }
            }
            if !no_build {
                let out = out.unwrap_or_else(|| root.join("out"));
                // Sealing is the site's (clinic.toml, the plans, .tarea/sealed): the rebuild keeps it.
                let report = tarea::build(&tarea::BuildOptions { root, out: out.clone() })?;
                print_report(&report, &out, false, false);
            }
        }
        Command::Links { patient, session, root } => {
            let root = site_root(root)?;
            if let Some(patient) = &patient {
                // A plan with errors (a status still `set-me`) says so, rather than "no packet".
                tarea::Pipeline::load(&root)?.plan_of(patient)?;
            }
            let select = tarea::Selection { patient, session, shard: None };
            let links: Vec<_> =
                tarea::list(&root)?.into_iter().filter(|l| select.keeps(&l.patient_id, &l.date)).collect();
            if links.is_empty() {
                anyhow::bail!("no packet matches (`tarea list` shows them all)");
            }
            for l in &links {
                println!("── {} ({}) · {} ──\n{}\n", l.patient, l.patient_id, l.date, l.message);
                if let Some(password) = &l.password {
                    println!("   password, to send another way (a call, a text, in person): {password}\n");
                }
            }
        }
        Command::List { root, json } => {
            let root = site_root(root)?;
            let links = tarea::list(&root)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&links)?);
            } else {
                println!("{:<16} {:<20} {:<11} {:<22} link", "patient", "name", "session", "answers back");
                for l in &links {
                    let back = match &l.returned {
                        None => "not yet".to_string(),
                        Some(r) if r.of_days > 0 => {
                            format!("{}/{} days, {}/{} fields", r.days, r.of_days, r.answered, r.fields)
                        }
                        Some(r) => format!("{}/{} fields", r.answered, r.fields),
                    };
                    println!("{:<16} {:<20} {:<11} {:<22} {}", l.patient_id, l.patient, l.date, back, l.url);
                }
            }
        }
        Command::Suggest { patient, root } => print!("{}", tarea::suggest(&site_root(root)?, &patient, None)?),
        Command::Secret(SecretCommand::Rotate { root }) => {
            let root = site_root(root)?;
            let kept = tarea::token::rotate_secret(&root)?;
            println!(
                "new secret created; the old one is kept as {}.\nEvery packet link has changed: run `tarea build` and send \
                 each patient their new link (out/private/links.csv). Old links stop working once you publish.",
                kept.display()
            );
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "tarea", &mut std::io::stdout());
        }
        Command::Man => clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?,
    }
    Ok(())
}

/// The site a command works on: `--root` (or `TAREA_ROOT`), else the folder holding
/// `library/clinic.toml` found by walking up from the current one, as cargo and git find theirs.
fn site_root(root: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    match root {
        Some(root) => tarea::site::check_root(&root).map(|()| root),
        None => {
            let here = std::env::current_dir()?;
            tarea::site::find_root(&here).ok_or_else(|| tarea::site::no_site_here(&here))
        }
    }
}

/// Today's date, or the one `SOURCE_DATE_EPOCH` fixes (reproducible scripts and tests).
fn today() -> NaiveDate {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .map_or_else(|| chrono::Local::now().date_naive(), |t| t.date_naive())
}

fn print_report(report: &tarea::BuildReport, out: &std::path::Path, quiet: bool, verbose: bool) {
    for warning in &report.warnings {
        eprintln!("{warning}");
    }
    if let Some(path) = &report.created_secret {
        eprintln!(
            "warning: created the site secret {}\n  = note: packet links are derived from it: keep it safe and out of git; \
             losing it changes every link",
            path.display()
        );
    }
    for file in &report.foreign {
        eprintln!("note: left {} alone: tarea did not write it", out.join(file).display());
    }
    if verbose {
        if report.removed > 0 {
            println!("  removed {} files of sessions no longer in the plans", report.removed);
        }
        for file in &report.written {
            println!("  {}", file.display());
        }
    }
    if !quiet {
        let unchanged = report.packets - report.rendered;
        let kept = if unchanged > 0 { format!(" ({unchanged} unchanged)") } else { String::new() };
        println!(
            "{}{kept}, {}, {} written in {:.2} s → {}",
            count(report.packets, "packet", "packets"),
            count(report.pages, "page", "pages"),
            count(report.files, "file", "files"),
            report.elapsed.as_secs_f64(),
            out.display()
        );
    }
}

/// A progress bar on the terminal while PDFs are laid out.
struct Bar(indicatif::ProgressBar);

impl Bar {
    fn new() -> Self {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} documents {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Bar(bar)
    }
}

impl tarea::Progress for Bar {
    fn start(&self, total: usize) {
        self.0.set_length(total as u64);
    }

    fn advance(&self, n: usize) {
        self.0.inc(n as u64);
    }
}

/// "1 file", "2 files".
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
