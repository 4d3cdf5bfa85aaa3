// The coordinators' live dispatch board: the open tickets by state, the técnicos and contratistas
// with their workload and last contact, filters, and assignment by drag and drop or by a menu.

import { signal } from "@preact/signals"
import { useEffect, useState } from "preact/hooks"
import {
  BOARD_STATES,
  type BoardTicket,
  type FieldWorker,
  type Filters,
  NONE,
  NO_FILTERS,
  cardFlags,
  columns,
  contactAge,
  countdowns,
  worst,
  dueText,
  filterTickets,
  fromTicketRow,
  workload,
} from "../../board"
import { board, boardError, boardLink, clockSkew, followBoard, showTicket, slaPolicy } from "../../boardLive"
import { calendar } from "../../calendar"
import { dependencias } from "../../catalog"
import { channelLabel, modeLabel, priorityLabel, roleLabel, stateLabel, t } from "../../es"
import { act, messageOf } from "../../officeApi"
import { CHANNELS, PRIORITIES, allowed } from "../../schema"
import { formatDateTime, formatDuration } from "../../time"
import { go } from "../router"
import "./office.css"

/** The filters survive going to a ticket and back. */
const filters = signal<Filters>(NO_FILTERS)

/** The server's time; the screen renders again every 20 s so countdowns and ages move. */
function useNow(): number {
  const [, setTick] = useState(0)
  useEffect(() => {
    const timer = setInterval(() => setTick(n => n + 1), 20_000)
    return () => clearInterval(timer)
  }, [])
  return Date.now() + clockSkew.value
}

function dependenciaName(code: string | null): string {
  if (!code) return ""
  return dependencias.value.find(d => d.code === code)?.name ?? code
}

type Feedback = { kind: "ok" | "error"; text: string } | null

function columnTitle(state: (typeof BOARD_STATES)[number]): string {
  return state === "usuario_ausente" ? t.board.absentColumn : stateLabel[state]
}

function Card(props: {
  ticket: BoardTicket
  workers: FieldWorker[]
  now: number
  onAssign: (ticket: BoardTicket, worker: FieldWorker) => void
}) {
  const tk = props.ticket
  const clocks = countdowns(tk, props.now, calendar.value, slaPolicy.value.targets, slaPolicy.value.pause_while_user_absent)
  const c = worst(clocks)
  const canAssign = allowed("coordinador", tk.state, "asignada")
  const open = () => go(`/casos/${tk.id}`)
  const flags = cardFlags(tk)
  return (
    <li
      class={`board-card${tk.priority ? ` prio-${tk.priority}` : ""}${c ? ` due-${c.level}` : ""}`}
      data-id={tk.id}
      data-number={tk.number}
      data-state={tk.state}
      draggable
      onDragStart={e => {
        e.dataTransfer?.setData("text/plain", tk.id)
        if (e.dataTransfer) e.dataTransfer.effectAllowed = "move"
      }}
    >
      <div class="row-top">
        <a class="number" href={`/casos/${tk.id}`} onClick={e => (e.preventDefault(), open())}>
          {tk.number}
        </a>
        {tk.priority && <span class={`badge prio-${tk.priority}`}>{priorityLabel[tk.priority]}</span>}
        {tk.mode && <span class="badge">{modeLabel[tk.mode]}</span>}
        <span class="badge channel">{channelLabel[tk.channel] ?? tk.channel}</span>
      </div>
      <p class="summary">{tk.summary}</p>
      <p class="meta">
        {[dependenciaName(tk.dependencia), tk.requester_name].filter(Boolean).join(" · ")}
      </p>
      <p class="meta">{t.board.age(formatDuration(props.now - tk.created_at))}</p>
      <p class={`meta assignee${tk.assignee_name ? "" : " none"}`}>
        {tk.assignee_name ? t.board.assignedTo(tk.assignee_name) : t.board.unassigned}
      </p>
      {clocks.map(clock => (
        <p
          key={clock.kind}
          class={`due ${clock.level}`}
          data-clock={clock.kind}
          title={clock.level === "warn" ? t.board.nearDeadline : undefined}
        >
          {clock.level === "warn" && <span aria-hidden="true">⚠ </span>}
          {dueText(clock)}
        </p>
      ))}
      {(flags.length > 0 || tk.next_visit_at) && (
        <p class="flags">
          {flags.includes("formerAssignee") && <span class="flag bad">{t.board.formerAssignee}</span>}
          {flags.includes("contradiction") && <span class="flag bad">{t.board.contradiction}</span>}
          {flags.includes("absent") && <span class="flag">{t.board.absent(tk.absent_visits)}</span>}
          {flags.includes("workshop") && <span class="flag">{t.board.workshop}</span>}
          {flags.includes("contractor") && <span class="flag">{t.board.contractor}</span>}
          {tk.custody_since != null && (
            <span class="flag custody-days">{t.board.custodyDays(Math.max(0, Math.floor((props.now - tk.custody_since) / 86_400_000)))}</span>
          )}
          {tk.next_visit_at && <span class="flag">{t.board.nextVisit(formatDateTime(tk.next_visit_at))}</span>}
        </p>
      )}
      {canAssign && props.workers.length > 0 && (
        <select
          class="assign"
          aria-label={t.board.assignMenu(tk.number)}
          value=""
          onChange={e => {
            const worker = props.workers.find(w => w.id === e.currentTarget.value)
            e.currentTarget.value = ""
            if (worker) props.onAssign(tk, worker)
          }}
        >
          <option value="">{tk.assignee_id ? t.board.reassignPlaceholder : t.board.assignPlaceholder}</option>
          {props.workers
            .filter(w => w.id !== tk.assignee_id)
            .map(w => (
              <option key={w.id} value={w.id}>
                {w.full_name}
              </option>
            ))}
        </select>
      )}
    </li>
  )
}

function Worker(props: {
  worker: FieldWorker
  load: number
  now: number
  onDropTicket: (ticketId: string, worker: FieldWorker) => void
}) {
  const w = props.worker
  const [over, setOver] = useState(false)
  const contact = contactAge(w, props.now)
  return (
    <li
      class={`worker${over ? " drop" : ""}${contact.stale ? " stale" : " online"}`}
      data-worker={w.username}
      data-last-contact={w.last_contact_at ?? ""}
      onDragOver={e => {
        e.preventDefault()
        if (e.dataTransfer) e.dataTransfer.dropEffect = "move"
        setOver(true)
      }}
      onDragLeave={() => setOver(false)}
      onDrop={e => {
        e.preventDefault()
        setOver(false)
        const id = e.dataTransfer?.getData("text/plain")
        if (id) props.onDropTicket(id, w)
      }}
    >
      <p class="worker-name">
        <span class="dot" aria-hidden="true" /> {w.full_name}
      </p>
      <p class="meta">
        {roleLabel[w.role]} · <span class="load">{t.board.openTickets(props.load)}</span>
      </p>
      <p class="meta contact">
        {contact.ms === null
          ? t.board.neverContact
          : contact.ms < 60_000
            ? t.board.lastContactNow
            : t.board.lastContact(formatDuration(contact.ms))}
      </p>
    </li>
  )
}

function Select(props: {
  label: string
  value: string
  onChange: (value: string) => void
  options: readonly (readonly [string, string])[]
}) {
  return (
    <label class="field">
      <span class="label">{props.label}</span>
      <select aria-label={props.label} value={props.value} onChange={e => props.onChange(e.currentTarget.value)}>
        {props.options.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
    </label>
  )
}

export function BoardView() {
  useEffect(() => followBoard(), [])
  const now = useNow()
  const [feedback, setFeedback] = useState<Feedback>(null)
  const data = board.value
  const f = filters.value

  async function assign(ticket: BoardTicket, worker: FieldWorker) {
    if (ticket.assignee_id === worker.id) return
    setFeedback({ kind: "ok", text: t.board.assigning(ticket.number) })
    try {
      const row = await act<Parameters<typeof fromTicketRow>[0]>(ticket.id, { action: "asignada", assignee_id: worker.id })
      showTicket(fromTicketRow(row))
      setFeedback({ kind: "ok", text: t.board.assigned(ticket.number, worker.full_name) })
    } catch (err) {
      setFeedback({ kind: "error", text: t.board.refused(ticket.number, messageOf(err)) })
    }
  }

  const header = (
    <header class="screen-head">
      <h1>{t.board.title}</h1>
      <span class={`link-state ${boardLink.value}`} data-link={boardLink.value} role="status">
        {boardLink.value === "live" ? t.board.live : t.board.connecting}
      </span>
    </header>
  )
  if (!data)
    return (
      <main class="screen wide">
        {header}
        {boardError.value ? (
          <p class="error" role="alert">
            {boardError.value}
          </p>
        ) : (
          <p>{t.board.loading}</p>
        )}
      </main>
    )

  const all = Object.values(data.tickets)
  const shown = filterTickets(all, f)
  const cols = columns(shown)
  const loads = workload(data)
  const set = (key: keyof Filters) => (value: string) => (filters.value = { ...filters.value, [key]: value })
  const depCodes = [...new Set([...dependencias.value.map(d => d.code), ...all.map(x => x.dependencia ?? "").filter(Boolean)])]
  const onDropTicket = (id: string, worker: FieldWorker) => {
    const ticket = data.tickets[id]
    if (ticket) void assign(ticket, worker)
  }

  return (
    <main class="screen wide board">
      {header}
      {feedback && (
        <p class={feedback.kind === "error" ? "error board-feedback" : "ok board-feedback"} role={feedback.kind === "error" ? "alert" : "status"}>
          {feedback.text}
        </p>
      )}
      <section class="board-filters" aria-label={t.board.filters}>
        <Select
          label={t.board.dependencia}
          value={f.dependencia}
          onChange={set("dependencia")}
          options={[["", t.board.allDependencias], ...depCodes.map(c => [c, dependenciaName(c)] as const)]}
        />
        <Select
          label={t.board.assignee}
          value={f.assignee}
          onChange={set("assignee")}
          options={[["", t.board.allAssignees], [NONE, t.board.unassigned], ...data.workers.map(w => [w.id, w.full_name] as const)]}
        />
        <Select
          label={t.board.priority}
          value={f.priority}
          onChange={set("priority")}
          options={[["", t.board.allPriorities], ...PRIORITIES.map(p => [p, priorityLabel[p]] as const), [NONE, t.board.noPriority]]}
        />
        <Select
          label={t.board.channel}
          value={f.channel}
          onChange={set("channel")}
          options={[["", t.board.allChannels], ...CHANNELS.map(c => [c, channelLabel[c]] as const)]}
        />
        <p class="board-count">
          {t.board.shown(shown.length, all.length)}
          {shown.length !== all.length && (
            <button type="button" class="link" onClick={() => (filters.value = NO_FILTERS)}>
              {t.board.clearFilters}
            </button>
          )}
        </p>
      </section>
      <div class="board-layout">
        <aside class="workers" aria-label={t.board.workers}>
          <h2>{t.board.workers}</h2>
          <p class="hint">{t.board.dropHint}</p>
          {data.workers.length === 0 ? (
            <p class="empty">{t.board.noWorkers}</p>
          ) : (
            <ul>
              {data.workers.map(w => (
                <Worker key={w.id} worker={w} load={loads[w.id] ?? 0} now={now} onDropTicket={onDropTicket} />
              ))}
            </ul>
          )}
        </aside>
        <div class="columns">
          {BOARD_STATES.map(state => (
            <section key={state} class="column" data-state={state} aria-label={columnTitle(state)}>
              <h2>
                {columnTitle(state)} <span class="count">{cols[state].length}</span>
              </h2>
              {cols[state].length === 0 ? (
                <p class="empty">{t.board.emptyColumn}</p>
              ) : (
                <ul>
                  {cols[state].map(tk => (
                    <Card key={tk.id} ticket={tk} workers={data.workers} now={now} onAssign={assign} />
                  ))}
                </ul>
              )}
            </section>
          ))}
        </div>
      </div>
    </main>
  )
}
