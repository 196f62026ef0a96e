//! Memory per stored message and the cost of a send's store work against history length:
//! `cargo run --release -p chime-local --example message_memory [-- N]` (default 1,000,000) stores
//! N chat-sized messages (64-byte content, a real-length sender ARN) in one channel and prints the
//! resident memory they take per message and the time per stored message over the first and the last
//! 10,000 (equal when the cost does not grow with history). Linux (`/proc/self/statm`).

use std::time::Instant;

use chime_local::state::{Body, Channel, Message, Millis};

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn message(i: usize, sender: &str) -> Message {
    let body = Body::text(format!(
        "message {i:08} — the release notes are at https://example.com/n"
    ));
    Message::new(
        format!("{i:032x}"),
        sender,
        body,
        Millis(1_764_000_000_000 + i as i64),
    )
}

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000)
        .max(20_000);
    let sender = "arn:aws:chime:us-east-1:123456789012:app-instance/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b/user/user-0001";
    let mut channel = Channel::new("arn:c", "c", sender, Millis(0));
    let before = resident_bytes();
    let mut first = None;
    let mut last_started = Instant::now();
    for i in 0..count {
        if i == count - 10_000 {
            last_started = Instant::now();
        }
        let started = (i == 0).then(Instant::now);
        channel.push_message(message(i, sender));
        if let Some(started) = started {
            first = Some(started);
        }
        if i == 9_999 {
            let per = first.map_or(0.0, |f| f.elapsed().as_nanos() as f64 / 10_000.0);
            println!("store a message, first 10,000: {per:.0} ns each");
        }
    }
    let per_last = last_started.elapsed().as_nanos() as f64 / 10_000.0;
    println!(
        "store a message, last 10,000 (history {}): {per_last:.0} ns each",
        count - 10_000
    );
    let looked_up = Instant::now();
    let mut found = 0;
    for i in (0..count).step_by(count / 1000) {
        found += usize::from(channel.message(&format!("{i:032x}")).is_some());
    }
    println!(
        "find by id at history {count}: {:.0} ns ({found} found)",
        looked_up.elapsed().as_nanos() as f64 / found.max(1) as f64
    );
    let after = resident_bytes();
    println!(
        "resident memory: {:.1} MiB for {count} messages = {} bytes per message (struct {} bytes)",
        (after - before) as f64 / (1 << 20) as f64,
        (after - before) / count as u64,
        std::mem::size_of::<Message>()
    );
}
