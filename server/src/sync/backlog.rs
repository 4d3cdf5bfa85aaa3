//! [`Backlog`]: what a slow follower of the stored changes (the notification and push watchers)
//! still has to do, one entry per document.
//!
//! Each step of such a follower reads and writes the store, and a burst of changes (thousands of
//! cases pushed at once, on several replicas) outruns it. Read straight from the change stream,
//! whose buffer is shared and bounded, the follower fell behind the buffer, lost track of the
//! changes and scanned every recently changed case again, each loaded from the store, which made
//! it fall behind further. A backlog reads the stream as fast as it comes (an insert per change)
//! and keeps only what is left to do: several changes of one case waiting together are done once,
//! so the backlog holds at most one entry per case.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use campo_shared::ids::DocumentId;
use tokio::sync::Notify;
use tokio::sync::broadcast::error::RecvError;

use super::{DocChanged, Documents};
use crate::store::now_ms;

/// The work a follower waits for, in the order the documents first asked for it.
pub struct Backlog<W> {
    waiting: Mutex<Waiting<W>>,
    ready: Notify,
}

struct Waiting<W> {
    order: VecDeque<DocumentId>,
    work: HashMap<DocumentId, W>,
    /// When the stream was last heard before changes were lost, if they were.
    missed_since: Option<i64>,
    last_heard: i64,
    closed: bool,
}

/// What the follower does next.
pub enum Next<W> {
    /// The work one document asks for.
    Work(DocumentId, W),
    /// Changes stored since this time (milliseconds) were lost from the stream (the backlog's
    /// own reader fell behind); the follower looks at the cases changed since then.
    Missed(i64),
    /// The server is stopping.
    Closed,
}

impl<W: Send + 'static> Backlog<W> {
    /// Follows the changes `documents` stores from now on: `take` says what a change asks of the
    /// follower (`None`: nothing), and `merge` adds new work to what waits for the same document.
    pub fn follow(
        documents: &Documents,
        take: impl Fn(DocChanged) -> Option<W> + Send + 'static,
        merge: impl Fn(&mut W, W) + Send + 'static,
    ) -> Arc<Self> {
        let backlog = Arc::new(Self {
            waiting: Mutex::new(Waiting {
                order: VecDeque::new(),
                work: HashMap::new(),
                missed_since: None,
                last_heard: now_ms(),
                closed: false,
            }),
            ready: Notify::new(),
        });
        let mut changes = documents.subscribe();
        let filled = backlog.clone();
        tokio::spawn(async move {
            loop {
                let received = changes.recv().await;
                let mut waiting = filled.lock();
                match received {
                    Ok(changed) => {
                        waiting.last_heard = now_ms();
                        let id = changed.document;
                        let Some(work) = take(changed) else { continue };
                        match waiting.work.entry(id) {
                            Entry::Occupied(mut entry) => merge(entry.get_mut(), work),
                            Entry::Vacant(entry) => {
                                entry.insert(work);
                                waiting.order.push_back(id);
                            }
                        }
                    }
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(
                            missed,
                            "a follower of the changes lost some; it will scan the recent cases"
                        );
                        let since = waiting.last_heard;
                        waiting.missed_since =
                            Some(waiting.missed_since.map_or(since, |s| s.min(since)));
                    }
                    Err(RecvError::Closed) => {
                        waiting.closed = true;
                        drop(waiting);
                        filled.ready.notify_one();
                        return;
                    }
                }
                drop(waiting);
                filled.ready.notify_one();
            }
        });
        backlog
    }

    /// Waits for what to do next.
    pub async fn next(&self) -> Next<W> {
        loop {
            {
                let mut waiting = self.lock();
                if let Some(since) = waiting.missed_since.take() {
                    return Next::Missed(since);
                }
                if let Some(id) = waiting.order.pop_front()
                    && let Some(work) = waiting.work.remove(&id)
                {
                    return Next::Work(id, work);
                }
                if waiting.closed {
                    return Next::Closed;
                }
            }
            // One follower waits; a notice given while it was busy is kept for it.
            self.ready.notified().await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Waiting<W>> {
        self.waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use crate::sync::Limits;

    fn changed(document: DocumentId, comments: usize) -> DocChanged {
        DocChanged {
            document,
            heads: Vec::new(),
            before: None,
            after: None,
            new_events: Vec::new(),
            new_comments: (0..comments)
                .map(|n| campo_shared::schema::Comment {
                    id: campo_shared::ids::CommentId::new(),
                    author: "u".into(),
                    at: 0,
                    text: format!("comentario {n}"),
                })
                .collect(),
            number: None,
        }
    }

    /// A burst of changes far larger than the change stream's buffer, stored while the follower
    /// is busy, leaves one piece of work per case with every comment, in order, and nothing lost.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_past_the_stream_buffer_is_followed_whole() {
        let dir =
            std::env::temp_dir().join(format!("campo-backlog-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::connect(&Store::default_url(&dir)).await.unwrap();
        let documents = Documents::new(store, Limits::default());
        let backlog = Backlog::follow(
            &documents,
            |changed| Some(changed.new_comments.len()),
            |count, more| *count += more,
        );
        let cases: Vec<DocumentId> = (0..3_000).map(|_| DocumentId::new()).collect();
        // Three rounds over 3,000 cases: 9,000 changes, more than twice the buffer, announced
        // in steps small enough for the backlog's reader to keep up.
        for round in 1..=3 {
            for chunk in cases.chunks(500) {
                for case in chunk {
                    documents.announce_remote(changed(*case, round));
                }
                tokio::task::yield_now().await;
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
        let mut seen = Vec::new();
        while seen.len() < cases.len() {
            match tokio::time::timeout(std::time::Duration::from_secs(10), backlog.next()).await {
                Ok(Next::Work(case, comments)) => seen.push((case, comments)),
                Ok(Next::Missed(_)) => panic!("the backlog lost changes"),
                Ok(Next::Closed) => panic!("closed"),
                Err(_) => panic!("only {} of {} cases came out", seen.len(), cases.len()),
            }
        }
        let order: Vec<DocumentId> = seen.iter().map(|(case, _)| *case).collect();
        assert_eq!(
            order, cases,
            "one entry per case, in the order they first changed"
        );
        assert!(
            seen.iter().all(|(_, comments)| *comments == 1 + 2 + 3),
            "every comment of the three changes of each case is kept"
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
