// "Mis solicitudes" and the técnico's agenda: the server's list, from a fetch or from the stream's
// events, and the requests filed on this phone that it does not list yet. The network is played
// here by hand (a fetch answered when the test says, a stream whose events the test sends), to
// put the answers in the order a slow connection can.

import { describe, expect, it, vi } from "vitest"
import { installMemoryStorage } from "./memoryStorage"

installMemoryStorage()
// Fetching the listed documents into the phone's storage is not what is tested here.
vi.mock("../src/sync", () => ({ findTicket: () => Promise.resolve() }))

class TestEventSource {
  static CLOSED = 2
  static opened: TestEventSource[] = []
  readyState = 1
  private listeners = new Map<string, ((e: MessageEvent<string>) => void)[]>()
  constructor(readonly url: string) {
    TestEventSource.opened.push(this)
  }
  addEventListener(kind: string, f: (e: MessageEvent<string>) => void) {
    this.listeners.set(kind, [...(this.listeners.get(kind) ?? []), f])
  }
  close() {
    this.readyState = TestEventSource.CLOSED
  }
  send(kind: string, data: unknown) {
    for (const f of this.listeners.get(kind) ?? []) f({ data: JSON.stringify(data) } as MessageEvent<string>)
  }
}
;(globalThis as { EventSource?: unknown }).EventSource = TestEventSource

/** Fetches of /api/agenda waiting for the test to answer them. */
const pending: ((tickets: unknown[]) => void)[] = []
;(globalThis as { fetch?: unknown }).fetch = (path: string) =>
  new Promise(resolve => {
    expect(path).toBe("/api/agenda")
    pending.push(tickets => resolve(new Response(JSON.stringify({ tickets }), { status: 200 })))
  })

const agenda = await import("../src/agenda")

const OLD = "automerge:2j9knpCseyhnK8izDmLpGP5WMdZQ"
const NEW = "automerge:3xGk1nTQfYvZ7sUu5wqKc2hL9pRm"

function listed(url: string, number: string) {
  return {
    id: url.slice(10),
    url,
    number,
    state: "registrada",
    priority: null,
    mode: null,
    summary: url === NEW ? "No puedo imprimir desde el computador." : "El equipo no enciende.",
    category: "Impresoras",
    dependencia: "HACIENDA",
    dependencia_name: "Secretaría de Hacienda",
    location: "Piso 3",
    requester: { id: "u-ana", name: "Ana Lucía García" },
    assignee: null,
    response_due: null,
    resolution_due: null,
    flags: [],
    updated_at: 1,
  }
}

const shown = () => agenda.agenda.value.map(t => [t.summary, t.number])
const settle = () => new Promise(resolve => setTimeout(resolve, 0))

describe("the list of requests", () => {
  it("keeps a request filed offline when the server's answer to an earlier fetch arrives after the event that listed it", async () => {
    agenda.followAgenda()
    const stream = TestEventSource.opened[0]!
    stream.send("agenda", { tickets: [listed(OLD, "SAT-2026-000001")] })
    // Offline, the official files a request: it is listed without a number.
    agenda.addLocalTicket({
      url: NEW,
      createdAt: 2,
      summary: "No puedo imprimir desde el computador.",
      category: "Impresoras",
      dependencia: "HACIENDA",
      location: "Piso 3",
      requester: { id: "u-ana", name: "Ana Lucía García" },
    })
    expect(shown()).toEqual([
      ["No puedo imprimir desde el computador.", null],
      ["El equipo no enciende.", "SAT-2026-000001"],
    ])

    // The connection comes back: the phone asks for the agenda, then sends the request; the
    // server stores it and its stream lists it, numbered, before the fetch's answer (made before
    // the request was stored) arrives.
    const fetched = agenda.refreshAgenda()
    stream.send("agenda", { tickets: [listed(NEW, "SAT-2026-000002"), listed(OLD, "SAT-2026-000001")] })
    expect(agenda.unlistedLocalTickets()).toEqual([])
    pending.shift()!([listed(OLD, "SAT-2026-000001")])
    await fetched
    await settle()
    expect(shown()).toEqual([
      ["No puedo imprimir desde el computador.", "SAT-2026-000002"],
      ["El equipo no enciende.", "SAT-2026-000001"],
    ])

    // A fetch sent after the last event is newer than it, and is taken.
    const later = agenda.refreshAgenda()
    pending.shift()!([listed(NEW, "SAT-2026-000002")])
    await later
    expect(shown()).toEqual([["No puedo imprimir desde el computador.", "SAT-2026-000002"]])
    agenda.stopFollowingAgenda()
  })
})
