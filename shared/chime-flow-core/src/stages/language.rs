//! Language detection for enrichment, behind one small enum of interchangeable engines.
//!
//! - `Fast` (default): whichlang (Quickwit), a logistic-regression model over n-grams with no
//!   allocation: about a microsecond on a short message. It knows 16 languages and always answers, so
//!   an answer is reported only when the sample has enough letters and the language is written in the
//!   script the text is in (whatlang's script detection, a fraction of a microsecond): Hebrew or Greek
//!   text is never called Arabic or English.
//! - `Broad`: whatlang's trigram detector, 69 languages, reported only when reliable; ~15–60 µs.
//! - `Off`.

use whatlang::Script;

/// Bytes of content given to detection: some twenty words, enough for a steady answer on a chat
/// message, and a bounded cost whatever the message's length.
pub const SAMPLE_BYTES: usize = 128;
/// Fewer letters than this and the fast engine's answer is a guess: report nothing.
pub const MIN_LETTERS: usize = 12;

/// Which language detector enrichment runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LanguageEngine {
    /// `whichlang`: fast, the languages most chat is written in.
    Fast,
    /// `whatlang`: slower, some seventy languages.
    Broad,
    /// No detection.
    Off,
}

impl LanguageEngine {
    /// The ISO 639-3 code of the text's language, or `None` when unknown or not trustworthy.
    pub fn detect(self, text: &str) -> Option<&'static str> {
        let sample = &text[..floor_char_boundary(text, SAMPLE_BYTES)];
        match self {
            Self::Off => None,
            Self::Broad => whatlang::detect(sample)
                .filter(|info| info.is_reliable())
                .map(|info| info.lang().code()),
            Self::Fast => {
                if sample.chars().filter(|c| c.is_alphabetic()).count() < MIN_LETTERS {
                    return None;
                }
                let lang = whichlang::detect_language(sample);
                let script = whatlang::detect_script(sample)?;
                written_in(lang, script).then(|| lang.three_letter_code())
            }
        }
    }
}

/// Whether `lang` is written in `script` (Japanese counts Han as its own too).
fn written_in(lang: whichlang::Lang, script: Script) -> bool {
    use whichlang::Lang::*;
    match lang {
        Deu | Eng | Fra | Ita | Nld | Por | Spa | Swe | Tur | Vie => script == Script::Latin,
        Rus => script == Script::Cyrillic,
        Ara => script == Script::Arabic,
        Hin => script == Script::Devanagari,
        Kor => script == Script::Hangul,
        Cmn => script == Script::Mandarin,
        Jpn => matches!(
            script,
            Script::Hiragana | Script::Katakana | Script::Mandarin
        ),
    }
}

/// The largest char boundary at or below `max`.
pub fn floor_char_boundary(text: &str, max: usize) -> usize {
    if text.len() <= max {
        return text.len();
    }
    (0..=max)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_engine_on_several_scripts() {
        let cases = [
            (
                "The release is scheduled for Friday afternoon, please review the notes.",
                Some("eng"),
            ),
            (
                "Bonjour à tous, la réunion de demain est annulée à cause de la grève.",
                Some("fra"),
            ),
            (
                "Der Zug nach Berlin fährt heute wegen Bauarbeiten später ab.",
                Some("deu"),
            ),
            (
                "Привет всем, встреча завтра отменена из-за забастовки.",
                Some("rus"),
            ),
            (
                "こんにちは、明日の会議はストライキのため中止です。",
                Some("jpn"),
            ),
            (
                "مرحبا بالجميع، تم إلغاء اجتماع الغد بسبب الإضراب",
                Some("ara"),
            ),
            ("שלום לכולם, הפגישה של מחר בוטלה בגלל השביתה", None),
            ("Καλημέρα σε όλους, η αυριανή συνάντηση ακυρώθηκε", None),
            ("ok", None),
            ("12345 67890 !!!", None),
        ];
        for (text, expected) in cases {
            assert_eq!(LanguageEngine::Fast.detect(text), expected, "{text}");
        }
    }

    #[test]
    fn broad_engine_and_off() {
        let text =
            "Bonjour à tous, la réunion de demain est annulée à cause de la grève des transports.";
        assert_eq!(LanguageEngine::Broad.detect(text), Some("fra"));
        assert_eq!(LanguageEngine::Broad.detect("ok"), None);
        assert_eq!(LanguageEngine::Off.detect(text), None);
    }

    #[test]
    fn sample_cut_respects_char_boundaries() {
        let text = "é".repeat(100);
        let cut = floor_char_boundary(&text, SAMPLE_BYTES);
        assert!(cut <= SAMPLE_BYTES && text.is_char_boundary(cut));
    }
}
