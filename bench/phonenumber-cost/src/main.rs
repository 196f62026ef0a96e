//! Start-up and per-number cost of the `phonenumber` crate (libphonenumber's metadata), with the
//! release profile the processors use for dependencies (`opt-level = "s"`).

use std::time::Instant;
fn main() {
    let t = Instant::now();
    let n = match phonenumber::parse(None, "+44 20 7946 0958") {
        Ok(n) => n,
        Err(e) => return eprintln!("parse failed: {e}"),
    };
    let first = t.elapsed();
    let valid = phonenumber::is_valid(&n);
    let t = Instant::now();
    let mut ok = 0;
    for i in 0..10_000 {
        let s = format!("+44 20 7946 {:04}", i);
        if let Ok(n) = phonenumber::parse(None, &s) { if phonenumber::is_valid(&n) { ok += 1; } }
    }
    let per = t.elapsed() / 10_000;
    println!("first parse (loads metadata): {first:?}, valid={valid}, per parse+validate: {per:?}, ok={ok}");
}
