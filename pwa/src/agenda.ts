// The technician's agenda: the tickets the server says this user may sync (GET /api/agenda, kept
// live by the Server-Sent Events of /api/agenda/stream), cached in localStorage so the app opens
// with it offline, plus the tickets created on this phone that the server has not listed yet.
// Every listed ticket is fetched into the phone's storage, so it can be worked on offline.

import { computed, signal } from "@preact/signals"
import type { AutomergeUrl } from "@automerge/automerge-repo/slim"
import { getJson } from "./api"
import type { Mode, Priority, State } from "./schema"
import { findTicket } from "./sync"
import { rememberTickets } from "./ticketRefs"

export interface AgendaTicket {
  id: string
  url: string
  number: string | null
  state: State
  priority: Priority | null
  mode: Mode | null
  summary: string
  category: string
  dependencia: string | null
  dependencia_name: string | null
  location: string
  requester: { id: string; name: string } | null
  assignee: { id: string; name: string } | null
  response_due: number | null
  resolution_due: number | null
  /** When the coordinators are warned of each deadline; null once that clock stopped. */
  response_warn_at?: number | null
  resolution_warn_at?: number | null
  flags: unknown[]
  updated_at: number
}

export interface Agenda {
  tickets: AgendaTicket[]
}

interface Cached {
  fetchedAt: number
  tickets: AgendaTicket[]
}

interface LocalTicket {
  url: string
  createdAt: number
  summary: string
  category: string
  dependencia: string
  location: string
  requester: { id: string; name: string }
}

const AGENDA_KEY = "campo.agenda"
const SEEN_KEY = "campo.seen"
const LOCAL_KEY = "campo.localTickets"

function read<T>(key: string, fallback: T): T {
  try {
    return (JSON.parse(localStorage.getItem(key) ?? "null") as T | null) ?? fallback
  } catch {
    return fallback
  }
}

export const cachedAgenda = signal<Cached | null>(read<Cached | null>(AGENDA_KEY, null))
const localTickets = signal<LocalTicket[]>(read<LocalTicket[]>(LOCAL_KEY, []))
const seen = signal<Record<string, number>>(read<Record<string, number>>(SEEN_KEY, {}))

/** The agenda shown: the server's list and the tickets created here it does not list yet. */
export const agenda = computed<AgendaTicket[]>(() => {
  const server = cachedAgenda.value?.tickets ?? []
  const listed = new Set(server.map(t => t.url))
  const local: AgendaTicket[] = localTickets.value
    .filter(t => !listed.has(t.url))
    .map(t => ({
      id: t.url.replace(/^automerge:/, ""),
      url: t.url,
      number: null,
      state: "registrada",
      priority: null,
      mode: null,
      summary: t.summary,
      category: t.category,
      dependencia: t.dependencia,
      dependencia_name: null,
      location: t.location,
      requester: t.requester,
      assignee: null,
      response_due: null,
      resolution_due: null,
      flags: [],
      updated_at: t.createdAt,
    }))
  return [...local, ...server]
})

/** Whether the ticket changed since the user last opened it. */
export function isNew(ticket: AgendaTicket): boolean {
  const last = seen.value[ticket.url]
  return last === undefined || last < ticket.updated_at
}

export function markSeen(url: string): void {
  const t = agenda.value.find(x => x.url === url)
  if (!t || !isNew(t)) return
  seen.value = { ...seen.value, [url]: t.updated_at }
  localStorage.setItem(SEEN_KEY, JSON.stringify(seen.value))
}

export function addLocalTicket(t: LocalTicket): void {
  localTickets.value = [...localTickets.value, t]
  localStorage.setItem(LOCAL_KEY, JSON.stringify(localTickets.value))
}

/** The tickets created here that the server's agenda does not list yet (they have no number). */
export function unlistedLocalTickets(): string[] {
  return localTickets.value.map(t => t.url)
}

/** Forgets a ticket created here (its creation was discarded: the server never had it). */
export function removeLocalTicket(url: string): void {
  if (!localTickets.value.some(t => t.url === url)) return
  localTickets.value = localTickets.value.filter(t => t.url !== url)
  localStorage.setItem(LOCAL_KEY, JSON.stringify(localTickets.value))
}

function store(tickets: AgendaTicket[]): void {
  const first = cachedAgenda.value === null
  const cached = { fetchedAt: Date.now(), tickets }
  cachedAgenda.value = cached
  localStorage.setItem(AGENDA_KEY, JSON.stringify(cached))
  // Kept after the case leaves the agenda (closed, reassigned): its number and people's names.
  rememberTickets(tickets)
  if (first) {
    // The first agenda of this phone is not "news": mark all of it as seen.
    seen.value = Object.fromEntries(tickets.map(t => [t.url, t.updated_at]))
    localStorage.setItem(SEEN_KEY, JSON.stringify(seen.value))
  }
  // Once the server lists a ticket created here, it is the server's agenda that shows it.
  const listed = new Set(tickets.map(t => t.url))
  if (localTickets.value.some(t => listed.has(t.url))) {
    localTickets.value = localTickets.value.filter(t => !listed.has(t.url))
    localStorage.setItem(LOCAL_KEY, JSON.stringify(localTickets.value))
  }
  void prefetch()
}

/** Loads every ticket of the agenda into the phone's storage (and tracks its sync state). */
export async function prefetch(): Promise<void> {
  await Promise.allSettled(agenda.value.map(t => findTicket(t.url as AutomergeUrl)))
}

/**
 * The agendas that reach the phone are numbered in the order they were asked for (a fetch, when
 * it is sent) or arrived (a stream's event), and one is stored only if none numbered later was.
 * A fetch answered late must not undo a newer event: the server's answer to a fetch sent when the
 * connection came back lacks the request this phone sends just after, and if it arrived after
 * the event that listed the request (which took it out of `localTickets`), the request would
 * vanish from the screen until the next change. While the stream brings events, every change
 * after a dropped answer brings one of its own.
 */
let asked = 0
let stored = 0

function storeIfNewest(n: number, tickets: AgendaTicket[]): void {
  if (n < stored) return
  stored = n
  store(tickets)
}

export async function refreshAgenda(): Promise<void> {
  const n = ++asked
  try {
    const body = await getJson<Agenda>("/api/agenda")
    storeIfNewest(n, body.tickets)
  } catch {
    // Offline or not yet available: the cached agenda stays.
  }
}

let stream: EventSource | null = null
let following = false
let retry: ReturnType<typeof setTimeout> | null = null

/** How long to wait before opening the stream again once the browser gave up on it. */
const REOPEN_MS = 5000

/**
 * Follows the agenda's Server-Sent Events. The browser reconnects by itself after a dropped
 * connection, but gives up for good when an attempt gets an error answer (the server stopped
 * while the service worker or a proxy answered for it): the stream is then opened again, so a
 * request sent offline gets its number without reloading the app.
 */
export function followAgenda(): void {
  following = true
  if (stream && stream.readyState !== EventSource.CLOSED) return
  stream?.close()
  const opened = new EventSource("/api/agenda/stream")
  stream = opened
  opened.addEventListener("agenda", event => {
    try {
      storeIfNewest(++asked, (JSON.parse((event as MessageEvent<string>).data) as Agenda).tickets)
    } catch {
      // A malformed event: wait for the next one.
    }
  })
  opened.addEventListener("error", () => {
    if (opened.readyState !== EventSource.CLOSED || !following || retry) return
    retry = setTimeout(() => {
      retry = null
      if (following) followAgenda()
    }, REOPEN_MS)
  })
}

/** Opens the stream again if it is being followed and the browser gave up on it. */
export function resumeAgenda(): void {
  if (following) followAgenda()
}

export function stopFollowingAgenda(): void {
  following = false
  if (retry) clearTimeout(retry)
  retry = null
  stream?.close()
  stream = null
}

export function clearAgenda(): void {
  for (const key of [AGENDA_KEY, SEEN_KEY, LOCAL_KEY]) localStorage.removeItem(key)
  cachedAgenda.value = null
  localTickets.value = []
  seen.value = {}
}
