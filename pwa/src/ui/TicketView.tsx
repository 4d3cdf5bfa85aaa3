import { useEffect, useState } from "preact/hooks"
import { agenda, markSeen } from "../agenda"
import { catalog, dependenciaName, describe, lookup } from "../catalog"
import { channelLabel, eventLabel, outcomeLabel, priorityLabel, roleLabel, stateLabel, t } from "../es"
import { allowed, fold, ordered, type TicketDoc } from "../schema"
import { currentUser } from "../session"
import { addComment, lastMove } from "../tickets"
import { learnTicket, personName, ticketNumber } from "../ticketRefs"
import { formatDateTime } from "../time"
import { validateComment } from "../validation"
import { Counter, PhotoThumb, RefusedBanner, Screen, focusFirstError, useTicket } from "./common"
import { TriagePanel } from "./office/TriagePanel"
import { go, ticketPath } from "./router"

/** Whole days since `at`. */
function daysSince(at: number): number {
  return Math.max(0, Math.floor((Date.now() - at) / 86_400_000))
}

function names(doc: TicketDoc): Map<string, string> {
  const m = new Map<string, string>()
  m.set(String(doc.request.requester.id), String(doc.request.requester.name))
  for (const e of doc.events) {
    if (e.data?.assignee?.name) m.set(String(e.data.assignee.id), String(e.data.assignee.name))
  }
  const me = currentUser()
  m.set(me.id, me.full_name)
  return m
}

export function TicketView(props: { id: string }) {
  const url = `automerge:${props.id}`
  const { handle, doc, failed } = useTicket(props.id)
  const [comment, setComment] = useState("")
  const [commentError, setCommentError] = useState<string | null>(null)
  useEffect(() => markSeen(url), [url])
  useEffect(() => void learnTicket(props.id, doc), [props.id, doc !== null])
  void catalog.value
  if (failed) return <Screen title={t.ticket.request} back="/"><p class="empty">{t.ticket.notAvailable}</p></Screen>
  if (!handle || !doc) return <Screen title={t.loading} back="/"><p>{t.loading}</p></Screen>

  const user = currentUser()
  const f = fold(doc.events)
  const info = agenda.value.find(x => x.url === url)
  const who = names(doc)
  const name = (id: string) => who.get(String(id)) ?? personName(id) ?? t.ticket.someone
  const r = doc.request
  const openVisit = f.openVisit ? doc.visits.find(v => String(v.id) === f.openVisit) : undefined
  const mine = openVisit && String(openVisit.technician) === user.id
  const canVisit = !f.openVisit && (allowed(user.role, f.state, "visita_iniciada") || allowed(user.role, f.state, "usuario_ausente"))
  const field = user.role === "tecnico" || user.role === "contratista"
  const canReturn = field && allowed(user.role, f.state, "equipo_devuelto")
  const canResolveRemotely = field && !f.openVisit && allowed(user.role, f.state, "resuelta_telefono")
  const sends = ordered(doc.events).filter(e => e.kind === "enviada_taller" || e.kind === "enviada_contratista")
  const outSince = f.state === "en_taller" || f.state === "con_contratista" ? sends[sends.length - 1]?.at : undefined
  const mayReadActa = user.role === "coordinador" || String(r.requester.id) === user.id

  return (
    <Screen title={info?.number ?? ticketNumber(url) ?? t.agenda.noNumber} back="/">
      <RefusedBanner url={url} />
      <p class="state-line">
        <span class={`badge state-${f.state}`}>{stateLabel[f.state]}</span>
        {f.priority && <span class={`badge prio-${f.priority}`}>{priorityLabel[f.priority]}</span>}
      </p>
      {f.nextVisitAt && <p class="hint">{t.agenda.revisit(formatDateTime(f.nextVisitAt))}</p>}
      {outSince != null && <p class="hint custody-days">{t.ticket.custodyOut(daysSince(outSince))}</p>}
      {user.role === "coordinador" && <TriagePanel id={props.id} />}

      <div class="actions">
        {canVisit && (
          <button type="button" class="primary" onClick={() => go(ticketPath(url, "visita"))}>
            {t.ticket.startVisit}
          </button>
        )}
        {mine && (
          <button type="button" class="primary" onClick={() => go(ticketPath(url, "visita"))}>
            {t.ticket.continueVisit}
          </button>
        )}
        {canReturn && (
          <button type="button" class="primary" onClick={() => go(ticketPath(url, "devolucion"))}>
            {t.ticket.returnEquipment}
          </button>
        )}
        {canResolveRemotely && (
          <button type="button" onClick={() => go(ticketPath(url, "remota"))}>
            {t.ticket.resolveRemotely}
          </button>
        )}
        {f.state === "resuelta" && !doc.report && allowed(user.role, f.state, "cerrada") && (
          <button type="button" class="primary" onClick={() => go(ticketPath(url, "informe"))}>
            {t.ticket.report}
          </button>
        )}
        {(f.state === "resuelta" || f.state === "cerrada") && !doc.survey && (
          <button type="button" onClick={() => go(ticketPath(url, "encuesta"))}>
            {t.ticket.survey}
          </button>
        )}
        <button type="button" onClick={() => go(`/escanear?caso=${props.id}`)}>
          {t.ticket.scanEquipment}
        </button>
        {mayReadActa && info?.number && (
          <a class="button" href={`/api/tickets/${props.id}/acta.pdf`} target="_blank" rel="noopener">
            {t.ticket.acta}
          </a>
        )}
      </div>

      <section>
        <h2>{t.ticket.request}</h2>
        <p class="description">{String(r.description)}</p>
        <dl>
          <dt>{t.ticket.requester}</dt>
          <dd>{String(r.requester.name)}</dd>
          <dt>{t.ticket.location}</dt>
          <dd>
            {info?.dependencia_name ?? dependenciaName(String(r.dependencia))} · {String(r.location)}
          </dd>
          {r.phone_extension && (
            <>
              <dt>{t.ticket.extension}</dt>
              <dd>{String(r.phone_extension)}</dd>
            </>
          )}
          <dt>{t.ticket.category}</dt>
          <dd>{String(r.category)}</dd>
          <dt>{t.ticket.channel}</dt>
          <dd>{channelLabel[r.channel] ?? String(r.channel)}</dd>
          <dt>{t.ticket.equipment}</dt>
          <dd>
            {r.equipment.length === 0
              ? t.ticket.noEquipment
              : r.equipment.map(c => {
                  const cached = lookup(String(c))
                  // What this case did with it, when newer than the cached catalogue.
                  const moved = lastMove(doc, String(c))
                  const item = cached && moved && moved.at > (catalog.value?.fetchedAt ?? 0) ? { ...cached, status: moved.status } : cached
                  return (
                    <a key={String(c)} class="chip" href={`/equipos/${String(c)}`} onClick={e => (e.preventDefault(), go(`/equipos/${String(c)}`))}>
                      {String(c)}
                      {item ? ` · ${describe(item)}` : ""}
                    </a>
                  )
                })}
          </dd>
        </dl>
        {r.photos.length > 0 && (
          <div class="photos">
            {r.photos.map(sha => (
              <PhotoThumb key={String(sha)} sha256={String(sha)} />
            ))}
          </div>
        )}
      </section>

      {doc.visits.length > 0 && (
        <section>
          <h2>{t.ticket.visits}</h2>
          <ul class="cards">
            {doc.visits.map(v => (
              <li key={String(v.id)} class="card visit" data-present={String(v.user_present)}>
                <p>
                  <strong>{formatDateTime(v.started_at)}</strong> · {name(String(v.technician))}
                </p>
                <p>{v.user_present ? t.ticket.present : t.ticket.absent}</p>
                {v.ended_at == null && <p class="badge">{t.ticket.open}</p>}
                {String(v.note) && <p>{String(v.note)}</p>}
                {!v.user_present && v.notice_left && <p>{t.ticket.noticeLeft}</p>}
                {v.next_visit_at != null && (
                  <p>
                    {t.ticket.nextVisit}: {formatDateTime(v.next_visit_at)}
                  </p>
                )}
                {String(v.diagnosis) && <p>{t.visit.diagnosis}: {String(v.diagnosis)}</p>}
                {String(v.actions) && <p>{t.visit.actions}: {String(v.actions)}</p>}
                {String(v.tests) && <p>{t.visit.tests}: {String(v.tests)}</p>}
                {v.outcome && <p>{t.visit.outcome}: {outcomeLabel[v.outcome]}</p>}
                {v.custody && (
                  <p>
                    {t.visit.custodyTitle}: {v.custody.equipment.map(String).join(", ")} → {String(v.custody.to)} ({String(v.custody.place)})
                  </p>
                )}
                {(v.equipment ?? []).length > 0 && (
                  <p>
                    {t.ticket.visitEquipment}: {(v.equipment ?? []).map(String).join(", ")}
                  </p>
                )}
                {v.signature && (
                  <div class="signed">
                    <p>{t.ticket.signedBy(String(v.signature.signer), formatDateTime(v.signature.signed_at))}</p>
                    <PhotoThumb sha256={String(v.signature.sha256)} />
                  </div>
                )}
                {v.signer_absent && <p>{t.ticket.signerAbsent}</p>}
                {v.evidence.length > 0 && (
                  <div class="photos">
                    {v.evidence.map(p => (
                      <PhotoThumb key={String(p.sha256)} sha256={String(p.sha256)} />
                    ))}
                  </div>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}

      {doc.report && (
        <section>
          <h2>{t.ticket.reportFiled}</h2>
          <p>{String(doc.report.summary)}</p>
          {String(doc.report.results) && <p>{String(doc.report.results)}</p>}
        </section>
      )}
      {doc.survey && (
        <section>
          <h2>{t.ticket.surveyAnswered}</h2>
          <p>
            {t.survey.questions.timeliness} {doc.survey.answers.timeliness}/5 · {t.survey.questions.treatment}{" "}
            {doc.survey.answers.treatment}/5 · {t.survey.questions.solution} {doc.survey.answers.solution}/5
          </p>
        </section>
      )}

      <section>
        <h2>{t.ticket.history}</h2>
        <ol class="history">
          {ordered(doc.events).map(e => (
            <li key={String(e.id)} class={f.flagged.includes(String(e.id)) ? "flagged" : ""}>
              <span class="when">{formatDateTime(e.at)}</span> {eventLabel[e.kind] ?? String(e.kind)} ·{" "}
              {e.kind === "encuesta_respondida" && e.author_role !== "funcionario" ? (
                t.ticket.surveyBy(String(r.requester.name), name(String(e.author)))
              ) : (
                <>
                  {name(String(e.author))} ({roleLabel[e.author_role] ?? String(e.author_role)})
                </>
              )}
              {e.data?.custody && (
                <>
                  {" "}
                  · {String(e.data.custody.from)} → {String(e.data.custody.to)} ({String(e.data.custody.place)})
                </>
              )}
              {e.data?.reason && <> · {String(e.data.reason)}</>}
              {e.data?.equipment_out_reason && <> · {t.ticket.equipmentOutReason(String(e.data.equipment_out_reason))}</>}
              {f.noLongerAssigned.includes(String(e.id)) ? (
                <span class="flag bad"> · {t.board.formerAssignee}</span>
              ) : (
                f.flagged.includes(String(e.id)) && (
                  <span class="flag bad"> · {e.kind === "equipo_devuelto" ? t.ticket.flaggedReturn : t.ticket.flagged}</span>
                )
              )}
            </li>
          ))}
        </ol>
      </section>

      <section>
        <h2>{t.ticket.comments}</h2>
        <ul class="cards">
          {doc.comments.map(c => (
            <li key={String(c.id)} class="card comment">
              <span class="when">{formatDateTime(c.at)}</span> · {name(String(c.author))}
              <p>{String(c.text)}</p>
            </li>
          ))}
        </ul>
        <form
          class="form"
          onSubmit={e => {
            e.preventDefault()
            if (comment.trim() === "") return
            const over = validateComment(comment, doc.comments.length)
            setCommentError(over)
            if (over) return focusFirstError(e.currentTarget)
            addComment(handle, user, comment, Date.now())
            setComment("")
          }}
        >
          <textarea
            name="comment"
            rows={2}
            placeholder={t.ticket.commentPlaceholder}
            aria-label={t.ticket.commentPlaceholder}
            aria-invalid={commentError ? true : undefined}
            value={comment}
            onInput={e => setComment(e.currentTarget.value)}
          />
          <Counter limit="comment" value={comment} />
          {commentError && (
            <span class="error" role="alert">
              {commentError}
            </span>
          )}
          <button type="submit">{t.ticket.addComment}</button>
        </form>
      </section>
    </Screen>
  )
}
