// Dates and times as people in Colombia read them: es-CO, America/Bogota (UTC−5 all year).

const ZONE = "America/Bogota"
const BOGOTA_OFFSET_MS = -5 * 3600_000

const dateTime = new Intl.DateTimeFormat("es-CO", {
  timeZone: ZONE,
  day: "numeric",
  month: "short",
  hour: "numeric",
  minute: "2-digit",
})
const dateOnly = new Intl.DateTimeFormat("es-CO", { timeZone: ZONE, day: "numeric", month: "long", year: "numeric" })

export function formatDateTime(ms: number): string {
  return dateTime.format(new Date(ms))
}

export function formatDate(ms: number): string {
  return dateOnly.format(new Date(ms))
}

/** A duration as "2 h 15 min", "3 d 4 h" or "12 min". */
export function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.round(Math.abs(ms) / 60_000))
  const days = Math.floor(minutes / 1440)
  const hours = Math.floor((minutes % 1440) / 60)
  const mins = minutes % 60
  if (days > 0) return hours > 0 ? `${days} d ${hours} h` : `${days} d`
  if (hours > 0) return mins > 0 ? `${hours} h ${mins} min` : `${hours} h`
  return `${mins} min`
}

/** The calendar day of an instant in Bogotá, "2026-12-04": for file names (never the UTC day,
 * which is already tomorrow from 19:00 in Bogotá). */
export function bogotaDay(ms: number): string {
  return new Date(ms + BOGOTA_OFFSET_MS).toISOString().slice(0, 10)
}

/** The value of an `<input type="datetime-local">` for an instant, in Bogotá time. */
export function toBogotaInput(ms: number): string {
  return new Date(ms + BOGOTA_OFFSET_MS).toISOString().slice(0, 16)
}

/** The instant of an `<input type="datetime-local">` value read as Bogotá time; null if invalid. */
export function fromBogotaInput(value: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return null
  const ms = Date.parse(`${value}:00Z`)
  return Number.isNaN(ms) ? null : ms - BOGOTA_OFFSET_MS
}

/** The last millisecond of the day of an `<input type="date">` value (yyyy-mm-dd) in Bogotá; null if invalid. */
export function endOfBogotaDay(value: string): number | null {
  const start = fromBogotaInput(`${value}T00:00`)
  return start === null ? null : start + 86_400_000 - 1
}
