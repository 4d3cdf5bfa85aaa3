// Business time in America/Bogota, as campo-shared's calendar counts it: the office's working
// windows (GET /api/settings/sla), minus Colombian holidays (GET /api/holidays). Both are cached on
// the phone, so the agenda's countdowns work offline; until fetched, the office's default hours.

import { signal } from "@preact/signals"
import { getJson } from "./api"

export interface Window {
  day: "Mon" | "Tue" | "Wed" | "Thu" | "Fri" | "Sat" | "Sun"
  /** "08:00:00" */
  start: string
  end: string
}

export interface Calendar {
  windows: Window[]
  /** "YYYY-MM-DD": holidays and days the office is closed by decree. */
  holidays: string[]
  /** Days worked with other hours by decree (jornada continua, half days): "YYYY-MM-DD" → hours. */
  special?: Record<string, { start: string; end: string }[]>
}

/** A day of GET /api/holidays. */
interface Day {
  date: string
  kind?: "festivo" | "cierre" | "jornada_especial"
  hours?: { start: string; end: string }[]
}

const DAYS: Window["day"][] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
const BOGOTA_OFFSET_MS = -5 * 3600_000
const DAY_MS = 86_400_000
const KEY = "campo.calendar"

export const DEFAULT_WINDOWS: Window[] = (["Mon", "Tue", "Wed", "Thu", "Fri"] as const).flatMap(day => [
  { day, start: "08:00:00", end: "12:00:00" },
  { day, start: "14:00:00", end: "18:00:00" },
])

function msOfDay(time: string): number {
  const [h = "0", m = "0", s = "0"] = time.split(":")
  return ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000
}

/** Business milliseconds from `from` to `to` (negative when `to` is earlier). */
export function businessMs(from: number, to: number, cal: Calendar): number {
  if (to < from) return -businessMs(to, from, cal)
  const holidays = new Set(cal.holidays)
  let total = 0
  // Local midnight (Bogotá) of the first day; at most two years are walked.
  let dayStart = Math.floor((from + BOGOTA_OFFSET_MS) / DAY_MS) * DAY_MS - BOGOTA_OFFSET_MS
  for (let i = 0; dayStart < to && i < 731; i++, dayStart += DAY_MS) {
    const local = new Date(dayStart + BOGOTA_OFFSET_MS)
    const date = local.toISOString().slice(0, 10)
    if (holidays.has(date)) continue
    const day = DAYS[local.getUTCDay()]
    const special = cal.special?.[date]
    const windows = special ? special.map(h => ({ ...h, day })) : cal.windows
    for (const w of windows) {
      if (w.day !== day) continue
      const start = Math.max(from, dayStart + msOfDay(w.start))
      const end = Math.min(to, dayStart + msOfDay(w.end))
      if (end > start) total += end - start
    }
  }
  return total
}

function read(): Calendar {
  try {
    const cached = JSON.parse(localStorage.getItem(KEY) ?? "null") as Calendar | null
    if (cached?.windows) return cached
  } catch {
    // Fall back to the defaults.
  }
  return { windows: DEFAULT_WINDOWS, holidays: [] }
}

export const calendar = signal<Calendar>(typeof localStorage === "undefined" ? { windows: DEFAULT_WINDOWS, holidays: [] } : read())

export async function refreshCalendar(now = Date.now()): Promise<void> {
  try {
    const year = new Date(now + BOGOTA_OFFSET_MS).getUTCFullYear()
    const [sla, thisYear, nextYear] = await Promise.all([
      getJson<{ windows?: Window[] }>("/api/settings/sla"),
      getJson<Day[]>(`/api/holidays?year=${year}`),
      getJson<Day[]>(`/api/holidays?year=${year + 1}`),
    ])
    const days = [...thisYear, ...nextYear]
    calendar.value = {
      windows: sla.windows && sla.windows.length > 0 ? sla.windows : DEFAULT_WINDOWS,
      holidays: days.filter(d => d.kind !== "jornada_especial").map(d => d.date),
      special: Object.fromEntries(days.filter(d => d.kind === "jornada_especial").map(d => [d.date, d.hours ?? []])),
    }
    localStorage.setItem(KEY, JSON.stringify(calendar.value))
  } catch {
    // Offline: keep the cached calendar.
  }
}
