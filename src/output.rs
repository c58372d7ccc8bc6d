//! Where every output file lives under `out/` (or the preview's folder), and how pages link to the
//! shared assets: the one place that knows the layout of what a build writes. Rendering names its
//! files, the cache and the write step check them, the sealing guard and the preview server find
//! them, all through these functions, so a path can never be spelled two ways.
//!
//! ```text
//! public/<token>/index.html, <homework>.html, packet.md, packet.pdf, reminders.ics,
//!                booklet.html, booklet.pdf        one folder per packet, its name unguessable
//! public/assets/                                  stylesheet, scripts, fonts
//! public/_headers                                 headers for a static host
//! private/index.html, links.csv, nginx.conf      the therapist's side, never uploaded
//! private/<patient>/<date>.html                   a therapist copy
//! ```

use std::path::{Path, PathBuf};

/// One file of the output, by its path under `out/`.
#[derive(Debug, Clone)]
pub struct OutputFile {
    /// E.g. `public/<token>/index.html`.
    pub path: PathBuf,
    /// Its contents.
    pub bytes: Vec<u8>,
}

impl OutputFile {
    /// A file at `path` (relative to `out/`).
    pub fn new(path: impl Into<PathBuf>, bytes: impl Into<Vec<u8>>) -> Self {
        OutputFile { path: path.into(), bytes: bytes.into() }
    }
}

/// What is published: everything under it can be fetched by anyone who knows the address.
pub const PUBLIC: &str = "public";
/// The therapist's side: never uploaded.
pub const PRIVATE: &str = "private";

/// The build cache (what each packet was made from), beside `public/` and `private/`.
pub const CACHE_FILE: &str = ".tarea-cache";

/// A packet's cover page (also the sealed page of a packet with a password).
pub const COVER: &str = "index.html";
/// A packet's text version.
pub const MARKDOWN: &str = "packet.md";
/// A packet's printable PDF.
pub const PDF: &str = "packet.pdf";
/// A packet's calendar reminders.
pub const CALENDAR: &str = "reminders.ics";
/// The end-of-therapy booklet's page.
pub const BOOKLET_PAGE: &str = "booklet.html";
/// The end-of-therapy booklet's PDF.
pub const BOOKLET_PDF: &str = "booklet.pdf";

/// The assets as a packet page (or the booklet, or the sealed page) links them.
pub const ASSETS_FROM_PACKET: &str = "../assets";
/// The assets as a therapist copy links them.
pub const ASSETS_FROM_COPY: &str = "../../public/assets";
/// The assets as the private index links them.
pub const ASSETS_FROM_PRIVATE_INDEX: &str = "../public/assets";

/// A packet's folder.
pub fn packet_dir(token: &str) -> PathBuf {
    Path::new(PUBLIC).join(token)
}

/// One of a packet's files (`COVER`, `PDF`, …).
pub fn packet_file(token: &str, name: &str) -> PathBuf {
    packet_dir(token).join(name)
}

/// A task's page in its packet.
pub fn task_page(token: &str, homework: &str) -> PathBuf {
    packet_file(token, &format!("{homework}.html"))
}

/// A file of the shared assets (`tarea.css`, `fonts/Andika-Regular.ttf`, …).
pub fn asset(name: &str) -> PathBuf {
    Path::new(PUBLIC).join("assets").join(name)
}

/// Any other published file, at the top of `public/` (`_headers`).
pub fn public_file(name: &str) -> PathBuf {
    Path::new(PUBLIC).join(name)
}

/// A file of the private side (`index.html`, `links.csv`, `nginx.conf`).
pub fn private_file(name: &str) -> PathBuf {
    Path::new(PRIVATE).join(name)
}

/// The therapist copy of a patient's session.
pub fn therapist_copy(patient_id: &str, date: &str) -> PathBuf {
    Path::new(PRIVATE).join(patient_id).join(format!("{date}.html"))
}

/// A patient's page: their whole course, beside their therapist copies (private).
pub fn patient_page(patient_id: &str) -> PathBuf {
    Path::new(PRIVATE).join(patient_id).join("index.html")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_links_between_pages_reach_the_assets() {
        // Each page's relative link, from its folder, lands on public/assets.
        let land = |page: PathBuf, link: &str| {
            let mut at = page.parent().unwrap().to_path_buf();
            for part in link.split('/') {
                if part == ".." {
                    at.pop();
                } else {
                    at.push(part);
                }
            }
            at
        };
        assert_eq!(land(packet_file("abc", COVER), ASSETS_FROM_PACKET), Path::new("public/assets"));
        assert_eq!(land(therapist_copy("sam", "2026-12-11"), ASSETS_FROM_COPY), Path::new("public/assets"));
        assert_eq!(land(private_file("index.html"), ASSETS_FROM_PRIVATE_INDEX), Path::new("public/assets"));
        assert_eq!(asset("tarea.css"), Path::new("public/assets/tarea.css"));
    }
}
