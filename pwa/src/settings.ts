// The SLA settings form's conversions, pure: business minutes shown as hours ("1,5"), the
// working windows as the time inputs show them, and back to campo-shared's `SlaPolicy`.

import type { Window } from "./calendar"
import type { Priority } from "./schema"
import type { Targets } from "./board"

export interface SlaPolicy {
  targets: Targets
  pause_while_user_absent: boolean
  windows: Window[]
  /** Business minutes to take charge of a request not yet triaged. */
  reception_minutes?: number
  /** At what share of each deadline (%) the coordinators are warned. */
  warn_percent?: number
}

const DEFAULT_RECEPTION_MINUTES = 120
const DEFAULT_WARN_PERCENT = 75

/** 90 → "1,5"; 480 → "8" (hours, es-CO decimal comma, at most two decimals). */
export function formatHours(minutes: number): string {
  return String(Math.round((minutes / 60) * 100) / 100).replace(".", ",")
}

/** "1,5" or "1.5" → 90 minutes; null unless a number of hours above zero. */
export function parseHours(text: string): number | null {
  const s = text.trim().replace(",", ".")
  if (!/^\d+(\.\d+)?$/.test(s)) return null
  const minutes = Math.round(Number(s) * 60)
  return minutes > 0 ? minutes : null
}

/** The form's state: hours as typed, windows as "HH:MM". */
export interface SlaForm {
  hours: Record<Priority, { response: string; resolution: string }>
  pause: boolean
  windows: { day: Window["day"]; start: string; end: string }[]
  /** Hours as typed. */
  reception: string
  /** Percent as typed. */
  warn: string
}

export function toForm(p: SlaPolicy): SlaForm {
  const row = (priority: Priority) => ({
    response: formatHours(p.targets[priority].response_minutes),
    resolution: formatHours(p.targets[priority].resolution_minutes),
  })
  return {
    hours: { alta: row("alta"), media: row("media"), baja: row("baja") },
    pause: p.pause_while_user_absent,
    windows: p.windows.map(w => ({ day: w.day, start: w.start.slice(0, 5), end: w.end.slice(0, 5) })),
    reception: formatHours(p.reception_minutes ?? DEFAULT_RECEPTION_MINUTES),
    warn: String(p.warn_percent ?? DEFAULT_WARN_PERCENT),
  }
}

const DAY_ORDER: Window["day"][] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

/**
 * The policy to PUT, or the fields that are not valid (`alta.response`, `windows.3`…). Windows go in
 * weekday order; the server checks that they neither overlap nor end before they start.
 */
export function fromForm(f: SlaForm): { policy: SlaPolicy } | { invalid: string[] } {
  const invalid: string[] = []
  const targets = {} as Targets
  for (const priority of ["alta", "media", "baja"] as const) {
    const response = parseHours(f.hours[priority].response)
    const resolution = parseHours(f.hours[priority].resolution)
    if (response === null) invalid.push(`${priority}.response`)
    if (resolution === null) invalid.push(`${priority}.resolution`)
    targets[priority] = { response_minutes: response ?? 0, resolution_minutes: resolution ?? 0 }
  }
  const reception = parseHours(f.reception)
  if (reception === null) invalid.push("reception")
  const warn = /^\d{1,2}$/.test(f.warn.trim()) ? Number(f.warn.trim()) : null
  if (warn === null || warn < 1 || warn > 99) invalid.push("warn")
  f.windows.forEach((w, i) => {
    if (!/^\d{2}:\d{2}$/.test(w.start) || !/^\d{2}:\d{2}$/.test(w.end)) invalid.push(`windows.${i}`)
  })
  if (invalid.length > 0) return { invalid }
  const windows = [...f.windows]
    .sort((a, b) => DAY_ORDER.indexOf(a.day) - DAY_ORDER.indexOf(b.day) || a.start.localeCompare(b.start))
    .map(w => ({ day: w.day, start: `${w.start}:00`, end: `${w.end}:00` }))
  return {
    policy: {
      targets,
      pause_while_user_absent: f.pause,
      windows,
      reception_minutes: reception ?? DEFAULT_RECEPTION_MINUTES,
      warn_percent: warn ?? DEFAULT_WARN_PERCENT,
    },
  }
}
