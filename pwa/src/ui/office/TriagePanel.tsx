// The coordinator's part of a ticket: reception and triage (accept, mode, priority, with the SLA
// deadlines the server computes), the responsible técnico or contratista, and the corrections
// (resolved by phone, duplicate, cancel, reopen). Each action is a POST to the server, which
// decides against the ticket's latest state; a refusal shows the server's Spanish reason.

import type { ComponentChildren } from "preact"
import { useEffect, useRef, useState } from "preact/hooks"
import { getJson } from "../../api"
import { channelLabel, modeLabel, priorityLabel, stateLabel, t } from "../../es"
import { type Action, type UserView, act, identifyRequester, listUsers, messageOf } from "../../officeApi"
import { MODES, type Mode, PRIORITIES, type Priority, type State, allowed } from "../../schema"
import { formatDateTime } from "../../time"
import { LIMITS } from "../../limits"
import { validateReason } from "../../validation"
import { Counter, Field, focusFirstError, useTicket } from "../common"
import "./office.css"

/** The projection's row of a ticket (GET /api/tickets/{id}), the fields the panel shows. */
interface TicketRow {
  id: string
  number: string
  state: State
  /** `null` for a requester Campo did not recognise (an unknown e-mail sender, a GLPI requester
   * who is not a user): «Solicitante por identificar». */
  requester_id: string | null
  requester_name: string
  priority: Priority | null
  mode: Mode | null
  channel: keyof typeof channelLabel
  external_ref: string | null
  assignee_id: string | null
  assignee_name: string | null
  created_at: number
  responded_at: number | null
  resolved_at: number | null
  response_due: number | null
  resolution_due: number | null
  /** Set while each clock runs (when the coordinators are warned); null once it stopped. */
  response_warn_at?: number | null
  resolution_warn_at?: number | null
  /** Both clocks against the promise made at reception (older servers: absent). */
  sla?: {
    policy_from: number
    warn_percent: number
    pauses: { start: number; end: number | null; reason: string }[]
    escalations: { clock: "respuesta" | "solucion"; level: "aviso" | "vencido" }[]
  }
}

/** What one clock says: met or missed (with when), or running (the deadline and the warning). */
function ClockFact(props: { done: number | null; due: number | null; warnAt: number | null | undefined; label: string; name: string }) {
  const { done, due, warnAt } = props
  let text: string
  if (due === null) text = t.intake.noDeadline
  else if (done !== null) text = (done <= due ? t.intake.clockMet : t.intake.clockMissed)(formatDateTime(done), formatDateTime(due))
  else text = t.intake.clockRunning(formatDateTime(due), warnAt ? formatDateTime(warnAt) : null)
  return (
    <>
      <dt>{props.label}</dt>
      <dd data-field={props.name}>{text}</dd>
    </>
  )
}

type Feedback = { kind: "ok" | "error"; text: string } | null

function Fold(props: { title: string; children: ComponentChildren }) {
  return (
    <details>
      <summary>{props.title}</summary>
      {props.children}
    </details>
  )
}

/** A reason form (phone resolution, cancellation, reopening): one text, one button. */
function ReasonForm(props: {
  name: string
  label: string
  submit: string
  required: string
  danger?: boolean
  busy: boolean
  onSubmit: (reason: string) => Promise<boolean>
}) {
  const [text, setText] = useState("")
  const [error, setError] = useState<string | undefined>()
  return (
    <form
      class="form"
      onSubmit={async e => {
        e.preventDefault()
        const problem = validateReason(text, props.required)
        if (problem) {
          setError(problem)
          return focusFirstError(e.currentTarget)
        }
        setError(undefined)
        if (await props.onSubmit(text.trim())) setText("")
      }}
    >
      <Field label={props.label} error={error}>
        <textarea name={props.name} rows={2} value={text} onInput={e => setText(e.currentTarget.value)} />
        <Counter limit="reason" value={text} />
      </Field>
      <button type="submit" class={props.danger ? "danger" : ""} disabled={props.busy}>
        {props.busy ? t.intake.working : props.submit}
      </button>
    </form>
  )
}

/** A coordinator's resolution while the equipment is still out: how, and why without its return. */
function EquipmentOutForm(props: { busy: boolean; onSubmit: (reason: string, why: string) => Promise<boolean> }) {
  const [reason, setReason] = useState("")
  const [why, setWhy] = useState("")
  const [errors, setErrors] = useState<{ reason?: string; why?: string }>({})
  return (
    <form
      class="form"
      onSubmit={async e => {
        e.preventDefault()
        const found = {
          reason: validateReason(reason, t.intake.noteRequired) ?? undefined,
          why: validateReason(why, t.intake.outReasonRequired) ?? undefined,
        }
        setErrors(found)
        if (found.reason || found.why) return focusFirstError(e.currentTarget)
        if (await props.onSubmit(reason.trim(), why.trim())) {
          setReason("")
          setWhy("")
        }
      }}
    >
      <p class="hint">{t.intake.outHint}</p>
      <Field label={t.intake.outNote} error={errors.reason}>
        <textarea name="out-note" rows={2} value={reason} onInput={e => setReason(e.currentTarget.value)} />
        <Counter limit="reason" value={reason} />
      </Field>
      <Field label={t.intake.outReason} error={errors.why}>
        <textarea name="out-reason" rows={2} value={why} onInput={e => setWhy(e.currentTarget.value)} />
        <Counter limit="reason" value={why} />
      </Field>
      <button type="submit" disabled={props.busy}>
        {props.busy ? t.intake.working : t.intake.outSubmit}
      </button>
    </form>
  )
}

export function TriagePanel(props: { id: string }) {
  const { doc } = useTicket(props.id)
  const [row, setRow] = useState<TicketRow | null>(null)
  const [users, setUsers] = useState<UserView[]>([])
  const [feedback, setFeedback] = useState<Feedback>(null)
  const [busy, setBusy] = useState(false)
  const [mode, setMode] = useState<string>("")
  const [priority, setPriority] = useState<string>("")
  const [assignee, setAssignee] = useState("")
  const [official, setOfficial] = useState("")
  const [duplicateOf, setDuplicateOf] = useState("")
  const [duplicateNote, setDuplicateNote] = useState("")
  const [retriageReason, setRetriageReason] = useState("")
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({})
  const events = doc?.events.length ?? 0

  function show(next: TicketRow) {
    setRow(next)
    setMode(next.mode ?? "")
    setPriority(next.priority ?? "")
  }

  // Reads answered out of order must not undo a newer row: each read and each action takes a
  // number, and only the answer to the latest one started is shown. While actions run, their
  // answers are the truth; reads started meanwhile are dropped, and one starts once they are done.
  const latest = useRef(0)
  const acting = useRef(false)
  function read() {
    const mine = ++latest.current
    getJson<TicketRow>(`/api/tickets/${props.id}`).then(
      r => mine === latest.current && !acting.current && show(r),
      err => mine === latest.current && setFeedback({ kind: "error", text: messageOf(err) }),
    )
  }

  // Read again whenever the document changes (a technician's sync, another coordinator).
  useEffect(() => {
    read()
    return () => {
      latest.current++
    }
  }, [props.id, events])

  useEffect(() => {
    listUsers().then(
      all => setUsers(all.filter(u => u.active)),
      () => {},
    )
  }, [])

  if (!row)
    return (
      <section class="triage" aria-label={t.intake.panelTitle}>
        <h2>{t.intake.panelTitle}</h2>
        {feedback ? (
          <p class="error" role="alert">
            {feedback.text}
          </p>
        ) : (
          <p>{t.loading}</p>
        )}
      </section>
    )

  /** Runs the actions in order; stops at the first refusal and shows its reason. */
  function run(...actions: Action[]): Promise<boolean> {
    const last = actions[actions.length - 1]
    return perform(async () => {
      for (const a of actions) show(await act<TicketRow>(props.id, a))
    }, (last && t.intake.done[last.action]) ?? "")
  }

  /** Runs the server's calls of one form; shows `done`, or the server's reason. */
  async function perform(calls: () => Promise<void>, done: string): Promise<boolean> {
    setBusy(true)
    setFeedback(null)
    setFieldErrors({})
    acting.current = true
    latest.current++
    try {
      await calls()
      setFeedback({ kind: "ok", text: done })
      return true
    } catch (err) {
      setFeedback({ kind: "error", text: messageOf(err) })
      return false
    } finally {
      acting.current = false
      read()
      setBusy(false)
    }
  }

  const can = (kind: Parameters<typeof allowed>[2]) => allowed("coordinador", row.state, kind)
  const registered = row.state === "registrada"
  const technicians = users.filter(w => w.role === "tecnico")
  const contractors = users.filter(w => w.role === "contratista")
  const officials = users.filter(u => u.role === "funcionario")

  function triage(e: Event) {
    e.preventDefault()
    const errors: Record<string, string> = {}
    if (!mode) errors.mode = t.intake.chooseMode
    if (!priority) errors.priority = t.intake.choosePriority
    const retriage = row !== null && row.priority !== null && priority !== row.priority
    if (retriage && !retriageReason.trim()) errors.retriage = t.intake.retriageReasonRequired
    setFieldErrors(errors)
    if (Object.keys(errors).length > 0) return focusFirstError(e.currentTarget)
    const m = mode as Mode
    const p = priority as Priority
    const prioritised: Action = { action: "priorizada", priority: p, mode: m }
    if (retriage) prioritised.reason = retriageReason.trim()
    const steps: Action[] = registered ? [{ action: "aceptada", mode: m }, prioritised] : [prioritised]
    void run(...steps).then(ok => ok && setRetriageReason(""))
  }

  return (
    <section class="triage" aria-label={t.intake.panelTitle}>
      <h2>{t.intake.panelTitle}</h2>
      {feedback && (
        <p class={feedback.kind === "error" ? "error" : "ok"} role={feedback.kind === "error" ? "alert" : "status"}>
          {feedback.text}
        </p>
      )}
      <dl class="triage-facts">
        <dt>{t.intake.state}</dt>
        <dd data-field="state">{stateLabel[row.state]}</dd>
        <dt>{t.intake.priority}</dt>
        <dd data-field="priority">{row.priority ? priorityLabel[row.priority] : t.ticket.noPriority}</dd>
        <dt>{t.intake.mode}</dt>
        <dd>{row.mode ? modeLabel[row.mode] : "—"}</dd>
        <dt>{t.intake.assignee}</dt>
        <dd data-field="assignee">{row.assignee_name ?? t.intake.unassigned}</dd>
        <dt>{t.intake.received}</dt>
        <dd data-field="received">{formatDateTime(row.created_at)}</dd>
        <ClockFact
          label={t.intake.responseDue}
          name="response-due"
          done={row.responded_at ?? row.resolved_at}
          due={row.response_due}
          warnAt={row.response_warn_at}
        />
        <ClockFact
          label={t.intake.resolutionDue}
          name="resolution-due"
          done={row.resolved_at}
          due={row.resolution_due}
          warnAt={row.resolution_warn_at}
        />
        {row.sla && row.sla.pauses.length > 0 && (
          <>
            <dt>{t.intake.pauses}</dt>
            <dd data-field="pauses">
              <ul>
                {row.sla.pauses.map(p => (
                  <li key={p.start}>{t.intake.pause(formatDateTime(p.start), p.end !== null ? formatDateTime(p.end) : null)}</li>
                ))}
              </ul>
            </dd>
          </>
        )}
        {row.sla && row.sla.escalations.length > 0 && (
          <>
            <dt>{t.intake.escalations}</dt>
            <dd data-field="escalations">
              {row.sla.escalations.map(e => t.intake.escalation[`${e.clock}_${e.level}`]).join(" · ")}
            </dd>
          </>
        )}
        {row.sla && (
          <>
            <dt>{t.intake.policy}</dt>
            <dd data-field="policy">{row.sla.policy_from > 0 ? t.intake.policySince(formatDateTime(row.sla.policy_from)) : t.intake.policyFirst}</dd>
          </>
        )}
        <dt>{t.ticket.channel}</dt>
        <dd>
          {channelLabel[row.channel] ?? row.channel}
          {row.external_ref ? ` · ${row.external_ref}` : ""}
        </dd>
      </dl>

      {row.requester_id === null && (
        <form
          class="form"
          onSubmit={e => {
            e.preventDefault()
            if (!official) {
              setFieldErrors({ official: t.intake.chooseOfficial })
              return focusFirstError(e.currentTarget)
            }
            void perform(async () => show(await identifyRequester<TicketRow>(props.id, official)), t.intake.identified)
          }}
        >
          <h3>{t.intake.identifyTitle}</h3>
          <p class="hint">{t.intake.identifyHint(row.requester_name)}</p>
          <Field label={t.intake.identifyChoice} error={fieldErrors.official}>
            <select name="official" value={official} onChange={e => setOfficial(e.currentTarget.value)}>
              <option value="">{t.intake.chooseOfficial}</option>
              {officials.map(u => (
                <option key={u.id} value={u.id}>
                  {u.dependencia ? `${u.full_name} · ${u.dependencia}` : u.full_name}
                </option>
              ))}
            </select>
          </Field>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? t.intake.working : t.intake.identifySubmit}
          </button>
        </form>
      )}

      {can("priorizada") && (
        <form class="form" onSubmit={triage}>
          <div class="form-row">
            <Field label={t.intake.mode} error={fieldErrors.mode}>
              <select name="mode" value={mode} onChange={e => setMode(e.currentTarget.value)}>
                <option value="">{t.intake.chooseMode}</option>
                {MODES.map(m => (
                  <option key={m} value={m}>
                    {modeLabel[m]}
                  </option>
                ))}
              </select>
            </Field>
            <Field label={t.intake.priority} error={fieldErrors.priority}>
              <select name="priority" value={priority} onChange={e => setPriority(e.currentTarget.value)}>
                <option value="">{t.intake.choosePriority}</option>
                {PRIORITIES.map(p => (
                  <option key={p} value={p}>
                    {priorityLabel[p]}
                  </option>
                ))}
              </select>
            </Field>
          </div>
          {row.priority !== null && priority !== "" && priority !== row.priority && (
            <Field label={t.intake.retriageReason} error={fieldErrors.retriage}>
              <textarea
                name="retriage-reason"
                maxLength={LIMITS.text.reason}
                value={retriageReason}
                onInput={e => setRetriageReason(e.currentTarget.value)}
              />
            </Field>
          )}
          <button type="submit" class="primary" disabled={busy}>
            {busy ? t.intake.working : registered ? t.intake.accept : t.intake.saveTriage}
          </button>
        </form>
      )}

      {can("asignada") && (
        <form
          class="form"
          onSubmit={e => {
            e.preventDefault()
            if (!assignee) {
              setFieldErrors({ assignee: t.intake.chooseAssignee })
              return focusFirstError(e.currentTarget)
            }
            void run({ action: "asignada", assignee_id: assignee }).then(ok => ok && setAssignee(""))
          }}
        >
          <h3>{t.intake.assignee}</h3>
          <Field label={t.intake.assigneeChoice} error={fieldErrors.assignee}>
            <select name="assignee" value={assignee} onChange={e => setAssignee(e.currentTarget.value)}>
              <option value="">{t.intake.chooseAssignee}</option>
              <optgroup label={t.intake.technicians}>
                {technicians.map(w => (
                  <option key={w.id} value={w.id} disabled={w.id === row.assignee_id}>
                    {w.full_name}
                  </option>
                ))}
              </optgroup>
              <optgroup label={t.intake.contractors}>
                {contractors.map(w => (
                  <option key={w.id} value={w.id} disabled={w.id === row.assignee_id}>
                    {w.full_name}
                  </option>
                ))}
              </optgroup>
            </select>
          </Field>
          <button type="submit" disabled={busy}>
            {busy ? t.intake.working : row.assignee_id ? t.intake.reassign : t.intake.assign}
          </button>
        </form>
      )}

      {can("equipo_devuelto") && (
        <Fold title={t.intake.returnTitle}>
          <ReasonForm
            name="return-note"
            label={t.intake.returnNote}
            submit={t.intake.returnSubmit}
            required={t.intake.noteRequired}
            busy={busy}
            onSubmit={condition => run({ action: "equipo_devuelto", condition })}
          />
        </Fold>
      )}
      {(row.state === "en_taller" || row.state === "con_contratista") && (
        <Fold title={t.intake.outTitle}>
          <EquipmentOutForm
            busy={busy}
            onSubmit={(reason, why) => run({ action: "resuelta_telefono", reason, equipment_out_reason: why })}
          />
        </Fold>
      )}
      {can("resuelta_telefono") && (
        <Fold title={t.intake.phoneTitle}>
          <ReasonForm
            name="phone-note"
            label={t.intake.phoneNote}
            submit={t.intake.phoneSubmit}
            required={t.intake.noteRequired}
            busy={busy}
            onSubmit={reason => run({ action: "resuelta_telefono", reason })}
          />
        </Fold>
      )}
      {can("duplicada") && (
        <Fold title={t.intake.duplicateTitle}>
          <form
            class="form"
            onSubmit={e => {
              e.preventDefault()
              const problems: Record<string, string> = {}
              if (duplicateOf.trim() === "") problems.duplicate_of = t.intake.duplicateRequired
              const over = validateReason(duplicateNote, null)
              if (over) problems.reason = over
              if (Object.keys(problems).length > 0) {
                setFieldErrors(problems)
                return focusFirstError(e.currentTarget)
              }
              const action: Action = { action: "duplicada", duplicate_of: duplicateOf.trim() }
              if (duplicateNote.trim()) action.reason = duplicateNote.trim()
              void run(action)
            }}
          >
            <Field label={t.intake.duplicateOf} error={fieldErrors.duplicate_of}>
              <input
                name="duplicate-of"
                placeholder={t.intake.duplicatePlaceholder}
                autocapitalize="characters"
                value={duplicateOf}
                onInput={e => setDuplicateOf(e.currentTarget.value)}
              />
            </Field>
            <Field label={t.intake.duplicateReason} error={fieldErrors.reason}>
              <input
                name="duplicate-reason"
                maxLength={LIMITS.text.reason}
                value={duplicateNote}
                onInput={e => setDuplicateNote(e.currentTarget.value)}
              />
            </Field>
            <button type="submit" disabled={busy}>
              {busy ? t.intake.working : t.intake.duplicateSubmit}
            </button>
          </form>
        </Fold>
      )}
      {can("anulada") && (
        <Fold title={t.intake.cancelTitle}>
          <ReasonForm
            name="cancel-reason"
            label={t.intake.cancelReason}
            submit={t.intake.cancelSubmit}
            required={t.intake.reasonRequired}
            danger
            busy={busy}
            onSubmit={reason => run({ action: "anulada", reason })}
          />
        </Fold>
      )}
      {can("reabierta") && (
        <Fold title={t.intake.reopenTitle}>
          <ReasonForm
            name="reopen-reason"
            label={t.intake.reopenReason}
            submit={t.intake.reopenSubmit}
            required={t.intake.reasonRequired}
            busy={busy}
            onSubmit={reason => run({ action: "reabierta", reason })}
          />
        </Fold>
      )}
    </section>
  )
}
