// Taking evidence photos: the camera through a file input (works on Android and iOS), the
// photo checked (a file that is not an image never enters the queue), downscaled and queued on
// the phone; the form keeps the hashes, and a photo can be taken out again before saving.

import { useState } from "preact/hooks"
import { t } from "../es"
import { type ListKey, LIMITS, overList } from "../limits"
import { photoRemovedFromForm } from "../outboxActions"
import { NotAPhoto, addPhoto } from "../photoService"
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
  /** The list whose limit applies: a visit's evidence by default. */
  limit?: ListKey
}) {
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)
  const limit = props.limit ?? "evidence"
  async function picked(e: Event) {
    const input = e.currentTarget as HTMLInputElement
    const files = [...(input.files ?? [])]
    if (files.length === 0) return
    setBusy(true)
    setProblem(null)
    const problems: string[] = []
    try {
      const added: Photo[] = []
      for (const file of files) {
        const count = props.photos.length + added.length
        if (count >= LIMITS.lists[limit]) {
          problems.push(overList(limit, count + 1) ?? "")
          break
        }
        try {
          const sha256 = await addPhoto(file, props.ticket)
          if (!props.photos.some(p => p.sha256 === sha256) && !added.some(p => p.sha256 === sha256))
            added.push({ sha256, captured_at: Date.now(), position: props.position })
        } catch (err) {
          if (err instanceof NotAPhoto) problems.push(err.message)
          else {
            console.warn("Campo: a photo could not be kept", err)
            problems.push(t.errors.storage)
          }
        }
      }
      if (added.length > 0) props.onChange([...props.photos, ...added])
    } finally {
      setBusy(false)
      setProblem(problems.length > 0 ? problems.join(" ") : null)
      input.value = ""
    }
  }
  function remove(sha256: string) {
    setProblem(null)
    props.onChange(props.photos.filter(p => p.sha256 !== sha256))
    // Out of the form (or the open visit): its bytes leave the queue if no ticket uses them.
    void photoRemovedFromForm(sha256)
  }
  const error = problem ?? props.error
  return (
    <div class={`field${error ? " invalid" : ""}`}>
      <span class="label">{props.label ?? t.visit.photos}</span>
      <div class="photos">
        {props.photos.map((p, i) => (
          <span key={p.sha256} class="photo-item" data-sha256={p.sha256}>
            <PhotoThumb sha256={p.sha256} />
            <button type="button" class="remove" aria-label={t.photo.removeOf(i + 1)} title={t.photo.remove} onClick={() => remove(p.sha256)}>
              ×
            </button>
          </span>
        ))}
      </div>
      <label class="button file">
        {busy ? t.loading : t.visit.addPhoto}
        <input
          type="file"
          name="photo"
          accept="image/*"
          capture="environment"
          multiple
          onChange={picked}
          disabled={busy}
        />
      </label>
      {error && (
        <span class="error" role="alert">
          {error}
        </span>
      )}
    </div>
  )
}
