//! The coordinators' live dispatch board: a snapshot of the open tickets and the field workers,
//! and a Server-Sent Events stream of what changes after it.
//!
//! One hub task per server listens to the stored changes and the devices' contacts, reads each
//! changed ticket's row once, serialises it once, and keeps the last [`HISTORY`] events in a ring;
//! every board shares those events (a subscriber costs a channel receiver, not a copy). Events
//! carry increasing ids: a board that reconnects with `Last-Event-ID` (or `?since=` after reading
//! the snapshot) gets what it missed, or `reset` when that is older than the ring — then it reads
//! the snapshot again.
//!
//! An id is the time the event was published, in microseconds of the database's clock (see
//! [`Board::clock`]), or one more than the previous id. So ids from different replicas, which all
//! publish every change (theirs, and the others' through the change feed), are comparable: a board
//! that reconnects through the balancer to another replica resumes there. That replica replays
//! from [`RESUME_MARGIN`] before the board's id, covering the feed's delay between replicas;
//! events a board gets twice are harmless (an event is a ticket's whole row, or a contact). The
//! database's clock, not the machine's: a replica whose clock is off still numbers its events
//! like the others. While a board is open on any replica, every replica publishes changes in full
//! (they hear of it through the feed), so that the board can resume on any of them. Nothing a board needs lives only in this task: the rows are the store's.
//! When no board has been open for [`RESUME_WINDOW`], a change is not read at all (most changes
//! are phones syncing while nobody watches the board): the ring gets a single `reset` instead.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::routing::get;
use campo_shared::role::Role;
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, Json};
use crate::store::{FieldWorker, Store, TicketRow, now_ms};
use crate::sync::Documents;

/// Events kept for boards that reconnect.
const HISTORY: usize = 4096;

/// How long after the last board was open changes are still published in full, so that a board
/// that lost its connection for a moment resumes with the events it missed; past it, a change
/// costs nothing until a board opens (it then reads the snapshot).
const RESUME_WINDOW: Duration = Duration::from_secs(600);

/// Ids per millisecond: an id is a time in microseconds (about 1.8 × 10¹⁵, below 2⁵³: exact in a
/// JavaScript number).
const IDS_PER_MS: u64 = 1000;

/// How far before a board's last id a replica replays when that id is another replica's: more
/// than a change takes to reach every replica through the feed, and than two replicas' measures
/// of the database's clock differ.
const RESUME_MARGIN: u64 = 2_000 * IDS_PER_MS;

/// How often the difference between this machine's clock and the database's is measured.
const CLOCK_CHECK: Duration = Duration::from_secs(300);

/// One event of the stream, serialised once for every board.
#[derive(Debug)]
pub struct BoardEvent {
    pub id: u64,
    /// `ticket`, `contact` or `reset`.
    pub kind: &'static str,
    pub data: String,
}

struct Ring {
    /// The id of the last event published (before any, `start_id`).
    last_id: u64,
    /// The id this run started at: its first event's is larger.
    start_id: u64,
    /// The newest id whose event this ring no longer holds (`start_id` until the ring is full):
    /// a board that needs events up to it reads the snapshot again.
    lost: u64,
    events: VecDeque<Arc<BoardEvent>>,
    /// The newest event is a `reset` published because a ticket changed while no board was open,
    /// and no board has subscribed since: further unwatched changes need no new event.
    unwatched: bool,
    /// When a board was last seen open (subscribing, or listening as a ticket changed).
    watched_at: Option<Instant>,
}

/// The board hub: cheap to clone, lives in `AppState`.
#[derive(Clone)]
pub struct Board {
    ring: Arc<Mutex<Ring>>,
    tx: broadcast::Sender<Arc<BoardEvent>>,
    /// The database's clock minus this machine's, in milliseconds (see [`Board::clock`]).
    clock_offset: Arc<std::sync::atomic::AtomicI64>,
}

/// A ticket as the board shows it.
#[derive(Debug, Clone, Serialize)]
pub struct BoardTicket {
    pub id: String,
    pub number: String,
    pub state: String,
    pub priority: Option<String>,
    pub mode: Option<String>,
    pub channel: String,
    pub category: String,
    pub summary: String,
    pub dependencia: Option<String>,
    pub requester_name: String,
    pub assignee_id: Option<String>,
    pub assignee_name: Option<String>,
    pub created_at: i64,
    pub responded_at: Option<i64>,
    pub response_due: Option<i64>,
    pub resolution_due: Option<i64>,
    /// When the coordinators are warned of each deadline; `None` once that clock stopped.
    pub response_warn_at: Option<i64>,
    pub resolution_warn_at: Option<i64>,
    pub next_visit_at: Option<i64>,
    pub visits: i64,
    pub absent_visits: i64,
    pub workshop_sends: i64,
    pub contractor_sends: i64,
    pub equipment_returns: i64,
    /// Since when its equipment is in the workshop or with the contractor (unix ms).
    pub custody_since: Option<i64>,
    pub flags: Vec<String>,
    pub updated_at: i64,
}

impl From<TicketRow> for BoardTicket {
    fn from(row: TicketRow) -> Self {
        Self {
            flags: row
                .flag_kinds
                .split(',')
                .filter(|k| !k.is_empty())
                .map(str::to_owned)
                .collect(),
            id: row.id,
            number: row.number,
            state: row.state,
            priority: row.priority,
            mode: row.mode,
            channel: row.channel,
            category: row.category,
            summary: row.summary,
            dependencia: row.dependencia,
            requester_name: row.requester_name,
            assignee_id: row.assignee_id,
            assignee_name: row.assignee_name,
            created_at: row.created_at,
            responded_at: row.responded_at,
            response_due: row.response_due,
            resolution_due: row.resolution_due,
            response_warn_at: row.response_warn_at,
            resolution_warn_at: row.resolution_warn_at,
            next_visit_at: row.next_visit_at,
            visits: row.visits,
            absent_visits: row.absent_visits,
            workshop_sends: row.workshop_sends,
            contractor_sends: row.contractor_sends,
            equipment_returns: row.equipment_returns,
            custody_since: row.custody_since,
            updated_at: row.updated_at,
        }
    }
}

impl Board {
    /// Starts the hub on the current runtime.
    pub fn start(store: Store, documents: &Documents) -> Self {
        let (tx, _) = broadcast::channel(HISTORY);
        let board = Self {
            ring: Arc::new(Mutex::new(Ring {
                last_id: 0,
                start_id: 0,
                lost: 0,
                events: VecDeque::with_capacity(HISTORY),
                unwatched: false,
                watched_at: None,
            })),
            tx,
            clock_offset: Arc::default(),
        };
        board.restart_clock();
        let changes = documents.subscribe();
        let contacts = documents.subscribe_contacts();
        tokio::spawn(board.clone().run(store.clone(), changes, contacts));
        tokio::spawn(board.clone().measure_clock(store));
        board
    }

    /// Now, in microseconds of the database's clock (this machine's, corrected by the last
    /// measure of the difference).
    fn clock(&self) -> u64 {
        let offset = self.clock_offset.load(std::sync::atomic::Ordering::Relaxed);
        u64::try_from(now_ms() + offset).unwrap_or(0) * IDS_PER_MS
    }

    /// Starts this run's ids at the clock, if no event was published yet.
    fn restart_clock(&self) {
        let start = self.clock();
        let mut ring = self.lock();
        if ring.events.is_empty() && ring.last_id == ring.start_id {
            ring.last_id = start;
            ring.start_id = start;
            ring.lost = start;
        }
    }

    /// Measures the difference between this machine's clock and the database's, now and every
    /// [`CLOCK_CHECK`].
    async fn measure_clock(self, store: Store) {
        loop {
            let before = now_ms();
            match store.database_now_ms().await {
                Ok(database) => {
                    let after = now_ms();
                    let offset = database - (before + after) / 2;
                    self.clock_offset
                        .store(offset, std::sync::atomic::Ordering::Relaxed);
                    // This run started on the machine's clock: before its first event, it starts
                    // again on the corrected one.
                    self.restart_clock();
                    if offset.abs() > 60_000 {
                        tracing::warn!(
                            offset_ms = offset,
                            "this machine's clock differs from the database's by more than a minute"
                        );
                    }
                }
                Err(err) => tracing::warn!(%err, "could not read the database's clock"),
            }
            tokio::time::sleep(CLOCK_CHECK).await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The id of the last event published (before any, the id just below this run's first).
    pub fn last_id(&self) -> u64 {
        self.lock().last_id
    }

    fn publish(&self, kind: &'static str, data: String) {
        self.publish_marked(kind, data, false);
    }

    /// Publishes an event; `unwatched` marks a `reset` that stands for changes nobody watched.
    fn publish_marked(&self, kind: &'static str, data: String, unwatched: bool) {
        let mut ring = self.lock();
        if unwatched && ring.unwatched {
            return;
        }
        ring.unwatched = unwatched;
        let id = self.clock().max(ring.last_id + 1);
        let event = Arc::new(BoardEvent { id, kind, data });
        ring.last_id = id;
        if ring.events.len() == HISTORY
            && let Some(dropped) = ring.events.pop_front()
        {
            ring.lost = dropped.id;
        }
        ring.events.push_back(event.clone());
        // Sent under the lock, so the ring and the channel carry events in the same order.
        let _ = self.tx.send(event);
    }

    /// Tells every board to read its snapshot again (the change feed lost notices).
    pub fn reset(&self) {
        self.publish("reset", "{}".into());
    }

    /// Whether a board is open on this replica now.
    pub fn watched_here(&self) -> bool {
        self.tx.receiver_count() > 0
    }

    /// A board is open on another replica: this one publishes changes in full too, so that the
    /// board can resume here if the balancer sends it here.
    pub fn mark_watched(&self) {
        self.lock().watched_at = Some(Instant::now());
    }

    /// Whether a board is open, or was open recently enough to come back for what it missed.
    fn watched(&self) -> bool {
        let mut ring = self.lock();
        if self.tx.receiver_count() > 0 {
            ring.watched_at = Some(Instant::now());
            return true;
        }
        ring.watched_at
            .is_some_and(|at| at.elapsed() < RESUME_WINDOW)
    }

    /// A ticket changed while no board is open: instead of reading and serialising its row for
    /// nobody, the ring gets one `reset`, so that a board resuming from an earlier event reads the
    /// snapshot again.
    fn publish_unwatched(&self) {
        self.publish_marked("reset", "{}".into(), true);
    }

    async fn run(
        self,
        store: Store,
        mut changes: broadcast::Receiver<crate::sync::DocChanged>,
        mut contacts: broadcast::Receiver<crate::sync::DeviceContact>,
    ) {
        loop {
            tokio::select! {
                change = changes.recv() => match change {
                    Ok(_) if !self.watched() => self.publish_unwatched(),
                    Ok(change) => {
                        let id = change.document.to_bs58check();
                        match store.ticket(&id).await {
                            Ok(Some(row)) => {
                                let ticket = BoardTicket::from(row);
                                if let Ok(data) = serde_json::to_string(&ticket) {
                                    self.publish("ticket", data);
                                }
                            }
                            Ok(None) => {}
                            Err(err) => {
                                tracing::warn!(%err, "the board could not read a ticket");
                                self.publish("reset", "{}".into());
                            }
                        }
                    }
                    // Too far behind to say what changed: boards read the snapshot again.
                    Err(RecvError::Lagged(_)) => self.publish("reset", "{}".into()),
                    Err(RecvError::Closed) => return,
                },
                contact = contacts.recv() => match contact {
                    Ok(contact) => {
                        let data = serde_json::json!({"user_id": &*contact.user_id, "at": contact.at});
                        self.publish("contact", data.to_string());
                    }
                    Err(RecvError::Lagged(_)) => self.publish("reset", "{}".into()),
                    Err(RecvError::Closed) => return,
                },
            }
        }
    }

    /// Subscribes from after event `since`: the events of the ring after it, then the live ones.
    /// A `since` this replica did not issue (another replica's) is replayed from
    /// [`RESUME_MARGIN`] before it. A `since` older than what the ring still holds, or than this
    /// run, or one from further ahead than the margin (a previous run on a clock that was ahead),
    /// starts with a `reset`.
    fn subscribe(
        &self,
        since: u64,
    ) -> (Vec<Arc<BoardEvent>>, broadcast::Receiver<Arc<BoardEvent>>) {
        let mut ring = self.lock();
        ring.unwatched = false;
        ring.watched_at = Some(Instant::now());
        let rx = self.tx.subscribe();
        let own =
            since == ring.start_id || ring.events.binary_search_by_key(&since, |e| e.id).is_ok();
        let from = if own {
            since
        } else {
            since.saturating_sub(RESUME_MARGIN)
        };
        let mut backlog: Vec<Arc<BoardEvent>> = Vec::new();
        // The margin is for events this replica published before `since` that the board's
        // replica published after it (the feed's delay, milliseconds): a replica that started,
        // or dropped events, within the margin before `since` still resumes, without them.
        if since < ring.lost || since > self.clock().max(ring.last_id) + RESUME_MARGIN {
            backlog.push(Arc::new(BoardEvent {
                id: ring.last_id,
                kind: "reset",
                data: "{}".into(),
            }));
        } else {
            backlog.extend(ring.events.iter().filter(|e| e.id > from).cloned());
        }
        (backlog, rx)
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/board", get(snapshot))
        .route("/api/board/stream", get(stream))
}

#[derive(Serialize)]
struct Snapshot {
    /// The id of the last event this snapshot includes: open the stream with `?since=` it.
    last_event_id: u64,
    now: i64,
    tickets: Vec<BoardTicket>,
    field_workers: Vec<FieldWorker>,
}

/// `GET /api/board` (coordinators): every open ticket and every field worker.
async fn snapshot(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Snapshot>> {
    user.require(&[Role::Coordinador])?;
    // Taken before reading: an event published meanwhile is replayed by the stream.
    let last_event_id = state.board.last_id();
    let tickets = state.store.open_tickets().await?;
    let field_workers = state.store.field_workers().await?;
    Ok(Json(Snapshot {
        last_event_id,
        now: now_ms(),
        tickets: tickets.into_iter().map(BoardTicket::from).collect(),
        field_workers,
    }))
}

#[derive(Deserialize)]
struct StreamQuery {
    since: Option<u64>,
}

/// `GET /api/board/stream` (coordinators): `ticket` (a ticket's new row), `contact` (a field
/// worker's device reached the server) and `reset` (read the snapshot again) events, each with its
/// id.
async fn stream(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Query(query): Query<StreamQuery>,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    user.require(&[Role::Coordinador])?;
    crate::sync::feed::announce_board(&state);
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let since = resume
        .or(query.since)
        .unwrap_or_else(|| state.board.last_id());
    let (backlog, rx) = state.board.subscribe(since);
    let last_sent = backlog.last().map_or(since, |e| e.id);
    let backlog = futures_util::stream::iter(backlog.into_iter().map(|e| Ok(sse(&e))));
    let live = futures_util::stream::unfold((rx, last_sent), |(mut rx, mut last)| async move {
        loop {
            match rx.recv().await {
                Ok(event) if event.id <= last => continue,
                Ok(event) => {
                    last = event.id;
                    return Some((Ok(sse(&event)), (rx, last)));
                }
                Err(RecvError::Lagged(_)) => {
                    let reset = SseEvent::default().event("reset").data("{}");
                    return Some((Ok(reset), (rx, last)));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    });
    let events = futures_util::StreamExt::chain(backlog, live);
    let events = futures_util::StreamExt::take_until(events, state.documents.closed());
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

fn sse(event: &BoardEvent) -> SseEvent {
    SseEvent::default()
        .id(event.id.to_string())
        .event(event.kind)
        .data(&event.data)
}
