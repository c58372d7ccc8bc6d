//! The `tarea` command line: parses arguments, runs the pipeline in `lib.rs`, and turns the
//! outcome into messages and an exit code — in one place.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Printable, personalised therapy homework packets from a TOML library.
#[derive(Parser)]
#[command(name = "tarea", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build every patient's packets: HTML, Markdown and PDF into out/public, the index into out/private.
    Build {
        /// The site folder (holding library/ and templates/).
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Where to write; defaults to <root>/out.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print nothing but errors.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Check the library and templates, print every problem, and write nothing.
    Check {
        /// The site folder (holding library/ and templates/).
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
    /// Print a ready-to-paste [[sessions]] block for a patient's next session, with proposed levels.
    Suggest {
        /// The patient's id (their plan's file name without .toml).
        patient: String,
        /// The site folder (holding library/ and templates/).
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
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
        Command::Build { root, out, quiet } => {
            let out = out.unwrap_or_else(|| root.join("out"));
            let report = tarea::build(&tarea::BuildOptions { root, out: out.clone() })?;
            for warning in &report.warnings {
                eprintln!("{warning}");
            }
            if let Some(path) = &report.created_secret {
                eprintln!(
                    "warning: created the site secret {}\n  = note: packet links are derived from it: keep it safe and out of \
                     git; losing it changes every link",
                    path.display()
                );
            }
            if !quiet {
                println!(
                    "{} packets, {} pages, {} files in {:.1} s → {}",
                    report.packets,
                    report.pages,
                    report.files,
                    report.elapsed.as_secs_f64(),
                    out.display()
                );
            }
            Ok(())
        }
        Command::Check { root } => {
            let warnings = tarea::check(&root)?;
            for warning in &warnings {
                eprintln!("{warning}");
            }
            println!("no errors found ({} warnings)", warnings.len());
            Ok(())
        }
        Command::Suggest { patient, root } => {
            print!("{}", tarea::suggest(&root, &patient)?);
            Ok(())
        }
    }
}
