// One request as its official sees it: the state in plain Spanish, the attention time promised,
// the technician, the visits (and when the technician comes back), how it was resolved, the survey
// once the case is solved, and messages. Read-only but for messages and the survey, which the
// write rules allow an official.

import { Fragment } from "preact"
import { useEffect, useState } from "preact/hooks"
import { agenda, markSeen } from "../../agenda"
import { dependenciaName, describe, lookup } from "../../catalog"
import { t } from "../../es"
import { type OfficeTicket, awaitsSurvey, cancelReason, formatWhen, isFinished, peopleOf, promised, statusLine } from "../../office"
import type { TicketDoc, Visit } from "../../schema"
import { currentUser } from "../../session"
import { addComment } from "../../tickets"
import { learnTicket, personName, ticketNumber } from "../../ticketRefs"
import { validateComment } from "../../validation"
import { Counter, PhotoThumb, RefusedBanner, Screen, focusFirstError, useTicket } from "../common"
import { go, ticketPath } from "../router"
import { requestFacts } from "./requestFacts"

function VisitCard(props: { visit: Visit; who: string; now: number }) {
  const v = props.visit
  const o = t.office
  return (
    <li class="card visit" data-present={String(v.user_present)}>
      <p>
        <strong>{formatWhen(v.started_at, props.now)}</strong> · {props.who}
      </p>
      <p>{v.ended_at == null ? o.visitOpen : v.user_present ? o.visitPresent : o.visitAbsent}</p>
      {!v.user_present && v.note && (
        <p>
          {o.noteLeft}: {v.note}
        </p>
      )}
      {!v.user_present && v.next_visit_at != null && <p class="come-back">{o.comeBack(formatWhen(v.next_visit_at, props.now))}</p>}
      {v.user_present && v.diagnosis && (
        <p>
          {o.diagnosis}: {v.diagnosis}
        </p>
      )}
      {v.user_present && v.actions && (
        <p>
          {o.actions}: {v.actions}
        </p>
      )}
      {v.user_present && v.tests && (
        <p>
          {o.tests}: {v.tests}
        </p>
      )}
      {v.outcome && <p>{o.outcome[v.outcome]}</p>}
      {v.custody && <p>{o.custody(v.custody.equipment.join(", "), v.custody.to, v.custody.place)}</p>}
      {v.evidence.length > 0 && (
        <div class="photos">
          {v.evidence.map(p => (
            <PhotoThumb key={p.sha256} sha256={p.sha256} />
          ))}
        </div>
      )}
    </li>
  )
}

function Messages(props: { doc: TicketDoc; onSend: (text: string) => void; names: Map<string, string> }) {
  const [text, setText] = useState("")
  const [error, setError] = useState<string | null>(null)
  const o = t.office
  return (
    <section aria-labelledby="messages">
      <h2 id="messages">{o.comments}</h2>
      {props.doc.comments.length > 0 && (
        <ul class="cards">
          {props.doc.comments.map(c => (
            <li key={c.id} class="card comment">
              <span class="when">{formatWhen(c.at, Date.now())}</span> · {props.names.get(c.author) ?? o.supportTeam}
              <p>{c.text}</p>
            </li>
          ))}
        </ul>
      )}
      <form
        class="form inline"
        onSubmit={e => {
          e.preventDefault()
          if (text.trim() === "") return
          const over = validateComment(text, props.doc.comments.length)
          setError(over)
          if (over) return focusFirstError(e.currentTarget)
          props.onSend(text)
          setText("")
        }}
      >
        <label class={`field${error ? " invalid" : ""}`}>
          <span class="label">{o.commentLabel}</span>
          <textarea name="comment" rows={2} value={text} onInput={e => setText(e.currentTarget.value)} />
          <Counter limit="comment" value={text} />
          {error && (
            <span class="error" role="alert">
              {error}
            </span>
          )}
        </label>
        <button type="submit">{o.addComment}</button>
      </form>
    </section>
  )
}

export function RequestView(props: { id: string }) {
  const url = `automerge:${props.id}`
  const { handle, doc, failed } = useTicket(props.id)
  useEffect(() => markSeen(url), [url])
  useEffect(() => void learnTicket(props.id, doc), [props.id, doc !== null])
  const info = agenda.value.find(x => x.url === url) as OfficeTicket | undefined
  const o = t.office
  const number = info?.number ?? ticketNumber(url)
  const title = number ?? o.noNumber
  if (!doc && !info)
    return (
      <Screen title={failed ? o.requestTitle : t.loading} back="/">
        <p class={failed ? "empty" : ""}>{failed ? t.ticket.notAvailable : t.loading}</p>
      </Screen>
    )

  const now = Date.now()
  const f = requestFacts(info, url, doc)
  const names = doc ? peopleOf(doc) : new Map<string, string>()
  const me = currentUser()
  names.set(me.id, me.full_name)
  for (const id of doc ? [...doc.comments.map(c => c.author), ...doc.visits.map(v => v.technician)] : []) {
    const known = names.has(id) ? null : personName(id)
    if (known) names.set(id, known)
  }
  const promises = promised(f.state, info?.response_due ?? null, info?.resolution_due ?? null, now)
  const r = doc?.request
  const reason = doc && f.state === "anulada" ? cancelReason(doc) : null
  const requestedAt = info?.created_at ?? doc?.events.find(e => e.kind === "registrada")?.at

  return (
    <Screen title={title} back="/">
      <RefusedBanner url={url} />
      <p class={`plain-status big state-${f.state}`}>{statusLine(f, now)}</p>
      {reason && (
        <p>
          {o.cancelReason}: {reason}
        </p>
      )}
      {!number && <p class="hint">{f.pending > 0 ? o.notSent : o.sent}</p>}
      {failed && <p class="hint">{t.ticket.notAvailable}</p>}

      {doc && handle && awaitsSurvey(f.state, f.surveyAnswered) && (
        <div class="actions">
          <button type="button" class="primary" onClick={() => go(ticketPath(url, "encuesta"))}>
            {o.survey}
          </button>
        </div>
      )}
      {number && (f.state === "resuelta" || f.state === "cerrada") && (
        <p>
          <a class="button" href={`/api/tickets/${props.id}/acta.pdf`} target="_blank" rel="noopener">
            {t.ticket.acta}
          </a>
        </p>
      )}

      {!isFinished(f.state) && (
        <section aria-labelledby="promise">
          <h2 id="promise">{o.promise}</h2>
          {promises.length === 0 ? (
            <p class="hint">{o.noPromise}</p>
          ) : (
            <dl class="stacked promise">
              {promises.map(p => (
                <Fragment key={p.label}>
                  <dt>{p.label}</dt>
                  <dd class={p.overdue ? "overdue" : ""}>
                    {p.when}
                    {p.overdue ? ` ${o.overdue}` : ""}
                  </dd>
                </Fragment>
              ))}
            </dl>
          )}
          <dl class="stacked">
            <dt>{o.technician}</dt>
            <dd>{f.assignee ?? o.noTechnician}</dd>
          </dl>
        </section>
      )}

      {doc?.survey && (
        <section aria-labelledby="survey">
          <h2 id="survey">{o.surveyAnswered(formatWhen(doc.survey.answered_at, now))}</h2>
          <p>
            {t.survey.questions.timeliness} {doc.survey.answers.timeliness}/5 · {t.survey.questions.treatment}{" "}
            {doc.survey.answers.treatment}/5 · {t.survey.questions.solution} {doc.survey.answers.solution}/5
          </p>
        </section>
      )}

      {doc?.report && (
        <section aria-labelledby="report">
          <h2 id="report">{o.report}</h2>
          <p class="description">{doc.report.summary}</p>
          {doc.report.results && <p class="description">{doc.report.results}</p>}
        </section>
      )}

      {doc && doc.visits.length > 0 && (
        <section aria-labelledby="visits">
          <h2 id="visits">{o.visits}</h2>
          <ul class="cards">
            {doc.visits.map(v => (
              <VisitCard key={v.id} visit={v} who={names.get(v.technician) ?? o.supportTeam} now={now} />
            ))}
          </ul>
        </section>
      )}

      {r && (
        <section aria-labelledby="request">
          <h2 id="request">{o.requestSection}</h2>
          <p class="description">{r.description}</p>
          <dl class="stacked">
            <dt>{o.category}</dt>
            <dd>{r.category}</dd>
            <dt>{t.ticket.location}</dt>
            <dd>
              {dependenciaName(r.dependencia)} · {r.location}
            </dd>
            {r.phone_extension && (
              <>
                <dt>{t.ticket.extension}</dt>
                <dd>{r.phone_extension}</dd>
              </>
            )}
            {r.equipment.length > 0 && (
              <>
                <dt>{t.ticket.equipment}</dt>
                <dd>
                  {r.equipment.map(code => {
                    const item = lookup(code)
                    return (
                      <span key={code} class="chip">
                        {code}
                        {item ? ` · ${describe(item)}` : ""}
                      </span>
                    )
                  })}
                </dd>
              </>
            )}
          </dl>
          {r.photos.length > 0 && (
            <div class="photos">
              {r.photos.map(sha => (
                <PhotoThumb key={sha} sha256={sha} />
              ))}
            </div>
          )}
          {requestedAt !== undefined && <p class="hint">{o.requestedOn(formatWhen(requestedAt, now))}</p>}
        </section>
      )}

      {doc && handle && <Messages doc={doc} names={names} onSend={text => addComment(handle, me, text, Date.now())} />}
    </Screen>
  )
}
