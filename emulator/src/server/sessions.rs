//! Who is connected to the messaging WebSocket, and delivery to them. Operations publish while they
//! hold their app instance's lock, so each user sees events in the order they happened; delivery
//! never waits: every session has a bounded queue, and a session that falls that far behind is
//! closed (its client reconnects and catches up with ListChannelMessages, as with the service).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

/// Events one session may have waiting before it is considered stalled and closed.
pub const SESSION_QUEUE: usize = 1024;

/// A connected session's end of its queue: the frames to send, already rendered.
pub type Frames = mpsc::Receiver<Arc<str>>;

/// One session's id and the sending end of its queue.
type Session = (u64, mpsc::Sender<Arc<str>>);

#[derive(Debug, Default)]
pub struct Sessions {
    by_user: Mutex<HashMap<String, Vec<Session>>>,
    next_id: AtomicU64,
    open: AtomicUsize,
}

impl Sessions {
    /// Registers a session for `user`; its id (to close it) and its queue.
    pub fn open(&self, user: &str) -> (u64, Frames) {
        let (sender, frames) = mpsc::channel(SESSION_QUEUE);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut by_user = self.by_user.lock().unwrap_or_else(|e| e.into_inner());
        by_user
            .entry(user.to_owned())
            .or_default()
            .push((id, sender));
        self.open.fetch_add(1, Ordering::Relaxed);
        (id, frames)
    }

    pub fn close(&self, user: &str, id: u64) {
        let mut by_user = self.by_user.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sessions) = by_user.get_mut(user) {
            let before = sessions.len();
            sessions.retain(|(session, _)| *session != id);
            self.open
                .fetch_sub(before - sessions.len(), Ordering::Relaxed);
            if sessions.is_empty() {
                by_user.remove(user);
            }
        }
    }

    /// Whether anyone is connected: operations skip building events when nobody would get them.
    pub fn any(&self) -> bool {
        self.open.load(Ordering::Relaxed) > 0
    }

    /// The connected users of an app instance (by ARN prefix): an event's audience is chosen among
    /// them, so its cost follows who is online, not how many members a channel has.
    pub fn connected_in(&self, instance_arn: &str) -> Vec<String> {
        if !self.any() {
            return Vec::new();
        }
        let prefix = format!("{instance_arn}/");
        let by_user = self.by_user.lock().unwrap_or_else(|e| e.into_inner());
        by_user
            .keys()
            .filter(|user| user.starts_with(&prefix))
            .cloned()
            .collect()
    }

    /// Queues `frame` for every session of every user in `users`. A session whose queue is full is
    /// dropped here, which closes it.
    pub fn deliver(&self, users: &[String], frame: &Arc<str>) {
        let mut by_user = self.by_user.lock().unwrap_or_else(|e| e.into_inner());
        for user in users {
            let Some(sessions) = by_user.get_mut(user) else {
                continue;
            };
            let before = sessions.len();
            sessions.retain(|(id, sender)| match sender.try_send(Arc::clone(frame)) {
                Ok(()) => true,
                Err(_) => {
                    tracing::warn!(session = id, "messaging session stalled or gone: closed");
                    false
                }
            });
            self.open
                .fetch_sub(before - sessions.len(), Ordering::Relaxed);
        }
        by_user.retain(|_, sessions| !sessions.is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn delivers_to_every_session_of_a_user_and_drops_a_stalled_one() {
        let sessions = Sessions::default();
        let (a, mut first) = sessions.open("arn:i/user/a");
        let (_, mut second) = sessions.open("arn:i/user/a");
        let (_, mut other) = sessions.open("arn:j/user/b");
        assert_eq!(sessions.connected_in("arn:i"), ["arn:i/user/a"]);
        let frame: Arc<str> = Arc::from("hello");
        sessions.deliver(&["arn:i/user/a".to_owned()], &frame);
        assert_eq!(first.recv().await.as_deref(), Some("hello"));
        assert_eq!(second.recv().await.as_deref(), Some("hello"));
        assert!(other.try_recv().is_err(), "not in the audience");
        // Nobody reads `second` from now on: once its queue is full it is closed, `first` is not.
        for _ in 0..SESSION_QUEUE + 1 {
            sessions.deliver(&["arn:i/user/a".to_owned()], &frame);
            let _ = first.try_recv();
        }
        let mut left = 0;
        while second.recv().await.is_some() {
            left += 1;
        }
        assert_eq!(left, SESSION_QUEUE, "its queue, then closed");
        sessions.close("arn:i/user/a", a);
        assert_eq!(sessions.connected_in("arn:i"), Vec::<String>::new());
        assert!(sessions.any(), "b is still connected");
    }
}
