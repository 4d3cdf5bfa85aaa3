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
