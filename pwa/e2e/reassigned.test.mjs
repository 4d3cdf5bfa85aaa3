// A técnico works in a basement on a case that the coordinator gives to someone else meanwhile,
// in Debian's Chromium. The phone loses the server (it is stopped); the coordinator reassigns the
// case on the same data through another address the phone does not know; then the phone gets the
// server back. Nothing the técnico recorded is lost, the phone says plainly what happened to it,
// and the coordinator sees the work as «registrado por un técnico ya no asignado».
// CAMPO_E2E_SHOTS=/dir keeps screenshots of the phone's outbox and of the board.

import assert from "node:assert/strict"
import { join } from "node:path"
import { after, test } from "node:test"
import { Campo, apiAs, desk, freePort, launch, logIn, phone, readyForOffline, recordAbsentVisit } from "./support.mjs"

const shots = process.env.CAMPO_E2E_SHOTS
const cleanup = []
after(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {})
})

test("work recorded offline on a case reassigned meanwhile is kept, told to the técnico and flagged on the board", async () => {
  const campo = await Campo.create()
  cleanup.push(() => campo.dispose())
  const browser = await launch()
  cleanup.push(() => browser.close())

  const tech = await (await phone(browser, campo.base)).newPage()
  await logIn(tech, "tecnico1")
  const row = tech.locator(".ticket-row", { hasText: "impresora" })
  await row.waitFor()
  const url = await row.getAttribute("data-url")
  const id = url.replace("automerge:", "")
  await readyForOffline(tech)

  // In the basement: no server. The técnico finds nobody at the desk and writes a comment.
  await campo.stop()
  await tech.locator('[data-sync="offline"]').waitFor()
  await row.click()
  await recordAbsentVisit(tech, "Pasé a las 3; vuelvo mañana a primera hora.")
  await tech.getByPlaceholder("Escriba un comentario").fill("La impresora muestra error de fusor.")
  await tech.getByRole("button", { name: "Agregar comentario" }).click()
  await tech.getByText("por enviar").waitFor()

  // Meanwhile, at the office, the coordinator gives the case to Diana.
  const deskPort = await freePort()
  await campo.start(deskPort)
  const deskBase = `http://127.0.0.1:${deskPort}`
  const coordinator = await apiAs(deskBase, "coordinador")
  const diana = await apiAs(deskBase, "tecnico2")
  const reassigned = await coordinator.call("POST", `/api/tickets/${id}/actions`, {
    action: "asignada",
    assignee_id: diana.user.id,
  })
  assert.equal(reassigned.status, 200, reassigned.text)
  await campo.stop()

  // The phone gets the server back: its work is saved, and it says why the case left its agenda.
  await campo.start()
  await tech.locator('[data-sync="saved"]').waitFor({ timeout: 60_000 })
  await tech.locator(".status-detail", { hasText: "1 aviso sobre su trabajo" }).waitFor()
  await tech.locator(".status-open").click()
  const item = tech.locator(`.outbox-item[data-url="${url}"]`)
  await item.waitFor()
  const number = (await apiAs(campo.base, "coordinador").then(c => c.call("GET", `/api/tickets/${id}`))).body.number
  // Named by its number, though the case left the agenda; its photo too.
  await item.locator(".item-head strong", { hasText: number }).waitFor()
  await tech.locator(".outbox-item", { hasText: `Foto de ${number}` }).waitFor()
  assert.equal(await item.getAttribute("data-state"), "saved")
  await item.locator(".item-state", { hasText: "Guardado en el servidor" }).waitFor()
  await item.getByText("el caso ya está asignado a otra persona").waitFor()
  // The case left the agenda, yet its screen still shows its number and its dependencia's name.
  await item.getByRole("button", { name: "Abrir el caso" }).click()
  await tech.getByRole("heading", { name: number }).waitFor()
  assert.equal(await tech.getByText("Sin número aún").count(), 0)
  await tech.getByText("Secretaría de Salud · ").waitFor()
  await tech.goBack()
  await item.waitFor()
  if (shots) await tech.screenshot({ path: join(shots, "outbox-reassigned-360.png"), fullPage: true })
  await item.getByRole("button", { name: "Entendido" }).click()
  await item.locator(".outbox-notice").waitFor({ state: "detached" })
  assert.doesNotMatch(await tech.locator(".status-detail").textContent(), /aviso/)

  // The server has everything, attributed to the técnico, and the case is still Diana's.
  const office = await apiAs(campo.base, "coordinador")
  const detail = await office.call("GET", `/api/tickets/${id}`)
  assert.equal(detail.status, 200, detail.text)
  assert.equal(detail.body.assignee_name, "Diana Marcela Ruiz")
  assert.equal(detail.body.flag_kinds, "tecnico_no_asignado")
  const andres = await apiAs(campo.base, "tecnico1")
  const absent = detail.body.visits.find(v => v.user_present === false)
  assert.ok(absent, detail.text)
  assert.equal(absent.technician_id, andres.user.id)
  assert.equal(absent.evidence, 1, "the evidence photo is kept")

  // The coordinator's board names it.
  const board = await (await desk(browser, campo.base)).newPage()
  await logIn(board, "coordinador", "Tablero de despacho")
  const card = board.locator(".board-card", { hasText: "impresora" })
  await card.getByText("Registrado por un técnico ya no asignado").waitFor()
  await card.getByText("Responsable: Diana Marcela Ruiz").waitFor()
  if (shots) await card.screenshot({ path: join(shots, "card-former-assignee.png") })

  // Diana's phone has Andrés's comment and his visit in the history.
  const dianaPhone = await (await phone(browser, campo.base)).newPage()
  await logIn(dianaPhone, "tecnico2")
  await dianaPhone.goto(`/casos/${id}`)
  await dianaPhone.getByText("La impresora muestra error de fusor.").waitFor()
  await dianaPhone.locator(".history li", { hasText: "Andrés Felipe Gómez" }).first().waitFor()
})
