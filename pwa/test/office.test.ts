import { describe, expect, it } from "vitest"
import type { CatalogItem } from "../src/catalog"
import { t } from "../src/es"
import {
  awaitsSurvey,
  cancelReason,
  formatWhen,
  inventoryOf,
  officialTicketDoc,
  promised,
  sortRequests,
  statusLine,
  validateOfficial,
} from "../src/office"
import { fold, type TicketEvent } from "../src/schema"
import type { User } from "../src/session"

/** An instant given as Bogotá wall-clock time (UTC−5 all year). */
const bogota = (iso: string) => Date.parse(`${iso}:00-05:00`)
const NOW = bogota("2026-07-13T16:30")

const official: User = {
  id: "u-mlopez",
  username: "mlopez",
  full_name: "María Fernanda López",
  role: "funcionario",
  dependencia: "HACIENDA",
}

const form = {
  dependencia: "HACIENDA",
  description: "  El computador no enciende.\nLa luz parpadea en naranja.  ",
  category: "Hardware",
  equipment: ["GN-000101"],
  photos: [],
  location: " Piso 3, Presupuesto ",
  extension: "4512",
}

describe("dates as an official reads them", () => {
  it("says the weekday, the day and the time in Bogotá", () => {
    expect(formatWhen(bogota("2026-07-14T09:00"), NOW)).toBe("martes 14 de julio a las 9:00 a. m.")
    expect(formatWhen(bogota("2026-07-14T17:05"), NOW)).toBe("martes 14 de julio a las 5:05 p. m.")
  })

  it("says «a la» for one o'clock and adds the year only when it is not this one", () => {
    expect(formatWhen(bogota("2026-07-15T13:00"), NOW)).toBe("miércoles 15 de julio a la 1:00 p. m.")
    expect(formatWhen(bogota("2027-01-04T08:30"), NOW)).toBe("lunes 4 de enero de 2027 a las 8:30 a. m.")
  })

  it("uses Bogotá's date near midnight UTC", () => {
    // 23:30 in Bogotá is already the next day in UTC.
    expect(formatWhen(bogota("2026-07-14T23:30"), NOW)).toBe("martes 14 de julio a las 11:30 p. m.")
  })
})

describe("the state of a request in plain Spanish", () => {
  const facts = { assignee: null, nextVisitAt: null, surveyAnswered: false }

  it("names the technician once assigned", () => {
    expect(statusLine({ ...facts, state: "registrada" }, NOW)).toBe("Recibida. La coordinación de la Secretaría TIC la revisará.")
    expect(statusLine({ ...facts, state: "asignada", assignee: "Andrés Felipe Gómez" }, NOW)).toBe(
      "Andrés Felipe Gómez atenderá su solicitud.",
    )
    expect(statusLine({ ...facts, state: "en_atencion", assignee: "Andrés Felipe Gómez" }, NOW)).toBe(
      "Andrés Felipe Gómez está atendiendo su solicitud.",
    )
    expect(statusLine({ ...facts, state: "asignada" }, NOW)).toBe("Un técnico atenderá su solicitud.")
  })

  it("says when the technician comes back after finding the desk empty", () => {
    const absent = { ...facts, state: "usuario_ausente" as const, nextVisitAt: bogota("2026-07-14T09:00") }
    expect(statusLine(absent, NOW)).toBe("Vinimos y no estaba: volvemos el martes 14 de julio a las 9:00 a. m.")
    expect(statusLine({ ...absent, nextVisitAt: null }, NOW)).toBe("Vinimos y no estaba: le avisaremos cuándo volvemos.")
    expect(t.office.comeBack(formatWhen(bogota("2026-07-14T15:30"), NOW))).toBe("Volvemos el martes 14 de julio a las 3:30 p. m.")
  })

  it("asks for the survey until it is answered", () => {
    expect(statusLine({ ...facts, state: "cerrada" }, NOW)).toBe("Cerrada. Cuéntenos cómo le fue en la encuesta.")
    expect(statusLine({ ...facts, state: "cerrada", surveyAnswered: true }, NOW)).toBe("Cerrada. Gracias por responder la encuesta.")
    expect(awaitsSurvey("resuelta", false)).toBe(true)
    expect(awaitsSurvey("cerrada", true)).toBe(false)
    expect(awaitsSurvey("asignada", false)).toBe(false)
    expect(awaitsSurvey("anulada", false)).toBe(false)
  })
})

describe("the attention time promised", () => {
  const response = bogota("2026-07-13T17:00")
  const resolution = bogota("2026-07-15T11:00")

  it("shows the first response only while nobody has answered, and the solution while open", () => {
    expect(promised("registrada", response, resolution, NOW)).toEqual([
      { label: "Primera respuesta a más tardar el", when: "lunes 13 de julio a las 5:00 p. m.", overdue: false },
      { label: "Solución a más tardar el", when: "miércoles 15 de julio a las 11:00 a. m.", overdue: false },
    ])
    expect(promised("asignada", response, resolution, NOW).map(p => p.label)).toEqual(["Solución a más tardar el"])
    expect(promised("registrada", null, null, NOW)).toEqual([])
  })

  it("promises nothing once the case is solved or cancelled, and flags a missed deadline", () => {
    for (const state of ["resuelta", "cerrada", "anulada"] as const) expect(promised(state, response, resolution, NOW)).toEqual([])
    expect(promised("usuario_ausente", null, bogota("2026-07-13T08:00"), NOW)[0]?.overdue).toBe(true)
  })

  it("lists open requests first, the latest change first", () => {
    const sorted = sortRequests([
      { id: "a", state: "cerrada" as const, updated_at: 9 },
      { id: "b", state: "asignada" as const, updated_at: 1 },
      { id: "c", state: "registrada" as const, updated_at: 5 },
      { id: "d", state: "anulada" as const, updated_at: 3 },
    ])
    expect(sorted.map(x => x.id)).toEqual(["c", "b", "a", "d"])
  })
})

describe("the request form", () => {
  const item = (code: string, dependencia: string | null, kind = "Computador", location = "Piso 3"): CatalogItem => ({
    code,
    kind,
    brand: "Dell",
    model: "OptiPlex 7090",
    dependencia,
    location,
    status: "en_servicio",
  })
  const items = [
    item("GN-000102", "HACIENDA", "Impresora", "Piso 2, Tesorería"),
    item("GN-000330", "SALUD"),
    item("GN-000101", "HACIENDA"),
    item("GN-000999", null),
  ]

  it("offers the dependencia's inventory, narrowed by code, type or place", () => {
    expect(inventoryOf(items, "HACIENDA").map(i => i.code)).toEqual(["GN-000101", "GN-000102"])
    expect(inventoryOf(items, "HACIENDA", "impresora").map(i => i.code)).toEqual(["GN-000102"])
    expect(inventoryOf(items, "HACIENDA", " tesorería  piso ").map(i => i.code)).toEqual(["GN-000102"])
    expect(inventoryOf(items, "HACIENDA", "101").map(i => i.code)).toEqual(["GN-000101"])
    expect(inventoryOf(items, "EDUCACION")).toEqual([])
  })

  it("files the request in the official's own name, through the intranet", () => {
    const doc = officialTicketDoc(official, form, NOW)
    expect(doc.request).toEqual({
      requester: { id: "u-mlopez", name: "María Fernanda López" },
      dependencia: "HACIENDA",
      location: "Piso 3, Presupuesto",
      phone_extension: "4512",
      channel: "intranet",
      external_ref: null,
      category: "Hardware",
      description: "El computador no enciende.\nLa luz parpadea en naranja.",
      equipment: ["GN-000101"],
      photos: [],
    })
    expect(doc.events.map(e => [e.kind, e.author, e.author_role, e.at])).toEqual([["registrada", "u-mlopez", "funcionario", NOW]])
    expect(fold(doc.events).state).toBe("registrada")
    expect(officialTicketDoc(official, { ...form, extension: " " }, NOW).request.phone_extension).toBeNull()
  })

  it("says in Spanish what is missing, and keeps what was typed", () => {
    expect(validateOfficial(official, form)).toEqual({})
    const errors = validateOfficial(official, { ...form, description: " ", category: "", location: "", extension: "ext. 12" })
    expect(errors).toEqual({
      description: "Escriba la descripción del problema.",
      category: "Escriba la categoría.",
      location: "Escriba la ubicación (sede, piso, oficina).",
      extension: "La extensión debe tener de 1 a 10 dígitos.",
    })
    expect(validateOfficial(official, { ...form, dependencia: "" }).dependencia).toBe("Elija la dependencia.")
  })
})

describe("a cancelled request", () => {
  const event = (kind: TicketEvent["kind"], at: number, reason?: string): TicketEvent => ({
    id: `e-${at}`,
    at,
    author: "u-coord",
    author_role: "coordinador",
    kind,
    data: reason ? { reason } : {},
  })

  it("gives the coordinator's last reason", () => {
    const doc = officialTicketDoc(official, form, 1)
    doc.events.push(event("anulada", 3, "Duplicada: ya existe otra solicitud."), event("anulada", 2, "Primera razón"))
    expect(cancelReason(doc)).toBe("Duplicada: ya existe otra solicitud.")
    expect(cancelReason(officialTicketDoc(official, form, 1))).toBeNull()
  })
})
