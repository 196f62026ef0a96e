//! The classifier's features: hashed word unigrams and bigrams and the character 3- to 5-grams of
//! each word, as signed buckets of a table of `2^bits` weights (the hashing trick: no vocabulary to
//! load, a fixed size whatever the training data held). Training (`examples/train_classifier.rs`)
//! and scoring call this one function, so the two cannot drift apart.
//!
//! Text is lower-cased; letters and digits make words (an apostrophe joins: `don't` is `dont`); a
//! mention (`@name`) and a link count as one feature each, not their letters — a username is not a
//! sentence, and a link's path is noise.

/// Words longer than this contribute their first `MAX_WORD` characters' n-grams only (a pasted hash
/// or a stretched "noooo" should not dominate).
const MAX_WORD: usize = 24;

const SEED_WORD: u32 = 0x9e37_79b9;
const SEED_BIGRAM: u32 = 0x85eb_ca6b;
const SEED_CHARS: u32 = 0xc2b2_ae35;

/// One FNV-1a step over a 32-bit unit.
#[inline]
fn step(h: u32, unit: u32) -> u32 {
    (h ^ unit).wrapping_mul(0x0100_0193)
}

/// FNV's low bits mix poorly: a murmur-style avalanche (bucket = high bits, sign = bit 0).
#[inline]
fn finish(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x7feb_352d);
    h ^= h >> 15;
    h = h.wrapping_mul(0x846c_a68b);
    h ^ (h >> 16)
}

/// FNV-1a over 32-bit units, from a seed per feature family, finished.
#[inline]
fn fnv(seed: u32, units: impl IntoIterator<Item = u32>) -> u32 {
    finish(units.into_iter().fold(0x811c_9dc5 ^ seed, step))
}

/// Reusable buffers: no allocation per message once warm.
#[derive(Debug, Default)]
pub struct Scratch {
    word: Vec<char>,
}

/// Calls `feature(hash)` for every feature of `text`; a hash's high `bits` choose the bucket and its
/// lowest bit the sign (see [`bucket`]).
pub fn for_each(text: &str, scratch: &mut Scratch, mut feature: impl FnMut(u32)) {
    let mut previous: Option<u32> = None;
    for chunk in text.split_whitespace() {
        let lower = chunk.trim_start_matches(['(', '"', '\'', '“', '‘']);
        if lower.starts_with('@') && lower.len() > 1 {
            emit_word(&['<', '@', '>'], &mut previous, &mut feature);
            continue;
        }
        if starts_with_ignore_case(lower, "http://")
            || starts_with_ignore_case(lower, "https://")
            || starts_with_ignore_case(lower, "www.")
        {
            emit_word(&['<', '/', '>'], &mut previous, &mut feature);
            continue;
        }
        let word = &mut scratch.word;
        word.clear();
        for c in chunk.chars() {
            if c.is_ascii_alphanumeric() {
                word.push(c.to_ascii_lowercase());
            } else if c.is_ascii() {
                if c != '\'' && !word.is_empty() {
                    words_done(word, &mut previous, &mut feature);
                }
            } else if c.is_alphanumeric() {
                word.extend(c.to_lowercase());
            } else if c != '’' && !word.is_empty() {
                words_done(word, &mut previous, &mut feature);
            }
        }
        if !word.is_empty() {
            words_done(word, &mut previous, &mut feature);
        }
    }
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// Emits a finished word's features and empties the buffer.
fn words_done(word: &mut Vec<char>, previous: &mut Option<u32>, feature: &mut impl FnMut(u32)) {
    word.truncate(MAX_WORD);
    emit_word(word, previous, feature);
    // Character n-grams of `<word>`, n = 3..=5: spellings, inflections and compounds share them.
    // From each start the hash runs on, and is emitted at lengths 3, 4 and 5: five steps, not twelve.
    let padded = word.len() + 2;
    let at = |i: usize| -> u32 {
        if i == 0 || i == padded - 1 {
            u32::from('\u{1}')
        } else {
            u32::from(word[i - 1])
        }
    };
    for start in 0..padded.saturating_sub(2) {
        let mut h = 0x811c_9dc5 ^ SEED_CHARS;
        for (n, i) in (start..padded.min(start + 5)).enumerate() {
            h = step(h, at(i));
            if n >= 2 {
                feature(finish(h ^ (n as u32 + 1)));
            }
        }
    }
    word.clear();
}

/// A word's unigram and its bigram with the word before.
fn emit_word(word: &[char], previous: &mut Option<u32>, feature: &mut impl FnMut(u32)) {
    let h = fnv(SEED_WORD, word.iter().map(|&c| u32::from(c)));
    feature(h);
    if let Some(p) = *previous {
        feature(fnv(SEED_BIGRAM, [p, h]));
    }
    *previous = Some(h);
}

/// The bucket (`0..2^bits`) and sign (±1) of a feature hash.
#[inline]
pub fn bucket(hash: u32, bits: u32) -> (usize, f32) {
    let index = (hash >> (32 - bits)) as usize;
    let sign = if hash & 1 == 0 { 1.0 } else { -1.0 };
    (index, sign)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        for_each(text, &mut Scratch::default(), |h| out.push(h));
        out
    }

    #[test]
    fn case_punctuation_and_apostrophes_do_not_change_features() {
        assert_eq!(features("Don't GO!"), features("dont go"));
        assert_eq!(features("a, b"), features("a b"));
        assert_ne!(
            features("go dont"),
            features("dont go"),
            "bigrams keep order"
        );
    }

    #[test]
    fn mentions_and_links_are_one_feature_each() {
        assert_eq!(features("@bigname hi"), features("@other hi"));
        assert_eq!(
            features("see https://x.example/a/b"),
            features("see www.y.example")
        );
        // One word of three letters: unigram, 3 trigrams, 2 four-grams, 1 five-gram.
        assert_eq!(features("abc").len(), 1 + 3 + 2 + 1);
    }

    #[test]
    fn long_words_are_cut_and_every_script_counts() {
        let long = "a".repeat(1000);
        assert!(features(&long).len() < 100);
        assert!(!features("пиздец 傻逼").is_empty());
        assert!(features("   ").is_empty());
    }
}
