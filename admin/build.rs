//! Generates, from the vendored service models (read through `chime_api`'s typed model), one `call`
//! per service that runs any of its operations through the real `aws-sdk-chimesdk*` client: the
//! input (JSON named as the model names members) is set member by member on the operation's fluent
//! builder, nested structures through their builders, and the output is written back as the
//! service's JSON. Adding an operation to a model adds it here; nothing is written per operation.
//! The generated file is formatted, one statement per line (`$OUT_DIR/operations.rs`).
//!
//! Names follow smithy-rs: operations and members in snake_case, shapes as their own type names.
//! A builder's `build()` is fallible when a required member targets anything but a structure
//! (client-careful nullability: required structures stay optional).

use std::collections::BTreeSet;
use std::path::Path;

use chime_api::model::{Model, Operation, Service, Shape};

/// A service's generated module and the SDK crate it calls.
struct Target {
    service: Service,
    module: &'static str,
    sdk: &'static str,
}

const TARGETS: [Target; 2] = [
    Target {
        service: Service::Messaging,
        module: "messaging",
        sdk: "aws_sdk_chimesdkmessaging",
    },
    Target {
        service: Service::Identity,
        module: "identity",
        sdk: "aws_sdk_chimesdkidentity",
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

/// Rust source written with indentation: `line` at the current depth, `open`/`close` around blocks.
#[derive(Default)]
struct Code {
    text: String,
    depth: usize,
}

impl Code {
    fn line(&mut self, text: &str) {
        if !text.is_empty() {
            self.text.push_str(&"    ".repeat(self.depth));
        }
        self.text.push_str(text);
        self.text.push('\n');
    }

    /// A line ending in `{` (or another opener), then one level deeper.
    fn open(&mut self, text: &str) {
        self.line(text);
        self.depth += 1;
    }

    /// One level shallower, then the closing line.
    fn close(&mut self, text: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.line(text);
    }

    /// A line that closes one block and opens the next (`) -> T {`).
    fn turn(&mut self, text: &str) {
        self.close(text);
        self.depth += 1;
    }
}

/// One service's shapes, looked up through the typed model.
struct Shapes<'m> {
    model: &'m Model,
    service: Service,
}

impl<'m> Shapes<'m> {
    fn get(&self, name: &str) -> &'m Shape {
        self.model
            .shape(self.service, name)
            .unwrap_or_else(|| panic!("the model names shape {name} but does not define it"))
    }

    fn is_enum(&self, name: &str) -> bool {
        let shape = self.get(name);
        shape.kind == "string" && shape.allowed.is_some()
    }

    /// Every shape reachable from `root` (structures and enums are what need impls).
    fn reach(&self, root: &str, seen: &mut BTreeSet<String>) {
        if !seen.insert(root.to_owned()) {
            return;
        }
        let shape = self.get(root);
        match shape.kind.as_str() {
            "structure" => {
                for member in shape.members.values() {
                    self.reach(&member.shape, seen);
                }
            }
            "list" | "map" => {
                for inner in [&shape.member, &shape.key, &shape.value]
                    .into_iter()
                    .flatten()
                {
                    self.reach(&inner.shape, seen);
                }
            }
            _ => {}
        }
    }

    /// Whether the SDK's builder of this structure has a fallible `build()`.
    fn fallible(&self, structure: &Shape) -> bool {
        structure.members.iter().any(|(name, member)| {
            structure.required.contains(name) && self.get(&member.shape).kind != "structure"
        })
    }
}

/// The shapes reachable from the operations' inputs and from their outputs, the roots excluded.
fn nested(shapes: &Shapes, operations: &[&Operation]) -> (BTreeSet<String>, BTreeSet<String>) {
    let roots: BTreeSet<&str> = operations
        .iter()
        .flat_map(|op| [op.input.as_deref(), op.output.as_deref()])
        .flatten()
        .collect();
    let mut sides = [BTreeSet::new(), BTreeSet::new()];
    for op in operations {
        for (side, root) in sides.iter_mut().zip([&op.input, &op.output]) {
            if let Some(root) = root {
                shapes.reach(root, side);
            }
        }
    }
    let [inputs, outputs] = sides;
    let without_roots = |set: BTreeSet<String>| {
        set.into_iter()
            .filter(|n| !roots.contains(n.as_str()))
            .collect()
    };
    (without_roots(inputs), without_roots(outputs))
}

/// `impl FromJson` for an input enum or structure.
fn from_json(code: &mut Code, shapes: &Shapes, name: &str) {
    let shape = shapes.get(name);
    if shapes.is_enum(name) {
        code.open(&format!("impl FromJson for sdk::types::{name} {{"));
        code.open("fn from_json(v: &serde_json::Value, path: &str) -> Result<Self, FieldError> {");
        code.line("let text = String::from_json(v, path)?;");
        code.line("Ok(Self::from(text.as_str()))");
        code.close("}");
        code.close("}");
    } else if shape.kind == "structure" {
        code.open(&format!("impl FromJson for sdk::types::{name} {{"));
        code.open("fn from_json(v: &serde_json::Value, path: &str) -> Result<Self, FieldError> {");
        code.line(&format!("let mut builder = sdk::types::{name}::builder();"));
        for member in shape.members.keys() {
            code.line(&format!(
                "builder = builder.set_{}(member(v, \"{member}\", path)?);",
                snake(member)
            ));
        }
        if shapes.fallible(shape) {
            code.line("builder.build().map_err(|e| FieldError::new(path, e.to_string()))");
        } else {
            code.line("Ok(builder.build())");
        }
        code.close("}");
        code.close("}");
    }
}

/// `impl ToJson` for an output enum or structure.
fn to_json(code: &mut Code, shapes: &Shapes, name: &str) {
    let shape = shapes.get(name);
    if shapes.is_enum(name) {
        code.open(&format!("impl ToJson for sdk::types::{name} {{"));
        code.open("fn to_json(&self) -> serde_json::Value {");
        code.line("serde_json::Value::String(self.as_str().to_owned())");
        code.close("}");
        code.close("}");
    } else if shape.kind == "structure" {
        code.open(&format!("impl ToJson for sdk::types::{name} {{"));
        code.open("fn to_json(&self) -> serde_json::Value {");
        code.line("let mut out = serde_json::Map::new();");
        for member in shape.members.keys() {
            code.line(&format!(
                "put(&mut out, \"{member}\", &self.{});",
                field(member)
            ));
        }
        code.line("serde_json::Value::Object(out)");
        code.close("}");
        code.close("}");
    }
}

/// One arm of `call`: the request's builder filled before the future starts (so the future holds
/// only the request), sent, its output written back as JSON.
fn call_arm(code: &mut Code, shapes: &Shapes, op: &Operation) {
    code.open(&format!("\"{}\" => {{", op.name));
    code.open("let request = (|| -> Result<_, FieldError> {");
    code.open(&format!("Ok(client.{}()", snake(&op.name)));
    if let Some(input) = &op.input {
        for member in shapes.get(input).members.keys() {
            code.line(&format!(
                ".set_{}(member(v, \"{member}\", path)?)",
                snake(member)
            ));
        }
    }
    code.close(")");
    code.close("})();");
    code.open("Some(match request {");
    code.line("Err(e) => Box::pin(async move { Err(e.into()) }),");
    code.open("Ok(request) => Box::pin(async move {");
    code.open("match request.send().await {");
    code.open("Ok(o) => {");
    code.line("let _ = &o;");
    code.line("let mut out = serde_json::Map::new();");
    if let Some(output) = &op.output {
        for member in shapes.get(output).members.keys() {
            code.line(&format!(
                "put(&mut out, \"{member}\", &o.{});",
                field(member)
            ));
        }
    }
    code.line("Ok(serde_json::Value::Object(out))");
    code.close("}");
    code.line("Err(e) => Err(super::CallError::from_sdk(&e)),");
    code.close("}");
    code.close("}),");
    code.close("})");
    code.close("}");
}

fn generate(code: &mut Code, model: &Model, target: &Target) {
    let shapes = Shapes {
        model,
        service: target.service,
    };
    let mut operations: Vec<&Operation> = model
        .operations
        .iter()
        .filter(|op| op.service == target.service)
        .collect();
    operations.sort_by(|a, b| a.name.cmp(&b.name));
    let (inputs, outputs) = nested(&shapes, &operations);
    code.open(&format!("pub mod {} {{", target.module));
    code.line("#![allow(clippy::all, unused_mut)]");
    code.line("use super::json::{FieldError, FromJson, ToJson, member, put};");
    code.line(&format!("use {} as sdk;", target.sdk));
    code.line("");
    for name in &inputs {
        from_json(code, &shapes, name);
    }
    for name in &outputs {
        to_json(code, &shapes, name);
    }
    code.line("");
    code.line("/// The operations of this service, by model name.");
    code.open("pub const OPERATIONS: &[&str] = &[");
    for op in &operations {
        code.line(&format!("\"{}\",", op.name));
    }
    code.close("];");
    code.line("");
    code.line(
        "/// The call of `operation` with `input` through the SDK client, as a boxed future (one",
    );
    code.line("/// operation's state, not every operation's); `None` when the service has no such operation.");
    code.open("pub fn call<'a>(");
    code.line("client: &'a sdk::Client,");
    code.line("operation: &str,");
    code.line("input: &serde_json::Map<String, serde_json::Value>,");
    code.turn(") -> Option<super::CallFuture<'a>> {");
    code.line("let v = &serde_json::Value::Object(input.clone());");
    code.line("let path = \"\";");
    code.open("match operation {");
    for op in &operations {
        call_arm(code, &shapes, op);
    }
    code.line("_ => None,");
    code.close("}");
    code.close("}");
    code.close("}");
}

fn main() {
    let model_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/model");
    println!("cargo::rerun-if-changed={}", model_dir.display());
    let model = Model::load().unwrap_or_else(|e| panic!("the vendored models: {e}"));
    let mut code = Code::default();
    code.line("// Generated by admin/build.rs from the vendored models: do not edit.");
    for target in &TARGETS {
        generate(&mut code, &model, target);
    }
    let target =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("operations.rs");
    std::fs::write(&target, code.text).unwrap_or_else(|e| panic!("{}: {e}", target.display()));
}
