//! CallbackIds this container has already answered. Delivery is at least once: a repeat that reaches
//! the same warm container is skipped without a second callback. (A repeat reaching another container
//! is caught by the service's answer instead — see `callback::classify`.)

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

/// A bounded set: the oldest id is forgotten first.
#[derive(Debug)]
pub struct RecentCallbacks {
    capacity: usize,
    inner: Mutex<(HashSet<String>, VecDeque<String>)>,
}

impl RecentCallbacks {
    /// Remembers up to `capacity` CallbackIds (0: none).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new((HashSet::new(), VecDeque::new())),
        }
    }

    /// Whether `callback_id` was handled here already.
    pub fn contains(&self, callback_id: &str) -> bool {
        self.inner
            .lock()
            .map(|guard| guard.0.contains(callback_id))
            .unwrap_or(false)
    }

    /// Remembers `callback_id` as handled (the oldest is forgotten when full).
    pub fn remember(&self, callback_id: &str) {
        if self.capacity == 0 {
            return;
        }
        let Ok(mut guard) = self.inner.lock() else {
            return;
        };
        let (set, order) = &mut *guard;
        if set.insert(callback_id.to_owned()) {
            order.push_back(callback_id.to_owned());
            while order.len() > self.capacity {
                if let Some(oldest) = order.pop_front() {
                    set.remove(&oldest);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgets_the_oldest_beyond_capacity() {
        let recent = RecentCallbacks::new(2);
        for id in ["a", "b", "a", "c"] {
            recent.remember(id);
        }
        assert!(!recent.contains("a"));
        assert!(recent.contains("b") && recent.contains("c"));
        let off = RecentCallbacks::new(0);
        off.remember("a");
        assert!(!off.contains("a"));
    }
}
