import * as Automerge from "@automerge/automerge"
import { describe, expect, it } from "vitest"
import { syncView, unacknowledgedChanges } from "../src/syncStatus"

describe("unacknowledged changes", () => {
  it("counts the changes the server's heads do not cover", () => {
    let doc = Automerge.from<{ events: string[] }>({ events: [] })
    const serverHeads = Automerge.getHeads(doc)
    expect(unacknowledgedChanges(doc, serverHeads)).toBe(0)
    doc = Automerge.change(doc, d => void d.events.push("visita_iniciada"))
    doc = Automerge.change(doc, d => void d.events.push("usuario_ausente"))
    expect(unacknowledgedChanges(doc, serverHeads)).toBe(2)
    expect(unacknowledgedChanges(doc, Automerge.getHeads(doc))).toBe(0)
  })

  it("counts everything when the server never acknowledged the document", () => {
    let doc = Automerge.from({ a: 1 })
    doc = Automerge.change(doc, d => void (d.a = 2))
    expect(unacknowledgedChanges(doc, [])).toBe(2)
  })

  it("ignores server heads the phone does not know (other devices' changes)", () => {
    const base = Automerge.from<{ n: number[] }>({ n: [] })
    let mine = Automerge.clone(base)
    let theirs = Automerge.clone(base)
    mine = Automerge.change(mine, d => void d.n.push(1))
    theirs = Automerge.change(theirs, d => void d.n.push(2))
    // The server merged both; its heads include a change this phone has not received.
    const server = Automerge.merge(Automerge.clone(theirs), mine)
    expect(unacknowledgedChanges(mine, Automerge.getHeads(server))).toBe(0)
    const later = Automerge.change(mine, d => void d.n.push(3))
    expect(unacknowledgedChanges(later, Automerge.getHeads(server))).toBe(1)
  })
})

describe("status shown", () => {
  const all = {
    connected: true,
    pendingChanges: 0,
    pendingPhotos: 0,
    failedPhotos: 0,
    unknownDocs: 0,
    refusedDocs: 0,
    refusedPhotos: 0,
  }

  it("says «Guardado en el servidor» only when every change and photo reached the server", () => {
    expect(syncView(all)).toMatchObject({ kind: "saved", label: "Guardado en el servidor" })
    expect(syncView({ ...all, pendingChanges: 1 }).kind).toBe("syncing")
    expect(syncView({ ...all, pendingPhotos: 1 }).kind).toBe("syncing")
    expect(syncView({ ...all, unknownDocs: 1 }).kind).toBe("syncing")
  })

  it("says offline with the pending counts", () => {
    const view = syncView({ ...all, connected: false, pendingChanges: 3, pendingPhotos: 1, failedPhotos: 1 })
    expect(view.kind).toBe("offline")
    expect(view.label).toBe("Sin conexión")
    expect(view.detail).toBe(
      "3 cambios y 1 foto por enviar · 1 foto no se pudo enviar; se reintentará · " +
        "Guardado en este teléfono; se enviará al volver la conexión",
    )
    expect(syncView({ ...all, connected: false }).detail).toBe("nada pendiente")
  })

  it("reassures that work waiting offline is safe on the phone", () => {
    const view = syncView({ ...all, connected: false, pendingChanges: 1 })
    expect(view.detail).toBe("1 cambio por enviar · Guardado en este teléfono; se enviará al volver la conexión")
  })

  it("does not say «Sin conexión» while the socket has not had a fair chance (right after login)", () => {
    const opening = syncView({ ...all, connected: false, connecting: true })
    expect(opening.kind).not.toBe("offline")
    expect(opening.label).toBe("Conectando…")
    // Once connected, or once the first attempt failed or the grace period passed, it says the truth.
    expect(syncView({ ...all, connected: true, connecting: true }).kind).toBe("saved")
    expect(syncView({ ...all, connected: false, connecting: false }).label).toBe("Sin conexión")
  })
})
