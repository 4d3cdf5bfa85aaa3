// What the status bar says, as pure functions (unit-tested).
//
// "Guardado en el servidor" is a promise to the technician that it is safe to lose the phone. It
// is shown only when, for every ticket document on the phone, the heads the server acknowledged
// (the server commits a change before acknowledging it) cover every local change, and every
// photo has been uploaded; never while the server has refused something the phone still holds.

import * as A from "@automerge/automerge/slim"
import { t } from "./es"

/**
 * How many of the document's changes the server has not acknowledged. `ackHeads` are the hex
 * heads the server last reported for the document; heads the phone does not know (changes of
 * other devices the server has) are ignored, which can only over-count until they arrive.
 */
export function unacknowledgedChanges(doc: A.Doc<unknown>, ackHeads: readonly string[]): number {
  const known = ackHeads.filter(h => A.hasHeads(doc, [h]))
  if (known.length === 0) return A.getAllChanges(doc).length
  const acknowledged = A.view(doc, known)
  return A.getChanges(acknowledged, doc).length
}

export type SyncKind = "offline" | "syncing" | "saved" | "refused"

export interface SyncInputs {
  /** The WebSocket to the server is open and the server answered the handshake. */
  connected: boolean
  /**
   * The socket has not had a fair chance yet (just after login or start: no contact, no failed
   * attempt, within the grace period): not connected is not yet «Sin conexión».
   */
  connecting?: boolean
  /** Changes on the phone the server has not acknowledged, over all documents. */
  pendingChanges: number
  /** Photos not yet uploaded. */
  pendingPhotos: number
  /** Photos whose last upload attempt failed. */
  failedPhotos: number
  /** Documents whose acknowledgement is still unknown (never heard from the server). */
  unknownDocs: number
  /** Documents whose changes the server refused. */
  refusedDocs: number
  /** Cases whose work the server kept though they are someone else's now (unread notices). */
  notices?: number
  /** Photos the server refused. */
  refusedPhotos: number
}

export interface SyncView {
  kind: SyncKind
  label: string
  detail: string
}

export function syncView(s: SyncInputs): SyncView {
  const detail: string[] = []
  if (s.pendingChanges > 0 || s.pendingPhotos > 0) detail.push(t.sync.pending(s.pendingChanges, s.pendingPhotos))
  if (s.failedPhotos > 0) detail.push(t.sync.photoFailed(s.failedPhotos))
  const refused = s.refusedDocs + s.refusedPhotos
  if (refused > 0) detail.push(t.sync.refusedCount(s.refusedDocs, s.refusedPhotos))
  if ((s.notices ?? 0) > 0) detail.push(t.sync.notices(s.notices ?? 0))
  if (detail.length === 0) detail.push(t.sync.pending(0, 0))
  if (!s.connected && s.connecting) return { kind: "syncing", label: t.sync.connecting, detail: detail.join(" · ") }
  if (!s.connected) {
    // Work waiting on the phone: say it is safe there and will leave by itself.
    if (s.pendingChanges > 0 || s.pendingPhotos > 0) detail.push(t.sync.savedHere)
    return { kind: "offline", label: t.sync.offline, detail: detail.join(" · ") }
  }
  if (refused > 0) return { kind: "refused", label: t.sync.refused, detail: detail.join(" · ") }
  const done = s.pendingChanges === 0 && s.pendingPhotos === 0 && s.unknownDocs === 0
  if (done) return { kind: "saved", label: t.sync.saved, detail: detail.join(" · ") }
  return { kind: "syncing", label: t.sync.syncing, detail: detail.join(" · ") }
}
