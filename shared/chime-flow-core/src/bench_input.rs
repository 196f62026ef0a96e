//! The inputs every benchmark uses (criterion's `stages`, the `bench/` harness and the Python
//! reference through it), in one place so that their figures compare like with like.

/// `count` distinct pseudo-words (deterministic, never real words), the size of a large custom list.
pub fn synthetic_terms(count: usize) -> Vec<String> {
    let syllables = [
        "ka", "zu", "mor", "vek", "tal", "quo", "rin", "sop", "dex", "ul",
    ];
    (0..count)
        .map(|n| {
            let word: String = (0..4)
                .map(|i| syllables[(n / 10usize.pow(i)) % 10])
                .collect();
            format!(
                "{word}x{}",
                if n < 10_000 {
                    String::new()
                } else {
                    n.to_string()
                }
            )
        })
        .collect()
}

/// Chat-like text of exactly `bytes` bytes (a mention, a link, an accented word and a number),
/// padded with `last` so that two messages can differ in their last byte only.
pub fn chat_text(bytes: usize, last: char) -> String {
    let sentence =
        "Hi @team, the release notes are at https://example.com/notes and the café opens at 9. ";
    let mut content = String::new();
    while content.len() + sentence.len() <= bytes {
        content.push_str(sentence);
    }
    let pad = bytes.saturating_sub(content.len()) / last.len_utf8();
    content.push_str(&last.to_string().repeat(pad));
    content
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_distinct_and_texts_exact() {
        let terms = synthetic_terms(5_000);
        let mut unique = terms.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 5_000);
        assert_eq!(chat_text(100, 'x').len(), 100);
        assert_eq!(chat_text(4096, 'y').len(), 4096);
    }
}
