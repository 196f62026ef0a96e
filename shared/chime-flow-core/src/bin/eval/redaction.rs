//! Redaction on `redaction.tsv`: rows kind, `redact|keep`, value, text, regions. A value to redact
//! counts as found when findings of its kind cover every byte of it; a near miss counts as redacted
//! when any finding touches it. Precision per kind counts findings of that kind that cover a value of
//! it. Each row is scored under its `REDACTION_REGIONS` setting; the table has a line per kind and
//! setting.

use std::collections::BTreeMap;
use std::path::Path;

use chime_flow_core::stages::redaction::{Kind, Redaction, RedactionConfig, Regions};

use crate::table::{percent, print, read_rows};

pub const RECALL_TARGET: f64 = 0.99;
pub const NEAR_MISS_TARGET: f64 = 0.01;

#[derive(Default)]
struct Counts {
    positives: usize,
    found: usize,
    near_misses: usize,
    near_misses_redacted: usize,
    findings: usize,
    findings_right: usize,
}

/// Scores every row, prints the table (and up to `show_misses` misses per group); the targets missed.
pub fn run(path: &Path, show_misses: usize) -> Result<Vec<String>, String> {
    let rows = read_rows(path, 5)?;
    let kinds: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|k| *k != Kind::Profanity)
        .collect();
    let mut stages: BTreeMap<String, Redaction> = BTreeMap::new();
    let mut score = Score::default();
    for (index, row) in rows.iter().enumerate() {
        let setting = &row[4];
        if !stages.contains_key(setting) {
            let regions = Regions::parse(setting).map_err(|e| format!("row {}: {e}", index + 1))?;
            let redaction = Redaction::new(
                RedactionConfig {
                    kinds: kinds.clone(),
                    regions,
                    ..RedactionConfig::default()
                },
                None,
            )
            .map_err(|e| format!("detectors: {e}"))?;
            stages.insert(setting.clone(), redaction);
        }
        score
            .add(&stages[setting], row)
            .map_err(|problem| format!("row {}: {problem}", index + 1))?;
    }
    println!(
        "## Redaction ({} rows: values to redact and near misses per kind)\n",
        rows.len()
    );
    score.print(show_misses);
    Ok(score.missed_targets())
}

/// The counts per kind, and the rows that went wrong (by what went wrong) for diagnosis.
#[derive(Default)]
struct Score {
    /// Per kind and `REDACTION_REGIONS` setting.
    per_kind: BTreeMap<(Kind, String), Counts>,
    misses: BTreeMap<String, Vec<String>>,
}

impl Score {
    /// One row: kind, `redact|keep`, value, text, regions.
    fn add(&mut self, redaction: &Redaction, row: &[String]) -> Result<(), String> {
        let (kind_name, expect, value, text) = (&row[0], row[1].as_str(), &row[2], &row[3]);
        let setting = row[4].clone();
        let kind =
            Kind::from_name(kind_name).ok_or_else(|| format!("unknown kind {kind_name:?}"))?;
        let start = text.find(value.as_str()).ok_or("value not in text")?;
        let end = start + value.len();
        let findings = redaction.findings(text);
        for &(found_kind, s, e) in &findings {
            let counts = self
                .per_kind
                .entry((found_kind, setting.clone()))
                .or_default();
            counts.findings += 1;
            if expect == "redact" && found_kind == kind && s < end && e > start {
                counts.findings_right += 1;
            }
        }
        let counts = self.per_kind.entry((kind, setting.clone())).or_default();
        let wrong = match expect {
            "redact" => {
                counts.positives += 1;
                let covered = (start..end).all(|at| {
                    findings
                        .iter()
                        .any(|&(k, s, e)| k == kind && s <= at && at < e)
                });
                counts.found += usize::from(covered);
                (!covered).then(|| format!("{kind_name} missed (regions {setting})"))
            }
            "keep" => {
                counts.near_misses += 1;
                let touched = findings.iter().any(|&(_, s, e)| s < end && e > start);
                counts.near_misses_redacted += usize::from(touched);
                touched.then(|| format!("{kind_name} near miss redacted (regions {setting})"))
            }
            other => return Err(format!("unknown expectation {other:?}")),
        };
        if let Some(what) = wrong {
            self.misses.entry(what).or_default().push(format!(
                "{value}  in  {text}  -> {}",
                shown(text, &findings)
            ));
        }
        Ok(())
    }

    fn print(&self, show_misses: usize) {
        let table: Vec<Vec<String>> = self
            .per_kind
            .iter()
            .filter(|(_, c)| c.positives + c.near_misses > 0)
            .map(|((kind, setting), c)| {
                vec![
                    kind.name().to_owned(),
                    setting.clone(),
                    c.positives.to_string(),
                    percent(c.found, c.positives),
                    c.near_misses.to_string(),
                    percent(c.near_misses_redacted, c.near_misses),
                    percent(c.findings_right, c.findings),
                ]
            })
            .collect();
        print(
            &[
                "kind",
                "regions",
                "values",
                "recall",
                "near misses",
                "near misses redacted",
                "precision",
            ],
            &table,
        );
        if show_misses > 0 {
            for (what, list) in &self.misses {
                println!("\n{what}:");
                for line in list.iter().take(show_misses) {
                    println!("  {line}");
                }
            }
        }
    }

    /// Each kind's recall below [`RECALL_TARGET`] and near misses redacted above
    /// [`NEAR_MISS_TARGET`].
    fn missed_targets(&self) -> Vec<String> {
        let mut missed = Vec::new();
        for ((kind, setting), c) in &self.per_kind {
            if c.positives > 0 && (c.found as f64) < RECALL_TARGET * c.positives as f64 {
                missed.push(format!(
                    "{} (regions {setting}) recall {} < {:.0}%",
                    kind.name(),
                    percent(c.found, c.positives),
                    RECALL_TARGET * 100.0
                ));
            }
            if c.near_misses > 0
                && c.near_misses_redacted as f64 > NEAR_MISS_TARGET * c.near_misses as f64
            {
                missed.push(format!(
                    "{} (regions {setting}) near misses redacted {} > {:.0}%",
                    kind.name(),
                    percent(c.near_misses_redacted, c.near_misses),
                    NEAR_MISS_TARGET * 100.0
                ));
            }
        }
        missed
    }
}

/// The text with findings bracketed as `⟦kind:…⟧` (the set's own text, for diagnosis).
fn shown(text: &str, findings: &[(Kind, usize, usize)]) -> String {
    let mut out = String::new();
    let mut at = 0;
    for &(kind, s, e) in findings {
        if s < at {
            continue;
        }
        out.push_str(&text[at..s]);
        out.push_str(&format!("⟦{}:{}⟧", kind.name(), &text[s..e]));
        at = e;
    }
    out.push_str(&text[at..]);
    out
}
