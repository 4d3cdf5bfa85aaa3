import { describe, expect, it } from "vitest"
import {
  formatChange,
  formatNumber,
  formatPercent,
  formatReportTime,
  lastMonth,
  monthDays,
  paramsFromSearch,
  parseNumber,
  periodEnd,
  periodError,
  reportQuery,
} from "../src/report"

/** An instant given in Bogotá time (UTC−5). */
const bogota = (text: string) => Date.parse(`${text}-05:00`)

describe("the report's period", () => {
  it("defaults to last month in Bogotá", () => {
    expect(lastMonth(bogota("2026-11-27T15:00:00"))).toBe("2026-10")
    expect(lastMonth(bogota("2026-01-01T00:30:00"))).toBe("2025-12")
    // 1 December 02:00 UTC is still 30 November in Bogotá.
    expect(lastMonth(Date.parse("2026-12-01T02:00:00Z"))).toBe("2026-10")
    const p = paramsFromSearch("", bogota("2026-03-10T09:00:00"))
    expect(p).toMatchObject({ mode: "month", month: "2026-02", from: "2026-02-01", to: "2026-02-28" })
    expect(reportQuery(p)).toBe("month=2026-02")
  })

  it("knows the days of a month", () => {
    expect(monthDays("2028-02")).toEqual({ from: "2028-02-01", to: "2028-02-29" })
    expect(monthDays("2026-12")).toEqual({ from: "2026-12-01", to: "2026-12-31" })
    expect(monthDays("2026-13")).toBeNull()
    expect(monthDays("")).toBeNull()
  })

  it("reads and writes the address with the filters given", () => {
    const now = bogota("2026-11-27T15:00:00")
    const p = paramsFromSearch("from=2026-10-05&to=2026-10-11&dependencia=HACIENDA&priority=alta", now)
    expect(p).toMatchObject({ mode: "range", from: "2026-10-05", to: "2026-10-11", dependencia: "HACIENDA", priority: "alta" })
    expect(reportQuery(p)).toBe("from=2026-10-05&to=2026-10-11&dependencia=HACIENDA&priority=alta")
    const q = paramsFromSearch("month=2026-09&category=Red+y+conectividad&assignee=u-1&channel=phone", now)
    expect(reportQuery(q)).toBe("month=2026-09&category=Red+y+conectividad&channel=phone&assignee=u-1")
  })

  it("explains a period it cannot ask for, in Spanish", () => {
    const base = paramsFromSearch("", bogota("2026-11-27T15:00:00"))
    expect(periodError(base)).toBeNull()
    expect(periodError({ ...base, month: "" })).toBe("Elija el mes del informe.")
    const range = { ...base, mode: "range" as const }
    expect(periodError({ ...range, from: "2026-10-01", to: "" })).toBe("Indique las dos fechas del rango: desde y hasta.")
    expect(periodError({ ...range, from: "2026-10-31", to: "2026-10-01" })).toBe(
      "La fecha inicial es posterior a la final: inviértalas.",
    )
    expect(periodError({ ...range, from: "2026-01-01", to: "2026-12-31" })).toBeNull()
    expect(periodError({ ...range, from: "2025-01-01", to: "2026-06-30" })).toContain("tiene 546 días")
  })

  it("ends at midnight in Bogotá after its last day", () => {
    expect(periodEnd({ from: "2026-10-01", to: "2026-10-31", label: "octubre de 2026" })).toBe(bogota("2026-11-01T00:00:00"))
  })
})

describe("the report's numbers, as read in es-CO", () => {
  it("formats counts, decimals and percentages", () => {
    expect(formatNumber(7)).toBe("7")
    expect(formatNumber(12345)).toBe("12.345")
    expect(formatNumber(4.27, 2)).toBe("4,27")
    expect(formatNumber(13.8, 1)).toBe("13,8")
    expect(formatNumber(null)).toBe("—")
    expect(formatPercent(62.5)).toBe("62,5 %")
    expect(formatPercent(null)).toBe("—")
  })

  it("shows the change from the previous period with its sign", () => {
    expect(formatChange(10, 3)).toBe("+7")
    expect(formatChange(2, 2)).toBe("0")
    expect(formatChange(75, 100, 1)).toBe("\u221225,0")
    expect(formatChange(4.27, 4.67, 2)).toBe("\u22120,40")
    expect(formatChange(null, 4.67, 2)).toBe("—")
  })

  it("reads back what it writes", () => {
    for (const [value, decimals] of [
      [12345, 0],
      [4.27, 2],
      [-25, 1],
      [0, 0],
    ] as const)
      expect(parseNumber(formatNumber(value, decimals))).toBe(value)
    expect(parseNumber("75,0 %")).toBe(75)
    expect(parseNumber("—")).toBeNull()
  })

  it("writes times as the report's files do", () => {
    expect(formatReportTime(bogota("2026-10-01T09:30:00"))).toBe("01/10/2026 09:30")
    expect(formatReportTime(bogota("2026-10-01T15:05:00"))).toBe("01/10/2026 15:05")
    expect(formatReportTime(null)).toBe("")
  })
})
