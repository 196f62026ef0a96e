//! Per-category thresholds: the summed severity of distinct rules that denies, or off.

use super::configuration::{DEFAULT_SEVERITY, category_names};
use super::{Category, parse_level};

/// Per category: the summed severity that denies, or `None` (the category is off: its terms are not
/// even compiled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds(pub [Option<u32>; 6]);

impl Default for Thresholds {
    /// For a general-audience chat: strong profanity, sexual terms and harassment deny alone (mild
    /// ones take three), every slur denies, deployment terms at 10. Self-harm is off: denying someone
    /// who writes that they want to die silences a cry for help; turn it on where that is wanted.
    fn default() -> Self {
        let mut t = [None; 6];
        t[Category::Profanity.index()] = Some(7);
        t[Category::Sexual.index()] = Some(7);
        t[Category::Slur.index()] = Some(3);
        t[Category::Harassment.index()] = Some(7);
        t[Category::Custom.index()] = Some(DEFAULT_SEVERITY);
        Self(t)
    }
}

impl Thresholds {
    /// A category's threshold (`None`: the category never denies).
    pub fn get(&self, category: Category) -> Option<u32> {
        self.0[category.index()]
    }

    /// Sets a category's threshold.
    pub fn set(&mut self, category: Category, threshold: Option<u32>) {
        self.0[category.index()] = threshold;
    }

    /// `profanity=strong,slur=mild,self-harm=off,custom=12`: level names, numbers 1–1000 or `off`;
    /// categories not named keep their thresholds.
    pub fn apply(&mut self, spec: &str) -> Result<(), String> {
        for item in spec.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (name, value) = item
                .split_once('=')
                .ok_or_else(|| format!("{item:?} is not category=threshold"))?;
            let category = Category::from_name(name.trim()).ok_or_else(|| {
                format!(
                    "unknown category {:?} (one of {})",
                    name.trim(),
                    category_names()
                )
            })?;
            let value = value.trim();
            let threshold = if value.eq_ignore_ascii_case("off") {
                None
            } else if let Ok(n) = value.parse::<u32>() {
                if !(1..=1000).contains(&n) {
                    return Err(format!("{name}: {n} is out of range 1–1000"));
                }
                Some(n)
            } else {
                Some(parse_level(value).map_err(|e| format!("{name}: {e} or off"))?)
            };
            self.set(category, threshold);
        }
        Ok(())
    }
}
