// The forms' checks, pure, so they are unit-tested and give the same Spanish messages as
// campo-shared (`validate_request`, `validate_survey`) where the server checks the same thing.

import { t } from "./es"
import { OUTCOMES, isSha256Hex, parseEquipmentCode, type Outcome } from "./schema"

export type Errors = Record<string, string>

export const LIMITS = {
  descriptionMax: 4000,
  shortTextMax: 200,
  extensionMax: 10,
  equipmentMax: 20,
  photosMax: 10,
}

function required(errors: Errors, field: string, label: string, value: string, max: number): void {
  const chars = [...value.trim()].length
  if (chars === 0) errors[field] = `Escriba ${label}.`
  else if (chars > max) {
    const capital = label.charAt(0).toUpperCase() + label.slice(1)
    errors[field] = `${capital} admite máximo ${max} caracteres; tiene ${chars}.`
  }
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
  required(e, "requesterName", "el nombre del solicitante", f.requesterName, LIMITS.shortTextMax)
  required(e, "location", "la ubicación (sede, piso, oficina)", f.location, LIMITS.shortTextMax)
  required(e, "category", "la categoría", f.category, LIMITS.shortTextMax)
  required(e, "description", "la descripción del problema", f.description, LIMITS.descriptionMax)
  if (!/^[A-Z0-9](?:[A-Z0-9-]{0,14}[A-Z0-9])?$/.test(f.dependencia.trim().toUpperCase()) || f.dependencia.trim().length < 2)
    e.dependencia = t.newRequest.chooseDependencia + "."
  const ext = f.extension.trim()
  if (ext !== "" && !new RegExp(`^[0-9]{1,${LIMITS.extensionMax}}$`).test(ext))
    e.extension = `La extensión lleva solo números, máximo ${LIMITS.extensionMax}.`
  const { codes, invalid } = splitCodes(f.equipment)
  if (invalid.length > 0)
    e.equipment = `Código de equipo no válido: «${invalid[0]}»; se esperan letras, un guion y números, por ejemplo GN-000123.`
  else if (codes.length > LIMITS.equipmentMax) e.equipment = `Máximo ${LIMITS.equipmentMax} equipos por solicitud.`
  if (f.photos.length > LIMITS.photosMax) e.photos = `Máximo ${LIMITS.photosMax} fotos por solicitud.`
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
  if (f.note.trim() === "") e.note = t.visit.noteRequired
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
  if (!(OUTCOMES as readonly string[]).includes(f.outcome)) e.outcome = t.visit.outcomeRequired
  if (movesEquipment(f.outcome)) {
    if (f.custodyTo.trim() === "") e.custodyTo = t.visit.custodyToRequired
    if (f.custodyPlace.trim() === "") e.custodyPlace = t.visit.custodyPlaceRequired
    const { codes, invalid } = splitCodes(f.custodyEquipment)
    if (codes.length === 0 || invalid.length > 0) e.custodyEquipment = t.visit.custodyEquipmentRequired
  }
  return e
}

export interface SurveyForm {
  timeliness: number
  treatment: number
  solution: number
}

export function validateSurvey(f: SurveyForm): Errors {
  const e: Errors = {}
  for (const key of ["timeliness", "treatment", "solution"] as const) {
    const v = f[key]
    if (!Number.isInteger(v) || v < 1 || v > 5) e[key] = t.survey.ratingRequired
  }
  return e
}

export function validateReport(summary: string): Errors {
  const e: Errors = {}
  if (summary.trim() === "") e.summary = t.report.summaryRequired
  return e
}
