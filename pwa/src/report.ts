// The monthly report page's model: the period and filters it asks `/api/reports/monthly` for (kept
// in the page's address, so a report can be bookmarked or shared), the shape of the answer, and
// how its numbers read in es-CO. Pure, so it is unit-tested.

import { t } from "./es"

/** What the coordinator asks for: a month or a range of days, and the filters ("" = any). */
export interface ReportParams {
  mode: "month" | "range"
  /** AAAA-MM */
  month: string
  /** AAAA-MM-DD */
  from: string
  /** AAAA-MM-DD */
  to: string
  dependencia: string
  category: string
  channel: string
  /** The technician's or contractor's user id. */
  assignee: string
  priority: string
}

export const FILTERS = ["dependencia", "category", "channel", "assignee", "priority"] as const

/** The longest period the server accepts, in days. */
export const MAX_DAYS = 366

const DAY_MS = 86_400_000
const BOGOTA_OFFSET_MS = -5 * 3600_000

/** The calendar month before the one `now` falls in, in Bogotá: "2026-10" on any day of November 2026. */
export function lastMonth(now: number): string {
  const bogota = new Date(now + BOGOTA_OFFSET_MS)
  const year = bogota.getUTCFullYear()
  const month = bogota.getUTCMonth() // 0-based: this month's index is last month's number
  return month === 0 ? `${year - 1}-12` : `${year}-${String(month).padStart(2, "0")}`
}

/** First and last day of a month "AAAA-MM", as "AAAA-MM-DD"; null if it is not a month. */
export function monthDays(month: string): { from: string; to: string } | null {
  const m = /^(\d{4})-(\d{2})$/.exec(month)
  if (!m) return null
  const year = Number(m[1])
  const index = Number(m[2]) - 1
  if (index < 0 || index > 11) return null
  const last = new Date(Date.UTC(year, index + 1, 0)).getUTCDate()
  return { from: `${month}-01`, to: `${month}-${String(last).padStart(2, "0")}` }
}

/** The params in an address's query (`?month=…` or `?from=…&to=…`, and the filters); last month by default. */
export function paramsFromSearch(search: string, now: number): ReportParams {
  const q = new URLSearchParams(search)
  const month = q.get("month") ?? ""
  const from = q.get("from") ?? ""
  const to = q.get("to") ?? ""
  const range = month === "" && (from !== "" || to !== "")
  const fallback = lastMonth(now)
  const days = monthDays(month || fallback)
  return {
    mode: range ? "range" : "month",
    month: range ? fallback : month || fallback,
    from: range ? from : (days?.from ?? ""),
    to: range ? to : (days?.to ?? ""),
    dependencia: q.get("dependencia") ?? "",
    category: q.get("category") ?? "",
    channel: q.get("channel") ?? "",
    assignee: q.get("assignee") ?? "",
    priority: q.get("priority") ?? "",
  }
}

/** The query string every report address takes for these params (the period, then the filters given). */
export function reportQuery(p: ReportParams): string {
  const q = new URLSearchParams()
  if (p.mode === "month") q.set("month", p.month)
  else {
    q.set("from", p.from)
    q.set("to", p.to)
  }
  for (const name of FILTERS) if (p[name] !== "") q.set(name, p[name])
  return q.toString()
}

function dayNumber(date: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return null
  const ms = Date.parse(`${date}T00:00:00Z`)
  return Number.isNaN(ms) ? null : Math.round(ms / DAY_MS)
}

/** Why the period cannot be asked for, in Spanish; null when it can. */
export function periodError(p: ReportParams): string | null {
  if (p.mode === "month") return monthDays(p.month) ? null : t.monthly.missingMonth
  const from = dayNumber(p.from)
  const to = dayNumber(p.to)
  if (from === null || to === null) return t.monthly.missingDates
  if (from > to) return t.monthly.inverted
  const days = to - from + 1
  return days > MAX_DAYS ? t.monthly.tooLong(days) : null
}

// The answer of GET /api/reports/monthly (server/src/reports/figures.rs).

export interface PeriodInfo {
  from: string
  to: string
  label: string
}

export interface Headline {
  received: number
  resolved: number
  closed: number
  cancelled: number
  open_at_end: number
  carried_over: number
  visits: number
  absent_visits: number
  response_on_time: number | null
  resolution_on_time: number | null
  satisfaction: number | null
}

export interface Breakdown {
  key: string
  label: string
  received: number
  resolved: number
  open_at_end: number
}

export interface Compliance {
  on_time: number
  late: number
  rate: number | null
  overdue_open: number
  /** Open at the end, the deadline still ahead (absent from older servers). */
  running?: number
}

export interface TimeStats {
  count: number
  average_hours: number | null
  median_hours: number | null
  p90_hours?: number | null
}

export interface SatisfactionGroup {
  key: string
  label: string
  eligible: number
  answered: number
  response_rate: number | null
  averages: (number | null)[]
  average: number | null
}

export type ResolutionMode = "phone" | "on_site" | "workshop" | "contractor"
export type SlaOutcome = "on_time" | "late" | "pending" | "overdue" | "not_applicable"

export interface GeneralReport {
  period: PeriodInfo
  previous_period: PeriodInfo
  as_of: number
  headline: Headline
  previous: Headline
  by_dependencia: Breakdown[]
  by_category: Breakdown[]
  by_channel: Breakdown[]
  by_priority: Breakdown[]
  by_assignee: Breakdown[]
  resolution_modes: Record<ResolutionMode, number>
  sla: { response: Compliance; resolution: Compliance }
  times: { response: TimeStats; resolution: TimeStats }
  visits: { total: number; absent: number; revisits: number }
  equipment: {
    workshop_sends: number
    contractor_sends: number
    returns: number
    out_at_end: number
    custody_days: number
  }
  satisfaction: {
    overall: SatisfactionGroup
    questions: string[]
    /** The words of the answers 1 to 5 (`SurveyAnswers::SCALE`; absent from older servers). */
    scale?: string[]
    by_assignee: SatisfactionGroup[]
    by_dependencia: SatisfactionGroup[]
  }
  daily: { date: string; received: number; resolved: number }[]
  /** The office's closures by decree in the period (absent from older servers). */
  closures?: { date: string; hours: { start: string; end: string }[]; reason: string }[]
  /** The SLA policy versions that measured the period's cases, with how many each. */
  policies?: { effective_from: number; cases: number }[]
}

export interface DetailRow {
  number: string
  created_at: number
  requester: string
  dependencia: string
  equipment: string
  category: string
  channel: string
  priority: string
  assignee: string
  state: string
  summary: string
  visits: number
  absent_visits: number
  responded_at: number | null
  resolved_at: number | null
  closed_at: number | null
  cancelled_at: number | null
  resolution: string
  solution: string
  response_sla: SlaOutcome
  resolution_sla: SlaOutcome
  resolution_hours: number | null
  survey: (number | null)[]
}

export interface ReportChart {
  name: string
  title: string
  url: string
  svg: string
}

export interface MonthlyReport {
  organisation: string
  generated: string
  filters: string
  general: GeneralReport
  detail: DetailRow[]
  charts: ReportChart[]
}

/** The first instant after the period (00:00 in Bogotá of the day after `to`). */
export function periodEnd(period: PeriodInfo): number {
  return Date.parse(`${period.to}T00:00:00Z`) + DAY_MS - BOGOTA_OFFSET_MS
}

// Numbers as people read them in es-CO: thousands with ".", decimals with ",", "—" for nothing.

const MINUS = "\u2212"
const formats = new Map<number, Intl.NumberFormat>()

function numberFormat(decimals: number): Intl.NumberFormat {
  let f = formats.get(decimals)
  if (!f) {
    f = new Intl.NumberFormat("es-CO", { minimumFractionDigits: decimals, maximumFractionDigits: decimals })
    formats.set(decimals, f)
  }
  return f
}

/** "1.234", "4,27", or "—" for no value. Negative numbers take a real minus sign. */
export function formatNumber(value: number | null, decimals = 0): string {
  if (value === null) return "—"
  const f = 10 ** decimals
  const rounded = Math.round(value * f) / f
  const text = numberFormat(decimals).format(Math.abs(rounded))
  return rounded < 0 ? `${MINUS}${text}` : text
}

/** "75,0 %", or "—". */
export function formatPercent(value: number | null): string {
  return value === null ? "—" : `${formatNumber(value, 1)} %`
}

/** The change from `previous` to `current`: "+7", "−25,0", "0", or "—" when either is missing. */
export function formatChange(current: number | null, previous: number | null, decimals = 0): string {
  if (current === null || previous === null) return "—"
  const f = 10 ** decimals
  const change = Math.round((current - previous) * f) / f
  const text = formatNumber(change, decimals)
  return change > 0 ? `+${text}` : text
}

/** Reads back a number as `formatNumber` writes it ("1.234" → 1234, "4,27" → 4.27, "—" → null). */
export function parseNumber(text: string): number | null {
  const clean = text.replace(/\s|%/g, "").replace(MINUS, "-")
  if (clean === "—" || clean === "") return null
  const n = Number(clean.replace(/\./g, "").replace(",", "."))
  return Number.isNaN(n) ? null : n
}

const dateTime = new Intl.DateTimeFormat("es-CO", {
  timeZone: "America/Bogota",
  day: "2-digit",
  month: "2-digit",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
})

/** "01/10/2026 09:30" in Bogotá, as the report's files write it; "" for none. */
export function formatReportTime(ms: number | null): string {
  if (ms === null) return ""
  const parts = Object.fromEntries(dateTime.formatToParts(new Date(ms)).map(p => [p.type, p.value]))
  return `${parts.day}/${parts.month}/${parts.year} ${parts.hour}:${parts.minute}`
}
