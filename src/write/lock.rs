//! One build at a time per output folder: a lock on `out/.tarea-lock`.
//!
//! Two builds into one `out/` (a `tarea import` while another terminal builds) would share the
//! staging and spool folders and fail half-way with a raw "No such file or directory". The lock is
//! the operating system's advisory file lock (std's `File::lock`, flock on Unix), so it is released
//! however the holder ends, even when it is killed; the holder writes its process id into the file
//! so that the one waiting can say whom it waits for.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// The lock file's name in `out/`.
pub const FILE: &str = ".tarea-lock";

/// Held while a build writes into `out/`; dropping it lets the next build in.
#[derive(Debug)]
pub struct OutLock {
    _file: File,
}

/// Takes the lock on `out` (creating the folder). When another build holds it, `waiting` is told
/// who (e.g. "process 4242: tarea build") and the call waits until that build ends.
pub fn lock(out: &Path, waiting: &dyn Fn(&str)) -> Result<OutLock> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let path = out.join(FILE);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(&path).unwrap_or_default();
            let holder = holder.trim();
            waiting(if holder.is_empty() { "another tarea process" } else { holder });
            file.lock().with_context(|| format!("waiting for the lock on {}", path.display()))?;
        }
        Err(TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("locking {}", path.display()));
        }
    }
    let command: Vec<String> = std::env::args().take(2).collect();
    let holder = format!("process {}: {}\n", std::process::id(), command.join(" "));
    // Rewritten only when another process held it last, so a build with nothing new changes nothing.
    if std::fs::read_to_string(&path).ok().as_deref() != Some(holder.as_str()) {
        file.set_len(0)
            .and_then(|()| file.write_all(holder.as_bytes()))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(OutLock { _file: file })
}
