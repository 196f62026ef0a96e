//! Where a processor's start-up time goes, measured phase by phase and logged once.

use std::time::{Duration, Instant};

/// Where a processor's start-up goes, logged once as `processor ready`: configuration (tracing,
/// environment), the SDK configuration (region, credentials), the stages (matchers, detectors) and
/// the callback client, each in microseconds, with the wall-clock moments `main` began and the
/// processor was ready — so that, beside the exec and first-poll times a harness sees from outside,
/// the process start and the first poll are phases too (`chime-local run-bootstrap` tabulates them).
#[derive(Debug)]
pub(super) struct StartupPhases {
    main_at_unix_us: u64,
    started: Instant,
    last: Instant,
    pub(super) config: Duration,
    pub(super) sdk_config: Duration,
    /// The stage build's own time, on its thread beside the SDK configuration.
    pub(super) stages: Duration,
    /// What `main` waited for the stages once the SDK configuration was there (and any step that
    /// needs both): the stages' share of the critical path.
    pub(super) stage_wait: Duration,
    pub(super) client: Duration,
}

impl StartupPhases {
    pub(super) fn begin() -> Self {
        let now = Instant::now();
        Self {
            main_at_unix_us: unix_micros(),
            started: now,
            last: now,
            config: Duration::ZERO,
            sdk_config: Duration::ZERO,
            stages: Duration::ZERO,
            stage_wait: Duration::ZERO,
            client: Duration::ZERO,
        }
    }

    /// The time since the last lap.
    pub(super) fn lap(&mut self) -> Duration {
        let now = Instant::now();
        let lap = now - self.last;
        self.last = now;
        lap
    }

    pub(super) fn log(&self, stage: &str, policy: &str) {
        let us = |d: Duration| d.as_micros() as u64;
        tracing::info!(
            stage,
            policy,
            config_us = us(self.config),
            sdk_config_us = us(self.sdk_config),
            stage_build_us = us(self.stages),
            stage_wait_us = us(self.stage_wait),
            client_us = us(self.client),
            init_ms = self.started.elapsed().as_millis() as u64,
            main_at_unix_us = self.main_at_unix_us,
            ready_at_unix_us = unix_micros(),
            "processor ready"
        );
    }
}

/// Now, in microseconds since the epoch (0 if the clock is before it).
fn unix_micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}
