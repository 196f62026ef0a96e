//! A processor of our own: a message that names a ticket (`TICKET-123`) gets a `ticket` attribute.
use chime_flow::{ChannelMessage, Decision, Edits, FailurePolicy, Stage, StageError};

struct Tickets;

impl Stage for Tickets {
    fn name(&self) -> &str {
        "tickets"
    }

    fn decide(&self, message: &ChannelMessage) -> Result<Decision, StageError> {
        let Some((_, after)) = message.text().split_once("TICKET-") else {
            return Ok(Decision::Pass);
        };
        let number: String = after.chars().take_while(char::is_ascii_digit).collect();
        if number.is_empty() {
            return Ok(Decision::Pass);
        }
        let edits = Edits::default().with_attribute("ticket", vec![format!("TICKET-{number}")]);
        Ok(Decision::update(edits))
    }
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    chime_flow::runtime::Start::stage(FailurePolicy::Pass, |_env| Ok(Tickets))
        .run()
        .await
}
