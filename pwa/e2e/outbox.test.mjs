// The outbox and the photos a technician cannot lose without knowing, in Debian's Chromium on a
// phone-sized screen against the real server: a PDF picked as a photo never enters the queue; a
// photo the server refuses shows the server's reason in «Bandeja de salida» and, discarded, lets
// the bar reach «Guardado en el servidor»; a photo taken out of an open visit leaves it on the
// server too; a change the server refuses (an automerge-repo `error` message naming the document)
// is shown as refused across an offline restart, and discarding it takes the server's copy again.
// CAMPO_E2E_SHOTS=/dir keeps a screenshot of each screen.

import assert from "node:assert/strict"
import { join } from "node:path"
import { after, test } from "node:test"
import * as Automerge from "@automerge/automerge"
import { cbor } from "@automerge/automerge-repo"
import { Campo, apiAs, launch, logIn, peerAs, phone, pwaDir, until } from "./support.mjs"

const cleanup = []
after(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {})
})

const PHOTO = join(pwaDir, "public", "icon-512.png")

async function shot(page, name) {
  if (process.env.CAMPO_E2E_SHOTS) await page.screenshot({ path: join(process.env.CAMPO_E2E_SHOTS, `${name}.png`), fullPage: true })
}
/** A PDF, as a phone's file picker hands it over when the person chooses a document. */
const PDF = { name: "acta-de-entrega.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n") }
/**
 * A PNG's signature and nothing a decoder can use: the phone cannot convert it, its format is one
 * the server takes, so it is queued and sent; the server refuses it as broken (422).
 */
const BROKEN = {
  name: "foto-cortada.png",
  mimeType: "image/png",
  buffer: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from("la transferencia se cortó aquí")]),
}

/** How many photos wait in the phone's queue (IndexedDB `campo-photos`). */
function queuedPhotos(page) {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open("campo-photos")
        open.onerror = () => reject(open.error)
        open.onsuccess = () => {
          const db = open.result
          if (![...db.objectStoreNames].includes("photos")) {
            db.close()
            return resolve(0)
          }
          const count = db.transaction("photos").objectStore("photos").count()
          count.onsuccess = () => {
            db.close()
            resolve(count.result)
          }
        }
      }),
  )
}

/** A phone logged in as tecnico1, on the demo's printer ticket, with everything on the server. */
async function technicianOnPrinter(campo) {
  const browser = await launch()
  cleanup.push(() => browser.close())
  const page = await (await phone(browser, campo.base)).newPage()
  await logIn(page, "tecnico1")
  const row = page.locator(".ticket-row", { hasText: "impresora" })
  await row.waitFor()
  const url = await row.getAttribute("data-url")
  await page.locator('[data-sync="saved"]').waitFor({ timeout: 60_000 })
  await row.click()
  await page.getByRole("button", { name: "Iniciar visita" }).waitFor()
  return { page, url }
}

async function startIntervention(page) {
  await page.getByRole("button", { name: "Iniciar visita" }).click()
  await page.getByText("¿El funcionario está en su puesto?").waitFor()
  await page.getByRole("button", { name: "Sí", exact: true }).click()
  await page.getByRole("heading", { name: "Intervención" }).waitFor()
}

test("a PDF picked as a photo is refused on the phone with the reason, and nothing is queued", async () => {
  const campo = await Campo.create()
  cleanup.push(() => campo.dispose())
  const { page } = await technicianOnPrinter(campo)
  await page.getByRole("button", { name: "Iniciar visita" }).click()
  await page.getByRole("button", { name: "No", exact: true }).click()
  await page.getByRole("heading", { name: "Usuario ausente" }).waitFor()

  await page.locator('input[name="photo"]').setInputFiles(PDF)
  const alert = page.getByRole("alert").filter({ hasText: "no es una foto" })
  await alert.waitFor()
  assert.equal(
    (await alert.textContent()).trim(),
    "«acta-de-entrega.pdf» no es una foto (JPEG, PNG, WebP, HEIC o GIF). Tome la foto de nuevo o elija otra imagen.",
  )
  await shot(page, "outbox-pdf-refused")
  assert.equal(await page.locator(".photos .photo-item").count(), 0, "no thumbnail in the form")
  assert.equal(await queuedPhotos(page), 0, "nothing waits in the photo queue")
  assert.equal(await page.locator('[data-sync="saved"]').count(), 1, "the bar still says everything is saved")

  // A real photo right after is taken as usual, and the message goes away.
  await page.locator('input[name="photo"]').setInputFiles(PHOTO)
  await page.locator(".photos .photo-item img.thumb").waitFor()
  assert.equal(await alert.count(), 0)
  assert.equal(await queuedPhotos(page), 1)

  // The outbox lists only the real photo.
  await page.getByRole("link", { name: "Ver pendientes" }).click()
  await page.getByRole("heading", { name: "Bandeja de salida" }).waitFor()
  await page.locator('.outbox-item[data-sha256][data-state="saved"]').waitFor()
  assert.equal(await page.locator(".outbox-item[data-sha256]").count(), 1)
})

test("a photo the server refuses shows its reason in the outbox; discarded, the bar reaches «Guardado en el servidor»", async () => {
  const campo = await Campo.create()
  cleanup.push(() => campo.dispose())
  const { page, url } = await technicianOnPrinter(campo)
  await startIntervention(page)

  await page.locator('input[name="photo"]').setInputFiles(BROKEN)
  await page.locator(".photos .photo-item").waitFor()
  const sha = await page.locator(".photos .photo-item").getAttribute("data-sha256")
  assert.equal(await queuedPhotos(page), 1, "the broken photo waits in the queue")

  // The server refuses it; the bar says so, and never «Guardado en el servidor».
  await page.locator('[data-sync="refused"]').waitFor({ timeout: 60_000 })
  assert.match(await page.locator(".status-detail").textContent(), /1 foto rechazada/)
  await page.getByRole("link", { name: "Ver pendientes" }).click()
  await page.getByRole("heading", { name: "Bandeja de salida" }).waitFor()
  const item = page.locator(`.outbox-item[data-sha256="${sha}"]`)
  await item.waitFor()
  assert.equal(await item.getAttribute("data-state"), "refused")
  assert.equal(
    (await item.locator(".item-state").textContent()).trim(),
    "Rechazado: La imagen está incompleta o dañada (quizá se cortó la transferencia). Vuelva a enviarla.",
  )
  assert.match(await item.locator("strong").textContent(), /^Foto de SAT-\d{4}-\d{6}$/)
  await shot(page, "outbox-photo-refused")

  // Retrying sends it again; the server refuses it again, and it is still listed with the reason.
  let puts = 0
  page.on("request", r => {
    if (r.method() === "PUT" && r.url().endsWith(`/api/blobs/${sha}`)) puts++
  })
  await item.getByRole("button", { name: "Reintentar" }).click()
  await until("the retry's upload", () => puts === 1)
  await item.locator('.item-state[data-state="refused"]').waitFor()
  await page.locator('[data-sync="refused"]').waitFor()
  await new Promise(r => setTimeout(r, 3000))
  assert.equal(puts, 1, "a refused photo is not sent again by itself")

  // Discarding asks first; cancelling keeps it.
  await item.getByRole("button", { name: "Descartar" }).click()
  const dialog = item.getByRole("alertdialog")
  assert.match(await dialog.textContent(), /el servidor nunca la tendrá/)
  await shot(page, "outbox-discard-photo")
  await dialog.getByRole("button", { name: "Cancelar" }).click()
  assert.equal(await queuedPhotos(page), 1)
  await item.getByRole("button", { name: "Descartar" }).click()
  await item.getByRole("button", { name: "Sí, descartar" }).click()
  await item.waitFor({ state: "detached" })
  assert.equal(await queuedPhotos(page), 0)
  await page.locator('[data-sync="saved"]').waitFor({ timeout: 60_000 })
  await page.getByText("Nada pendiente: todo su trabajo está guardado en el servidor.").waitFor()
  await shot(page, "outbox-empty")

  // The open visit let the photo go, on the server too.
  const coordinator = await apiAs(campo.base, "coordinador")
  const peer = await peerAs(campo.base, coordinator)
  cleanup.push(() => peer.close())
  const doc = await peer.docWhen(url, "the open visit without the refused photo", d => {
    const open = d.visits.find(v => v.ended_at == null)
    return open && open.evidence.length === 0
  })
  assert.equal(doc.visits.filter(v => v.ended_at == null).length, 1)
})

test("a photo taken out of an open visit leaves it on the server, and the visit closes without it", async () => {
  const campo = await Campo.create()
  cleanup.push(() => campo.dispose())
  const { page, url } = await technicianOnPrinter(campo)
  const coordinator = await apiAs(campo.base, "coordinador")
  const peer = await peerAs(campo.base, coordinator)
  cleanup.push(() => peer.close())
  await startIntervention(page)

  // The photo goes into the open visit at once, and reaches the server with its bytes.
  await page.locator('input[name="photo"]').setInputFiles(PHOTO)
  await page.locator(".photos .photo-item img.thumb").waitFor()
  const sha = await page.locator(".photos .photo-item").getAttribute("data-sha256")
  await page.locator('[data-sync="saved"]').waitFor({ timeout: 60_000 })
  await peer.docWhen(url, "the photo in the open visit on the server", d =>
    d.visits.some(v => v.ended_at == null && v.evidence.some(p => p.sha256 === sha)),
  )
  assert.equal((await coordinator.call("HEAD", `/api/blobs/${sha}`)).status, 200)

  // Leaving the visit and coming back keeps it: it is in the document, not only in the form.
  await page.getByRole("button", { name: "Volver" }).click()
  await page.getByRole("button", { name: "Continuar la visita abierta" }).click()
  await page.locator(`.photos .photo-item[data-sha256="${sha}"]`).waitFor()
  await shot(page, "visit-open-photo")

  // Taken out before the visit ends.
  await page.getByRole("button", { name: "Quitar la foto 1" }).click()
  await page.locator(".photos .photo-item").waitFor({ state: "detached" })
  await page.locator('[data-sync="saved"]').waitFor({ timeout: 60_000 })
  await peer.docWhen(url, "the open visit without the photo on the server", d =>
    d.visits.some(v => v.ended_at == null && v.evidence.length === 0),
  )

  await page.getByLabel("Diagnóstico (falla confirmada)").fill("Rodillo de arrastre gastado.")
  await page.getByLabel("Acciones realizadas").fill("Se limpió y ajustó el rodillo.")
  await page.getByLabel("Pruebas realizadas y resultado mostrado al usuario").fill("Diez páginas impresas sin atascos.")
  await page.getByLabel("Pendiente", { exact: true }).check()
  await page.getByRole("button", { name: "Finalizar visita" }).click()
  await page.locator('[data-sync="saved"]').waitFor({ timeout: 60_000 })
  const doc = await peer.docWhen(url, "the closed visit on the server", d => d.visits.some(v => v.diagnosis === "Rodillo de arrastre gastado."))
  const visit = doc.visits.find(v => v.diagnosis === "Rodillo de arrastre gastado.")
  assert.ok(visit.ended_at > 0)
  assert.deepEqual(visit.evidence, [])
})

test("a change the server refuses is shown with its reason, survives an offline restart, and is discarded for the server's copy", async () => {
  const campo = await Campo.create()
  cleanup.push(() => campo.dispose())
  const browser = await launch()
  cleanup.push(() => browser.close())
  const page = await (await phone(browser, campo.base)).newPage()
  const REASON = "El caso ya no está asignado a usted: su comentario no se guardó."

  // Between the phone and the server: while `refuse` names a document, the phone's changes to it
  // do not reach the server, which answers as Campo's server answers a refused change.
  let refuse = null
  let peers = { phone: "", server: "" }
  const refused = []
  let route = null
  await page.routeWebSocket(/\/sync$/, ws => {
    route = ws
    const server = ws.connectToServer()
    ws.onMessage(frame => {
      const message = cbor.decode(new Uint8Array(frame))
      if (message.type === "join") peers.phone = message.senderId
      const changes = message.type === "sync" && Automerge.decodeSyncMessage(message.data).changes.length > 0
      if (changes && message.documentId === refuse) {
        refused.push(message.documentId)
        ws.send(Buffer.from(cbor.encode({ type: "error", senderId: peers.server, targetId: peers.phone, message: REASON, documentId: refuse })))
        return
      }
      server.send(frame)
    })
    server.onMessage(frame => {
      const message = cbor.decode(new Uint8Array(frame))
      if (message.type === "peer") peers.server = message.senderId
      ws.send(frame)
    })
  })

  await logIn(page, "tecnico1")
  const row = page.locator(".ticket-row", { hasText: "impresora" })
  await row.waitFor()
  const url = await row.getAttribute("data-url")
  const number = (await row.locator(".number").textContent()).trim()
  await page.locator('[data-sync="saved"]').waitFor({ timeout: 60_000 })
  await row.click()
  await page.getByRole("button", { name: "Iniciar visita" }).waitFor()

  refuse = url.replace("automerge:", "")
  await page.getByPlaceholder("Escriba un comentario").fill("Comentario que el servidor no acepta.")
  await page.getByRole("button", { name: "Agregar comentario" }).click()
  await page.getByText("Comentario que el servidor no acepta.").waitFor()

  // The bar says it, and never «Guardado en el servidor».
  await page.locator('[data-sync="refused"]').waitFor({ timeout: 30_000 })
  assert.ok(refused.length > 0)
  await page.locator(".status-detail", { hasText: "1 cambio por enviar · 1 caso rechazado" }).waitFor()
  // The ticket itself says so.
  const banner = page.locator(".refused-banner")
  await banner.waitFor()
  assert.equal(
    (await banner.locator("p").textContent()).trim(),
    `El servidor rechazó cambios de este caso hechos en este teléfono: ${REASON} Revíselos en la bandeja de salida.`,
  )
  await page.getByRole("link", { name: "Ver pendientes" }).click()
  const item = page.locator(`.outbox-item[data-url="${url}"]`)
  await item.waitFor()
  assert.equal(await item.getAttribute("data-state"), "refused")
  assert.equal((await item.locator("strong").textContent()).trim(), number)
  assert.equal((await item.locator(".item-state").textContent()).trim(), `Rechazado: ${REASON}`)
  assert.match(await item.textContent(), /1 cambio sin confirmar/)
  await shot(page, "outbox-ticket-refused")

  // The phone restarts without a server: the refusal is still there.
  await campo.stop()
  await page.reload()
  await page.locator('[data-sync="offline"]').waitFor()
  assert.match(await page.locator(".status-detail").textContent(), /1 caso rechazado/)
  await item.waitFor()
  assert.equal((await item.locator(".item-state").textContent()).trim(), `Rechazado: ${REASON}`)
  // Taking the server's copy needs the server.
  assert.equal(await item.getByRole("button", { name: "Descartar mis cambios de este caso" }).isDisabled(), true)
  await campo.start()
  await page.locator('[data-sync="refused"]').waitFor({ timeout: 60_000 })

  // An error about the connection rather than a document is a note of its own.
  assert.equal(await page.getByRole("heading", { name: "Avisos de la conexión" }).count(), 0)
  const NOTE = "El mensaje de sincronización no se pudo leer; el teléfono lo enviará de nuevo."
  route.send(Buffer.from(cbor.encode({ type: "error", senderId: peers.server, targetId: peers.phone, message: NOTE })))
  const note = page.locator(".outbox-note", { hasText: NOTE })
  await note.waitFor()
  await note.getByRole("button", { name: "Entendido" }).click()
  await note.waitFor({ state: "detached" })
  assert.equal(await item.getAttribute("data-state"), "refused", "the note is not about the ticket")

  // Discarding asks first and says what is lost; then the phone takes the server's copy.
  await item.getByRole("button", { name: "Descartar mis cambios de este caso" }).click()
  assert.match(await item.getByRole("alertdialog").textContent(), /se perderá/)
  await shot(page, "outbox-ticket-discard")
  await item.getByRole("button", { name: "Sí, descartar" }).click()
  await page.locator('[data-sync="saved"]').waitFor({ timeout: 60_000 })
  await page.getByText("Nada pendiente: todo su trabajo está guardado en el servidor.").waitFor()
  await page.goto(`/casos/${refuse}`)
  await page.getByRole("heading", { name: number }).waitFor()
  await page.getByRole("heading", { name: "Comentarios" }).waitFor()
  assert.equal(await page.getByText("Comentario que el servidor no acepta.").count(), 0, "the refused comment is gone")
  assert.equal(await page.locator(".refused-banner").count(), 0)

  // The ticket works as before: a new comment reaches the server.
  refuse = null
  await page.getByPlaceholder("Escriba un comentario").fill("Repuesto pedido al almacén.")
  await page.getByRole("button", { name: "Agregar comentario" }).click()
  await page.locator('[data-sync="saved"]').waitFor({ timeout: 60_000 })
  const coordinator = await apiAs(campo.base, "coordinador")
  const peer = await peerAs(campo.base, coordinator)
  cleanup.push(() => peer.close())
  const doc = await peer.docWhen(url, "the new comment on the server", d => d.comments.some(c => c.text === "Repuesto pedido al almacén."))
  assert.ok(!doc.comments.some(c => c.text === "Comentario que el servidor no acepta."))
})

test("texts over campo-shared's limits are refused before saving, with the field and the limit", async () => {
  const campo = await Campo.create()
  cleanup.push(() => campo.dispose())
  const { page } = await technicianOnPrinter(campo)
  const comments = await page.locator(".card.comment").count()

  // 4001 characters, one of them outside the Basic Multilingual Plane (two UTF-16 units, one character).
  await page.getByPlaceholder("Escriba un comentario").fill(`📷${"x".repeat(4000)}`)
  await page.getByText("4001 de 4000 caracteres").waitFor()
  await page.getByRole("button", { name: "Agregar comentario" }).click()
  await page.getByRole("alert").filter({ hasText: "El comentario admite máximo 4000 caracteres; tiene 4001." }).waitFor()
  assert.equal(await page.locator(".card.comment").count(), comments, "nothing was saved")
  assert.equal(await page.locator('[data-sync="saved"]').count(), 1)

  await startIntervention(page)
  await page.getByLabel("Diagnóstico (falla confirmada)").fill("d".repeat(4001))
  await page.getByLabel("Acciones realizadas").fill("Se limpió el rodillo.")
  await page.getByLabel("Pruebas realizadas y resultado mostrado al usuario").fill("Diez páginas sin atascos.")
  await page.getByLabel("Resuelto", { exact: true }).check()
  // The official has gone: recorded as such, never as a blank signature.
  await page.getByLabel("El funcionario no está en el puesto para firmar").check()
  await page.getByRole("button", { name: "Finalizar visita" }).click()
  await page.getByText("El diagnóstico admite máximo 4000 caracteres; tiene 4001.").waitFor()
  await page.getByRole("heading", { name: "Intervención" }).waitFor()
  await page.getByLabel("Diagnóstico (falla confirmada)").fill("d".repeat(4000))
  await page.getByRole("button", { name: "Finalizar visita" }).click()
  await page.getByRole("heading", { name: "Informe de cierre" }).waitFor()
  await page.locator('[data-sync="saved"]').waitFor({ timeout: 60_000 })
})
