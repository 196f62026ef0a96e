//! Binary sizes, and where the bytes go: a symbol-carrying build of the pipeline read with `nm`,
//! its symbols summed by the crate that defines them (what `cargo bloat` reports, without a tool to
//! install).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Size in bytes of a file, if present.
pub fn file_size(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| m.len())
}

/// The group a demangled symbol belongs to, by the crate path it starts with. Symbols without a
/// Rust path are C code, which in these binaries is aws-lc (the TLS stack's crypto), or constants
/// LLVM could not attribute.
fn group(symbol: &str) -> &'static str {
    let name = symbol.trim_start_matches(['<', '_', '&', '*']);
    if !name.contains("::") {
        return if name.starts_with("anon.") {
            "unattributed constants (LLVM anon.*)"
        } else {
            "TLS (rustls, aws-lc)"
        };
    }
    let krate = name.split("::").next().unwrap_or(name);
    const AWS_SDK: &[&str] = &["aws_sdk_"];
    const AWS_RUNTIME: &[&str] = &[
        "aws_smithy_",
        "aws_config",
        "aws_sigv4",
        "aws_runtime",
        "aws_types",
        "aws_credential_types",
    ];
    const TLS: &[&str] = &["aws_lc", "rustls", "webpki", "tokio_rustls", "hyper_rustls"];
    const HTTP: &[&str] = &[
        "tokio",
        "hyper",
        "h2",
        "http",
        "tower",
        "futures",
        "pin_project",
        "bytes",
        "mio",
        "socket2",
        "want",
        "httparse",
        "ipnet",
    ];
    const STD: &[&str] = &[
        "std",
        "core",
        "alloc",
        "hashbrown",
        "gimli",
        "addr2line",
        "miniz_oxide",
        "rustc_demangle",
        "object",
        "memchr",
    ];
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| krate.starts_with(p));
    if starts(AWS_SDK) {
        "AWS SDK clients (aws-sdk-*)"
    } else if starts(AWS_RUNTIME) {
        "AWS runtime (aws-smithy-*, aws-config, sigv4)"
    } else if starts(TLS) {
        "TLS (rustls, aws-lc)"
    } else if starts(&["regex"]) {
        "regex"
    } else if starts(&["aho_corasick"]) {
        "aho-corasick"
    } else if starts(&["whatlang", "whichlang"]) {
        "language models (whatlang, whichlang)"
    } else if starts(&["unicode_normalization", "unicode_"]) {
        "unicode tables"
    } else if starts(HTTP) {
        "HTTP and async runtime (tokio, hyper, h2, futures)"
    } else if starts(&["serde"]) {
        "serde, serde_json"
    } else if starts(&["lambda_runtime"]) {
        "lambda_runtime"
    } else if starts(&["tracing"]) {
        "tracing"
    } else if starts(&["chime_flow", "flow_pipeline"]) {
        "chime-flow (our code)"
    } else if starts(STD) {
        "Rust std"
    } else {
        "other crates"
    }
}

/// Bytes per group in `binary` (which must still carry its symbols), largest first, with the total
/// of all sized symbols.
pub fn breakdown(binary: &Path) -> Result<(Vec<(String, u64)>, u64), String> {
    let output = Command::new("nm")
        .args(["--print-size", "--size-sort", "--demangle"])
        .arg(binary)
        .output()
        .map_err(|e| format!("cannot run nm: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "nm {}: {}",
            binary.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let mut groups: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut total = 0;
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        // address size type name
        let mut parts = line.splitn(4, ' ');
        let (_, size, _, name) = (parts.next(), parts.next(), parts.next(), parts.next());
        let (Some(size), Some(name)) = (size, name) else {
            continue;
        };
        let Ok(size) = u64::from_str_radix(size, 16) else {
            continue;
        };
        total += size;
        *groups.entry(group(name)).or_default() += size;
    }
    let mut sorted: Vec<(String, u64)> =
        groups.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    sorted.sort_by_key(|g| std::cmp::Reverse(g.1));
    Ok((sorted, total))
}

#[cfg(test)]
mod tests {
    use super::group;

    #[test]
    fn symbols_fall_into_their_crates() {
        assert_eq!(
            group("aws_sdk_chimesdkmessaging::operation::x"),
            "AWS SDK clients (aws-sdk-*)"
        );
        assert_eq!(group("<regex_automata::meta::Regex as x>::f"), "regex");
        assert_eq!(
            group("whatlang::trigrams::x"),
            "language models (whatlang, whichlang)"
        );
        assert_eq!(group("core::fmt::write"), "Rust std");
        assert_eq!(group("aws_lc_0_38_0_SHA256"), "TLS (rustls, aws-lc)");
        assert_eq!(group("ecp_nistz256_precomputed"), "TLS (rustls, aws-lc)");
        assert_eq!(
            group("<futures_util::future::either::Either<A,B> as x>::poll"),
            "HTTP and async runtime (tokio, hyper, h2, futures)"
        );
    }
}
