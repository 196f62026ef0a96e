//! The model file: a header and one signed byte per bucket, read in place (nothing is copied or
//! decoded at start: the weights are the bytes compiled into the binary).
//!
//! Layout, little-endian: `CFKC` · version `1` u8 · bits u8 · 2 reserved bytes · scale f32 · bias f32
//! · deny threshold f32 · assist threshold f32 · `2^bits` i8 weights. A weight is `byte × scale`.

use super::features::{self, Scratch};

const MAGIC: &[u8; 4] = b"CFKC";
const VERSION: u8 = 1;
const HEADER: usize = 24;

/// Why a model file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// Not a model file of this version.
    #[error("not a classifier model (expected magic CFKC version {VERSION})")]
    Format,
    /// The bucket count is out of range or the weights are not all there.
    #[error("model file: {0}")]
    Size(String),
}

/// A linear model over hashed features, borrowing its weights.
#[derive(Debug, Clone, Copy)]
pub struct Model<'a> {
    bits: u32,
    scale: f32,
    bias: f32,
    /// The probability above which the model denies alone (chosen on the training data's validation part).
    pub deny_threshold: f32,
    /// The probability above which a listed word under its category's threshold denies with the model.
    pub assist_threshold: f32,
    weights: &'a [u8],
}

fn f32_at(bytes: &[u8], at: usize) -> f32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    f32::from_le_bytes(b)
}

impl<'a> Model<'a> {
    /// Reads a model file.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ModelError> {
        if bytes.len() < HEADER || &bytes[..4] != MAGIC || bytes[4] != VERSION {
            return Err(ModelError::Format);
        }
        let bits = u32::from(bytes[5]);
        if !(8..=24).contains(&bits) {
            return Err(ModelError::Size(format!("{bits} bits is outside 8–24")));
        }
        let weights = &bytes[HEADER..];
        if weights.len() != 1 << bits {
            return Err(ModelError::Size(format!(
                "{} weight bytes, expected {}",
                weights.len(),
                1usize << bits
            )));
        }
        let model = Self {
            bits,
            scale: f32_at(bytes, 8),
            bias: f32_at(bytes, 12),
            deny_threshold: f32_at(bytes, 16),
            assist_threshold: f32_at(bytes, 20),
            weights,
        };
        let finite = [
            model.scale,
            model.bias,
            model.deny_threshold,
            model.assist_threshold,
        ]
        .iter()
        .all(|v| v.is_finite());
        if !finite {
            return Err(ModelError::Size(
                "a header value is not a finite number".into(),
            ));
        }
        Ok(model)
    }

    /// The number of weights.
    pub fn buckets(&self) -> usize {
        self.weights.len()
    }

    /// The probability that `text` is offensive.
    pub fn score(&self, text: &str, scratch: &mut Scratch) -> f32 {
        let mut sum = 0i32;
        let mut count = 0u32;
        features::for_each(text, scratch, |hash| {
            let (index, sign) = features::bucket(hash, self.bits);
            let w = i32::from(self.weights[index] as i8);
            sum += if sign > 0.0 { w } else { -w };
            count += 1;
        });
        let z = self.bias + self.scale * sum as f32 / (count.max(1) as f32).sqrt();
        1.0 / (1.0 + (-z).exp())
    }

    /// Writes a model file: `weights` are quantized to bytes by `scale`.
    pub fn write(
        bits: u32,
        scale: f32,
        bias: f32,
        thresholds: (f32, f32),
        weights: &[i8],
    ) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER + weights.len());
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.push(bits as u8);
        out.extend_from_slice(&[0, 0]);
        for v in [scale, bias, thresholds.0, thresholds.1] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend(weights.iter().map(|&w| w as u8));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_model_reads_back_and_scores() {
        let mut weights = vec![0i8; 1 << 8];
        let mut scratch = Scratch::default();
        features::for_each("bad", &mut scratch, |h| {
            let (i, sign) = features::bucket(h, 8);
            weights[i] = if sign > 0.0 { 100 } else { -100 };
        });
        let bytes = Model::write(8, 0.05, -1.0, (0.9, 0.5), &weights);
        let model = Model::parse(&bytes).unwrap();
        assert_eq!(model.buckets(), 256);
        assert_eq!(model.deny_threshold, 0.9);
        assert!(model.score("bad", &mut scratch) > 0.9);
        assert!(model.score("", &mut scratch) < 0.5, "the bias alone");
    }

    #[test]
    fn broken_files_are_refused_with_the_reason() {
        assert_eq!(Model::parse(b"nope").unwrap_err(), ModelError::Format);
        let mut bytes = Model::write(8, 1.0, 0.0, (0.9, 0.5), &[0; 256]);
        bytes.pop();
        assert!(
            Model::parse(&bytes)
                .unwrap_err()
                .to_string()
                .contains("255 weight bytes")
        );
        let nan = Model::write(8, f32::NAN, 0.0, (0.9, 0.5), &[0; 256]);
        assert!(Model::parse(&nan).is_err());
    }
}
