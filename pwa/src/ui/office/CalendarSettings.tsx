// The office's calendar and the promises it answers for, in Ajustes: the versions of the SLA
// policy (GET /api/settings/sla/history; each applies to the cases received while it was in
// force), the closures by decree (GET/POST /api/settings/closures, DELETE …/{date}: días cívicos,
// jornada continua, half days) and who besides the coordinators hears of a missed deadline
// (GET/PUT /api/settings/escalation).

import { useEffect, useState } from "preact/hooks"
import { getJson } from "../../api"
import { refreshCalendar } from "../../calendar"
import { roleLabel, t } from "../../es"
import { type UserView, FormError, listUsers, messageOf, send } from "../../officeApi"
import type { SlaPolicy } from "../../settings"
import { formatHours } from "../../settings"
import { formatDateTime } from "../../time"
import { Field, focusFirstError } from "../common"
import { type Feedback, Message } from "./SettingsMessage"

interface Version {
  effective_from: number
  policy: SlaPolicy
  created_by: string | null
}

/** Every version of the policy, newest first; `version` changes after a save. */
export function PolicyHistory(props: { version: number }) {
  const [versions, setVersions] = useState<Version[] | null>(null)
  useEffect(() => {
    getJson<Version[]>("/api/settings/sla/history").then(
      v => setVersions(v.reverse()),
      () => setVersions(null),
    )
  }, [props.version])
  if (!versions || versions.length === 0) return null
  return (
    <details class="policy-history">
      <summary>{t.settings.historyTitle(versions.length)}</summary>
      <p class="hint">{t.settings.historyHint}</p>
      <div class="table-wrap" tabIndex={0} aria-label={t.settings.historyTitle(versions.length)}>
        <table class="data">
          <thead>
            <tr>
              <th scope="col">{t.settings.historyFrom}</th>
              <th scope="col">{t.settings.historyBy}</th>
              <th scope="col">{t.settings.historyTargets}</th>
            </tr>
          </thead>
          <tbody>
            {versions.map(v => (
              <tr key={v.effective_from}>
                <th scope="row">{v.effective_from > 0 ? formatDateTime(v.effective_from) : t.settings.historyFirst}</th>
                <td>{v.created_by ?? "—"}</td>
                <td>
                  {(["alta", "media", "baja"] as const)
                    .map(
                      p =>
                        `${p}: ${formatHours(v.policy.targets[p].response_minutes)} h / ${formatHours(v.policy.targets[p].resolution_minutes)} h`,
                    )
                    .join(" · ")}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  )
}

interface ClosureRow {
  date: string
  hours: { start: string; end: string }[]
  reason: string
  created_by: string | null
}

/** Today in Bogotá, "YYYY-MM-DD". */
function today(): string {
  return new Date(Date.now() - 5 * 3600_000).toISOString().slice(0, 10)
}

export function Closures() {
  const [rows, setRows] = useState<ClosureRow[]>([])
  const [date, setDate] = useState("")
  const [kind, setKind] = useState<"cierre" | "jornada">("cierre")
  const [start, setStart] = useState("07:00")
  const [end, setEnd] = useState("15:00")
  const [reason, setReason] = useState("")
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [feedback, setFeedback] = useState<Feedback>(null)
  const [busy, setBusy] = useState(false)

  const load = () =>
    getJson<ClosureRow[]>("/api/settings/closures").then(setRows, err =>
      setFeedback({ kind: "error", text: t.settings.loadFailed(messageOf(err)) }),
    )
  useEffect(() => void load(), [])

  async function add(e: Event) {
    e.preventDefault()
    const formEl = e.currentTarget as HTMLFormElement
    const problems: Record<string, string> = {}
    if (!date) problems.date = t.settings.closureDateRequired
    else if (date < today()) problems.date = t.settings.closurePast
    if (!reason.trim()) problems.reason = t.settings.closureReasonRequired
    setErrors(problems)
    setFeedback(null)
    if (Object.keys(problems).length > 0) return focusFirstError(formEl)
    setBusy(true)
    try {
      const hours = kind === "cierre" ? [] : [{ start: `${start}:00`, end: `${end}:00` }]
      await send("POST", "/api/settings/closures", { date, hours, reason: reason.trim() })
      setFeedback({ kind: "ok", text: t.settings.closureSaved })
      setDate("")
      setReason("")
      await load()
      void refreshCalendar()
    } catch (err) {
      if (err instanceof FormError) setErrors(err.fields)
      setFeedback({ kind: "error", text: messageOf(err) })
      focusFirstError(formEl)
    } finally {
      setBusy(false)
    }
  }

  async function remove(row: ClosureRow) {
    setFeedback(null)
    try {
      await send("DELETE", `/api/settings/closures/${row.date}`)
      setFeedback({ kind: "ok", text: t.settings.closureRemoved })
      await load()
      void refreshCalendar()
    } catch (err) {
      setFeedback({ kind: "error", text: messageOf(err) })
    }
  }

  return (
    <div>
      <p class="hint">{t.settings.closuresHint}</p>
      {rows.length > 0 && (
        <div class="table-wrap" tabIndex={0} aria-label={t.settings.closuresTitle}>
          <table class="data closures">
            <thead>
              <tr>
                <th scope="col">{t.settings.closureDate}</th>
                <th scope="col">{t.settings.closureHours}</th>
                <th scope="col">{t.settings.closureReason}</th>
                <th scope="col">
                  <span class="visually-hidden">{t.settings.actions}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map(r => (
                <tr key={r.date} data-date={r.date}>
                  <th scope="row">{r.date}</th>
                  <td>{r.hours.length === 0 ? t.settings.closedAllDay : r.hours.map(h => `${h.start.slice(0, 5)}–${h.end.slice(0, 5)}`).join(", ")}</td>
                  <td>{r.reason}</td>
                  <td>
                    {r.date >= today() && (
                      <button type="button" onClick={() => void remove(r)}>
                        {t.settings.closureRemove}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form class="form" onSubmit={e => void add(e)} noValidate>
        <div class="form-row">
          <Field label={t.settings.closureDate} error={errors.date}>
            <input type="date" name="closure-date" min={today()} value={date} onInput={e => setDate(e.currentTarget.value)} />
          </Field>
          <Field label={t.settings.closureKind}>
            <select name="closure-kind" value={kind} onChange={e => setKind(e.currentTarget.value as "cierre" | "jornada")}>
              <option value="cierre">{t.settings.closedAllDay}</option>
              <option value="jornada">{t.settings.specialHours}</option>
            </select>
          </Field>
        </div>
        {kind === "jornada" && (
          <div class="form-row">
            <Field label={t.settings.start} error={errors.hours}>
              <input type="time" name="closure-start" value={start} onInput={e => setStart(e.currentTarget.value)} />
            </Field>
            <Field label={t.settings.end}>
              <input type="time" name="closure-end" value={end} onInput={e => setEnd(e.currentTarget.value)} />
            </Field>
          </div>
        )}
        <Field label={t.settings.closureReason} error={errors.reason}>
          <input name="closure-reason" maxLength={300} value={reason} onInput={e => setReason(e.currentTarget.value)} />
        </Field>
        <button type="submit" class="primary" disabled={busy}>
          {t.settings.closureAdd}
        </button>
        <Message feedback={feedback} />
      </form>
    </div>
  )
}

export function EscalationSettings() {
  const [chosen, setChosen] = useState<string[] | null>(null)
  const [users, setUsers] = useState<UserView[]>([])
  const [feedback, setFeedback] = useState<Feedback>(null)

  useEffect(() => {
    getJson<{ second_level: string[] }>("/api/settings/escalation").then(
      s => setChosen(s.second_level),
      err => setFeedback({ kind: "error", text: t.settings.loadFailed(messageOf(err)) }),
    )
    listUsers().then(
      all => setUsers(all.filter(u => u.active && u.role !== "funcionario")),
      () => {},
    )
  }, [])
  if (!chosen) return <Message feedback={feedback} />

  async function save(e: Event) {
    e.preventDefault()
    setFeedback(null)
    try {
      const saved = await send<{ second_level: string[] }>("PUT", "/api/settings/escalation", { second_level: chosen })
      setChosen(saved.second_level)
      setFeedback({ kind: "ok", text: t.settings.escalationSaved })
    } catch (err) {
      setFeedback({ kind: "error", text: messageOf(err) })
    }
  }

  return (
    <form class="form" onSubmit={e => void save(e)}>
      <p class="hint">{t.settings.escalationHint}</p>
      <fieldset>
        <legend>{t.settings.secondLevel}</legend>
        {users.map(u => (
          <label class="check" key={u.id}>
            <input
              type="checkbox"
              name="second-level"
              value={u.id}
              checked={chosen.includes(u.id)}
              onChange={e =>
                setChosen(e.currentTarget.checked ? [...chosen, u.id] : chosen.filter(id => id !== u.id))
              }
            />
            {u.full_name} ({roleLabel[u.role]})
          </label>
        ))}
      </fieldset>
      <button type="submit" class="primary">
        {t.settings.escalationSave}
      </button>
      <Message feedback={feedback} />
    </form>
  )
}
