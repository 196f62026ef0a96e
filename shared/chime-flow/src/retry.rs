//! Runs a [`RetryPolicy`] (defined in `chime-flow-core`): attempts, jittered sleeps on tokio's
//! timer, and the last error when the policy is spent.

use std::future::Future;
use std::time::Instant;

pub use chime_flow_core::retry::{RetryPolicy, Retryable};

/// The last error and how many attempts were made.
#[derive(Debug)]
pub struct Exhausted<E> {
    /// Attempts made.
    pub attempts: u32,
    /// The last error.
    pub last: E,
}

/// Runs `operation` until it succeeds, fails with a non-retryable error, or the policy is spent.
/// `operation` receives the attempt number (1-based).
pub async fn retry<T, E, F, Fut>(
    policy: &RetryPolicy,
    mut operation: F,
) -> Result<(T, u32), Exhausted<E>>
where
    E: Retryable,
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let started = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        match operation(attempts).await {
            Ok(value) => return Ok((value, attempts)),
            Err(last) if !last.is_retryable() => return Err(Exhausted { attempts, last }),
            Err(last) => match policy.next_delay(attempts, started.elapsed(), fastrand::f64()) {
                Some(delay) => tokio::time::sleep(delay).await,
                None => return Err(Exhausted { attempts, last }),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[derive(Debug, PartialEq)]
    struct Flaky(bool);
    impl Retryable for Flaky {
        fn is_retryable(&self) -> bool {
            self.0
        }
    }

    fn fast() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            budget: Duration::from_secs(5),
        }
    }

    #[tokio::test]
    async fn retries_until_success_then_stops() {
        let result = retry(&fast(), |n| async move {
            if n < 3 { Err(Flaky(true)) } else { Ok(n) }
        })
        .await;
        assert_eq!(result.unwrap(), (3, 3));
    }

    #[tokio::test]
    async fn stops_at_max_attempts_and_on_fatal_errors() {
        let spent = retry(&fast(), |_| async { Err::<(), _>(Flaky(true)) })
            .await
            .unwrap_err();
        assert_eq!(spent.attempts, 4);
        let fatal = retry(&fast(), |_| async { Err::<(), _>(Flaky(false)) })
            .await
            .unwrap_err();
        assert_eq!(fatal.attempts, 1);
    }
}
