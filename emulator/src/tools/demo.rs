//! The local demo's conversation, against any chime-local: an app instance with users and an admin, a
//! channel flow running the pipeline (moderation → redaction → enrichment), a regular channel and an
//! elastic channel spread over sub-channels, and a scripted conversation sent through the real AWS
//! SDK; the report of what became of each message. `demo_run` starts a chime-local for it.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use aws_sdk_chimesdkmessaging as messaging;
use messaging::types::{
    ChannelMessagePersistenceType, ChannelMessageStatus, ChannelMessageType, FallbackAction,
};

use unicode_width::UnicodeWidthStr;

use super::set_up::{ChannelSpec, Clients, SetUpError, lambda_arn, processor};

/// Any failure of the demo, with the step it happened in.
#[derive(Debug, thiserror::Error)]
#[error("demo step '{step}' failed: {detail}")]
pub struct DemoError {
    pub step: &'static str,
    pub detail: String,
}

impl From<SetUpError> for DemoError {
    fn from(error: SetUpError) -> Self {
        Self {
            step: error.step,
            detail: error.detail,
        }
    }
}

pub(super) trait Step<T> {
    fn step(self, step: &'static str) -> Result<T, DemoError>;
}

impl<T, E: std::fmt::Debug> Step<T> for Result<T, E> {
    fn step(self, step: &'static str) -> Result<T, DemoError> {
        self.map_err(|e| DemoError {
            step,
            detail: format!("{e:?}"),
        })
    }
}

/// One row of the result table.
#[derive(Debug, Clone)]
pub struct Row {
    pub label: String,
    pub channel: String,
    pub sub_channel: String,
    pub sender: String,
    pub status: String,
    pub content: String,
    pub attributes: String,
    /// Send → settled, when the row was timed (the demo); `show` only reads.
    pub millis: Option<u128>,
}

struct Script<'a> {
    label: &'a str,
    channel: usize,
    sender: usize,
    text: &'a str,
}

const USERS: &[&str] = &[
    "alice", "bob", "carol", "dmitri", "emi", "farah", "gus", "hana",
];

const CONVERSATION: &[Script<'static>] = &[
    Script {
        label: "clean",
        channel: 0,
        sender: 0,
        text: "Morning all! Stand-up in 10 minutes.",
    },
    Script {
        label: "profanity",
        channel: 0,
        sender: 1,
        text: "this build is shit",
    },
    Script {
        label: "evasion",
        channel: 0,
        sender: 2,
        text: "what a $h!t show",
    },
    Script {
        label: "pii",
        channel: 0,
        sender: 1,
        text: "Card 4242 4242 4242 4242, mail bob@example.com",
    },
    Script {
        label: "mention+link",
        channel: 0,
        sender: 0,
        text: "@bob notes at HTTPS://Example.com/Docs?id=7 #release",
    },
    Script {
        label: "russian",
        channel: 1,
        sender: 3,
        text: "Привет всем, как прошла встреча сегодня утром?",
    },
    Script {
        label: "japanese",
        channel: 1,
        sender: 4,
        text: "明日の会議は午後三時からです。資料を確認してください。",
    },
    Script {
        label: "phone",
        channel: 1,
        sender: 5,
        text: "call me on +44 20 7946 0958 after lunch",
    },
    Script {
        label: "arabic",
        channel: 1,
        sender: 6,
        text: "مرحبا بالجميع، نلتقي غدا في الساعة العاشرة",
    },
];

/// The report as the demo prints it: the table, the elastic channel's spread, the time taken.
pub(super) fn printed(report: &Report, started: Instant) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", table(&report.rows));
    let _ = writeln!(out, "elastic channel town-hall: {}", report.sub_channels);
    let _ = writeln!(
        out,
        "{} messages through the flow-pipeline processor in {} ms (service start to stop)",
        report.rows.len(),
        started.elapsed().as_millis()
    );
    out
}

/// What the scripted conversation produced: a row per message, and the elastic channel's spread.
#[derive(Debug, Clone)]
pub struct Report {
    pub rows: Vec<Row>,
    pub sub_channels: String,
}

/// Who and where the conversation happens: the users, the admin (`ops`), the two channels.
struct Cast {
    users: Vec<String>,
    ops: String,
    general: String,
    town_hall: String,
}

/// An app instance with the demo's users and `ops` as admin, a flow running `flow-pipeline`, the
/// channel `general` (three users) and the elastic `town-hall` (the rest), both with the flow.
async fn set_up(clients: &Clients, region: &str, account: &str) -> Result<Cast, SetUpError> {
    let set_up = clients.set_up();
    let instance = set_up.app_instance("chime-flow-demo").await?;
    let mut users = Vec::new();
    for name in USERS {
        users.push(set_up.user(&instance, name).await?);
    }
    let ops = set_up.admin(&instance, "ops").await?;
    let pipeline = processor(
        "pipeline",
        &lambda_arn(region, account, "flow-pipeline"),
        1,
        FallbackAction::Abort,
    )?;
    let flow = set_up
        .flow(&instance, "moderate-redact-enrich", vec![pipeline])
        .await?;
    let general = set_up
        .channel(
            &instance,
            &ChannelSpec::restricted("general", &ops, &users[..3]),
        )
        .await?;
    let town_hall = set_up
        .channel(
            &instance,
            &ChannelSpec::elastic("town-hall", &ops, &users[3..], (3, 2, 40)),
        )
        .await?;
    for channel in [&general, &town_hall] {
        set_up.associate(channel, &flow, &ops).await?;
    }
    Ok(Cast {
        users,
        ops,
        general,
        town_hall,
    })
}

/// The scripted conversation against the chime-local at `endpoint`: an app instance, users, a flow
/// whose processor is `flow-pipeline`, a regular and an elastic channel, the messages and an edit.
/// Each message is awaited until its flow decides, at most `patience`.
pub async fn conversation(
    endpoint: &str,
    region: &str,
    account: &str,
    patience: Duration,
) -> Result<Report, DemoError> {
    let clients = Clients::connect(endpoint, region, true).await;
    let chime = clients.chime.clone();
    let Cast {
        users,
        ops,
        general,
        town_hall,
    } = set_up(&clients, region, account).await?;
    let sub_channels = sub_channel_summary(&chime, &town_hall, &ops).await?;
    let channels = [(&general, "general"), (&town_hall, "town-hall")];
    let mut rows = Vec::new();
    let mut first = None;
    for line in CONVERSATION {
        let (channel, channel_name) = channels[line.channel];
        let sender = &users[line.sender];
        let started = Instant::now();
        let sent = chime
            .send_channel_message()
            .channel_arn(channel.as_str())
            .chime_bearer(sender)
            .content(line.text)
            .r#type(ChannelMessageType::Standard)
            .persistence(ChannelMessagePersistenceType::Persistent)
            .send()
            .await
            .step("SendChannelMessage")?;
        let id = sent.message_id().unwrap_or_default();
        first.get_or_insert_with(|| (id.to_owned(), sender.clone()));
        let sent = Sent {
            channel,
            channel_name,
            sender,
            id,
            sub: sent.sub_channel_id().map(str::to_owned),
            label: line.label,
        };
        rows.push(settle(&chime, sent, started, patience).await?);
    }
    // An edit goes through the flow too: the first (clean) message gains PII, which gets redacted.
    if let Some((id, sender)) = first {
        rows.push(edit(&chime, &general, &sender, &id, patience).await?);
    }
    Ok(Report { rows, sub_channels })
}

/// "sub-channel 1 has 2 member(s), …" for the elastic channel.
async fn sub_channel_summary(
    chime: &messaging::Client,
    channel: &str,
    bearer: &str,
) -> Result<String, DemoError> {
    let subs = chime
        .list_sub_channels()
        .channel_arn(channel)
        .chime_bearer(bearer)
        .send()
        .await
        .step("ListSubChannels")?;
    Ok(subs
        .sub_channels()
        .iter()
        .map(|s| {
            format!(
                "sub-channel {} has {} member(s)",
                s.sub_channel_id().unwrap_or("?"),
                s.membership_count().unwrap_or(0)
            )
        })
        .collect::<Vec<_>>()
        .join(", "))
}

/// Edits message `id` in `general` to carry a phone number and an e-mail address, then waits for
/// the flow to decide again.
async fn edit(
    chime: &messaging::Client,
    general: &str,
    sender: &str,
    id: &str,
    patience: Duration,
) -> Result<Row, DemoError> {
    let started = Instant::now();
    chime
        .update_channel_message()
        .channel_arn(general)
        .message_id(id)
        .chime_bearer(sender)
        .content("Stand-up moved: dial 415-555-0132 or mail alice@example.org")
        .send()
        .await
        .step("UpdateChannelMessage")?;
    let sent = Sent {
        channel: general,
        channel_name: "general",
        sender,
        id,
        sub: None,
        label: "edit",
    };
    settle(chime, sent, started, patience).await
}

/// One message to read back: where it is, who sent it, and the row's label.
pub struct Sent<'a> {
    pub channel: &'a str,
    /// The channel's name as the row shows it.
    pub channel_name: &'a str,
    pub sender: &'a str,
    pub id: &'a str,
    pub sub: Option<String>,
    pub label: &'a str,
}

/// Waits (bounded by `patience` from `started`) until the flow has decided, then reads what the
/// channel shows.
async fn settle(
    chime: &messaging::Client,
    sent: Sent<'_>,
    started: Instant,
    patience: Duration,
) -> Result<Row, DemoError> {
    while started.elapsed() < patience {
        let status = message_status(chime, &sent).await?;
        if status != ChannelMessageStatus::Pending {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let millis = started.elapsed().as_millis();
    let row = read_message(chime, sent).await?;
    Ok(Row {
        millis: Some(millis),
        ..row
    })
}

async fn message_status(
    chime: &messaging::Client,
    sent: &Sent<'_>,
) -> Result<ChannelMessageStatus, DemoError> {
    let answer = chime
        .get_channel_message_status()
        .channel_arn(sent.channel)
        .message_id(sent.id)
        .chime_bearer(sent.sender)
        .set_sub_channel_id(sent.sub.clone())
        .send()
        .await
        .step("GetChannelMessageStatus")?;
    Ok(answer
        .status()
        .and_then(|s| s.value())
        .cloned()
        .unwrap_or(ChannelMessageStatus::Pending))
}

/// A message's status now and, when SENT, its content and attributes, read as its sender.
pub async fn read_message(chime: &messaging::Client, sent: Sent<'_>) -> Result<Row, DemoError> {
    let status = message_status(chime, &sent).await?;
    let Sent {
        channel,
        channel_name,
        sender,
        id,
        sub,
        label,
    } = sent;
    let (content, attributes) = if status == ChannelMessageStatus::Sent {
        let message = chime
            .get_channel_message()
            .channel_arn(channel)
            .message_id(id)
            .chime_bearer(sender)
            .set_sub_channel_id(sub.clone())
            .send()
            .await
            .step("GetChannelMessage")?;
        let message = message.channel_message();
        let mut attributes: Vec<String> = message
            .and_then(|m| m.message_attributes())
            .map(|map| {
                map.iter()
                    .map(|(k, v)| format!("{k}={}", v.string_values().join(",")))
                    .collect()
            })
            .unwrap_or_default();
        attributes.sort();
        (
            message
                .and_then(|m| m.content())
                .unwrap_or_default()
                .to_owned(),
            attributes.join(" "),
        )
    } else {
        ("—".to_owned(), String::new())
    };
    Ok(Row {
        label: label.to_owned(),
        channel: channel_name.to_owned(),
        sub_channel: sub.unwrap_or_else(|| "-".to_owned()),
        sender: sender.rsplit('/').next().unwrap_or(sender).to_owned(),
        status: status.as_str().to_owned(),
        content,
        attributes,
        millis: None,
    })
}

/// The rows as an aligned text table (widths in terminal cells: CJK characters take two).
pub fn table(rows: &[Row]) -> String {
    let header = [
        "message",
        "channel",
        "sub",
        "sender",
        "status",
        "final content",
        "added attributes",
        "ms",
    ];
    let cells: Vec<[String; 8]> = rows
        .iter()
        .map(|r| {
            [
                r.label.clone(),
                r.channel.clone(),
                r.sub_channel.clone(),
                r.sender.clone(),
                r.status.clone(),
                r.content.clone(),
                r.attributes.clone(),
                r.millis.map_or_else(|| "-".to_owned(), |m| m.to_string()),
            ]
        })
        .collect();
    let mut widths = header.map(UnicodeWidthStr::width);
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.width()))))
            .collect::<Vec<_>>()
            .join(" | ")
            .trim_end()
            .to_owned()
    };
    let mut out = line(&header.map(str::to_owned));
    out.push('\n');
    out.push_str(
        &widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("-+-"),
    );
    for row in &cells {
        out.push('\n');
        out.push_str(&line(row));
    }
    out
}
