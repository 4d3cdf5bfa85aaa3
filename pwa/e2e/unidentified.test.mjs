// A request from someone Campo does not know, in Debian's Chromium: a GLPI ticket whose requester
// is only an outside e-mail address reaches the coordinator's reception «por identificar»; the
// coordinator names the official in the case's «Coordinación» panel, and the case is then theirs.
// The GLPI here is a few lines of Node answering the calls of GLPI's REST API that Campo makes
// (no GLPI can run here; the full stand-in and its tests are tests/src/glpi.rs).

import assert from "node:assert/strict"
import { once } from "node:events"
import { createServer } from "node:http"
import { after, test } from "node:test"
import { Campo, apiAs, assertAccessible, desk, launch, logIn, until } from "./support.mjs"

const cleanup = []
after(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {})
})

/** One new GLPI ticket (#501), asked by an address Campo does not know. */
async function glpiWithOneTicket() {
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://glpi")
    const json = (status, body) => {
      res.writeHead(status, { "Content-Type": "application/json" })
      res.end(JSON.stringify(body))
    }
    const path = url.pathname.replace(/^\/apirest\.php\//, "")
    if (path === "initSession") return json(200, { session_token: "sesion-e2e" })
    if (req.headers["session-token"] !== "sesion-e2e") return json(401, ["ERROR_SESSION_TOKEN_INVALID", "session_token seems invalid"])
    if (path === "killSession") return json(200, {})
    if (path === "search/Ticket")
      return json(200, {
        totalcount: 1,
        count: 1,
        data: [{ 2: 501, 1: "El lector de huellas no funciona", 21: "&lt;p&gt;No registra la entrada.&lt;/p&gt;", 80: "Entidad raíz" }],
      })
    if (path === "Ticket/501/Ticket_User") return json(200, [{ id: 1, tickets_id: 501, users_id: 0, type: 1, alternative_email: "contratista.externo@example.org" }])
    if (req.method === "POST" && (path === "ITILFollowup" || path === "ITILSolution")) {
      req.resume()
      return json(201, { id: 9001, message: "" })
    }
    return json(400, ["ERROR_RESOURCE_NOT_FOUND_NOR_COMMONDBTM", path])
  })
  server.listen(0, "127.0.0.1")
  await once(server, "listening")
  cleanup.push(() => new Promise(resolve => server.close(resolve)))
  return `http://127.0.0.1:${server.address().port}/apirest.php`
}

test("a request from an unknown sender is given its official by the coordinator", async () => {
  const glpi = await glpiWithOneTicket()
  const campo = await Campo.create({ CAMPO_GLPI_URL: glpi, CAMPO_GLPI_USER_TOKEN: "clave-e2e", CAMPO_GLPI_SYNC_SECS: "1" })
  cleanup.push(() => campo.dispose())
  const coordinator = await apiAs(campo.base, "coordinador")
  let ticket
  await until("the GLPI ticket to become a case", async () => {
    const { body } = await coordinator.call("GET", "/api/tickets?channel=glpi")
    ticket = body.tickets.find(t => t.external_ref === "GLPI #501")
    return ticket !== undefined
  })
  assert.equal(ticket.requester_name, "Solicitante por identificar (GLPI: contratista.externo@example.org)")

  const browser = await launch()
  cleanup.push(() => browser.close())
  const page = await (await desk(browser, campo.base)).newPage()
  await logIn(page, "coordinador", "Tablero de despacho")
  await page.getByRole("link", { name: "Recepción" }).click()
  await page.locator(`.waiting .ticket-row[data-number="${ticket.number}"]`).click()
  const panel = page.getByRole("region", { name: "Coordinación" })
  await panel.getByRole("heading", { name: "Identificar al solicitante" }).waitFor()
  await panel.getByText("contratista.externo@example.org").waitFor()
  await assertAccessible(page, "identifying the requester")

  // Nothing chosen: the form says what it needs, and nothing is sent.
  await panel.getByRole("button", { name: "Guardar solicitante" }).click()
  await panel.getByText("Elija el funcionario.", { exact: true }).last().waitFor()
  await panel.getByLabel("Funcionario que pidió la asistencia").selectOption({ label: "Ana Lucía García · EDUCACION" })
  await panel.getByRole("button", { name: "Guardar solicitante" }).click()
  await panel.getByText("Solicitante identificado.").waitFor()
  await until("the form to go away", async () => (await panel.getByRole("heading", { name: "Identificar al solicitante" }).count()) === 0)

  const { body } = await coordinator.call("GET", `/api/tickets/${ticket.id}`)
  assert.equal(body.requester_name, "Ana Lucía García")
  assert.equal(body.dependencia, "EDUCACION")
  // The official reads it among its own requests.
  const official = await apiAs(campo.base, "agarcia")
  const mine = await official.call("GET", `/api/tickets/${ticket.id}`)
  assert.equal(mine.status, 200)
})
