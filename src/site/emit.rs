//! `build --emit-typst`: the Typst sources, data and fonts of each chosen document, laid out as
//! the in-process compiler sees them, so `typst compile` can reproduce each PDF (a debugging aid
//! for layout authors, and the benchmark's comparison).

use std::path::Path;

use anyhow::{Context, Result};

use super::{BuildSettings, Pipeline, secret_or_stand_in};

/// Writes every chosen packet (and booklet) into a folder of its own under `dir`; returns how
/// many documents were written. Sealing does not change a PDF, so neither does the secret.
pub fn emit_typst(settings: &BuildSettings, dir: &Path) -> Result<usize> {
    let pipeline = Pipeline::load(&settings.root)?;
    let planned = pipeline.plan(settings, secret_or_stand_in(&settings.root)?);
    let resolved = &planned.resolved;
    let mut documents: Vec<(String, &str, Vec<u8>)> = Vec::new();
    for (packet, _) in resolved.packets.iter().zip(&planned.chosen).filter(|(_, keep)| **keep) {
        documents.push((packet.token.clone(), "typst/packet.typ", serde_json::to_vec(packet)?));
        if let Some(booklet) = resolved.booklets.iter().find(|b| b.token == packet.token) {
            documents.push((format!("{}-booklet", booklet.token), "typst/booklet.typ", serde_json::to_vec(booklet)?));
        }
    }
    let templates = &pipeline.templates;
    for (name, main, data) in &documents {
        let folder = dir.join(name);
        let mut files = vec![
            (folder.join("main.typ"), templates.file(main).bytes.to_vec()),
            (folder.join("packet.json"), data.clone()),
        ];
        for (layout, file) in templates.under("typst/") {
            files.push((folder.join(layout.trim_start_matches("typst/")), file.bytes.to_vec()));
        }
        for (font, file) in templates.under("fonts/") {
            files.push((folder.join(font), file.bytes.to_vec()));
        }
        for (path, bytes) in files {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
            }
            std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        }
    }
    Ok(documents.len())
}
