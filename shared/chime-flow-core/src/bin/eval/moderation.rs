//! Moderation on `moderation.tsv`: rows `deny|pass`, group, text; the built-in lists and default
//! thresholds, as a processor configured with nothing runs them.

use std::collections::BTreeMap;
use std::path::Path;

use chime_flow_core::stages::moderation::{Moderation, ModerationConfig};

use crate::table::{percent, print, read_rows};

pub const RECALL_TARGET: f64 = 0.90;
pub const FPR_TARGET: f64 = 0.02;

#[derive(Default)]
struct Counts {
    deny_rows: usize,
    denied: usize,
    pass_rows: usize,
    wrongly_denied: usize,
}

/// Prints the tables; returns the targets missed.
pub fn run(path: &Path, show_misses: usize) -> Result<Vec<String>, String> {
    let rows = read_rows(path, 3)?;
    let moderation = Moderation::new(&ModerationConfig::builtin())
        .map_err(|e| format!("built-in lists: {e}"))?;
    moderation.build_fast_automaton_now();
    let mut groups: BTreeMap<String, Counts> = BTreeMap::new();
    let mut by_category: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut misses: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut total = Counts::default();
    for row in &rows {
        let (label, group, text) = (row[0].as_str(), row[1].as_str(), row[2].as_str());
        let verdict = moderation.judge(text);
        let counts = groups.entry(group.to_owned()).or_default();
        match label {
            "deny" => {
                counts.deny_rows += 1;
                total.deny_rows += 1;
                if let Some(hit) = &verdict {
                    counts.denied += 1;
                    total.denied += 1;
                    *by_category.entry(hit.category.name()).or_default() += 1;
                } else {
                    misses
                        .entry(group.to_owned())
                        .or_default()
                        .push(text.to_owned());
                }
            }
            "pass" => {
                counts.pass_rows += 1;
                total.pass_rows += 1;
                if let Some(hit) = &verdict {
                    counts.wrongly_denied += 1;
                    total.wrongly_denied += 1;
                    misses
                        .entry(group.to_owned())
                        .or_default()
                        .push(format!("{text}  [{}]", hit.rule_id));
                }
            }
            other => return Err(format!("{}: unknown label {other:?}", path.display())),
        }
    }
    println!(
        "## Moderation ({} rows: {} offensive, {} clean; built-in lists, default thresholds, {} patterns)\n",
        rows.len(),
        total.deny_rows,
        total.pass_rows,
        moderation.pattern_count()
    );
    let mut table: Vec<Vec<String>> = groups
        .iter()
        .map(|(group, c)| {
            vec![
                group.clone(),
                (c.deny_rows + c.pass_rows).to_string(),
                percent(c.denied, c.deny_rows),
                percent(c.wrongly_denied, c.pass_rows),
            ]
        })
        .collect();
    let precision = percent(total.denied, total.denied + total.wrongly_denied);
    table.push(vec![
        format!("**all** (precision {precision})"),
        rows.len().to_string(),
        percent(total.denied, total.deny_rows),
        percent(total.wrongly_denied, total.pass_rows),
    ]);
    print(&["group", "rows", "recall", "false-positive rate"], &table);
    let categories: Vec<String> = by_category
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    println!(
        "\ndenials by the category of the deciding rule: {}",
        categories.join(", ")
    );
    if show_misses > 0 {
        for (group, texts) in &misses {
            println!("\nmisclassified in {group}:");
            for text in texts.iter().take(show_misses) {
                println!("  {text}");
            }
        }
    }
    let recall = total.denied as f64 / total.deny_rows.max(1) as f64;
    let fpr = total.wrongly_denied as f64 / total.pass_rows.max(1) as f64;
    let mut missed = Vec::new();
    if recall < RECALL_TARGET {
        missed.push(format!(
            "moderation recall {:.1}% < {:.0}%",
            recall * 100.0,
            RECALL_TARGET * 100.0
        ));
    }
    if fpr > FPR_TARGET {
        missed.push(format!(
            "moderation false-positive rate {:.1}% > {:.0}%",
            fpr * 100.0,
            FPR_TARGET * 100.0
        ));
    }
    Ok(missed)
}
