// A case that left the agenda (closed, reassigned) keeps its number and its people's names.

import { describe, expect, it } from "vitest"
import type { TicketDoc } from "../src/schema"
import { installMemoryStorage } from "./memoryStorage"

installMemoryStorage()
const refs = await import("../src/ticketRefs")

const url = "automerge:2Ljc8vo3bV8D6Z1f1SqxJt3hN6Ej"

function doc(authors: string[]): TicketDoc {
  return {
    schema: 1,
    request: {
      requester: { id: "u-ana", name: "Ana Lucía García" },
      dependencia: "EDUCACION",
      location: "Piso 1",
      channel: "intranet",
      category: "Red",
      description: "Sin red",
      equipment: [],
      photos: [],
    },
    events: authors.map((author, i) => ({
      id: `e${i}`,
      at: i,
      author,
      author_role: "coordinador",
      kind: "priorizada",
      data: {},
    })),
    visits: [],
    comments: [],
  }
}

describe("what the phone remembers of a ticket", () => {
  it("keeps the number and the names an agenda gave, after the case leaves it", () => {
    expect(refs.ticketNumber(url)).toBeNull()
    refs.rememberTickets([
      {
        url,
        number: "SOL-2026-000042",
        requester: { id: "u-ana", name: "Ana Lucía García" },
        assignee: { id: "u-tec", name: "Andrés Felipe Gómez" },
      },
    ])
    // The next agenda no longer lists it (closed or reassigned).
    refs.rememberTickets([])
    expect(refs.ticketNumber(url)).toBe("SOL-2026-000042")
    expect(refs.personName("u-tec")).toBe("Andrés Felipe Gómez")
    expect(JSON.parse(localStorage.getItem("campo.ticketRefs")!).numbers[url]).toBe("SOL-2026-000042")
  })

  it("names the authors of a document, or knows it must ask the server", () => {
    const d = doc(["u-ana", "u-coord"])
    expect(refs.personName("u-ana", d)).toBe("Ana Lucía García")
    expect(refs.personName("u-coord", d)).toBeNull()
    expect(refs.missingRefs(url, d)).toBe(true)
    refs.remember({}, [{ id: "u-coord", name: "Laura Méndez Rojas" }])
    expect(refs.personName("u-coord", d)).toBe("Laura Méndez Rojas")
    expect(refs.missingRefs(url, d)).toBe(false)
    expect(refs.missingRefs("automerge:otro", d)).toBe(true)
  })
})
