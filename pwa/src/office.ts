// What an official sees and writes: its request (channel intranet, in its own name, as a new
// ticket document), the state of each request in plain Spanish, the promised attention times and
// the dates a technician comes back, as people in Bogotá read them. Pure, so it is unit-tested.

import type { AgendaTicket } from "./agenda"
import type { CatalogItem } from "./catalog"
import { t } from "./es"
import { type Request, type State, type TicketDoc, ordered } from "./schema"
import type { User } from "./session"
import { newTicketDoc } from "./tickets"
import { type Errors, validateRequest } from "./validation"

/** An agenda entry as the server sends it to an official (it also says when a technician returns). */
export type OfficeTicket = AgendaTicket & { next_visit_at?: number | null; created_at?: number }

const ZONE = "America/Bogota"
const dayFormat = new Intl.DateTimeFormat("es-CO", { timeZone: ZONE, weekday: "long", day: "numeric", month: "long" })
const yearFormat = new Intl.DateTimeFormat("es-CO", { timeZone: ZONE, year: "numeric" })
const timeFormat = new Intl.DateTimeFormat("es-CO", { timeZone: ZONE, hour: "numeric", minute: "2-digit" })

/** "martes 14 de julio a las 9:00 a. m." (with the year when it is not this year's), Bogotá time. */
export function formatWhen(ms: number, now: number): string {
  const date = new Date(ms)
  const part = (type: string) => dayFormat.formatToParts(date).find(p => p.type === type)?.value ?? ""
  const year = yearFormat.format(date)
  let day = `${part("weekday")} ${part("day")} de ${part("month")}`
  if (year !== yearFormat.format(new Date(now))) day += ` de ${year}`
  const time = timeFormat.format(date)
  const hour = timeFormat.formatToParts(date).find(p => p.type === "hour")?.value
  return t.office.when(day, time, hour === "1")
}

const FINISHED: readonly State[] = ["resuelta", "cerrada", "anulada"]

/** Whether nothing more will be done on the request (unless the coordinator reopens it). */
export function isFinished(state: State): boolean {
  return FINISHED.includes(state)
}

/** Whether the official may answer the survey now. */
export function awaitsSurvey(state: State, answered: boolean): boolean {
  return (state === "resuelta" || state === "cerrada") && !answered
}

export interface StatusFacts {
  state: State
  /** The name of the technician or contractor responsible, when known. */
  assignee: string | null
  /** When the technician comes back after finding the desk empty. */
  nextVisitAt: number | null
  surveyAnswered: boolean
}

/** The state of a request in one plain Spanish sentence. */
export function statusLine(f: StatusFacts, now: number): string {
  const s = t.office.status
  switch (f.state) {
    case "registrada":
    case "pendiente":
    case "en_taller":
    case "con_contratista":
    case "anulada":
      return s[f.state]
    case "asignada":
    case "en_atencion":
      return s[f.state](f.assignee || null)
    case "usuario_ausente":
      return s.absent(f.nextVisitAt !== null ? formatWhen(f.nextVisitAt, now) : null)
    case "resuelta":
      return f.surveyAnswered ? s.resueltaAnswered : s.resuelta
    case "cerrada":
      return f.surveyAnswered ? s.cerradaAnswered : s.cerrada
  }
}

export interface Promised {
  label: string
  when: string
  overdue: boolean
}

/**
 * The attention times promised while the request is open: the first response while nobody has
 * answered it yet (a request answered is accepted, assigned or visited), and the solution.
 */
export function promised(state: State, responseDue: number | null, resolutionDue: number | null, now: number): Promised[] {
  if (isFinished(state)) return []
  const out: Promised[] = []
  if (state === "registrada" && responseDue !== null)
    out.push({ label: t.office.responseBy, when: formatWhen(responseDue, now), overdue: responseDue < now })
  if (resolutionDue !== null)
    out.push({ label: t.office.resolutionBy, when: formatWhen(resolutionDue, now), overdue: resolutionDue < now })
  return out
}

/** Open requests first, then the finished; the most recently changed first within each. */
export function sortRequests<T extends { state: State; updated_at: number }>(tickets: readonly T[]): T[] {
  return [...tickets].sort(
    (a, b) => Number(isFinished(a.state)) - Number(isFinished(b.state)) || b.updated_at - a.updated_at,
  )
}

/** The equipment of a dependencia in the catalogue, by code, narrowed by what the user typed. */
export function inventoryOf(items: readonly CatalogItem[], dependencia: string, query = ""): CatalogItem[] {
  const words = query.toLowerCase().split(/\s+/).filter(w => w !== "")
  return items
    .filter(i => i.dependencia === dependencia)
    .filter(i => {
      const text = [i.code, i.kind, i.brand, i.model, i.location].join(" ").toLowerCase()
      return words.every(w => text.includes(w))
    })
    .sort((a, b) => a.code.localeCompare(b.code))
}

export interface OfficialForm {
  dependencia: string
  description: string
  category: string
  equipment: string[]
  photos: string[]
  location: string
  extension: string
}

/** The form's errors, with the same messages as the server's `validate_request`. */
export function validateOfficial(user: User, f: OfficialForm): Errors {
  return validateRequest({
    requesterName: user.full_name,
    dependencia: f.dependencia,
    location: f.location,
    extension: f.extension,
    category: f.category,
    description: f.description,
    equipment: f.equipment.join(", "),
    photos: f.photos,
  })
}

/** The request as the official files it: in its own name, through the intranet. */
export function officialRequest(user: User, f: OfficialForm): Request {
  return {
    requester: { id: user.id, name: user.full_name },
    dependencia: f.dependencia.trim().toUpperCase(),
    location: f.location.trim(),
    phone_extension: f.extension.trim() || null,
    channel: "intranet",
    external_ref: null,
    category: f.category,
    description: f.description.trim(),
    equipment: [...f.equipment],
    photos: [...f.photos],
  }
}

/** The new ticket document of an official's request, registered by the server on first sync. */
export function officialTicketDoc(user: User, f: OfficialForm, now: number): TicketDoc {
  return newTicketDoc(user, officialRequest(user, f), now)
}

/** The names of the people a ticket mentions, by user id (requester and assignees). */
export function peopleOf(doc: TicketDoc): Map<string, string> {
  const names = new Map<string, string>()
  names.set(String(doc.request.requester.id), String(doc.request.requester.name))
  for (const e of doc.events) {
    const a = e.data?.assignee
    if (a?.name) names.set(String(a.id), String(a.name))
  }
  return names
}

/** The reason the coordinator gave for cancelling the request (or marking it a duplicate). */
export function cancelReason(doc: TicketDoc): string | null {
  const last = ordered(doc.events)
    .reverse()
    .find(e => e.kind === "anulada" || e.kind === "duplicada")
  return last?.data?.reason ? String(last.data.reason) : null
}
