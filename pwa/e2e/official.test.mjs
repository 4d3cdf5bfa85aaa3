// An official's side of Campo in Debian's Chromium on a phone-sized screen: the request form (once
// online with the sticker scanned and a photo, once with the server stopped), "Mis solicitudes"
// with the promised attention time after the coordinator's triage, the technician's absent visit
// and closing (a Node automerge-repo peer, as the technician's phone), and the survey.
// CAMPO_E2E_SHOTS=/dir keeps a screenshot of each screen.

import assert from "node:assert/strict"
import { randomUUID } from "node:crypto"
import { join } from "node:path"
import { after, test } from "node:test"
import {
  Campo,
  PASSWORD,
  apiAs,
  launch,
  peerAs,
  phone,
  pwaDir,
  qrVideo,
  until,
  waitForServiceWorker,
  waitForStoredDocs,
} from "./support.mjs"

const cleanup = []
after(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {})
})

const PHOTO = join(pwaDir, "public", "icon-512.png")
const idOf = url => new URL(url).pathname.split("/")[2]

async function shot(page, name) {
  if (process.env.CAMPO_E2E_SHOTS) await page.screenshot({ path: join(process.env.CAMPO_E2E_SHOTS, `${name}.png`), fullPage: true })
}

/** How the app writes an instant: weekday, day and month, and the time, in Bogotá. */
function bogotaParts(ms) {
  const date = new Date(ms)
  const day = new Intl.DateTimeFormat("es-CO", { timeZone: "America/Bogota", weekday: "long", day: "numeric", month: "long" })
  const part = type => day.formatToParts(date).find(p => p.type === type).value
  const time = new Intl.DateTimeFormat("es-CO", { timeZone: "America/Bogota", hour: "numeric", minute: "2-digit" })
  return { day: `${part("weekday")} ${part("day")} de ${part("month")}`, time: plain(time.format(date)) }
}

/** Text with every kind of space as a plain one (ICU puts no-break spaces in times). */
const plain = text => text.replace(/\s/g, " ")

/** Tomorrow at 09:00 in Bogotá. */
function tomorrowNine() {
  const bogota = new Date(Date.now() - 5 * 3600_000 + 24 * 3600_000)
  return Date.parse(`${bogota.toISOString().slice(0, 10)}T09:00:00-05:00`)
}

async function logInAsOfficial(page) {
  await page.goto("/")
  await page.getByLabel("Usuario").fill("mlopez")
  await page.getByLabel("Contraseña").fill(PASSWORD)
  await page.getByRole("button", { name: "Ingresar" }).click()
  await page.getByRole("heading", { name: "Mis solicitudes" }).waitFor()
}

/**
 * cbor-x (inside automerge-repo) checks once per page load whether it may compile code, with
 * `try { new Function("") } catch { … }`, and decodes without compiling when it may not: the CSP
 * refusing that empty function is the policy working, not the app breaking. The CSP's
 * 'report-sample' makes the refused code visible, so only exactly this probe is let through.
 */
const CBOR_X_PROBE = 'script-src blocked eval sample "(function anonymous(\\n) {\\n\\n})"'

/**
 * Collects what the Content-Security-Policy refused on `page`: Chromium's console reports
 * («Refused to …») and the page's `securitypolicyviolation` events.
 */
async function watchCsp(page) {
  const violations = []
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", e =>
      console.error(`securitypolicyviolation: ${e.violatedDirective} blocked ${e.blockedURI} sample ${JSON.stringify(e.sample)} at ${e.sourceFile}:${e.lineNumber}`),
    )
  })
  page.on("console", message => {
    const text = message.text()
    if (text.startsWith("Refused to") || (text.startsWith("securitypolicyviolation:") && !text.includes(CBOR_X_PROBE))) violations.push(text)
  })
  return violations
}

test("an official asks for help online and offline, sees the promised time and answers the survey", async () => {
  const campo = await Campo.create()
  cleanup.push(() => campo.dispose())
  const coordinator = await apiAs(campo.base, "coordinador")
  const technician = await apiAs(campo.base, "tecnico1")
  const browser = await launch(await qrVideo(`${campo.base}/e/GN-000101`))
  cleanup.push(() => browser.close())
  const page = await (await phone(browser, campo.base)).newPage()
  // The whole story (the app shell, Automerge's and the scanner's WebAssembly, the camera, photos
  // shown from the phone, the service worker, sync) runs under the server's CSP without a refusal.
  const cspViolations = await watchCsp(page)
  const served = await fetch(campo.base)
  assert.match(served.headers.get("content-security-policy") ?? "", /script-src 'self'/)

  // The demo official's own request is listed; the inventory of Hacienda reaches the phone.
  await logInAsOfficial(page)
  const official = (await apiAs(campo.base, "mlopez")).user
  await page.locator(".request-row", { hasText: "El computador no enciende desde esta mañana" }).waitFor()
  await page.getByText("Recibida. La coordinación de la Secretaría TIC la revisará.").first().waitFor()
  await page.waitForFunction(() => (localStorage.getItem("campo.catalog") ?? "").includes("GN-000101"))
  await shot(page, "mis-solicitudes")

  // 1. A request online: a missing field gets a Spanish error and keeps what was typed; the
  // sticker is scanned with the (fake) camera; a photo of the problem.
  await page.getByRole("link", { name: "Solicitar asistencia" }).click()
  await page.getByRole("heading", { name: "Solicitar asistencia" }).waitFor()
  await page.locator("dd", { hasText: "María Fernanda López" }).waitFor()
  await page.locator("dd", { hasText: "Secretaría de Hacienda" }).waitFor()
  const description = page.getByLabel("¿Qué problema tiene? Descríbalo con sus palabras")
  await description.fill("El monitor parpadea y se pone negro cada rato.")
  await page.getByRole("button", { name: "Enviar solicitud" }).click()
  await page.getByText("Escriba la categoría.").waitFor()
  await page.getByText("Escriba la ubicación (sede, piso, oficina).").waitFor()
  assert.equal(await description.inputValue(), "El monitor parpadea y se pone negro cada rato.")
  await page.getByLabel("Tipo de problema").selectOption("Hardware")
  await page.getByRole("button", { name: "Escanear el adhesivo del equipo" }).click()
  await page.getByText("Equipo GN-000101 agregado a la solicitud.").waitFor()
  assert.ok(await page.getByRole("checkbox", { name: /GN-000101/ }).isChecked())
  await page.locator('input[name="photo"]').setInputFiles(PHOTO)
  await page.locator(".photos img.thumb").first().waitFor()
  await page.getByLabel("Oficina donde está (sede, piso, oficina)").fill("Piso 3, oficina de Presupuesto")
  await page.getByLabel("Extensión telefónica (opcional)").fill("4512")
  await shot(page, "solicitar")
  await page.getByRole("button", { name: "Enviar solicitud" }).click()
  await page.getByRole("heading", { name: /^SAT-\d{4}-\d{6}$/ }).waitFor()
  await page.getByText("Recibida. La coordinación de la Secretaría TIC la revisará.").waitFor()
  // The office answers for its reception from the moment the request arrives: a first answer is
  // promised before anyone has set a priority.
  await page.getByText("Primera respuesta a más tardar el", { exact: false }).first().waitFor()
  const onlineId = idOf(page.url())

  const onlineRow = await coordinator.call("GET", `/api/tickets/${onlineId}`)
  assert.equal(onlineRow.status, 200, onlineRow.text)
  assert.equal(onlineRow.body.channel, "intranet")
  assert.equal(onlineRow.body.requester_id, official.id)
  assert.equal(onlineRow.body.registered_by, official.id)
  assert.deepEqual(onlineRow.body.equipment, ["GN-000101"])
  // (The peer does not outlive the server's restart below: it reconnects only after a minute.)
  const firstPeer = await peerAs(campo.base, coordinator)
  const onlineDoc = await firstPeer.docWhen(`automerge:${onlineId}`, "the request on the server", d => d.request)
  await firstPeer.close()
  assert.equal(onlineDoc.request.phone_extension, "4512")
  assert.equal(onlineDoc.request.photos.length, 1)
  const photo = onlineDoc.request.photos[0]
  await until("the request's photo on the server", async () => (await coordinator.call("HEAD", `/api/blobs/${photo}`)).status === 200)

  // 2. A request with the server stopped: the app opens from the cache, remembers the office,
  // offers the inventory kept on the phone, and sends the request when the server is back.
  await page.locator('[data-sync="saved"]').waitFor({ timeout: 60_000 })
  await waitForServiceWorker(page)
  await page.getByRole("link", { name: "Mis solicitudes" }).click()
  const ids = await page.locator(".request-row").evaluateAll(rows => rows.map(r => r.dataset.url.replace("automerge:", "")))
  await waitForStoredDocs(page, ids)
  await campo.stop()
  await page.reload()
  await page.locator('[data-sync="offline"]').waitFor()
  await page.getByRole("link", { name: "Solicitar asistencia" }).click()
  assert.equal(await page.getByLabel("Oficina donde está (sede, piso, oficina)").inputValue(), "Piso 3, oficina de Presupuesto")
  await page.getByLabel("¿Qué problema tiene? Descríbalo con sus palabras").fill("No puedo imprimir desde el computador.")
  await page.getByLabel("Tipo de problema").selectOption("Impresoras")
  await page.getByRole("checkbox", { name: /GN-000101/ }).check()
  await page.getByRole("button", { name: "Enviar solicitud" }).click()
  await page.getByText("Guardado en este teléfono; se enviará al volver la conexión.").waitFor()
  const offlineId = idOf(page.url())
  assert.notEqual(offlineId, onlineId)
  await page.getByRole("button", { name: "Volver" }).click()
  const offlineRow = page.locator(".request-row", { hasText: "No puedo imprimir desde el computador." })
  await offlineRow.getByText("Sin número aún").waitFor()

  await campo.start()
  await offlineRow
    .locator(".number", { hasText: /^SAT-\d{4}-\d{6}$/ })
    .waitFor({ timeout: 60_000 })
    .catch(async err => {
      const sync = await page.locator("[data-sync]").first().getAttribute("data-sync", { timeout: 2_000 }).catch(() => "(none shown)")
      const row = await offlineRow.innerText({ timeout: 2_000 }).catch(() => "(the row is not on the page)")
      const rows = await page.locator(".request-row").allInnerTexts()
      throw new Error(`${err.message}\nThe row reads: ${row}\nSync state: ${sync}\nPage: ${page.url()}\nRows listed: ${JSON.stringify(rows)}`)
    })
  await page.locator('[data-sync="saved"]').waitFor({ timeout: 60_000 })
  const registered = await coordinator.call("GET", `/api/tickets/${offlineId}`)
  assert.equal(registered.status, 200, registered.text)
  assert.equal(registered.body.channel, "intranet")
  assert.equal(registered.body.requester_id, official.id)
  assert.equal(registered.body.category, "Impresoras")
  assert.deepEqual(registered.body.equipment, ["GN-000101"])

  // 3. The coordinator accepts, triages and assigns the first request: the official sees the
  // technician and the promised solution time.
  for (const body of [
    { action: "aceptada", mode: "on_site" },
    { action: "priorizada", priority: "alta", mode: "on_site" },
    { action: "asignada", assignee_id: technician.user.id },
  ]) {
    const done = await coordinator.call("POST", `/api/tickets/${onlineId}/actions`, body)
    assert.equal(done.status, 200, done.text)
  }
  const triaged = await coordinator.call("GET", `/api/tickets/${onlineId}`)
  assert.ok(triaged.body.resolution_due > Date.now(), triaged.text)
  const onlineListed = page.locator(`.request-row[data-url="automerge:${onlineId}"]`)
  await onlineListed.getByText("Andrés Felipe Gómez atenderá su solicitud.").waitFor()
  const due = bogotaParts(triaged.body.resolution_due)
  const promise = await onlineListed.locator(".due").textContent()
  assert.ok(promise.startsWith("Solución a más tardar el "), promise)
  assert.ok(promise.includes(due.day), `${promise} should say ${due.day}`)
  assert.ok(plain(promise).includes(due.time), `${promise} should say ${due.time}`)
  await onlineListed.click()
  await page.getByRole("heading", { name: "Tiempo máximo de atención" }).waitFor()
  const promiseDetail = await page.locator("dl.promise").textContent()
  assert.ok(promiseDetail.includes(due.day), promiseDetail)
  await page.locator("dd", { hasText: "Andrés Felipe Gómez" }).waitFor()
  await shot(page, "solicitud-asignada")

  // 4. The technician (its phone: a Node peer) finds the desk empty and plans to come back.
  const techPeer = await peerAs(campo.base, technician)
  cleanup.push(() => techPeer.close())
  const handle = await techPeer.repo.find(`automerge:${onlineId}`)
  await until("the ticket on the technician's phone", () => handle.doc()?.events.length >= 4)
  const tech = technician.user.id
  const event = (kind, at, data = {}) => ({ id: randomUUID(), at, author: tech, author_role: "tecnico", kind, data })
  const visit = (present, at, fields) => ({
    id: randomUUID(),
    technician: tech,
    started_at: at,
    ended_at: at + 60_000,
    user_present: present,
    evidence: [],
    note: "",
    notice_left: false,
    next_visit_at: null,
    diagnosis: "",
    actions: "",
    tests: "",
    outcome: null,
    custody: null,
    ...fields,
  })
  const comeBack = tomorrowNine()
  const t0 = Date.now()
  const absent = visit(false, t0, { note: "Pasé y no estaba; dejé nota con su compañero.", notice_left: true, next_visit_at: comeBack })
  handle.change(d => {
    d.visits.push(absent)
    d.events.push(event("visita_iniciada", t0, { visit: absent.id }))
    d.events.push(event("usuario_ausente", t0 + 60_000, { visit: absent.id, next_visit_at: comeBack }))
  })
  const back = bogotaParts(comeBack)
  const absentLine = page.locator(".plain-status", { hasText: "Vinimos y no estaba: volvemos el" })
  await absentLine.waitFor()
  assert.ok((await absentLine.textContent()).includes(back.day), await absentLine.textContent())
  await page.getByText("Nota que le dejamos: Pasé y no estaba; dejé nota con su compañero.").waitFor()
  await page.locator(".come-back", { hasText: back.day }).waitFor()
  await shot(page, "solicitud-ausente")

  // 5. It comes back, fixes the computer and closes the case; the official answers the survey.
  const t1 = t0 + 120_000
  const present = visit(true, t1, {
    diagnosis: "La fuente de poder estaba dañada.",
    actions: "Se cambió la fuente de poder.",
    tests: "El equipo enciende y abre el correo.",
    outcome: "resolved",
  })
  handle.change(d => {
    d.visits.push(present)
    d.events.push(event("visita_iniciada", t1, { visit: present.id }))
    d.events.push(event("resuelta", t1 + 60_000, { visit: present.id }))
    d.report = { author: tech, at: t1 + 70_000, summary: "Se cambió la fuente de poder; el equipo funciona.", results: "" }
    d.events.push(event("cerrada", t1 + 70_000))
  })
  await page.getByText("Cerrada. Cuéntenos cómo le fue en la encuesta.").waitFor()
  await page.getByText("Qué hicimos: Se cambió la fuente de poder.").waitFor()
  await page.getByText("Se cambió la fuente de poder; el equipo funciona.").waitFor()
  await page.getByRole("button", { name: "Volver" }).click()
  await onlineListed.locator(".badge.survey", { hasText: "Encuesta pendiente" }).waitFor()
  await shot(page, "mis-solicitudes-cerrada")
  await onlineListed.click()
  await page.getByRole("button", { name: "Responder la encuesta de satisfacción" }).click()
  await page.getByText("Califique la atención que recibió.").waitFor()
  await page.getByRole("button", { name: "Enviar encuesta" }).click()
  await page.getByText("Califique de 1 a 5.").first().waitFor()
  await page.locator('input[name="timeliness"][value="4"]').check()
  await page.locator('input[name="treatment"][value="5"]').check()
  await page.locator('input[name="solution"][value="5"]').check()
  await page.getByLabel("Comentario (opcional)").fill("Muy amable el técnico.")
  await shot(page, "encuesta")
  await page.getByRole("button", { name: "Enviar encuesta" }).click()
  await page.getByRole("heading", { name: /^Encuesta respondida el / }).waitFor()
  await page.getByText("Cerrada. Gracias por responder la encuesta.").waitFor()
  await page.locator('[data-sync="saved"]').waitFor({ timeout: 60_000 })
  // The official downloads the service record of its own case.
  const acta = page.getByRole("link", { name: "Acta de servicio (PDF)" })
  const actaUrl = await acta.getAttribute("href")
  const pdf = await page.evaluate(async href => {
    const response = await fetch(href)
    return { status: response.status, type: response.headers.get("content-type") }
  }, actaUrl)
  assert.deepEqual(pdf, { status: 200, type: "application/pdf" })

  const surveyed = await until("the survey on the server", async () => {
    const row = await coordinator.call("GET", `/api/tickets/${onlineId}`)
    return row.body?.survey_at ? row.body : null
  })
  assert.equal(surveyed.state, "cerrada")
  assert.equal(surveyed.survey_channel, "own_app")
  assert.deepEqual([surveyed.survey_timeliness, surveyed.survey_treatment, surveyed.survey_solution], [4, 5, 5])
  const coordinatorPeer = await peerAs(campo.base, coordinator)
  cleanup.push(() => coordinatorPeer.close())
  const surveyDoc = await coordinatorPeer.docWhen(`automerge:${onlineId}`, "the survey in the document", d => d.survey)
  assert.equal(surveyDoc.survey.by, official.id)
  assert.equal(surveyDoc.survey.answers.comment, "Muy amable el técnico.")
  assert.deepEqual(cspViolations, [])
})
