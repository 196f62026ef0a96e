//! The quality targets on the labelled sets in `shared/chime-flow-core/eval/`, checked by running the eval command
//! itself: moderation recall ≥ 90% with false-positive rate ≤ 2%, redaction recall ≥ 99% per kind with
//! ≤ 1% of near misses redacted. A change to the lists, the normaliser or a detector that costs
//! quality fails here with the table that shows where.

use std::process::Command;

#[test]
fn the_stages_meet_their_quality_targets_on_the_labelled_sets() {
    let output = Command::new(env!("CARGO_BIN_EXE_eval"))
        .arg("--check")
        .output()
        .expect("the eval binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "targets missed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("## Moderation (")
            && stdout.contains("## Classifier (")
            && stdout.contains("## Redaction ("),
        "{stdout}"
    );
    // Lists, model and combined on every set, and the verdict on the pipeline's default.
    for set in [
        "held-out: Davidson",
        "different source: HateCheck",
        "different source: Surge AI",
        "clean chat",
    ] {
        for method in ["| lists ", "| model ", "| combined "] {
            assert!(
                stdout
                    .lines()
                    .any(|l| l.contains(set) && l.contains(method)),
                "{set} {method}\n{stdout}"
            );
        }
    }
    assert!(
        stdout.contains("the classifier stays opt-in")
            || stdout.contains("the classifier earns the pipeline's default"),
        "{stdout}"
    );
    // Redaction per region setting.
    assert!(
        stdout.lines().any(|l| l.starts_with("| phone | TR ")),
        "{stdout}"
    );
    assert!(stdout.contains("targets: all met"), "{stdout}");
}

#[test]
fn a_bad_set_is_an_error_naming_the_line() {
    let dir = std::env::temp_dir().join(format!("chime-flow-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("moderation.tsv"),
        "deny\tgroup\ttext\npass\tonly two\n",
    )
    .expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_eval"))
        .args(["--dir", &dir.to_string_lossy()])
        .output()
        .expect("the eval binary runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("moderation.tsv:2: 2 fields, expected 3"),
        "{stderr}"
    );
}
