// The outbox («Bandeja de salida»): every change and photo the phone has not saved on the server
// yet, with where it is, what the server refused and why, and retry or discard where they make
// sense. Reached from the status bar, for every role.

import { useState } from "preact/hooks"
import { agenda } from "../agenda"
import { remembered } from "../ticketRefs"
import { t } from "../es"
import { type ItemState, type PhotoItem, type TicketItem, photoItems, stateText, ticketItems } from "../outbox"
import { discardPhoto, discardTicketChanges, retryPhoto } from "../outboxActions"
import { queuedPhotos, sendingPhoto } from "../photoService"
import {
  connected,
  dismissNote,
  dismissNotice,
  docNotices,
  docsVersion,
  loadedTicket,
  pendingByDoc,
  plainDoc,
  refusedDocs,
  savedAt,
  serverKnows,
  syncNotes,
} from "../sync"
import { formatDateTime } from "../time"
import { PhotoThumb, Screen } from "./common"
import { go, ticketPath } from "./router"

function StateLine(props: { state: ItemState; reason: string | null }) {
  return (
    <span class={`item-state state-${props.state}`} data-state={props.state}>
      {stateText(props.state, props.reason)}
    </span>
  )
}

/** A discard that asks first, saying what will be lost. */
function Discard(props: { label: string; question: string; disabled?: boolean; onConfirm: () => Promise<void> }) {
  const [asking, setAsking] = useState(false)
  const [busy, setBusy] = useState(false)
  if (!asking)
    return (
      <button type="button" class="danger" disabled={props.disabled} onClick={() => setAsking(true)}>
        {props.label}
      </button>
    )
  return (
    <div class="confirm" role="alertdialog" aria-label={props.label}>
      <p>{props.question}</p>
      <div class="actions">
        <button
          type="button"
          class="danger"
          disabled={busy}
          onClick={async () => {
            setBusy(true)
            try {
              await props.onConfirm()
            } finally {
              setBusy(false)
              setAsking(false)
            }
          }}
        >
          {t.outbox.confirm}
        </button>
        <button type="button" onClick={() => setAsking(false)}>
          {t.cancel}
        </button>
      </div>
    </div>
  )
}

function TicketRow(props: { item: TicketItem }) {
  const { item } = props
  return (
    <li class="card outbox-item" data-url={item.url} data-state={item.state}>
      <p class="item-head">
        <strong>{item.title}</strong>
        <StateLine state={item.state} reason={item.reason} />
      </p>
      {item.summary && <p class="meta">{item.summary}</p>}
      {item.changes > 0 && <p class="meta">{t.outbox.changes(item.changes)}</p>}
      {item.state === "refused" && <p class="hint">{t.outbox.refusedTicketHelp}</p>}
      {item.note && (
        <p class="hint outbox-notice" role="status">
          {item.note}
        </p>
      )}
      <div class="actions">
        <button type="button" onClick={() => go(ticketPath(item.url))}>
          {t.outbox.open}
        </button>
        {item.note && (
          <button type="button" onClick={() => dismissNotice(item.url)}>
            {t.outbox.understood}
          </button>
        )}
        {item.state === "refused" && (
          <Discard
            label={t.outbox.discardTicket}
            question={item.known ? t.outbox.confirmDiscardTicket(item.title) : t.outbox.confirmDiscardNewTicket}
            // Taking the server's copy again needs the server.
            disabled={item.known && !connected.value}
            onConfirm={() => discardTicketChanges(item.url)}
          />
        )}
      </div>
      {item.state === "refused" && item.known && !connected.value && <p class="hint">{t.outbox.discardNeedsServer}</p>}
    </li>
  )
}

function PhotoRow(props: { item: PhotoItem }) {
  const { item } = props
  const retryable = item.state === "refused" || (item.state === "phone" && item.attempts > 0)
  return (
    <li class="card outbox-item" data-sha256={item.sha256} data-state={item.state}>
      <PhotoThumb sha256={item.sha256} />
      <p class="item-head">
        <strong>{item.title}</strong>
        <StateLine state={item.state} reason={item.reason} />
      </p>
      {item.state === "phone" && item.attempts > 0 && <p class="meta">{t.outbox.willRetry}</p>}
      {(retryable || item.state === "refused") && (
        <div class="actions">
          {retryable && (
            <button type="button" disabled={!connected.value} onClick={() => void retryPhoto(item.sha256)}>
              {t.outbox.retry}
            </button>
          )}
          {item.state === "refused" && (
            <Discard label={t.outbox.discard} question={t.outbox.confirmDiscardPhoto} onConfirm={() => discardPhoto(item.sha256)} />
          )}
        </div>
      )}
    </li>
  )
}

export function OutboxView() {
  void docsVersion.value
  const numbers: Record<string, string | null> = {}
  const summaries: Record<string, string> = {}
  for (const tk of agenda.value) {
    numbers[tk.url] = tk.number
    summaries[tk.url] = tk.summary
  }
  // A case no longer in the agenda keeps the number the server's notice gave.
  for (const [url, notice] of Object.entries(docNotices.value)) if (notice.number) numbers[url] ??= notice.number
  // Or the one an earlier agenda gave (a closed case, a case reassigned while offline).
  for (const [url, number] of Object.entries(remembered.value.numbers)) numbers[url] ??= number
  for (const url of [...Object.keys(pendingByDoc.value), ...Object.keys(docNotices.value)]) {
    if (summaries[url]) continue
    const doc = plainDoc(loadedTicket(url))
    if (doc) summaries[url] = String(doc.request.description).split("\n")[0]!.slice(0, 120)
  }
  const tickets = ticketItems({
    pendingByDoc: pendingByDoc.value,
    known: serverKnows,
    refused: refusedDocs.value,
    notices: docNotices.value,
    savedAt: savedAt.value,
    numbers,
    summaries,
    connected: connected.value,
  })
  const photos = photoItems(queuedPhotos.value, sendingPhoto.value, numbers, Date.now())
  const notes = syncNotes.value
  const nothing = tickets.every(i => i.state === "saved") && photos.every(i => i.state === "saved") && notes.length === 0
  return (
    <Screen title={t.outbox.title} back="/">
      <p class="hint">{t.outbox.intro}</p>
      {nothing && <p class="empty">{t.outbox.empty}</p>}
      {notes.length > 0 && (
        <section aria-label={t.outbox.notes}>
          <h2>{t.outbox.notes}</h2>
          <ul class="cards">
            {notes.map(n => (
              <li key={n.at} class="card outbox-note" role="alert">
                <p>{n.message}</p>
                <p class="meta">{formatDateTime(n.at)}</p>
                <button type="button" onClick={() => dismissNote(n.at)}>
                  {t.outbox.dismiss}
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      {tickets.length > 0 && (
        <section aria-label={t.outbox.tickets}>
          <h2>{t.outbox.tickets}</h2>
          <ul class="cards">
            {tickets.map(item => (
              <TicketRow key={item.url} item={item} />
            ))}
          </ul>
        </section>
      )}
      {photos.length > 0 && (
        <section aria-label={t.outbox.photos}>
          <h2>{t.outbox.photos}</h2>
          <ul class="cards">
            {photos.map(item => (
              <PhotoRow key={item.sha256} item={item} />
            ))}
          </ul>
        </section>
      )}
    </Screen>
  )
}
