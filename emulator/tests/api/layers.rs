//! chime-local's rooms and the order they stack in, written once: a room may use its own modules
//! and the rooms below it, never one above, and no two rooms use each other; and no files use each
//! other round a circle. Read from the `crate::` and `super::` paths in `src/`, comments and strings
//! left out (a parent module's bare `child::` paths are not read: a parent uses its children).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Bottom to top. Rooms on one line may not use each other either.
const LAYERS: &[&[&str]] = &[
    // The service's errors and JSON helpers (and chime-api's `binding`, `model`, `validate`).
    &["error", "json"],
    &["state"],
    &["ops"],
    &["processors"],
    &["emulator"],
    &["server"],
    &["control", "console"],
    &["config"],
    &["tools"],
    &["testing"],
];

/// Items `lib.rs` re-exports, by the room that defines them (`binding`, `model` and `validate`
/// come from chime-api, below everything).
const REEXPORTS: &[(&str, &str)] = &[
    ("binding", "error"),
    ("model", "error"),
    ("validate", "error"),
    ("Config", "config"),
    ("Emulator", "emulator"),
    ("Running", "server"),
    ("StartError", "server"),
    ("start", "tools"),
];

fn rank(room: &str) -> Option<usize> {
    LAYERS.iter().position(|rooms| rooms.contains(&room))
}

fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        panic!("cannot read {}", dir.display());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The text without comments, string and character literals (so a doc comment naming a room above
/// is not an import).
fn code_only(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |end| end + 2);
        } else if let Some(hashes) = raw_string_start(rest) {
            let close = format!("\"{}", "#".repeat(hashes));
            let body = 2 + hashes;
            i += body
                + rest[body..]
                    .find(&close)
                    .map_or(rest.len() - body, |e| e + close.len());
        } else if bytes[i] == b'"' {
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if bytes[i] == b'\'' && char_literal_len(rest).is_some() {
            i += char_literal_len(rest).unwrap_or(1);
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// `r"…"` or `r#"…"#`: how many `#`.
fn raw_string_start(rest: &str) -> Option<usize> {
    let after = rest.strip_prefix('r')?;
    let hashes = after.len() - after.trim_start_matches('#').len();
    after[hashes..].starts_with('"').then_some(hashes)
}

/// `'x'`, `'\n'`, `'\''`, `'\u{1F600}'`, not a lifetime (`'a`).
fn char_literal_len(rest: &str) -> Option<usize> {
    let mut chars = rest.char_indices().skip(1);
    let (_, first) = chars.next()?;
    if first == '\\' {
        return rest[2..].find('\'').map(|end| end + 3);
    }
    let (at, second) = chars.next()?;
    (second == '\'').then_some(at + 1)
}

/// Every path after `prefix` (`crate::` or `super::`) as its segments, brace groups included
/// (`crate::{a::x, b}` gives `[a, x]` and `[b]`; a nested group or `*` ends a path).
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let segments = |text: &str| -> Vec<String> {
        text.split("::")
            .map_while(|segment| {
                let name: String = segment.trim().chars().take_while(|c| ident(*c)).collect();
                (!name.is_empty()).then_some(name)
            })
            .collect()
    };
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        let preceded = rest[..at].chars().next_back().is_some_and(ident);
        rest = &rest[at + prefix.len()..];
        if preceded {
            continue;
        }
        let Some(group) = rest.strip_prefix('{') else {
            let end = rest
                .find(|c: char| !(ident(c) || c == ':'))
                .unwrap_or(rest.len());
            found.push(segments(&rest[..end]));
            continue;
        };
        // The group's top-level items, each up to its own nested group.
        let (mut depth, mut item) = (1, String::new());
        for c in group.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 1 => found.push(segments(&std::mem::take(&mut item))),
                _ if depth == 1 => item.push(c),
                _ => {}
            }
            if depth == 0 {
                break;
            }
        }
        found.push(segments(&item));
    }
    found.retain(|path| !path.is_empty());
    found
}

/// The first segment of every `crate::` path, brace groups (`crate::{a::x, b}`) included.
fn crate_paths(code: &str) -> Vec<String> {
    paths_after(code, "crate::")
        .into_iter()
        .map(|mut path| path.swap_remove(0))
        .collect()
}

/// The room a file belongs to (`state/message.rs` → `state`, `config.rs` → `config`), and whether
/// it is the room's top module (where `super::` leaves the room).
fn room_of(src: &Path, file: &Path) -> (String, bool) {
    let module = module_of(src, file);
    (
        module.first().cloned().unwrap_or_default(),
        module.len() <= 1,
    )
}

/// Every room-to-room use: (from, to) → the files it is in.
fn uses() -> BTreeMap<(String, String), BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut edges: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let (room, top) = room_of(&src, &file);
        if room == "lib" || room == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let code = code_only(&text);
        let mut targets = crate_paths(&code);
        if top {
            // `super::x` in a room's top module (or a file at the crate's top) names room `x`; in
            // an inline module (`mod tests { use super::* }`) it names the file's own items.
            targets.extend(
                code.match_indices("super::")
                    .map(|(at, _)| {
                        code[at + "super::".len()..]
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect::<String>()
                    })
                    .filter(|name| rank(name).is_some()),
            );
        }
        for target in targets {
            let target = REEXPORTS
                .iter()
                .find(|(item, _)| *item == target)
                .map_or(target.clone(), |(_, room)| (*room).to_owned());
            if target != room {
                let shown = file
                    .strip_prefix(&src)
                    .unwrap_or(&file)
                    .display()
                    .to_string();
                edges
                    .entry((room.clone(), target))
                    .or_default()
                    .insert(shown);
            }
        }
    }
    edges
}

#[test]
fn every_room_uses_only_the_rooms_below_it() {
    let edges = uses();
    assert!(
        edges.len() > 20,
        "the scan found only {} uses: it is not reading the sources",
        edges.len()
    );
    let mut problems = Vec::new();
    for ((from, to), files) in &edges {
        let (Some(low), Some(high)) = (rank(to), rank(from)) else {
            problems.push(format!(
                "{from} -> {to}: a room missing from LAYERS ({files:?})"
            ));
            continue;
        };
        if low >= high {
            let direction = if low == high { "beside" } else { "above" };
            problems.push(format!("{from} uses {to}, {direction} it, in {files:?}"));
        }
    }
    assert!(
        problems.is_empty(),
        "imports against the layer order:\n{}",
        problems.join("\n")
    );
}

/// A file's module path (`state/changes.rs` → `[state, changes]`, `ops/mod.rs` → `[ops]`).
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap_or(file).with_extension("");
    let mut path: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if path.last().is_some_and(|last| last == "mod") {
        path.pop();
    }
    path
}

#[test]
fn no_files_use_each_other_round_a_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let modules: BTreeMap<Vec<String>, String> = files
        .iter()
        .map(|file| {
            let shown = file
                .strip_prefix(&src)
                .unwrap_or(file)
                .display()
                .to_string();
            (module_of(&src, file), shown)
        })
        .collect();
    // The file defining the longest module prefix of `path`.
    let resolve = |path: &[String]| {
        (1..=path.len())
            .rev()
            .find_map(|len| modules.get(&path[..len]).cloned())
    };
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let mut code = code_only(&text);
        // A file's tests (its trailing `#[cfg(test)]` module) see everything and decide nothing.
        code.truncate(code.find("#[cfg(test)]").unwrap_or(code.len()));
        let module = module_of(&src, file);
        let parent = &module[..module.len().saturating_sub(1)];
        let from = modules.get(&module).cloned().unwrap_or_default();
        let used = paths_after(&code, "crate::")
            .into_iter()
            .chain(
                paths_after(&code, "super::")
                    .into_iter()
                    .map(|path| [parent, &path].concat()),
            )
            .filter_map(|path| resolve(&path))
            .filter(|to| *to != from)
            .collect::<Vec<_>>();
        edges.entry(from).or_default().extend(used);
    }
    // Depth first; a file met again while on the stack closes a circle.
    fn visit(
        file: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|f| f == file) {
            return Some([&stack[at..], &[file.to_owned()]].concat());
        }
        if !done.insert(file.to_owned()) {
            return None;
        }
        stack.push(file.to_owned());
        for next in edges.get(file).into_iter().flatten() {
            if let Some(circle) = visit(next, edges, stack, done) {
                return Some(circle);
            }
        }
        stack.pop();
        None
    }
    let (mut stack, mut done) = (Vec::new(), BTreeSet::new());
    for file in edges.keys() {
        if let Some(circle) = visit(file, &edges, &mut stack, &mut done) {
            panic!("files that use each other: {}", circle.join(" → "));
        }
    }
    assert!(edges.values().map(BTreeSet::len).sum::<usize>() > 100);
}

#[test]
fn the_scan_sees_grouped_paths_and_skips_comments_and_strings() {
    let code = code_only(
        "use crate::{state::Store, error::ApiError};\n// crate::server in a comment\n\
         let s = \"crate::tools\"; let r = r#\"crate::console\"#; let c = '\"'; crate::ops::x();",
    );
    assert_eq!(crate_paths(&code), ["state", "error", "ops"]);
}
