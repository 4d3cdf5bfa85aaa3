// A request typed at the desk when an official stops the technician (channel `field`): a new
// ticket document created on the phone, registered by the server on the next sync.

import { useState } from "preact/hooks"
import { addLocalTicket } from "../agenda"
import { categoryChoices, dependencias } from "../catalog"
import { t } from "../es"
import { currentUser } from "../session"
import { createTicket } from "../sync"
import { newTicketDoc } from "../tickets"
import { type Errors, splitCodes, validateRequest } from "../validation"
import { LIMITS } from "../limits"
import { Counter, Field, Screen, focusFirstError } from "./common"
import { go, ticketPath } from "./router"

export function NewRequestView() {
  const [form, setForm] = useState({
    requesterName: "",
    dependencia: "",
    location: "",
    extension: "",
    category: "",
    description: "",
    equipment: "",
  })
  const [errors, setErrors] = useState<Errors>({})
  const set = (key: keyof typeof form) => (e: Event) =>
    setForm({ ...form, [key]: (e.currentTarget as HTMLInputElement).value })

  async function save(e: Event) {
    e.preventDefault()
    const found = validateRequest({ ...form, photos: [] })
    setErrors(found)
    if (Object.keys(found).length > 0) return focusFirstError(e.currentTarget)
    const user = currentUser()
    const now = Date.now()
    const requester = {
      // As POST /api/tickets without `requester_id`: the registering user's id, with the
      // official's name; the coordinator can correct the requester.
      id: user.id,
      name: form.requesterName.trim(),
    }
    const handle = await createTicket(
      newTicketDoc(
        user,
        {
          requester,
          dependencia: form.dependencia.trim().toUpperCase(),
          location: form.location.trim(),
          phone_extension: form.extension.trim() || null,
          channel: "field",
          external_ref: null,
          category: form.category,
          description: form.description.trim(),
          equipment: splitCodes(form.equipment).codes,
          photos: [],
        },
        now,
      ),
    )
    addLocalTicket({
      url: handle.url,
      createdAt: now,
      summary: form.description.trim().slice(0, 120),
      category: form.category,
      dependencia: form.dependencia.trim().toUpperCase(),
      location: form.location.trim(),
      requester,
    })
    go(ticketPath(handle.url), true)
  }

  return (
    <Screen title={t.newRequest.title} back="/">
      <form class="form" onSubmit={e => void save(e)} noValidate>
        <Field label={t.newRequest.requesterName} error={errors.requesterName}>
          <input name="requesterName" maxLength={LIMITS.text.short_text} value={form.requesterName} onInput={set("requesterName")} />
        </Field>
        <Field label={t.newRequest.dependencia} error={errors.dependencia}>
          {dependencias.value.length > 0 ? (
            <select name="dependencia" value={form.dependencia} onChange={set("dependencia")}>
              <option value="">{t.newRequest.chooseDependencia}</option>
              {dependencias.value.map(d => (
                <option key={d.code} value={d.code}>
                  {d.name}
                </option>
              ))}
            </select>
          ) : (
            <input name="dependencia" autocapitalize="characters" value={form.dependencia} onInput={set("dependencia")} />
          )}
        </Field>
        <Field label={t.newRequest.location} error={errors.location}>
          <input name="location" maxLength={LIMITS.text.short_text} value={form.location} onInput={set("location")} />
        </Field>
        <Field label={t.newRequest.extension} error={errors.extension}>
          <input name="extension" maxLength={LIMITS.extensionDigits} inputMode="numeric" value={form.extension} onInput={set("extension")} />
        </Field>
        <Field label={t.newRequest.category} error={errors.category}>
          <select name="category" value={form.category} onChange={set("category")}>
            <option value="">—</option>
            {categoryChoices(form.category).map(c => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t.newRequest.description} error={errors.description}>
          <textarea name="description" rows={4} value={form.description} onInput={set("description")} />
          <Counter limit="description" value={form.description} />
        </Field>
        <Field label={t.newRequest.equipment} error={errors.equipment}>
          <input name="equipment" autocapitalize="characters" value={form.equipment} onInput={set("equipment")} />
        </Field>
        <button type="submit" class="primary">
          {t.newRequest.submit}
        </button>
      </form>
    </Screen>
  )
}
