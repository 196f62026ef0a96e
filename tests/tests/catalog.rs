//! The one stage catalog and the workspace agree: every function the catalog names is deployed from
//! `functions/<name>`, and its `main` is the one call that runs its own entry.

use std::path::Path;

use chime_flow::stages::catalog;

#[test]
fn every_catalog_function_runs_its_own_entry() {
    let functions_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../functions");
    for function in catalog::functions() {
        let main = functions_dir.join(function).join("src/main.rs");
        let text =
            std::fs::read_to_string(&main).unwrap_or_else(|e| panic!("{}: {e}", main.display()));
        let entry = function.to_ascii_uppercase().replace('-', "_");
        assert!(
            text.contains(&format!(
                "chime_flow::runtime::Start::entry(&catalog::{entry})"
            )),
            "{} runs its own catalog entry (Start::entry)",
            main.display()
        );
    }
}
