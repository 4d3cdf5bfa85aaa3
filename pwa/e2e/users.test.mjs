// Importing users in Ajustes, in Debian's Chromium on a desk, against the real server with the demo
// data: a file with errors is refused line by line and the keyboard lands on the errors; a
// spreadsheet saved as «CSV UTF-8» (a BOM, «;») is reviewed in a preview table that writes
// nothing, imported, and the new people appear in the list of users; one of them gets a password
// there and can log in. axe-core checks each state.

import assert from "node:assert/strict"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { after, test } from "node:test"
import { Campo, apiAs, assertAccessible, desk, launch, logIn, until } from "./support.mjs"

const cleanup = []
after(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {})
})

const BAD_CSV = "usuario;nombre;rol;dependencia\nrmejia;Rosa Mejía;funcionario;NOEXISTE\nsduarte;Sergio Duarte;jefe;TIC\n"
const GOOD_CSV =
  "\uFEFFUsuario;Nombre completo;Rol;Correo;Dependencia;Documento\r\n" +
  "rmejia;Rosa Mejía;Funcionario;rmejia@gobernacion.gov.co;HACIENDA;1.098.765.432\r\n" +
  "sduarte;Sergio Duarte;Técnico;;TIC;\r\n" +
  "cperez;Carlos Alberto Pérez Ríos;funcionario;;HACIENDA;\r\n"

test("a coordinator reviews and imports users from a CSV in Ajustes", async () => {
  const campo = await Campo.create()
  cleanup.push(() => campo.dispose())
  const browser = await launch()
  cleanup.push(() => browser.close())
  const dir = mkdtempSync(join(tmpdir(), "campo-usuarios-"))
  cleanup.push(async () => rmSync(dir, { recursive: true, force: true }))
  const badFile = join(dir, "con-errores.csv")
  writeFileSync(badFile, BAD_CSV)
  const goodFile = join(dir, "usuarios.csv")
  writeFileSync(goodFile, GOOD_CSV)
  const coordinator = await apiAs(campo.base, "coordinador")
  const usernames = async () => (await coordinator.call("GET", "/api/users")).body.map(u => u.username)
  const before = await usernames()

  const page = await (await desk(browser, campo.base)).newPage()
  await logIn(page, "coordinador", "Tablero de despacho")
  await page.goto("/ajustes")
  await page.getByRole("heading", { name: "Importar usuarios desde CSV" }).waitFor()
  await page.locator('table.users tbody tr[data-username="cperez"]').waitFor()
  const fileInput = page.getByLabel("Archivo CSV de usuarios")

  // A file with errors: each line's error in Spanish, nothing imported, the keyboard on the errors.
  await fileInput.setInputFiles(badFile)
  await page.getByRole("button", { name: "Revisar" }).click()
  const errors = page.locator(".import-errors")
  await errors.getByText("El archivo tiene 2 error(es) y no se importó nada.").waitFor()
  assert.deepEqual(await errors.locator("li").allTextContents(), [
    "Línea 2: La dependencia «NOEXISTE» no existe; créela primero en Ajustes o corrija el código.",
    "Línea 3: El rol «jefe» no existe; use funcionario, técnico, contratista o coordinador.",
  ])
  await until("the focus on the errors", () => page.evaluate(() => document.activeElement?.classList.contains("import-errors")))
  await assertAccessible(page, "Ajustes with a refused CSV")
  assert.deepEqual(await usernames(), before)

  // The good file: the preview, with column headers and a caption; still nothing written.
  await fileInput.setInputFiles(goodFile)
  assert.equal(await errors.count(), 0, "choosing another file clears the errors")
  await page.getByRole("button", { name: "Revisar" }).click()
  const preview = page.locator("table.users-import")
  await preview.waitFor()
  assert.equal(
    (await preview.locator("caption").textContent()).trim(),
    "Vista previa: 2 usuarios nuevos y 1 actualizado. Todavía no se guardó nada.",
  )
  const heads = await preview.locator("thead th").evaluateAll(ths => ths.map(th => [th.textContent, th.getAttribute("scope")]))
  assert.deepEqual(heads, [
    ["Línea", "col"],
    ["Acción", "col"],
    ["Usuario", "col"],
    ["Nombre completo", "col"],
    ["Rol", "col"],
    ["Dependencia", "col"],
    ["Correo electrónico", "col"],
    ["Documento", "col"],
  ])
  const rows = await preview.locator("tbody tr").evaluateAll(trs => trs.map(tr => [...tr.children].map(c => c.textContent)))
  assert.deepEqual(rows, [
    ["2", "Crear", "rmejia", "Rosa Mejía", "Funcionario", "Secretaría de Hacienda", "rmejia@gobernacion.gov.co", "1098765432"],
    ["3", "Crear", "sduarte", "Sergio Duarte", "Técnico", "Secretaría de las TIC", "—", "—"],
    ["4", "Actualizar", "cperez", "Carlos Alberto Pérez Ríos", "Funcionario", "Secretaría de Hacienda", "—", "—"],
  ])
  await assertAccessible(page, "Ajustes with the preview of an import")
  assert.deepEqual(await usernames(), before, "the preview writes nothing")

  // Imported as reviewed; the list of users shows the new people.
  await page.getByRole("button", { name: "Importar 3 usuarios" }).click()
  await page.getByText("Usuarios importados: 2 creados, 1 actualizado.").waitFor()
  const rosa = page.locator('table.users tbody tr[data-username="rmejia"]')
  await rosa.waitFor()
  assert.equal(await rosa.locator("td").first().textContent(), "Rosa Mejía")
  await page.locator('table.users tbody tr[data-username="sduarte"]').waitFor()
  await page.locator('table.users tbody tr[data-username="cperez"]').getByText("Carlos Alberto Pérez Ríos").waitFor()
  assert.equal(await preview.count(), 0, "the preview is gone")
  await assertAccessible(page, "Ajustes after an import")

  // A new account has no password until the coordinator gives it one, from the list.
  const sergioPassword = "clave de sergio 2026"
  const logInAs = (username, password) =>
    fetch(`${campo.base}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, password }),
    }).then(r => r.status)
  assert.equal(await logInAs("sduarte", sergioPassword), 401)
  await page.getByRole("button", { name: "Asignar una contraseña a Sergio Duarte" }).click()
  await page.getByRole("heading", { name: "Nueva contraseña de Sergio Duarte" }).waitFor()
  await until("the focus on the new password", () => page.evaluate(() => document.activeElement?.getAttribute("name") === "new-password"))
  await page.keyboard.type(sergioPassword)
  await page.getByRole("button", { name: "Guardar contraseña" }).click()
  await page.getByText("Contraseña de Sergio Duarte guardada").waitFor()
  assert.equal(await logInAs("sduarte", sergioPassword), 200)
  await assertAccessible(page, "Ajustes after setting a password")

  const users = (await coordinator.call("GET", "/api/users")).body
  const imported = users.find(u => u.username === "rmejia")
  assert.equal(imported.document, "1098765432")
  assert.equal(imported.role, "funcionario")
  assert.equal(users.length, before.length + 2)
})
