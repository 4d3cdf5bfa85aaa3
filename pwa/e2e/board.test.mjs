// The coordinators' screens in Debian's Chromium: the live dispatch board on a desk while a
// technician works offline on a phone (the server is stopped to cut the phone off, since
// context.setOffline does not cut WebSockets), assignment by drag and drop, reception and triage,
// and the settings (with the integration tokens). CAMPO_E2E_SHOTS=/dir keeps screenshots of the board at 1280 and 360 px.

import assert from "node:assert/strict"
import { join } from "node:path"
import { after, test } from "node:test"
import { Campo, apiAs, assertAccessible, desk, launch, logIn, phone, readyForOffline, recordAbsentVisit, until } from "./support.mjs"

const cleanup = []
after(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {})
})

const shots = process.env.CAMPO_E2E_SHOTS

/** The contact time the board shows for a worker (ms), or null. */
async function lastContact(board, username) {
  const value = await board.locator(`.worker[data-worker="${username}"]`).getAttribute("data-last-contact")
  return value ? Number(value) : null
}

test("the board follows a technician's offline visit when the phone reconnects, and assigns by drag and drop", async () => {
  const campo = await Campo.create()
  cleanup.push(() => campo.dispose())
  const browser = await launch()
  cleanup.push(() => browser.close())

  const board = await (await desk(browser, campo.base)).newPage()
  await logIn(board, "coordinador", "Tablero de despacho")
  await board.locator('[data-link="live"]').waitFor()
  const printer = board.locator(".board-card", { hasText: "impresora" })
  await board.locator('.column[data-state="asignada"] .board-card', { hasText: "impresora" }).waitFor()
  assert.match(await printer.textContent(), /Responsable: Andrés Felipe Gómez/)
  const tecnico1 = board.locator('.worker[data-worker="tecnico1"]')
  await tecnico1.getByText("Su teléfono no se ha conectado").waitFor()
  const load = async () => (await tecnico1.locator(".load").textContent()).trim()
  assert.equal(await load(), "2 casos abiertos")
  // A mark that a reload would erase: everything below happens on the same page.
  await board.evaluate(() => (window.campoBoardMark = "sin recargar"))

  // The technician's phone connects: its contact shows on the board at once.
  const tech = await (await phone(browser, campo.base)).newPage()
  await logIn(tech, "tecnico1")
  await tecnico1.getByText("Último contacto hace un momento").waitFor()
  await readyForOffline(tech)
  const contactBefore = await lastContact(board, "tecnico1")
  assert.ok(contactBefore > 0)

  // Offline, the technician finds nobody at the desk and records it.
  await campo.stop()
  await board.locator('[data-link="connecting"]').waitFor()
  await tech.locator('[data-sync="offline"]').waitFor()
  await tech.locator(".ticket-row", { hasText: "impresora" }).click()
  await recordAbsentVisit(tech, "Pasé a las 3; vuelvo mañana a primera hora.")
  await tech.getByText("por enviar").waitFor()
  assert.equal(await printer.getAttribute("data-state"), "asignada", "the board cannot know yet")

  // The phone reconnects: the board shows the visit, without a reload.
  await campo.start()
  await tech.locator('[data-sync="saved"]').waitFor({ timeout: 60_000 })
  const moved = board.locator('.column[data-state="usuario_ausente"] .board-card', { hasText: "impresora" })
  await moved.waitFor()
  await moved.getByText("Usuario ausente en una visita").waitFor()
  await moved.getByText(/^Revisita: /).waitFor()
  await moved.getByText("Solución: plazo detenido mientras el usuario está ausente").waitFor()
  await board.locator('[data-link="live"]').waitFor()
  await until("the technician's new contact on the board", async () => (await lastContact(board, "tecnico1")) > contactBefore)
  await tecnico1.getByText("Último contacto hace un momento").waitFor()
  assert.equal(await board.evaluate(() => window.campoBoardMark), "sin recargar")

  if (shots) {
    await board.screenshot({ path: join(shots, "board-1280.png"), fullPage: true })
    await board.setViewportSize({ width: 360, height: 740 })
    await board.screenshot({ path: join(shots, "board-360.png"), fullPage: true })
    await board.screenshot({ path: join(shots, "board-360-top.png") })
    await moved.scrollIntoViewIfNeeded()
    await board.screenshot({ path: join(shots, "board-360-card.png") })
    await board.setViewportSize({ width: 1280, height: 800 })
  }

  // The coordinator drags the unassigned request onto the technician.
  const unassigned = board.locator('.column[data-state="registrada"] .board-card', { hasText: "no enciende" })
  const number = await unassigned.getAttribute("data-number")
  await unassigned.dragTo(tecnico1)
  await board.getByText(`${number} quedó asignado a Andrés Felipe Gómez.`).waitFor()
  const assigned = board.locator(`.column[data-state="asignada"] .board-card[data-number="${number}"]`)
  await assigned.getByText("Responsable: Andrés Felipe Gómez").waitFor()
  await until("tecnico1's workload on the board", async () => (await load()) === "3 casos abiertos")
  // …and the technician's agenda receives it.
  await tech.getByRole("button", { name: "Volver" }).click()
  await tech.locator(".ticket-row", { hasText: "no enciende" }).waitFor()

  // The menu does the same without a mouse: reassign it to another technician.
  await assigned.getByLabel(`Asignar ${number}`).selectOption({ label: "Diana Marcela Ruiz" })
  await board.getByText(`${number} quedó asignado a Diana Marcela Ruiz.`).waitFor()
  await board.locator(`.board-card[data-number="${number}"]`).getByText("Responsable: Diana Marcela Ruiz").waitFor()
  await until("tecnico1's workload back to 2", async () => (await load()) === "2 casos abiertos")
  await tech.locator(".ticket-row", { hasText: "no enciende" }).waitFor({ state: "detached" })

  // A case in attention cannot change hands: the server's reason is shown.
  const inAttention = board.locator('.column[data-state="en_atencion"] .board-card').first()
  const busyNumber = await inAttention.getAttribute("data-number")
  await inAttention.dragTo(board.locator('.worker[data-worker="tecnico3"]'))
  const refusal = board.locator('.board-feedback[role="alert"]')
  await refusal.waitFor()
  assert.equal(
    (await refusal.textContent()).trim(),
    `No se pudo asignar ${busyNumber}: «Asignación» no es posible en un caso en estado «En atención».`,
  )
  assert.equal(await inAttention.getAttribute("data-state"), "en_atencion")

  // Filters: one technician's cases, one channel.
  await board.getByLabel("Responsable", { exact: true }).selectOption({ label: "Andrés Felipe Gómez" })
  await until("only tecnico1's cases", async () => {
    const names = await board.locator(".board-card .assignee").allTextContents()
    return names.length === 2 && names.every(n => n === "Responsable: Andrés Felipe Gómez")
  })
  await board.getByLabel("Responsable", { exact: true }).selectOption({ label: "Todos los responsables" })
  await board.getByLabel("Canal", { exact: true }).selectOption({ label: "GLPI" })
  await until("only the GLPI case", async () => (await board.locator(".board-card .channel").allTextContents()).join() === "GLPI")
  await board.getByRole("button", { name: "Quitar filtros" }).click()
  assert.equal(await board.evaluate(() => window.campoBoardMark), "sin recargar")
})

test("reception registers a phone call; triage accepts, prioritises, assigns and resolves by phone", async () => {
  const campo = await Campo.create()
  cleanup.push(() => campo.dispose())
  const browser = await launch()
  cleanup.push(() => browser.close())
  const page = await (await desk(browser, campo.base)).newPage()
  await logIn(page, "coordinador", "Tablero de despacho")
  await page.getByRole("link", { name: "Recepción" }).click()
  await page.getByRole("heading", { name: "Recepción de solicitudes" }).waitFor()
  await page.locator(".waiting .ticket-row", { hasText: "no enciende" }).waitFor()
  if (shots) await page.screenshot({ path: join(shots, "intake-1280.png"), fullPage: true })

  // Bad input: every problem marked, nothing lost.
  await page.getByLabel("Descripción del problema").fill("La impresora de Tesorería no imprime en color.")
  await page.getByRole("button", { name: "Registrar solicitud" }).click()
  await page.getByText("Elija el funcionario que pide la asistencia.").waitFor()
  await page.getByText("Escriba quién llamó.").waitFor()
  assert.equal(await page.getByLabel("Descripción del problema").inputValue(), "La impresora de Tesorería no imprime en color.")

  await page.getByLabel("Teléfono", { exact: true }).check()
  await page.getByLabel("Quién llamó (nombre y extensión)").fill("Carlos Pérez, ext. 2210")
  await page.getByLabel("Funcionario que pide la asistencia").selectOption({ label: "Carlos Alberto Pérez · Secretaría de Hacienda" })
  assert.equal(await page.locator('select[name="dependencia"]').inputValue(), "HACIENDA")
  await page.getByLabel("Ubicación (sede, piso, oficina)").fill("Piso 3, Tesorería")
  await page.getByLabel("Categoría").selectOption("Impresoras")
  await page.getByRole("button", { name: "Registrar solicitud" }).click()
  const created = page.getByRole("status").filter({ hasText: /^Solicitud SAT-\d{4}-\d{6} registrada\./ })
  await created.waitFor()
  const number = (await created.textContent()).match(/SAT-\d{4}-\d{6}/)[0]
  // It arrives by itself in the list of requests to receive.
  await page.locator(`.waiting .ticket-row[data-number="${number}"]`).click()

  const panel = page.getByRole("region", { name: "Coordinación" })
  await panel.waitFor()
  assert.equal(await panel.locator('[data-field="state"]').textContent(), "Registrada")
  await panel.getByText("Teléfono · Carlos Pérez, ext. 2210").waitFor()
  await panel.getByLabel("Modalidad").selectOption("on_site")
  await panel.getByLabel("Prioridad").selectOption("alta")
  await panel.getByRole("button", { name: "Aceptar la solicitud" }).click()
  await panel.getByText("Prioridad y modalidad guardadas.").waitFor()
  assert.equal(await panel.locator('[data-field="state"]').textContent(), "Pendiente")
  assert.equal(await panel.locator('[data-field="priority"]').textContent(), "Alta")
  // The deadlines the server computed from the priority, in business hours.
  assert.notEqual(await panel.locator('[data-field="response-due"]').textContent(), "Se calcula al fijar la prioridad")
  assert.notEqual(await panel.locator('[data-field="resolution-due"]').textContent(), "Se calcula al fijar la prioridad")

  if (shots) {
    await page.screenshot({ path: join(shots, "triage-1280.png"), fullPage: true })
    await page.setViewportSize({ width: 360, height: 740 })
    await page.screenshot({ path: join(shots, "triage-360.png") })
    await page.setViewportSize({ width: 1280, height: 800 })
  }

  // A duplicate of a case that does not exist: the server says what it needs.
  await panel.getByText("Es un duplicado de otro caso").click()
  await panel.getByLabel("Número del caso original").fill("SAT-1999-000001")
  await panel.getByRole("button", { name: "Marcar como duplicada" }).click()
  await panel.getByRole("alert").getByText("Indique el caso original (su número, p. ej. SAT-2026-000123).").waitFor()

  await panel.getByLabel("Técnico o contratista").selectOption({ label: "Soporte Integral Andino S.A.S." })
  await panel.getByRole("button", { name: "Asignar" }).click()
  await panel.getByText("Responsable asignado.").waitFor()
  assert.equal(await panel.locator('[data-field="assignee"]').textContent(), "Soporte Integral Andino S.A.S.")
  assert.equal(await panel.locator('[data-field="state"]').textContent(), "Asignada")

  const coordinator = await apiAs(campo.base, "coordinador")
  const { body } = await coordinator.call("GET", `/api/tickets?state=asignada&channel=phone`)
  const row = body.tickets.find(t => t.number === number)
  assert.equal(row.external_ref, "Carlos Pérez, ext. 2210")
  assert.equal(row.priority, "alta")
  assert.equal(row.mode, "on_site")
  assert.equal(row.assignee_name, "Soporte Integral Andino S.A.S.")

  // The board shows it in its new column. Another request is solved on the phone, with a note.
  await page.getByRole("link", { name: "Tablero" }).click()
  await page.locator(`.column[data-state="asignada"] .board-card[data-number="${number}"]`).waitFor()
  const call = page.locator('.column[data-state="registrada"] .board-card', { hasText: "no enciende" })
  const callNumber = await call.getAttribute("data-number")
  await call.getByRole("link", { name: callNumber }).click()
  await panel.getByText("Resolver por teléfono").click()
  await panel.getByRole("button", { name: "Marcar resuelta por teléfono" }).click()
  await panel.getByText("Escriba cómo se resolvió.").waitFor()
  await panel.getByLabel("Cómo se resolvió").fill("Se reconectó el cable de poder con la funcionaria al teléfono.")
  await panel.getByRole("button", { name: "Marcar resuelta por teléfono" }).click()
  await panel.getByText("Caso resuelto por teléfono.").waitFor()
  assert.equal(await panel.locator('[data-field="state"]').textContent(), "Resuelta")
  await page.getByRole("button", { name: "Volver" }).click()
  await page.locator(`.column[data-state="resuelta"] .board-card[data-number="${callNumber}"]`).waitFor()
})

test("settings: SLA targets and hours, users and dependencias", async () => {
  const campo = await Campo.create()
  cleanup.push(() => campo.dispose())
  const browser = await launch()
  cleanup.push(() => browser.close())
  const page = await (await desk(browser, campo.base)).newPage()
  await logIn(page, "coordinador", "Tablero de despacho")
  await page.getByRole("link", { name: "Ajustes" }).click()
  await page.getByRole("heading", { name: "Ajustes", exact: true }).waitFor()

  if (shots) await page.screenshot({ path: join(shots, "settings-1280.png"), fullPage: true })
  const altaResolution = page.getByLabel("Solución, prioridad Alta, en horas hábiles")
  assert.equal(await altaResolution.inputValue(), "8")
  await altaResolution.fill("4,5")
  await page.getByLabel("Detener el reloj de solución mientras se espera a un usuario ausente").uncheck()
  // A response longer than the resolution is refused with the server's reason.
  await page.getByLabel("Respuesta, prioridad Media, en horas hábiles").fill("100")
  await page.getByRole("button", { name: "Guardar tiempos y horario" }).click()
  await page.getByRole("alert").getByText(/prioridad Media deben ser mayores que cero/).waitFor()
  await page.getByLabel("Respuesta, prioridad Media, en horas hábiles").fill("4")
  await page.getByRole("button", { name: "Agregar franja" }).click()
  const last = page.locator("table.windows tbody tr").last()
  await last.getByLabel("Día").selectOption("Sat")
  await last.getByLabel("Desde").fill("09:00")
  await last.getByLabel("Hasta").fill("12:00")
  await page.getByRole("button", { name: "Guardar tiempos y horario" }).click()
  await page.getByText(/^Nueva versión de la política guardada/).waitFor()

  const coordinator = await apiAs(campo.base, "coordinador")
  const sla = (await coordinator.call("GET", "/api/settings/sla")).body
  assert.equal(sla.targets.alta.resolution_minutes, 270)
  assert.equal(sla.pause_while_user_absent, false)
  assert.deepEqual(sla.windows.at(-1), { day: "Sat", start: "09:00:00", end: "12:00:00" })
  // A new version of the policy, for the requests received from now on; the history shows both.
  await page.getByText("Historial de la política (2 versiones)").click()
  await page.getByText("Desde el inicio").waitFor()

  // A closure by decree: a past date is refused before sending, a coming one is listed.
  const closures = page.getByRole("region", { name: "Cierres y jornadas especiales" })
  await closures.locator('input[name="closure-date"]').fill("2020-01-02")
  await closures.getByRole("button", { name: "Registrar el cierre" }).click()
  await closures.getByText("No se registran cierres en fechas pasadas.").waitFor()
  const coming = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10)
  await closures.locator('input[name="closure-date"]').fill(coming)
  await closures.locator('select[name="closure-kind"]').selectOption("jornada")
  await closures.locator('input[name="closure-start"]').fill("07:00")
  await closures.locator('input[name="closure-end"]').fill("15:00")
  await closures.getByLabel("Motivo (decreto o circular)").fill("Circular 12: jornada continua")
  await closures.getByRole("button", { name: "Registrar el cierre" }).click()
  await closures.getByText(/^Cierre registrado/).waitFor()
  await closures.locator(`tr[data-date="${coming}"]`).getByText("07:00–15:00").waitFor()
  const days = (await coordinator.call("GET", `/api/holidays?year=${coming.slice(0, 4)}`)).body
  assert.ok(days.some(d => d.date === coming && d.kind === "jornada_especial"), JSON.stringify(days))

  // A dependencia and a technician in it; then the technician is disabled.
  await page.getByLabel("Código").fill("cultura")
  await page.getByLabel("Nombre", { exact: true }).fill("Secretaría de Cultura")
  await page.getByRole("button", { name: "Crear dependencia" }).click()
  await page.getByText("Dependencia Secretaría de Cultura creada.").waitFor()
  const users = page.getByRole("region", { name: "Usuarios" })
  await users.getByLabel("Nombre completo").fill("Julián Andrés Rincón")
  await users.getByLabel("Usuario", { exact: true }).fill("jrincon")
  await users.locator('select[name="role"]').selectOption("tecnico")
  await users.locator('select[name="dependencia"]').selectOption("CULTURA")
  await users.getByLabel("Contraseña inicial (mínimo 8 caracteres)").fill("corta")
  await users.getByRole("button", { name: "Crear usuario" }).click()
  await users.locator(".field.invalid .error").getByText("La contraseña debe tener al menos 8 caracteres.").waitFor()
  await users.getByLabel("Contraseña inicial (mínimo 8 caracteres)").fill("clave-de-julian-2026")
  await users.getByRole("button", { name: "Crear usuario" }).click()
  await users.getByText("Usuario Julián Andrés Rincón creado.").waitFor()
  const row = users.locator('tr[data-username="jrincon"]')
  await row.getByText("Secretaría de Cultura").waitFor()
  await row.getByRole("button", { name: "Desactivar" }).click()
  await users.getByText("Julián Andrés Rincón ya no puede ingresar; sus sesiones se cerraron.").waitFor()
  await row.getByText("Inactivo").waitFor()
  const login = await fetch(`${campo.base}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "jrincon", password: "clave-de-julian-2026" }),
  })
  assert.equal(login.status, 401, "a disabled user cannot log in")
  await row.getByRole("button", { name: "Activar" }).click()
  await row.getByText("Activo", { exact: true }).waitFor()
})

test("settings: an integration token is shown once, registers a request from the intranet, and is revoked", async () => {
  const campo = await Campo.create()
  cleanup.push(() => campo.dispose())
  const browser = await launch()
  cleanup.push(() => browser.close())
  const context = await desk(browser, campo.base)
  await context.grantPermissions(["clipboard-read", "clipboard-write"])
  const page = await context.newPage()
  await logIn(page, "coordinador", "Tablero de despacho")
  await page.getByRole("link", { name: "Ajustes" }).click()
  const tokens = page.getByRole("region", { name: "Tokens de integración" })
  await tokens.getByText("Todavía no hay tokens de integración.").waitFor()

  // No scope: the server's reason, on the form.
  await tokens.getByLabel("Nombre del token").fill("Intranet")
  await tokens.getByLabel("Registrar solicitudes (intake)").uncheck()
  await tokens.getByRole("button", { name: "Crear token" }).click()
  await tokens.getByText(/Indique al menos un permiso/).first().waitFor()
  await tokens.getByLabel("Registrar solicitudes (intake)").check()
  await tokens.getByRole("button", { name: "Crear token" }).click()
  await tokens.getByText(/Token «Intranet» creado\. Cópielo ahora/).waitFor()
  const secret = await tokens.getByTestId("token-secret").textContent()
  assert.match(secret, /^campo_[0-9a-f]{64}$/)
  await tokens.getByRole("button", { name: "Copiar" }).click()
  await tokens.getByRole("button", { name: "Copiado" }).waitFor()
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret)
  const row = tokens.locator('tr[data-token="Intranet"]')
  await row.getByText("Nunca").waitFor()
  await assertAccessible(page, "the integration tokens in Ajustes")

  // The intranet uses it; after a reload the list shows its last use and never the secret.
  const made = await fetch(`${campo.base}/api/intake`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: JSON.stringify({
      username: "mlopez",
      channel: "intranet",
      description: "No hay red en la oficina 204.",
      category: "Red",
      location: "Piso 2, oficina 204",
    }),
  })
  assert.equal(made.status, 201)
  await page.reload()
  await row.getByText("Activo", { exact: true }).waitFor()
  assert.equal(await row.getByText("Nunca").count(), 0, "the last use is shown")
  assert.equal(await page.getByText(secret).count(), 0, "the secret is shown only once")

  page.once("dialog", dialog => void dialog.accept())
  await row.getByRole("button", { name: "Revocar" }).click()
  await tokens.getByText("Token «Intranet» revocado.").waitFor()
  await row.getByText("Revocado").waitFor()
  const refused = await fetch(`${campo.base}/api/intake`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: "{}",
  })
  assert.equal(refused.status, 401)
})
