// The ticket document, schema version 1, exactly as campo-shared defines it
// (shared/src/schema.rs, shared/src/event_kind.rs, shared/src/wire.rs), the workflow's
// permission and transition tables and the fold of events into a state. Times are ms since the
// Unix epoch, UTC.
//
// The tables are campo-shared's own: `domain.json` is generated from shared/src/domain.rs (a Rust
// test keeps it equal), and the enumerations below are checked against it by test/domain.test.ts,
// as the fold is against the shared vectors of test/fold-vectors.json.

import domain from "./domain.json"

export const SCHEMA_VERSION = domain.schema_version

export const ROLES = ["funcionario", "tecnico", "contratista", "coordinador"] as const
export type Role = (typeof ROLES)[number]

export const CHANNELS = ["intranet", "glpi", "email", "phone", "field"] as const
export type Channel = (typeof CHANNELS)[number]

export const MODES = ["phone", "on_site", "workshop"] as const
export type Mode = (typeof MODES)[number]

export const OUTCOMES = ["resolved", "workshop", "contractor", "pending"] as const
export type Outcome = (typeof OUTCOMES)[number]

export const PRIORITIES = ["alta", "media", "baja"] as const
export type Priority = (typeof PRIORITIES)[number]

export type SurveyChannel = "technician_phone" | "own_app"

/** In declaration order: the fold's tie-breaker compares kinds by this order. */
export const EVENT_KINDS = [
  "registrada",
  "aceptada",
  "priorizada",
  "asignada",
  "visita_iniciada",
  "usuario_ausente",
  "visita_finalizada",
  "enviada_taller",
  "enviada_contratista",
  "equipo_devuelto",
  "resuelta",
  "resuelta_telefono",
  "cerrada",
  "anulada",
  "reabierta",
  "duplicada",
  "encuesta_respondida",
] as const
export type EventKind = (typeof EVENT_KINDS)[number]

export const STATES = [
  "registrada",
  "pendiente",
  "asignada",
  "en_atencion",
  "usuario_ausente",
  "en_taller",
  "con_contratista",
  "resuelta",
  "cerrada",
  "anulada",
] as const
export type State = (typeof STATES)[number]

export interface Person {
  id: string
  name: string
}

export interface Request {
  requester: Person
  dependencia: string
  location: string
  phone_extension?: string | null
  channel: Channel
  external_ref?: string | null
  category: string
  description: string
  equipment: string[]
  photos: string[]
}

export interface EventData {
  priority?: Priority | null
  mode?: Mode | null
  assignee?: Person | null
  resolution_due?: number | null
  visit?: string | null
  next_visit_at?: number | null
  duplicate_of?: string | null
  reason?: string | null
  /** The custody record of a return (`equipo_devuelto`). */
  custody?: Custody | null
  /** Why a coordinator resolves the case while its equipment is still out (`resuelta_telefono`). */
  equipment_out_reason?: string | null
}

export interface TicketEvent {
  id: string
  at: number
  author: string
  author_role: Role
  kind: EventKind
  data: EventData
}

export interface Position {
  lat: number
  lon: number
  accuracy_m: number
}

export interface Photo {
  sha256: string
  captured_at: number
  position?: Position | null
}

export interface Custody {
  equipment: string[]
  from: string
  to: string
  place: string
  at: number
  condition: string
}

export interface Visit {
  id: string
  technician: string
  started_at: number
  ended_at?: number | null
  user_present: boolean
  evidence: Photo[]
  note: string
  notice_left: boolean
  next_visit_at?: number | null
  diagnosis: string
  actions: string
  tests: string
  outcome?: Outcome | null
  custody?: Custody | null
  /** Codes of the inventory items worked on, scanned or picked during the visit. */
  equipment?: string[]
  signature?: Signature | null
  /** The official was not at the desk to sign (never a blank signature). */
  signer_absent?: boolean
}

/** The official's signature: a PNG blob of the strokes drawn on the phone at the desk. */
export interface Signature {
  sha256: string
  signer: string
  /** Time of the last stroke. */
  signed_at: number
  strokes: number
}

export interface ClosingReport {
  author: string
  at: number
  summary: string
  results: string
}

export interface SurveyAnswers {
  timeliness: number
  treatment: number
  solution: number
  comment: string
}

export interface Survey {
  answered_at: number
  by: string
  channel: SurveyChannel
  answers: SurveyAnswers
}

export interface Comment {
  id: string
  author: string
  at: number
  text: string
}

export interface TicketDoc {
  schema: number
  request: Request
  events: TicketEvent[]
  visits: Visit[]
  report?: ClosingReport | null
  survey?: Survey | null
  comments: Comment[]
}

/** A new random id for an event, visit or comment (a v4 UUID, as campo-shared's ids). */
export function newId(): string {
  return crypto.randomUUID()
}

/** Which roles may append each event kind (campo-shared `PERMISSIONS`). */
export const PERMISSIONS = domain.permissions as Record<EventKind, readonly Role[]>

export function may(role: Role, kind: EventKind): boolean {
  return PERMISSIONS[kind].includes(role)
}

type Next = State | "stay"
interface Transition {
  kind: EventKind
  from: readonly State[]
  to: Next
}

/** campo-shared `TRANSITIONS`, row by row. */
export const TRANSITIONS = domain.transitions as readonly Transition[]

export function transition(state: State, kind: EventKind): State | null {
  const row = TRANSITIONS.find(t => t.kind === kind && t.from.includes(state))
  if (!row) return null
  return row.to === "stay" ? state : row.to
}

/**
 * A coordinator's resolution of a case whose equipment is still out, saying why
 * (campo-shared `resolves_with_equipment_out`).
 */
export function resolvesWithEquipmentOut(state: State, e: TicketEvent): boolean {
  return (
    (state === "en_taller" || state === "con_contratista") &&
    e.kind === "resuelta_telefono" &&
    e.author_role === "coordinador" &&
    (e.data?.equipment_out_reason ?? "").trim() !== ""
  )
}

/** Whether `role` may append `kind` to a ticket in `state` (campo-shared `check`). */
export function allowed(role: Role, state: State, kind: EventKind): boolean {
  return may(role, kind) && transition(state, kind) !== null
}

function cmp(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** The events in fold order: device time, author, event id, kind (campo-shared `ordered`). */
export function ordered(events: readonly TicketEvent[]): TicketEvent[] {
  return [...events].sort(
    (a, b) =>
      cmp(a.at, b.at) ||
      cmp(a.author, b.author) ||
      cmp(a.id, b.id) ||
      cmp(EVENT_KINDS.indexOf(a.kind), EVENT_KINDS.indexOf(b.kind)),
  )
}

export interface Folded {
  state: State
  /** Events kept but without effect (the coordinator reviews them). */
  flagged: string[]
  /** Of those, the ones recorded by a técnico or contratista after the case went to someone else. */
  noLongerAssigned: string[]
  priority: Priority | null
  mode: Mode | null
  assignee: Person | null
  openVisit: string | null
  nextVisitAt: number | null
  lastEventAt: number | null
}

/** The state of a ticket from its events (the part of campo-shared `fold` the phone shows). */
export function fold(events: readonly TicketEvent[]): Folded {
  const f: Folded = {
    state: "registrada",
    flagged: [],
    noLongerAssigned: [],
    priority: null,
    mode: null,
    assignee: null,
    openVisit: null,
    nextVisitAt: null,
    lastEventAt: null,
  }
  let registered = false
  // Who was responsible before the current assignee (campo-shared `Folded::replaced`).
  let replaced: string[] = []
  for (const e of ordered(events)) {
    const state = f.state
    f.lastEventAt = Math.max(f.lastEventAt ?? e.at, e.at)
    const firstRegistration = e.kind === "registrada" && !registered
    const next = transition(state, e.kind) ?? (resolvesWithEquipmentOut(state, e) ? "resuelta" : null)
    if (next === null || !may(e.author_role, e.kind) || (e.kind === "registrada" && !firstRegistration)) {
      f.flagged.push(e.id)
      continue
    }
    const fieldWorker = e.author_role === "tecnico" || e.author_role === "contratista"
    if (fieldWorker && f.assignee !== null && f.assignee.id !== e.author && replaced.includes(e.author)) {
      f.flagged.push(e.id)
      f.noLongerAssigned.push(e.id)
      continue
    }
    const d = e.data ?? {}
    switch (e.kind) {
      case "registrada":
        registered = true
        break
      case "priorizada":
        f.priority = d.priority ?? f.priority
        f.mode = d.mode ?? f.mode
        break
      case "asignada":
        if (d.assignee) {
          const next = String(d.assignee.id)
          const previous = f.assignee?.id
          if (previous !== undefined && previous !== next) replaced = [...replaced.filter(id => id !== previous), previous]
          f.assignee = { id: next, name: String(d.assignee.name ?? "") }
        }
        f.mode = d.mode ?? f.mode
        break
      case "visita_iniciada":
        f.openVisit = d.visit != null ? String(d.visit) : e.id
        if (!f.assignee) f.assignee = { id: e.author, name: "" }
        break
      case "usuario_ausente":
        f.openVisit = null
        f.nextVisitAt = d.next_visit_at ?? null
        break
      case "visita_finalizada":
      case "enviada_taller":
      case "enviada_contratista":
      case "resuelta":
      case "resuelta_telefono":
        f.openVisit = null
        break
      default:
        break
    }
    if (state === "usuario_ausente" && next !== "usuario_ausente") f.nextVisitAt = null
    f.state = next
  }
  return f
}

/** Whether `s` is a SHA-256 in lower-case hex. */
export function isSha256Hex(s: string): boolean {
  return /^[0-9a-f]{64}$/.test(s)
}

/** Equipment codes as campo-shared `EquipmentCode` accepts them, normalised to upper case. */
export function parseEquipmentCode(text: string): string | null {
  const code = text.trim().toUpperCase()
  return /^[A-Z]{1,8}-[0-9]{1,12}$/.test(code) ? code : null
}

/** The code on a sticker: `https://<host>/e/<code>` or the bare code. */
export function codeFromQr(text: string): string | null {
  const match = /\/e\/([^/?#]+)\/?(?:[?#].*)?$/.exec(text.trim())
  const raw = match ? decodeURIComponent(match[1] ?? "") : text
  return parseEquipmentCode(raw)
}
