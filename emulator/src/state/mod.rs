//! The emulator's state. Everything in Chime SDK Messaging belongs to one app instance (its users,
//! admins, channels and flows all carry the instance ARN as their prefix), so there is one lock per app
//! instance: requests on different instances never wait on each other, and no lock is held across an
//! await (processor invocations run after the lock is released).

pub mod changes;
mod channel;
pub mod expiry;
pub mod idempotency;
mod instance;
pub mod journey;
mod message;
mod times_and_ids;

pub use channel::{Channel, Elastic, Grant, Membership};
pub use instance::{Bot, Endpoint, Flow, Instance, User, instance_of};
pub use message::{Body, Message, Pending, Status};
pub use times_and_ids::{
    MESSAGE_TYPES, Millis, PERSISTENCE, iso8601, now, now_micros, one_of, random_hex, random_uuid,
};

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock};

use crate::error::ApiError;
use changes::Publish;

/// All app instances, each behind its own lock.
#[derive(Debug)]
pub struct Store {
    pub region: String,
    pub account: String,
    instances: RwLock<HashMap<String, Arc<Mutex<Instance>>>>,
    /// How far the expiry clock runs ahead of the wall clock (tests advance it; see [`Store::clock`]).
    clock_ahead_ms: AtomicI64,
    /// The messaging WebSocket's URL as GetMessagingSessionEndpoint reports it, once listening.
    pub session_endpoint: OnceLock<String>,
    /// Who hears of changes (the messaging WebSocket's sessions, once the server starts).
    publisher: OnceLock<Arc<dyn Publish>>,
    /// Each message's journey through its flow, and which messages changed (for the console).
    pub journal: Arc<journey::Journal>,
}

impl Store {
    pub fn new(region: &str, account: &str) -> Self {
        Self {
            region: region.to_owned(),
            account: account.to_owned(),
            instances: RwLock::new(HashMap::new()),
            clock_ahead_ms: AtomicI64::new(0),
            session_endpoint: OnceLock::new(),
            publisher: OnceLock::new(),
            journal: Arc::default(),
        }
    }

    /// The time expiration and retention are judged by: the wall clock plus however far tests have
    /// advanced it. Timestamps the API reports stay wall-clock times.
    pub fn clock(&self) -> Millis {
        Millis(now().0 + self.clock_ahead_ms.load(Ordering::Relaxed))
    }

    /// How far the expiry clock runs ahead of the wall clock.
    pub fn clock_ahead_ms(&self) -> i64 {
        self.clock_ahead_ms.load(Ordering::Relaxed)
    }

    /// Moves the expiry clock forward (never back).
    pub fn advance_clock(&self, by_ms: i64) {
        self.clock_ahead_ms
            .fetch_add(by_ms.max(0), Ordering::Relaxed);
    }

    pub fn insert(&self, instance: Instance) {
        let mut all = self.instances.write().unwrap_or_else(|e| e.into_inner());
        all.insert(instance.arn.clone(), Arc::new(Mutex::new(instance)));
    }

    pub fn remove(&self, arn: &str) -> bool {
        let mut all = self.instances.write().unwrap_or_else(|e| e.into_inner());
        all.remove(arn).is_some()
    }

    /// Every instance, in ARN order (each locked briefly by the caller).
    pub fn all(&self) -> Vec<Arc<Mutex<Instance>>> {
        let all = self.instances.read().unwrap_or_else(|e| e.into_inner());
        let mut list: Vec<_> = all.iter().collect();
        list.sort_by(|a, b| a.0.cmp(b.0));
        list.into_iter().map(|(_, v)| Arc::clone(v)).collect()
    }

    /// The instance an ARN (of the instance, a user, a channel or a flow) belongs to.
    pub fn instance(&self, arn: &str) -> Result<Arc<Mutex<Instance>>, ApiError> {
        let key = instance_of(arn)
            .ok_or_else(|| ApiError::bad_request(format!("{arn} is not an app-instance ARN")))?;
        let all = self.instances.read().unwrap_or_else(|e| e.into_inner());
        all.get(key)
            .cloned()
            .ok_or_else(|| ApiError::not_found(format!("app instance {key} not found")))
    }
}

/// Locks an instance; a panic in another request never poisons the emulator for good.
pub fn lock(instance: &Mutex<Instance>) -> MutexGuard<'_, Instance> {
    instance.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_instance_of_any_arn() {
        let instance = "arn:aws:chime:us-east-1:123456789012:app-instance/abc";
        assert_eq!(instance_of(instance), Some(instance));
        assert_eq!(
            instance_of(&format!("{instance}/channel/c1")),
            Some(instance)
        );
        assert_eq!(instance_of(&format!("{instance}/user/u1")), Some(instance));
        assert_eq!(instance_of("arn:aws:chime:us-east-1:1:app-instance/"), None);
        assert_eq!(instance_of("arn:aws:lambda:us-east-1:1:function:f"), None);
    }
}
