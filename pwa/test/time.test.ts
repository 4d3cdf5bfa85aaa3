import { describe, expect, it } from "vitest"
import { bogotaDay, endOfBogotaDay } from "../src/time"

describe("file names' dates", () => {
  it("use the day in Bogotá, not in UTC", () => {
    // 4 December 2026, 20:30 in Bogotá is already the 5th in UTC.
    const evening = Date.parse("2026-12-05T01:30:00Z")
    expect(bogotaDay(evening)).toBe("2026-12-04")
    expect(bogotaDay(Date.parse("2026-12-05T05:00:00Z"))).toBe("2026-12-05")
  })
})

describe("a token's expiry date", () => {
  it("lasts until the end of that day in Bogotá", () => {
    expect(endOfBogotaDay("2026-12-31")).toBe(Date.parse("2026-12-31T23:59:59.999-05:00"))
    expect(endOfBogotaDay("31/12/2026")).toBeNull()
    expect(endOfBogotaDay("")).toBeNull()
  })
})
