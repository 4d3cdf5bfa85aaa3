// The photo queue: evidence photos wait in IndexedDB (bytes as ArrayBuffer, keyed by their
// SHA-256) until they are uploaded with the idempotent PUT /api/blobs/{sha256}. HEAD first, so a
// photo the server already has is never sent twice. Failed uploads retry with backoff; the app
// also retries on `online`, on start, when it becomes visible and when sync reconnects.

import { type DBSchema, type IDBPDatabase, openDB } from "idb"

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
  pending: number
  failed: number
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
    const pending = all.filter(p => !p.uploaded)
    return { pending: pending.length, failed: pending.filter(p => p.attempts > 0).length }
  }

  /**
   * Uploads every pending photo that is due. `fetchFn` is `fetch` (injected for tests). Stops at
   * the first 401 (the session ended: nothing else will succeed until the user logs in).
   */
  async uploadDue(fetchFn: typeof fetch, now = Date.now()): Promise<UploadResult[]> {
    const due = (await this.all()).filter(p => !p.uploaded && p.nextAttemptAt <= now)
    const results: UploadResult[] = []
    for (const photo of due) {
      const result = await uploadOne(fetchFn, photo)
      results.push(result)
      if (result === "uploaded") {
        await this.db.put("photos", { ...photo, uploaded: true, lastError: null })
      } else {
        const attempts = photo.attempts + 1
        await this.db.put("photos", {
          ...photo,
          attempts,
          nextAttemptAt: now + backoffMs(attempts),
          lastError: result,
        })
        if (result === "unauthenticated") break
      }
    }
    return results
  }

  /** Makes every pending photo due now (the connection just came back: news worth a retry). */
  async retryNow(now = Date.now()): Promise<void> {
    for (const p of await this.all()) {
      if (!p.uploaded && p.nextAttemptAt > now) await this.db.put("photos", { ...p, nextAttemptAt: now })
    }
  }

  /** When the next retry is due, or null when nothing waits. */
  async nextDue(): Promise<number | null> {
    const pending = (await this.all()).filter(p => !p.uploaded)
    if (pending.length === 0) return null
    return Math.min(...pending.map(p => p.nextAttemptAt))
  }
}

async function uploadOne(fetchFn: typeof fetch, photo: QueuedPhoto): Promise<UploadResult> {
  const url = `/api/blobs/${photo.sha256}`
  try {
    const head = await fetchFn(url, { method: "HEAD", credentials: "same-origin" })
    if (head.status === 200) return "uploaded"
    if (head.status === 401) return "unauthenticated"
    const put = await fetchFn(url, {
      method: "PUT",
      credentials: "same-origin",
      headers: { "content-type": photo.type },
      body: photo.bytes,
    })
    if (put.status === 200 || put.status === 201) return "uploaded"
    if (put.status === 401) return "unauthenticated"
    // 413, 415, 422: the server will never take these bytes; they still retry slowly, so the
    // technician sees the count and the coordinator can be told.
    if (put.status >= 400 && put.status < 500 && put.status !== 408 && put.status !== 429) return "rejected"
    return "retry"
  } catch {
    return "retry"
  }
}
