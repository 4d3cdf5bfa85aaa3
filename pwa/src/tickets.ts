// What the phone writes into ticket documents. Every item is appended (events, visits,
// comments are merge-keyed lists: never rewritten), authored by the logged-in user with its role,
// and the visit being worked on is edited field by field.

import type { DocHandle } from "@automerge/automerge-repo/slim"
import {
  type Custody,
  type EventData,
  type EventKind,
  type Outcome,
  type Photo,
  type Request,
  SCHEMA_VERSION,
  type Signature,
  type SurveyAnswers,
  type TicketDoc,
  type TicketEvent,
  type Visit,
  fold,
  newId,
  ordered,
} from "./schema"
import type { User } from "./session"

export function event(user: User, kind: EventKind, at: number, data: EventData = {}): TicketEvent {
  return { id: newId(), at, author: user.id, author_role: user.role, kind, data }
}

/** A new ticket document registered by `user` (walk-up request, channel `field`). */
export function newTicketDoc(user: User, request: Request, at: number): TicketDoc {
  return {
    schema: SCHEMA_VERSION,
    request,
    events: [event(user, "registrada", at)],
    visits: [],
    report: null,
    survey: null,
    comments: [],
  }
}

function emptyVisit(user: User, at: number, present: boolean): Visit {
  return {
    id: newId(),
    technician: user.id,
    started_at: at,
    ended_at: null,
    user_present: present,
    evidence: [],
    note: "",
    notice_left: false,
    next_visit_at: null,
    diagnosis: "",
    actions: "",
    tests: "",
    outcome: null,
    custody: null,
    equipment: [],
    signature: null,
    signer_absent: false,
  }
}

export interface AbsentVisit {
  startedAt: number
  photos: Photo[]
  note: string
  noticeLeft: boolean
  nextVisitAt: number
}

/** Records a visit where the official was not at the desk: the visit and its two events. */
export function recordAbsent(handle: DocHandle<TicketDoc>, user: User, v: AbsentVisit, now: number): string {
  const visit: Visit = {
    ...emptyVisit(user, v.startedAt, false),
    ended_at: now,
    evidence: v.photos,
    note: v.note.trim(),
    notice_left: v.noticeLeft,
    next_visit_at: v.nextVisitAt,
  }
  handle.change(d => {
    d.visits.push(visit)
    d.events.push(event(user, "visita_iniciada", v.startedAt, { visit: visit.id }))
    d.events.push(event(user, "usuario_ausente", now, { visit: visit.id, next_visit_at: v.nextVisitAt }))
  })
  return visit.id
}

/** Opens a visit with the official present ("en atención"); returns its id. */
export function startIntervention(handle: DocHandle<TicketDoc>, user: User, now: number): string {
  const visit = emptyVisit(user, now, true)
  handle.change(d => {
    d.visits.push(visit)
    d.events.push(event(user, "visita_iniciada", now, { visit: visit.id }))
  })
  return visit.id
}

export interface Intervention {
  diagnosis: string
  actions: string
  tests: string
  outcome: Outcome
  photos: Photo[]
  custody: Omit<Custody, "at" | "from"> | null
  /** For a resolved visit: the official's signature, or that the official was not there to sign. */
  signature?: Signature | "absent" | null
}

const OUTCOME_EVENT: Record<Outcome, EventKind> = {
  resolved: "resuelta",
  workshop: "enviada_taller",
  contractor: "enviada_contratista",
  pending: "visita_finalizada",
}

/** Finishes the open visit `visitId` with its outcome: fills its fields and appends the event. */
export function finishIntervention(
  handle: DocHandle<TicketDoc>,
  user: User,
  visitId: string,
  f: Intervention,
  now: number,
): void {
  handle.change(d => {
    const visit = d.visits.find(v => String(v.id) === visitId)
    if (!visit) throw new Error(`visit ${visitId} not found`)
    visit.diagnosis = f.diagnosis.trim()
    visit.actions = f.actions.trim()
    visit.tests = f.tests.trim()
    visit.outcome = f.outcome
    visit.ended_at = now
    const have = new Set(visit.evidence.map(p => String(p.sha256)))
    for (const p of f.photos) if (!have.has(p.sha256)) visit.evidence.push(p)
    if (f.custody) visit.custody = { ...f.custody, from: user.full_name, at: now }
    if (f.signature === "absent") visit.signer_absent = true
    else if (f.signature) visit.signature = f.signature
    d.events.push(event(user, OUTCOME_EVENT[f.outcome], now, { visit: visitId }))
  })
}

/** The custody record of the send that has the equipment out now (the last send), if any. */
export function equipmentOut(doc: TicketDoc): Custody | null {
  const sends = ordered(doc.events).filter(e => e.kind === "enviada_taller" || e.kind === "enviada_contratista")
  const last = sends[sends.length - 1]
  const visit = last?.data?.visit != null ? doc.visits.find(v => String(v.id) === String(last.data.visit)) : undefined
  return visit?.custody ?? null
}

/**
 * The last move of equipment `code` this case made (campo-shared `custody::chain`): its inventory
 * status after the move (`en_taller`, `con_contratista`, `en_servicio`) and when. A phone that
 * recorded the move offline knows it before its cached catalogue does.
 */
export function lastMove(doc: TicketDoc, code: string): { status: string; at: number } | null {
  const flagged = new Set(fold(doc.events).flagged)
  let found: { status: string; at: number } | null = null
  for (const e of ordered(doc.events)) {
    if (flagged.has(e.id)) continue
    let custody: Custody | null | undefined
    if (e.kind === "equipo_devuelto") custody = e.data?.custody
    else if (e.kind === "enviada_taller" || e.kind === "enviada_contratista")
      custody = doc.visits.find(v => String(v.id) === String(e.data?.visit))?.custody
    else continue
    // A move without a record, or with no codes, moves the case's equipment.
    const codes = custody?.equipment.map(String) ?? []
    if (codes.length > 0 && !codes.includes(code)) continue
    const status = e.kind === "enviada_taller" ? "en_taller" : e.kind === "enviada_contratista" ? "con_contratista" : "en_servicio"
    found = { status, at: e.at }
  }
  return found
}

export interface Return {
  /** Who hands the equipment back (the workshop or the contractor). */
  from: string
  /** Where it goes back to. */
  place: string
  condition: string
}

/** Records that the equipment came back from the workshop or the contractor (`equipo_devuelto`). */
export function recordReturn(handle: DocHandle<TicketDoc>, user: User, r: Return, now: number): void {
  handle.change(d => {
    const sent = equipmentOut(d)
    const custody: Custody = {
      equipment: sent ? sent.equipment.map(String) : [...d.request.equipment.map(String)],
      from: r.from.trim(),
      to: user.full_name,
      place: r.place.trim(),
      at: now,
      condition: r.condition.trim(),
    }
    d.events.push(event(user, "equipo_devuelto", now, { custody }))
  })
}

/** Resolves the case without a visit, remotely or by phone, saying what was done. */
export function resolveRemotely(handle: DocHandle<TicketDoc>, user: User, reason: string, now: number): void {
  handle.change(d => {
    d.events.push(event(user, "resuelta_telefono", now, { reason: reason.trim() }))
  })
}

/**
 * Links an inventory item to the case: to the open visit of `user` (or its latest visit), or, for
 * a coordinator, to the request. Returns false when there is nowhere to link it (a técnico with no
 * visit of its own yet).
 */
export function linkEquipment(handle: DocHandle<TicketDoc>, user: User, code: string): boolean {
  const doc = handle.doc()
  if (!doc) return false
  if (user.role === "coordinador") {
    if (!doc.request.equipment.some(c => String(c) === code)) handle.change(d => void d.request.equipment.push(code))
    return true
  }
  const mine = doc.visits.filter(v => String(v.technician) === user.id)
  const target = mine.find(v => v.ended_at == null) ?? mine[mine.length - 1]
  if (!target) return false
  const id = String(target.id)
  if ((target.equipment ?? []).some(c => String(c) === code)) return true
  handle.change(d => {
    const v = d.visits.find(x => String(x.id) === id)
    if (!v) return
    if (!v.equipment) v.equipment = []
    v.equipment.push(code)
  })
  return true
}

/** Records the official's signature on the visit `visitId`, or that the official was not there to sign. */
export function signVisit(handle: DocHandle<TicketDoc>, user: User, visitId: string, signature: Signature | "absent"): void {
  handle.change(d => {
    const v = d.visits.find(x => String(x.id) === visitId && String(x.technician) === user.id)
    if (!v) throw new Error(`visit ${visitId} is not a visit of ${user.id}`)
    if (signature === "absent") v.signer_absent = true
    else v.signature = signature
  })
}

/** The open visit `visitId` of `user` in the document (only its technician edits it while open). */
function openVisitOf(d: TicketDoc, user: User, visitId: string): Visit | undefined {
  const visit = d.visits.find(v => String(v.id) === visitId)
  if (!visit || visit.ended_at != null || String(visit.technician) !== user.id) return undefined
  return visit
}

/** Photos taken during an intervention go into its open visit at once, so closing the app keeps them. */
export function addEvidence(handle: DocHandle<TicketDoc>, user: User, visitId: string, photos: Photo[]): void {
  const doc = handle.doc()
  const visit = doc && openVisitOf(doc, user, visitId)
  if (!visit) throw new Error(`visit ${visitId} is not an open visit of ${user.id}`)
  const have = new Set(visit.evidence.map(p => String(p.sha256)))
  const fresh = photos.filter(p => !have.has(p.sha256))
  if (fresh.length === 0) return
  handle.change(d => {
    const v = openVisitOf(d, user, visitId)
    if (v) for (const p of fresh) v.evidence.push(p)
  })
}

/**
 * Takes a photo out of the open visit `visitId` of `user` (allowed until the visit ends).
 * Returns whether it was there.
 */
export function removeEvidence(handle: DocHandle<TicketDoc>, user: User, visitId: string, sha256: string): boolean {
  const doc = handle.doc()
  const visit = doc && openVisitOf(doc, user, visitId)
  if (!visit || !visit.evidence.some(p => String(p.sha256) === sha256)) return false
  handle.change(d => {
    const v = openVisitOf(d, user, visitId)
    const i = v ? v.evidence.findIndex(p => String(p.sha256) === sha256) : -1
    if (v && i >= 0) v.evidence.splice(i, 1)
  })
  return true
}

/** Whether the ticket refers to the photo (request photos, a visit's evidence or signature). */
export function refersTo(doc: TicketDoc, sha256: string): boolean {
  return (
    doc.request.photos.some(p => String(p) === sha256) ||
    doc.visits.some(v => v.evidence.some(p => String(p.sha256) === sha256) || String(v.signature?.sha256 ?? "") === sha256)
  )
}

export function fileReport(handle: DocHandle<TicketDoc>, user: User, summary: string, results: string, now: number): void {
  handle.change(d => {
    d.report = { author: user.id, at: now, summary: summary.trim(), results: results.trim() }
    d.events.push(event(user, "cerrada", now))
  })
}

/** The survey of the requester: in its own app when the official is the user, else on the phone at the desk. */
export function recordSurvey(handle: DocHandle<TicketDoc>, user: User, answers: SurveyAnswers, now: number): void {
  const channel = user.role === "funcionario" ? "own_app" : "technician_phone"
  handle.change(d => {
    d.survey = { answered_at: now, by: String(d.request.requester.id), channel, answers }
    d.events.push(event(user, "encuesta_respondida", now))
  })
}

export function addComment(handle: DocHandle<TicketDoc>, user: User, text: string, now: number): void {
  handle.change(d => {
    d.comments.push({ id: newId(), author: user.id, at: now, text: text.trim() })
  })
}
