//! What a user may ask of the documents: how many it opens at once, how fast it asks for
//! documents the server does not have, and how many of those it waits for.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Asking for documents costs the asker, not the server. A user's connections together open at
/// most [`UnknownBudget::OPENING`] documents at a time (a first message waits in its connection
/// until a place is free, so a flood is slowed at the socket, not piled up in the server); they
/// may ask for documents the server does not have at most [`UnknownBudget::PER_SECOND`] a second
/// (with a burst of [`UnknownBudget::BURST`]; past that the asking connection is closed); and
/// wait for at most [`UnknownBudget::MAX_WAITING`] of those (beyond, they are told they are
/// unavailable and not remembered). Reconnecting refills nothing: the budget is the user's.
#[derive(Debug)]
pub struct UnknownBudget {
    opening: Arc<tokio::sync::Semaphore>,
    waiting: AtomicUsize,
    asked: Mutex<(f64, Instant)>,
}

impl Default for UnknownBudget {
    fn default() -> Self {
        Self {
            opening: Arc::new(tokio::sync::Semaphore::new(Self::OPENING)),
            waiting: AtomicUsize::new(0),
            asked: Mutex::new((Self::BURST, Instant::now())),
        }
    }
}

impl UnknownBudget {
    /// Documents one user's connections open at a time.
    pub const OPENING: usize = 64;

    /// Waits for an opening place.
    pub async fn opening(&self) -> tokio::sync::OwnedSemaphorePermit {
        self.opening
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed")
    }

    /// Unknown documents one user may wait for at once.
    pub const MAX_WAITING: usize = 256;
    /// Requests for documents the server does not have, per second, sustained.
    pub const PER_SECOND: f64 = 20.0;
    /// Requests for documents the server does not have, in a burst.
    pub const BURST: f64 = 200.0;

    /// Takes one request from the budget; false when the user asks too fast.
    pub fn ask(&self) -> bool {
        let mut asked = self.asked.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let (tokens, at) = *asked;
        let tokens =
            (tokens + now.duration_since(at).as_secs_f64() * Self::PER_SECOND).min(Self::BURST);
        if tokens < 1.0 {
            *asked = (tokens, now);
            return false;
        }
        *asked = (tokens - 1.0, now);
        true
    }

    /// A place among the unknown documents the user waits for, while there is one.
    pub(super) fn wait(self: &Arc<Self>) -> Option<Waiting> {
        let taken = self
            .waiting
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < Self::MAX_WAITING).then_some(n + 1)
            })
            .is_ok();
        taken.then(|| Waiting(self.clone()))
    }
}

/// A peer waiting for a document the server does not have yet; dropping it frees the place.
#[derive(Debug)]
pub(super) struct Waiting(Arc<UnknownBudget>);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::Relaxed);
    }
}
