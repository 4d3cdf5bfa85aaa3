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
//!
//! The actor's work is split by responsibility:
//! - [`actor`]: the actor's state, its run loop, loading and unloading its document, the
//!   commands it handles and the server's own changes.
//! - [`admission`]: who may read the document, and judging the changes a peer delivers.
//! - [`storage`]: committing changes to the store and compacting them.
//! - [`peers`]: who syncs the document as its access changes, what each peer is sent, and the
//!   relay of ephemeral messages.
//! - [`former`]: work sent by a former assignee's device.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use automerge::{ActorId, Automerge, ChangeHash};
use campo_shared::ids::DocumentId;
use campo_shared::role::Role;
use campo_shared::schema::migrate::{self, Migration};
use campo_shared::schema::{SCHEMA_VERSION, TicketDoc};
use tokio::sync::{Notify, broadcast, mpsc, oneshot, watch};

use super::Limits;
use super::budget::UnknownBudget;
use super::wire::Message;
use crate::projection::{Audience, Sla};
use crate::store::{Receipt, Store, StoreError};
use actor::{DocActor, Stored};

mod actor;
mod admission;
mod former;
mod peers;
mod storage;

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
    /// The comments this change added (the inbox tells the case's people).
    pub new_comments: Vec<campo_shared::schema::Comment>,
    /// The ticket's number (`None`: not a ticket).
    pub number: Option<String>,
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
    Storage(#[from] StoreError),
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
    Ephemeral {
        from: ConnId,
        message: Box<Message>,
    },
    Leave {
        conn: ConnId,
    },
    View {
        f: ViewFn,
    },
    /// The ticket as the actor last read it (no reading of the document).
    Ticket {
        reply: oneshot::Sender<Option<TicketDoc>>,
    },
    Change(Box<ChangeCmd>),
    /// Another replica stored changes of the document: read them from the store.
    Refresh,
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
    /// The message or GLPI ticket the change comes from, recorded with it (see
    /// [`Documents::change_from_intake`]).
    receipt: Option<Receipt>,
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
    /// Counts the times this replica lost track of whom changes concern (see
    /// [`Documents::recheck_agendas`]).
    agenda_gaps: watch::Sender<u64>,
    /// Set when the server stops: connections and streams end so shutdown can finish.
    closing: watch::Sender<bool>,
    /// The SLA policy the projection computes deadlines with.
    sla: Mutex<Arc<Sla>>,
    /// Heavy Automerge work (a large message, loading or compacting a large document) runs on a
    /// blocking thread, this many at a time, so that it never holds every runtime thread.
    heavy: tokio::sync::Semaphore,
    /// The steps that bring a ticket of an earlier schema version to the current one
    /// ([`migrate::MIGRATIONS`]; the tests give made-up ones).
    migrations: &'static [Migration],
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
        Self::with_migrations(store, limits, migrate::MIGRATIONS)
    }

    /// [`Documents::new`] with other schema migrations than this version's.
    pub(crate) fn with_migrations(
        store: Store,
        limits: Limits,
        migrations: &'static [Migration],
    ) -> Self {
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
                agenda_gaps: watch::channel(0).0,
                closing: watch::channel(false).0,
                sla: Mutex::new(Arc::new(Sla::default())),
                heavy: tokio::sync::Semaphore::new(heavy_permits()),
                migrations,
            }),
        }
    }

    /// Brings a ticket document written by an earlier schema version to the current one, in one
    /// change by the server's actor (see [`migrate::upgrade`]); the version it had when it was
    /// older. A newer version, or one without its steps, is refused (why, in Spanish) and `doc`
    /// left as it was.
    fn upgrade(&self, doc: &mut Automerge) -> Result<Option<u64>, String> {
        migrate::upgrade_with(doc, self.inner.migrations, SCHEMA_VERSION).map_err(|e| e.to_string())
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
                if let Some(id) = store.setting::<String>(KEY).await.map_err(to_sync_error)? {
                    return Ok::<_, SyncError>(id);
                }
                let id = uuid::Uuid::new_v4().to_string();
                store.put_setting(KEY, &id).await.map_err(to_sync_error)?;
                // Another replica may have written first; its value wins for everyone.
                Ok(store
                    .setting::<String>(KEY)
                    .await
                    .map_err(to_sync_error)?
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

    /// The ticket a document holds, as its actor last read it after its latest change (`None`
    /// when the document was never stored, is not a ticket, or is of a schema version this
    /// program cannot read). Cheaper than [`Documents::view`] with a full read: the actor keeps
    /// the ticket it read, and this clones it.
    pub async fn ticket(&self, id: DocumentId) -> Result<Option<TicketDoc>, SyncError> {
        let (reply, rx) = oneshot::channel();
        self.send(id, DocCmd::Ticket { reply }).await?;
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
        self.change_with(id, author, None, f).await
    }

    /// [`Documents::change`] for a change made from something taken from outside (an e-mail, a
    /// GLPI ticket): its receipt is written in the same transaction as the change, so it is
    /// taken exactly once.
    pub async fn change_from_intake<T: Send + 'static>(
        &self,
        id: DocumentId,
        author: Author,
        receipt: Receipt,
        f: impl FnOnce(&mut Automerge) -> Result<T, String> + Send + 'static,
    ) -> Result<(T, Vec<ChangeHash>), SyncError> {
        self.change_with(id, author, Some(receipt), f).await
    }

    async fn change_with<T: Send + 'static>(
        &self,
        id: DocumentId,
        author: Author,
        receipt: Option<Receipt>,
        f: impl FnOnce(&mut Automerge) -> Result<T, String> + Send + 'static,
    ) -> Result<(T, Vec<ChangeHash>), SyncError> {
        let (result_tx, result_rx) = oneshot::channel();
        let (done, done_rx) = oneshot::channel();
        let f: ChangeFn = Box::new(move |doc| {
            let _ = result_tx.send(f(doc));
        });
        self.send(
            id,
            DocCmd::Change(Box::new(ChangeCmd {
                f,
                author,
                receipt,
                done,
            })),
        )
        .await?;
        let heads = done_rx.await.map_err(|_| SyncError::Stopped)??;
        let value = result_rx
            .await
            .map_err(|_| SyncError::Panicked)?
            .map_err(SyncError::Refused)?;
        Ok((value, heads))
    }

    /// Tells the document's actor, if this replica has one, that another replica stored changes
    /// of it (see [`crate::sync::feed`]). Without an actor there is nothing to tell: the document
    /// is read from the store when it is next needed.
    pub fn refresh(&self, id: DocumentId) {
        let inbox = lock(&self.inner.actors)
            .get(&id)
            .map(|(_, inbox)| inbox.clone());
        if let Some(inbox) = inbox {
            refresh_later(inbox);
        }
    }

    /// [`Self::refresh`] for every document with an actor: notices may have been missed (the
    /// feed's connection to the database was lost).
    pub fn refresh_all(&self) {
        let inboxes: Vec<_> = lock(&self.inner.actors)
            .values()
            .map(|(_, inbox)| inbox.clone())
            .collect();
        for inbox in inboxes {
            refresh_later(inbox);
        }
    }

    /// Announces a change another replica stored, to this replica's boards and agendas.
    pub fn announce_remote(&self, change: DocChanged) {
        let _ = self.inner.changes.send(change);
    }

    /// Another replica changed tickets and this one cannot say whom the changes concern (the
    /// change feed lost notices, or could not read a changed ticket): every open agenda reads
    /// itself again, so that a case assigned meanwhile to a técnico connected here still
    /// reaches that técnico's phone.
    pub fn recheck_agendas(&self) {
        self.inner.agenda_gaps.send_modify(|gaps| *gaps += 1);
    }

    /// Changes when the agendas must read themselves again (see [`Self::recheck_agendas`]).
    /// Every open agenda stream holds one.
    pub fn agenda_gaps(&self) -> watch::Receiver<u64> {
        self.inner.agenda_gaps.subscribe()
    }

    /// Whether an agenda stream is open on this replica.
    pub fn agendas_open(&self) -> bool {
        self.inner.agenda_gaps.receiver_count() > 0
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
            refresh_failures: 0,
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

fn to_sync_error(err: anyhow::Error) -> SyncError {
    match err.downcast::<StoreError>() {
        Ok(err) => SyncError::Storage(err),
        Err(err) => SyncError::Corrupt(err.to_string()),
    }
}

/// Result of running an Automerge call under `catch_unwind`.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, SyncError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|_| SyncError::Panicked)
}

/// Heavy slots: all cores but one, at least one.
fn heavy_permits() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get().saturating_sub(1))
        .unwrap_or(1)
        .max(1)
}

/// Queues a [`DocCmd::Refresh`] without making the feed wait for a busy actor. A full inbox
/// still gets it, later: its own commits never bring the actor another replica's changes, and a
/// phone on this replica would miss them until the next notice of the same document.
fn refresh_later(inbox: mpsc::Sender<DocCmd>) {
    if let Err(mpsc::error::TrySendError::Full(cmd)) = inbox.try_send(DocCmd::Refresh) {
        tokio::spawn(async move {
            let _ = inbox.send(cmd).await;
        });
    }
}
