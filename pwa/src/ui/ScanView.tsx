// Scanning an equipment sticker with the camera (or from a photo, or typing the code), looked up
// in the catalogue cached on the phone; from a ticket, the item is linked to the case's equipment
// (the técnico's visit, or the request for a coordinator), and the item's history then shows the
// case.

import { useEffect, useRef, useState } from "preact/hooks"
import type { AutomergeUrl } from "@automerge/automerge-repo/slim"
import { catalog, dependenciaName, describe, lookup } from "../catalog"
import { equipmentKindLabel, equipmentStatusLabel, t } from "../es"
import { codeFromQr } from "../schema"
import { readQr } from "../scanner"
import { currentUser } from "../session"
import { findTicket } from "../sync"
import { linkEquipment } from "../tickets"
import { formatDateTime } from "../time"
import { Field, Screen } from "./common"
import { go, ticketPath } from "./router"

export function ScanView(props: { ticket: string | null }) {
  const video = useRef<HTMLVideoElement>(null)
  const [code, setCode] = useState<string | null>(null)
  const [typed, setTyped] = useState("")
  const [message, setMessage] = useState<string | null>(null)
  const [attached, setAttached] = useState(false)
  const back = props.ticket ? ticketPath(props.ticket) : "/"

  useEffect(() => {
    if (code) return
    let stream: MediaStream | null = null
    let stopped = false
    async function run() {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
        const v = video.current
        if (!v || stopped) return
        v.srcObject = stream
        await v.play()
        while (!stopped) {
          if (v.readyState >= 2) {
            const text = await readQr(v).catch(() => null)
            const found = text ? codeFromQr(text) : null
            if (found) {
              setCode(found)
              return
            }
          }
          await new Promise(r => setTimeout(r, 250))
        }
      } catch {
        setMessage(t.scan.noCamera)
      }
    }
    void run()
    return () => {
      stopped = true
      stream?.getTracks().forEach(track => track.stop())
    }
  }, [code])

  async function fromPhoto(e: Event) {
    const input = e.currentTarget as HTMLInputElement
    const file = input.files?.[0]
    if (!file) return
    const text = await readQr(await createImageBitmap(file)).catch(() => null)
    const found = text ? codeFromQr(text) : null
    if (found) setCode(found)
    else setMessage(t.scan.notQr)
    input.value = ""
  }

  async function attach() {
    if (!props.ticket || !code) return
    const handle = await findTicket(`automerge:${props.ticket}` as AutomergeUrl)
    if (!linkEquipment(handle, currentUser(), code)) return setMessage(t.scan.startVisitFirst)
    setAttached(true)
  }

  const item = code ? lookup(code) : undefined
  return (
    <Screen title={t.scan.title} back={back}>
      {catalog.value ? <p class="hint">{t.scan.catalogAge(formatDateTime(catalog.value.fetchedAt))}</p> : <p class="hint">{t.scan.noCatalog}</p>}
      {!code && (
        <>
          <p>{t.scan.hint}</p>
          <video ref={video} class="camera" muted playsInline />
          {message && <p class="error" role="alert">{message}</p>}
          <label class="button file">
            {t.scan.fromPhoto}
            <input type="file" accept="image/*" onChange={fromPhoto} />
          </label>
          <form
            class="form inline"
            onSubmit={e => {
              e.preventDefault()
              const found = codeFromQr(typed)
              if (found) setCode(found)
              else setMessage(t.visit.custodyEquipmentRequired)
            }}
          >
            <Field label={t.scan.typeCode}>
              <input name="code" autocapitalize="characters" value={typed} onInput={e => setTyped(e.currentTarget.value)} />
            </Field>
            <button type="submit">{t.scan.lookup}</button>
          </form>
        </>
      )}
      {code && (
        <section class="scanned" data-code={code}>
          <h2>{code}</h2>
          {item ? <EquipmentDetails code={code} /> : <p>{t.scan.notFound(code)}</p>}
          {props.ticket && !attached && (
            <button type="button" class="primary" onClick={() => void attach()}>
              {t.scan.attach}
            </button>
          )}
          {attached && <p class="ok">{t.scan.attached}</p>}
          {!attached && message && (
            <p class="error" role="alert">
              {message}
            </p>
          )}
          {!props.ticket && item && (
            <button type="button" onClick={() => go(`/equipos/${code}`)}>
              {t.equipment.title}
            </button>
          )}
          <button
            type="button"
            onClick={() => {
              setCode(null)
              setAttached(false)
              setMessage(null)
            }}
          >
            {t.scan.again}
          </button>
        </section>
      )}
    </Screen>
  )
}

export function EquipmentDetails(props: { code: string }) {
  const item = lookup(props.code)
  if (!item) return <p>{t.equipment.unknown}</p>
  return (
    <dl>
      <dt>{t.equipment.kind}</dt>
      <dd>{equipmentKindLabel(item.kind)}</dd>
      <dt>{t.equipment.brandModel}</dt>
      <dd>{[item.brand, item.model].filter(Boolean).join(" ")}</dd>
      <dt>{t.equipment.dependencia}</dt>
      <dd>{dependenciaName(item.dependencia)}</dd>
      <dt>{t.equipment.location}</dt>
      <dd>{item.location}</dd>
      <dt>{t.equipment.status}</dt>
      <dd>{equipmentStatusLabel(item.status)}</dd>
    </dl>
  )
}
