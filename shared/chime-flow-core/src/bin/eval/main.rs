//! Scores the moderation and redaction stages on the labelled sets in `shared/chime-flow-core/eval/` and prints
//! precision, recall and false-positive rates per stage, group and kind.
//!
//! `cargo run -p chime-flow-core --bin eval [-- --check] [--groups] [--misses N] [--dir shared/chime-flow-core/eval]`: `--check` exits
//! non-zero when a target is missed (moderation recall ≥ 90% with FPR ≤ 2%; redaction recall ≥ 99%
//! per kind with ≤ 1% of near misses redacted); `--misses N` prints up to N misclassified rows per
//! group (the text of the set, never of a user's message).

mod classifier;
mod moderation;
mod redaction;
mod table;

use std::path::PathBuf;
use std::process::ExitCode;

struct Args {
    dir: PathBuf,
    check: bool,
    misses: usize,
    groups: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("eval"),
        check: false,
        misses: 0,
        groups: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--check" => args.check = true,
            "--groups" => args.groups = true,
            "--dir" => args.dir = it.next().ok_or("--dir needs a directory")?.into(),
            "--misses" => {
                let n = it.next().ok_or("--misses needs a number")?;
                args.misses = n
                    .parse()
                    .map_err(|_| format!("--misses: {n:?} is not a number"))?;
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?} (--check, --groups, --misses N, --dir D)"
                ));
            }
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(error) => {
            eprintln!("eval: {error}");
            return ExitCode::from(2);
        }
    };
    let mut missed = Vec::new();
    match moderation::run(&args.dir.join("moderation.tsv"), args.misses) {
        Ok(targets) => missed.extend(targets),
        Err(error) => {
            eprintln!("eval: {error}");
            return ExitCode::from(2);
        }
    }
    println!();
    match classifier::run(&args.dir, args.groups, args.misses) {
        Ok(summary) => {
            let verdict = if classifier::earns_default(&summary) {
                "earns the pipeline's default"
            } else {
                "stays opt-in"
            };
            let gains: Vec<String> = summary
                .different_source
                .iter()
                .map(|(set, lists, combined)| format!("{set}: {:+.1} points", combined - lists))
                .collect();
            println!(
                "\nbalanced accuracy, combined − lists: {}; clean chat false positives {:.1}% → {:.1}%: the classifier {verdict} (needs ≥ +5 points on each different-source set and no more clean-chat false positives)",
                gains.join("; "),
                summary.clean_chat_fpr.0,
                summary.clean_chat_fpr.1
            );
        }
        Err(error) => {
            eprintln!("eval: {error}");
            return ExitCode::from(2);
        }
    }
    println!();
    match redaction::run(&args.dir.join("redaction.tsv"), args.misses) {
        Ok(targets) => missed.extend(targets),
        Err(error) => {
            eprintln!("eval: {error}");
            return ExitCode::from(2);
        }
    }
    println!();
    if missed.is_empty() {
        println!("targets: all met");
        ExitCode::SUCCESS
    } else {
        for miss in &missed {
            println!("target missed: {miss}");
        }
        if args.check {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        }
    }
}
