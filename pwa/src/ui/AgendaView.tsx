import { agenda, cachedAgenda, isNew, type AgendaTicket } from "../agenda"
import { businessMs, calendar } from "../calendar"
import { dependenciaName } from "../catalog"
import { priorityLabel, stateLabel, t } from "../es"
import { fold } from "../schema"
import { docsVersion, loadedTicket, pendingByDoc, plainDoc } from "../sync"
import { formatDateTime, formatDuration } from "../time"
import { Screen } from "./common"
import { PushControl } from "./PushControl"
import { go, ticketPath } from "./router"

const PRIORITY_ORDER: Record<string, number> = { alta: 0, media: 1, baja: 2 }

/** By priority, then by the nearest resolution deadline. */
export function sortAgenda(tickets: readonly AgendaTicket[]): AgendaTicket[] {
  return [...tickets].sort(
    (a, b) =>
      (PRIORITY_ORDER[a.priority ?? ""] ?? 3) - (PRIORITY_ORDER[b.priority ?? ""] ?? 3) ||
      (a.resolution_due ?? Infinity) - (b.resolution_due ?? Infinity) ||
      b.updated_at - a.updated_at,
  )
}

function Due(props: { at: number | null; label: string }) {
  if (props.at === null) return null
  // Business time (working hours, no holidays), as the SLA counts it.
  const now = Date.now()
  const left = businessMs(now, props.at, calendar.value)
  // Past the deadline outside working hours no business time passes: it is overdue all the same.
  const text =
    props.at > now && left >= 0
      ? t.agenda.dueIn(formatDuration(left))
      : -left < 60_000
        ? t.agenda.overdueNow
        : t.agenda.overdue(formatDuration(-left))
  return (
    <span class={`due${props.at <= now ? " overdue" : ""}`}>
      {props.label}: {text}
    </span>
  )
}

function Row(props: { ticket: AgendaTicket }) {
  const tk = props.ticket
  void docsVersion.value
  const doc = plainDoc(loadedTicket(tk.url))
  // What the phone knows (offline work included) wins over the server's last word.
  const folded = doc ? fold(doc.events) : null
  const state = folded?.state ?? tk.state
  const priority = folded?.priority ?? tk.priority
  const pending = pendingByDoc.value[tk.url] ?? 0
  return (
    <li>
      <button type="button" class="ticket-row" data-url={tk.url} onClick={() => go(ticketPath(tk.url))}>
        <span class="row-top">
          <span class="number">{tk.number ?? t.agenda.noNumber}</span>
          {isNew(tk) && <span class="badge new">{t.agenda.newSince}</span>}
          {priority && <span class={`badge prio-${priority}`}>{priorityLabel[priority]}</span>}
          {pending > 0 && <span class="badge pending">●</span>}
        </span>
        <span class="summary">{tk.summary}</span>
        <span class="meta">
          {tk.dependencia_name ?? dependenciaName(tk.dependencia)} · {tk.location}
        </span>
        {tk.requester && <span class="meta">{tk.requester.name}</span>}
        <span class="meta state">{stateLabel[state]}</span>
        {folded?.nextVisitAt && <span class="meta">{t.agenda.revisit(formatDateTime(folded.nextVisitAt))}</span>}
        {tk.response_warn_at != null && <Due at={tk.response_due} label={t.agenda.responseDue} />}
        <Due at={tk.resolution_due} label={t.agenda.resolutionDue} />
      </button>
    </li>
  )
}

export function AgendaView() {
  const tickets = sortAgenda(agenda.value)
  const cached = cachedAgenda.value
  return (
    <Screen title={t.agenda.title}>
      <div class="actions">
        <button type="button" class="primary" onClick={() => go("/nueva")}>
          {t.agenda.newRequest}
        </button>
        <button type="button" onClick={() => go("/escanear")}>
          {t.agenda.scan}
        </button>
      </div>
      <PushControl />
      {cached && <p class="hint">{t.agenda.fromCache(formatDateTime(cached.fetchedAt))}</p>}
      {tickets.length === 0 ? (
        <p class="empty">{t.agenda.empty}</p>
      ) : (
        <ul class="agenda">
          {tickets.map(tk => (
            <Row key={tk.url} ticket={tk} />
          ))}
        </ul>
      )}
    </Screen>
  )
}
