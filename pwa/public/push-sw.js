// Web Push in Campo's service worker (imported by the one vite-plugin-pwa generates): shows the
// server's message and opens its case when the notification is tapped. The message carries only
// a title, a line («Caso 2026-0042») and the case's path; every word comes from the server.
/* eslint-env serviceworker */

self.addEventListener("push", event => {
  let message = {}
  try {
    message = event.data ? event.data.json() : {}
  } catch {
    // Not JSON: show the bare notification.
  }
  const title = typeof message.title === "string" ? message.title : "Campo"
  const body = typeof message.body === "string" ? message.body : ""
  const url = sameOriginPath(message.url)
  event.waitUntil(
    self.registration.showNotification(title, {
      body,
      icon: "/icon-192.png",
      lang: "es-CO",
      // A second push about the same case replaces the first.
      tag: url,
      data: { url },
    }),
  )
})

self.addEventListener("notificationclick", event => {
  event.notification.close()
  const url = new URL(sameOriginPath(event.notification.data && event.notification.data.url), self.location.origin).href
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true })
      for (const client of windows) {
        if (new URL(client.url).origin !== self.location.origin) continue
        await client.focus()
        if ("navigate" in client) await client.navigate(url)
        return
      }
      await self.clients.openWindow(url)
    })(),
  )
})

/** A path of this site, or "/" for anything else. */
function sameOriginPath(path) {
  if (typeof path !== "string" || !path.startsWith("/") || path.startsWith("//")) return "/"
  return path
}
