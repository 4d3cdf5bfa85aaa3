import "fake-indexeddb/auto"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { PhotoQueue, backoffMs, sha256Hex } from "../src/photos"

type Call = { method: string; url: string; body?: unknown }

/** A fake server: `have` holds the hashes it already stores; `mode` breaks it on purpose. */
function fakeServer(opts: { have?: Set<string>; mode?: "ok" | "down" | "expired" } = {}) {
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
    expect(await queue.counts()).toEqual({ pending: 1, failed: 0 })
  })

  it("uploads with HEAD then PUT, and the photo survives reopening the database", async () => {
    const sha = await queue.add(bytes("evidencia"), "image/jpeg", "automerge:t1")
    queue.close()
    queue = await PhotoQueue.open(dbName)
    const server = fakeServer()
    expect(await queue.uploadDue(server.fetchFn)).toEqual(["uploaded"])
    expect(server.calls.map(c => c.method)).toEqual(["HEAD", "PUT"])
    expect(server.have.has(sha)).toBe(true)
    expect(await queue.counts()).toEqual({ pending: 0, failed: 0 })
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
    expect(await queue.counts()).toEqual({ pending: 1, failed: 1 })
    expect(await queue.nextDue()).toBe(1000 + backoffMs(1))
    // Not due yet: nothing is attempted.
    expect(await queue.uploadDue(down.fetchFn, 1500)).toEqual([])
    await queue.retryNow(1600)
    const up = fakeServer()
    expect(await queue.uploadDue(up.fetchFn, 1600)).toEqual(["uploaded"])
    expect(await queue.counts()).toEqual({ pending: 0, failed: 0 })
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
