// The technician's day without a server, in Debian's Chromium on a phone-sized screen. The
// server is stopped to go offline (context.setOffline does not cut WebSockets) and started again
// on the same data directory and port.

import assert from "node:assert/strict"
import { after, test } from "node:test"
import {
  Campo,
  apiAs,
  launch,
  logIn,
  peerAs,
  phone,
  qrVideo,
  readyForOffline,
  recordAbsentVisit,
  sign,
} from "./support.mjs"

const cleanup = []
after(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {})
})

const idOf = url => new URL(url).pathname.split("/")[2]

test("a day offline: the agenda opens from the cache, visits, a QR scan and a walk-up request all reach the server", async () => {
  const campo = await Campo.create()
  cleanup.push(() => campo.dispose())
  const coordinator = await apiAs(campo.base, "coordinador")
  // The demo's printer, named by one of its tickets, is in the inventory with its sticker.
  const printer = await coordinator.call("GET", "/api/equipment/GN-000330")
  assert.equal(printer.status, 200, printer.text)

  const browser = await launch(await qrVideo(`${campo.base}/e/GN-000330`))
  cleanup.push(() => browser.close())
  const context = await phone(browser, campo.base)
  const page = await context.newPage()
  await logIn(page, "tecnico1")
  const printerTicket = page.locator(".ticket-row", { hasText: "impresora" })
  await printerTicket.waitFor()
  const ids = await readyForOffline(page)
  await page.waitForFunction(() => (localStorage.getItem("campo.catalog") ?? "").includes("GN-000330"))
  await page.waitForFunction(() => (localStorage.getItem("campo.dependencias") ?? "").includes("SALUD"))

  // 1. The server goes away; the app reloads from the cache, with the agenda.
  await campo.stop()
  await page.reload()
  await page.locator('[data-sync="offline"]').waitFor()
  await page.getByRole("heading", { name: "Mi agenda" }).waitFor()
  await printerTicket.waitFor()
  assert.equal(await page.locator(".ticket-row").count(), ids.length)

  // 2a. Absent user, with a photo.
  await printerTicket.click()
  await recordAbsentVisit(page, "Pasé a las 10; vuelvo mañana a primera hora.")
  await page.locator(".hint", { hasText: "Revisita programada:" }).waitFor()
  const absentId = idOf(page.url())

  // 2b. Scan the printer's sticker with the (fake) camera and link it to the case.
  await page.getByRole("button", { name: "Escanear equipo de este caso" }).click()
  await page.locator('.scanned[data-code="GN-000330"]').waitFor()
  await page.getByText("LaserJet Pro M404").waitFor()
  await page.getByRole("button", { name: "Vincular al caso" }).click()
  await page.getByText("Equipo vinculado al caso.").waitFor()

  // 2c. A walk-up request, then an intervention on it that resolves it, the report and the survey.
  await page.getByRole("button", { name: "Volver" }).click()
  await page.getByRole("button", { name: "Volver" }).click()
  await page.getByRole("button", { name: "Nueva solicitud en sitio" }).click()
  await page.getByLabel("Nombre del funcionario").fill("Luz Stella Torres")
  await page.getByLabel("Dependencia").selectOption("SALUD")
  await page.getByLabel("Ubicación (sede, piso, oficina)").fill("Piso 1, Vigilancia epidemiológica")
  await page.getByLabel("Categoría").selectOption("Software")
  await page.getByLabel("Descripción del problema").fill("El correo no sincroniza en el portátil.")
  await page.getByRole("button", { name: "Registrar solicitud" }).click()
  await page.getByText("Sin número aún").waitFor()
  const walkUpId = idOf(page.url())
  assert.notEqual(walkUpId, absentId)
  await page.getByRole("button", { name: "Iniciar visita" }).click()
  await page.getByRole("button", { name: "Sí", exact: true }).click()
  await page.getByLabel("Diagnóstico (falla confirmada)").fill("Perfil de correo dañado.")
  await page.getByLabel("Acciones realizadas").fill("Se recreó el perfil de correo.")
  await page.getByLabel("Pruebas realizadas y resultado mostrado al usuario").fill("Envío y recepción de prueba con la usuaria.")
  await page.getByLabel("Resuelto").check()
  await sign(page)
  await page.getByLabel("Nombre de quien firma").fill("Luz Stella Torres")
  await page.getByRole("button", { name: "Finalizar visita" }).click()
  await page.getByLabel("Qué problema había y qué se hizo").fill("Perfil de correo recreado; funciona.")
  await page.getByRole("button", { name: "Cerrar el caso" }).click()
  for (const q of ["timeliness", "treatment", "solution"]) await page.locator(`input[name="${q}"][value="5"]`).check()
  await page.getByRole("button", { name: "Enviar encuesta" }).click()
  await page.locator(".badge.state-cerrada").waitFor()
  await page.getByRole("heading", { name: "Encuesta respondida" }).waitFor()

  const detail = await page.locator(".status-detail").textContent()
  assert.match(detail, /cambios? y 2 fotos por enviar/)

  // 3. The server comes back: everything reaches it and the app says so.
  await campo.start()
  await page.locator('[data-sync="saved"]').waitFor({ timeout: 60_000 })

  const peer = await peerAs(campo.base, coordinator)
  cleanup.push(() => peer.close())
  const absent = await peer.docWhen(
    `automerge:${absentId}`,
    "the absent visit and the scan on the server",
    d => d.visits.some(v => v.user_present === false && v.evidence.length > 0 && (v.equipment ?? []).length > 0),
  )
  const visit = absent.visits.find(v => v.user_present === false && v.evidence.length > 0)
  assert.equal(visit.note, "Pasé a las 10; vuelvo mañana a primera hora.")
  assert.equal(visit.notice_left, true)
  assert.ok(visit.next_visit_at > Date.now())
  assert.deepEqual(
    absent.events.slice(-2).map(e => [e.kind, e.author, e.author_role]),
    [
      ["visita_iniciada", (await apiAs(campo.base, "tecnico1")).user.id, "tecnico"],
      ["usuario_ausente", visit.technician, "tecnico"],
    ],
  )
  assert.deepEqual(visit.equipment, ["GN-000330"], "the scanned printer is linked to the case")
  const printerNow = await coordinator.call("GET", "/api/equipment/GN-000330")
  assert.ok(
    printerNow.body.tickets.some(t => t.id === absentId),
    "the printer's history shows the case it was scanned in",
  )
  const sha = visit.evidence[0].sha256
  const stored = await coordinator.call("HEAD", `/api/blobs/${sha}`)
  assert.equal(stored.status, 200, "the server verified and stored the photo under its SHA-256")
  const display = await coordinator.call("GET", `/api/blobs/${sha}/thumb`)
  assert.equal(display.status, 200, "the coordinator sees the evidence photo")

  const walkUp = await peer.docWhen(`automerge:${walkUpId}`, "the walk-up ticket on the server", d => d.survey)
  assert.equal(walkUp.request.channel, "field")
  assert.deepEqual(
    walkUp.events.map(e => e.kind),
    ["registrada", "visita_iniciada", "resuelta", "cerrada", "encuesta_respondida"],
  )
  assert.equal(walkUp.visits[0].outcome, "resolved")
  assert.equal(walkUp.visits[0].signature.signer, "Luz Stella Torres")
  assert.ok(walkUp.visits[0].signature.strokes >= 2)
  const signature = await coordinator.call("HEAD", `/api/blobs/${walkUp.visits[0].signature.sha256}`)
  assert.equal(signature.status, 200, "the signature's drawing reached the server")
  assert.equal(walkUp.report.summary, "Perfil de correo recreado; funciona.")
  assert.deepEqual(walkUp.survey.answers, { timeliness: 5, treatment: 5, solution: 5, comment: "" })

  // The projection (what the coordinator's board and reports read) shows both visits, and the
  // ticket made offline is registered with a number.
  const absentRow = await coordinator.call("GET", `/api/tickets/${absentId}`)
  assert.equal(absentRow.status, 200, absentRow.text)
  assert.equal(absentRow.body.state, "usuario_ausente")
  assert.ok(absentRow.body.visits.some(v => v.user_present === false && v.evidence === 1), absentRow.text)
  const walkUpRow = await coordinator.call("GET", `/api/tickets/${walkUpId}`)
  assert.equal(walkUpRow.status, 200, walkUpRow.text)
  assert.match(walkUpRow.body.number, /^SAT-\d{4}-\d{6}$/)
  assert.equal(walkUpRow.body.state, "cerrada")
  assert.deepEqual(
    walkUpRow.body.visits.map(v => [v.user_present, v.outcome]),
    [[true, "resolved"]],
  )
})

test("a technician and the coordinator edit the same ticket offline; both edits survive", async () => {
  const campo = await Campo.create()
  cleanup.push(() => campo.dispose())
  const browser = await launch()
  cleanup.push(() => browser.close())
  const techPage = await (await phone(browser, campo.base)).newPage()
  const coordPage = await (await phone(browser, campo.base)).newPage()
  await logIn(techPage, "tecnico1")
  await logIn(coordPage, "coordinador", "Tablero de despacho")
  await coordPage.getByRole("link", { name: "Agenda" }).click()
  await coordPage.getByRole("heading", { name: "Mi agenda" }).waitFor()
  const row = techPage.locator(".ticket-row", { hasText: "impresora" })
  await row.waitFor()
  const ticketUrl = await row.getAttribute("data-url")
  const ticketId = ticketUrl.replace("automerge:", "")
  await readyForOffline(techPage)
  await readyForOffline(coordPage)

  await campo.stop()
  for (const page of [techPage, coordPage]) {
    await page.locator('[data-sync="offline"]').waitFor()
    await page.goto(`/casos/${ticketId}`)
  }
  await techPage.getByPlaceholder("Escriba un comentario").fill("Técnico: el repuesto llega mañana.")
  await techPage.getByRole("button", { name: "Agregar comentario" }).click()
  await coordPage.getByPlaceholder("Escriba un comentario").fill("Coordinación: prioridad confirmada con Salud.")
  await coordPage.getByRole("button", { name: "Agregar comentario" }).click()
  for (const page of [techPage, coordPage]) await page.getByText("por enviar").waitFor()

  await campo.start()
  for (const page of [techPage, coordPage]) {
    await page.locator('[data-sync="saved"]').waitFor({ timeout: 60_000 })
    await page.getByText("Técnico: el repuesto llega mañana.").waitFor()
    await page.getByText("Coordinación: prioridad confirmada con Salud.").waitFor()
  }
  const coordinator = await apiAs(campo.base, "coordinador")
  const peer = await peerAs(campo.base, coordinator)
  cleanup.push(() => peer.close())
  const doc = await peer.docWhen(ticketUrl, "both comments on the server", d => d.comments.length >= 2)
  assert.deepEqual(doc.comments.map(c => c.text).sort(), [
    "Coordinación: prioridad confirmada con Salud.",
    "Técnico: el repuesto llega mañana.",
  ])
})
