// The equipment's return from the workshop or the contractor (activity 8, custody record), and a
// case resolved without a visit, remotely or by phone: both recorded on the phone, offline too.

import { useState } from "preact/hooks"
import { t } from "../es"
import { LIMITS, overText } from "../limits"
import { currentUser } from "../session"
import { equipmentOut, recordReturn, resolveRemotely } from "../tickets"
import { type Errors, validateGrowth } from "../validation"
import { Counter, Field, Screen, focusFirstError, useTicket } from "./common"
import { go, ticketPath } from "./router"

export function ReturnView(props: { id: string }) {
  const url = `automerge:${props.id}`
  const { handle, doc } = useTicket(props.id)
  const sent = doc ? equipmentOut(doc) : null
  const [from, setFrom] = useState(String(sent?.to ?? ""))
  const [place, setPlace] = useState(String(doc?.request.location ?? ""))
  const [condition, setCondition] = useState("")
  const [errors, setErrors] = useState<Errors>({})
  if (!handle || !doc) return <Screen title={t.loading} back={ticketPath(url)}><p>{t.loading}</p></Screen>
  function save(e: Event) {
    e.preventDefault()
    const found: Errors = {}
    if (from.trim() === "") found.from = t.custody.fromRequired
    if (place.trim() === "") found.place = t.custody.placeRequired
    const long = overText("condition", condition)
    if (long) found.condition = long
    const full = doc && validateGrowth(doc, { events: 1 })
    if (full) found.form = full
    setErrors(found)
    if (Object.keys(found).length > 0) return focusFirstError(e.currentTarget)
    if (!handle) return
    recordReturn(handle, currentUser(), { from, place, condition }, Date.now())
    go(ticketPath(url), true)
  }
  return (
    <Screen title={t.custody.returnTitle} back={ticketPath(url)}>
      <form class="form" onSubmit={save} noValidate>
        <p class="hint">{t.custody.returnIntro(String(sent?.to ?? ""), String(sent?.place ?? ""))}</p>
        <Field label={t.custody.from} error={errors.from}>
          <input name="from" maxLength={LIMITS.text.short_text} value={from} onInput={e => setFrom(e.currentTarget.value)} />
        </Field>
        <Field label={t.custody.place} error={errors.place}>
          <input name="place" maxLength={LIMITS.text.short_text} value={place} onInput={e => setPlace(e.currentTarget.value)} />
        </Field>
        <Field label={t.custody.condition} error={errors.condition}>
          <textarea name="condition" rows={2} value={condition} onInput={e => setCondition(e.currentTarget.value)} />
          <Counter limit="condition" value={condition} />
        </Field>
        {errors.form && (
          <p class="error" role="alert">
            {errors.form}
          </p>
        )}
        <button type="submit" class="primary">
          {t.custody.save}
        </button>
      </form>
    </Screen>
  )
}

export function RemoteResolutionView(props: { id: string }) {
  const url = `automerge:${props.id}`
  const { handle, doc } = useTicket(props.id)
  const [reason, setReason] = useState("")
  const [errors, setErrors] = useState<Errors>({})
  if (!handle || !doc) return <Screen title={t.loading} back={ticketPath(url)}><p>{t.loading}</p></Screen>
  function save(e: Event) {
    e.preventDefault()
    const found: Errors = {}
    if (reason.trim() === "") found.reason = t.custody.remoteReasonRequired
    const long = overText("reason", reason)
    if (long) found.reason = long
    const full = doc && validateGrowth(doc, { events: 1 })
    if (full) found.form = full
    setErrors(found)
    if (Object.keys(found).length > 0) return focusFirstError(e.currentTarget)
    if (!handle) return
    resolveRemotely(handle, currentUser(), reason, Date.now())
    go(ticketPath(url, "informe"), true)
  }
  return (
    <Screen title={t.custody.remoteTitle} back={ticketPath(url)}>
      <form class="form" onSubmit={save} noValidate>
        <p class="hint">{t.custody.remoteIntro}</p>
        <Field label={t.custody.remoteReason} error={errors.reason}>
          <textarea name="reason" rows={4} value={reason} onInput={e => setReason(e.currentTarget.value)} />
          <Counter limit="reason" value={reason} />
        </Field>
        {errors.form && (
          <p class="error" role="alert">
            {errors.form}
          </p>
        )}
        <button type="submit" class="primary">
          {t.custody.remoteSave}
        </button>
      </form>
    </Screen>
  )
}
