//! Channel-flow processor: redacts personal data, secrets and profanity (see
//! `chime_flow::stages::redaction`). Failure policy defaults to `deny`: unredacted data is not let through.
//! The stage and its default policy come from `chime_flow::stages::catalog`.

use chime_flow::stages::catalog;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    chime_flow::runtime::Start::entry(&catalog::CONTENT_REDACTION)
        .run()
        .await
}
