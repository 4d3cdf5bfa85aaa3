// What a coordinator and an official notice at the edges of their screens, in Debian's Chromium:
// no «Sin conexión» right after login; request categories edited in Ajustes reach the request
// forms; a form's refused submit lands the keyboard on the first error; a closed case shows its
// number, its dependencia's name and people's names in its history; a photo opens full size from
// the keyboard; equipment states in Spanish; the report's tables scroll from the keyboard and
// have column headers. axe-core checks every screen visited.

import assert from "node:assert/strict"
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { after, test } from "node:test"
import { Campo, PASSWORD, apiAs, assertAccessible, desk, launch, logIn, phone, pwaDir, until } from "./support.mjs"

const cleanup = []
after(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {})
})

/** The name and value of the element that has the keyboard focus. */
const focused = page => page.evaluate(() => ({ name: document.activeElement?.getAttribute("name"), tag: document.activeElement?.tagName }))

/** Uploads a photo as `username` (as the phone does: PUT /api/blobs/{sha256}); returns its hash. */
async function uploadPhoto(base, username, bytes) {
  const login = await fetch(`${base}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: PASSWORD }),
  })
  const cookie = login.headers.getSetCookie().map(c => c.split(";")[0]).join("; ")
  const sha = createHash("sha256").update(bytes).digest("hex")
  const put = await fetch(`${base}/api/blobs/${sha}`, { method: "PUT", headers: { cookie, "content-type": "image/png" }, body: bytes })
  assert.ok(put.ok, `upload: ${put.status} ${await put.text()}`)
  return sha
}

test("the rough edges a coordinator and an official would notice", async () => {
  const campo = await Campo.create()
  cleanup.push(() => campo.dispose())
  const browser = await launch()
  cleanup.push(() => browser.close())
  const coordinator = await apiAs(campo.base, "coordinador")
  const official = await apiAs(campo.base, "mlopez")

  // A request with a photo, as the official's phone sends it.
  const sha = await uploadPhoto(campo.base, "mlopez", readFileSync(join(pwaDir, "public", "icon-512.png")))
  const filed = await official.call("POST", "/api/tickets", {
    description: "La impresora deja manchas en cada hoja.",
    category: "Impresoras",
    location: "Piso 4, oficina 402",
    photos: [sha],
  })
  assert.equal(filed.status, 201, filed.text)

  // Right after login the socket is still opening: the bar never says «Sin conexión».
  const page = await (await desk(browser, campo.base)).newPage()
  await page.goto("/")
  await page.getByLabel("Usuario").fill("coordinador")
  await page.getByLabel("Contraseña").fill(PASSWORD)
  await page.getByRole("button", { name: "Ingresar" }).click()
  const seen = new Set()
  const start = Date.now()
  while (Date.now() - start < 2500) {
    const state = await page.locator("[data-sync]").getAttribute("data-sync", { timeout: 100 }).catch(() => null)
    if (state) seen.add(state)
    await page.waitForTimeout(50)
  }
  assert.ok(!seen.has("offline"), `the bar said: ${[...seen].join(", ")}`)
  await page.getByRole("heading", { name: "Tablero de despacho" }).waitFor()

  // Ajustes: an empty list of categories is refused and the focus lands on it; a new list is saved.
  await page.goto("/ajustes")
  await page.getByRole("heading", { name: "Categorías de las solicitudes" }).waitFor()
  const categories = page.getByLabel("Categorías que ofrecen los formularios de solicitud")
  await until("the categories from the server", async () => (await categories.inputValue()).includes("Impresoras"))
  await assertAccessible(page, "Ajustes")
  await categories.fill("  \n")
  await page.getByRole("button", { name: "Guardar categorías" }).click()
  await page.getByText("Escriba al menos una categoría.").waitFor()
  await until("the focus on the categories", async () => (await focused(page)).name === "categories")
  await categories.fill("Escáner\nImpresoras\nRed inalámbrica")
  await page.getByRole("button", { name: "Guardar categorías" }).click()
  await page.getByText("Categorías guardadas").waitFor()
  assert.deepEqual((await coordinator.call("GET", "/api/settings/categories")).body.categories, ["Escáner", "Impresoras", "Red inalámbrica"])
  const heads = await page.locator("table thead th").evaluateAll(ths => ths.map(th => th.getAttribute("scope")))
  assert.ok(heads.length > 0 && heads.every(s => s === "col"), `header cells: ${heads}`)

  // Reception offers them, and a refused submit lands on the first field to fix.
  await page.goto("/recepcion")
  const intakeCategory = page.locator('select[name="category"]')
  await until("the new categories in reception", async () =>
    (await intakeCategory.locator("option").allTextContents()).includes("Red inalámbrica"),
  )
  assert.deepEqual((await intakeCategory.locator("option").allTextContents()).slice(1), ["Escáner", "Impresoras", "Red inalámbrica"])
  await page.getByRole("button", { name: "Registrar solicitud" }).click()
  await until("the focus on the first error of reception", () =>
    page.evaluate(() => document.activeElement?.closest(".invalid") !== null && document.activeElement?.tagName !== "BODY"),
  )
  const firstInvalid = await page.locator("form .invalid").first().locator("input, select, textarea").first().getAttribute("name")
  assert.equal((await focused(page)).name, firstInvalid)
  await assertAccessible(page, "Recepción with errors")

  // A closed case (it left every agenda): its number, its dependencia's name, names in its history.
  const closed = (await coordinator.call("GET", "/api/tickets?state=cerrada")).body.tickets[0]
  const depName = (await coordinator.call("GET", "/api/dependencias")).body
  const dependencia = (Array.isArray(depName) ? depName : depName.dependencias).find(d => d.code === closed.dependencia).name
  await page.goto(`/casos/${closed.id}`)
  await page.getByRole("heading", { name: closed.number }).waitFor()
  await page.getByText(`${dependencia} · `).waitFor()
  assert.equal(await page.getByText("Sin número aún").count(), 0)
  const history = page.locator("ol.history li")
  await until("names in the history", async () => {
    const lines = await history.allTextContents()
    return lines.length > 0 && lines.every(l => !l.includes("Alguien"))
  })
  const lines = await history.allTextContents()
  assert.ok(lines.some(l => l.includes(closed.assignee_name)), lines.join("\n"))
  for (const line of lines) assert.doesNotMatch(line, /[0-9a-f]{8}(-[0-9a-f]{4})?/, "no user id in the history")
  await assertAccessible(page, "a closed case")

  // The photo of the new request opens full size from the keyboard, and Escape closes it.
  await page.goto(`/casos/${filed.body.id}`)
  const thumb = page.getByRole("button", { name: "Ver la foto en tamaño completo" })
  await thumb.focus()
  await page.keyboard.press("Enter")
  const dialog = page.getByRole("dialog", { name: "Foto en tamaño completo" })
  await dialog.waitFor()
  const full = dialog.locator("img")
  assert.match(await full.getAttribute("src"), new RegExp(`/api/blobs/${sha}$`))
  await until("the full photo", () => full.evaluate(img => img.complete && img.naturalWidth > 0))
  await assertAccessible(page, "a photo full size")
  await page.keyboard.press("Escape")
  await dialog.waitFor({ state: "hidden" })

  // Equipment in Spanish.
  const item = (await coordinator.call("GET", "/api/equipment/catalog")).body.items.find(i => i.status === "en_servicio")
  await page.goto(`/equipos/${item.code}`)
  await page.getByText("En servicio", { exact: true }).waitFor()
  assert.equal(await page.getByText("en_servicio").count(), 0)

  // The monthly report: every table scrolls from the keyboard, named, with column headers.
  const month = new Date(Date.now() - 5 * 3600_000).toISOString().slice(0, 7)
  await page.goto(`/informe?month=${month}`)
  await page.getByRole("heading", { name: "Detalle" }).waitFor()
  await page.getByText("Escala: 1 = Muy malo, 2 = Malo, 3 = Regular, 4 = Bueno, 5 = Muy bueno.").waitFor()
  const regions = await page.locator(".table-wrap").evaluateAll(els =>
    els.map(el => ({ tabindex: el.getAttribute("tabindex"), role: el.getAttribute("role"), label: el.getAttribute("aria-label") })),
  )
  assert.ok(regions.length > 3)
  for (const r of regions) assert.deepEqual([r.tabindex, r.role, Boolean(r.label)], ["0", "region", true], JSON.stringify(r))
  const detail = page.getByRole("region", { name: "Detalle" })
  await detail.focus()
  await page.setViewportSize({ width: 600, height: 800 })
  await page.keyboard.press("ArrowRight")
  await page.keyboard.press("ArrowRight")
  await until("the detail scrolled by the keyboard", () => detail.evaluate(el => el.scrollLeft > 0))
  await page.setViewportSize({ width: 1280, height: 800 })
  await assertAccessible(page, "the monthly report")

  // The official's request form on a phone offers the coordinator's categories, kept for offline.
  const officialPage = await (await phone(browser, campo.base)).newPage()
  await logIn(officialPage, "mlopez", "Mis solicitudes")
  await officialPage.goto("/solicitar")
  const category = officialPage.locator('select[name="category"]')
  await until("the categories on the phone", async () =>
    (await category.locator("option").allTextContents()).includes("Red inalámbrica"),
  )
  assert.deepEqual((await category.locator("option").allTextContents()).slice(1), ["Escáner", "Impresoras", "Red inalámbrica"])
  assert.deepEqual(await officialPage.evaluate(() => JSON.parse(localStorage.getItem("campo.categories"))), [
    "Escáner",
    "Impresoras",
    "Red inalámbrica",
  ])
  await officialPage.getByRole("button", { name: "Enviar solicitud" }).click()
  await until("the focus on the description", async () => (await focused(officialPage)).name === "description")
  await assertAccessible(officialPage, "the request form with errors")

  // A técnico's phone: names in the history of a case, and the absent-visit form, whose refused
  // submit lands on the first thing to fix.
  const techPage = await (await phone(browser, campo.base)).newPage()
  await logIn(techPage, "tecnico1")
  await techPage.locator(".ticket-row", { hasText: "impresora" }).click()
  const techHistory = techPage.locator("ol.history li")
  await until("names in the técnico's history", async () => {
    const lines = await techHistory.allTextContents()
    return lines.length > 0 && lines.every(l => !l.includes("Alguien") && !/[0-9a-f]{8}/.test(l))
  })
  await assertAccessible(techPage, "a case on the técnico's phone")
  await techPage.getByRole("button", { name: "Iniciar visita" }).click()
  await techPage.getByRole("button", { name: "No", exact: true }).click()
  await techPage.getByRole("button", { name: "Registrar usuario ausente" }).click()
  await until("the focus on the first error of the visit", () =>
    techPage.evaluate(() => {
      const el = document.activeElement
      return el !== null && el !== document.body && (el.closest(".invalid") !== null || el.matches(".error"))
    }),
  )
  await assertAccessible(techPage, "the absent visit with errors")
})
