// The photo queue of the running app: one queue, its counts as signals, and the triggers that
// start an upload round (start, `online`, visible again, sync reconnected, a new photo, backoff).

import { effect, signal } from "@preact/signals"
import { t } from "./es"
import { serverAccepts, sniffImage } from "./imageKind"
import type { QueuedPhotoInfo } from "./outbox"
import { PhotoQueue } from "./photos"
import { connected } from "./sync"
import { sessionExpired } from "./session"

export const pendingPhotos = signal(0)
export const failedPhotos = signal(0)
export const refusedPhotos = signal(0)
/** Every photo of the queue, without its bytes (for the outbox). */
export const queuedPhotos = signal<QueuedPhotoInfo[]>([])
/** The photo being uploaded right now. */
export const sendingPhoto = signal<string | null>(null)

/** A file the phone will not queue as a photo; the message says why, in Spanish. */
export class NotAPhoto extends Error {}

let queue: Promise<PhotoQueue> | null = null
let running = false
let again = false
let timer: ReturnType<typeof setTimeout> | undefined

export function photoQueue(): Promise<PhotoQueue> {
  queue ??= PhotoQueue.open()
  return queue
}

async function refreshCounts(q: PhotoQueue): Promise<void> {
  const counts = await q.counts()
  pendingPhotos.value = counts.pending
  failedPhotos.value = counts.failed
  refusedPhotos.value = counts.refused
  queuedPhotos.value = (await q.all()).map(p => ({
    sha256: p.sha256,
    ticket: p.ticket,
    addedAt: p.addedAt,
    uploaded: p.uploaded,
    uploadedAt: p.uploadedAt ?? null,
    attempts: p.attempts,
    refusal: p.refusal ?? null,
  }))
}

/** Runs an upload round now (or right after the one in progress). */
export async function kickUploads(): Promise<void> {
  if (running) {
    again = true
    return
  }
  running = true
  try {
    const q = await photoQueue()
    do {
      again = false
      const results = await q.uploadDue(fetch.bind(globalThis), Date.now(), sha => (sendingPhoto.value = sha))
      if (results.includes("unauthenticated")) sessionExpired.value = true
      await refreshCounts(q)
    } while (again)
    const next = await q.nextDue()
    clearTimeout(timer)
    if (next !== null) timer = setTimeout(() => void kickUploads(), Math.max(1000, next - Date.now()))
  } finally {
    running = false
  }
}

/** Retries every pending photo now, ignoring backoff (the connection just came back). */
async function kickNow(): Promise<void> {
  await (await photoQueue()).retryNow()
  await kickUploads()
}

export function startPhotoUploads(): void {
  void photoQueue().then(refreshCounts)
  void kickUploads()
  addEventListener("online", () => void kickUploads())
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") void kickUploads()
  })
  effect(() => {
    if (connected.value) void kickNow()
  })
}

/**
 * Adds a photo for `ticket`, downscaled; returns its SHA-256. Throws `NotAPhoto` (nothing queued)
 * when the file is not an image, or is one the phone cannot convert and the server does not take.
 */
export async function addPhoto(file: Blob, ticket: string): Promise<string> {
  const name = file instanceof File && file.name ? file.name : "archivo"
  const kind = sniffImage(await file.slice(0, 512).arrayBuffer())
  if (kind === null) throw new NotAPhoto(t.photo.notAnImage(name))
  let photo = await downscale(file)
  if (photo === null) {
    // A photo the browser cannot decode: sent as it is when the server takes its format.
    if (!serverAccepts(kind)) throw new NotAPhoto(t.photo.unsupported(name))
    photo = { bytes: await file.arrayBuffer(), type: `image/${kind}` }
  }
  const q = await photoQueue()
  const sha = await q.add(photo.bytes, photo.type, ticket)
  await refreshCounts(q)
  void kickUploads()
  return sha
}

/** The person asks to send a photo again (refused, or waiting after failures). */
export async function retryPhoto(sha256: string): Promise<void> {
  const q = await photoQueue()
  await q.retry(sha256)
  await refreshCounts(q)
  await kickUploads()
}

/** Removes a photo from the phone's queue: it will never be sent. */
export async function dropPhoto(sha256: string): Promise<void> {
  const q = await photoQueue()
  await q.remove(sha256)
  await refreshCounts(q)
}

/**
 * A photo taken out of a form before saving: if it was never uploaded and `stillUsed` says no
 * ticket refers to it, it leaves the queue too (nobody will need those bytes).
 */
export async function forgetPhoto(sha256: string, stillUsed: (sha256: string) => boolean): Promise<void> {
  const q = await photoQueue()
  const photo = await q.get(sha256)
  if (!photo || photo.uploaded || stillUsed(sha256)) return
  await q.remove(sha256)
  await refreshCounts(q)
}

/** An object URL for a photo kept on the phone, or the server's thumbnail. */
export async function photoUrl(sha256: string): Promise<string> {
  const q = await photoQueue()
  const photo = await q.get(sha256)
  if (photo) return URL.createObjectURL(new Blob([photo.bytes], { type: photo.type }))
  return `/api/blobs/${sha256}/thumb`
}

const MAX_SIDE = 1600

/**
 * Longest side about 1600 px, orientation applied (the bitmap honours EXIF), as JPEG; null when
 * the browser cannot decode the image.
 */
async function downscale(file: Blob): Promise<{ bytes: ArrayBuffer; type: string } | null> {
  try {
    const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" })
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height))
    const width = Math.round(bitmap.width * scale)
    const height = Math.round(bitmap.height * scale)
    const canvas = new OffscreenCanvas(width, height)
    const ctx = canvas.getContext("2d")
    if (!ctx) throw new Error("no 2d context")
    ctx.drawImage(bitmap, 0, 0, width, height)
    bitmap.close()
    const blob = await canvas.convertToBlob({ type: "image/jpeg", quality: 0.85 })
    return { bytes: await blob.arrayBuffer(), type: "image/jpeg" }
  } catch {
    return null
  }
}
