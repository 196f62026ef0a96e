//! Moderation on `moderation.tsv`: rows `deny|pass`, group, text; the built-in lists and default
//! thresholds, as a processor configured with nothing runs them.

use std::collections::BTreeMap;
use std::path::Path;

use chime_flow_core::stages::moderation::{Moderation, ModerationConfig, RuleHit};

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

/// Scores every row, prints the table (and up to `show_misses` misclassified rows per group); the
/// targets missed.
pub fn run(path: &Path, show_misses: usize) -> Result<Vec<String>, String> {
    let rows = read_rows(path, 3)?;
    let moderation = Moderation::new(&ModerationConfig::builtin())
        .map_err(|e| format!("built-in lists: {e}"))?;
    moderation.build_fast_automaton_now();
    let mut score = Score::default();
    for row in &rows {
        let (label, group, text) = (row[0].as_str(), row[1].as_str(), row[2].as_str());
        score
            .add(label, group, text, moderation.judge(text).as_ref())
            .map_err(|problem| format!("{}: {problem}", path.display()))?;
    }
    println!(
        "## Moderation ({} rows: {} offensive, {} clean; built-in lists, default thresholds, {} patterns)\n",
        rows.len(),
        score.total.deny_rows,
        score.total.pass_rows,
        moderation.pattern_count()
    );
    score.print(rows.len(), show_misses);
    Ok(score.missed_targets())
}

/// Counts per group and in all, denials by category, and the misclassified rows per group.
#[derive(Default)]
struct Score {
    groups: BTreeMap<String, Counts>,
    total: Counts,
    by_category: BTreeMap<&'static str, usize>,
    misses: BTreeMap<String, Vec<String>>,
}

impl Score {
    fn add(
        &mut self,
        label: &str,
        group: &str,
        text: &str,
        verdict: Option<&RuleHit>,
    ) -> Result<(), String> {
        let counts = self.groups.entry(group.to_owned()).or_default();
        let missed = match (label, verdict) {
            ("deny", Some(hit)) => {
                counts.deny_rows += 1;
                counts.denied += 1;
                self.total.deny_rows += 1;
                self.total.denied += 1;
                *self.by_category.entry(hit.category.name()).or_default() += 1;
                None
            }
            ("deny", None) => {
                counts.deny_rows += 1;
                self.total.deny_rows += 1;
                Some(text.to_owned())
            }
            ("pass", hit) => {
                counts.pass_rows += 1;
                self.total.pass_rows += 1;
                hit.map(|hit| {
                    counts.wrongly_denied += 1;
                    self.total.wrongly_denied += 1;
                    format!("{text}  [{}]", hit.rule_id)
                })
            }
            (other, _) => return Err(format!("unknown label {other:?}")),
        };
        if let Some(line) = missed {
            self.misses.entry(group.to_owned()).or_default().push(line);
        }
        Ok(())
    }

    fn print(&self, rows: usize, show_misses: usize) {
        let total = &self.total;
        let mut table: Vec<Vec<String>> = self
            .groups
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
            rows.to_string(),
            percent(total.denied, total.deny_rows),
            percent(total.wrongly_denied, total.pass_rows),
        ]);
        print(&["group", "rows", "recall", "false-positive rate"], &table);
        let categories: Vec<String> = self
            .by_category
            .iter()
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        println!(
            "\ndenials by the category of the deciding rule: {}",
            categories.join(", ")
        );
        if show_misses > 0 {
            for (group, texts) in &self.misses {
                println!("\nmisclassified in {group}:");
                for text in texts.iter().take(show_misses) {
                    println!("  {text}");
                }
            }
        }
    }

    /// Recall below [`RECALL_TARGET`] and a false-positive rate above [`FPR_TARGET`], in all.
    fn missed_targets(&self) -> Vec<String> {
        let recall = self.total.denied as f64 / self.total.deny_rows.max(1) as f64;
        let fpr = self.total.wrongly_denied as f64 / self.total.pass_rows.max(1) as f64;
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
        missed
    }
}
