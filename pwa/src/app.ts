// Starting and ending a working session on the phone: the repo, the agenda, the catalogue, the
// photo uploads, persistent storage; logging out and exporting unsynced work.

import { effect } from "@preact/signals"
import { clearAgenda, followAgenda, prefetch, refreshAgenda, resumeAgenda, stopFollowingAgenda, unlistedLocalTickets } from "./agenda"
import { refreshCalendar } from "./calendar"
import { clearCatalog, refreshCatalog, refreshCategories, refreshDependencias } from "./catalog"
import { refreshInbox, startInbox } from "./inbox"
import { pendingPhotos, photoQueue, refusedPhotos, startPhotoUploads } from "./photoService"
import { logout, recheck } from "./session"
import { connected, loadedTickets, pendingChanges, plainDoc, refusedDocs, savedAt, startRepo, unknownDocs, wipeDocuments } from "./sync"

let started = false

/** Called once a user is known (after login, or at start with a valid offline grant). */
export function startSession(): void {
  if (started) return
  started = true
  void startRepo().then(() => prefetch())
  startPhotoUploads()
  followAgenda()
  startInbox()
  void navigator.storage?.persist?.()
  // Every time the server is reachable again: re-check the session, refresh what is cached.
  effect(() => {
    if (connected.value) void onlineContact()
  })
  // A ticket created here gets its number when the server stores it, and the agenda's stream
  // says so; a stream still reconnecting at that moment would leave «Sin número aún» on screen
  // until the next change. So the server's acknowledgement of such a ticket asks for the agenda.
  effect(() => {
    const saved = savedAt.value
    if (unlistedLocalTickets().some(url => saved[url] !== undefined)) void refreshAgenda()
  })
  addEventListener("online", () => void onlineContact())
  void onlineContact()
}

async function onlineContact(): Promise<void> {
  await recheck()
  // The agenda's stream may have given up while the server was away.
  resumeAgenda()
  await Promise.all([
    refreshAgenda(),
    refreshCatalog(),
    refreshDependencias(),
    refreshCategories(),
    refreshCalendar(),
    refreshInbox(),
  ])
}

export function hasUnsyncedWork(): boolean {
  return (
    pendingChanges.value > 0 ||
    pendingPhotos.value > 0 ||
    unknownDocs.value > 0 ||
    refusedPhotos.value > 0 ||
    Object.keys(refusedDocs.value).length > 0
  )
}

/** A JSON file with every ticket on the phone and the photos not yet uploaded (base64). */
export async function exportUnsynced(): Promise<Blob> {
  const q = await photoQueue()
  const photos = (await q.all())
    .filter(p => !p.uploaded)
    .map(p => ({
      sha256: p.sha256,
      type: p.type,
      ticket: p.ticket,
      refusal: p.refusal ?? null,
      base64: toBase64(p.bytes),
    }))
  const tickets = loadedTickets().map(h => ({ url: h.url, refusal: refusedDocs.value[h.url] ?? null, doc: plainDoc(h) }))
  return new Blob([JSON.stringify({ exportedAt: new Date().toISOString(), tickets, photos }, null, 1)], {
    type: "application/json",
  })
}

function toBase64(bytes: ArrayBuffer): string {
  const view = new Uint8Array(bytes)
  let text = ""
  for (let i = 0; i < view.length; i += 0x8000) text += String.fromCharCode(...view.subarray(i, i + 0x8000))
  return btoa(text)
}

export async function resetLocalData(): Promise<void> {
  stopFollowingAgenda()
  clearAgenda()
  clearCatalog()
  await wipeDocuments()
  const q = await photoQueue()
  for (const p of await q.all()) await q.remove(p.sha256)
}

export async function endSession(): Promise<void> {
  stopFollowingAgenda()
  await logout()
  location.assign("/ingresar")
}
