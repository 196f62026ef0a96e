//! How hard to retry: bounded attempts, exponential backoff with full jitter (the AWS architecture
//! blog's "full jitter"), a time budget. The policy is pure; `chime-flow` runs it (`retry::retry`).

use std::time::Duration;

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
    /// `true` for throttling, 5xx, timeouts and dropped connections; `false` when another attempt
    /// would be refused the same way.
    fn is_retryable(&self) -> bool;
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
