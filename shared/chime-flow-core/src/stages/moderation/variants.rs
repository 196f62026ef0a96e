//! Spellings of a listed term that people use to slip it past a filter: masked letters (`f*ck`,
//! `f**k`) and, for English, common respellings (`fuk`, `phuck`, `fvck`, `fck`, `biatch`, `nigga`).
//! Generated when the lists are compiled, so searching costs nothing more than more patterns.

use super::terms::Shape;

/// Which kinds of spellings a list asks for (`@variants mask respell`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Variants {
    /// Also match masked spellings (`f**k`).
    pub mask: bool,
    /// Also match respellings (`phuck`).
    pub respell: bool,
}

impl Variants {
    /// Parses a list's `@variants` words: `mask`, `respell`, `none`.
    pub fn parse(words: &str) -> Result<Self, String> {
        let mut variants = Self::default();
        for word in words.split_whitespace() {
            match word {
                "mask" => variants.mask = true,
                "respell" => variants.respell = true,
                "none" => variants = Self::default(),
                other => {
                    return Err(format!(
                        "unknown variant kind {other:?} (mask, respell, none)"
                    ));
                }
            }
        }
        Ok(variants)
    }

    /// The term itself first, then its variants, each in the shape it is searched in (duplicates
    /// removed). Masked spellings keep the term's shape. Respellings are whole words (with the
    /// list's suffixes) even for a term found inside words: inside a longer word a skeleton (`cnt`) or
    /// a shortened form is too likely to be part of something else. An `=exact` entry gets no
    /// respellings: it asks for its spelling (`=cock` must not give `cok`, which reads `cook`).
    pub fn spellings(self, term: &str, shape: Shape) -> Vec<(String, Shape)> {
        let mut out = vec![(term.to_owned(), shape)];
        let plain_word = term.chars().all(|c| c.is_alphabetic());
        if plain_word && self.respell && shape != Shape::Exact {
            let respelled_shape = if shape == Shape::Prefix {
                Shape::Prefix
            } else {
                Shape::Word
            };
            out.extend(respelled(term).into_iter().map(|s| (s, respelled_shape)));
        }
        if plain_word && self.mask {
            out.extend(masked(term).into_iter().map(|s| (s, shape)));
        }
        let mut seen = foldhash::HashSet::default();
        out.retain(|s| seen.insert(s.clone()));
        out
    }
}

/// Interior letters hidden by one mask character, as people hide them: one vowel (`f*ck`, `b*tch`),
/// every vowel at once (`f*gg*t`), a doubled letter (`a**hole`), or the whole interior (`f**k`). Words of
/// four letters or more only (`a*s` could be anything). Every further form is one more automaton
/// pattern for every search, so only these.
pub fn masked(term: &str) -> Vec<String> {
    let chars: Vec<char> = term.chars().collect();
    let n = chars.len();
    if n < 4 {
        return Vec::new();
    }
    let is_vowel = |c: char| "aeiouy".contains(c.to_ascii_lowercase());
    let hide = |hidden: &dyn Fn(usize) -> bool| {
        let mut out = String::new();
        for (i, &c) in chars.iter().enumerate() {
            let masked = i > 0 && i < n - 1 && hidden(i);
            if !masked {
                out.push(c);
            } else if !out.ends_with('*') {
                out.push('*');
            }
        }
        out
    };
    let mut out = Vec::new();
    for at in (1..n - 1).filter(|&i| is_vowel(chars[i])) {
        out.push(hide(&|i| i == at));
    }
    out.push(hide(&|i| is_vowel(chars[i])));
    for at in (1..n - 2).filter(|&i| chars[i] == chars[i + 1]) {
        out.push(hide(&|i| i == at || i == at + 1));
    }
    out.push(hide(&|_| true));
    out.retain(|s| s != term);
    out
}

/// English respellings: `ck` as `k`/`q`/`cc`/`x`, `f` as `ph`, `u` as `v`, `i` as `y`, `-itch` as
/// `-iatch`/`-iotch`, `-er` as `-a`/`-ah`/`-uh`, and the consonant skeleton (`fck`, `btch`).
pub fn respelled(term: &str) -> Vec<String> {
    let lower = term.to_lowercase();
    let mut out = Vec::new();
    if lower.contains("ss") {
        out.push(lower.replace("ss", "zz"));
    }
    if lower.contains("ck") {
        for with in ["k", "q", "cc", "x", "kk"] {
            out.push(lower.replace("ck", with));
        }
    }
    if let Some(rest) = lower.strip_prefix('f') {
        out.push(format!("ph{rest}"));
        if rest.contains("ck") {
            out.push(format!("ph{}", rest.replace("ck", "k")));
        }
    }
    for (from, to) in [("u", "v"), ("i", "y")] {
        if let Some(at) = lower[1..].find(from) {
            out.push(format!(
                "{}{to}{}",
                &lower[..at + 1],
                &lower[at + 1 + from.len()..]
            ));
        }
    }
    if let Some(stem) = lower.strip_suffix("itch") {
        for ending in ["iatch", "iotch", "eotch", "eyotch"] {
            out.push(format!("{stem}{ending}"));
        }
    }
    if let Some(stem) = lower.strip_suffix("er")
        && stem.chars().count() >= 3
    {
        for ending in ["a", "ah", "uh", "r"] {
            out.push(format!("{stem}{ending}"));
        }
    }
    let mut chars = lower.chars();
    if let Some(first) = chars.next() {
        let skeleton: String = std::iter::once(first)
            .chain(chars.filter(|c| !"aeiouy".contains(*c)))
            .collect();
        // `l` reads as `i` in the stream, so a skeleton keeping it would have a vowel again
        // (`slut` → `slt` → `sit`).
        if lower.chars().count() >= 4
            && skeleton.chars().count() >= 3
            && skeleton != lower
            && !skeleton.contains('l')
        {
            out.push(skeleton);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_hide_vowels_doubles_or_the_whole_interior() {
        let m = masked("fuck");
        for want in ["f*ck", "f*k"] {
            assert!(m.contains(&want.to_owned()), "{want} in {m:?}");
        }
        for want in ["a*hole", "assh*le", "a*e"] {
            assert!(masked("asshole").contains(&want.to_owned()), "{want}");
        }
        assert!(masked("faggot").contains(&"f*gg*t".to_owned()));
        assert!(masked("motherfucker").contains(&"m*r".to_owned()));
        assert!(masked("ass").is_empty());
    }

    #[test]
    fn respellings() {
        let r = respelled("fuck");
        for want in ["fuk", "fuq", "fucc", "phuck", "phuk", "fvck", "fck"] {
            assert!(r.contains(&want.to_owned()), "{want} in {r:?}");
        }
        let r = respelled("bitch");
        for want in ["biatch", "bytch", "btch"] {
            assert!(r.contains(&want.to_owned()), "{want} in {r:?}");
        }
        assert!(respelled("wanker").contains(&"wanka".to_owned()));
        assert!(respelled("asshole").contains(&"azzhole".to_owned()));
        assert!(
            !respelled("slut").contains(&"slt".to_owned()),
            "slt reads sit"
        );
        let v = Variants::parse("mask respell").unwrap();
        let has = |term: &str, shape: Shape, want: (&str, Shape)| {
            v.spellings(term, shape)
                .contains(&(want.0.to_owned(), want.1))
        };
        assert_eq!(
            v.spellings("kill yourself", Shape::Word),
            vec![("kill yourself".to_owned(), Shape::Word)]
        );
        assert!(has("cunt", Shape::Infix, ("cnt", Shape::Word)));
        assert!(has("cunt", Shape::Infix, ("c*nt", Shape::Infix)));
        assert!(!has("cock", Shape::Exact, ("cok", Shape::Exact)));
        assert!(has("cock", Shape::Exact, ("c*ck", Shape::Exact)));
        assert!(Variants::parse("mask spell").unwrap_err().contains("spell"));
    }
}
