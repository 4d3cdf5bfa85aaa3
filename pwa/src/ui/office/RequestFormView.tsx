// Activity 1: an official asks for assistance. The request is a new ticket document created on the
// phone (channel intranet, in the official's own name), so it can be filed without a connection;
// the server registers it and gives it a number on the first sync. Photos wait in the photo queue.

import { useState } from "preact/hooks"
import { addLocalTicket } from "../../agenda"
import { catalog, categoryChoices, dependencias, describe, lookup } from "../../catalog"
import { t } from "../../es"
import { type OfficialForm, inventoryOf, officialTicketDoc, validateOfficial } from "../../office"
import type { Photo } from "../../schema"
import { currentUser } from "../../session"
import { createTicket } from "../../sync"
import type { Errors } from "../../validation"
import { LIMITS } from "../../limits"
import { Counter, DependenciaSelect, Field, Screen, focusFirstError } from "../common"
import { PhotoPicker } from "../PhotoPicker"
import { go, ticketPath } from "../router"
import { StickerScanner } from "./StickerScanner"

/** Where the official sat last time, to fill the form in faster. */
function placeKey(userId: string): string {
  return `campo.office.place.${userId}`
}

function lastPlace(userId: string): { location: string; extension: string } {
  try {
    const saved = JSON.parse(localStorage.getItem(placeKey(userId)) ?? "null") as { location?: string; extension?: string } | null
    return { location: saved?.location ?? "", extension: saved?.extension ?? "" }
  } catch {
    return { location: "", extension: "" }
  }
}

/** Above this many items the inventory gets a search box. */
const FILTER_FROM = 6

export function RequestFormView() {
  const user = currentUser()
  const [form, setForm] = useState<Omit<OfficialForm, "photos">>(() => ({
    dependencia: user.dependencia ?? "",
    description: "",
    category: "",
    equipment: [],
    ...lastPlace(user.id),
  }))
  const [photos, setPhotos] = useState<Photo[]>([])
  const [errors, setErrors] = useState<Errors>({})
  const [query, setQuery] = useState("")
  const [scanning, setScanning] = useState(false)
  const [scanned, setScanned] = useState<string | null>(null)
  const [saving, setSaving] = useState(false)

  /** A field's error goes away as soon as the field is edited. */
  const clear = (key: string) => setErrors(({ [key]: _, ...rest }) => rest)
  const set = (key: "dependencia" | "description" | "category" | "location" | "extension") => (e: Event) => {
    const value = (e.currentTarget as HTMLInputElement).value
    setForm(f => ({ ...f, [key]: value }))
    clear(key)
  }
  const toggle = (code: string, on: boolean) => {
    setForm(f => ({ ...f, equipment: on ? [...f.equipment.filter(c => c !== code), code] : f.equipment.filter(c => c !== code) }))
    clear("equipment")
  }

  const items = catalog.value?.items ?? []
  const all = inventoryOf(items, form.dependencia)
  const shown = inventoryOf(items, form.dependencia, query)
  const extra = form.equipment.filter(code => !all.some(i => i.code === code))
  const dependenciaName = dependencias.value.find(d => d.code === user.dependencia)?.name ?? user.dependencia

  async function save(e: Event) {
    e.preventDefault()
    if (saving) return
    const filled: OfficialForm = { ...form, photos: photos.map(p => p.sha256) }
    const found = validateOfficial(user, filled)
    setErrors(found)
    if (Object.keys(found).length > 0) return focusFirstError(e.currentTarget)
    const formEl = e.currentTarget
    setSaving(true)
    try {
      const now = Date.now()
      const doc = officialTicketDoc(user, filled, now)
      const handle = await createTicket(doc)
      addLocalTicket({
        url: handle.url,
        createdAt: now,
        summary: doc.request.description.split("\n")[0]!.slice(0, 120),
        category: doc.request.category,
        dependencia: doc.request.dependencia,
        location: doc.request.location,
        requester: doc.request.requester,
      })
      localStorage.setItem(placeKey(user.id), JSON.stringify({ location: doc.request.location, extension: filled.extension.trim() }))
      go(ticketPath(handle.url), true)
    } catch (err) {
      console.warn("Campo: the request could not be saved", err)
      setErrors({ form: t.errors.storage })
      setSaving(false)
      focusFirstError(formEl)
    }
  }

  return (
    <Screen title={t.office.requestTitle}>
      <p class="hint">{t.office.intro}</p>
      <form class="form" onSubmit={e => void save(e)} noValidate>
        {user.dependencia ? (
          <dl>
            <dt>{t.office.requester}</dt>
            <dd>{user.full_name}</dd>
            <dt>{t.office.dependencia}</dt>
            <dd>{dependenciaName}</dd>
          </dl>
        ) : (
          <Field label={t.office.dependencia} error={errors.dependencia}>
            <DependenciaSelect value={form.dependencia} none={t.newRequest.chooseDependencia} onChange={set("dependencia")} />
          </Field>
        )}

        <Field label={t.office.description} error={errors.description}>
          <textarea name="description" rows={4} value={form.description} onInput={set("description")} aria-describedby="description-hint" />
          <Counter limit="description" value={form.description} />
        </Field>
        <p class="hint field-hint" id="description-hint">
          {t.office.descriptionHint}
        </p>

        <Field label={t.office.category} error={errors.category}>
          <select name="category" value={form.category} onChange={set("category")}>
            <option value="">{t.office.chooseCategory}</option>
            {categoryChoices(form.category).map(c => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </Field>

        <fieldset class={`field${errors.equipment ? " invalid" : ""}`}>
          <legend class="label">{t.office.equipment}</legend>
          <p class="hint">{all.length > 0 ? t.office.equipmentHint : t.office.noInventory}</p>
          {all.length > FILTER_FROM && (
            <input
              type="search"
              name="equipmentFilter"
              aria-label={t.office.equipmentFilter}
              placeholder={t.office.equipmentFilter}
              value={query}
              onInput={e => setQuery(e.currentTarget.value)}
            />
          )}
          {(shown.length > 0 || extra.length > 0) && (
            <ul class="choices">
              {extra.map(code => {
                const item = lookup(code)
                return (
                  <li key={code}>
                    <label class="check">
                      <input type="checkbox" name="equipment" value={code} checked onChange={e => toggle(code, e.currentTarget.checked)} />
                      <span>
                        <strong>{code}</strong>
                        {item ? ` · ${describe(item)}` : ""}
                        <span class="meta"> — {t.office.notInInventory}</span>
                      </span>
                    </label>
                  </li>
                )
              })}
              {shown.map(item => (
                <li key={item.code}>
                  <label class="check">
                    <input
                      type="checkbox"
                      name="equipment"
                      value={item.code}
                      checked={form.equipment.includes(item.code)}
                      onChange={e => toggle(item.code, e.currentTarget.checked)}
                    />
                    <span>
                      <strong>{item.code}</strong> · {describe(item)}
                      {item.location && <span class="meta"> · {item.location}</span>}
                    </span>
                  </label>
                </li>
              ))}
            </ul>
          )}
          {all.length > 0 && shown.length === 0 && <p class="empty">{t.office.noMatch}</p>}
          {scanning ? (
            <StickerScanner
              onCode={code => {
                toggle(code, true)
                setScanned(code)
                setScanning(false)
              }}
              onClose={() => setScanning(false)}
            />
          ) : (
            <button
              type="button"
              onClick={() => {
                setScanned(null)
                setScanning(true)
              }}
            >
              {t.office.scan}
            </button>
          )}
          {scanned && (
            <p class="ok" role="status">
              {t.office.scanned(scanned)}
            </p>
          )}
          {errors.equipment && (
            <span class="error" role="alert">
              {errors.equipment}
            </span>
          )}
        </fieldset>

        <PhotoPicker ticket="solicitud-nueva" limit="request_photos" label={t.office.photos} photos={photos} position={null} onChange={p => (setPhotos(p), clear("photos"))} error={errors.photos} />

        <Field label={t.office.location} error={errors.location}>
          <input name="location" maxLength={LIMITS.text.short_text} value={form.location} onInput={set("location")} autocomplete="off" />
        </Field>
        <Field label={t.office.extension} error={errors.extension}>
          <input name="extension" maxLength={LIMITS.extensionDigits} inputMode="numeric" value={form.extension} onInput={set("extension")} />
        </Field>

        {errors.form && (
          <p class="error" role="alert">
            {errors.form}
          </p>
        )}
        <button type="submit" class="primary" disabled={saving}>
          {saving ? t.office.saving : t.office.submit}
        </button>
      </form>
    </Screen>
  )
}
