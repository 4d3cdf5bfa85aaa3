// The Automerge repo of the phone: ticket documents in IndexedDB, synced with the server over
// the WebSocket `/sync` (the session cookie authenticates the upgrade). Tracks which documents
// the server has acknowledged, per document, and which it refused (with its reason), and keeps
// both in localStorage so the outbox and the status bar are right also when the app opens offline.

import { computed, signal } from "@preact/signals"
import {
  type AutomergeUrl,
  type DocHandle,
  type DocumentId,
  type PeerId,
  Repo,
  type StorageId,
  decodeHeads,
  initializeWasm,
} from "@automerge/automerge-repo/slim"
import { IndexedDBStorageAdapter } from "@automerge/automerge-repo-storage-indexeddb"
import wasmUrl from "@automerge/automerge/automerge.wasm?url"
import type { TicketDoc } from "./schema"
import { CampoSocket, type ServerError } from "./syncSocket"
import { type Notices, type Refusals, keptNotice, noteServerError, settleRefusal, type SyncNote } from "./outbox"
import { unacknowledgedChanges } from "./syncStatus"

const ACK_KEY = "campo.ack"
const REFUSED_KEY = "campo.refused"
const NOTICES_KEY = "campo.notices"
const SERVER_KEY = "campo.serverStorageId"

let serverPeer: PeerId | null = null
const handles = new Map<AutomergeUrl, DocHandle<TicketDoc>>()
const ack: Record<string, string[]> = JSON.parse(localStorage.getItem(ACK_KEY) ?? "{}")

/** The WebSocket is open and the server has said who it is. */
export const connected = signal(false)

/** How long after start the status bar says «Conectando…» before «Sin conexión». */
export const CONNECT_GRACE_MS = 5000

/**
 * True while the socket has not had a fair chance: from start until the server first answers, the
 * first connection is lost, or CONNECT_GRACE_MS pass (a server that is down fails within them).
 */
export const firstConnect = signal(true)
/** Unacknowledged changes per document URL. */
export const pendingByDoc = signal<Record<string, number>>({})
/** Bumped whenever `ack` changes (it is a plain object, so computed values must be told). */
const ackVersion = signal(0)
/** Documents the server has never acknowledged (created here and never synced, or never heard). */
export const unknownDocs = computed(() => {
  void ackVersion.value
  return Object.keys(pendingByDoc.value).filter(url => !ack[url]).length
})
export const pendingChanges = computed(() => Object.values(pendingByDoc.value).reduce((a, b) => a + b, 0))
/** Documents whose changes the server refused, by URL, with its reason (kept across restarts). */
export const refusedDocs = signal<Refusals>(readRefusals())
/** What the server said of work it kept on cases now someone else's, by URL (kept across restarts). */
export const docNotices = signal<Notices>(readNotices())
/** Errors the server gave about the connection, not about one document (this session only). */
export const syncNotes = signal<SyncNote[]>([])
/** When each document's changes were last all acknowledged (this session), for the outbox. */
export const savedAt = signal<Record<string, number>>({})
/** Whether the server has ever acknowledged the document (else it is new, made on this phone). */
export function serverKnows(url: string): boolean {
  return ack[url] !== undefined
}
/** Bumped after changes of tracked documents, so views re-read them. */
export const docsVersion = signal(0)

function readRefusals(): Refusals {
  try {
    return (JSON.parse(localStorage.getItem(REFUSED_KEY) ?? "{}") as Refusals | null) ?? {}
  } catch {
    return {}
  }
}

function readNotices(): Notices {
  try {
    return (JSON.parse(localStorage.getItem(NOTICES_KEY) ?? "{}") as Notices | null) ?? {}
  } catch {
    return {}
  }
}

function saveNotices(next: Notices): void {
  docNotices.value = next
  localStorage.setItem(NOTICES_KEY, JSON.stringify(next))
}

/** The person read the server's notice about a case. */
export function dismissNotice(url: string): void {
  const { [url]: _read, ...rest } = docNotices.value
  saveNotices(rest)
}

function saveRefusals(next: Refusals): void {
  refusedDocs.value = next
  localStorage.setItem(REFUSED_KEY, JSON.stringify(next))
}

/** An `error` message of the server: a refused document, or a note about the connection. */
function onServerError(error: ServerError): void {
  console.warn("Campo: the sync server reported an error", error)
  const next = noteServerError({ refused: refusedDocs.value, notes: syncNotes.value }, error, Date.now())
  if (next.refused !== refusedDocs.value) saveRefusals(next.refused)
  syncNotes.value = next.notes
}

export function dismissNote(at: number): void {
  syncNotes.value = syncNotes.value.filter(n => n.at !== at)
}

function serverStorageId(): StorageId | null {
  return (localStorage.getItem(SERVER_KEY) as StorageId | null) ?? null
}

let starting: Promise<Repo> | null = null

/** The phone's repo, created once (the WASM must be initialised exactly once). */
export function startRepo(): Promise<Repo> {
  if (!starting) setTimeout(() => (firstConnect.value = false), CONNECT_GRACE_MS)
  starting ??= createRepo()
  return starting
}

async function createRepo(): Promise<Repo> {
  await initializeWasm(wasmUrl)
  const scheme = location.protocol === "https:" ? "wss:" : "ws:"
  const network = new CampoSocket(`${scheme}//${location.host}/sync`, 2000, onServerError)
  const repo = new Repo({
    storage: new IndexedDBStorageAdapter("campo"),
    network: [network],
    // Changes come one per saved form, not per keystroke: write each to IndexedDB at once (the
    // default waits 100 ms, long enough to lose a visit if the app is closed right after).
    saveDebounceRate: 5,
  })
  // A phone may kill a hidden app at any time: write what is pending to IndexedDB first.
  const flush = () => void repo.flush().catch(() => {})
  addEventListener("pagehide", flush)
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") flush()
  })
  repo.networkSubsystem.on("peer", ({ peerId, peerMetadata }) => {
    serverPeer = peerId
    if (peerMetadata?.storageId) localStorage.setItem(SERVER_KEY, peerMetadata.storageId)
    connected.value = true
    firstConnect.value = false
  })
  repo.networkSubsystem.on("peer-disconnected", ({ peerId }) => {
    if (peerId === serverPeer) {
      serverPeer = null
      connected.value = false
      firstConnect.value = false
    }
  })
  return repo
}

function saveAck(url: AutomergeUrl, hexHeads: string[]): void {
  ack[url] = hexHeads
  localStorage.setItem(ACK_KEY, JSON.stringify(ack))
  ackVersion.value++
}

function recount(url: AutomergeUrl, handle: DocHandle<TicketDoc>): void {
  const doc = handle.doc()
  if (!doc) return
  const pending = unacknowledgedChanges(doc, ack[url] ?? [])
  const before = pendingByDoc.value[url]
  if (before !== pending) pendingByDoc.value = { ...pendingByDoc.value, [url]: pending }
  if (pending === 0 && ack[url]) {
    if (before !== undefined && before > 0) savedAt.value = { ...savedAt.value, [url]: Date.now() }
    // The server now holds every change of this phone: whatever it refused was taken after all.
    const settled = settleRefusal(refusedDocs.value, url)
    if (settled !== refusedDocs.value) saveRefusals(settled)
  }
}

const dirty = new Set<AutomergeUrl>()
let recountTimer: ReturnType<typeof setTimeout> | undefined

/**
 * Recounts later, never inside the repo's event: handlers run while Automerge may still be
 * applying changes to the document, and calling into it then is refused by its WASM.
 */
function scheduleRecount(url: AutomergeUrl): void {
  dirty.add(url)
  recountTimer ??= setTimeout(() => {
    recountTimer = undefined
    for (const u of dirty) {
      const handle = handles.get(u)
      if (handle) recount(u, handle)
    }
    dirty.clear()
    docsVersion.value++
  }, 50)
}

function track(handle: DocHandle<TicketDoc>): DocHandle<TicketDoc> {
  const url = handle.url
  const existing = handles.get(url)
  if (existing) return existing
  handles.set(url, handle)
  handle.on("change", () => scheduleRecount(url))
  handle.on("ephemeral-message", ({ message }) => {
    const notice = keptNotice(message)
    if (notice !== null && docNotices.value[url]?.message !== notice.message)
      saveNotices({ ...docNotices.value, [url]: { ...notice, at: Date.now() } })
  })
  handle.on("remote-heads", ({ storageId, heads }) => {
    if (storageId !== serverStorageId()) return
    saveAck(url, decodeHeads(heads))
    scheduleRecount(url)
  })
  const storageId = serverStorageId()
  const known = storageId ? handle.getSyncInfo(storageId)?.lastHeads : undefined
  if (known) saveAck(url, decodeHeads(known))
  scheduleRecount(url)
  return handle
}

/** The handle of a ticket, from the phone's storage or the server; rejects if unavailable. */
export async function findTicket(url: AutomergeUrl): Promise<DocHandle<TicketDoc>> {
  const existing = handles.get(url)
  if (existing) return existing
  const r = await startRepo()
  return track(await r.find<TicketDoc>(url))
}

const plainCache = new WeakMap<object, TicketDoc>()

/**
 * The document as plain JSON. Automerge returns strings written as scalars (by the server, in
 * Rust) as `ImmutableString` objects, which compare unequal to string literals; views and the
 * fold read this plain copy instead. Automerge documents are immutable per version, so the copy
 * is made once per version.
 */
export function plainDoc(handle: DocHandle<TicketDoc> | undefined | null): TicketDoc | null {
  const doc = handle?.doc()
  if (!doc) return null
  let plain = plainCache.get(doc)
  if (!plain) {
    plain = JSON.parse(JSON.stringify(doc)) as TicketDoc
    plainCache.set(doc, plain)
  }
  return plain
}

/** A handle already loaded (synchronous, for views). */
export function loadedTicket(url: string): DocHandle<TicketDoc> | undefined {
  return handles.get(url as AutomergeUrl)
}

export function loadedTickets(): DocHandle<TicketDoc>[] {
  return [...handles.values()]
}

export async function createTicket(doc: TicketDoc): Promise<DocHandle<TicketDoc>> {
  const r = await startRepo()
  return track(r.create<TicketDoc>(doc))
}

/**
 * Throws away the phone's copy of a ticket (the changes the server refused, and any made after
 * them, which depend on them) and, when the server has the ticket, takes the server's again.
 * Resolves once the phone's copy is gone; the server's arrives by sync.
 */
export async function discardTicket(url: string): Promise<void> {
  const r = await startRepo()
  const id = url as AutomergeUrl
  const knownByServer = serverKnows(url)
  const documentId = id.replace(/^automerge:/, "") as DocumentId
  handles.delete(id)
  r.delete(id)
  // The repo removes the stored copy too, without waiting: wait here, so nothing of it is loaded back.
  await r.storageSubsystem?.removeDoc(documentId)
  delete ack[url]
  localStorage.setItem(ACK_KEY, JSON.stringify(ack))
  ackVersion.value++
  const { [url]: _pending, ...rest } = pendingByDoc.value
  pendingByDoc.value = rest
  saveRefusals(settleRefusal(refusedDocs.value, url))
  dismissNotice(url)
  docsVersion.value++
  if (knownByServer) void findTicket(id).catch(err => console.warn(`Campo: ticket ${url} not available again yet`, err))
}

/** Deletes every ticket document of this phone (after a user change, never with pending work). */
export async function wipeDocuments(): Promise<void> {
  localStorage.removeItem(ACK_KEY)
  localStorage.removeItem(REFUSED_KEY)
  refusedDocs.value = {}
  localStorage.removeItem(NOTICES_KEY)
  docNotices.value = {}
  syncNotes.value = []
  for (const key of Object.keys(ack)) delete ack[key]
  ackVersion.value++
  handles.clear()
  pendingByDoc.value = {}
  await new Promise<void>(resolve => {
    const request = indexedDB.deleteDatabase("campo")
    request.onsuccess = request.onerror = request.onblocked = () => resolve()
  })
}
