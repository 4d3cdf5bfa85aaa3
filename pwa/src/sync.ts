// The Automerge repo of the phone: ticket documents in IndexedDB, synced with the server over
// the WebSocket `/sync` (the session cookie authenticates the upgrade). Tracks which documents
// the server has acknowledged, per document, and keeps that in localStorage so the pending count
// is right also when the app opens offline.

import { computed, signal } from "@preact/signals"
import {
  type AutomergeUrl,
  type DocHandle,
  type PeerId,
  Repo,
  type StorageId,
  decodeHeads,
  initializeWasm,
} from "@automerge/automerge-repo/slim"
import { IndexedDBStorageAdapter } from "@automerge/automerge-repo-storage-indexeddb"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"
import wasmUrl from "@automerge/automerge/automerge.wasm?url"
import type { TicketDoc } from "./schema"
import { unacknowledgedChanges } from "./syncStatus"

const ACK_KEY = "campo.ack"
const SERVER_KEY = "campo.serverStorageId"

let serverPeer: PeerId | null = null
const handles = new Map<AutomergeUrl, DocHandle<TicketDoc>>()
const ack: Record<string, string[]> = JSON.parse(localStorage.getItem(ACK_KEY) ?? "{}")

/** The WebSocket is open and the server has said who it is. */
export const connected = signal(false)
/** Unacknowledged changes per document URL. */
export const pendingByDoc = signal<Record<string, number>>({})
/** Documents the server has never acknowledged (created here and never synced, or never heard). */
export const unknownDocs = computed(() => Object.keys(pendingByDoc.value).filter(url => !ack[url]).length)
export const pendingChanges = computed(() => Object.values(pendingByDoc.value).reduce((a, b) => a + b, 0))
/** Bumped after changes of tracked documents, so views re-read them. */
export const docsVersion = signal(0)

function serverStorageId(): StorageId | null {
  return (localStorage.getItem(SERVER_KEY) as StorageId | null) ?? null
}

let starting: Promise<Repo> | null = null

/** The phone's repo, created once (the WASM must be initialised exactly once). */
export function startRepo(): Promise<Repo> {
  starting ??= createRepo()
  return starting
}

async function createRepo(): Promise<Repo> {
  await initializeWasm(wasmUrl)
  const scheme = location.protocol === "https:" ? "wss:" : "ws:"
  const network = new WebSocketClientAdapter(`${scheme}//${location.host}/sync`, 2000)
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
  })
  repo.networkSubsystem.on("peer-disconnected", ({ peerId }) => {
    if (peerId === serverPeer) {
      serverPeer = null
      connected.value = false
    }
  })
  return repo
}

function saveAck(url: AutomergeUrl, hexHeads: string[]): void {
  ack[url] = hexHeads
  localStorage.setItem(ACK_KEY, JSON.stringify(ack))
}

function recount(url: AutomergeUrl, handle: DocHandle<TicketDoc>): void {
  const doc = handle.doc()
  if (!doc) return
  const pending = unacknowledgedChanges(doc, ack[url] ?? [])
  if (pendingByDoc.value[url] !== pending) pendingByDoc.value = { ...pendingByDoc.value, [url]: pending }
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

/** Deletes every ticket document of this phone (after a user change, never with pending work). */
export async function wipeDocuments(): Promise<void> {
  localStorage.removeItem(ACK_KEY)
  for (const key of Object.keys(ack)) delete ack[key]
  handles.clear()
  pendingByDoc.value = {}
  await new Promise<void>(resolve => {
    const request = indexedDB.deleteDatabase("campo")
    request.onsuccess = request.onerror = request.onblocked = () => resolve()
  })
}
