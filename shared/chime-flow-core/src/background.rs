//! Background work that makes later messages faster but that no message waits for (the moderation
//! lists' DFA, which replaces the automaton built at start). A processor holds it back while it
//! starts and releases it once its first event is answered: on Lambda's share of a vCPU it would
//! otherwise slow the cold start and the first answer. Open by default, so tools, tests and
//! libraries that never hold it see the work start at once.

use std::sync::{Condvar, Mutex, PoisonError};

static HELD: Mutex<bool> = Mutex::new(false);
static RELEASED: Condvar = Condvar::new();

/// Holds back background work started from now on until [`release`].
pub fn hold() {
    *HELD.lock().unwrap_or_else(PoisonError::into_inner) = true;
}

/// Lets held-back background work go (again and again: only the first call after a hold matters).
pub fn release() {
    let mut held = HELD.lock().unwrap_or_else(PoisonError::into_inner);
    if *held {
        *held = false;
        RELEASED.notify_all();
    }
}

/// Whether background work is held back now.
pub fn is_held() -> bool {
    *HELD.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Blocks a background thread while the work is held back.
pub fn wait_until_released() {
    let held = HELD.lock().unwrap_or_else(PoisonError::into_inner);
    let _released = RELEASED
        .wait_while(held, |held| *held)
        .unwrap_or_else(PoisonError::into_inner);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Work waits while held and goes on release; with no hold it never waits.
    #[test]
    fn held_work_waits_for_the_release() {
        wait_until_released();
        hold();
        assert!(is_held());
        let done = Arc::new(AtomicBool::new(false));
        let worker = {
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                wait_until_released();
                done.store(true, Ordering::SeqCst);
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!done.load(Ordering::SeqCst), "held back");
        release();
        worker.join().expect("worker");
        assert!(done.load(Ordering::SeqCst));
        assert!(!is_held());
    }
}
