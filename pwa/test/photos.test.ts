import "fake-indexeddb/auto"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { PhotoQueue, backoffMs, errorReason, isRefusal, photoState, sha256Hex } from "../src/photos"

type Call = { method: string; url: string; body?: unknown }

/** A fake server: `have` holds the hashes it already stores; `mode` breaks it on purpose. */
function fakeServer(opts: { have?: Set<string>; mode?: "ok" | "down" | "expired"; refuse?: Response } = {}) {
  const have = opts.have ?? new Set<string>()
  const calls: Call[] = []
  const fetchFn = (async (url: string, init?: RequestInit) => {
    const method = init?.method ?? "GET"
    calls.push({ method, url, body: init?.body })
    if (opts.mode === "down") throw new TypeError("Failed to fetch")
    if (opts.mode === "expired") return new Response(null, { status: 401 })
    const sha = url.split("/").pop()!
    if (method === "HEAD") return new Response(null, { status: have.has(sha) ? 200 : 404 })
    if (method === "PUT") {
      if (opts.refuse) return opts.refuse.clone()
      const bytes = init?.body as ArrayBuffer
      if ((await sha256Hex(bytes)) !== sha) return new Response(null, { status: 422 })
      const status = have.has(sha) ? 200 : 201
      have.add(sha)
      return new Response(null, { status })
    }
    return new Response(null, { status: 405 })
  }) as unknown as typeof fetch
  return { fetchFn, calls, have }
}

const bytes = (text: string) => new TextEncoder().encode(text).buffer as ArrayBuffer

let queue: PhotoQueue
let dbName: string
beforeEach(async () => {
  dbName = `photos-${Math.random()}`
  queue = await PhotoQueue.open(dbName)
})
afterEach(() => queue.close())

describe("photo queue", () => {
  it("keys photos by their SHA-256 and keeps one copy of the same bytes", async () => {
    const a = await queue.add(bytes("foto del puesto"), "image/jpeg", "automerge:t1")
    const again = await queue.add(bytes("foto del puesto"), "image/jpeg", "automerge:t1")
    expect(a).toMatch(/^[0-9a-f]{64}$/)
    expect(again).toBe(a)
    expect(await queue.counts()).toEqual({ pending: 1, failed: 0, refused: 0 })
  })

  it("uploads with HEAD then PUT, and the photo survives reopening the database", async () => {
    const sha = await queue.add(bytes("evidencia"), "image/jpeg", "automerge:t1")
    queue.close()
    queue = await PhotoQueue.open(dbName)
    const server = fakeServer()
    expect(await queue.uploadDue(server.fetchFn)).toEqual(["uploaded"])
    expect(server.calls.map(c => c.method)).toEqual(["HEAD", "PUT"])
    expect(server.have.has(sha)).toBe(true)
    expect(await queue.counts()).toEqual({ pending: 0, failed: 0, refused: 0 })
    // Nothing is sent again.
    expect(await queue.uploadDue(server.fetchFn)).toEqual([])
  })

  it("does not send bytes the server already has", async () => {
    const sha = await queue.add(bytes("ya subida"), "image/jpeg", "automerge:t1")
    const server = fakeServer({ have: new Set([sha]) })
    expect(await queue.uploadDue(server.fetchFn)).toEqual(["uploaded"])
    expect(server.calls.map(c => c.method)).toEqual(["HEAD"])
  })

  it("retries with backoff when the server is unreachable, and retryNow skips the wait", async () => {
    await queue.add(bytes("sin señal"), "image/jpeg", "automerge:t1", 1000)
    const down = fakeServer({ mode: "down" })
    expect(await queue.uploadDue(down.fetchFn, 1000)).toEqual(["retry"])
    expect(await queue.counts()).toEqual({ pending: 1, failed: 1, refused: 0 })
    expect(await queue.nextDue()).toBe(1000 + backoffMs(1))
    // Not due yet: nothing is attempted.
    expect(await queue.uploadDue(down.fetchFn, 1500)).toEqual([])
    await queue.retryNow(1600)
    const up = fakeServer()
    expect(await queue.uploadDue(up.fetchFn, 1600)).toEqual(["uploaded"])
    expect(await queue.counts()).toEqual({ pending: 0, failed: 0, refused: 0 })
  })

  it("stops at the first 401: the session ended", async () => {
    await queue.add(bytes("una"), "image/jpeg", "automerge:t1")
    await queue.add(bytes("otra"), "image/jpeg", "automerge:t1")
    const server = fakeServer({ mode: "expired" })
    expect(await queue.uploadDue(server.fetchFn)).toEqual(["unauthenticated"])
    expect(server.calls).toHaveLength(1)
  })

  it("backs off exponentially up to five minutes", () => {
    expect([1, 2, 3].map(backoffMs)).toEqual([2000, 4000, 8000])
    expect(backoffMs(20)).toBe(300_000)
  })
})

const NOT_AN_IMAGE = "El archivo no es una foto JPEG, PNG ni WebP. Tome la foto de nuevo o elija otra imagen."
const refusal = (status: number, message: string) =>
  new Response(JSON.stringify({ error: { code: "imagen_rechazada", message } }), {
    status,
    headers: { "content-type": "application/json" },
  })

describe("photos the server refuses", () => {
  it("keeps the server's reason and stops retrying by itself", async () => {
    const sha = await queue.add(bytes("%PDF-1.7 no es una foto"), "application/pdf", "automerge:t1", 1000)
    const server = fakeServer({ refuse: refusal(415, NOT_AN_IMAGE) })
    expect(await queue.uploadDue(server.fetchFn, 1000)).toEqual(["rejected"])
    const photo = await queue.get(sha)
    expect(photo?.refusal).toBe(NOT_AN_IMAGE)
    expect(photoState(photo!, null)).toBe("refused")
    expect(await queue.counts()).toEqual({ pending: 0, failed: 0, refused: 1 })
    // Never due again by itself, not even when the connection comes back.
    expect(await queue.nextDue()).toBeNull()
    await queue.retryNow(10_000_000)
    expect(await queue.uploadDue(server.fetchFn, 10_000_000)).toEqual([])
    expect(server.calls.filter(c => c.method === "PUT")).toHaveLength(1)
  })

  it("is sent again when the person retries, and leaves the queue when discarded", async () => {
    const sha = await queue.add(bytes("foto cortada"), "image/jpeg", "automerge:t1", 1000)
    const broken = fakeServer({ refuse: refusal(422, "La imagen está incompleta o dañada.") })
    await queue.uploadDue(broken.fetchFn, 1000)
    expect((await queue.get(sha))?.refusal).toBe("La imagen está incompleta o dañada.")
    await queue.retry(sha, 2000)
    expect(await queue.counts()).toEqual({ pending: 1, failed: 0, refused: 0 })
    const fixed = fakeServer()
    expect(await queue.uploadDue(fixed.fetchFn, 2000)).toEqual(["uploaded"])
    const uploaded = await queue.get(sha)
    expect(uploaded?.refusal).toBeNull()
    expect(photoState(uploaded!, null)).toBe("saved")

    const other = await queue.add(bytes("otra rechazada"), "image/jpeg", "automerge:t1", 3000)
    await queue.uploadDue(broken.fetchFn, 3000)
    await queue.remove(other)
    expect(await queue.counts()).toEqual({ pending: 0, failed: 0, refused: 0 })
  })

  it("reports which photo is on its way", async () => {
    const sha = await queue.add(bytes("en camino"), "image/jpeg", "automerge:t1")
    const seen: (string | null)[] = []
    await queue.uploadDue(fakeServer().fetchFn, Date.now(), s => seen.push(s))
    expect(seen).toEqual([sha, null])
    expect(photoState({ ...(await queue.get(sha))!, uploaded: false }, sha)).toBe("sending")
  })

  it("retries 401, 408, 429 and 5xx; every other 4xx is a refusal", async () => {
    expect([400, 403, 404, 413, 415, 422].every(isRefusal)).toBe(true)
    expect([401, 408, 429, 500, 503].some(isRefusal)).toBe(false)
    await queue.add(bytes("muchas"), "image/jpeg", "automerge:t1", 1000)
    const busy = fakeServer({ refuse: new Response(null, { status: 429 }) })
    expect(await queue.uploadDue(busy.fetchFn, 1000)).toEqual(["retry"])
    expect(await queue.counts()).toEqual({ pending: 1, failed: 1, refused: 0 })
  })

  it("reads the reason from either error body, in Spanish even without one", () => {
    expect(errorReason(JSON.stringify({ error: { code: "x", message: " Motivo. " } }), 422)).toBe("Motivo.")
    expect(errorReason(JSON.stringify({ error: "Otro motivo." }), 400)).toBe("Otro motivo.")
    expect(errorReason("<html>proxy</html>", 413)).toBe("La foto pesa más de lo que el servidor admite.")
    expect(errorReason(JSON.stringify({ error: { message: "La solicitud es demasiado grande." } }), 413)).toBe(
      "La foto pesa más de lo que el servidor admite.",
    )
    expect(errorReason("", 403)).toBe("el servidor respondió 403.")
  })
})
