// The outbox's rules, pure (unit-tested): what the server refused and why, which pieces of work
// are still on the phone, on their way, saved on the server or refused, in the order the outbox
// lists them.

import { t } from "./es"
import type { ServerError } from "./syncSocket"

/** Why the server refused a document's changes, and when the phone heard it. */
export interface Refusal {
  reason: string
  at: number
}

/** Refused documents by URL (`automerge:…`). */
export type Refusals = Record<string, Refusal>

/** An error of the server about the connection rather than one document. */
export interface SyncNote {
  message: string
  at: number
}

/** Connection notes kept (the newest first). */
export const MAX_NOTES = 5

export interface ErrorState {
  refused: Refusals
  notes: SyncNote[]
}

/**
 * Records an `error` message: with a document, that document is refused (it stays so until the
 * server acknowledges every local change, or the person discards them); without one, a note about
 * the connection. Returns the same objects when nothing changes.
 */
export function noteServerError(state: ErrorState, error: ServerError, now: number): ErrorState {
  const message = error.message.trim()
  if (error.documentId !== null) {
    const url = `automerge:${error.documentId}`
    const reason = message || t.outbox.noReason
    if (state.refused[url]?.reason === reason) return state
    return { refused: { ...state.refused, [url]: { reason, at: now } }, notes: state.notes }
  }
  if (message === "") return state
  const notes = [{ message, at: now }, ...state.notes.filter(n => n.message !== message)].slice(0, MAX_NOTES)
  return { refused: state.refused, notes }
}

/** The refusals without `url` (the server took its changes after all, or they were discarded). */
export function settleRefusal(refused: Refusals, url: string): Refusals {
  if (!(url in refused)) return refused
  const { [url]: _settled, ...rest } = refused
  return rest
}

/**
 * What the server said of work it kept on a case that is no longer this user's (an ephemeral
 * message of kind `trabajo_de_no_asignado`, sent by the server's `sync/docs/former.rs`).
 */
export interface Notice {
  message: string
  at: number
  /** The case's number, which the phone may no longer have in its agenda. */
  number?: string | null
}

/** Notices by document URL (`automerge:…`). */
export type Notices = Record<string, Notice>

/** The kind of the server's ephemeral message that says work was kept for a case now someone else's. */
export const KEPT_KIND = "trabajo_de_no_asignado"

/** The server's notice, when `message` (a decoded ephemeral payload) is one. */
export function keptNotice(message: unknown): { message: string; number: string | null } | null {
  if (message === null || typeof message !== "object") return null
  const m = message as Record<string, unknown>
  if (m.type !== KEPT_KIND || typeof m.message !== "string") return null
  const text = m.message.trim()
  if (text === "") return null
  return { message: text, number: typeof m.number === "string" && m.number !== "" ? m.number : null }
}

/** Where a piece of work is: «En el teléfono», «Enviando», «Guardado en el servidor», «Rechazado». */
export type ItemState = "phone" | "sending" | "saved" | "refused"

export function stateText(state: ItemState, reason: string | null): string {
  switch (state) {
    case "phone":
      return t.outbox.onPhone
    case "sending":
      return t.outbox.sending
    case "saved":
      return t.outbox.saved
    case "refused":
      return t.outbox.refused(reason ?? t.outbox.noReason)
  }
}

const ORDER: Record<ItemState, number> = { refused: 0, phone: 1, sending: 1, saved: 2 }

export interface TicketItem {
  url: string
  /** The ticket's number, or «Caso nuevo» when the server has not numbered it yet. */
  title: string
  /** The first words of the request, to recognise it. */
  summary: string
  /** Local changes the server has not acknowledged. */
  changes: number
  state: ItemState
  reason: string | null
  /** Whether the server has the ticket (discarding then takes the server's copy again). */
  known: boolean
  /** What the server said of this work, when it kept it on a case now someone else's. */
  note: string | null
}

export interface TicketInputs {
  /** Unacknowledged changes per document URL (sync.ts `pendingByDoc`). */
  pendingByDoc: Record<string, number>
  /** Whether the server ever acknowledged the document. */
  known: (url: string) => boolean
  refused: Refusals
  notices: Notices
  /** When each document's changes were all acknowledged, this session. */
  savedAt: Record<string, number>
  /** Ticket numbers (from the agenda), by URL. */
  numbers: Record<string, string | null | undefined>
  summaries: Record<string, string | undefined>
  connected: boolean
}

/** The ticket's number; «Caso» for one the server has but this phone has no number of. */
export function ticketTitle(url: string, numbers: TicketInputs["numbers"], known = false): string {
  return numbers[url] ?? (known ? t.outbox.ticket : t.outbox.newTicket)
}

/** Every ticket with work not on the server, refused, or saved this session. */
export function ticketItems(i: TicketInputs): TicketItem[] {
  const urls = new Set([
    ...Object.keys(i.pendingByDoc),
    ...Object.keys(i.refused),
    ...Object.keys(i.savedAt),
    ...Object.keys(i.notices),
  ])
  const items: TicketItem[] = []
  for (const url of urls) {
    const changes = i.pendingByDoc[url] ?? 0
    const known = i.known(url)
    const refusal = i.refused[url]
    let state: ItemState
    if (refusal) state = "refused"
    else if (changes > 0 || !known) state = i.connected ? "sending" : "phone"
    else if (i.savedAt[url] !== undefined || i.notices[url] !== undefined) state = "saved"
    else continue
    items.push({
      url,
      title: ticketTitle(url, { ...i.numbers, [url]: i.numbers[url] ?? i.notices[url]?.number }, known),
      summary: i.summaries[url] ?? "",
      changes,
      state,
      reason: refusal?.reason ?? null,
      known,
      note: i.notices[url]?.message ?? null,
    })
  }
  const when = (item: TicketItem) => i.refused[item.url]?.at ?? i.savedAt[item.url] ?? i.notices[item.url]?.at ?? 0
  return items.sort((a, b) => ORDER[a.state] - ORDER[b.state] || when(b) - when(a) || a.url.localeCompare(b.url))
}

/** A photo of the queue as the outbox needs it (no bytes). */
export interface QueuedPhotoInfo {
  sha256: string
  ticket: string
  addedAt: number
  uploaded: boolean
  uploadedAt?: number | null | undefined
  attempts: number
  refusal?: string | null | undefined
}

export interface PhotoItem {
  sha256: string
  ticket: string
  /** «Foto de SAT-2026-000123», «Foto de Caso nuevo» … */
  title: string
  state: ItemState
  reason: string | null
  /** Failed attempts (the photo retries by itself unless refused). */
  attempts: number
}

/** Uploaded photos stay listed this long, as «Guardado en el servidor». */
export const SAVED_PHOTO_MS = 24 * 3600_000

/** A ticket key that is not a document yet: the official's request form before it is saved. */
function isDocument(ticket: string): boolean {
  return ticket.startsWith("automerge:")
}

export function photoItems(
  photos: readonly QueuedPhotoInfo[],
  sending: string | null,
  numbers: TicketInputs["numbers"],
  now: number,
): PhotoItem[] {
  const items: PhotoItem[] = []
  for (const p of photos) {
    let state: ItemState
    if (p.uploaded) {
      if (p.uploadedAt == null || now - p.uploadedAt > SAVED_PHOTO_MS) continue
      state = "saved"
    } else if (p.refusal) state = "refused"
    else state = p.sha256 === sending ? "sending" : "phone"
    items.push({
      sha256: p.sha256,
      ticket: p.ticket,
      title: isDocument(p.ticket) ? t.outbox.photoOf(ticketTitle(p.ticket, numbers)) : t.outbox.photoWithoutTicket,
      state,
      reason: state === "refused" ? (p.refusal ?? null) : null,
      attempts: p.attempts,
    })
  }
  const order = new Map(photos.map(p => [p.sha256, p.uploadedAt ?? p.addedAt]))
  return items.sort(
    (a, b) => ORDER[a.state] - ORDER[b.state] || (order.get(b.sha256) ?? 0) - (order.get(a.sha256) ?? 0),
  )
}
