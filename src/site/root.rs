//! Finding the site a command works on, as cargo and git find theirs: the nearest folder, from the
//! current one up, that holds `library/clinic.toml`. Outside any site a command says so and does
//! nothing (before, `tarea new plan` run in `library/plans/` made `library/plans/library/plans/`).

use std::path::{Path, PathBuf};

/// The file that makes a folder a site.
const MARK: &str = "library/clinic.toml";

/// The nearest site at or above `start`.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    start.ancestors().find(|dir| dir.join(MARK).is_file()).map(Path::to_path_buf)
}

/// Whether `root` (from `--root` or `TAREA_ROOT`) is a site; the error says what to do if not.
pub fn check_root(root: &Path) -> anyhow::Result<()> {
    if root.join(MARK).is_file() {
        return Ok(());
    }
    let nearest = find_root(root).map(|r| format!(" (the nearest one above is {})", r.display())).unwrap_or_default();
    anyhow::bail!(
        "{} is not a tarea site: it has no {MARK}{nearest}; pass the site's folder with --root (or TAREA_ROOT), or \
         start one with `tarea init DIR`",
        root.display()
    )
}

/// The error of a command run outside any site.
pub fn no_site_here(here: &Path) -> anyhow::Error {
    anyhow::anyhow!(
        "not inside a tarea site: neither {} nor any folder above it has {MARK}; cd into your site, pass --root DIR \
         (or set TAREA_ROOT=DIR, handy for `tarea import ~/Downloads/…`), or start one with `tarea init DIR`",
        here.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_site_is_found_from_any_folder_inside_it_and_nowhere_else() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("clinic");
        std::fs::create_dir_all(site.join("library/plans/old")).unwrap();
        std::fs::write(site.join(MARK), "").unwrap();
        assert_eq!(find_root(&site), Some(site.clone()));
        assert_eq!(find_root(&site.join("library/plans/old")), Some(site.clone()));
        assert_eq!(find_root(dir.path()), None, "a folder above the site is not in it");
        assert!(check_root(&site).is_ok());
        let refused = check_root(&site.join("library/plans")).unwrap_err().to_string();
        assert!(refused.contains("is not a tarea site") && refused.contains("the nearest one above is"), "{refused}");
        assert!(no_site_here(dir.path()).to_string().contains("TAREA_ROOT"));
    }
}
