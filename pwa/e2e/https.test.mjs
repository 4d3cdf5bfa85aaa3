// A phone reaches Campo as in an intranet install: through Debian's Caddy with deploy/Caddyfile
// (`tls internal`), over TLS that Chromium verifies against Caddy's certificate authority, which
// the phone trusts as an operator's phone would (docs/operacion.md, «HTTPS y proxy inverso»).
// Stopping Caddy takes the network away while Campo keeps running.

import assert from "node:assert/strict"
import { after, test } from "node:test"
import { Caddy, Campo, apiAs, launch, logIn, phone, readyForOffline } from "./support.mjs"

const cleanup = []
after(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {})
})

test("through Caddy over HTTPS: the app installs, signs in with a secure cookie, syncs over wss, opens offline and follows the office live again", async () => {
  const caddy = await Caddy.create("campo.prueba")
  cleanup.push(() => caddy.dispose())
  const campo = await Campo.create({ CAMPO_PUBLIC_URL: caddy.base, CAMPO_TRUSTED_PROXIES: "127.0.0.1" })
  cleanup.push(() => campo.dispose())
  await caddy.start(campo.port)

  // Whoever types the name without https:// is sent to it (on a server both ports are the
  // standard ones; Caddy's redirect names no port).
  const plain = await caddy.get("/casos", { plain: true })
  assert.equal(plain.status, 308)
  const target = new URL(plain.headers.location)
  assert.deepEqual([target.protocol, target.hostname, target.pathname], ["https:", caddy.name, "/casos"])

  const browser = await launch(undefined, caddy)
  cleanup.push(() => browser.close())
  const context = await phone(browser, caddy.base)
  const page = await context.newPage()

  // The first visit: a certificate Chromium verified (Caddy's authority signed it for this name),
  // and HSTS so that the phone never tries plain HTTP again.
  const first = await page.goto("/")
  assert.equal(first.status(), 200)
  assert.equal(first.headers()["strict-transport-security"], "max-age=31536000")
  const tls = await first.securityDetails()
  assert.match(tls.issuer, /Caddy Local Authority/, JSON.stringify(tls))
  assert.equal(await page.evaluate(() => window.isSecureContext), true)

  // Signing in: the session cookie is the `__Host-` one, Secure, which a browser accepts only
  // over HTTPS; the agenda then syncs over the `wss://` WebSocket through Caddy.
  await logIn(page, "tecnico1")
  const cookies = await context.cookies()
  const session = cookies.find(c => c.name === "__Host-campo_sesion")
  assert.ok(session, `no __Host- session cookie: ${JSON.stringify(cookies)}`)
  assert.equal(session.secure, true)
  assert.equal(session.httpOnly, true)
  const ids = await readyForOffline(page)
  assert.equal(
    await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.scriptURL),
    `${caddy.base}/sw.js`,
    "the service worker is installed and active",
  )
  // Every answer carries HSTS, and the API's are compressed by Caddy on the way out (the app's
  // files are compressed by Campo ahead of time).
  const catalog = await page.evaluate(async () => {
    const response = await fetch("/api/equipment/catalog")
    await response.arrayBuffer()
    return {
      status: response.status,
      encoding: response.headers.get("content-encoding"),
      hsts: response.headers.get("strict-transport-security"),
    }
  })
  assert.equal(catalog.status, 200)
  assert.equal(catalog.hsts, "max-age=31536000")
  assert.match(catalog.encoding ?? "", /^(zstd|gzip)$/, JSON.stringify(catalog))

  // The network goes away (Campo keeps running behind Caddy): the app reloads from the service
  // worker with the agenda and says it is offline.
  await caddy.stop()
  await page.reload()
  await page.locator('[data-sync="offline"]').waitFor()
  assert.equal(
    await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL),
    `${caddy.base}/sw.js`,
    "the page came from the service worker",
  )
  await page.getByRole("heading", { name: "Mi agenda" }).waitFor()
  await page.locator(".ticket-row").first().waitFor()
  assert.equal(await page.locator(".ticket-row").count(), ids.length)

  // The network comes back: the app reconnects over wss on its own, and the agenda follows the
  // office live again (its Server-Sent Events pass through Caddy): the coordinator, at a desk
  // inside the office, gives the printer's case to Diana and it leaves the phone's agenda.
  await caddy.start(campo.port)
  await page.locator('[data-sync="saved"]').waitFor({ timeout: 60_000 })
  const printer = page.locator(".ticket-row", { hasText: "impresora" })
  const id = (await printer.getAttribute("data-url")).replace("automerge:", "")
  const coordinator = await apiAs(campo.base, "coordinador")
  const diana = await apiAs(campo.base, "tecnico2")
  const reassigned = await coordinator.call("POST", `/api/tickets/${id}/actions`, {
    action: "asignada",
    assignee_id: diana.user.id,
  })
  assert.equal(reassigned.status, 200, reassigned.text)
  await printer.waitFor({ state: "detached" })
  assert.equal(await page.locator(".ticket-row").count(), ids.length - 1)
})
