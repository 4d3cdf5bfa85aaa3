// The user's notification inbox («Avisos»): the server's list (GET /api/notifications), cached
// per user for offline use, refreshed every half minute while the app is visible and whenever
// the server is reachable again. Read state lives on the server (POST /api/notifications/read),
// so it follows the user across devices; a mark made offline waits in the cache and is sent on
// the next contact. The unread count also goes on the installed app's icon where the browser
// allows it (navigator.setAppBadge).

import { computed, effect, signal } from "@preact/signals"
import { getJson, postJson } from "./api"
import { grant } from "./session"

/** One notification as the server lists it. Unknown kinds are shown by their subject. */
export interface Notice {
  id: string
  ticket_id: string
  kind: string
  subject: string
  body: string
  created_at: number
  sent_at: number | null
  read_at: number | null
}

interface Cached {
  notices: Notice[]
  /** Ids marked read here and not yet confirmed by the server; `all` for «mark all». */
  pendingReads: string[]
  pendingAll: boolean
}

const REFRESH_MS = 30_000

function key(): string | null {
  const user = grant.value?.user
  return user ? `campo.inbox.${user.id}` : null
}

function readCache(): Cached {
  const k = key()
  const empty: Cached = { notices: [], pendingReads: [], pendingAll: false }
  if (!k) return empty
  try {
    const raw = localStorage.getItem(k)
    return raw ? { ...empty, ...(JSON.parse(raw) as Cached) } : empty
  } catch {
    return empty
  }
}

function writeCache(cached: Cached): void {
  const k = key()
  if (k) localStorage.setItem(k, JSON.stringify(cached))
}

const state = signal<Cached>(readCache())

/** The user's notifications, newest first (the server's last answer, or the cache). */
export const notices = computed(() => state.value.notices)
/** How many are unread. */
export const unreadCount = computed(() => state.value.notices.filter(n => n.read_at === null).length)
/** Set when the last refresh could not reach the server (the list is the cached one). */
export const inboxOffline = signal(false)

function update(next: Cached): void {
  state.value = next
  writeCache(next)
}

/** The notices with the local marks applied. */
function withLocalReads(list: Notice[], cached: Cached, now: number): Notice[] {
  if (!cached.pendingAll && cached.pendingReads.length === 0) return list
  const ids = new Set(cached.pendingReads)
  return list.map(n => (n.read_at === null && (cached.pendingAll || ids.has(n.id)) ? { ...n, read_at: now } : n))
}

/** Sends the marks made offline; true when there were none left. */
async function flushReads(): Promise<void> {
  const cached = state.value
  if (cached.pendingAll) await postJson("/api/notifications/read", { all: true })
  else if (cached.pendingReads.length > 0) await postJson("/api/notifications/read", { ids: cached.pendingReads })
  else return
  update({ ...state.value, pendingReads: [], pendingAll: false })
}

let refreshing: Promise<void> | null = null

/** Fetches the list from the server (after sending any pending marks). */
export function refreshInbox(): Promise<void> {
  if (!grant.value) return Promise.resolve()
  refreshing ??= (async () => {
    try {
      try {
        await flushReads()
      } catch (err) {
        // A mark the server refuses (an entry deleted meanwhile) must not block the list.
        if (!(err instanceof TypeError)) update({ ...state.value, pendingReads: [], pendingAll: false })
        else throw err
      }
      const list = await getJson<Notice[]>("/api/notifications")
      update({ ...state.value, notices: withLocalReads(list, state.value, Date.now()) })
      inboxOffline.value = false
    } catch {
      inboxOffline.value = true
    } finally {
      refreshing = null
    }
  })()
  return refreshing
}

/** Marks notices read here at once, and on the server now or at the next contact. */
export async function markRead(ids: string[] | "all"): Promise<void> {
  const now = Date.now()
  const cached = state.value
  const pendingAll = cached.pendingAll || ids === "all"
  const pendingReads = ids === "all" ? [] : [...new Set([...cached.pendingReads, ...ids])]
  const next = { ...cached, pendingAll, pendingReads }
  update({ ...next, notices: withLocalReads(cached.notices, next, now) })
  try {
    await flushReads()
  } catch {
    // Offline: the mark waits in the cache.
  }
}

let started = false

/** Starts refreshing the inbox and showing the unread count on the app's icon. */
export function startInbox(): void {
  if (started) return
  started = true
  // Another user on this device: its own cache.
  effect(() => {
    void grant.value?.user.id
    state.value = readCache()
  })
  effect(() => {
    const count = unreadCount.value
    const nav = navigator as Navigator & {
      setAppBadge?: (n?: number) => Promise<void>
      clearAppBadge?: () => Promise<void>
    }
    if (count > 0) void nav.setAppBadge?.(count).catch(() => {})
    else void nav.clearAppBadge?.().catch(() => {})
  })
  setInterval(() => {
    if (document.visibilityState === "visible") void refreshInbox()
  }, REFRESH_MS)
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") void refreshInbox()
  })
  void refreshInbox()
}

/** Where an entry leads: its case, or the survey of the case for the survey's notices. */
export function noticePath(n: Notice): string {
  const survey = n.kind === "encuesta_pendiente" || n.kind === "recordatorio_encuesta"
  return `/casos/${encodeURIComponent(n.ticket_id)}${survey ? "/encuesta" : ""}`
}
