//! The built-in lists: one file per language under `lists/`, entries grouped by category and level.
//!
//! ```text
//! @suffixes s es ed ing        endings a plain entry may take (`shit` → `shits`, `shitting`)
//! @variants mask respell       generated spellings (see `variants`)
//! @category profanity strong   category and level of the entries below
//! *shit*                       an entry in its shape (see `Shape::parse`)
//! ```

use std::sync::Arc;

use super::terms::{Shape, TermSpec};
use super::variants::Variants;

/// What a term is about. Each category has its own threshold (`MODERATION_CATEGORIES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// Swearing.
    Profanity,
    /// Sexual terms.
    Sexual,
    /// Slurs (ethnic, homophobic…).
    Slur,
    /// Insults and threats aimed at someone.
    Harassment,
    /// Self-harm (off by default).
    SelfHarm,
    /// Terms and regexes a deployment adds without naming a category.
    Custom,
}

impl Category {
    /// Every category, in index order.
    pub const ALL: [Category; 6] = [
        Category::Profanity,
        Category::Sexual,
        Category::Slur,
        Category::Harassment,
        Category::SelfHarm,
        Category::Custom,
    ];

    /// Its configuration spelling (`profanity`, `self-harm`…).
    pub fn name(self) -> &'static str {
        match self {
            Category::Profanity => "profanity",
            Category::Sexual => "sexual",
            Category::Slur => "slur",
            Category::Harassment => "harassment",
            Category::SelfHarm => "self-harm",
            Category::Custom => "custom",
        }
    }

    /// The category spelled `name`.
    pub fn from_name(name: &str) -> Option<Category> {
        Category::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name))
    }

    /// Its position in [`Category::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Severities of the named levels: one strong term denies under a `strong` threshold, mild terms
/// need company (three of them reach `strong`).
pub const LEVELS: [(&str, u32); 3] = [("mild", 3), ("strong", 7), ("severe", 10)];

/// A level name or a number 1–10.
pub fn parse_level(text: &str) -> Result<u32, String> {
    if let Some(&(_, severity)) = LEVELS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(text))
    {
        return Ok(severity);
    }
    match text.parse::<u32>() {
        Ok(n) if (1..=10).contains(&n) => Ok(n),
        _ => Err(format!(
            "{text:?} is not a level (mild, strong, severe or 1–10)"
        )),
    }
}

/// The built-in lists by language (ISO 639-1), in the order they are compiled.
pub const BUILTIN: [(&str, &str); 9] = [
    ("en", include_str!("lists/en.txt")),
    ("es", include_str!("lists/es.txt")),
    ("fr", include_str!("lists/fr.txt")),
    ("de", include_str!("lists/de.txt")),
    ("pt", include_str!("lists/pt.txt")),
    ("it", include_str!("lists/it.txt")),
    ("ru", include_str!("lists/ru.txt")),
    ("ja", include_str!("lists/ja.txt")),
    ("zh", include_str!("lists/zh.txt")),
];

/// Words and phrases that never count, whatever list would catch them.
pub const BUILTIN_ALLOW: &str = include_str!("lists/allow.txt");

/// One compiled list entry.
#[derive(Debug, Clone)]
pub struct ListTerm {
    /// How the term is spelled and matched.
    pub spec: TermSpec,
    /// Its category.
    pub category: Category,
    /// Its severity (1–10).
    pub severity: u32,
    /// `category:list-N`, N the entry's position in its list (1-based).
    pub rule_id: String,
}

/// Parses one list; an error names the list and line.
pub fn parse_list(list: &str, text: &str) -> Result<Vec<ListTerm>, String> {
    let mut suffixes: Arc<Vec<String>> = Arc::default();
    let mut variants = Variants::default();
    let mut current: Option<(Category, u32)> = None;
    let mut out = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        let fail = |reason: String| format!("list {list}, line {}: {reason}", number + 1);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(directive) = line.strip_prefix('@') {
            let (name, rest) = directive.split_once(' ').unwrap_or((directive, ""));
            match name {
                "suffixes" => {
                    suffixes = Arc::new(rest.split_whitespace().map(str::to_owned).collect())
                }
                "variants" => variants = Variants::parse(rest).map_err(fail)?,
                "category" => {
                    let mut words = rest.split_whitespace();
                    let category = words
                        .next()
                        .and_then(Category::from_name)
                        .ok_or_else(|| fail(format!("unknown category in {line:?}")))?;
                    let level = parse_level(words.next().unwrap_or("")).map_err(fail)?;
                    current = Some((category, level));
                }
                other => return Err(fail(format!("unknown directive @{other}"))),
            }
            continue;
        }
        let (category, severity) =
            current.ok_or_else(|| fail("an entry before any @category".into()))?;
        let (term, shape) = Shape::parse(line, Shape::Word);
        out.push(ListTerm {
            spec: TermSpec {
                spellings: variants.spellings(term, shape),
                suffixes: Arc::clone(&suffixes),
            },
            category,
            severity,
            rule_id: format!("{}:{list}-{}", category.name(), out.len() + 1),
        });
    }
    Ok(out)
}

/// The built-in lists of the given languages (all when `languages` is empty).
pub fn builtin(languages: &[String]) -> Result<Vec<ListTerm>, String> {
    let mut out = Vec::new();
    for (language, text) in BUILTIN {
        if languages.is_empty() || languages.iter().any(|l| l.eq_ignore_ascii_case(language)) {
            out.extend(parse_list(language, text)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_list_parses_with_categories() {
        let all = builtin(&[]).unwrap();
        for (language, _) in BUILTIN {
            let count = all
                .iter()
                .filter(|t| t.rule_id.contains(&format!(":{language}-")))
                .count();
            assert!(count >= 15, "{language} has {count} entries");
        }
        for category in [
            Category::Profanity,
            Category::Sexual,
            Category::Slur,
            Category::Harassment,
            Category::SelfHarm,
        ] {
            assert!(all.iter().any(|t| t.category == category), "{category:?}");
        }
    }

    #[test]
    fn directives_and_errors_name_the_line() {
        let terms = parse_list(
            "xx",
            "@suffixes s\n@variants mask\n@category slur mild\nzorblax\n=exactly\n",
        )
        .unwrap();
        assert_eq!(terms[0].rule_id, "slur:xx-1");
        assert_eq!(terms[0].severity, 3);
        assert!(
            terms[0]
                .spec
                .spellings
                .contains(&("z*rblax".to_owned(), Shape::Word))
        );
        assert_eq!(terms[1].spec.spellings[0].1, Shape::Exact);
        assert_eq!(
            parse_list("xx", "zorblax").unwrap_err(),
            "list xx, line 1: an entry before any @category"
        );
        assert_eq!(
            parse_list("xx", "\n@category rude strong").unwrap_err(),
            "list xx, line 2: unknown category in \"@category rude strong\""
        );
        assert!(
            parse_list("xx", "@category slur loud")
                .unwrap_err()
                .contains("not a level")
        );
    }
}
