// The forms' checks, pure, so they are unit-tested and give the same Spanish messages as
// campo-shared (`validate_request`, `validate_survey`) where the server checks the same thing.

import { t } from "./es"
import { LIMITS, type TextKey, chars, overList, overText } from "./limits"
import { OUTCOMES, isSha256Hex, parseEquipmentCode, type Outcome } from "./schema"

export type Errors = Record<string, string>

function required(errors: Errors, field: string, label: string, value: string, max: number): void {
  const n = chars(value.trim())
  if (n === 0) errors[field] = `Escriba ${label}.`
  else if (n > max) {
    const capital = label.charAt(0).toUpperCase() + label.slice(1)
    errors[field] = `${capital} admite máximo ${max} caracteres; tiene ${n}.`
  }
}

/** Sets `errors[field]` when the (trimmed, as saved) text is longer than its limit. */
function limit(errors: Errors, field: string, key: TextKey, value: string, label?: string): void {
  if (errors[field]) return
  const over = overText(key, value.trim(), label)
  if (over) errors[field] = over
}

/** Splits "gn-1, GN-2" into valid normalised codes and the invalid pieces. */
export function splitCodes(text: string): { codes: string[]; invalid: string[] } {
  const codes: string[] = []
  const invalid: string[] = []
  for (const piece of text.split(/[,;\s]+/).filter(p => p.length > 0)) {
    const code = parseEquipmentCode(piece)
    if (code === null) invalid.push(piece)
    else if (!codes.includes(code)) codes.push(code)
  }
  return { codes, invalid }
}

export interface RequestForm {
  requesterName: string
  dependencia: string
  location: string
  extension: string
  category: string
  description: string
  equipment: string
  photos: string[]
}

export function validateRequest(f: RequestForm): Errors {
  const e: Errors = {}
  const short = LIMITS.text.short_text
  required(e, "requesterName", "el nombre del solicitante", f.requesterName, short)
  required(e, "location", "la ubicación (sede, piso, oficina)", f.location, short)
  required(e, "category", "la categoría", f.category, short)
  required(e, "description", "la descripción del problema", f.description, LIMITS.text.description)
  if (!/^[A-Z0-9](?:[A-Z0-9-]{0,14}[A-Z0-9])?$/.test(f.dependencia.trim().toUpperCase()) || f.dependencia.trim().length < 2)
    e.dependencia = t.newRequest.chooseDependencia + "."
  const ext = f.extension.trim()
  if (ext !== "" && !new RegExp(`^[0-9]{1,${LIMITS.extensionDigits}}$`).test(ext))
    e.extension = `La extensión debe tener de 1 a ${LIMITS.extensionDigits} dígitos.`
  const { codes, invalid } = splitCodes(f.equipment)
  if (invalid.length > 0)
    e.equipment = `Código de equipo no válido: «${invalid[0]}»; se esperan letras, un guion y números, por ejemplo GN-000123.`
  else if (codes.length > LIMITS.lists.equipment) e.equipment = `Indique máximo ${LIMITS.lists.equipment} equipos por solicitud.`
  if (f.photos.length > LIMITS.lists.request_photos)
    e.photos = `Adjunte máximo ${LIMITS.lists.request_photos} fotos por solicitud.`
  else if (f.photos.some(p => !isSha256Hex(p))) e.photos = t.errors.generic
  return e
}

export interface AbsentForm {
  photos: number
  note: string
  nextVisitAt: number | null
}

export function validateAbsent(f: AbsentForm, now: number): Errors {
  const e: Errors = {}
  if (f.photos < 1) e.photos = t.visit.photoRequired
  else {
    const over = overList("evidence", f.photos)
    if (over) e.photos = over
  }
  if (f.note.trim() === "") e.note = t.visit.noteRequired
  limit(e, "note", "note", f.note)
  if (f.nextVisitAt === null) e.nextVisitAt = t.visit.nextVisitRequired
  else if (f.nextVisitAt <= now) e.nextVisitAt = t.visit.nextVisitPast
  return e
}

export interface InterventionForm {
  diagnosis: string
  actions: string
  tests: string
  outcome: Outcome | ""
  custodyTo: string
  custodyPlace: string
  custodyEquipment: string
  custodyCondition: string
  /** Photos of the visit. */
  photos: number
}

/** Whether the outcome moves equipment (so a custody record is required). */
export function movesEquipment(outcome: Outcome | ""): boolean {
  return outcome === "workshop" || outcome === "contractor"
}

export function validateIntervention(f: InterventionForm): Errors {
  const e: Errors = {}
  if (f.diagnosis.trim() === "") e.diagnosis = t.visit.diagnosisRequired
  if (f.actions.trim() === "") e.actions = t.visit.actionsRequired
  if (f.tests.trim() === "") e.tests = t.visit.testsRequired
  limit(e, "diagnosis", "diagnosis", f.diagnosis)
  limit(e, "actions", "actions", f.actions)
  limit(e, "tests", "tests", f.tests)
  const photos = overList("evidence", f.photos)
  if (photos) e.photos = photos
  if (!(OUTCOMES as readonly string[]).includes(f.outcome)) e.outcome = t.visit.outcomeRequired
  if (movesEquipment(f.outcome)) {
    if (f.custodyTo.trim() === "") e.custodyTo = t.visit.custodyToRequired
    if (f.custodyPlace.trim() === "") e.custodyPlace = t.visit.custodyPlaceRequired
    const { codes, invalid } = splitCodes(f.custodyEquipment)
    if (codes.length === 0 || invalid.length > 0) e.custodyEquipment = t.visit.custodyEquipmentRequired
    else if (codes.length > LIMITS.lists.equipment)
      e.custodyEquipment = `Indique máximo ${LIMITS.lists.equipment} equipos por solicitud.`
    limit(e, "custodyTo", "short_text", f.custodyTo, t.visit.custodyToLabel)
    limit(e, "custodyPlace", "short_text", f.custodyPlace, t.visit.custodyPlaceLabel)
    limit(e, "custodyCondition", "condition", f.custodyCondition)
  }
  return e
}

export interface SurveyForm {
  timeliness: number
  treatment: number
  solution: number
  comment?: string
}

export function validateSurvey(f: SurveyForm): Errors {
  const e: Errors = {}
  for (const key of ["timeliness", "treatment", "solution"] as const) {
    const v = f[key]
    if (!Number.isInteger(v) || v < 1 || v > 5) e[key] = t.survey.ratingRequired
  }
  limit(e, "comment", "survey_comment", f.comment ?? "")
  return e
}

export function validateReport(summary: string, results = ""): Errors {
  const e: Errors = {}
  if (summary.trim() === "") e.summary = t.report.summaryRequired
  limit(e, "summary", "summary", summary)
  limit(e, "results", "results", results)
  return e
}

/** A comment on a ticket with `existing` comments: over a limit is refused with the server's words. */
export function validateComment(text: string, existing = 0): string | null {
  return overText("comment", text.trim()) ?? overList("comments", existing + 1)
}

/**
 * What the ticket's lists would hold after a save (`events`, `visits` added to what it has): the
 * server's message when a list would pass its limit, else null.
 */
export function validateGrowth(
  doc: { events: readonly unknown[]; visits: readonly unknown[] },
  add: { events: number; visits?: number },
): string | null {
  return overList("visits", doc.visits.length + (add.visits ?? 0)) ?? overList("events", doc.events.length + add.events)
}

/** The coordinator's reason (cancellation, reopening, phone resolution, duplicate note). */
export function validateReason(text: string, required: string | null): string | null {
  if (required !== null && text.trim() === "") return required
  return overText("reason", text.trim())
}
