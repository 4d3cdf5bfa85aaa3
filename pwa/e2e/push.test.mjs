// «Recibir avisos en este teléfono» in Debian's Chromium: the técnico's agenda offers it, a
// denied permission is told plainly (instead of the button), and the service worker shows a push as a notification
// that names the case. Chromium without a push service of its own (headless, Playwright's
// incognito-like profiles) cannot complete `pushManager.subscribe`: that step fails here and the
// app says so in Spanish; what a real subscription sends and how it is encrypted is checked by
// the API test `push::an_assignment_reaches_the_phone_encrypted_and_signed`. The push itself is
// delivered to the service worker through the DevTools protocol (`ServiceWorker.deliverPushMessage`).

import assert from "node:assert/strict"
import { after, test } from "node:test"
import { Campo, assertAccessible, launch, logIn, phone, waitForServiceWorker } from "./support.mjs"

const cleanup = []
after(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {})
})

test("the agenda offers push, tells a refused permission, and the service worker shows a push", async () => {
  const campo = await Campo.create()
  cleanup.push(() => campo.dispose())
  const browser = await launch()
  cleanup.push(() => browser.close())

  // A phone whose owner refuses the permission.
  const refusing = await phone(browser, campo.base)
  const refused = await refusing.newPage()
  await logIn(refused, "tecnico2")
  await waitForServiceWorker(refused)
  // Headless Chromium answers for the person: notifications are denied to a site not granted them.
  assert.equal(await refused.evaluate(() => Notification.permission), "denied")
  await refused.locator(".push", { hasText: "permiso denegado" }).waitFor()
  assert.equal(await refused.getByRole("button", { name: "Recibir avisos en este teléfono" }).count(), 0)
  await refusing.close()

  // A phone whose owner allows it.
  const context = await phone(browser, campo.base)
  await context.grantPermissions(["notifications"])
  const page = await context.newPage()
  await logIn(page, "tecnico1")
  await waitForServiceWorker(page)
  const key = await page.evaluate(async () => (await (await fetch("/api/push/key")).json()).public_key)
  assert.equal(key.length, 87)
  await page.getByRole("button", { name: "Recibir avisos en este teléfono" }).click()
  // This Chromium has no push service: the app tells it instead of pretending.
  await page.getByRole("alert").filter({ hasText: "No se pudieron activar los avisos" }).waitFor()
  await page.getByRole("button", { name: "Recibir avisos en este teléfono" }).waitFor()
  await assertAccessible(page, "the agenda with the push control")

  // A push reaches the service worker: a notification with the title and the case number, which
  // opens the case.
  const cdp = await context.newCDPSession(page)
  const registrations = []
  cdp.on("ServiceWorker.workerRegistrationUpdated", event => registrations.push(...event.registrations))
  await cdp.send("ServiceWorker.enable")
  const until = Date.now() + 10_000
  while (!registrations.some(r => !r.isDeleted) && Date.now() < until) await new Promise(r => setTimeout(r, 100))
  const registration = registrations.find(r => !r.isDeleted)
  assert.ok(registration, "the service worker is registered")
  const message = { title: "Nuevo caso asignado", body: "Caso 2026-0042", number: "2026-0042", url: "/casos/abc" }
  await cdp.send("ServiceWorker.deliverPushMessage", {
    origin: `${campo.base}/`,
    registrationId: registration.registrationId,
    data: JSON.stringify(message),
  })
  let shown = []
  while (shown.length === 0 && Date.now() < until + 20_000) {
    shown = await page.evaluate(async () =>
      (await (await navigator.serviceWorker.ready).getNotifications()).map(n => ({ title: n.title, body: n.body, data: n.data })),
    )
    if (shown.length === 0) await new Promise(r => setTimeout(r, 100))
  }
  assert.deepEqual(shown, [{ title: "Nuevo caso asignado", body: "Caso 2026-0042", data: { url: "/casos/abc" } }])
})
