//! Lists, model and combined, side by side on each set: the held-out split of the training source,
//! two sets from sources the model never saw, clean chat, and the lists' own set. Precision, recall,
//! false-positive rate and balanced accuracy ((recall + 1 − FPR) / 2) per set and method.

use std::collections::BTreeMap;
use std::path::Path;

use chime_flow_core::stages::classifier::{Classifier, ClassifierConfig, Verdict};
use chime_flow_core::stages::moderation::{Moderation, ModerationConfig};

use crate::table::{percent, print, read_rows};

/// What a set stands for in the default decision.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The training source's held-out split.
    HeldOut,
    /// A source the model never saw: its balanced accuracy decides the default.
    DifferentSource,
    /// Clean chat: its false-positive rate must not rise.
    CleanChat,
    /// The lists' own set.
    Lists,
}

/// One labelled set: its name, its role, and its rows (deny?, group, text).
struct Set {
    name: &'static str,
    role: Role,
    rows: Vec<(bool, String, String)>,
}

#[derive(Default, Clone, Copy)]
struct Counts {
    positives: usize,
    found: usize,
    negatives: usize,
    false_positives: usize,
}

impl Counts {
    fn add(&mut self, deny: bool, denied: bool) {
        if deny {
            self.positives += 1;
            self.found += usize::from(denied);
        } else {
            self.negatives += 1;
            self.false_positives += usize::from(denied);
        }
    }

    fn recall(&self) -> f64 {
        self.found as f64 / self.positives.max(1) as f64
    }

    fn fpr(&self) -> f64 {
        self.false_positives as f64 / self.negatives.max(1) as f64
    }

    /// Balanced accuracy in percent, or `None` for a set with one class.
    pub fn balanced(&self) -> Option<f64> {
        (self.positives > 0 && self.negatives > 0)
            .then(|| 50.0 * (self.recall() + 1.0 - self.fpr()))
    }
}

/// The balanced accuracy of lists and combined on the different-source sets, and the clean-chat
/// false-positive rates, for the default decision.
pub struct Summary {
    /// Per different-source set: (name, lists, combined) balanced accuracy in percent.
    pub different_source: Vec<(&'static str, f64, f64)>,
    /// Clean chat's false-positive rate: (lists, combined), in percent.
    pub clean_chat_fpr: (f64, f64),
}

fn sets(dir: &Path) -> Result<Vec<Set>, String> {
    let moderation = read_rows(&dir.join("moderation.tsv"), 3)?;
    let external = read_rows(&dir.join("external.tsv"), 3)?;
    let pick =
        |rows: &[Vec<String>], keep: &dyn Fn(&str, &str) -> bool| -> Vec<(bool, String, String)> {
            rows.iter()
                .filter(|r| keep(&r[0], &r[1]))
                .map(|r| (r[0] == "deny", r[1].clone(), r[2].clone()))
                .collect()
        };
    Ok(vec![
        Set {
            name: "held-out: Davidson tweets (training source, never trained on)",
            role: Role::HeldOut,
            rows: pick(&moderation, &|_, g| g.starts_with("davidson-")),
        },
        Set {
            name: "different source: HateCheck functional tests",
            role: Role::DifferentSource,
            rows: pick(&external, &|_, g| g.starts_with("hatecheck-")),
        },
        Set {
            name: "different source: Surge AI social comments",
            role: Role::DifferentSource,
            rows: pick(&external, &|_, g| g.starts_with("surge-")),
        },
        Set {
            name: "clean chat (en-clean, chat-*)",
            role: Role::CleanChat,
            rows: pick(&moderation, &|l, g| {
                l == "pass" && (g == "en-clean" || g.starts_with("chat-"))
            }),
        },
        Set {
            name: "lists' set: evasions, languages, near misses, context",
            role: Role::Lists,
            rows: pick(&moderation, &|_, g| !g.starts_with("davidson-")),
        },
    ])
}

/// Scores every set three ways and prints one table (with `groups`, one more per group of the
/// different-source sets; with `misses`, up to that many misclassified rows per set and method);
/// the figures the default decision rests on.
pub fn run(dir: &Path, groups: bool, misses: usize) -> Result<Summary, String> {
    let sets = sets(dir)?;
    let lists = Moderation::new(&ModerationConfig::builtin()).map_err(|e| e.to_string())?;
    lists.build_fast_automaton_now();
    let with_model = ModerationConfig {
        classifier: Some(ClassifierConfig::default()),
        ..ModerationConfig::builtin()
    };
    let combined = Moderation::new(&with_model).map_err(|e| e.to_string())?;
    combined.build_fast_automaton_now();
    let model = Classifier::builtin(&ClassifierConfig::default()).map_err(|e| e.to_string())?;
    let (deny_threshold, assist_threshold) = model.thresholds();
    println!(
        "## Classifier (lists / model / combined; deny threshold {deny_threshold:.3}, assist {assist_threshold:.3})\n"
    );
    let mut table = Vec::new();
    let mut summary = Summary {
        different_source: Vec::new(),
        clean_chat_fpr: (0.0, 0.0),
    };
    let mut by_group: BTreeMap<String, [Counts; 3]> = BTreeMap::new();
    let mut wrong: Vec<String> = Vec::new();
    for set in &sets {
        let mut counts = [Counts::default(); 3];
        let mut shown = [0usize; 3];
        for (deny, group, text) in &set.rows {
            let verdicts = [
                lists.judge(text).is_some(),
                matches!(model.verdict(text), Verdict::Deny(_)),
                combined.judge(text).is_some(),
            ];
            for (i, denied) in verdicts.into_iter().enumerate() {
                counts[i].add(*deny, denied);
                if set.role == Role::DifferentSource {
                    by_group.entry(group.clone()).or_default()[i].add(*deny, denied);
                }
                if denied != *deny && shown[i] < misses {
                    shown[i] += 1;
                    wrong.push(format!(
                        "{} · {} · {group} · p={:.3}: {text}",
                        set.name,
                        ["lists", "model", "combined"][i],
                        model.score(text)
                    ));
                }
            }
        }
        for (method, c) in ["lists", "model", "combined"].iter().zip(&counts) {
            table.push(vec![
                set.name.to_owned(),
                method.to_string(),
                (c.positives + c.negatives).to_string(),
                percent(c.found, c.found + c.false_positives),
                percent(c.found, c.positives),
                percent(c.false_positives, c.negatives),
                c.balanced().map_or("—".into(), |b| format!("{b:.1}%")),
            ]);
        }
        if set.role == Role::DifferentSource {
            summary.different_source.push((
                set.name,
                counts[0].balanced().unwrap_or(0.0),
                counts[2].balanced().unwrap_or(0.0),
            ));
        }
        if set.role == Role::CleanChat {
            summary.clean_chat_fpr = (100.0 * counts[0].fpr(), 100.0 * counts[2].fpr());
        }
    }
    print(
        &[
            "set",
            "method",
            "rows",
            "precision",
            "recall",
            "false-positive rate",
            "balanced accuracy",
        ],
        &table,
    );
    if groups {
        println!(
            "\nper group of the different-source sets: share denied (lists / model / combined)\n"
        );
        let rows: Vec<Vec<String>> = by_group
            .iter()
            .map(|(group, c)| {
                let share =
                    |c: &Counts| percent(c.found + c.false_positives, c.positives + c.negatives);
                vec![
                    group.clone(),
                    if c[0].positives > 0 { "deny" } else { "pass" }.to_owned(),
                    (c[0].positives + c[0].negatives).to_string(),
                    share(&c[0]),
                    share(&c[1]),
                    share(&c[2]),
                ]
            })
            .collect();
        print(
            &["group", "label", "rows", "lists", "model", "combined"],
            &rows,
        );
    }
    for line in &wrong {
        println!("  {line}");
    }
    Ok(summary)
}

/// Whether the classifier earns the pipeline's default: on every different-source set, balanced
/// accuracy up by ≥ 5 points, and clean chat's false-positive rate not raised.
pub fn earns_default(summary: &Summary) -> bool {
    summary
        .different_source
        .iter()
        .all(|(_, lists, combined)| combined - lists >= 5.0)
        && summary.clean_chat_fpr.1 <= summary.clean_chat_fpr.0
}
