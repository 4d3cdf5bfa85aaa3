// The inbox («Avisos») in Debian's Chromium: a técnico is given a case; on his phone the
// navigation shows the unread count, the inbox lists «Caso … asignado» as new, opening it opens
// the case and the count drops; on his desk (another browser context, another session) the same
// entry is already read, because the read state lives on the server. axe-core checks the inbox.
// A coordinator sees in Ajustes the mails waiting for a mail server.

import assert from "node:assert/strict"
import { after, test } from "node:test"
import { Campo, apiAs, assertAccessible, desk, launch, logIn, phone, until } from "./support.mjs"

const cleanup = []
after(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {})
})

/** The accessible name of the inbox's link for `unread` unread entries. */
const inboxLink = unread => (unread > 0 ? `Avisos ${unread} sin leer` : "Avisos")

test("a técnico sees a new assignment in Avisos, opens its case, and it is read on his other device", async () => {
  const campo = await Campo.create()
  cleanup.push(() => campo.dispose())
  const browser = await launch()
  cleanup.push(() => browser.close())

  const coordinator = await apiAs(campo.base, "coordinador")
  const official = await apiAs(campo.base, "mlopez")
  const andres = await apiAs(campo.base, "tecnico1")
  const created = await official.call("POST", "/api/tickets", {
    description: "El videobeam de la sala de juntas no enciende.",
    category: "Hardware",
    location: "Sala de juntas, piso 2",
  })
  assert.equal(created.status, 201, created.text)
  const { id, number } = created.body
  // Andrés has read everything the demo told him; then the case is his.
  const cleared = await andres.call("POST", "/api/notifications/read", { all: true })
  assert.equal(cleared.status, 200, cleared.text)
  const assigned = await coordinator.call("POST", `/api/tickets/${id}/actions`, {
    action: "asignada",
    assignee_id: andres.user.id,
  })
  assert.equal(assigned.status, 200, assigned.text)
  const list = () => andres.call("GET", "/api/notifications").then(r => r.body)
  await until("the assignment's entry", async () => (await list()).some(n => n.ticket_id === id && n.kind === "asignada"))
  const unread = (await list()).filter(n => n.read_at === null).length
  assert.ok(unread >= 1)

  // On his phone: the count in the navigation, the entry marked new.
  const tech = await (await phone(browser, campo.base)).newPage()
  await logIn(tech, "tecnico1")
  const link = tech.getByRole("link", { name: inboxLink(unread), exact: true })
  await link.waitFor()
  assert.equal(await link.locator(".unread-count").textContent(), String(unread))
  await link.click()
  await tech.getByRole("heading", { name: "Avisos" }).waitFor()
  const entry = tech.locator(".notice", { hasText: `Caso ${number} asignado` })
  await entry.locator(".badge", { hasText: "Nuevo" }).waitFor()
  await entry.getByText("Sala de juntas, piso 2").waitFor()
  await assertAccessible(tech, "the inbox")

  // Opening it opens the case; the count drops.
  await entry.click()
  await tech.getByRole("heading", { name: number }).waitFor()
  await tech.getByRole("link", { name: inboxLink(unread - 1), exact: true }).waitFor()
  await until("the entry read on the server", async () =>
    (await list()).some(n => n.ticket_id === id && n.kind === "asignada" && n.read_at !== null),
  )

  // On his desk, another session: the same entry, already read.
  const other = await (await desk(browser, campo.base)).newPage()
  await logIn(other, "tecnico1")
  await other.getByRole("link", { name: inboxLink(unread - 1), exact: true }).click()
  const same = other.locator(".notice", { hasText: `Caso ${number} asignado` })
  await same.waitFor()
  assert.doesNotMatch(await same.getAttribute("class"), /unread/)
  assert.equal(await same.locator(".badge", { hasText: "Nuevo" }).count(), 0)
})

test("a coordinator sees the mail outbox in Ajustes: without a mail server the mails wait", async () => {
  const campo = await Campo.create()
  cleanup.push(() => campo.dispose())
  const browser = await launch()
  cleanup.push(() => browser.close())
  const official = await apiAs(campo.base, "mlopez")
  const created = await official.call("POST", "/api/tickets", {
    description: "La impresora de la recepción no imprime.",
    category: "Impresoras",
    location: "Recepción, piso 1",
  })
  assert.equal(created.status, 201, created.text)
  const coordinator = await apiAs(campo.base, "coordinador")
  await until("the request's mail in the outbox", async () =>
    (await coordinator.call("GET", "/api/notifications/outbox")).body.waiting.some(m =>
      m.subject.includes(created.body.number),
    ),
  )

  const page = await (await desk(browser, campo.base)).newPage()
  await logIn(page, "coordinador", "Tablero de despacho")
  await page.getByRole("link", { name: "Ajustes" }).click()
  const section = page.getByRole("region", { name: "Correo saliente" })
  await section.getByText("No hay servidor de correo configurado").waitFor()
  await section.getByText(/\d+ correos por enviar/).waitFor()
  await section.getByRole("cell", { name: `Solicitud ${created.body.number} recibida` }).waitFor()
})
