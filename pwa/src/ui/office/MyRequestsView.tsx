// "Mis solicitudes": every request of the official (the server's agenda lists closed ones too, for
// their survey), with its state in plain Spanish and the attention time promised.

import { agenda, cachedAgenda, isNew } from "../../agenda"
import { t } from "../../es"
import { type OfficeTicket, awaitsSurvey, formatWhen, isFinished, promised, sortRequests, statusLine } from "../../office"
import { connected, docsVersion } from "../../sync"
import { formatDateTime } from "../../time"
import { Screen } from "../common"
import { go, ticketPath } from "../router"
import { type RequestFacts, requestFacts } from "./requestFacts"

function Row(props: { ticket: OfficeTicket; facts: RequestFacts; now: number }) {
  const { ticket: tk, facts: f, now } = props
  const promises = promised(f.state, tk.response_due, tk.resolution_due, now)
  const survey = f.doc !== null && awaitsSurvey(f.state, f.surveyAnswered)
  return (
    <li>
      <button type="button" class="ticket-row request-row" data-url={tk.url} onClick={() => go(ticketPath(tk.url))}>
        <span class="row-top">
          <span class="number">{tk.number ?? t.office.noNumber}</span>
          {/* News is what others did: a request only filed is not. */}
          {tk.number !== null && f.state !== "registrada" && isNew(tk) && <span class="badge new">{t.office.news}</span>}
          {survey && <span class="badge survey">{t.office.surveyPending}</span>}
        </span>
        <span class="summary">{tk.summary}</span>
        <span class={`plain-status state-${f.state}`}>{statusLine(f, now)}</span>
        {tk.number === null && <span class="meta">{f.pending > 0 ? t.office.notSent : t.office.sent}</span>}
        {promises.map(p => (
          <span key={p.label} class={`due${p.overdue ? " overdue" : ""}`}>
            {p.label} {p.when}
            {p.overdue ? ` ${t.office.overdue}` : ""}
          </span>
        ))}
        <span class="meta">{t.office.requestedOn(formatWhen(tk.created_at ?? tk.updated_at, now))}</span>
      </button>
    </li>
  )
}

function List(props: { title: string; rows: { ticket: OfficeTicket; facts: RequestFacts }[]; now: number }) {
  if (props.rows.length === 0) return null
  return (
    <section aria-label={props.title}>
      <h2>{props.title}</h2>
      <ul class="agenda">
        {props.rows.map(r => (
          <Row key={r.ticket.url} ticket={r.ticket} facts={r.facts} now={props.now} />
        ))}
      </ul>
    </section>
  )
}

export function MyRequestsView() {
  void docsVersion.value // re-read the documents on the phone when they change
  const now = Date.now()
  const rows = (agenda.value as OfficeTicket[]).map(ticket => ({ ticket, facts: requestFacts(ticket, ticket.url) }))
  const sorted = sortRequests(rows.map(r => ({ ...r, state: r.facts.state, updated_at: r.ticket.updated_at })))
  const cached = cachedAgenda.value
  return (
    <Screen title={t.office.myRequestsTitle}>
      <div class="actions">
        <button type="button" class="primary" onClick={() => go("/solicitar")}>
          {t.office.newRequest}
        </button>
      </div>
      {cached && !connected.value && <p class="hint">{t.office.fromCache(formatDateTime(cached.fetchedAt))}</p>}
      {sorted.length === 0 ? (
        <p class="empty">{t.office.empty}</p>
      ) : (
        <>
          <List title={t.office.open} rows={sorted.filter(r => !isFinished(r.state))} now={now} />
          <List title={t.office.finished} rows={sorted.filter(r => isFinished(r.state))} now={now} />
        </>
      )}
    </Screen>
  )
}
