// The coordinator's monthly report in Debian's Chromium on a phone-sized screen, against the real
// server with the demo data: the figures the page shows are the API's, the charts show, and the
// PDF, XLSX and CSV downloads are the same report.

import assert from "node:assert/strict"
import { readFile } from "node:fs/promises"
import { after, test } from "node:test"
import { Campo, PASSWORD, apiAs, launch, phone } from "./support.mjs"

const cleanup = []
after(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {})
})

const BOGOTA_OFFSET_MS = -5 * 3600_000

/** "AAAA-MM" of an instant, in Bogotá. */
const bogotaMonth = ms => new Date(ms + BOGOTA_OFFSET_MS).toISOString().slice(0, 7)

/** The month before the current one, in Bogotá (what the page shows first). */
function lastMonth() {
  const now = new Date(Date.now() + BOGOTA_OFFSET_MS)
  const first = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)
  return new Date(first - 1).toISOString().slice(0, 7)
}

/** A number as the page writes it in es-CO ("1.234", "75,0 %", "−25,0", "—" for none). */
function parseNumber(text) {
  const clean = text.replace(/\s|%/g, "").replace("\u2212", "-")
  if (clean === "—" || clean === "") return null
  return Number(clean.replace(/\./g, "").replace(",", "."))
}

/** Rows of a `;`-separated CSV with quoted fields (which may hold `;`, quotes and line breaks). */
function parseCsv(text) {
  const rows = []
  let row = []
  let field = ""
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ";") {
      row.push(field)
      field = ""
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++
      row.push(field)
      rows.push(row)
      row = []
      field = ""
    } else field += c
  }
  if (field !== "" || row.length > 0) rows.push([...row, field])
  return rows
}

/** The cells (text) of the row headed `label` in the table `table`. */
async function rowCells(table, label) {
  const row = table.locator("tbody tr").filter({ has: table.page().locator("th", { hasText: new RegExp(`^${label.replace(/[()]/g, "\\$&")}$`) }) })
  assert.equal(await row.count(), 1, `one row «${label}»`)
  return row.locator("td").allInnerTexts()
}

test("the coordinator reads the month of the demo tickets, with charts, and downloads it as PDF, XLSX and CSV", async () => {
  const campo = await Campo.create()
  cleanup.push(() => campo.dispose())
  const api = await apiAs(campo.base, "coordinador")

  // The month most demo tickets were registered in (their stories span the last few days).
  const list = await api.call("GET", "/api/tickets?limit=500")
  assert.equal(list.status, 200, list.text)
  const perMonth = new Map()
  for (const ticket of list.body.tickets) {
    const month = bogotaMonth(ticket.created_at)
    perMonth.set(month, (perMonth.get(month) ?? 0) + 1)
  }
  const [month] = [...perMonth.entries()].sort((a, b) => b[1] - a[1])[0]
  const expected = await api.call("GET", `/api/reports/monthly?month=${month}`)
  assert.equal(expected.status, 200, expected.text)
  const general = expected.body.general
  assert.ok(general.headline.received >= 1, "the demo month has tickets")

  const browser = await launch()
  cleanup.push(() => browser.close())
  const context = await phone(browser, campo.base)
  const page = await context.newPage()
  await page.goto("/")
  await page.getByLabel("Usuario").fill("coordinador")
  await page.getByLabel("Contraseña").fill(PASSWORD)
  await page.getByRole("button", { name: "Ingresar" }).click()
  await page.getByRole("heading", { name: "Tablero de despacho" }).waitFor()

  // "Informe mensual" opens on last month.
  await page.getByRole("link", { name: "Informe mensual" }).click()
  await page.getByRole("heading", { name: "Informe mensual", level: 1 }).waitFor()
  const monthInput = page.getByLabel(/^Mes/)
  assert.equal(await monthInput.inputValue(), lastMonth())

  // A range backwards is explained, and what was typed stays.
  await page.getByLabel("Rango de fechas").check()
  await page.getByLabel("Desde").fill(`${month}-20`)
  await page.getByLabel("Hasta").fill(`${month}-01`)
  await page.getByRole("button", { name: "Ver informe" }).click()
  await page.getByRole("alert").filter({ hasText: "La fecha inicial es posterior a la final" }).waitFor()
  assert.equal(await page.getByLabel("Desde").inputValue(), `${month}-20`)

  // The month of the demo tickets.
  await page.getByLabel("Un mes").check()
  await monthInput.fill(month)
  await page.getByRole("button", { name: "Ver informe" }).click()
  await page.getByRole("heading", { name: general.period.label, level: 2 }).waitFor()
  assert.ok(page.url().endsWith(`/informe?month=${month}`), page.url())

  // The general figures, this month and the previous one, are the API's.
  const headline = page.locator("table.report-headline")
  const figures = [
    ["Solicitudes recibidas", "received"],
    ["Resueltas", "resolved"],
    ["Cerradas", "closed"],
    ["Anuladas", "cancelled"],
    ["Abiertas al cierre", "open_at_end"],
    ["Traídas de periodos anteriores", "carried_over"],
    ["Visitas", "visits"],
    ["Visitas con usuario ausente", "absent_visits"],
    ["Respuestas a tiempo (%)", "response_on_time"],
    ["Soluciones a tiempo (%)", "resolution_on_time"],
    ["Satisfacción promedio (1 a 5)", "satisfaction"],
  ]
  for (const [label, key] of figures) {
    const [now, before] = await rowCells(headline, label)
    assert.equal(parseNumber(now), general.headline[key], label)
    assert.equal(parseNumber(before), general.previous[key], `${label} (previous)`)
  }
  const received = parseNumber((await rowCells(headline, "Solicitudes recibidas"))[0])

  // A breakdown, the SLA, the field work and the satisfaction.
  const byDependencia = page.locator("section", { has: page.getByRole("heading", { name: "Por dependencia", exact: true }) })
  for (const row of general.by_dependencia) {
    const cells = (await rowCells(byDependencia, row.label)).map(parseNumber)
    assert.deepEqual(cells, [row.received, row.resolved, row.open_at_end], row.label)
  }
  const sla = page.locator("table.report-sla")
  for (const [label, kind] of [
    ["Atención", "response"],
    ["Solución", "resolution"],
  ]) {
    const cells = (await rowCells(sla, label)).map(parseNumber)
    const c = general.sla[kind]
    const times = general.times[kind]
    assert.deepEqual(
      cells,
      [c.on_time, c.late, c.rate, c.overdue_open, c.running, times.average_hours, times.median_hours, times.p90_hours],
      label,
    )
  }
  const field = page.locator("table.report-field")
  for (const [label, value] of [
    ["Revisitas", general.visits.revisits],
    ["Equipos enviados a taller", general.equipment.workshop_sends],
    ["Equipos enviados al contratista", general.equipment.contractor_sends],
    ["Equipos devueltos", general.equipment.returns],
  ])
    assert.equal(parseNumber((await rowCells(field, label))[0]), value, label)
  const overall = general.satisfaction.overall
  await page.getByText(`${overall.answered} de ${overall.eligible} casos resueltos respondieron la encuesta`).waitFor()

  // One detailed row per ticket.
  const numbers = await page.locator("table.report-detail tbody th").allInnerTexts()
  assert.deepEqual(
    numbers,
    expected.body.detail.map(d => d.number),
  )

  // The four charts show (drawn by the server).
  const charts = page.locator(".report-chart img")
  assert.equal(await charts.count(), expected.body.charts.length)
  for (const [i, chart] of expected.body.charts.entries()) {
    const img = charts.nth(i)
    assert.equal(await img.getAttribute("alt"), chart.title)
    await img.scrollIntoViewIfNeeded()
    assert.ok(await img.evaluate(el => el.complete && el.naturalWidth > 0), `${chart.title} is drawn`)
  }
  // The page fits the phone's width: wide tables scroll inside their box.
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth))

  // The downloads are the same report, each of its type.
  async function download(name) {
    const [file] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name }).click()])
    return { name: file.suggestedFilename(), bytes: await readFile(await file.path()) }
  }
  const pdf = await download("PDF")
  assert.equal(pdf.name, `informe-${month}.pdf`)
  assert.ok(pdf.bytes.length > 1000 && pdf.bytes.subarray(0, 5).toString("latin1") === "%PDF-", "a PDF")
  const xlsx = await download("XLSX (Excel)")
  assert.equal(xlsx.name, `informe-${month}.xlsx`)
  assert.ok(xlsx.bytes.subarray(0, 4).equals(Buffer.from("PK\x03\x04", "latin1")), "a ZIP")
  assert.ok(xlsx.bytes.includes("xl/workbook.xml"), "an Excel workbook")
  const csv = await download("CSV del detalle")
  assert.equal(csv.name, `informe-${month}.csv`)
  const text = csv.bytes.toString("utf8")
  assert.ok(text.startsWith("\ufeffNúmero;Fecha de registro;"), text.slice(0, 60))
  const rows = parseCsv(text.slice(1)).filter(r => r.length > 1)
  const [, yyyy, mm] = /^(\d{4})-(\d{2})$/.exec(month)
  const receivedInCsv = rows.slice(1).filter(r => r[1].slice(3, 10) === `${mm}/${yyyy}`).length
  assert.equal(receivedInCsv, received, "tickets registered in the month, in the CSV and on the page")

  // A filter narrows the page and the files alike.
  const top = general.by_dependencia[0]
  await page.getByLabel(/^Dependencia/).selectOption(top.key)
  await page.getByRole("button", { name: "Ver informe" }).click()
  await page.getByText(/^Filtros: dependencia /).waitFor()
  const filtered = await api.call("GET", `/api/reports/monthly?month=${month}&dependencia=${encodeURIComponent(top.key)}`)
  assert.equal(filtered.status, 200, filtered.text)
  assert.equal(parseNumber((await rowCells(headline, "Solicitudes recibidas"))[0]), filtered.body.general.headline.received)
  assert.equal(filtered.body.general.headline.received, top.received)
  const filteredCsv = await download("CSV del detalle")
  const filteredRows = parseCsv(filteredCsv.bytes.toString("utf8").slice(1)).filter(r => r.length > 1)
  assert.equal(filteredRows.length - 1, filtered.body.detail.length)
})
