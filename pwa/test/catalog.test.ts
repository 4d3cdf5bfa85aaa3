// Equipment in Spanish, and the request categories kept on the phone.

import { beforeAll, describe, expect, it } from "vitest"
import { installMemoryStorage } from "./memoryStorage"

installMemoryStorage()
const catalog = await import("../src/catalog")
const { DEFAULT_CATEGORIES, equipmentStatusLabel } = await import("../src/es")

const item = {
  code: "GN-000123",
  kind: "computador",
  brand: "HP",
  model: "ProDesk 400",
  dependencia: "HACIENDA",
  location: "Piso 2",
  status: "en_taller",
}

describe("equipment as a scan shows it", () => {
  it("names the kind and the custody state in Spanish, never the stored form", () => {
    expect(catalog.describe(item)).toBe("Computador HP ProDesk 400 · En taller")
    expect(catalog.describe({ ...item, kind: "portatil", status: "con_contratista" })).toBe(
      "Portátil HP ProDesk 400 · Con contratista",
    )
    expect(equipmentStatusLabel("en_servicio")).toBe("En servicio")
    expect(equipmentStatusLabel("dado_de_baja")).toBe("Dado de baja")
  })

  it("says a dependencia's name when the phone knows it", () => {
    catalog.dependencias.value = [{ code: "HACIENDA", name: "Secretaría de Hacienda" }]
    expect(catalog.dependenciaName("HACIENDA")).toBe("Secretaría de Hacienda")
    expect(catalog.dependenciaName(null)).toBe("")
  })
})

describe("the request categories", () => {
  beforeAll(() => catalog.clearCatalog())

  it("start as the server's defaults and follow what the server says", () => {
    expect(catalog.categories.value).toEqual([...DEFAULT_CATEGORIES])
    catalog.setCategories(["Escáner", "Impresoras"])
    expect(catalog.categories.value).toEqual(["Escáner", "Impresoras"])
    expect(JSON.parse(localStorage.getItem("campo.categories")!)).toEqual(["Escáner", "Impresoras"])
  })

  it("ignore an empty or malformed answer", () => {
    catalog.setCategories([])
    catalog.setCategories({ categories: ["x"] })
    catalog.setCategories(["Red", 3])
    expect(catalog.categories.value).toEqual(["Escáner", "Impresoras"])
  })

  it("keep a request's own category among the choices after a coordinator renamed it", () => {
    expect(catalog.categoryChoices("")).toEqual(["Escáner", "Impresoras"])
    expect(catalog.categoryChoices("Impresoras")).toEqual(["Escáner", "Impresoras"])
    expect(catalog.categoryChoices("Hardware")).toEqual(["Escáner", "Impresoras", "Hardware"])
  })
})

const { lastMove } = await import("../src/tickets")

describe("a case's own move of its equipment", () => {
  const custody = (to: string) => ({ equipment: ["GN-000123"], from: "Andrés", to, place: "Taller", at: 2, condition: "" })
  const event = (id: string, at: number, author_role: "coordinador" | "tecnico", kind: string, data: object) =>
    ({ id, at, author: author_role === "tecnico" ? "u-tec" : "u-co", author_role, kind, data }) as never
  const doc = (events: never[]) =>
    ({
      schema: 1,
      request: { requester: { id: "u-ana", name: "Ana" }, dependencia: "HACIENDA", location: "Piso 2", channel: "intranet", category: "Hardware", description: "x", equipment: ["GN-000123", "GN-000124"], photos: [] },
      events,
      visits: [{ id: "v1", technician: "u-tec", started_at: 1, user_present: true, evidence: [], note: "", notice_left: false, diagnosis: "", actions: "", tests: "", custody: custody("Taller TIC") }],
      comments: [],
    }) as never
  const base = [
    event("e0", 0, "coordinador", "registrada", {}),
    event("e1", 1, "coordinador", "asignada", { assignee: { id: "u-tec", name: "Andrés" } }),
    event("e2", 2, "tecnico", "visita_iniciada", { visit: "v1" }),
    event("e3", 3, "tecnico", "enviada_taller", { visit: "v1" }),
  ]

  it("says where the phone sent it, before the catalogue knows, and only for the codes it moved", () => {
    expect(lastMove(doc(base), "GN-000123")).toEqual({ status: "en_taller", at: 3 })
    expect(lastMove(doc(base), "GN-000124")).toBeNull()
    const back = event("e4", 4, "tecnico", "equipo_devuelto", { custody: custody("Andrés") })
    expect(lastMove(doc([...base, back]), "GN-000123")).toEqual({ status: "en_servicio", at: 4 })
    // A second return the workflow flags moves nothing.
    const twice = event("e5", 5, "tecnico", "equipo_devuelto", { custody: custody("Otra") })
    expect(lastMove(doc([...base, back, twice]), "GN-000123")).toEqual({ status: "en_servicio", at: 4 })
  })
})
