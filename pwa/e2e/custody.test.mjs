// The visit to the end, on a técnico's phone with the server stopped: the printer goes to the
// workshop, comes back, the official signs on the phone, the case is resolved and closed and the
// survey answered there. When the server returns everything is saved, the inventory says the
// printer is in service again with its custody chain, and the case's service record (acta) holds
// the signature image and the texts (read with Debian's pdfimages and pdftotext).

import assert from "node:assert/strict"
import { execFileSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { after, test } from "node:test"
import { Campo, apiAs, assertAccessible, desk, launch, logIn, phone, readyForOffline, sign } from "./support.mjs"

const cleanup = []
after(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {})
})

const idOf = url => new URL(url).pathname.split("/")[2]

test("offline, the printer goes to the workshop and back, the official signs, and the acta shows it all", async () => {
  const campo = await Campo.create()
  cleanup.push(() => campo.dispose())
  const browser = await launch()
  cleanup.push(() => browser.close())
  const page = await (await phone(browser, campo.base)).newPage()
  await logIn(page, "tecnico1")
  const printerTicket = page.locator(".ticket-row", { hasText: "impresora" })
  await printerTicket.waitFor()
  await readyForOffline(page)

  await campo.stop()
  await page.reload()
  await page.locator('[data-sync="offline"]').waitFor()
  await printerTicket.click()
  const id = idOf(page.url())

  // At the desk: the printer needs the workshop.
  await page.getByRole("button", { name: "Iniciar visita" }).click()
  await page.getByRole("button", { name: "Sí", exact: true }).click()
  await page.getByLabel("Diagnóstico (falla confirmada)").fill("Fusor dañado.")
  await page.getByLabel("Acciones realizadas").fill("Se retiró la impresora para cambiar el fusor.")
  await page.getByLabel("Pruebas realizadas y resultado mostrado al usuario").fill("Sin pruebas: no imprime.")
  await page.getByLabel("Enviado a taller").check()
  await page.getByLabel("Quién lo recibe").fill("Taller de la Secretaría TIC")
  await page.getByLabel("A dónde va").fill("Sótano, taller")
  await page.getByRole("button", { name: "Finalizar visita" }).click()
  await page.locator(".badge.state-en_taller").waitFor()
  await page.getByText("Guardado en este teléfono").first().waitFor()

  // It comes back.
  await assertAccessible(page, "a case in the workshop")
  await page.getByRole("button", { name: "Registrar devolución del equipo" }).click()
  await assertAccessible(page, "the return form")
  assert.equal(await page.getByLabel("Quién lo devuelve").inputValue(), "Taller de la Secretaría TIC")
  await page.getByLabel("Estado en que se recibe (marcas, piezas faltantes)").fill("Fusor nuevo.")
  await page.getByRole("button", { name: "Registrar devolución" }).click()
  await page.locator(".badge.state-asignada").waitFor()

  // Installed at the desk, shown to the official, who signs on the phone.
  await page.getByRole("button", { name: "Iniciar visita" }).click()
  await page.getByRole("button", { name: "Sí", exact: true }).click()
  await page.getByLabel("Diagnóstico (falla confirmada)").fill("Fusor reemplazado en el taller.")
  await page.getByLabel("Acciones realizadas").fill("Se instaló la impresora en el puesto.")
  await page.getByLabel("Pruebas realizadas y resultado mostrado al usuario").fill("Página de prueba impresa con la funcionaria.")
  await page.getByLabel("Resuelto").check()
  // Without strokes the form asks for the signature (and moves nothing).
  await page.getByRole("button", { name: "Finalizar visita" }).click()
  await page.getByText("Pida la firma del funcionario o marque que no está en el puesto.").waitFor()
  await assertAccessible(page, "the intervention form with the signature pad")
  await sign(page, 3)
  const signer = await page.getByLabel("Nombre de quien firma").inputValue()
  assert.ok(signer.length > 0, "the signer's name comes from the request")
  await page.getByRole("button", { name: "Finalizar visita" }).click()
  await page.getByLabel("Qué problema había y qué se hizo").fill("Fusor reemplazado; imprime bien.")
  await page.getByRole("button", { name: "Cerrar el caso" }).click()
  for (const q of ["timeliness", "treatment", "solution"]) await page.locator(`input[name="${q}"][value="4"]`).check()
  await page.getByRole("button", { name: "Enviar encuesta" }).click()
  await page.locator(".badge.state-cerrada").waitFor()

  await campo.start()
  await page.locator('[data-sync="saved"]').waitFor({ timeout: 60_000 })

  const coordinator = await apiAs(campo.base, "coordinador")
  const row = await coordinator.call("GET", `/api/tickets/${id}`)
  assert.equal(row.body.state, "cerrada", row.text)
  // The survey is the official's, answered on the técnico's phone.
  assert.equal(row.body.survey_channel, "technician_phone", row.text)
  const printer = await coordinator.call("GET", "/api/equipment/GN-000330")
  assert.equal(printer.body.status, "en_servicio", printer.text)
  assert.deepEqual(
    printer.body.custody.filter(m => m.ticket_id === id).map(m => [m.kind, m.holder_to]),
    [
      ["enviada_taller", "Taller de la Secretaría TIC"],
      ["equipo_devuelto", "Andrés Felipe Gómez"],
    ],
  )

  // The acta: the signature image and the texts.
  const acta = await fetch(`${campo.base}/api/tickets/${id}/acta.pdf`, { headers: { cookie: coordinator.cookie } })
  assert.equal(acta.status, 200)
  const dir = mkdtempSync(join(tmpdir(), "campo-acta-"))
  const file = join(dir, "acta.pdf")
  writeFileSync(file, Buffer.from(await acta.arrayBuffer()))
  const text = execFileSync("pdftotext", ["-layout", file, "-"], { encoding: "utf8" })
  for (const expected of [row.body.number, "Taller de la Secretaría TIC", "Fusor reemplazado en el taller.", signer])
    assert.ok(text.includes(expected), `the acta says «${expected}»:\n${text}`)
  const images = execFileSync("pdfimages", ["-list", file], { encoding: "utf8" }).trim().split("\n").slice(2)
  assert.ok(images.length >= 1, `the acta holds the signature image:\n${images.join("\n")}`)

  // The signed visit, as the técnico sees it in the case.
  await page.getByText(`Firmado por ${signer}`).waitFor()
  await assertAccessible(page, "a closed case with its signature")

  // A case waiting in the queue goes to the técnico, who solves it remotely, without a visit.
  const queue = await coordinator.call("GET", "/api/tickets?open=true")
  const waiting = queue.body.tickets.find(t => t.state === "registrada" || t.state === "pendiente")
  assert.ok(waiting, queue.text)
  const tecnico1 = await apiAs(campo.base, "tecnico1")
  const assigned = await coordinator.call("POST", `/api/tickets/${waiting.id}/actions`, { action: "asignada", assignee_id: tecnico1.user.id })
  assert.equal(assigned.status, 200, assigned.text)
  const other = waiting.id
  await page.goto(`/casos/${other}`)
  await page.getByText(waiting.number).first().waitFor()
  await page.getByRole("button", { name: "Resolver sin visita (remoto o por teléfono)" }).click()
  await page.getByRole("button", { name: "Registrar solución" }).click()
  await page.getByText("Escriba qué se hizo para resolverlo.").waitFor()
  await page.waitForFunction(() => document.activeElement?.getAttribute("name") === "reason")
  await assertAccessible(page, "the remote resolution form")
  await page.getByLabel("Qué se hizo").fill("Se reinstaló el controlador por escritorio remoto; la funcionaria confirmó.")
  await page.getByRole("button", { name: "Registrar solución" }).click()
  await page.getByLabel("Qué problema había y qué se hizo").waitFor()
  await page.locator('[data-sync="saved"]').waitFor({ timeout: 60_000 })
  const remote = await coordinator.call("GET", `/api/tickets/${other}`)
  assert.equal(remote.body.state, "resuelta", remote.text)
  assert.equal(remote.body.resolution, "phone", remote.text)
})

test("the coordinator resolves a case whose equipment stays with the contractor only saying why", async () => {
  const campo = await Campo.create()
  cleanup.push(() => campo.dispose())
  const browser = await launch()
  cleanup.push(() => browser.close())
  const coordinator = await apiAs(campo.base, "coordinador")
  const open = await coordinator.call("GET", "/api/tickets?open=true")
  const away = open.body.tickets.find(t => t.state === "con_contratista")
  assert.ok(away, open.text)
  const before = await coordinator.call("GET", `/api/tickets/${away.id}`)
  const code = before.body.equipment?.[0] ?? "GN-000345"

  const page = await (await desk(browser, campo.base)).newPage()
  await logIn(page, "coordinador", "Tablero de despacho")
  await page.goto(`/casos/${away.id}`)
  await page.getByText(away.number).first().waitFor()
  // A plain resolution is not offered while the contractor holds the equipment.
  assert.equal(await page.getByText("Resolver por teléfono", { exact: true }).count(), 0)
  await page.getByText("Resolver sin esperar el equipo").click()
  await page.getByRole("button", { name: "Resolver con el equipo fuera" }).click()
  await page.getByText("Escriba cómo se resolvió.").waitFor()
  await page.getByText("Escriba por qué se resuelve sin la devolución del equipo.").waitFor()
  await page.waitForFunction(() => document.activeElement?.getAttribute("name") === "out-note")
  await assertAccessible(page, "the resolution with the equipment out")
  await page.getByLabel("Cómo se resolvió").fill("Se le entregó un escáner de reemplazo.")
  await page.getByLabel("Por qué se resuelve sin la devolución").fill("El contratista conserva el escáner en garantía.")
  await page.getByRole("button", { name: "Resolver con el equipo fuera" }).click()
  await page.locator(".badge.state-resuelta").first().waitFor()

  const after = await coordinator.call("GET", `/api/tickets/${away.id}`)
  assert.equal(after.body.state, "resuelta", after.text)
  const item = await coordinator.call("GET", `/api/equipment/${code}`)
  assert.equal(item.body.status, "con_contratista", item.text)
})
