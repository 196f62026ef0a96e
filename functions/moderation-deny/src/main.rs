//! Channel-flow processor: denies messages that hit the deny lists (see `chime_flow::stages::moderation`).
//! Failure policy defaults to `deny`: a message that cannot be judged is not let through.
//! The stage and its default policy come from `chime_flow::stages::catalog`.

use chime_flow::stages::catalog;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    chime_flow::runtime::Start::entry(&catalog::MODERATION_DENY)
        .run()
        .await
}
