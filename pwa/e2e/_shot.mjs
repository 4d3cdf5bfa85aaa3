import { Campo, PASSWORD, launch, phone } from "./support.mjs"
const campo = await Campo.create()
try {
  const browser = await launch()
  for (const [name, viewport] of [["phone", null], ["desk", { width: 1400, height: 1000 }]]) {
    const context = viewport
      ? await browser.newContext({ baseURL: campo.base, viewport, locale: "es-CO", timezoneId: "America/Bogota" })
      : await phone(browser, campo.base)
    const page = await context.newPage()
    await page.goto("/")
    await page.getByLabel("Usuario").fill("coordinador")
    await page.getByLabel("Contraseña").fill(PASSWORD)
    await page.getByRole("button", { name: "Ingresar" }).click()
    await page.getByRole("heading", { name: "Tablero de despacho" }).waitFor()
    await page.goto("/informe?month=2026-11")
    await page.getByRole("heading", { name: "noviembre de 2026" }).waitFor()
    const height = await page.evaluate(() => document.documentElement.scrollHeight)
    const step = viewport ? 1000 : 740
    for (let y = 0, i = 0; y < height && i < 14; y += step, i++) {
      await page.evaluate(y => window.scrollTo(0, y), y)
      await page.screenshot({ path: `/tmp/rpt/shots/${name}_${i}.png` })
    }
    await context.close()
  }
  await browser.close()
} finally {
  await campo.dispose()
}
