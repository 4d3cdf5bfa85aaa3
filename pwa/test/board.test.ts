import { describe, expect, it } from "vitest"
import {
  type BoardTicket,
  type FieldWorker,
  DEFAULT_TARGETS,
  NONE,
  NO_FILTERS,
  OFFLINE_AFTER_MS,
  applyEvent,
  cardFlags,
  columns,
  contactAge,
  countdowns,
  worst,
  dueText,
  filterTickets,
  fromSnapshot,
  fromTicketRow,
  workload,
} from "../src/board"
import { DEFAULT_WINDOWS } from "../src/calendar"
import { fromForm, parseHours, formatHours, toForm } from "../src/settings"

const cal = { windows: DEFAULT_WINDOWS, holidays: [] }
/** Monday 2 March 2026 at `hh:mm` in Bogotá (UTC−5). */
const monday = (hh: number, mm = 0) => Date.UTC(2026, 2, 2, hh + 5, mm)
const MIN = 60_000

function ticket(over: Partial<BoardTicket> = {}): BoardTicket {
  return {
    id: "doc1",
    number: "SAT-2026-000001",
    state: "registrada",
    priority: null,
    mode: null,
    channel: "intranet",
    category: "Hardware",
    summary: "El computador no enciende",
    dependencia: "HACIENDA",
    requester_name: "María Fernanda López",
    assignee_id: null,
    assignee_name: null,
    created_at: monday(8),
    responded_at: null,
    response_due: null,
    resolution_due: null,
    next_visit_at: null,
    visits: 0,
    absent_visits: 0,
    workshop_sends: 0,
    contractor_sends: 0,
    equipment_returns: 0,
    custody_since: null,
    flags: [],
    updated_at: monday(8),
    ...over,
  }
}

const worker = (id: string, over: Partial<FieldWorker> = {}): FieldWorker => ({
  id,
  username: id,
  full_name: id,
  role: "tecnico",
  open_tickets: 0,
  last_contact_at: null,
  ...over,
})

const snapshot = () =>
  fromSnapshot({
    last_event_id: 7,
    now: monday(9),
    tickets: [ticket(), ticket({ id: "doc2", number: "SAT-2026-000002", state: "asignada", assignee_id: "t1", assignee_name: "t1" })],
    field_workers: [worker("t1"), worker("t2", { last_contact_at: monday(7) })],
  })

describe("board events", () => {
  it("puts a ticket's new row in its place, and a new ticket on the board", () => {
    const b = snapshot()
    const moved = applyEvent(b, "ticket", ticket({ state: "pendiente", priority: "alta", updated_at: monday(9) }))
    expect(moved.tickets.doc1?.state).toBe("pendiente")
    expect(moved.tickets.doc1?.priority).toBe("alta")
    expect(b.tickets.doc1?.state).toBe("registrada") // the snapshot itself is not changed
    const added = applyEvent(moved, "ticket", ticket({ id: "doc3", updated_at: monday(9, 5) }))
    expect(Object.keys(added.tickets).sort()).toEqual(["doc1", "doc2", "doc3"])
  })

  it("takes closed and cancelled tickets off the board", () => {
    let b = snapshot()
    b = applyEvent(b, "ticket", ticket({ state: "anulada", updated_at: monday(9) }))
    b = applyEvent(b, "ticket", ticket({ id: "doc2", state: "cerrada", updated_at: monday(9) }))
    expect(b.tickets).toEqual({})
  })

  it("ignores a row older than the one shown (an event replayed after a fresher snapshot)", () => {
    const b = applyEvent(snapshot(), "ticket", ticket({ state: "pendiente", updated_at: monday(9) }))
    const again = applyEvent(b, "ticket", ticket({ state: "registrada", updated_at: monday(8, 30) }))
    expect(again.tickets.doc1?.state).toBe("pendiente")
  })

  it("moves a worker's last contact forward only", () => {
    let b = applyEvent(snapshot(), "contact", { user_id: "t2", at: monday(9) })
    expect(b.workers.find(w => w.id === "t2")?.last_contact_at).toBe(monday(9))
    b = applyEvent(b, "contact", { user_id: "t2", at: monday(8) })
    expect(b.workers.find(w => w.id === "t2")?.last_contact_at).toBe(monday(9))
    // Contacts of coordinators or officials are not on the board.
    expect(applyEvent(b, "contact", { user_id: "coordinador", at: monday(10) })).toBe(b)
  })

  it("reads the API's row (flags as flag_kinds) like the stream's", () => {
    const { flags: _, ...rest } = ticket()
    const row = fromTicketRow({ ...rest, flag_kinds: "segundo_cierre,visita_abierta" })
    expect(row.flags).toEqual(["segundo_cierre", "visita_abierta"])
    expect(fromTicketRow({ ...rest, flag_kinds: "" }).flags).toEqual([])
  })

  it("counts each worker's open tickets from the board", () => {
    let b = snapshot()
    expect(workload(b)).toEqual({ t1: 1 })
    b = applyEvent(b, "ticket", ticket({ state: "asignada", assignee_id: "t2", assignee_name: "t2", updated_at: monday(9) }))
    b = applyEvent(b, "ticket", ticket({ id: "doc2", state: "cerrada", assignee_id: "t1", updated_at: monday(9) }))
    expect(workload(b)).toEqual({ t2: 1 })
  })
})

describe("filters and columns", () => {
  const tickets = [
    ticket({ id: "a", priority: "alta", channel: "phone", dependencia: "SALUD", assignee_id: "t1", state: "asignada" }),
    ticket({ id: "b", priority: "baja", channel: "glpi", dependencia: "HACIENDA", state: "pendiente" }),
    ticket({ id: "c", priority: null, channel: "intranet", dependencia: "HACIENDA" }),
  ]
  const ids = (list: BoardTicket[]) => list.map(t => t.id)

  it("keeps everything without filters", () => {
    expect(ids(filterTickets(tickets, NO_FILTERS))).toEqual(["a", "b", "c"])
  })

  it("filters by dependencia, technician, priority and channel, together", () => {
    expect(ids(filterTickets(tickets, { ...NO_FILTERS, dependencia: "HACIENDA" }))).toEqual(["b", "c"])
    expect(ids(filterTickets(tickets, { ...NO_FILTERS, assignee: "t1" }))).toEqual(["a"])
    expect(ids(filterTickets(tickets, { ...NO_FILTERS, assignee: NONE }))).toEqual(["b", "c"])
    expect(ids(filterTickets(tickets, { ...NO_FILTERS, priority: NONE }))).toEqual(["c"])
    expect(ids(filterTickets(tickets, { ...NO_FILTERS, channel: "glpi" }))).toEqual(["b"])
    expect(ids(filterTickets(tickets, { ...NO_FILTERS, dependencia: "HACIENDA", priority: "baja" }))).toEqual(["b"])
  })

  it("sorts a column by priority, then the nearest deadline, then age", () => {
    const cols = columns([
      ticket({ id: "old-baja", priority: "baja", created_at: 1 }),
      ticket({ id: "alta-later", priority: "alta", response_due: monday(11) }),
      ticket({ id: "alta-sooner", priority: "alta", response_due: monday(10) }),
      ticket({ id: "none", priority: null, created_at: 0 }),
      ticket({ id: "away", state: "usuario_ausente" }),
    ])
    expect(ids(cols.registrada)).toEqual(["alta-sooner", "alta-later", "old-baja", "none"])
    expect(ids(cols.usuario_ausente)).toEqual(["away"])
    expect(cols.resuelta).toEqual([])
  })
})

describe("SLA clocks", () => {
  const alta = ticket({ priority: "alta", state: "pendiente", response_due: monday(10), resolution_due: monday(17) })
  const clocks = (t: BoardTicket, at: number, pause = true) => countdowns(t, at, cal, DEFAULT_TARGETS, pause)

  it("counts both clocks down from reception, in business time", () => {
    expect(clocks(alta, monday(9))).toEqual([
      { kind: "response", remainingMs: 60 * MIN, level: "ok" },
      // 09:00 to 17:00 less the lunch break.
      { kind: "resolution", remainingMs: 6 * 60 * MIN, level: "ok" },
    ])
  })

  it("warns from the moment the server computed, and says when a clock is overdue", () => {
    const warned = { ...alta, response_warn_at: monday(9, 45), resolution_warn_at: monday(15, 30) }
    expect(clocks(warned, monday(9, 44))[0]?.level).toBe("ok")
    expect(clocks(warned, monday(9, 45))[0]?.level).toBe("warn")
    expect(clocks(warned, monday(10, 20))[0]).toEqual({ kind: "response", remainingMs: -20 * MIN, level: "overdue" })
    expect(worst(clocks(warned, monday(10, 20)))?.kind).toBe("response")
    // An older server sends no warning moment: a quarter of the target left.
    expect(clocks(alta, monday(9, 45))[0]?.level).toBe("warn")
  })

  it("stops the response clock once the case is taken, and skips the lunch break", () => {
    const taken = { ...alta, state: "asignada" as const, responded_at: monday(9, 30), response_warn_at: null, resolution_due: monday(14, 10) }
    expect(clocks(taken, monday(11, 50))).toEqual([{ kind: "resolution", remainingMs: 20 * MIN, level: "warn" }])
    expect(clocks({ ...taken, resolution_due: monday(17), resolution_warn_at: monday(16) }, monday(11))[0]?.level).toBe("ok")
  })

  it("pauses the resolution clock while the case waits for an absent user, when the policy says so", () => {
    const away = { ...alta, state: "usuario_ausente" as const, responded_at: monday(9, 30), response_warn_at: null }
    expect(clocks(away, monday(11))[0]?.level).toBe("paused")
    expect(clocks(away, monday(11), false)[0]?.level).toBe("ok")
  })

  it("runs the reception target before triage, and shows nothing once resolved", () => {
    const received = ticket({ response_due: monday(10), response_warn_at: monday(9, 30) })
    expect(clocks(received, monday(9, 40))).toEqual([{ kind: "response", remainingMs: 20 * MIN, level: "warn" }])
    expect(clocks(ticket(), monday(9))).toEqual([])
    expect(clocks({ ...alta, state: "resuelta" }, monday(9))).toEqual([])
  })
})

describe("cards and workers", () => {
  it("flags contradictions, absent visits and equipment away", () => {
    expect(cardFlags(ticket())).toEqual([])
    expect(cardFlags(ticket({ flags: ["segundo_cierre"], absent_visits: 2, state: "en_taller" }))).toEqual([
      "contradiction",
      "absent",
      "workshop",
    ])
    expect(cardFlags(ticket({ state: "con_contratista" }))).toEqual(["contractor"])
    // Work of a técnico no longer assigned is named apart from other contradictions.
    expect(cardFlags(ticket({ flags: ["tecnico_no_asignado"] }))).toEqual(["formerAssignee"])
    expect(cardFlags(ticket({ flags: ["tecnico_no_asignado", "caso_cerrado"] }))).toEqual(["formerAssignee", "contradiction"])
  })

  it("tells a worker whose phone has not reached the server for a while", () => {
    const now = monday(12)
    expect(contactAge(worker("t1"), now)).toEqual({ ms: null, stale: true })
    expect(contactAge(worker("t1", { last_contact_at: now - 5 * MIN }), now)).toEqual({ ms: 5 * MIN, stale: false })
    expect(contactAge(worker("t1", { last_contact_at: now - OFFLINE_AFTER_MS - MIN }), now).stale).toBe(true)
  })
})

describe("SLA settings form", () => {
  it("shows business minutes as hours and reads them back, with a decimal comma or point", () => {
    expect(formatHours(90)).toBe("1,5")
    expect(formatHours(2400)).toBe("40")
    expect(parseHours("1,5")).toBe(90)
    expect(parseHours(" 0.25 ")).toBe(15)
    expect(parseHours("0")).toBeNull()
    expect(parseHours("una hora")).toBeNull()
    expect(parseHours("-2")).toBeNull()
  })

  it("round-trips the policy and orders the windows by weekday", () => {
    const policy = {
      targets: DEFAULT_TARGETS,
      pause_while_user_absent: false,
      windows: [
        { day: "Tue" as const, start: "14:00:00", end: "18:00:00" },
        { day: "Mon" as const, start: "08:00:00", end: "12:00:00" },
      ],
    }
    const form = toForm(policy)
    expect(form.hours.media).toEqual({ response: "4", resolution: "24" })
    expect(form.windows[0]).toEqual({ day: "Tue", start: "14:00", end: "18:00" })
    // An older server's policy gets the default reception target and warning share.
    expect(fromForm(form)).toEqual({
      policy: { ...policy, windows: [policy.windows[1], policy.windows[0]], reception_minutes: 120, warn_percent: 75 },
    })
    form.reception = "0,5"
    form.warn = "100"
    expect(fromForm(form)).toEqual({ invalid: ["warn"] })
    form.warn = "80"
    expect(fromForm(form)).toMatchObject({ policy: { reception_minutes: 30, warn_percent: 80 } })
  })

  it("names every invalid field instead of sending", () => {
    const form = toForm({ targets: DEFAULT_TARGETS, pause_while_user_absent: true, windows: DEFAULT_WINDOWS })
    form.hours.alta.response = ""
    form.hours.baja.resolution = "cinco días"
    form.windows[1] = { day: "Mon", start: "", end: "18:00" }
    expect(fromForm(form)).toEqual({ invalid: ["alta.response", "baja.resolution", "windows.1"] })
  })
})

describe("countdown text", () => {
  it("says how long is left or how late, in business time", () => {
    expect(dueText({ kind: "resolution", remainingMs: 135 * 60_000, level: "ok" })).toBe("Solución: vence en 2 h 15 min hábiles")
    expect(dueText({ kind: "response", remainingMs: -90 * 60_000, level: "overdue" })).toBe("Respuesta: vencida hace 1 h 30 min hábiles")
    expect(dueText({ kind: "resolution", remainingMs: 0, level: "paused" })).toBe("Solución: plazo detenido mientras el usuario está ausente")
  })

  it("says only «vencida» while less than a business minute has passed since the deadline", () => {
    // A deadline at 5 p.m.: all night long no business time passes.
    expect(dueText({ kind: "resolution", remainingMs: 0, level: "overdue" })).toBe("Solución: vencida")
    expect(dueText({ kind: "response", remainingMs: -59_000, level: "overdue" })).toBe("Respuesta: vencida")
  })
})
