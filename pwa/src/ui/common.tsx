// Small pieces shared by the screens.

import type { ComponentChildren } from "preact"
import { useEffect, useRef, useState } from "preact/hooks"
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo/slim"
import { dependencias } from "../catalog"
import { t } from "../es"
import { LIMITS, type TextKey, chars } from "../limits"
import type { TicketDoc } from "../schema"
import { docsVersion, findTicket, loadedTicket, plainDoc, refusedDocs } from "../sync"
import { photoUrl } from "../photoService"
import { go } from "./router"

export function Screen(props: { title: string; back?: string; children: ComponentChildren }) {
  return (
    <main class="screen">
      <header class="screen-head">
        {props.back !== undefined && (
          <button type="button" class="back" aria-label={t.back} onClick={() => go(props.back!)}>
            ‹
          </button>
        )}
        <h1>{props.title}</h1>
      </header>
      {props.children}
    </main>
  )
}

/** A `<select name="dependencia">` over the cached dependencias; `none` labels the empty choice. */
export function DependenciaSelect(props: { value: string; none: string; onChange: (e: Event) => void }) {
  return (
    <select name="dependencia" value={props.value} onChange={props.onChange}>
      <option value="">{props.none}</option>
      {dependencias.value.map(d => (
        <option key={d.code} value={d.code}>
          {d.name}
        </option>
      ))}
    </select>
  )
}

/**
 * After a refused submit: moves the keyboard focus to the first error of `form` (the first invalid
 * field's control, else the first error message), once the errors just set are on screen. Every
 * form calls it, so a keyboard or screen-reader user lands on what to fix.
 */
export function focusFirstError(form: EventTarget | Element | null): void {
  if (!(form instanceof Element)) return
  // State updates render on the next microtask; a task later the errors are in the DOM.
  setTimeout(() => {
    const target = form.querySelector<HTMLElement>(
      [
        ".invalid input:not([type=hidden])",
        ".invalid textarea",
        ".invalid select",
        "[aria-invalid='true']",
        ".error",
      ].join(", "),
    )
    if (!target) return
    if (target.matches(".error") && !target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1")
    target.focus()
  }, 0)
}

export function Field(props: { label: string; error?: string | undefined; children: ComponentChildren }) {
  return (
    <label class={`field${props.error ? " invalid" : ""}`}>
      <span class="label">{props.label}</span>
      {props.children}
      {props.error && (
        <span class="error" role="alert">
          {props.error}
        </span>
      )}
    </label>
  )
}

/** When the server refused changes of this ticket: the reason, and the way to the outbox. */
export function RefusedBanner(props: { url: string }) {
  const refusal = refusedDocs.value[props.url]
  if (!refusal) return null
  return (
    <div class="warning refused-banner" role="alert">
      <p>{t.outbox.ticketRefused(refusal.reason)}</p>
      <button type="button" onClick={() => go("/pendientes")}>
        {t.outbox.title}
      </button>
    </div>
  )
}

/** «3950 de 4000 caracteres» under a text once it nears its limit (at 80 %), red past it. */
export function Counter(props: { limit: TextKey; value: string }) {
  const max = LIMITS.text[props.limit]
  const n = chars(props.value.trim())
  if (n < max * 0.8) return null
  return <span class={`counter${n > max ? " over" : ""}`}>{t.limits.count(n, max)}</span>
}

/** The ticket document with `id` (the URL without `automerge:`), re-read on every change. */
export function useTicket(id: string): {
  handle: DocHandle<TicketDoc> | null
  doc: TicketDoc | null
  failed: boolean
} {
  const url = `automerge:${id}` as AutomergeUrl
  const [handle, setHandle] = useState<DocHandle<TicketDoc> | null>(loadedTicket(url) ?? null)
  const [failed, setFailed] = useState(false)
  useEffect(() => {
    let live = true
    if (!handle)
      findTicket(url).then(
        h => live && setHandle(h),
        err => {
          console.warn(`Campo: ticket ${url} unavailable`, err)
          if (live) setFailed(true)
        },
      )
    return () => {
      live = false
    }
  }, [url])
  void docsVersion.value // re-render on any document change
  const doc = plainDoc(handle)
  return { handle, doc, failed }
}

/**
 * A photo's thumbnail; activating it (click, Enter, Space) opens the photo full size in a modal
 * dialog (the display size, GET /api/blobs/{sha256}, or the phone's own copy before it is
 * uploaded), which Escape or its button closes.
 */
export function PhotoThumb(props: { sha256: string }) {
  const [src, setSrc] = useState<string | null>(null)
  const [full, setFull] = useState<string | null>(null)
  const dialog = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    let url: string | null = null
    void photoUrl(props.sha256).then(u => {
      url = u
      setSrc(u)
    })
    return () => {
      if (url?.startsWith("blob:")) URL.revokeObjectURL(url)
    }
  }, [props.sha256])
  const [broken, setBroken] = useState(false)
  // A photo the browser cannot show (a refused file, say) is an empty square, not a broken icon.
  if (!src || broken) return <span class="thumb" />
  const open = () => {
    setFull(src.startsWith("blob:") ? src : `/api/blobs/${props.sha256}`)
    dialog.current?.showModal()
  }
  return (
    <>
      <button type="button" class="thumb-open" aria-label={t.photo.open} aria-haspopup="dialog" onClick={open}>
        <img class="thumb" src={src} alt="" loading="lazy" onError={() => setBroken(true)} />
      </button>
      <dialog
        ref={dialog}
        class="photo-full"
        aria-label={t.photo.full}
        onClose={() => setFull(null)}
        // A click on the backdrop (outside the photo) closes it too.
        onClick={e => e.target === dialog.current && dialog.current?.close()}
      >
        {full && <img src={full} alt={t.photo.full} />}
        <form method="dialog">
          <button type="submit" autofocus>
            {t.photo.close}
          </button>
        </form>
      </dialog>
    </>
  )
}
