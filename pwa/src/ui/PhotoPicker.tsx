// Taking evidence photos: the camera through a file input (works on Android and iOS), the
// photo downscaled and queued on the phone; the form keeps the hashes.

import { useState } from "preact/hooks"
import { t } from "../es"
import { addPhoto } from "../photoService"
import type { Photo, Position } from "../schema"
import { PhotoThumb } from "./common"

export function PhotoPicker(props: {
  ticket: string
  photos: Photo[]
  position: Position | null
  onChange: (photos: Photo[]) => void
  error?: string | undefined
  /** The field's label; evidence photos by default. */
  label?: string
}) {
  const [busy, setBusy] = useState(false)
  async function picked(e: Event) {
    const input = e.currentTarget as HTMLInputElement
    const files = [...(input.files ?? [])]
    if (files.length === 0) return
    setBusy(true)
    try {
      const added: Photo[] = []
      for (const file of files) {
        const sha256 = await addPhoto(file, props.ticket)
        if (!props.photos.some(p => p.sha256 === sha256) && !added.some(p => p.sha256 === sha256))
          added.push({ sha256, captured_at: Date.now(), position: props.position })
      }
      props.onChange([...props.photos, ...added])
    } finally {
      setBusy(false)
      input.value = ""
    }
  }
  return (
    <div class={`field${props.error ? " invalid" : ""}`}>
      <span class="label">{props.label ?? t.visit.photos}</span>
      <div class="photos">
        {props.photos.map(p => (
          <PhotoThumb key={p.sha256} sha256={p.sha256} />
        ))}
      </div>
      <label class="button file">
        {busy ? t.loading : t.visit.addPhoto}
        <input type="file" name="photo" accept="image/*" capture="environment" multiple onChange={picked} disabled={busy} />
      </label>
      {props.error && (
        <span class="error" role="alert">
          {props.error}
        </span>
      )}
    </div>
  )
}
