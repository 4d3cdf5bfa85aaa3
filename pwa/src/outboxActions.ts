// What the outbox and the forms do to pending work: retry, discard, and take photos out of a form
// or an open visit.

import { removeLocalTicket } from "./agenda"
import { dropPhoto, forgetPhoto, photoQueue, retryPhoto } from "./photoService"
import { fold } from "./schema"
import { currentUser } from "./session"
import { discardTicket, loadedTickets, plainDoc, serverKnows } from "./sync"
import { refersTo, removeEvidence } from "./tickets"

/** Whether a ticket on the phone refers to the photo. */
export function photoInUse(sha256: string): boolean {
  return loadedTickets().some(h => {
    const doc = plainDoc(h)
    return doc !== null && refersTo(doc, sha256)
  })
}

/** A photo taken out of a form before it was saved: its bytes leave the queue when nobody needs them. */
export function photoRemovedFromForm(sha256: string): Promise<void> {
  return forgetPhoto(sha256, photoInUse)
}

export { retryPhoto }

/**
 * Discards a photo the server refused: it leaves the queue, and the open visits of this user that
 * hold it let it go (a closed visit keeps its record; the server never had the bytes).
 */
export async function discardPhoto(sha256: string): Promise<void> {
  const user = currentUser()
  for (const handle of loadedTickets()) {
    const doc = plainDoc(handle)
    if (!doc) continue
    const open = fold(doc.events).openVisit
    if (open) removeEvidence(handle, user, open, sha256)
  }
  await dropPhoto(sha256)
}

/**
 * Discards the phone's copy of a ticket whose changes the server refused. A ticket the server has
 * comes back as the server has it; one created here, that the server never took, is gone, with
 * its photos.
 */
export async function discardTicketChanges(url: string): Promise<void> {
  const known = serverKnows(url)
  await discardTicket(url)
  if (known) return
  removeLocalTicket(url)
  const q = await photoQueue()
  for (const p of await q.all()) if (p.ticket === url && !p.uploaded && !photoInUse(p.sha256)) await dropPhoto(p.sha256)
}
