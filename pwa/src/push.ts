// Web Push on this phone: asks the permission, subscribes with the server's VAPID key
// (GET /api/push/key) and hands the subscription to the server (POST /api/push/subscriptions);
// the service worker (public/push-sw.js) shows what arrives. The browser decides whether push
// exists at all: it needs a service worker, the Push API and a secure context (https://).

import { ApiError, apiError, getJson, postJson } from "./api"

/** What the control shows: push unavailable, blocked, off, or on. */
export type PushStatus = "unsupported" | "insecure" | "denied" | "off" | "on"

/** How long to wait for the service worker before telling the user. */
const READY_TIMEOUT_MS = 10_000

export function pushAvailable(): boolean {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window
}

/** The bytes of a base64url text (the server's key). */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=")
  const binary = atob(base64)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

function sameBytes(a: ArrayBuffer | null | undefined, b: Uint8Array): boolean {
  if (!a) return false
  const left = new Uint8Array(a)
  return left.length === b.length && left.every((byte, i) => byte === b[i])
}

async function registration(): Promise<ServiceWorkerRegistration> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("service worker not ready")), READY_TIMEOUT_MS)
  })
  try {
    return await Promise.race([navigator.serviceWorker.ready, late])
  } finally {
    clearTimeout(timer)
  }
}

/** Whether this phone can receive pushes now, and whether it does. */
export async function pushStatus(): Promise<PushStatus> {
  if (!window.isSecureContext) return "insecure"
  if (!pushAvailable()) return "unsupported"
  if (Notification.permission === "denied") return "denied"
  if (Notification.permission !== "granted") return "off"
  const subscription = await (await registration()).pushManager.getSubscription()
  return subscription ? "on" : "off"
}

/**
 * Asks the permission (the browser's dialog), subscribes and gives the subscription to the
 * server. "denied" when the person or the browser said no.
 */
export async function enablePush(): Promise<PushStatus> {
  const permission = await Notification.requestPermission()
  if (permission === "denied") return "denied"
  if (permission !== "granted") return "off"
  const { public_key } = await getJson<{ public_key: string }>("/api/push/key")
  const key = fromBase64Url(public_key)
  const pushManager = (await registration()).pushManager
  let subscription = await pushManager.getSubscription()
  // A subscription made with another server key would be refused by the push service.
  if (subscription && !sameBytes(subscription.options.applicationServerKey, key)) {
    await subscription.unsubscribe()
    subscription = null
  }
  subscription ??= await pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key })
  await postJson("/api/push/subscriptions", subscription.toJSON())
  return "on"
}

/** Stops pushes to this phone: the server forgets it, then the browser. */
export async function disablePush(): Promise<PushStatus> {
  const subscription = await (await registration()).pushManager.getSubscription()
  if (subscription) {
    const response = await fetch("/api/push/subscriptions", {
      method: "DELETE",
      credentials: "same-origin",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ endpoint: subscription.endpoint }),
    })
    if (!response.ok) throw await apiError(response)
    await subscription.unsubscribe()
  }
  return "off"
}

export { ApiError }
