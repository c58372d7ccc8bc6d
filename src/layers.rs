//! The stages' dependency direction, checked by a test rather than kept by convention: every
//! module of the crate has a layer, a module may use only modules of its own layer or below, and
//! the modules of one layer never use each other in a cycle.
//!
//! The layers follow the pipeline: the data and its vocabulary; load and validate; resolve (plan
//! and library → view models); render and write; the site's pipeline; the commands that drive
//! it. A `use crate::{a, b}` would hide its modules from the scan, so the scan refuses it.

/// Every module (the first part of its path under `src/`) and its layer, lowest first.
const LAYERS: &[(&str, u8)] = &[
    // The data, its vocabulary and leaf utilities: they use nothing of the pipeline.
    ("model", 0),
    ("diagnostic", 0),
    ("markdown", 0),
    ("output", 0),
    ("qr", 0),
    ("token", 0),
    ("answers", 0),
    ("templates", 0),
    ("i18n", 0),
    ("params", 0),
    ("seal", 0),
    ("parallel", 0),
    // Reading a site and checking it.
    ("load", 1),
    ("course", 1),
    ("validate", 1),
    // Plan + library → view models.
    ("resolve", 2),
    ("suggest", 2),
    // View models → files (in memory), and files → `out/` all or nothing; the cache of what is
    // there already.
    ("render", 3),
    ("cache", 3),
    ("write", 3),
    // The site: settings decided once, and the one pipeline every command runs.
    ("site", 4),
    ("import", 4),
    ("scaffold", 4),
    // The library's entry points and the preview server, then the binary.
    ("serve", 5),
    ("lib", 5),
    ("main", 6),
    // The build script (records the commit for `--version`): compiled apart, it uses no module.
    ("build", 6),
];

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    use super::LAYERS;

    /// Each module with the modules its code (not its comments) names as `crate::<module>`.
    fn uses() -> BTreeMap<String, BTreeSet<String>> {
        let src = Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into()))
            .join("src");
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for entry in walkdir::WalkDir::new(&src).into_iter().map(|e| e.unwrap()) {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "rs") || path.ends_with("layers.rs") {
                continue;
            }
            let relative = path.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
            let module = relative.split(['/', '.']).next().unwrap().to_string();
            let used = graph.entry(module.clone()).or_default();
            for line in std::fs::read_to_string(path).unwrap().lines() {
                let code = line.split("//").next().unwrap();
                assert!(
                    !code.contains("crate::{"),
                    "{relative}: name the module (`crate::m::{{..}}`), not `crate::{{..}}`"
                );
                for (at, _) in code.match_indices("crate::") {
                    let name: String =
                        code[at + 7..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                    if !name.is_empty() && name != module {
                        used.insert(name);
                    }
                }
            }
        }
        graph
    }

    #[test]
    fn every_stage_uses_only_its_layer_and_below_without_cycles() {
        let layer: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
        let graph = uses();
        for (module, used) in &graph {
            let Some(&own) = layer.get(module.as_str()) else { panic!("src/{module} has no layer in LAYERS") };
            for dep in used {
                let Some(&theirs) = layer.get(dep.as_str()) else {
                    panic!("{module} uses crate::{dep}, which has no layer")
                };
                assert!(theirs <= own, "{module} (layer {own}) uses {dep} (layer {theirs}): an upward edge");
            }
        }
        // No cycle: repeatedly take away the modules that use nothing left.
        let mut left: BTreeMap<&str, BTreeSet<&str>> = graph
            .iter()
            .map(|(m, used)| (m.as_str(), used.iter().map(String::as_str).filter(|d| graph.contains_key(*d)).collect()))
            .collect();
        while !left.is_empty() {
            let free: Vec<&str> = left.iter().filter(|(_, used)| used.is_empty()).map(|(m, _)| *m).collect();
            assert!(!free.is_empty(), "these modules use each other in a cycle: {left:?}");
            for m in free {
                left.remove(m);
                for used in left.values_mut() {
                    used.remove(m);
                }
            }
        }
    }

    #[test]
    fn the_scan_finds_the_uses() {
        // The scan really finds uses: resolve uses model, and render uses resolve.
        let graph = uses();
        assert!(graph["resolve"].contains("model") && graph["render"].contains("resolve"), "{graph:?}");
    }
}
