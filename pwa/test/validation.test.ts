import { describe, expect, it } from "vitest"
import { codeFromQr, fold, type TicketEvent } from "../src/schema"
import { DEFAULT_WINDOWS, businessMs } from "../src/calendar"
import { fromBogotaInput, toBogotaInput } from "../src/time"
import table from "../src/limits.json"
import { LIMITS, overList, overText } from "../src/limits"
import {
  splitCodes,
  validateAbsent,
  validateComment,
  validateGrowth,
  validateIntervention,
  validateReason,
  validateReport,
  validateRequest,
  validateSurvey,
} from "../src/validation"

const request = {
  requesterName: "María Fernanda López",
  dependencia: "HACIENDA",
  location: "Piso 3, Presupuesto",
  extension: "4512",
  category: "Hardware",
  description: "El computador no enciende.",
  equipment: "gn-000101, GN-000102",
  photos: [],
}

describe("request form", () => {
  it("accepts a complete request", () => {
    expect(validateRequest(request)).toEqual({})
    expect(splitCodes(request.equipment).codes).toEqual(["GN-000101", "GN-000102"])
  })

  it("marks every problem at once, in Spanish", () => {
    const errors = validateRequest({ ...request, description: "  ", location: "", extension: "ext 12", equipment: "impresora" })
    expect(Object.keys(errors).sort()).toEqual(["description", "equipment", "extension", "location"])
    expect(errors.description).toBe("Escriba la descripción del problema.")
    expect(errors.equipment).toContain("«impresora»")
  })

  it("counts characters, not bytes, against the limits", () => {
    expect(validateRequest({ ...request, description: "é".repeat(4000) })).toEqual({})
    expect(validateRequest({ ...request, description: "x".repeat(4001) }).description).toBe(
      "La descripción del problema admite máximo 4000 caracteres; tiene 4001.",
    )
  })
})

describe("visit forms", () => {
  it("an absent-user visit needs a photo, a note and a future return", () => {
    const now = Date.parse("2026-03-02T15:00:00Z")
    expect(validateAbsent({ photos: 1, note: "Dejé aviso", nextVisitAt: now + 3600_000 }, now)).toEqual({})
    const errors = validateAbsent({ photos: 0, note: " ", nextVisitAt: now - 1 }, now)
    expect(errors).toEqual({
      photos: "Tome al menos una foto del puesto.",
      note: "Escriba la nota que dejó.",
      nextVisitAt: "La próxima visita debe ser en el futuro.",
    })
  })

  it("an intervention that moves equipment needs its custody", () => {
    const base = {
      diagnosis: "Fusor dañado",
      actions: "Se retira",
      tests: "Ninguna",
      custodyTo: "",
      custodyPlace: "",
      custodyEquipment: "",
      custodyCondition: "",
      photos: 0,
    }
    expect(validateIntervention({ ...base, outcome: "resolved" })).toEqual({})
    const errors = validateIntervention({ ...base, outcome: "workshop" })
    expect(Object.keys(errors).sort()).toEqual(["custodyEquipment", "custodyPlace", "custodyTo"])
    expect(validateIntervention({ ...base, outcome: "" }).outcome).toBe("Elija el resultado.")
  })

  it("survey ratings are 1 to 5", () => {
    expect(validateSurvey({ timeliness: 5, treatment: 1, solution: 3 })).toEqual({})
    expect(Object.keys(validateSurvey({ timeliness: 0, treatment: 6, solution: 3 }))).toEqual(["timeliness", "treatment"])
  })
})

describe("domain helpers", () => {
  it("reads the equipment code of a sticker", () => {
    expect(codeFromQr("https://campo.gobernacion.gov.co/e/GN-000101")).toBe("GN-000101")
    expect(codeFromQr("http://127.0.0.1:8080/e/gn-7")).toBe("GN-7")
    expect(codeFromQr("GN-000330")).toBe("GN-000330")
    expect(codeFromQr("https://example.com/otra-cosa")).toBeNull()
  })

  it("reads datetime-local values as Bogotá time", () => {
    const ms = fromBogotaInput("2026-03-02T08:30")
    expect(ms).toBe(Date.parse("2026-03-02T13:30:00Z"))
    expect(toBogotaInput(ms!)).toBe("2026-03-02T08:30")
    expect(fromBogotaInput("mañana")).toBeNull()
  })

  it("folds events like campo-shared: absent visit, then a second visit that resolves", () => {
    const ev = (at: number, author_role: TicketEvent["author_role"], kind: TicketEvent["kind"], data = {}): TicketEvent => ({
      id: `00000000-0000-4000-8000-${String(at).padStart(12, "0")}`,
      at,
      author: author_role,
      author_role,
      kind,
      data,
    })
    const events = [
      ev(1, "funcionario", "registrada"),
      ev(2, "coordinador", "priorizada", { priority: "alta", mode: "on_site" }),
      ev(3, "coordinador", "asignada", { assignee: { id: "t1", name: "Andrés" } }),
      ev(4, "tecnico", "visita_iniciada", { visit: "v1" }),
      ev(5, "tecnico", "usuario_ausente", { visit: "v1", next_visit_at: 99 }),
    ]
    expect(fold(events)).toMatchObject({ state: "usuario_ausente", priority: "alta", nextVisitAt: 99, flagged: [] })
    const more = [...events, ev(6, "tecnico", "visita_iniciada", { visit: "v2" }), ev(7, "tecnico", "resuelta", { visit: "v2" })]
    expect(fold(more)).toMatchObject({ state: "resuelta", nextVisitAt: null, openVisit: null })
    // A technician may not cancel: the event stays, flagged, without effect.
    const cancelled = fold([...events, ev(8, "tecnico", "anulada")])
    expect(cancelled.state).toBe("usuario_ausente")
    expect(cancelled.flagged).toHaveLength(1)
  })

  it("flags, like campo-shared, what a técnico records after the case went to someone else", () => {
    const ev = (at: number, author: string, author_role: TicketEvent["author_role"], kind: TicketEvent["kind"], data = {}): TicketEvent => ({
      id: `00000000-0000-4000-8000-${String(at).padStart(12, "0")}`,
      at,
      author,
      author_role,
      kind,
      data,
    })
    const events = [
      ev(1, "ana", "funcionario", "registrada"),
      ev(2, "coord", "coordinador", "asignada", { assignee: { id: "t1", name: "Andrés" } }),
      ev(3, "coord", "coordinador", "asignada", { assignee: { id: "t2", name: "Beatriz" } }),
      ev(4, "t1", "tecnico", "visita_iniciada", { visit: "v1" }),
    ]
    const f = fold(events)
    expect(f).toMatchObject({ state: "asignada", assignee: { id: "t2" } })
    expect(f.noLongerAssigned).toEqual([events[3]!.id])
    expect(f.flagged).toEqual([events[3]!.id])
    // The new responsible's visit counts.
    expect(fold([...events, ev(5, "t2", "tecnico", "visita_iniciada", { visit: "v2" })]).state).toBe("en_atencion")
  })
})

describe("business time", () => {
  const cal = { windows: DEFAULT_WINDOWS, holidays: ["2026-03-23"] }
  const at = (iso: string) => Date.parse(iso)

  it("counts only working windows in Bogotá", () => {
    // Monday 2 March 2026, 11:00 to 15:00 Bogotá: 1 h before lunch and 1 h after.
    expect(businessMs(at("2026-03-02T16:00:00Z"), at("2026-03-02T20:00:00Z"), cal)).toBe(2 * 3600_000)
    // Friday 17:00 to Monday 09:00: 1 h on Friday and 1 h on Monday.
    expect(businessMs(at("2026-03-06T22:00:00Z"), at("2026-03-09T14:00:00Z"), cal)).toBe(2 * 3600_000)
    // Overdue deadlines count backwards.
    expect(businessMs(at("2026-03-02T20:00:00Z"), at("2026-03-02T16:00:00Z"), cal)).toBe(-2 * 3600_000)
  })

  it("skips holidays", () => {
    // Monday 23 March 2026 is a holiday (San José, moved): Friday 17:00 to Tuesday 09:00 is 2 h.
    expect(businessMs(at("2026-03-20T22:00:00Z"), at("2026-03-24T14:00:00Z"), cal)).toBe(2 * 3600_000)
  })

  it("follows the office's closures and special days by decree", () => {
    // Wednesday 4 March closed (día cívico); Thursday 5 March a continuous day, 07:00 to 15:00.
    const decreed = { ...cal, holidays: [...cal.holidays, "2026-03-04"], special: { "2026-03-05": [{ start: "07:00:00", end: "15:00:00" }] } }
    // Tuesday 17:00 to Thursday 13:00: 1 h on Tuesday, none on Wednesday, 6 h on Thursday (lunch worked).
    expect(businessMs(at("2026-03-03T22:00:00Z"), at("2026-03-05T18:00:00Z"), decreed)).toBe(7 * 3600_000)
  })
})

describe("limits before saving", () => {
  it("reads the numbers from the table campo-shared generates", () => {
    expect(LIMITS.text).toEqual(table.text)
    expect(LIMITS.lists).toEqual(table.lists)
    expect(LIMITS.extensionDigits).toBe(table.extension_digits)
  })

  it("names the field and the limit with the server's words", () => {
    const max = LIMITS.text.comment
    expect(validateComment("x".repeat(max))).toBeNull()
    expect(validateComment("x".repeat(max + 1))).toBe(`El comentario admite máximo ${max} caracteres; tiene ${max + 1}.`)
    expect(overList("evidence", LIMITS.lists.evidence + 1)).toBe(
      `Se admiten máximo ${LIMITS.lists.evidence} fotos por visita; el caso tendría ${LIMITS.lists.evidence + 1}.`,
    )
    expect(overList("evidence", LIMITS.lists.evidence)).toBeNull()
  })

  it("counts Unicode code points, as the server does, on the text as saved (trimmed)", () => {
    const max = LIMITS.text.comment
    // Each emoji is two UTF-16 units but one character.
    expect(validateComment("📷".repeat(max))).toBeNull()
    expect(validateComment(`  ${"ñ".repeat(max)}  \n`)).toBeNull()
    expect(overText("comment", "📷".repeat(max + 1))).toBe(`El comentario admite máximo ${max} caracteres; tiene ${max + 1}.`)
  })

  it("checks every text of the visit forms", () => {
    const now = Date.parse("2026-03-02T15:00:00Z")
    const note = "n".repeat(LIMITS.text.note + 1)
    expect(validateAbsent({ photos: 1, note, nextVisitAt: now + 1 }, now).note).toBe(
      `La nota admite máximo ${LIMITS.text.note} caracteres; tiene ${LIMITS.text.note + 1}.`,
    )
    expect(validateAbsent({ photos: LIMITS.lists.evidence + 1, note: "ok", nextVisitAt: now + 1 }, now).photos).toContain(
      "fotos por visita",
    )
    const long = (key: keyof typeof LIMITS.text) => "x".repeat(LIMITS.text[key] + 1)
    const errors = validateIntervention({
      diagnosis: long("diagnosis"),
      actions: long("actions"),
      tests: long("tests"),
      outcome: "workshop",
      custodyTo: long("short_text"),
      custodyPlace: "Taller",
      custodyEquipment: "GN-000101",
      custodyCondition: long("condition"),
      photos: LIMITS.lists.evidence + 1,
    })
    expect(errors).toEqual({
      diagnosis: `El diagnóstico admite máximo ${LIMITS.text.diagnosis} caracteres; tiene ${LIMITS.text.diagnosis + 1}.`,
      actions: `Las acciones realizadas admiten máximo ${LIMITS.text.actions} caracteres; tiene ${LIMITS.text.actions + 1}.`,
      tests: `Las pruebas admiten máximo ${LIMITS.text.tests} caracteres; tiene ${LIMITS.text.tests + 1}.`,
      custodyTo: `Quién recibe el equipo admite máximo ${LIMITS.text.short_text} caracteres; tiene ${LIMITS.text.short_text + 1}.`,
      custodyCondition: `El estado del equipo admite máximo ${LIMITS.text.condition} caracteres; tiene ${LIMITS.text.condition + 1}.`,
      photos: `Se admiten máximo ${LIMITS.lists.evidence} fotos por visita; el caso tendría ${LIMITS.lists.evidence + 1}.`,
    })
  })

  it("checks the report, the survey comment and the coordinator's reasons", () => {
    const summary = "s".repeat(LIMITS.text.summary + 1)
    const results = "r".repeat(LIMITS.text.results + 1)
    expect(validateReport(summary, results)).toEqual({
      summary: `El resumen del informe admite máximo ${LIMITS.text.summary} caracteres; tiene ${LIMITS.text.summary + 1}.`,
      results: `Los resultados del informe admiten máximo ${LIMITS.text.results} caracteres; tiene ${LIMITS.text.results + 1}.`,
    })
    const comment = "c".repeat(LIMITS.text.survey_comment + 1)
    expect(validateSurvey({ timeliness: 5, treatment: 5, solution: 5, comment }).comment).toBe(
      `El comentario de la encuesta admite máximo ${LIMITS.text.survey_comment} caracteres; tiene ${LIMITS.text.survey_comment + 1}.`,
    )
    expect(validateReason(" ", "Escriba el motivo.")).toBe("Escriba el motivo.")
    expect(validateReason("", null)).toBeNull()
    expect(validateReason("m".repeat(LIMITS.text.reason + 1), null)).toBe(
      `El motivo admite máximo ${LIMITS.text.reason} caracteres; tiene ${LIMITS.text.reason + 1}.`,
    )
  })

  it("checks the request's lists", () => {
    const base = {
      requesterName: "Ana",
      dependencia: "SALUD",
      location: "Piso 1",
      extension: "",
      category: "Software",
      description: "No abre.",
      equipment: "",
      photos: [],
    }
    const many = Array.from({ length: LIMITS.lists.equipment + 1 }, (_, i) => `GN-${String(i).padStart(6, "0")}`).join(",")
    expect(validateRequest({ ...base, equipment: many }).equipment).toBe(
      `Indique máximo ${LIMITS.lists.equipment} equipos por solicitud.`,
    )
    const photos = Array.from({ length: LIMITS.lists.request_photos + 1 }, (_, i) => String(i % 10).repeat(64))
    expect(validateRequest({ ...base, photos }).photos).toBe(`Adjunte máximo ${LIMITS.lists.request_photos} fotos por solicitud.`)
    expect(validateRequest({ ...base, extension: "1".repeat(LIMITS.extensionDigits + 1) }).extension).toBe(
      `La extensión debe tener de 1 a ${LIMITS.extensionDigits} dígitos.`,
    )
  })
})

describe("list limits of a ticket", () => {
  const list = (n: number) => Array.from({ length: n }, (_, i) => i)

  it("refuses a comment past the ticket's comment limit", () => {
    const max = LIMITS.lists.comments
    expect(validateComment("Listo.", max - 1)).toBeNull()
    expect(validateComment("Listo.", max)).toBe(`Se admiten máximo ${max} comentarios; el caso tendría ${max + 1}.`)
  })

  it("refuses a visit or an event past the ticket's limits", () => {
    const events = LIMITS.lists.events
    const visits = LIMITS.lists.visits
    expect(validateGrowth({ events: list(events - 2), visits: list(visits - 1) }, { visits: 1, events: 2 })).toBeNull()
    expect(validateGrowth({ events: list(0), visits: list(visits) }, { visits: 1, events: 2 })).toBe(
      `Se admiten máximo ${visits} visitas; el caso tendría ${visits + 1}.`,
    )
    expect(validateGrowth({ events: list(events), visits: list(0) }, { events: 1 })).toBe(
      `Se admiten máximo ${events} eventos; el caso tendría ${events + 1}.`,
    )
  })
})
