//! Embeds every profile under `models/` into the binary, so `faassim` resolves
//! `"runtime": "python"` from any folder. Adding a profile is adding a file: this script
//! lists `models/runtimes/*.json` and `models/platforms/*.json` at build time.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

fn list(dir: &Path) -> Vec<(String, String)> {
    let mut entries: Vec<(String, String)> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            if path.extension()? != "json" {
                return None;
            }
            let stem = path.file_stem()?.to_str()?.to_owned();
            let abs = fs::canonicalize(&path).ok()?;
            Some((stem, abs.to_str()?.to_owned()))
        })
        .collect();
    entries.sort();
    entries
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = String::new();
    for (konst, sub) in [("RUNTIMES", "runtimes"), ("PLATFORMS", "platforms")] {
        let dir = root.join("models").join(sub);
        println!("cargo:rerun-if-changed={}", dir.display());
        writeln!(out, "pub(crate) const {konst}: &[(&str, &str)] = &[").unwrap();
        for (name, path) in list(&dir) {
            println!("cargo:rerun-if-changed={path}");
            writeln!(out, "    ({name:?}, include_str!({path:?})),").unwrap();
        }
        writeln!(out, "];").unwrap();
    }
    let dest = Path::new(&env::var("OUT_DIR").unwrap()).join("embedded_models.rs");
    fs::write(dest, out).unwrap();
}
