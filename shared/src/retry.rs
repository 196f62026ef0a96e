//! Bounded retries with exponential backoff and full jitter (AWS architecture blog's "full jitter").

use std::future::Future;
use std::time::{Duration, Instant};

/// How hard to try. The budget bounds the total time spent, sleeps included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (≥ 1).
    pub max_attempts: u32,
    /// Backoff cap before the first retry; doubles each retry.
    pub base_delay: Duration,
    /// No single backoff longer than this.
    pub max_delay: Duration,
    /// No retry starts after this much time since the first attempt.
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            budget: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The upper bound of the backoff before retry number `retry` (1-based).
    pub fn backoff_cap(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// The sleep before the next attempt after `attempts_made`, or `None` when the attempts or the time
    /// budget are spent. `unit` is a uniform random number in [0, 1) (full jitter).
    pub fn next_delay(&self, attempts_made: u32, elapsed: Duration, unit: f64) -> Option<Duration> {
        if attempts_made >= self.max_attempts {
            return None;
        }
        let delay = self
            .backoff_cap(attempts_made)
            .mul_f64(unit.clamp(0.0, 1.0));
        (elapsed + delay < self.budget).then_some(delay)
    }
}

/// Whether an error is worth another attempt.
pub trait Retryable {
    fn is_retryable(&self) -> bool;
}

/// The last error and how many attempts were made.
#[derive(Debug)]
pub struct Exhausted<E> {
    pub attempts: u32,
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

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff_cap(1), Duration::from_millis(100));
        assert_eq!(p.backoff_cap(3), Duration::from_millis(400));
        assert_eq!(p.backoff_cap(30), Duration::from_secs(5));
        assert_eq!(
            p.next_delay(1, Duration::ZERO, 0.5),
            Some(Duration::from_millis(50))
        );
        assert_eq!(p.next_delay(6, Duration::ZERO, 0.5), None, "attempts spent");
        assert_eq!(
            p.next_delay(1, Duration::from_secs(30), 0.0),
            None,
            "budget spent"
        );
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
