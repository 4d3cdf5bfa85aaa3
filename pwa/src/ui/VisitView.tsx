// The visit screen: first the procedure's question, then either the absent-user record or the
// intervention.

import { useEffect, useRef, useState } from "preact/hooks"
import { describe, lookup } from "../catalog"
import { outcomeLabel, t } from "../es"
import { LIMITS } from "../limits"
import { OUTCOMES, fold, type Outcome, type Photo, type Position, type Signature } from "../schema"
import { currentUser } from "../session"
import { addEvidence, finishIntervention, recordAbsent, removeEvidence, startIntervention } from "../tickets"
import { formatDateTime, fromBogotaInput } from "../time"
import { type Errors, movesEquipment, splitCodes, validateAbsent, validateGrowth, validateIntervention } from "../validation"
import { addPhoto } from "../photoService"
import { Counter, Field, Screen, useTicket, focusFirstError } from "./common"
import { PhotoPicker } from "./PhotoPicker"
import { SignaturePad, type Strokes, signaturePng } from "./SignaturePad"
import { go, ticketPath } from "./router"

/** The phone's position if the user allows it; null otherwise (never blocks the form). */
function usePosition(): Position | null | undefined {
  const [position, setPosition] = useState<Position | null | undefined>(undefined)
  useEffect(() => {
    if (!("geolocation" in navigator)) return setPosition(null)
    navigator.geolocation.getCurrentPosition(
      p => setPosition({ lat: p.coords.latitude, lon: p.coords.longitude, accuracy_m: p.coords.accuracy }),
      () => setPosition(null),
      { enableHighAccuracy: true, timeout: 15_000, maximumAge: 60_000 },
    )
  }, [])
  return position
}

function PositionLine(props: { position: Position | null | undefined }) {
  return (
    <p class="hint">
      {t.visit.position}:{" "}
      {props.position === undefined ? t.loading : props.position ? t.visit.positionOk(props.position.accuracy_m) : t.visit.positionNone}
    </p>
  )
}

export function VisitView(props: { id: string }) {
  const url = `automerge:${props.id}`
  const { handle, doc } = useTicket(props.id)
  const [startedAt] = useState(Date.now())
  const [answer, setAnswer] = useState<"present" | "absent" | null>(null)
  if (!handle || !doc) return <Screen title={t.loading} back={ticketPath(url)}><p>{t.loading}</p></Screen>
  const user = currentUser()
  const f = fold(doc.events)
  const open = f.openVisit ? doc.visits.find(v => String(v.id) === f.openVisit) : undefined
  if (open && String(open.technician) === user.id)
    return <InterventionForm id={props.id} visitId={String(open.id)} />
  if (answer === "absent") return <AbsentForm id={props.id} startedAt={startedAt} />
  // A visit adds one visit and two events (started, then absent or finished).
  const full = validateGrowth(doc, { visits: 1, events: 2 })
  if (full)
    return (
      <Screen title={t.ticket.startVisit} back={ticketPath(url)}>
        <p class="error" role="alert">
          {full}
        </p>
      </Screen>
    )
  return (
    <Screen title={t.ticket.startVisit} back={ticketPath(url)}>
      <p class="question">{t.visit.question}</p>
      <div class="actions big">
        <button
          type="button"
          class="primary"
          onClick={() => {
            startIntervention(handle, user, Date.now())
            setAnswer("present")
          }}
        >
          {t.yes}
        </button>
        <button type="button" class="primary" onClick={() => setAnswer("absent")}>
          {t.no}
        </button>
      </div>
    </Screen>
  )
}

function AbsentForm(props: { id: string; startedAt: number }) {
  const url = `automerge:${props.id}`
  const { handle } = useTicket(props.id)
  const position = usePosition()
  const [photos, setPhotos] = useState<Photo[]>([])
  const [note, setNote] = useState("")
  const [noticeLeft, setNoticeLeft] = useState(true)
  const [next, setNext] = useState("")
  const [errors, setErrors] = useState<Errors>({})
  function save(e: Event) {
    e.preventDefault()
    const nextVisitAt = fromBogotaInput(next)
    const found = validateAbsent({ photos: photos.length, note, nextVisitAt }, Date.now())
    setErrors(found)
    if (Object.keys(found).length > 0) return focusFirstError(e.currentTarget)
    if (!handle || nextVisitAt === null) return
    recordAbsent(handle, currentUser(), { startedAt: props.startedAt, photos, note, noticeLeft, nextVisitAt }, Date.now())
    go(ticketPath(url), true)
  }
  return (
    <Screen title={t.visit.absentTitle} back={ticketPath(url)}>
      <form class="form" onSubmit={save} noValidate>
        <p class="hint">{formatDateTime(props.startedAt)}</p>
        <PositionLine position={position} />
        <PhotoPicker
          ticket={url}
          photos={photos}
          position={position ?? null}
          onChange={setPhotos}
          error={errors.photos}
        />
        <Field label={t.visit.note} error={errors.note}>
          <textarea name="note" rows={3} value={note} onInput={e => setNote(e.currentTarget.value)} />
          <Counter limit="note" value={note} />
        </Field>
        <label class="check">
          <input type="checkbox" name="notice" checked={noticeLeft} onChange={e => setNoticeLeft(e.currentTarget.checked)} />
          {t.visit.noticeLeft}
        </label>
        <Field label={t.visit.nextVisit} error={errors.nextVisitAt}>
          <input type="datetime-local" name="next" value={next} onInput={e => setNext(e.currentTarget.value)} />
        </Field>
        <button type="submit" class="primary">
          {t.visit.saveAbsent}
        </button>
      </form>
    </Screen>
  )
}

function InterventionForm(props: { id: string; visitId: string }) {
  const url = `automerge:${props.id}`
  const { handle, doc } = useTicket(props.id)
  const position = usePosition()
  // Photos go into the open visit as they are taken (and can be taken out until it ends).
  const visit = doc?.visits.find(v => String(v.id) === props.visitId)
  const photos: Photo[] = (visit?.evidence ?? []).map(p => ({ ...p, sha256: String(p.sha256) }))
  function setPhotos(next: Photo[]) {
    if (!handle) return
    const user = currentUser()
    const keep = new Set(next.map(p => p.sha256))
    for (const p of photos) if (!keep.has(p.sha256)) removeEvidence(handle, user, props.visitId, p.sha256)
    const have = new Set(photos.map(p => p.sha256))
    const added = next.filter(p => !have.has(p.sha256))
    if (added.length > 0) addEvidence(handle, user, props.visitId, added)
  }
  const [diagnosis, setDiagnosis] = useState("")
  const [actions, setActions] = useState("")
  const [tests, setTests] = useState("")
  const [outcome, setOutcome] = useState<Outcome | "">("")
  const [custodyTo, setCustodyTo] = useState("")
  const [custodyPlace, setCustodyPlace] = useState("")
  const [condition, setCondition] = useState("")
  const worked = (visit?.equipment ?? []).map(String)
  const [equipment, setEquipment] = useState(
    [...new Set([...(doc?.request.equipment ?? []).map(String), ...worked])].join(", "),
  )
  const [errors, setErrors] = useState<Errors>({})
  const canvas = useRef<HTMLCanvasElement | null>(null)
  const [strokes, setStrokes] = useState<Strokes>({ count: 0, lastAt: 0 })
  const [signer, setSigner] = useState(String(doc?.request.requester.name ?? ""))
  const [signerAbsent, setSignerAbsent] = useState(false)
  const [saving, setSaving] = useState(false)
  async function save(e: Event) {
    e.preventDefault()
    if (saving) return
    const form = {
      diagnosis,
      actions,
      tests,
      outcome,
      custodyTo,
      custodyPlace,
      custodyEquipment: equipment,
      custodyCondition: condition,
      photos: photos.length,
    }
    const found = validateIntervention(form)
    if (outcome === "resolved" && !signerAbsent) {
      if (strokes.count === 0) found.signature = t.signature.required
      else if (signer.trim() === "") found.signer = t.signature.signerRequired
    }
    setErrors(found)
    if (Object.keys(found).length > 0) return focusFirstError(e.currentTarget)
    if (!handle || outcome === "") return
    // The drawing is kept on the phone like a photo, and sent when there is a connection.
    let signature: Signature | "absent" | null = null
    if (outcome === "resolved") {
      if (signerAbsent) signature = "absent"
      else {
        setSaving(true)
        try {
          const sha256 = await addPhoto(await signaturePng(canvas.current!), url)
          signature = { sha256, signer: signer.trim(), signed_at: strokes.lastAt, strokes: strokes.count }
        } catch (err) {
          console.warn("Campo: the signature could not be kept", err)
          setErrors({ signature: t.signature.unreadable })
          return
        } finally {
          setSaving(false)
        }
      }
    }
    finishIntervention(
      handle,
      currentUser(),
      props.visitId,
      {
        diagnosis,
        actions,
        tests,
        outcome,
        photos,
        custody: movesEquipment(outcome)
          ? { equipment: splitCodes(equipment).codes, to: custodyTo.trim(), place: custodyPlace.trim(), condition: condition.trim() }
          : null,
        signature,
      },
      Date.now(),
    )
    go(outcome === "resolved" ? ticketPath(url, "informe") : ticketPath(url), true)
  }
  return (
    <Screen title={t.visit.interventionTitle} back={ticketPath(url)}>
      <form class="form" onSubmit={e => void save(e)} noValidate>
        <PositionLine position={position} />
        <div class="field">
          <span class="label">{t.ticket.visitEquipment}</span>
          <p>
            {worked.map(code => {
              const item = lookup(code)
              return (
                <span key={code} class="chip">
                  {code}
                  {item ? ` · ${describe(item)}` : ""}
                </span>
              )
            })}
            <button type="button" onClick={() => go(`/escanear?caso=${props.id}`)}>
              {t.ticket.scanEquipment}
            </button>
          </p>
        </div>
        <Field label={t.visit.diagnosis} error={errors.diagnosis}>
          <textarea name="diagnosis" rows={3} value={diagnosis} onInput={e => setDiagnosis(e.currentTarget.value)} />
          <Counter limit="diagnosis" value={diagnosis} />
        </Field>
        <Field label={t.visit.actions} error={errors.actions}>
          <textarea name="actions" rows={3} value={actions} onInput={e => setActions(e.currentTarget.value)} />
          <Counter limit="actions" value={actions} />
        </Field>
        <Field label={t.visit.tests} error={errors.tests}>
          <textarea name="tests" rows={3} value={tests} onInput={e => setTests(e.currentTarget.value)} />
          <Counter limit="tests" value={tests} />
        </Field>
        <PhotoPicker ticket={url} photos={photos} position={position ?? null} onChange={setPhotos} error={errors.photos} />
        <fieldset class={`field${errors.outcome ? " invalid" : ""}`}>
          <legend class="label">{t.visit.outcome}</legend>
          {OUTCOMES.map(o => (
            <label key={o} class="radio">
              <input type="radio" name="outcome" value={o} checked={outcome === o} onChange={() => setOutcome(o)} />
              {outcomeLabel[o]}
            </label>
          ))}
          {errors.outcome && <span class="error">{errors.outcome}</span>}
        </fieldset>
        {movesEquipment(outcome) && (
          <fieldset class="field">
            <legend class="label">{t.visit.custodyTitle}</legend>
            <Field label={t.visit.custodyEquipment} error={errors.custodyEquipment}>
              <input name="custodyEquipment" value={equipment} onInput={e => setEquipment(e.currentTarget.value)} />
            </Field>
            <Field label={t.visit.custodyTo} error={errors.custodyTo}>
              <input
                name="custodyTo"
                maxLength={LIMITS.text.short_text}
                value={custodyTo}
                onInput={e => setCustodyTo(e.currentTarget.value)}
              />
            </Field>
            <Field label={t.visit.custodyPlace} error={errors.custodyPlace}>
              <input
                name="custodyPlace"
                maxLength={LIMITS.text.short_text}
                value={custodyPlace}
                onInput={e => setCustodyPlace(e.currentTarget.value)}
              />
            </Field>
            <Field label={t.visit.custodyCondition} error={errors.custodyCondition}>
              <textarea name="custodyCondition" rows={2} value={condition} onInput={e => setCondition(e.currentTarget.value)} />
              <Counter limit="condition" value={condition} />
            </Field>
          </fieldset>
        )}
        {outcome === "resolved" && (
          <fieldset class={`field${errors.signature ? " invalid" : ""}`}>
            <legend class="label">{t.signature.title}</legend>
            <p class="hint">{t.signature.intro}</p>
            <SignaturePad strokes={strokes} onChange={setStrokes} canvasRef={canvas} disabled={signerAbsent} />
            {errors.signature && (
              <span class="error" role="alert">
                {errors.signature}
              </span>
            )}
            <Field label={t.signature.signer} error={errors.signer}>
              <input
                name="signer"
                maxLength={LIMITS.text.short_text}
                value={signer}
                disabled={signerAbsent}
                onInput={e => setSigner(e.currentTarget.value)}
              />
            </Field>
            <label class="check">
              <input type="checkbox" name="signerAbsent" checked={signerAbsent} onChange={e => setSignerAbsent(e.currentTarget.checked)} />
              {t.signature.absent}
            </label>
          </fieldset>
        )}
        <button type="submit" class="primary" disabled={saving}>
          {t.visit.saveIntervention}
        </button>
      </form>
    </Screen>
  )
}
