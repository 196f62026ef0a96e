//! The service object: the model, the state, the fault rules, the idempotency tokens and the
//! processors every request reaches. HTTP (`server`), the operation pipeline (`dispatch`), the
//! control endpoints (`control`) and the processors' deliveries (`processors::delivery`) each add
//! their part in their own module.

use std::sync::{Arc, OnceLock};

use crate::config::{Config, sdk_loader};
use crate::control::faults::{FaultState, Faults};
use crate::model::{Model, ModelError};
use crate::processors::Invokers;
use crate::processors::async_retry::AsyncQueue;
use crate::processors::failed_events::FailedEventQueue;
use crate::processors::in_process::InProcess;
use crate::processors::lambda_api::LambdaApi;
use crate::state::Store;
use crate::state::idempotency::Tokens;

/// One running chime-local's service object, shared by every connection and processor.
pub struct Emulator {
    pub(crate) model: Model,
    pub(crate) store: Store,
    pub(crate) config: Config,
    pub(crate) faults: FaultState,
    pub(crate) invoker: OnceLock<Arc<Invokers>>,
    /// Events whose every delivery failed (the processors' on-failure destination).
    pub(crate) failed: Arc<FailedEventQueue>,
    pub(crate) tokens: Tokens,
    /// Set when chime-local stops: open messaging sessions close.
    pub(crate) stopping: tokio::sync::watch::Sender<bool>,
    /// The address it listens on: a `Host` naming it is accepted beside loopback names.
    pub(crate) bound: OnceLock<std::net::IpAddr>,
    /// Console live readers open now (bounded by `console::live::MAX_LIVE_READERS`).
    pub(crate) live_readers: Arc<std::sync::atomic::AtomicUsize>,
}

impl Emulator {
    pub fn new(config: Config) -> Result<Self, ModelError> {
        Ok(Self {
            model: Model::load()?,
            store: Store::new(&config.region, &config.account),
            faults: FaultState::new(config.faults.clone()),
            config,
            invoker: OnceLock::new(),
            failed: Arc::default(),
            tokens: Tokens::default(),
            stopping: tokio::sync::watch::Sender::new(false),
            bound: OnceLock::new(),
            live_readers: Arc::default(),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Changes to true when chime-local stops.
    pub fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.stopping.subscribe()
    }

    /// Replaces the fault rules (tests switch them on and off between calls).
    pub fn set_faults(&self, faults: Faults) -> Result<(), String> {
        self.faults.set(faults)
    }

    /// The fault rules now (with what is left of each `reject_first`).
    pub fn faults_snapshot(&self) -> Faults {
        self.faults.snapshot()
    }

    /// Connects the invokers once the endpoint is known.
    pub(crate) async fn connect_invokers(self: &Arc<Self>, endpoint: &str) {
        let (key, secret) = self.config.client_credentials();
        let queue = AsyncQueue {
            delays: self.config.async_retry_delays.clone(),
            failed: Arc::clone(&self.failed),
            journal: Arc::clone(&self.store.journal),
        };
        let in_process = if self.config.in_process_functions {
            let sdk_config = sdk_loader(endpoint, &self.config.region, &key, &secret)
                .load()
                .await;
            Some(InProcess::new(
                sdk_config,
                (self.config.in_process_callbacks, Arc::downgrade(self)),
                chime_flow::Env::from_process(),
                queue.clone(),
            ))
        } else {
            None
        };
        let invokers = Invokers {
            in_process,
            lambda: self
                .config
                .lambda_endpoint
                .as_deref()
                .map(|endpoint| LambdaApi::new(endpoint, queue.clone())),
        };
        let _ = self.invoker.set(Arc::new(invokers));
    }

    /// The failure queue (the on-failure destination of every processor).
    pub fn failed_events(&self) -> Arc<FailedEventQueue> {
        Arc::clone(&self.failed)
    }

    /// The processors, as a replay reaches them (`chime_flow::redrive::Reinvoke`), once connected.
    pub fn processors(&self) -> Option<Arc<Invokers>> {
        self.invoker.get().cloned()
    }
}
