import { describe, expect, it } from "vitest"
import {
  MAX_NOTES,
  type QueuedPhotoInfo,
  SAVED_PHOTO_MS,
  type TicketInputs,
  keptNotice,
  noteServerError,
  photoItems,
  settleRefusal,
  stateText,
  ticketItems,
} from "../src/outbox"
import { syncView } from "../src/syncStatus"

const A = "automerge:2j9knpCseyhnK8izDmLpGP5WMdZQ"
const B = "automerge:3xGk1nTQfYvZ7sUu5wqKc2hL9pRm"
const REASON = "El caso ya no está asignado a usted: la visita no se registró."

describe("the server's errors", () => {
  const empty = { refused: {}, notes: [] }

  it("marks the named document refused, with the reason, once", () => {
    const one = noteServerError(empty, { documentId: A.slice(10), message: REASON }, 1000)
    expect(one.refused).toEqual({ [A]: { reason: REASON, at: 1000 } })
    expect(one.notes).toEqual([])
    // The same refusal again (the phone sends the change again): nothing changes.
    expect(noteServerError(one, { documentId: A.slice(10), message: REASON }, 2000)).toBe(one)
    const other = noteServerError(one, { documentId: A.slice(10), message: "" }, 3000)
    expect(other.refused[A]).toEqual({ reason: "el servidor no dio el motivo.", at: 3000 })
  })

  it("keeps errors without a document as notes about the connection, newest first, without repeats", () => {
    let state = noteServerError(empty, { documentId: null, message: "Mensaje no válido." }, 1)
    state = noteServerError(state, { documentId: null, message: "Sesión terminada." }, 2)
    state = noteServerError(state, { documentId: null, message: "Mensaje no válido." }, 3)
    expect(state.notes).toEqual([
      { message: "Mensaje no válido.", at: 3 },
      { message: "Sesión terminada.", at: 2 },
    ])
    expect(state.refused).toEqual({})
    for (let i = 0; i < 10; i++) state = noteServerError(state, { documentId: null, message: `n${i}` }, 10 + i)
    expect(state.notes).toHaveLength(MAX_NOTES)
    expect(noteServerError(state, { documentId: null, message: " " }, 99)).toBe(state)
  })

  it("settles a refusal only for its document", () => {
    const refused = { [A]: { reason: REASON, at: 1 }, [B]: { reason: "otro", at: 2 } }
    expect(settleRefusal(refused, A)).toEqual({ [B]: { reason: "otro", at: 2 } })
    expect(settleRefusal(refused, "automerge:nada")).toBe(refused)
  })
})

describe("pending ticket changes", () => {
  const base: TicketInputs = {
    pendingByDoc: {},
    known: () => true,
    refused: {},
    notices: {},
    savedAt: {},
    numbers: { [A]: "SAT-2026-000123" },
    summaries: { [A]: "La impresora no imprime" },
    connected: true,
  }

  it("says where each ticket's changes are", () => {
    const items = ticketItems({ ...base, pendingByDoc: { [A]: 2, [B]: 0 } })
    expect(items).toEqual([
      {
        url: A,
        title: "SAT-2026-000123",
        summary: "La impresora no imprime",
        changes: 2,
        state: "sending",
        reason: null,
        known: true,
        note: null,
      },
    ])
    expect(ticketItems({ ...base, pendingByDoc: { [A]: 2 }, connected: false })[0]!.state).toBe("phone")
    expect(stateText("phone", null)).toBe("En el teléfono")
    expect(stateText("sending", null)).toBe("Enviando")
  })

  it("calls a ticket the server never numbered «Caso nuevo»", () => {
    const items = ticketItems({ ...base, pendingByDoc: { [B]: 1 }, known: url => url !== B, connected: false })
    expect(items.map(i => [i.title, i.state, i.known])).toEqual([["Caso nuevo", "phone", false]])
  })

  it("shows refusals first, with the reason, and saved work last", () => {
    const items = ticketItems({
      ...base,
      pendingByDoc: { [A]: 0, [B]: 3 },
      refused: { [B]: { reason: REASON, at: 5 } },
      savedAt: { [A]: 10 },
    })
    expect(items.map(i => [i.url, i.state, stateText(i.state, i.reason)])).toEqual([
      [B, "refused", `Rechazado: ${REASON}`],
      [A, "saved", "Guardado en el servidor"],
    ])
  })

  it("lists work kept on a case now someone else's as saved, with the server's notice", () => {
    const message = { type: "trabajo_de_no_asignado", message: "  Quedó guardado; el caso ya es de otra persona. ", number: null }
    expect(keptNotice(message)).toEqual({ message: "Quedó guardado; el caso ya es de otra persona.", number: null })
    expect(keptNotice({ ...message, number: "SAT-2026-000003" })?.number).toBe("SAT-2026-000003")
    expect(keptNotice({ type: "otra_cosa", message: "x" })).toBeNull()
    expect(keptNotice("texto")).toBeNull()
    const items = ticketItems({
      ...base,
      numbers: {},
      notices: { [B]: { message: "Quedó guardado; el caso ya es de otra persona.", at: 7 } },
    })
    expect(items.map(i => [i.title, i.state, stateText(i.state, i.reason), i.note])).toEqual([
      ["Caso", "saved", "Guardado en el servidor", "Quedó guardado; el caso ya es de otra persona."],
    ])
    // The notice's number names the case the agenda no longer lists.
    const named = ticketItems({
      ...base,
      numbers: {},
      notices: { [B]: { message: "Quedó guardado.", at: 7, number: "SAT-2026-000003" } },
    })
    expect(named[0]!.title).toBe("SAT-2026-000003")
  })

  it("keeps a refused ticket listed even when the phone has not loaded it", () => {
    const items = ticketItems({ ...base, refused: { [A]: { reason: REASON, at: 1 } } })
    expect(items.map(i => [i.title, i.state, i.changes])).toEqual([["SAT-2026-000123", "refused", 0]])
  })
})

describe("photos in the outbox", () => {
  const now = 1_000_000_000
  const photo = (sha256: string, extra: Partial<QueuedPhotoInfo> = {}): QueuedPhotoInfo => ({
    sha256,
    ticket: A,
    addedAt: now - 1000,
    uploaded: false,
    attempts: 0,
    ...extra,
  })

  it("gives each photo its state and its ticket", () => {
    const items = photoItems(
      [
        photo("a"),
        photo("b", { attempts: 2 }),
        photo("c", { refusal: "El archivo no es una foto JPEG, PNG ni WebP.", attempts: 1 }),
        photo("d", { uploaded: true, uploadedAt: now - 60_000 }),
        photo("e", { uploaded: true, uploadedAt: now - SAVED_PHOTO_MS - 1 }),
        photo("f", { uploaded: true }),
        photo("g", { ticket: "solicitud-nueva" }),
      ],
      "a",
      { [A]: "SAT-2026-000123" },
      now,
    )
    expect(items.map(i => [i.sha256, i.title, stateText(i.state, i.reason)])).toEqual([
      ["c", "Foto de SAT-2026-000123", "Rechazado: El archivo no es una foto JPEG, PNG ni WebP."],
      ["a", "Foto de SAT-2026-000123", "Enviando"],
      ["b", "Foto de SAT-2026-000123", "En el teléfono"],
      ["g", "Foto de una solicitud", "En el teléfono"],
      ["d", "Foto de SAT-2026-000123", "Guardado en el servidor"],
    ])
  })
})

describe("the status bar with refused work", () => {
  const all = {
    connected: true,
    pendingChanges: 0,
    pendingPhotos: 0,
    failedPhotos: 0,
    unknownDocs: 0,
    refusedDocs: 0,
    refusedPhotos: 0,
  }

  it("never says «Guardado en el servidor» while something is refused", () => {
    const photo = syncView({ ...all, refusedPhotos: 1 })
    expect(photo).toEqual({ kind: "refused", label: "Trabajo rechazado por el servidor", detail: "1 foto rechazada" })
    const ticket = syncView({ ...all, refusedDocs: 1, pendingChanges: 2 })
    expect(ticket.kind).toBe("refused")
    expect(ticket.detail).toBe("2 cambios por enviar · 1 caso rechazado")
    expect(syncView({ ...all, refusedDocs: 2, refusedPhotos: 1 }).detail).toBe("2 casos y 1 foto rechazados")
  })

  it("counts refused work offline too", () => {
    const view = syncView({ ...all, connected: false, pendingPhotos: 1, refusedPhotos: 1 })
    expect(view.kind).toBe("offline")
    expect(view.detail).toBe("1 foto por enviar · 1 foto rechazada · Guardado en este teléfono; se enviará al volver la conexión")
  })

  it("says saved once the refused work is discarded", () => {
    expect(syncView(all)).toMatchObject({ kind: "saved", label: "Guardado en el servidor" })
  })

  it("says saved, with the notices about work kept on cases now someone else's", () => {
    expect(syncView({ ...all, notices: 1 })).toEqual({
      kind: "saved",
      label: "Guardado en el servidor",
      detail: "1 aviso sobre su trabajo",
    })
    expect(syncView({ ...all, notices: 2, pendingChanges: 1 }).detail).toBe("1 cambio por enviar · 2 avisos sobre su trabajo")
  })
})
