// The photo queue of the running app: one queue, its counts as signals, and the triggers that
// start an upload round (start, `online`, visible again, sync reconnected, a new photo, backoff).

import { effect, signal } from "@preact/signals"
import { PhotoQueue } from "./photos"
import { connected } from "./sync"
import { sessionExpired } from "./session"

export const pendingPhotos = signal(0)
export const failedPhotos = signal(0)

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
      const results = await q.uploadDue(fetch.bind(globalThis))
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

/** Adds a photo for `ticket`, downscaled; returns its SHA-256. */
export async function addPhoto(file: Blob, ticket: string): Promise<string> {
  const { bytes, type } = await downscale(file)
  const q = await photoQueue()
  const sha = await q.add(bytes, type, ticket)
  await refreshCounts(q)
  void kickUploads()
  return sha
}

/** An object URL for a photo kept on the phone, or the server's thumbnail. */
export async function photoUrl(sha256: string): Promise<string> {
  const q = await photoQueue()
  const photo = await q.get(sha256)
  if (photo) return URL.createObjectURL(new Blob([photo.bytes], { type: photo.type }))
  return `/api/blobs/${sha256}/thumb`
}

const MAX_SIDE = 1600

/** Longest side about 1600 px, orientation applied (the bitmap honours EXIF), as JPEG. */
async function downscale(file: Blob): Promise<{ bytes: ArrayBuffer; type: string }> {
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
    // A format the browser cannot decode: send it as it is; the server decides.
    return { bytes: await file.arrayBuffer(), type: file.type || "application/octet-stream" }
  }
}
