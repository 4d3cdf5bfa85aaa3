// The photo queue: evidence photos wait in IndexedDB (bytes as ArrayBuffer, keyed by their
// SHA-256) until they are uploaded with the idempotent PUT /api/blobs/{sha256}. HEAD first, so a
// photo the server already has is never sent twice. Failed uploads retry with backoff; the app
// also retries on `online`, on start, when it becomes visible and when sync reconnects. A photo
// the server refuses (it will never take those bytes) keeps the server's reason and waits for the
// person to retry or discard it.

import { type DBSchema, type IDBPDatabase, openDB } from "idb"
import { t } from "./es"

export interface QueuedPhoto {
  sha256: string
  bytes: ArrayBuffer
  type: string
  /** The ticket document it belongs to. */
  ticket: string
  addedAt: number
  uploaded: boolean
  attempts: number
  /** Earliest time of the next attempt (backoff), ms since the epoch. */
  nextAttemptAt: number
  lastError: string | null
  /** Why the server refused the bytes (its Spanish message); absent or null when not refused. */
  refusal?: string | null
  /** When the server confirmed it has the photo. */
  uploadedAt?: number | null
}

/** Where a photo of the queue is, as the outbox shows it. */
export type PhotoState = "phone" | "sending" | "saved" | "refused"

export function photoState(p: QueuedPhoto, sending: string | null): PhotoState {
  if (p.uploaded) return "saved"
  if (p.refusal) return "refused"
  return p.sha256 === sending ? "sending" : "phone"
}

function waiting(p: QueuedPhoto): boolean {
  return !p.uploaded && !p.refusal
}

interface PhotoDb extends DBSchema {
  photos: { key: string; value: QueuedPhoto; indexes: { uploaded: number } }
}

export async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes)
  return [...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, "0")).join("")
}

/** Backoff after `attempts` failures: 2 s, 4 s, 8 s … up to 5 min. */
export function backoffMs(attempts: number): number {
  return Math.min(300_000, 1000 * 2 ** Math.max(1, attempts))
}

export type UploadResult = "uploaded" | "retry" | "unauthenticated" | "rejected"

export interface Counts {
  /** Photos waiting to be uploaded (refused ones aside). */
  pending: number
  /** Of those, the ones whose last attempt failed (they retry by themselves). */
  failed: number
  /** Photos the server refused: they wait for the person. */
  refused: number
}

export class PhotoQueue {
  private constructor(private readonly db: IDBPDatabase<PhotoDb>) {}

  static async open(name = "campo-photos"): Promise<PhotoQueue> {
    const db = await openDB<PhotoDb>(name, 1, {
      upgrade(db) {
        db.createObjectStore("photos", { keyPath: "sha256" })
      },
    })
    return new PhotoQueue(db)
  }

  close(): void {
    this.db.close()
  }

  /** Adds a photo (idempotent: the same bytes twice are one photo). Returns its SHA-256. */
  async add(bytes: ArrayBuffer, type: string, ticket: string, now = Date.now()): Promise<string> {
    const sha256 = await sha256Hex(bytes)
    const existing = await this.db.get("photos", sha256)
    if (!existing) {
      await this.db.put("photos", {
        sha256,
        bytes,
        type,
        ticket,
        addedAt: now,
        uploaded: false,
        attempts: 0,
        nextAttemptAt: now,
        lastError: null,
      })
    }
    return sha256
  }

  async get(sha256: string): Promise<QueuedPhoto | undefined> {
    return this.db.get("photos", sha256)
  }

  async remove(sha256: string): Promise<void> {
    await this.db.delete("photos", sha256)
  }

  async all(): Promise<QueuedPhoto[]> {
    return this.db.getAll("photos")
  }

  async counts(): Promise<Counts> {
    const all = await this.all()
    const pending = all.filter(waiting)
    return {
      pending: pending.length,
      failed: pending.filter(p => p.attempts > 0).length,
      refused: all.filter(p => !p.uploaded && p.refusal).length,
    }
  }

  /**
   * Uploads every pending photo that is due. `fetchFn` is `fetch` (injected for tests);
   * `sending` hears which photo is on its way (null once the round ends). Stops at the first 401
   * (the session ended: nothing else will succeed until the user logs in).
   */
  async uploadDue(
    fetchFn: typeof fetch,
    now = Date.now(),
    sending: (sha256: string | null) => void = () => {},
  ): Promise<UploadResult[]> {
    const due = (await this.all()).filter(p => waiting(p) && p.nextAttemptAt <= now)
    const results: UploadResult[] = []
    try {
      for (const photo of due) {
        // The person may have discarded it meanwhile.
        if (!(await this.db.get("photos", photo.sha256))) continue
        sending(photo.sha256)
        const { result, reason } = await uploadOne(fetchFn, photo)
        results.push(result)
        const current = await this.db.get("photos", photo.sha256)
        if (!current) continue
        if (result === "uploaded") {
          await this.db.put("photos", { ...current, uploaded: true, lastError: null, refusal: null, uploadedAt: Date.now() })
        } else if (result === "rejected") {
          await this.db.put("photos", { ...current, attempts: current.attempts + 1, lastError: result, refusal: reason })
        } else {
          const attempts = current.attempts + 1
          await this.db.put("photos", {
            ...current,
            attempts,
            nextAttemptAt: now + backoffMs(attempts),
            lastError: result,
          })
          if (result === "unauthenticated") break
        }
      }
    } finally {
      sending(null)
    }
    return results
  }

  /** Makes every pending photo due now (the connection just came back: news worth a retry). */
  async retryNow(now = Date.now()): Promise<void> {
    for (const p of await this.all()) {
      if (waiting(p) && p.nextAttemptAt > now) await this.db.put("photos", { ...p, nextAttemptAt: now })
    }
  }

  /** The person asks to send a photo again, refused or waiting: it is due now, its count reset. */
  async retry(sha256: string, now = Date.now()): Promise<void> {
    const p = await this.db.get("photos", sha256)
    if (!p || p.uploaded) return
    await this.db.put("photos", { ...p, refusal: null, lastError: null, attempts: 0, nextAttemptAt: now })
  }

  /** When the next retry is due, or null when nothing waits (refused photos wait for the person). */
  async nextDue(): Promise<number | null> {
    const pending = (await this.all()).filter(waiting)
    if (pending.length === 0) return null
    return Math.min(...pending.map(p => p.nextAttemptAt))
  }
}

/** The server's Spanish reason in an error body (`{"error": {"message": …}}` or `{"error": "…"}`). */
export function errorReason(body: string, status: number): string {
  try {
    const json = JSON.parse(body) as { error?: unknown }
    const error = json.error
    if (typeof error === "string" && error.trim()) return error.trim()
    if (error && typeof error === "object") {
      const message = (error as { message?: unknown }).message
      if (typeof message === "string" && message.trim()) {
        // The generic answer to a body over the server's limit says nothing about photos.
        if (status === 413) return t.photo.tooLarge
        return message.trim()
      }
    }
  } catch {
    // Not JSON: a proxy's page, say.
  }
  return status === 413 ? t.photo.tooLarge : t.photo.refusedStatus(status)
}

/**
 * Whether a status means the server will never take these bytes as they are: a 4xx other than
 * 401 (log in again), 408 (timeout) and 429 (too many requests), which are worth retrying.
 */
export function isRefusal(status: number): boolean {
  return status >= 400 && status < 500 && status !== 401 && status !== 408 && status !== 429
}

async function uploadOne(fetchFn: typeof fetch, photo: QueuedPhoto): Promise<{ result: UploadResult; reason: string | null }> {
  const url = `/api/blobs/${photo.sha256}`
  const answer = (result: UploadResult, reason: string | null = null) => ({ result, reason })
  try {
    const head = await fetchFn(url, { method: "HEAD", credentials: "same-origin" })
    if (head.status === 200) return answer("uploaded")
    if (head.status === 401) return answer("unauthenticated")
    const put = await fetchFn(url, {
      method: "PUT",
      credentials: "same-origin",
      headers: { "content-type": photo.type },
      body: photo.bytes,
    })
    if (put.status === 200 || put.status === 201) return answer("uploaded")
    if (put.status === 401) return answer("unauthenticated")
    // 413, 415, 422 …: the server will never take these bytes; the person decides.
    if (isRefusal(put.status)) return answer("rejected", errorReason(await put.text().catch(() => ""), put.status))
    return answer("retry")
  } catch {
    return answer("retry")
  }
}
