//! Trains the classifier stage's model: logistic regression over hashed n-grams (the features of
//! `stages::classifier::features`), AdaGrad, classes weighted to balance, a fixed seed — the same
//! input gives the same bytes.
//!
//! `python3 shared/chime-flow-core/eval/build_classifier.py …` (writes target/classifier/train.tsv), then
//! `cargo run --release -p chime-flow-core --example train_classifier [-- --bits 17 --epochs 3]`
//! writes `shared/chime-flow-core/src/stages/classifier/model.bin`.
//!
//! The defaults: 3 epochs had the best validation ROC AUC (3, 6, 12 tried). The AUC is flat (0.990)
//! from 2^15 to 2^20 buckets, so it cannot size the table; 2^17 (128 KiB) keeps collisions moderate
//! (about three buckets in four hold a weight) at a size a Lambda binary carries easily.
//!
//! The last 10% of the training file is the validation part: it chooses the thresholds (the deny
//! threshold at ≤ 1% of its clean rows denied, the assist threshold at ≤ 5%). The held-out split and
//! the different-source sets (eval/moderation.tsv's davidson-* rows, eval/external.tsv) are never read.

use std::path::PathBuf;
use std::process::ExitCode;

use chime_flow_core::stages::classifier::features::{self, Scratch};
use chime_flow_core::stages::classifier::model::Model;

struct Args {
    input: PathBuf,
    out: PathBuf,
    bits: u32,
    epochs: usize,
}

fn parse_args() -> Result<Args, String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut args = Args {
        input: root.join("../../target/classifier/train.tsv"),
        out: root.join("src/stages/classifier/model.bin"),
        bits: 17,
        epochs: 3,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--input" => args.input = value("--input")?.into(),
            "--out" => args.out = value("--out")?.into(),
            "--bits" => {
                args.bits = value("--bits")?
                    .parse()
                    .map_err(|_| "--bits: not a number")?
            }
            "--epochs" => {
                args.epochs = value("--epochs")?
                    .parse()
                    .map_err(|_| "--epochs: not a number")?
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?} (--input, --out, --bits, --epochs)"
                ));
            }
        }
    }
    if !(8..=24).contains(&args.bits) {
        return Err("--bits must be 8–24".into());
    }
    Ok(args)
}

/// One labelled line of the training file.
struct Example {
    text: String,
    deny: bool,
}

/// One row's features as (bucket, signed value), the value scaled by 1/√n as scoring does.
type Row = (Vec<(usize, f32)>, bool);

fn read(args: &Args) -> Result<Vec<Example>, String> {
    let text = std::fs::read_to_string(&args.input).map_err(|e| {
        format!(
            "cannot read {}: {e} (run build_classifier.py first)",
            args.input.display()
        )
    })?;
    let mut examples = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (label, body) = line
            .split_once('\t')
            .ok_or_else(|| format!("line {}: expected label<TAB>text", number + 1))?;
        let deny = match label {
            "deny" => true,
            "pass" => false,
            other => return Err(format!("line {}: unknown label {other:?}", number + 1)),
        };
        examples.push(Example {
            text: body.to_owned(),
            deny,
        });
    }
    Ok(examples)
}

/// The training rows: each example's features, bucketed into 2^bits.
fn featurize(examples: &[Example], bits: u32) -> Vec<Row> {
    let mut scratch = Scratch::default();
    let mut hashes = Vec::new();
    examples
        .iter()
        .map(|example| {
            hashes.clear();
            features::for_each(&example.text, &mut scratch, |h| hashes.push(h));
            let norm = 1.0 / (hashes.len().max(1) as f32).sqrt();
            let x = hashes
                .iter()
                .map(|&h| {
                    let (i, sign) = features::bucket(h, bits);
                    (i, sign * norm)
                })
                .collect();
            (x, example.deny)
        })
        .collect()
}

/// xorshift64*: a fixed, dependency-free shuffle.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

fn train(rows: &[Row], bits: u32, epochs: usize) -> (Vec<f32>, f32) {
    let positives = rows.iter().filter(|r| r.1).count().max(1) as f32;
    let negatives = (rows.len() as f32 - positives).max(1.0);
    let (weight_pos, weight_neg) = (
        rows.len() as f32 / (2.0 * positives),
        rows.len() as f32 / (2.0 * negatives),
    );
    let mut w = vec![0f32; 1 << bits];
    let mut g2 = vec![1e-6f32; 1 << bits];
    let (mut bias, mut bias_g2) = (0f32, 1e-6f32);
    let rate = 0.5f32;
    let l2 = 1e-5f32;
    let mut order: Vec<usize> = (0..rows.len()).collect();
    let mut rng = Rng(0x5eed_2026_1203);
    for _ in 0..epochs {
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        for &r in &order {
            let (x, deny) = &rows[r];
            let z = bias + x.iter().map(|&(i, v)| w[i] * v).sum::<f32>();
            let p = 1.0 / (1.0 + (-z).exp());
            let y = if *deny { 1.0 } else { 0.0 };
            let gradient = (p - y) * if *deny { weight_pos } else { weight_neg };
            for &(i, v) in x {
                let g = gradient * v + l2 * w[i];
                g2[i] += g * g;
                w[i] -= rate * g / g2[i].sqrt();
            }
            bias_g2 += gradient * gradient;
            bias -= rate * gradient / bias_g2.sqrt();
        }
    }
    (w, bias)
}

/// Quantizes to bytes: weights beyond the 99.95th percentile of magnitudes are clipped to ±127.
fn quantize(w: &[f32]) -> (Vec<i8>, f32) {
    let mut magnitudes: Vec<f32> = w.iter().map(|v| v.abs()).filter(|&v| v > 0.0).collect();
    magnitudes.sort_by(f32::total_cmp);
    let clip = magnitudes
        .get(magnitudes.len().saturating_sub(1) * 9995 / 10000)
        .copied()
        .unwrap_or(1.0)
        .max(1e-6);
    let scale = clip / 127.0;
    let q = w
        .iter()
        .map(|&v| (v / scale).round().clamp(-127.0, 127.0) as i8)
        .collect();
    (q, scale)
}

/// The lowest threshold that denies at most `fpr` of the clean rows' scores.
fn threshold(clean_scores: &mut [f32], fpr: f64) -> f32 {
    clean_scores.sort_by(f32::total_cmp);
    let keep = ((clean_scores.len() as f64) * (1.0 - fpr)).ceil() as usize;
    clean_scores
        .get(keep.saturating_sub(1))
        .copied()
        .unwrap_or(0.5)
        .min(0.999)
}

fn run(args: &Args) -> Result<(), String> {
    let mut examples = read(args)?;
    let validation = examples.split_off(examples.len() - examples.len() / 10);
    let rows = featurize(&examples, args.bits);
    let (weights, bias) = train(&rows, args.bits, args.epochs);
    let (quantized, scale) = quantize(&weights);
    let provisional = Model::write(args.bits, scale, bias, (0.5, 0.5), &quantized);
    let model = Model::parse(&provisional).map_err(|e| e.to_string())?;
    // The validation part is scored through the model file, as the stage will score messages.
    let mut scratch = Scratch::default();
    let scored: Vec<(f32, bool)> = validation
        .iter()
        .map(|example| (model.score(&example.text, &mut scratch), example.deny))
        .collect();
    let mut clean: Vec<f32> = scored.iter().filter(|s| !s.1).map(|s| s.0).collect();
    let deny_threshold = threshold(&mut clean, 0.01);
    let assist_threshold = threshold(&mut clean, 0.05);
    let auc = {
        let mut sorted = scored.clone();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (mut rank_sum, mut positives) = (0f64, 0f64);
        for (rank, (_, deny)) in sorted.iter().enumerate() {
            if *deny {
                rank_sum += rank as f64 + 1.0;
                positives += 1.0;
            }
        }
        let negatives = sorted.len() as f64 - positives;
        (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives).max(1.0)
    };
    let recall = |t: f32| {
        let positives = scored.iter().filter(|s| s.1).count().max(1);
        scored.iter().filter(|s| s.1 && s.0 > t).count() as f64 / positives as f64
    };
    let bytes = Model::write(
        args.bits,
        scale,
        bias,
        (deny_threshold, assist_threshold),
        &quantized,
    );
    std::fs::write(&args.out, &bytes)
        .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    let nonzero = quantized.iter().filter(|&&w| w != 0).count();
    println!(
        "trained on {} rows, validated on {}; {} buckets ({} non-zero), {} bytes -> {}",
        rows.len(),
        validation.len(),
        quantized.len(),
        nonzero,
        bytes.len(),
        args.out.display()
    );
    println!(
        "validation: ROC AUC {auc:.4}; deny threshold {deny_threshold:.3} (recall {:.1}% at ≤1% clean denied), assist threshold {assist_threshold:.3} (recall {:.1}% at ≤5%)",
        100.0 * recall(deny_threshold),
        100.0 * recall(assist_threshold)
    );
    Ok(())
}

fn main() -> ExitCode {
    match parse_args().and_then(|args| run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("train_classifier: {error}");
            ExitCode::from(2)
        }
    }
}
