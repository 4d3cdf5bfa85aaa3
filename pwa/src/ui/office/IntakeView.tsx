// Reception: a quick form for the requests that arrive by phone, e-mail or GLPI (the channel and
// the caller or the GLPI number are recorded), and the requests waiting to be received, live
// from the board's stream (those from the intranet arrive by themselves).

import { useEffect, useState } from "preact/hooks"
import { columns } from "../../board"
import { board, followBoard } from "../../boardLive"
import { categoryChoices, dependenciaName } from "../../catalog"
import { channelLabel, t } from "../../es"
import { type UserView, createTicket, listUsers, messageOf, FormError } from "../../officeApi"
import { formatDuration } from "../../time"
import { type Errors, splitCodes, validateRequest } from "../../validation"
import { LIMITS } from "../../limits"
import { Counter, DependenciaSelect, Field, focusFirstError } from "../common"
import { go } from "../router"
import "./office.css"

const OFFICE_CHANNELS = ["phone", "email", "glpi"] as const
type OfficeChannel = (typeof OFFICE_CHANNELS)[number]

const EMPTY = {
  channel: "phone" as OfficeChannel,
  requesterId: "",
  externalRef: "",
  dependencia: "",
  location: "",
  extension: "",
  category: "",
  description: "",
  equipment: "",
}

/** The server's field names → the form's. */
const SERVER_FIELDS: Record<string, string> = {
  requester_id: "requesterId",
  "requester.id": "requesterId",
  external_ref: "externalRef",
  phone_extension: "extension",
}

function Waiting() {
  useEffect(() => followBoard(), [])
  const data = board.value
  if (!data) return <p>{t.loading}</p>
  const waiting = columns(Object.values(data.tickets)).registrada
  if (waiting.length === 0) return <p class="empty">{t.intake.waitingEmpty}</p>
  const now = Date.now()
  return (
    <ul class="waiting">
      {waiting.map(tk => (
        <li key={tk.id}>
          <button type="button" class="ticket-row" data-number={tk.number} onClick={() => go(`/casos/${tk.id}`)}>
            <span class="row-top">
              <span class="number">{tk.number}</span>
              <span class="badge channel">{channelLabel[tk.channel] ?? tk.channel}</span>
              <span class="when">{t.intake.waitingAge(formatDuration(now - tk.created_at))}</span>
            </span>
            <span class="summary">{tk.summary}</span>
            <span class="meta">
              {tk.requester_name}
              {tk.dependencia ? ` · ${dependenciaName(tk.dependencia)}` : ""}
            </span>
          </button>
        </li>
      ))}
    </ul>
  )
}

export function IntakeView() {
  const [form, setForm] = useState(EMPTY)
  const [errors, setErrors] = useState<Errors>({})
  const [officials, setOfficials] = useState<UserView[]>([])
  const [failure, setFailure] = useState<string | null>(null)
  const [created, setCreated] = useState<{ id: string; number: string } | null>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    listUsers("funcionario").then(
      users => setOfficials(users.filter(u => u.active).sort((a, b) => a.full_name.localeCompare(b.full_name, "es"))),
      err => setFailure(t.settings.loadFailed(messageOf(err))),
    )
  }, [])

  const set = (key: keyof typeof EMPTY) => (e: Event) => setForm({ ...form, [key]: (e.currentTarget as HTMLInputElement).value })
  const requester = officials.find(u => u.id === form.requesterId)

  function chooseRequester(e: Event) {
    const id = (e.currentTarget as HTMLSelectElement).value
    const official = officials.find(u => u.id === id)
    // The official's dependencia, unless the coordinator already chose another.
    setForm({ ...form, requesterId: id, dependencia: form.dependencia || official?.dependencia || "" })
  }

  async function save(e: Event) {
    e.preventDefault()
    setFailure(null)
    setCreated(null)
    const found = validateRequest({
      requesterName: requester?.full_name ?? "-",
      dependencia: form.dependencia,
      location: form.location,
      extension: form.extension,
      category: form.category,
      description: form.description,
      equipment: form.equipment,
      photos: [],
    })
    if (!requester) found.requesterId = t.intake.requesterRequired
    if (form.externalRef.trim() === "") found.externalRef = t.intake.externalRefRequired[form.channel]
    if (form.category === "") found.category = t.intake.categoryRequired
    setErrors(found)
    if (Object.keys(found).length > 0) return focusFirstError(e.currentTarget)
    const formEl = e.currentTarget
    setBusy(true)
    try {
      const reply = await createTicket({
        requester_id: form.requesterId,
        channel: form.channel,
        external_ref: form.externalRef.trim(),
        dependencia: form.dependencia.trim().toUpperCase(),
        location: form.location.trim(),
        phone_extension: form.extension.trim(),
        category: form.category,
        description: form.description.trim(),
        equipment: splitCodes(form.equipment).codes,
      })
      setCreated({ id: reply.id, number: reply.number })
      setForm({ ...EMPTY, channel: form.channel })
    } catch (err) {
      if (err instanceof FormError && Object.keys(err.fields).length > 0) {
        const mapped: Errors = {}
        for (const [field, message] of Object.entries(err.fields)) mapped[SERVER_FIELDS[field] ?? field] = message
        setErrors(mapped)
        setFailure(err.message)
      } else setFailure(messageOf(err))
      focusFirstError(formEl)
    } finally {
      setBusy(false)
    }
  }

  return (
    <main class="screen wide">
      <header class="screen-head">
        <h1>{t.intake.title}</h1>
      </header>
      <div class="office-grid">
        <section>
          <h2>{t.intake.formTitle}</h2>
          {created && (
            <p class="ok" role="status">
              {t.intake.created(created.number)}{" "}
              <button type="button" class="link" onClick={() => go(`/casos/${created.id}`)}>
                {t.intake.openCreated}
              </button>
            </p>
          )}
          {failure && (
            <p class="error" role="alert">
              {failure}
            </p>
          )}
          <form class="form" onSubmit={e => void save(e)} noValidate>
            <fieldset class="field">
              <legend class="label">{t.intake.channel}</legend>
              <div class="channels">
                {OFFICE_CHANNELS.map(c => (
                  <label key={c} class="radio">
                    <input
                      type="radio"
                      name="channel"
                      value={c}
                      checked={form.channel === c}
                      onChange={() => setForm({ ...form, channel: c })}
                    />
                    {channelLabel[c]}
                  </label>
                ))}
              </div>
            </fieldset>
            <Field label={t.intake.externalRef[form.channel]} error={errors.externalRef}>
              <input
                name="externalRef"
                maxLength={LIMITS.text.short_text}
                placeholder={t.intake.externalRefPlaceholder[form.channel]}
                value={form.externalRef}
                onInput={set("externalRef")}
              />
            </Field>
            <Field label={t.intake.requester} error={errors.requesterId}>
              <select name="requester" value={form.requesterId} onChange={chooseRequester}>
                <option value="">{t.intake.chooseRequester}</option>
                {officials.map(u => (
                  <option key={u.id} value={u.id}>
                    {u.full_name}
                    {u.dependencia ? ` · ${dependenciaName(u.dependencia)}` : ""}
                  </option>
                ))}
              </select>
            </Field>
            <p class="hint">{t.intake.requesterHint}</p>
            <div class="form-row">
              <Field label={t.intake.dependencia} error={errors.dependencia}>
                <DependenciaSelect value={form.dependencia} none={t.newRequest.chooseDependencia} onChange={set("dependencia")} />
              </Field>
              <Field label={t.intake.extension} error={errors.extension}>
                <input name="extension" maxLength={LIMITS.extensionDigits} inputMode="numeric" value={form.extension} onInput={set("extension")} />
              </Field>
            </div>
            <Field label={t.intake.location} error={errors.location}>
              <input name="location" maxLength={LIMITS.text.short_text} value={form.location} onInput={set("location")} />
            </Field>
            <Field label={t.intake.category} error={errors.category}>
              <select name="category" value={form.category} onChange={set("category")}>
                <option value="">{t.intake.chooseCategory}</option>
                {categoryChoices(form.category).map(c => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            </Field>
            <Field label={t.intake.description} error={errors.description}>
              <textarea name="description" rows={4} value={form.description} onInput={set("description")} />
              <Counter limit="description" value={form.description} />
            </Field>
            <Field label={t.intake.equipment} error={errors.equipment}>
              <input name="equipment" autocapitalize="characters" value={form.equipment} onInput={set("equipment")} />
            </Field>
            <button type="submit" class="primary" disabled={busy}>
              {busy ? t.intake.saving : t.intake.submit}
            </button>
          </form>
        </section>
        <section>
          <h2>{t.intake.waitingTitle}</h2>
          <p class="hint">{t.intake.waitingHint}</p>
          <Waiting />
        </section>
      </div>
    </main>
  )
}
