//! Generates, from the vendored service models (`../api/model/*.shapes.json`), one `call` per
//! service that runs any of its operations through the real `aws-sdk-chimesdk*` client: the input
//! (JSON named as the model names members) is set member by member on the operation's fluent
//! builder, nested structures through their builders, and the output is written back as the
//! service's JSON. Adding an operation to a model adds it here; nothing is written per operation.
//!
//! Names follow smithy-rs: operations and members in snake_case, shapes as their own type names.
//! A builder's `build()` is fallible when a required member targets anything but a structure
//! (client-careful nullability: required structures stay optional).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

struct Service {
    module: &'static str,
    sdk: &'static str,
    file: &'static str,
}

const SERVICES: [Service; 2] = [
    Service {
        module: "messaging",
        sdk: "aws_sdk_chimesdkmessaging",
        file: "chime-sdk-messaging-2021-05-15.shapes.json",
    },
    Service {
        module: "identity",
        sdk: "aws_sdk_chimesdkidentity",
        file: "chime-sdk-identity-2021-04-20.shapes.json",
    },
];

const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn",
];

/// smithy-rs's snake_case: a boundary before an upper-case letter that follows a lower-case letter
/// or digit, or that starts a word after an acronym (`ResourceARN` → `resource_arn`).
fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// A field name as Rust code (`type` → `r#type`).
fn field(name: &str) -> String {
    let snake = snake(name);
    if KEYWORDS.contains(&snake.as_str()) {
        format!("r#{snake}")
    } else {
        snake
    }
}

fn shape<'m>(shapes: &'m BTreeMap<String, Value>, name: &str) -> &'m Value {
    &shapes[name]
}

fn kind<'m>(shapes: &'m BTreeMap<String, Value>, name: &str) -> &'m str {
    shape(shapes, name)["type"].as_str().unwrap_or("")
}

fn is_enum(shapes: &BTreeMap<String, Value>, name: &str) -> bool {
    kind(shapes, name) == "string" && shape(shapes, name).get("enum").is_some()
}

fn members(value: &Value) -> Vec<(String, String)> {
    value["members"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v["shape"].as_str().unwrap_or("").to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// Every shape reachable from `root` (structures and enums are what need impls).
fn reach(shapes: &BTreeMap<String, Value>, root: &str, seen: &mut BTreeSet<String>) {
    if !seen.insert(root.to_owned()) {
        return;
    }
    let s = shape(shapes, root);
    match kind(shapes, root) {
        "structure" => {
            for (_, target) in members(s) {
                reach(shapes, &target, seen);
            }
        }
        "list" => reach(shapes, s["member"]["shape"].as_str().unwrap_or(""), seen),
        "map" => {
            reach(shapes, s["key"]["shape"].as_str().unwrap_or(""), seen);
            reach(shapes, s["value"]["shape"].as_str().unwrap_or(""), seen);
        }
        _ => {}
    }
}

fn fallible(shapes: &BTreeMap<String, Value>, structure: &Value) -> bool {
    let required: Vec<&str> = structure["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    members(structure).iter().any(|(name, target)| {
        required.contains(&name.as_str()) && kind(shapes, target) != "structure"
    })
}

fn generate(service: &Service, model: &Value, out: &mut String) {
    let shapes: BTreeMap<String, Value> = model["shapes"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let operations = model["operations"].as_object().cloned().unwrap_or_default();
    let mut inputs = BTreeSet::new();
    let mut outputs = BTreeSet::new();
    let mut io_shapes = BTreeSet::new();
    for op in operations.values() {
        for (side, set) in [("input", &mut inputs), ("output", &mut outputs)] {
            if let Some(root) = op[side]["shape"].as_str() {
                io_shapes.insert(root.to_owned());
                let mut seen = BTreeSet::new();
                reach(&shapes, root, &mut seen);
                seen.remove(root);
                set.extend(seen);
            }
        }
    }
    let (sdk, module) = (service.sdk, service.module);
    let _ = writeln!(
        out,
        "pub mod {module} {{\n#![allow(clippy::all, unused_mut)]\nuse super::json::{{FromJson, ToJson, member, put, FieldError}};\nuse {sdk} as sdk;\n"
    );
    for name in &inputs {
        if io_shapes.contains(name) {
            continue;
        }
        let s = shape(&shapes, name);
        if is_enum(&shapes, name) {
            let _ = writeln!(
                out,
                "impl FromJson for sdk::types::{name} {{ fn from_json(v: &serde_json::Value, path: &str) -> Result<Self, FieldError> {{ let text = String::from_json(v, path)?; Ok(Self::from(text.as_str())) }} }}"
            );
        } else if kind(&shapes, name) == "structure" {
            let mut body = String::new();
            for (member_name, _) in members(s) {
                let _ = write!(
                    body,
                    " builder = builder.set_{}(member(v, \"{member_name}\", path)?);",
                    snake(&member_name)
                );
            }
            let finish = if fallible(&shapes, s) {
                "builder.build().map_err(|e| FieldError::new(path, e.to_string()))"
            } else {
                "Ok(builder.build())"
            };
            let _ = writeln!(
                out,
                "impl FromJson for sdk::types::{name} {{ fn from_json(v: &serde_json::Value, path: &str) -> Result<Self, FieldError> {{ let mut builder = sdk::types::{name}::builder();{body} {finish} }} }}"
            );
        }
    }
    for name in &outputs {
        if io_shapes.contains(name) {
            continue;
        }
        let s = shape(&shapes, name);
        if is_enum(&shapes, name) {
            let _ = writeln!(
                out,
                "impl ToJson for sdk::types::{name} {{ fn to_json(&self) -> serde_json::Value {{ serde_json::Value::String(self.as_str().to_owned()) }} }}"
            );
        } else if kind(&shapes, name) == "structure" {
            let mut body = String::new();
            for (member_name, _) in members(s) {
                let _ = write!(
                    body,
                    " put(&mut out, \"{member_name}\", &self.{});",
                    field(&member_name)
                );
            }
            let _ = writeln!(
                out,
                "impl ToJson for sdk::types::{name} {{ fn to_json(&self) -> serde_json::Value {{ let mut out = serde_json::Map::new();{body} serde_json::Value::Object(out) }} }}"
            );
        }
    }
    let mut names: Vec<&String> = operations.keys().collect();
    names.sort();
    let _ = writeln!(
        out,
        "/// The operations of this service, by model name.\npub const OPERATIONS: &[&str] = &[{}];",
        names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        out,
        "/// The call of `operation` with `input` through the SDK client, as a boxed future (one\n/// operation's state, not every operation's); `None` when the service has no such operation.\npub fn call<'a>(client: &'a sdk::Client, operation: &str, input: &serde_json::Map<String, serde_json::Value>) -> Option<super::CallFuture<'a>> {{\nlet v = &serde_json::Value::Object(input.clone());\nlet path = \"\";\nmatch operation {{"
    );
    for name in names {
        let op = &operations[name];
        let mut setters = String::new();
        if let Some(input) = op["input"]["shape"].as_str() {
            for (member_name, _) in members(shape(&shapes, input)) {
                let _ = write!(
                    setters,
                    ".set_{}(member(v, \"{member_name}\", path)?)",
                    snake(&member_name)
                );
            }
        }
        let mut output = String::from("let mut out = serde_json::Map::new();");
        if let Some(output_shape) = op["output"]["shape"].as_str() {
            for (member_name, _) in members(shape(&shapes, output_shape)) {
                let _ = write!(
                    output,
                    " put(&mut out, \"{member_name}\", &o.{});",
                    field(&member_name)
                );
            }
        }
        // The builder is filled before the future starts, so the future holds only the request.
        let _ = writeln!(
            out,
            "\"{name}\" => Some(match (|| -> Result<_, FieldError> {{ Ok(client.{}(){setters}) }})() {{ Err(e) => Box::pin(async move {{ Err(e.into()) }}), Ok(request) => Box::pin(async move {{ match request.send().await {{ Ok(o) => {{ let _ = &o; {output} Ok(serde_json::Value::Object(out)) }} Err(e) => Err(super::CallError::from_sdk(&e)) }} }}) }}),",
            snake(name)
        );
    }
    let _ = writeln!(out, "_ => None,\n}}\n}}\n}}");
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/model");
    let mut out =
        String::from("// Generated by admin/build.rs from the vendored models: do not edit.\n");
    for service in &SERVICES {
        let path = dir.join(service.file);
        println!("cargo::rerun-if-changed={}", path.display());
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let model: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        generate(service, &model, &mut out);
    }
    let target =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("operations.rs");
    std::fs::write(&target, out).unwrap_or_else(|e| panic!("{}: {e}", target.display()));
}
