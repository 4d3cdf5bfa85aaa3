// The dispatch board's logic, without I/O: the snapshot of GET /api/board, the events of
// /api/board/stream applied to it, the filters, the columns and the SLA countdown of each card.

import { type Calendar, businessMs } from "./calendar"
import { t as text } from "./es"
import type { Channel, Mode, Priority, State } from "./schema"
import { formatDuration } from "./time"

/** A ticket as the board shows it (campo-server `board::BoardTicket`). */
export interface BoardTicket {
  id: string
  number: string
  state: State
  priority: Priority | null
  mode: Mode | null
  channel: Channel
  category: string
  summary: string
  dependencia: string | null
  requester_name: string
  assignee_id: string | null
  assignee_name: string | null
  created_at: number
  responded_at: number | null
  response_due: number | null
  resolution_due: number | null
  /** When the coordinators are warned of each deadline; null once that clock stopped (older
   * servers: absent). */
  response_warn_at?: number | null
  resolution_warn_at?: number | null
  next_visit_at: number | null
  visits: number
  absent_visits: number
  workshop_sends: number
  contractor_sends: number
  equipment_returns: number
  /** Since when its equipment is in the workshop or with the contractor. */
  custody_since: number | null
  /** Kinds of the contradictions the fold found (`segundo_cierre`, `visita_abierta`…). */
  flags: string[]
  updated_at: number
}

/** A técnico or contratista (campo-server `store::FieldWorker`). */
export interface FieldWorker {
  id: string
  username: string
  full_name: string
  role: "tecnico" | "contratista"
  open_tickets: number
  last_contact_at: number | null
}

export interface Snapshot {
  last_event_id: number
  now: number
  tickets: BoardTicket[]
  field_workers: FieldWorker[]
}

export interface BoardData {
  tickets: Record<string, BoardTicket>
  workers: FieldWorker[]
}

/** The states a ticket is on the board in (closed and cancelled ones leave it), in column order. */
export const BOARD_STATES = [
  "registrada",
  "pendiente",
  "asignada",
  "en_atencion",
  "usuario_ausente",
  "en_taller",
  "con_contratista",
  "resuelta",
] as const satisfies readonly State[]

/** A ticket of the REST API (the projection's row, flags as `flag_kinds`) as the board shows it. */
export function fromTicketRow(row: Omit<BoardTicket, "flags"> & { flag_kinds: string }): BoardTicket {
  return { ...row, flags: row.flag_kinds.split(",").filter(k => k !== "") }
}

export function fromSnapshot(s: Snapshot): BoardData {
  return { tickets: Object.fromEntries(s.tickets.map(t => [t.id, t])), workers: s.field_workers }
}

/**
 * One event of the stream applied to the board: `ticket` puts the ticket's new row in place (or
 * takes it off when it was closed or cancelled), `contact` moves a worker's last contact. A row
 * older than the one shown (an event replayed after a fresher snapshot) changes nothing.
 */
export function applyEvent(board: BoardData, kind: string, data: unknown): BoardData {
  if (kind === "ticket") {
    const row = data as BoardTicket
    const shown = board.tickets[row.id]
    if (shown && shown.updated_at > row.updated_at) return board
    const tickets = { ...board.tickets }
    if ((BOARD_STATES as readonly string[]).includes(row.state)) tickets[row.id] = row
    else delete tickets[row.id]
    return { ...board, tickets }
  }
  if (kind === "contact") {
    const { user_id, at } = data as { user_id: string; at: number }
    if (!board.workers.some(w => w.id === user_id)) return board
    return {
      ...board,
      workers: board.workers.map(w =>
        w.id === user_id && (w.last_contact_at ?? 0) < at ? { ...w, last_contact_at: at } : w,
      ),
    }
  }
  return board
}

/** Open tickets assigned to each worker, counted from the board's tickets. */
export function workload(board: BoardData): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const t of Object.values(board.tickets)) {
    if (t.assignee_id) counts[t.assignee_id] = (counts[t.assignee_id] ?? 0) + 1
  }
  return counts
}

/** `NONE` in a filter means "without": no priority yet, nobody assigned. */
export const NONE = "-"

export interface Filters {
  dependencia: string
  assignee: string
  priority: string
  channel: string
}

export const NO_FILTERS: Filters = { dependencia: "", assignee: "", priority: "", channel: "" }

function matches(value: string | null, wanted: string): boolean {
  if (wanted === "") return true
  if (wanted === NONE) return value === null || value === ""
  return value === wanted
}

export function filterTickets(tickets: Iterable<BoardTicket>, f: Filters): BoardTicket[] {
  return [...tickets].filter(
    t =>
      matches(t.dependencia, f.dependencia) &&
      matches(t.assignee_id, f.assignee) &&
      matches(t.priority, f.priority) &&
      matches(t.channel, f.channel),
  )
}

const PRIORITY_RANK: Record<string, number> = { alta: 0, media: 1, baja: 2 }

/** The tickets of each column: the most urgent first (priority, then the nearest deadline, then age). */
export function columns(tickets: readonly BoardTicket[]): Record<(typeof BOARD_STATES)[number], BoardTicket[]> {
  const cols = Object.fromEntries(BOARD_STATES.map(s => [s, [] as BoardTicket[]])) as Record<
    (typeof BOARD_STATES)[number],
    BoardTicket[]
  >
  for (const t of tickets) cols[t.state as (typeof BOARD_STATES)[number]]?.push(t)
  const due = (t: BoardTicket) => (t.responded_at === null ? t.response_due : t.resolution_due) ?? Infinity
  for (const list of Object.values(cols))
    list.sort(
      (a, b) =>
        (PRIORITY_RANK[a.priority ?? ""] ?? 3) - (PRIORITY_RANK[b.priority ?? ""] ?? 3) ||
        due(a) - due(b) ||
        a.created_at - b.created_at,
    )
  return cols
}

/** Targets per priority in business minutes (campo-shared `Targets`). */
export type Targets = Record<Priority, { response_minutes: number; resolution_minutes: number }>

export const DEFAULT_TARGETS: Targets = {
  alta: { response_minutes: 60, resolution_minutes: 480 },
  media: { response_minutes: 240, resolution_minutes: 1440 },
  baja: { response_minutes: 480, resolution_minutes: 2400 },
}

/** Share of a target left at which a card warns that its deadline is near, when the server
 * does not say when (older servers). */
export const WARN_SHARE = 0.25

export interface Countdown {
  /** Which clock: the time to take charge (response) or the time to resolve. */
  kind: "response" | "resolution"
  /** Business milliseconds left; negative once overdue. */
  remainingMs: number
  /** `paused`: the clock is stopped while the case waits for an absent user. */
  level: "ok" | "warn" | "overdue" | "paused"
}

/**
 * The case's running clocks, in business time: the time to take charge until someone takes the
 * case (from reception, before triage too), and the time to resolve once the priority is set,
 * until it is resolved. While the case waits for an absent user and the policy stops the clock,
 * the resolution clock is `paused`. A clock warns from the moment the server computed with the
 * policy's share (`*_warn_at`).
 */
export function countdowns(
  t: BoardTicket,
  now: number,
  cal: Calendar,
  targets: Targets,
  pauseWhileAbsent: boolean,
): Countdown[] {
  if (t.state === "resuelta" || t.state === "cerrada" || t.state === "anulada") return []
  const out: Countdown[] = []
  const clock = (kind: Countdown["kind"], due: number, warnAt: number | null | undefined) => {
    const remainingMs = businessMs(now, due, cal)
    if (kind === "resolution" && t.state === "usuario_ausente" && pauseWhileAbsent)
      return out.push({ kind, remainingMs, level: "paused" })
    const target = t.priority ? targets[t.priority][kind === "response" ? "response_minutes" : "resolution_minutes"] : 60
    const warn = warnAt != null ? now >= warnAt : remainingMs <= target * 60_000 * WARN_SHARE
    out.push({ kind, remainingMs, level: remainingMs <= 0 ? "overdue" : warn ? "warn" : "ok" })
  }
  const responseRuns = t.response_warn_at !== undefined ? t.response_warn_at !== null : t.responded_at === null
  if (responseRuns && t.response_due !== null) clock("response", t.response_due, t.response_warn_at)
  if (t.resolution_due !== null) clock("resolution", t.resolution_due, t.resolution_warn_at)
  return out
}

/** The most pressing of a card's clocks (for its colour and the column's order). */
export function worst(clocks: readonly Countdown[]): Countdown | null {
  const rank = { overdue: 0, warn: 1, ok: 2, paused: 3 }
  return [...clocks].sort((a, b) => rank[a.level] - rank[b.level] || a.remainingMs - b.remainingMs)[0] ?? null
}

export type CardFlag = "contradiction" | "formerAssignee" | "absent" | "workshop" | "contractor"

/**
 * The workflow's signals on a card: contradictions (work recorded by a técnico no longer
 * assigned named apart), absent visits, equipment away.
 */
export function cardFlags(t: BoardTicket): CardFlag[] {
  const out: CardFlag[] = []
  if (t.flags.includes("tecnico_no_asignado")) out.push("formerAssignee")
  if (t.flags.some(k => k !== "tecnico_no_asignado")) out.push("contradiction")
  if (t.absent_visits > 0) out.push("absent")
  if (t.state === "en_taller") out.push("workshop")
  if (t.state === "con_contratista") out.push("contractor")
  return out
}

/** How long ago a worker's phone reached the server; `stale` past `OFFLINE_AFTER_MS`. */
export const OFFLINE_AFTER_MS = 30 * 60_000

export function contactAge(w: FieldWorker, now: number): { ms: number | null; stale: boolean } {
  if (w.last_contact_at === null) return { ms: null, stale: true }
  const ms = Math.max(0, now - w.last_contact_at)
  return { ms, stale: ms > OFFLINE_AFTER_MS }
}

/** What a card says about its countdown: "Solución: vence en 2 h hábiles", "Respuesta: vencida
 * hace 1 d 3 h hábiles", or only "vencida" in the first business minute past the deadline (also
 * all night after a deadline at the close of the day, when no business time passes). */
export function dueText(c: Countdown): string {
  if (c.level === "paused") return text.board.paused
  const span = formatDuration(c.remainingMs)
  const response = c.kind === "response"
  if (c.level !== "overdue") return response ? text.board.responseDue(span) : text.board.resolutionDue(span)
  if (-c.remainingMs < 60_000) return response ? text.board.responseOverdueNow : text.board.resolutionOverdueNow
  return response ? text.board.responseOverdue(span) : text.board.resolutionOverdue(span)
}
