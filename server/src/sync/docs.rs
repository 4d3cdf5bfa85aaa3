//! [`Documents`]: the documents in memory, one actor task per loaded document.
//!
//! An actor owns its Automerge document (when "hot") and the sync state of each peer syncing it.
//! Every incoming sync message, every server change and every read runs in that actor, in order.
//! Invariants:
//! - **Stored before acknowledged**: after a document changes, its new changes are committed to the
//!   SQL store before the actor generates any sync message (those carry the heads that tell a peer
//!   "the server has this"). If the store fails, the in-memory document is dropped, the peers are
//!   told and disconnected, and nothing is acknowledged; they resend on reconnection.
//! - **Work per message is independent of the number of documents**: a message reaches its actor
//!   through one hash-map lookup and touches only that document and its peers.
//! - **Bounded memory**: an actor idle for `idle_unload` (or sooner when more than
//!   `max_loaded_docs` are loaded) drops its document ("cold") and keeps only its peers' compact
//!   sync states; an actor with no peers left then ends. The store is always the copy of record.
//! - **Panics are confined**: Automerge calls run under `catch_unwind`; a panic drops that
//!   document from memory (it is reloaded from the store) and closes the offending connection.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use automerge::sync::{self, SyncDoc};
use automerge::{ActorId, Automerge, ChangeHash, PatchLog};
use campo_shared::handover;
use campo_shared::ids::DocumentId;
use campo_shared::role::Role;
use campo_shared::rules::{self, Violation, Writer};
use campo_shared::schema::TicketDoc;
use campo_shared::schema::incremental::{HydratedTicket, Touched};
use tokio::sync::{Notify, broadcast, mpsc, oneshot, watch};

use super::Limits;
use super::budget::{UnknownBudget, Waiting};
use super::wire::Message;
use crate::projection::{Audience, Projection, Sla, project};
use crate::store::{AuditEntry, ChunkKind, CommitChange, Store, Viewer};
use former::FormerSlot;

mod former;

/// Identifies one WebSocket connection for the life of the process.
pub type ConnId = u64;

/// Why a connection is being closed: a WebSocket close code and a reason a person can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseReason {
    pub code: u16,
    pub reason: String,
}

impl CloseReason {
    /// 1008: the client broke a rule (malformed message, limit exceeded).
    pub fn policy(reason: impl Into<String>) -> Self {
        Self {
            code: 1008,
            reason: reason.into(),
        }
    }
    /// 1011: the server could not do its part (storage failure).
    pub fn server(reason: impl Into<String>) -> Self {
        Self {
            code: 1011,
            reason: reason.into(),
        }
    }
}

/// How a document actor reaches a connection: a bounded outbox and a kill switch. A client that
/// does not read its messages fills its outbox and is disconnected; it never blocks an actor.
#[derive(Clone)]
pub struct PeerLink {
    pub conn: ConnId,
    pub peer_id: Arc<str>,
    pub user_id: Arc<str>,
    pub role: Role,
    /// Hash of the session the connection belongs to.
    pub session: Arc<str>,
    /// What the user's connections may still open and ask (shared by all of them).
    pub unknown: Arc<UnknownBudget>,
    pub outbox: mpsc::Sender<Vec<u8>>,
    pub kill: Arc<watch::Sender<Option<CloseReason>>>,
}

impl PeerLink {
    /// Queues a frame; false when the connection is gone or was closed for being too slow.
    pub fn send(&self, frame: Vec<u8>) -> bool {
        match self.outbox.try_send(frame) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.close(CloseReason::policy(
                    "El cliente no lee sus mensajes a tiempo; se cerró la conexión.",
                ));
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Closes the connection with `reason` (the first reason wins).
    pub fn close(&self, reason: CloseReason) {
        self.kill.send_if_modified(|current| {
            if current.is_none() {
                *current = Some(reason);
                true
            } else {
                false
            }
        });
    }

    fn is_closed(&self) -> bool {
        self.outbox.is_closed()
    }
}

/// A stored change, announced to observers (agendas, the board) after it is committed.
#[derive(Debug, Clone)]
pub struct DocChanged {
    pub document: DocumentId,
    pub heads: Vec<ChangeHash>,
    /// Who could read the ticket before the change and after it (`None`: not a ticket).
    pub before: Option<Audience>,
    pub after: Option<Audience>,
    /// The kinds of the workflow events this change added (notifications follow them).
    pub new_events: Vec<campo_shared::event_kind::EventKind>,
}

/// A user's device reached the server (it joined, or delivered a change that was stored).
#[derive(Debug, Clone)]
pub struct DeviceContact {
    pub user_id: Arc<str>,
    pub at: i64,
}

/// Who makes a server-side change (a REST action): recorded in the audit.
#[derive(Debug, Clone)]
pub struct Author {
    pub user_id: String,
    /// `api` for the REST API, `campo` for the command line.
    pub device: String,
}

/// Why a server-side read or change failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("storage: {0}")]
    Storage(#[from] sqlx::Error),
    #[error("the stored document cannot be loaded: {0}")]
    Corrupt(String),
    #[error("the document would exceed {0} bytes")]
    TooLarge(usize),
    #[error("automerge panicked on this document")]
    Panicked,
    #[error("the change was refused: {0}")]
    Refused(String),
    #[error("the document task stopped")]
    Stopped,
}

type ViewFn = Box<dyn FnOnce(Option<&Automerge>) + Send>;
type ChangeFn = Box<dyn FnOnce(&mut Automerge) + Send>;

/// What a document actor is asked to do. Kept small (the larger commands are boxed): every
/// actor's inbox allocates room for a block of commands, idle or not.
pub(crate) enum DocCmd {
    Sync(Box<SyncCmd>),
    Ephemeral { from: ConnId, message: Box<Message> },
    Leave { conn: ConnId },
    View { f: ViewFn },
    Change(Box<ChangeCmd>),
}

/// A `request` or `sync` message from a peer.
pub(crate) struct SyncCmd {
    pub peer: PeerLink,
    pub data: Vec<u8>,
    /// The user's opening place, held until the document's task has handled this first message.
    pub opening: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// A change the server makes on behalf of `author`.
pub(crate) struct ChangeCmd {
    f: ChangeFn,
    author: Author,
    done: oneshot::Sender<Result<Vec<ChangeHash>, SyncError>>,
}

struct Inner {
    store: Store,
    limits: Limits,
    /// The server's peer id in the protocol, new for each process.
    peer_id: Arc<str>,
    /// The Automerge actor of the server's own changes, new for each process.
    actor: ActorId,
    storage_id: tokio::sync::OnceCell<String>,
    actors: Mutex<HashMap<DocumentId, (u64, mpsc::Sender<DocCmd>)>>,
    /// Each user's budget for unknown documents, shared by its connections.
    unknown: Mutex<HashMap<Arc<str>, Arc<UnknownBudget>>>,
    /// Every joined connection, by the server's own connection id: a peer id is only what the
    /// client calls itself, and two connections may well claim the same one.
    peers: Mutex<HashMap<ConnId, PeerLink>>,
    next_id: AtomicU64,
    /// Count of the server's own ephemeral messages (its session is its peer id).
    notices: AtomicU64,
    hot: AtomicUsize,
    pressure: Notify,
    changes: broadcast::Sender<DocChanged>,
    contacts: broadcast::Sender<DeviceContact>,
    /// Set when the server stops: connections and streams end so shutdown can finish.
    closing: watch::Sender<bool>,
    /// The SLA policy the projection computes deadlines with.
    sla: Mutex<Arc<Sla>>,
    /// Heavy Automerge work (a large message, loading or compacting a large document) runs on a
    /// blocking thread, this many at a time, so that it never holds every runtime thread.
    heavy: tokio::sync::Semaphore,
}

/// Work on more bytes than this runs off the runtime's threads (see [`Documents::offload`]).
const HEAVY_BYTES: usize = 64 * 1024;

/// The documents in memory and the connected peers. Cheap to clone; lives in `AppState`.
#[derive(Clone)]
pub struct Documents {
    inner: Arc<Inner>,
}

impl Documents {
    pub fn new(store: Store, limits: Limits) -> Self {
        let (changes, _) = broadcast::channel(4096);
        let (contacts, _) = broadcast::channel(1024);
        Self {
            inner: Arc::new(Inner {
                store,
                limits,
                peer_id: format!("campo-{}", uuid::Uuid::new_v4().simple()).into(),
                actor: ActorId::random(),
                storage_id: tokio::sync::OnceCell::new(),
                actors: Mutex::new(HashMap::new()),
                peers: Mutex::new(HashMap::new()),
                unknown: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(1),
                notices: AtomicU64::new(0),
                hot: AtomicUsize::new(0),
                pressure: Notify::new(),
                changes,
                contacts,
                closing: watch::channel(false).0,
                sla: Mutex::new(Arc::new(Sla::default())),
                heavy: tokio::sync::Semaphore::new(heavy_permits()),
            }),
        }
    }

    /// Runs `f`, Automerge work on about `bytes` bytes. Small work runs in place (most changes:
    /// a hop to another thread would cost more than the work). Heavy work waits for one of the
    /// few heavy slots and runs there as blocking work, so the runtime's other tasks, every
    /// other user's requests, move to another thread meanwhile.
    async fn offload<T>(&self, bytes: usize, f: impl FnOnce() -> T) -> T {
        let multi_thread = tokio::runtime::Handle::current().runtime_flavor()
            == tokio::runtime::RuntimeFlavor::MultiThread;
        if bytes < HEAVY_BYTES || !multi_thread {
            return f();
        }
        let _permit = self.inner.heavy.acquire().await;
        tokio::task::block_in_place(f)
    }

    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// The SLA policy in force for the projection.
    pub fn sla(&self) -> Arc<Sla> {
        lock(&self.inner.sla).clone()
    }

    /// Replaces the SLA policy (after the coordinators change it); applies from the next change.
    pub fn set_sla(&self, sla: Sla) {
        *lock(&self.inner.sla) = Arc::new(sla);
    }

    /// Records that a user's device reached the server (in the background).
    pub fn touch_device(&self, user_id: &str, device: &str) {
        let store = self.inner.store.clone();
        let (user_id, device) = (user_id.to_owned(), device.to_owned());
        let contacts = self.inner.contacts.clone();
        tokio::spawn(async move {
            match store.touch_device(&user_id, &device).await {
                Ok(()) => {
                    let _ = contacts.send(DeviceContact {
                        user_id: user_id.into(),
                        at: crate::store::now_ms(),
                    });
                }
                Err(err) => tracing::warn!(%err, "could not record the device's contact"),
            }
        });
    }

    /// Ends every sync connection and live stream: the server is stopping.
    pub fn close_all(&self) {
        self.inner.closing.send_replace(true);
    }

    /// Resolves once the server is stopping (see [`Self::close_all`]).
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + use<> {
        let mut closing = self.inner.closing.subscribe();
        async move {
            let _ = closing.wait_for(|closing| *closing).await;
        }
    }

    /// Observes devices reaching the server (the board shows each technician's last contact).
    pub fn subscribe_contacts(&self) -> broadcast::Receiver<DeviceContact> {
        self.inner.contacts.subscribe()
    }

    /// The server's peer id.
    pub fn peer_id(&self) -> &str {
        &self.inner.peer_id
    }

    /// The id of Campo's storage, the same for every replica sharing the database: clients record
    /// the heads the server has stored under it ("guardado en el servidor").
    pub async fn storage_id(&self) -> Result<String, SyncError> {
        let id = self
            .inner
            .storage_id
            .get_or_try_init(|| async {
                const KEY: &str = "sync.storage_id";
                let store = &self.inner.store;
                if let Some(id) = store.setting::<String>(KEY).await.map_err(to_sqlx)? {
                    return Ok::<_, SyncError>(id);
                }
                let id = uuid::Uuid::new_v4().to_string();
                store.put_setting(KEY, &id).await.map_err(to_sqlx)?;
                // Another replica may have written first; its value wins for everyone.
                Ok(store
                    .setting::<String>(KEY)
                    .await
                    .map_err(to_sqlx)?
                    .unwrap_or(id))
            })
            .await?;
        Ok(id.clone())
    }

    /// A new connection id.
    pub fn next_conn_id(&self) -> ConnId {
        self.inner.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Registers a joined connection. Past [`Limits::sockets_per_user`] connections of one user,
    /// the oldest is closed: a phone that reconnects leaves no pile of half-dead sockets behind,
    /// and one account cannot hold the server's sockets.
    pub fn join(&self, link: PeerLink) {
        let mut peers = lock(&self.inner.peers);
        peers.retain(|_, p| !p.is_closed());
        let mut own: Vec<ConnId> = peers
            .values()
            .filter(|p| p.user_id == link.user_id)
            .map(|p| p.conn)
            .collect();
        let cap = self.inner.limits.sockets_per_user.max(1);
        if own.len() >= cap {
            own.sort_unstable();
            for conn in &own[..=own.len() - cap] {
                if let Some(old) = peers.remove(conn) {
                    old.close(CloseReason::policy(
                        "Se abrieron demasiadas conexiones con su cuenta; se cerró la más antigua.",
                    ));
                }
            }
        }
        peers.insert(link.conn, link);
    }

    /// The budget for unknown documents of a user's connections.
    pub fn unknown_budget(&self, user_id: &Arc<str>) -> Arc<UnknownBudget> {
        lock(&self.inner.unknown)
            .entry(user_id.clone())
            .or_default()
            .clone()
    }

    /// Closes every sync connection of a user (disabled, or given another role).
    pub fn disconnect_user(&self, user_id: &str) {
        self.disconnect(
            |link| &*link.user_id == user_id,
            "Su cuenta cambió; vuelva a iniciar sesión para sincronizar.",
        );
    }

    /// Closes every sync connection of a session (its user logged out).
    pub fn disconnect_session(&self, session_hash: &str) {
        self.disconnect(
            |link| &*link.session == session_hash,
            "Su sesión terminó; vuelva a iniciar sesión para sincronizar.",
        );
    }

    fn disconnect(&self, which: impl Fn(&PeerLink) -> bool, reason: &str) {
        for link in lock(&self.inner.peers).values().filter(|l| which(l)) {
            link.close(CloseReason::policy(reason));
        }
    }

    /// Forgets a connection.
    pub fn leave(&self, conn: ConnId) {
        lock(&self.inner.peers).remove(&conn);
    }

    /// Observes every stored change.
    pub fn subscribe(&self) -> broadcast::Receiver<DocChanged> {
        self.inner.changes.subscribe()
    }

    /// Documents with an actor, and documents held in memory.
    pub fn loaded(&self) -> (usize, usize) {
        (
            lock(&self.inner.actors).len(),
            self.inner.hot.load(Ordering::Relaxed),
        )
    }

    /// Reads a document: `f` gets `None` when it was never stored.
    pub async fn view<T: Send + 'static>(
        &self,
        id: DocumentId,
        f: impl FnOnce(Option<&Automerge>) -> T + Send + 'static,
    ) -> Result<T, SyncError> {
        let (tx, rx) = oneshot::channel();
        let f: ViewFn = Box::new(move |doc| {
            let _ = tx.send(f(doc));
        });
        self.send(id, DocCmd::View { f }).await?;
        rx.await.map_err(|_| SyncError::Stopped)
    }

    /// Changes a document as the server on behalf of `author` (creating it when it does not
    /// exist), stores the change and sends it to the connected peers; returns the new heads once
    /// stored. `f` should make its edits in one `transact` so an error leaves the document as it
    /// was; the result must be a valid ticket document.
    pub async fn change<T: Send + 'static>(
        &self,
        id: DocumentId,
        author: Author,
        f: impl FnOnce(&mut Automerge) -> Result<T, String> + Send + 'static,
    ) -> Result<(T, Vec<ChangeHash>), SyncError> {
        let (result_tx, result_rx) = oneshot::channel();
        let (done, done_rx) = oneshot::channel();
        let f: ChangeFn = Box::new(move |doc| {
            let _ = result_tx.send(f(doc));
        });
        self.send(id, DocCmd::Change(Box::new(ChangeCmd { f, author, done })))
            .await?;
        let heads = done_rx.await.map_err(|_| SyncError::Stopped)??;
        let value = result_rx
            .await
            .map_err(|_| SyncError::Panicked)?
            .map_err(SyncError::Refused)?;
        Ok((value, heads))
    }

    /// Sends a command to the document's actor, starting one when none runs. Returns the actor's
    /// inbox, which a connection may keep while it syncs the document.
    pub(crate) async fn send(
        &self,
        id: DocumentId,
        mut cmd: DocCmd,
    ) -> Result<mpsc::Sender<DocCmd>, SyncError> {
        for _ in 0..8 {
            let inbox = self.actor(id);
            match inbox.send(cmd).await {
                Ok(()) => return Ok(inbox),
                // The actor ended between the lookup and the send; start a new one.
                Err(mpsc::error::SendError(back)) => cmd = back,
            }
        }
        Err(SyncError::Stopped)
    }

    fn actor(&self, id: DocumentId) -> mpsc::Sender<DocCmd> {
        let mut actors = lock(&self.inner.actors);
        if let Some((_, inbox)) = actors.get(&id)
            && !inbox.is_closed()
        {
            return inbox.clone();
        }
        let serial = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(256);
        actors.insert(id, (serial, tx.clone()));
        let actor = DocActor {
            hub: self.clone(),
            id,
            id_text: id.to_bs58check(),
            serial,
            doc: None,
            stored: Stored::default(),
            ticket: None,
            projection: None,
            number: None,
            peers: HashMap::new(),
            denied: HashMap::new(),
            former: HashMap::new(),
            last_activity: Instant::now(),
        };
        // Boxed: cold actors are many, and the task holds only a pointer to each.
        tokio::spawn(Box::new(actor).run(rx));
        tx
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding these locks cannot leave the maps inconsistent (single inserts and
    // removes), so a poisoned lock is used as it is.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn to_sqlx(err: anyhow::Error) -> SyncError {
    match err.downcast::<sqlx::Error>() {
        Ok(err) => SyncError::Storage(err),
        Err(err) => SyncError::Corrupt(err.to_string()),
    }
}

/// What the actor knows about the document's stored form.
#[derive(Default)]
struct Stored {
    /// Heads of everything committed to the store.
    heads: Vec<ChangeHash>,
    /// Ids of the chunks the in-memory document was built from or wrote.
    chunk_ids: Vec<i64>,
    /// Bytes of those chunks.
    bytes: usize,
    /// Bytes of incremental chunks since the last snapshot.
    incremental_bytes: usize,
    incremental_chunks: usize,
}

struct PeerSlot {
    link: PeerLink,
    state: sync::State,
    /// The peer asked for a document the server does not have; it gets the document as soon as
    /// someone else provides it.
    waiting: Option<Waiting>,
}

struct DocActor {
    hub: Documents,
    id: DocumentId,
    id_text: String,
    serial: u64,
    /// Boxed, as the ticket: a cold actor keeps only a pointer where the document was.
    doc: Option<Box<Automerge>>,
    stored: Stored,
    /// The stored document as a ticket, while hot (`None`: new, or not a ticket).
    ticket: Option<Box<HydratedTicket>>,
    /// The ticket's projection, kept while cold: it decides who may read the document.
    projection: Option<Projection>,
    /// The ticket's number once this actor has committed to it.
    number: Option<String>,
    peers: HashMap<ConnId, PeerSlot>,
    /// Connections that asked for the ticket and were refused: if an assignment gives them
    /// access, the server offers them the document without waiting for them to ask again.
    denied: HashMap<ConnId, PeerLink>,
    /// Connections of users who were responsible for the ticket and no longer are, sending work
    /// their device recorded meanwhile (see [`former`]).
    former: HashMap<ConnId, FormerSlot>,
    last_activity: Instant,
}

/// Result of running an Automerge call under `catch_unwind`.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, SyncError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|_| SyncError::Panicked)
}

impl DocActor {
    async fn run(mut self: Box<Self>, mut rx: mpsc::Receiver<DocCmd>) {
        loop {
            let deadline = self.deadline();
            let cmd = tokio::select! {
                cmd = rx.recv() => cmd,
                () = sleep_until(deadline) => None,
                () = self.hub.inner.pressure.notified(), if self.doc.is_some() && self.peers.is_empty() => None,
            };
            match cmd {
                Some(cmd) => {
                    self.last_activity = Instant::now();
                    // Boxed: handling a message awaits the store, whose futures are large; inline
                    // they would enlarge every actor's task for its whole life, idle or not.
                    Box::pin(self.handle(cmd)).await;
                }
                None => {
                    if self.doc.is_some() {
                        self.go_cold();
                    }
                    self.peers.retain(|_, p| !p.link.is_closed());
                    self.denied.retain(|_, link| !link.is_closed());
                    self.former.retain(|_, slot| !slot.link.is_closed());
                    if self.peers.is_empty()
                        && self.denied.is_empty()
                        && self.former.is_empty()
                        && self.try_exit(&mut rx)
                    {
                        return;
                    }
                }
            }
        }
    }

    /// When the actor should act on its own: drop its document when idle, end when cold with no
    /// peers. `None` while it must wait for messages.
    fn deadline(&self) -> Option<Instant> {
        let limits = &self.hub.inner.limits;
        let over_cap = self.hub.inner.hot.load(Ordering::Relaxed) > limits.max_loaded_docs;
        if self.doc.is_some() {
            let idle = if over_cap {
                std::time::Duration::from_millis(200)
            } else {
                limits.idle_unload
            };
            Some(self.last_activity + idle)
        } else if self.peers.is_empty() && self.denied.is_empty() && self.former.is_empty() {
            Some(self.last_activity)
        } else {
            None
        }
    }

    /// Ends the actor unless a message is waiting. Messages that slip in after the inbox closes
    /// are passed on to a new actor, so none is lost.
    fn try_exit(&mut self, rx: &mut mpsc::Receiver<DocCmd>) -> bool {
        {
            let mut actors = lock(&self.hub.inner.actors);
            if !rx.is_empty() {
                return false;
            }
            if actors.get(&self.id).is_some_and(|(s, _)| *s == self.serial) {
                actors.remove(&self.id);
            }
            rx.close();
        }
        let mut late = Vec::new();
        while let Ok(cmd) = rx.try_recv() {
            late.push(cmd);
        }
        if !late.is_empty() {
            let hub = self.hub.clone();
            let id = self.id;
            tokio::spawn(async move {
                for cmd in late {
                    let _ = hub.send(id, cmd).await;
                }
            });
        }
        true
    }

    fn go_cold(&mut self) {
        if self.doc.take().is_some() {
            self.hub.inner.hot.fetch_sub(1, Ordering::Relaxed);
        }
        self.ticket = None;
        // A former assignee's view is rebuilt from the document if its device sends work again.
        self.former.clear();
        // Keep only what a reconnecting peer would keep: the shared heads.
        for slot in self.peers.values_mut() {
            slot.state = sync::State::decode(&slot.state.encode()).unwrap_or_default();
        }
    }

    /// Loads the document from the store when it is not in memory.
    async fn ensure_hot(&mut self) -> Result<(), SyncError> {
        if self.doc.is_some() {
            return Ok(());
        }
        let chunks = self.hub.inner.store.load_chunks(&self.id_text).await?;
        let mut stored = Stored::default();
        let doc = if chunks.is_empty() {
            Automerge::new()
        } else {
            let mut bytes = Vec::with_capacity(chunks.iter().map(|c| c.data.len()).sum());
            for chunk in &chunks {
                bytes.extend_from_slice(&chunk.data);
                stored.chunk_ids.push(chunk.id);
            }
            stored.bytes = bytes.len();
            stored.incremental_chunks = chunks.len().saturating_sub(1);
            stored.incremental_bytes = chunks.iter().skip(1).map(|c| c.data.len()).sum();
            let hub = self.hub.clone();
            hub.offload(bytes.len(), || guarded(|| Automerge::load(&bytes)))
                .await?
                .map_err(|e| SyncError::Corrupt(e.to_string()))?
        };
        let doc = doc.with_actor(self.hub.inner.actor.clone());
        stored.heads = doc.get_heads();
        // A stored document that is not a ticket (none is written any more) stays readable by
        // coordinators only.
        self.ticket = if stored.heads.is_empty() {
            None
        } else {
            guarded(|| HydratedTicket::read(&doc).map_err(|e| e.to_string()))?
                .ok()
                .map(Box::new)
        };
        self.projection = match &self.ticket {
            Some(hydrated) => {
                let late = guarded(|| handover::work_after_replacement(&doc, &hydrated.ticket))?;
                let sla = self.hub.sla();
                Some(project(
                    &hydrated.ticket,
                    &late,
                    &stored.heads,
                    &sla.policy,
                    &sla.calendar,
                ))
            }
            None => None,
        };
        self.stored = stored;
        self.doc = Some(Box::new(doc));
        if self.hub.inner.hot.fetch_add(1, Ordering::Relaxed) + 1
            > self.hub.inner.limits.max_loaded_docs
        {
            // Ask idle documents without peers to leave memory.
            self.hub.inner.pressure.notify_waiters();
        }
        Ok(())
    }

    async fn handle(&mut self, cmd: DocCmd) {
        match cmd {
            DocCmd::Sync(sync) => {
                // A `request` and a `sync` are handled alike; the opening place is freed once
                // the message is handled.
                let SyncCmd {
                    peer,
                    data,
                    opening,
                } = *sync;
                self.receive_sync(peer, data).await;
                drop(opening);
            }
            DocCmd::Ephemeral { from, message } => self.relay_ephemeral(from, *message),
            DocCmd::Leave { conn } => {
                self.peers.remove(&conn);
                self.denied.remove(&conn);
                self.former.remove(&conn);
            }
            DocCmd::View { f } => match self.ensure_hot().await {
                Ok(()) => {
                    let exists = !self.stored.heads.is_empty();
                    let doc = self.doc.as_deref().filter(|_| exists);
                    if guarded(|| f(doc)).is_err() {
                        tracing::error!(doc = %self.id_text, "a view of the document panicked");
                    }
                }
                Err(err) => {
                    tracing::error!(doc = %self.id_text, %err, "could not load document");
                    // Dropping `f` drops its reply channel: the caller sees `Stopped`.
                }
            },
            DocCmd::Change(change) => {
                let ChangeCmd { f, author, done } = *change;
                let result = self.server_change(f, author).await;
                let _ = done.send(result);
            }
        }
    }

    async fn server_change(
        &mut self,
        f: ChangeFn,
        author: Author,
    ) -> Result<Vec<ChangeHash>, SyncError> {
        self.ensure_hot().await?;
        let doc = self.doc.as_deref_mut().expect("hot");
        if guarded(|| f(doc)).is_err() {
            tracing::error!(doc = %self.id_text, "a server change panicked; reloading the document");
            self.drop_document();
            return Err(SyncError::Panicked);
        }
        if self.doc_heads() == self.stored.heads {
            return Ok(self.stored.heads.clone());
        }
        let doc = self.doc.as_deref().expect("hot");
        let ticket = match guarded(|| HydratedTicket::read(doc).map_err(|e| e.to_string())) {
            Ok(Ok(ticket)) => ticket,
            Ok(Err(err)) => {
                self.drop_document();
                return Err(SyncError::Refused(err));
            }
            Err(panic) => {
                self.drop_document();
                return Err(panic);
            }
        };
        let heads = self
            .persist(Some(ticket), None, Some(&author.user_id), &author.device)
            .await?;
        self.sync_peers(None);
        Ok(heads)
    }

    /// Whether `peer` may read this document: a ticket by the access rules, a stored document
    /// that is not a ticket only by coordinators, a document the server does not have by anyone
    /// (who may then register it as a new ticket).
    fn may_read(&self, peer: &PeerLink) -> bool {
        readable(&self.projection, !self.stored.heads.is_empty(), peer)
    }

    /// Whether the ticket was once assigned to the peer's user (it knows the ticket already).
    fn was_assigned(&self, peer: &PeerLink) -> bool {
        self.ticket.as_ref().is_some_and(|t| {
            t.ticket.events.iter().any(|e| {
                e.kind == campo_shared::event_kind::EventKind::Assigned
                    && e.data
                        .assignee
                        .as_ref()
                        .is_some_and(|a| *a.id == *peer.user_id)
            })
        })
    }

    /// Tells a peer the server has no such document (also said of a forbidden one).
    fn send_unavailable(&self, link: &PeerLink) {
        let frame = Message::DocUnavailable {
            sender_id: self.hub.inner.peer_id.to_string(),
            target_id: link.peer_id.to_string(),
            document_id: self.id_text.clone(),
        }
        .encode();
        link.send(frame);
    }

    /// Refuses a change that cites a photo its writer may not read (see
    /// [`Store::may_cite_blob`]): citing a photo in a ticket lets the ticket's readers see it.
    async fn check_citations(&self, peer: &PeerLink, after: &TicketDoc) -> Result<(), Violation> {
        if peer.role == Role::Coordinador {
            return Ok(());
        }
        let before = self.ticket.as_deref().map(|t| &t.ticket);
        let cited: std::collections::HashSet<&str> = before.map(photos).unwrap_or_default();
        let viewer = Viewer {
            user_id: &peer.user_id,
            role: peer.role.as_str(),
        };
        for sha256 in photos(after).difference(&cited) {
            match self.hub.inner.store.may_cite_blob(viewer, sha256).await {
                Ok(true) => {}
                Ok(false) => {
                    return Err(Violation(format!(
                        "Regla «fotos propias»: la foto {}… no la subió usted ni está en un caso \
                         que usted pueda ver.",
                        &sha256[..sha256.len().min(12)]
                    )));
                }
                Err(err) => {
                    tracing::error!(doc = %self.id_text, %err, "could not check a photo citation");
                    return Err(Violation(
                        "El servidor no pudo revisar las fotos del cambio. Se reenviará al \
                         reconectar."
                            .into(),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Tells a peer that the server refused its changes of this document, and why. The peer
    /// stops syncing the document on this connection; what it sends later is judged afresh.
    fn send_refusal(&self, link: &PeerLink, message: String) {
        let frame = Message::Error {
            sender_id: self.hub.inner.peer_id.to_string(),
            target_id: link.peer_id.to_string(),
            message,
            document_id: Some(self.id_text.clone()),
        }
        .encode();
        link.send(frame);
    }

    /// Checks the changes a peer just delivered, which touched `touched`, against the write rules;
    /// returns the ticket they leave.
    fn check_incoming(
        &self,
        peer: &PeerLink,
        touched: &Touched,
    ) -> Result<HydratedTicket, Violation> {
        let doc = self.doc.as_deref().expect("hot");
        let read = || {
            match &self.ticket {
                Some(before) => before.reread(doc, touched),
                None => HydratedTicket::read(doc),
            }
            .map_err(|e| e.to_string())
        };
        let after = match guarded(read) {
            Ok(Ok(after)) => after,
            Ok(Err(err)) => {
                return Err(Violation(format!(
                    "Regla «documento de caso válido»: {err}."
                )));
            }
            Err(_) => {
                return Err(Violation(
                    "Regla «documento de caso válido»: el documento no se puede leer.".into(),
                ));
            }
        };
        let writer = Writer {
            user_id: &peer.user_id,
            role: peer.role,
        };
        let before = self.ticket.as_deref();
        match guarded(|| rules::check_change(writer, doc, before, &after, touched)) {
            Ok(result) => result?,
            Err(_) => {
                return Err(Violation(
                    "Regla «documento de caso válido»: el documento no se puede leer.".into(),
                ));
            }
        }
        Ok(after)
    }

    fn drop_document(&mut self) {
        self.go_cold();
        for slot in self.peers.values_mut() {
            slot.state = sync::State::new();
        }
    }

    async fn receive_sync(&mut self, peer: PeerLink, data: Vec<u8>) {
        if let Err(err) = self.ensure_hot().await {
            tracing::error!(doc = %self.id_text, %err, "could not load document");
            peer.close(CloseReason::server(
                "El servidor no pudo leer el documento. Intente de nuevo más tarde.",
            ));
            return;
        }
        let conn = peer.conn;
        if !self.may_read(&peer) {
            self.peers.remove(&conn);
            let doc = self.doc.as_deref().expect("hot");
            if self.former.contains_key(&conn)
                || (self.was_assigned(&peer) && brings_work(doc, &data))
            {
                // Work a técnico's device recorded on a case given meanwhile to someone else.
                self.denied.remove(&conn);
                self.receive_from_former(peer, data).await;
            } else {
                // Unknown and forbidden documents get the same answer.
                self.send_unavailable(&peer);
                self.denied.insert(conn, peer);
            }
            return;
        }
        self.denied.remove(&conn);
        self.former.remove(&conn);
        let slot = self.peers.entry(conn).or_insert_with(|| PeerSlot {
            link: peer.clone(),
            state: sync::State::new(),
            waiting: None,
        });
        slot.link = peer;
        let message = match super::wire::decode_sync_data(&data) {
            Ok(message) => message,
            Err(err) => {
                tracing::debug!(%err, "undecodable sync message");
                slot.link
                    .close(CloseReason::policy("Mensaje de sincronización no válido."));
                self.peers.remove(&conn);
                return;
            }
        };
        let incoming: usize = message.changes.iter().map(<[u8]>::len).sum();
        if incoming > campo_shared::limits::CHANGE_BYTES {
            let link = slot.link.clone();
            self.peers.remove(&conn);
            self.send_refusal(
                &link,
                format!(
                    "Los cambios enviados ocupan {} KB y el máximo por envío es {} KB; \
                     nada se guardó.",
                    incoming.div_ceil(1024),
                    campo_shared::limits::CHANGE_BYTES / 1024
                ),
            );
            return;
        }
        let limit = self.hub.inner.limits.max_document_bytes;
        if self.stored.bytes + incoming > limit {
            slot.link.close(CloseReason::policy(format!(
                "El documento superaría el tamaño máximo ({} MB).",
                limit / (1024 * 1024)
            )));
            self.peers.remove(&conn);
            return;
        }
        let exists = !self.stored.heads.is_empty();
        let asks_nothing = message.heads.is_empty() && message.changes.is_empty();
        let doc = self.doc.as_deref_mut().expect("hot");
        // No patches: what the changes touched (so that checking them reads only that again, see
        // `check_incoming`) comes from their operations, `Touched::add_changes`, which name every
        // object a patch would. Making the patches was a twentieth of the server's CPU per
        // change. The log stays empty.
        let patches = PatchLog::inactive();
        let hub = self.hub.clone();
        let received = hub
            .offload(incoming, || {
                guarded(|| doc.receive_sync_message(&mut slot.state, message))
            })
            .await;
        match received {
            Ok(Ok(())) => {}
            Ok(Err(err)) => {
                tracing::debug!(%err, "sync message refused");
                slot.link
                    .close(CloseReason::policy("Mensaje de sincronización no válido."));
                self.peers.remove(&conn);
                return;
            }
            Err(_) => {
                tracing::error!(doc = %self.id_text, "automerge panicked on a sync message");
                slot.link
                    .close(CloseReason::policy("Mensaje de sincronización no válido."));
                self.peers.remove(&conn);
                self.drop_document();
                return;
            }
        }
        if !exists && asks_nothing && self.doc_heads().is_empty() {
            // Neither side has the document: say so, and remember that this peer wants it while
            // its user's budget allows. Nothing stays in memory but the waiting peer.
            if let Some(slot) = self.peers.get_mut(&conn) {
                let link = slot.link.clone();
                if !link.unknown.ask() {
                    link.close(CloseReason::policy(
                        "Demasiadas solicitudes de documentos que no existen; espere un momento.",
                    ));
                    self.peers.remove(&conn);
                } else {
                    slot.waiting = link.unknown.wait();
                    if slot.waiting.is_none() {
                        self.peers.remove(&conn);
                    }
                    self.send_unavailable(&link);
                }
            }
            self.go_cold();
            return;
        }
        let Some(link) = self.peers.get(&conn).map(|slot| slot.link.clone()) else {
            return;
        };
        let before = self.stored.heads.clone();
        if !self.admit(&link, incoming, patches).await {
            return;
        }
        if self.stored.heads != before {
            self.sync_peers(None);
        } else {
            self.sync_peers(Some(conn));
        }
        self.maybe_compact().await;
    }

    /// Checks the changes `link` just delivered into the document (their patches logged in
    /// `patches`) against the write rules, and commits them. A refused change is neither stored
    /// nor relayed: the document goes back to its stored state, and the peer hears why. Returns
    /// whether the document is as stored (nothing new, or committed).
    async fn admit(&mut self, link: &PeerLink, incoming: usize, mut patches: PatchLog) -> bool {
        let mut ticket = None;
        let mut unstored = None;
        if self.doc_heads() != self.stored.heads {
            let doc = self.doc.as_deref().expect("hot");
            // What the patches show, and what the changes' operations write to (a write of the
            // value a field already had shows in no patch).
            let stored_heads = &self.stored.heads;
            let known = self.ticket.is_some();
            let touched = guarded(|| {
                let mut touched = Touched::from_patches(&doc.make_patches(&mut patches));
                let changes = doc.get_changes(stored_heads);
                if known {
                    touched.add_changes(doc, &changes);
                }
                // Kept for `persist`, which stores these same changes: taking them from the
                // document is a twentieth of the server's CPU per change, and was done twice.
                unstored = Some(changes);
                touched
            })
            .unwrap_or_else(|_| Touched::everything());
            let hub = self.hub.clone();
            let mut checked = hub
                .offload(incoming, || self.check_incoming(link, &touched))
                .await;
            if let Ok(after) = &checked
                && let Err(violation) = self.check_citations(link, &after.ticket).await
            {
                checked = Err(violation);
            }
            match checked {
                Ok(after) => ticket = Some(after),
                Err(violation) => {
                    tracing::info!(doc = %self.id_text, user = %link.user_id, %violation, "change refused");
                    // Neither stored nor relayed: the document goes back to its stored state,
                    // and the peer hears why.
                    self.peers.remove(&link.conn);
                    self.former.remove(&link.conn);
                    self.drop_document();
                    self.send_refusal(link, violation.0);
                    return false;
                }
            }
        }
        self.persist(ticket, unstored, Some(&link.user_id), &link.peer_id)
            .await
            .is_ok()
    }

    fn doc_heads(&self) -> Vec<ChangeHash> {
        self.doc
            .as_deref()
            .map(Automerge::get_heads)
            .unwrap_or_default()
    }

    /// Commits the changes not yet stored. On failure the document leaves memory and its peers
    /// are disconnected with the reason, so nothing unstored is ever acknowledged.
    ///
    /// `ticket` is the document as a ticket after the changes (checked by the caller); the
    /// changes, their audit rows and the ticket's projection are committed together. `unstored`
    /// holds the changes when the caller already took them from the document (everything after
    /// the stored heads, with nothing applied since); `None` takes them here.
    async fn persist(
        &mut self,
        ticket: Option<HydratedTicket>,
        unstored: Option<Vec<automerge::Change>>,
        user_id: Option<&str>,
        device: &str,
    ) -> Result<Vec<ChangeHash>, SyncError> {
        let doc = self.doc.as_deref().expect("hot");
        let heads = doc.get_heads();
        if heads == self.stored.heads {
            return Ok(heads);
        }
        let saved = guarded(|| {
            let changes = unstored.unwrap_or_else(|| doc.get_changes(&self.stored.heads));
            let audit: Vec<AuditEntry> = changes
                .iter()
                .map(|change| AuditEntry {
                    hash: change.hash().to_string(),
                    actor: change.actor_id().to_hex_string(),
                })
                .collect();
            // What `save_after(stored heads)` writes: the changes one after the other.
            let bytes: Vec<u8> = changes
                .iter()
                .flat_map(|c| c.raw_bytes())
                .copied()
                .collect();
            (bytes, audit)
        });
        let (bytes, audit) = match saved {
            Ok(saved) => saved,
            Err(err) => {
                self.drop_document();
                return Err(err);
            }
        };
        let projection = match &ticket {
            Some(ticket) => {
                let late = match guarded(|| handover::work_after_replacement(doc, &ticket.ticket)) {
                    Ok(late) => late,
                    Err(err) => {
                        self.drop_document();
                        return Err(err);
                    }
                };
                let sla = self.hub.sla();
                Some(project(
                    &ticket.ticket,
                    &late,
                    &heads,
                    &sla.policy,
                    &sla.calendar,
                ))
            }
            None => None,
        };
        let commit = CommitChange {
            doc_id: &self.id_text,
            kind: ChunkKind::Incremental,
            data: &bytes,
            audit: &audit,
            user_id,
            device,
            projection: projection.as_ref(),
            previous: self.projection.as_ref(),
            number: self.number.as_deref(),
        };
        match self.hub.inner.store.commit_change(&commit).await {
            Ok(committed) => {
                if committed.number.is_some() {
                    self.number = committed.number;
                }
                self.stored.heads = heads.clone();
                self.stored.chunk_ids.push(committed.chunk_id);
                self.stored.bytes += bytes.len();
                self.stored.incremental_bytes += bytes.len();
                self.stored.incremental_chunks += 1;
                let before = self.projection.as_ref().map(Audience::of);
                let new_events = match (&ticket, &self.ticket) {
                    (Some(after), Some(old)) => {
                        let known: std::collections::HashSet<_> =
                            old.ticket.events.iter().map(|e| e.id).collect();
                        after
                            .ticket
                            .events
                            .iter()
                            .filter(|e| !known.contains(&e.id))
                            .map(|e| e.kind)
                            .collect()
                    }
                    (Some(after), None) => after.ticket.events.iter().map(|e| e.kind).collect(),
                    (None, _) => Vec::new(),
                };
                if let Some(ticket) = ticket {
                    self.ticket = Some(Box::new(ticket));
                    self.projection = projection;
                }
                let after = self.projection.as_ref().map(Audience::of);
                if before != after {
                    self.update_access();
                }
                let _ = self.hub.inner.changes.send(DocChanged {
                    document: self.id,
                    heads: heads.clone(),
                    before,
                    after,
                    new_events,
                });
                Ok(heads)
            }
            Err(err) => {
                tracing::error!(doc = %self.id_text, %err, "could not store a change; disconnecting its peers");
                for slot in self.peers.values() {
                    slot.link.close(CloseReason::server(
                        "El servidor no pudo guardar los cambios. Se reenviarán al reconectar.",
                    ));
                }
                self.peers.clear();
                self.go_cold();
                Err(SyncError::Storage(err))
            }
        }
    }

    /// After an assignment changes, peers that may no longer read the ticket stop syncing it,
    /// and connections refused earlier (or syncing as a former assignee) that may read it now
    /// are offered it (by the
    /// [`Self::sync_peers`] that follows every stored change).
    fn update_access(&mut self) {
        let lost: Vec<ConnId> = self
            .peers
            .iter()
            .filter(|(_, slot)| !self.may_read(&slot.link))
            .map(|(conn, _)| *conn)
            .collect();
        for conn in lost {
            if let Some(slot) = self.peers.remove(&conn) {
                self.send_unavailable(&slot.link);
                self.denied.insert(conn, slot.link);
            }
        }
        self.denied.retain(|_, link| !link.is_closed());
        self.former.retain(|_, slot| !slot.link.is_closed());
        let gained: Vec<ConnId> = self
            .denied
            .iter()
            .chain(self.former.iter().map(|(conn, slot)| (conn, &slot.link)))
            .filter(|(_, link)| self.may_read(link))
            .map(|(conn, _)| *conn)
            .collect();
        for conn in gained {
            let link = match self.denied.remove(&conn) {
                Some(link) => Some(link),
                None => self.former.remove(&conn).map(|slot| slot.link),
            };
            if let Some(link) = link {
                self.peers.insert(
                    conn,
                    PeerSlot {
                        link,
                        state: sync::State::new(),
                        waiting: None,
                    },
                );
            }
        }
    }

    /// Replaces the chunks with one snapshot once there are many incremental ones.
    async fn maybe_compact(&mut self) {
        let limits = &self.hub.inner.limits;
        if self.stored.incremental_chunks < limits.compact_after_chunks {
            return;
        }
        let Some(doc) = self.doc.as_deref() else {
            return;
        };
        let hub = self.hub.clone();
        let Ok(snapshot) = hub
            .offload(self.stored.bytes, || guarded(|| doc.save()))
            .await
        else {
            return;
        };
        match self
            .hub
            .inner
            .store
            .compact_document(&self.id_text, &snapshot, &self.stored.chunk_ids)
            .await
        {
            Ok(id) => {
                self.stored.chunk_ids = vec![id];
                self.stored.bytes = snapshot.len();
                self.stored.incremental_bytes = 0;
                self.stored.incremental_chunks = 0;
            }
            // The incremental chunks are still there; compaction is retried after the next change.
            Err(err) => tracing::warn!(doc = %self.id_text, %err, "compaction failed"),
        }
    }

    /// Sends each peer (or only `only`) what it is missing.
    fn sync_peers(&mut self, only: Option<ConnId>) {
        let Some(doc) = self.doc.as_deref() else {
            return;
        };
        let has_content = !self.stored.heads.is_empty();
        let mut gone = Vec::new();
        let mut panicked = false;
        for (conn, slot) in self.peers.iter_mut() {
            if only.is_some_and(|c| c != *conn) {
                continue;
            }
            if slot.waiting.is_some() {
                if !has_content {
                    continue;
                }
                slot.waiting = None;
            }
            if !readable(&self.projection, has_content, &slot.link) {
                gone.push(*conn);
                continue;
            }
            match guarded(|| doc.generate_sync_message(&mut slot.state)) {
                Ok(Some(message)) => {
                    let frame = Message::Sync {
                        sender_id: self.hub.inner.peer_id.to_string(),
                        target_id: slot.link.peer_id.to_string(),
                        document_id: self.id_text.clone(),
                        data: message.encode(),
                    }
                    .encode();
                    if !slot.link.send(frame) {
                        gone.push(*conn);
                    }
                }
                Ok(None) => {}
                Err(_) => {
                    panicked = true;
                    break;
                }
            }
        }
        for conn in gone {
            self.peers.remove(&conn);
        }
        if panicked {
            tracing::error!(doc = %self.id_text, "automerge panicked generating a sync message");
            self.drop_document();
        }
    }

    /// Passes an ephemeral message to the document's other peers, never storing it. Only a peer
    /// syncing the document (and so allowed to read it) may send one.
    fn relay_ephemeral(&mut self, from: ConnId, message: Message) {
        if !self.peers.contains_key(&from) {
            return;
        }
        let Message::Ephemeral {
            sender_id,
            count,
            session_id,
            document_id,
            data,
            ..
        } = message
        else {
            return;
        };
        for (conn, slot) in &self.peers {
            if *conn == from {
                continue;
            }
            let frame = Message::Ephemeral {
                sender_id: sender_id.clone(),
                target_id: slot.link.peer_id.to_string(),
                count,
                session_id: session_id.clone(),
                document_id: document_id.clone(),
                data: data.clone(),
            }
            .encode();
            slot.link.send(frame);
        }
    }
}

/// [`DocActor::may_read`] for a stored document, usable while the actor's peers are borrowed.
fn readable(projection: &Option<Projection>, stored: bool, link: &PeerLink) -> bool {
    match projection {
        Some(projection) => Audience::of(projection).may_read(&link.user_id, link.role),
        None => !stored || link.role == Role::Coordinador,
    }
}

/// Whether a sync message shows work the server does not have: changes, or heads it lacks.
fn brings_work(doc: &Automerge, data: &[u8]) -> bool {
    sync::Message::decode(data).is_ok_and(|m| {
        !m.changes.is_empty()
            || m.heads
                .iter()
                .any(|h| automerge::ReadDoc::get_change_by_hash(doc, h).is_none())
    })
}

/// The photos a ticket cites: the request's and the visits' evidence.
fn photos(ticket: &TicketDoc) -> std::collections::HashSet<&str> {
    let request = ticket.request.photos.iter().map(String::as_str);
    let evidence = ticket
        .visits
        .iter()
        .flat_map(|v| v.evidence.iter().map(|p| p.sha256.as_str()));
    request.chain(evidence).collect()
}

/// Heavy slots: all cores but one, at least one.
fn heavy_permits() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get().saturating_sub(1))
        .unwrap_or(1)
        .max(1)
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
