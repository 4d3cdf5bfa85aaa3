import { describe, expect, it } from "vitest"
import { fromBase64Url } from "../src/push"

describe("the server's push key", () => {
  it("is read from base64url without padding, as GET /api/push/key gives it", () => {
    expect([...fromBase64Url("Zm9vYmFy")]).toEqual([...new TextEncoder().encode("foobar")])
    expect([...fromBase64Url("Zm9vYg")]).toEqual([...new TextEncoder().encode("foob")])
    expect([...fromBase64Url("-_8")]).toEqual([0xfb, 0xff])
    const point = "BM3q" + "A".repeat(83)
    expect(fromBase64Url(point).length).toBe(65)
  })
})
