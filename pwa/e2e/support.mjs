// What the browser tests need: the real `campo` binary on a temporary data directory (started and
// stopped by the tests: stopping it is how a phone loses the server, since
// `context.setOffline` does not cut WebSockets), Debian's Chromium through playwright-core, an
// API client with a session cookie, a Node automerge-repo peer to read documents as the server
// has them, a fake camera that films a QR sticker, and Debian's Caddy in front of Campo over TLS
// with a phone that trusts Caddy's certificate authority.

import { execFileSync, spawn } from "node:child_process"
import { once } from "node:events"
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { request as httpRequest } from "node:http"
import { request as httpsRequest } from "node:https"
import { createRequire } from "node:module"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { Repo } from "@automerge/automerge-repo"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"
import QRCode from "qrcode"
import { chromium } from "playwright-core"

const here = dirname(fileURLToPath(import.meta.url))
export const pwaDir = resolve(here, "..")
const repoRoot = resolve(pwaDir, "..")
export const campoBin = process.env.CAMPO_BIN ?? join(repoRoot, "target", "debug", "campo")
export const PASSWORD = "campo-demo-2026"

/** Resolves when `condition()` is truthy, polling every 100 ms; fails after `ms`. */
export async function until(what, condition, ms = 30_000) {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await condition()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 100))
  }
}

export async function freePort() {
  const server = createServer()
  server.listen(0, "127.0.0.1")
  await once(server, "listening")
  const { port } = server.address()
  server.close()
  await once(server, "close")
  return port
}

/** A `campo serve --demo` that can be stopped and started again on the same data and port. */
export class Campo {
  /** `env`: more settings of the server (e.g. `CAMPO_GLPI_URL`). */
  static async create(env = {}) {
    const campo = new Campo()
    campo.env = env
    campo.dataDir = mkdtempSync(join(tmpdir(), "campo-e2e-"))
    campo.port = await freePort()
    campo.base = `http://127.0.0.1:${campo.port}`
    await campo.start()
    return campo
  }

  /**
   * Starts the server on its port, or on `port` (the same data on another address: reachable from
   * the office's desks but not from a phone that knows only the first one).
   */
  async start(port = this.port) {
    this.process = spawn(
      campoBin,
      ["serve", "--demo", "--listen", `127.0.0.1:${port}`, "--pwa-dir", join(pwaDir, "dist")],
      {
        env: { ...process.env, ...this.env, CAMPO_DATA_DIR: this.dataDir, RUST_LOG: process.env.RUST_LOG ?? "warn" },
        // CAMPO_E2E_LOG=/path keeps the server's log (set RUST_LOG=info for every request).
        stdio: ["ignore", "pipe", process.env.CAMPO_E2E_LOG ? openSync(process.env.CAMPO_E2E_LOG, "a") : "inherit"],
      },
    )
    const exited = once(this.process, "exit").then(([code]) => {
      throw new Error(`campo exited with ${code} before listening`)
    })
    let out = ""
    const listening = new Promise(resolve => {
      this.process.stdout.on("data", chunk => {
        out += chunk
        if (out.includes("Campo está escuchando")) resolve()
      })
    })
    await Promise.race([listening, exited, timeout(60_000, "campo to listen")])
    exited.catch(() => {})
  }

  /** The server vanishes as in a power cut (what it acknowledged is committed, so it survives). */
  async stop() {
    if (!this.process || this.process.exitCode !== null) return
    const exit = once(this.process, "exit")
    this.process.kill("SIGKILL")
    await Promise.race([exit, timeout(20_000, "campo to stop")])
    this.process = null
  }

  async dispose() {
    if (this.process) {
      this.process.kill("SIGKILL")
      this.process = null
    }
    rmSync(this.dataDir, { recursive: true, force: true })
  }
}

function timeout(ms, what) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms).unref())
}

/** A REST client logged in as `username`. */
export async function apiAs(base, username) {
  const login = await fetch(`${base}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: PASSWORD }),
  })
  if (!login.ok) throw new Error(`login ${username}: ${login.status}`)
  const cookie = login.headers.getSetCookie().map(c => c.split(";")[0]).join("; ")
  const call = async (method, path, body) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { cookie, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    })
    const text = await response.text()
    let json = null
    try {
      json = JSON.parse(text)
    } catch {
      // Not JSON.
    }
    return { status: response.status, body: json, text }
  }
  return { user: await login.json(), call, cookie }
}

/** A Node automerge-repo peer connected with a one-use sync token of `api`'s user. */
export async function peerAs(base, api) {
  const { body } = await api.call("POST", "/api/sync-token")
  const repo = new Repo({ network: [] })
  const connected = new Promise(resolve => repo.networkSubsystem.once("peer", resolve))
  const adapter = new WebSocketClientAdapter(`${base.replace(/^http/, "ws")}/sync?token=${body.token}`, 60_000)
  repo.networkSubsystem.addNetworkAdapter(adapter)
  await Promise.race([connected, timeout(20_000, "the sync connection")])
  return {
    repo,
    /** The document as the server has it, once `check(doc)` holds. */
    async docWhen(url, what, check) {
      const handle = await repo.find(url)
      return until(what, () => {
        const doc = handle.doc()
        return doc && check(doc) ? JSON.parse(JSON.stringify(doc)) : null
      })
    },
    async close() {
      repo.networkSubsystem.removeNetworkAdapter(adapter)
      await repo.shutdown()
    },
  }
}

/** A Y4M video (the format of Chromium's fake camera) showing a QR code with `text`. */
export async function qrVideo(text) {
  const qr = QRCode.create(text, { errorCorrectionLevel: "M" })
  const size = qr.modules.size
  const width = 640
  const height = 480
  const scale = Math.floor(Math.min(width, height) / (size + 8))
  const left = Math.floor((width - size * scale) / 2)
  const top = Math.floor((height - size * scale) / 2)
  const y = Buffer.alloc(width * height, 235)
  for (let row = 0; row < size; row++)
    for (let col = 0; col < size; col++)
      if (qr.modules.get(row, col))
        for (let dy = 0; dy < scale; dy++) y.fill(16, (top + row * scale + dy) * width + left + col * scale, (top + row * scale + dy) * width + left + (col + 1) * scale)
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128)
  const frame = Buffer.concat([Buffer.from("FRAME\n"), y, chroma])
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`)
  const file = join(mkdtempSync(join(tmpdir(), "campo-qr-")), "qr.y4m")
  writeFileSync(file, Buffer.concat([header, frame, frame, frame]))
  return file
}

/**
 * Debian's Chromium, headless; with `cameraFile`, a fake camera filming that Y4M video; with
 * `caddy` (a started {@link Caddy}), a phone that trusts Caddy's certificate authority and finds
 * Caddy's name on this machine.
 */
export async function launch(cameraFile, caddy) {
  const args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
  if (cameraFile)
    args.push("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", `--use-file-for-fake-video-capture=${cameraFile}`)
  let env
  let home
  if (caddy) {
    // Chromium on Linux trusts the authorities in $HOME/.pki/nssdb, as a phone trusts the root an
    // operator installed: the certificate is verified for real. Ignoring certificate errors
    // instead would not do: Chromium then refuses to register the service worker ("An SSL
    // certificate error occurred when fetching the script"). The name resolves to this machine
    // without touching /etc/hosts, and it is a real name, not an IP address nor `localhost`
    // (which Chromium treats as secure even without TLS).
    home = trustingHome(caddy.rootCertificate())
    env = { ...process.env, HOME: home }
    args.push(`--host-resolver-rules=MAP ${caddy.name} 127.0.0.1`)
  }
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args, env })
  if (home) browser.on("disconnected", () => rmSync(home, { recursive: true, force: true }))
  return browser
}

/** A temporary home whose NSS database (Chromium's trust store) trusts `rootCertificate`. */
function trustingHome(rootCertificate) {
  const home = mkdtempSync(join(tmpdir(), "campo-home-"))
  const db = `sql:${join(home, ".pki", "nssdb")}`
  mkdirSync(join(home, ".pki", "nssdb"), { recursive: true })
  // certutil is Debian's libnss3-tools.
  execFileSync("certutil", ["-N", "-d", db, "--empty-password"])
  execFileSync("certutil", ["-A", "-d", db, "-n", "Campo: autoridad de Caddy (pruebas)", "-t", "C,,", "-i", rootCertificate])
  return home
}

/**
 * Debian's Caddy in front of a {@link Campo}, configured with deploy/Caddyfile as an operator
 * installs it for an intranet (its own certificate authority, `tls internal`), changed only where
 * a test must: the site's name, unprivileged ports, the upstream's port, no admin endpoint, and
 * its storage (certificates, authority) in a temporary directory. Stopping it is how the phone
 * loses the network while Campo keeps running.
 */
export class Caddy {
  /** Chooses the ports, so that Campo can be told its public URL before Caddy starts. */
  static async create(name = "campo.prueba") {
    const caddy = new Caddy()
    caddy.name = name
    caddy.dir = mkdtempSync(join(tmpdir(), "campo-caddy-"))
    caddy.httpsPort = await freePort()
    // Caddy also listens on an HTTP port, to redirect to HTTPS.
    do caddy.httpPort = await freePort()
    while (caddy.httpPort === caddy.httpsPort)
    caddy.base = `https://${name}:${caddy.httpsPort}`
    return caddy
  }

  /** Starts Caddy in front of Campo listening on `upstreamPort`; resolves once it answers over TLS. */
  async start(upstreamPort) {
    const config = join(this.dir, "Caddyfile")
    writeFileSync(config, this.caddyfile(upstreamPort))
    const log = join(this.dir, "caddy.log")
    this.process = spawn("caddy", ["run", "--config", config, "--adapter", "caddyfile"], {
      env: {
        ...process.env,
        HOME: this.dir,
        XDG_DATA_HOME: join(this.dir, "data"),
        XDG_CONFIG_HOME: join(this.dir, "config"),
      },
      stdio: ["ignore", openSync(log, "a"), openSync(log, "a")],
    })
    const failed = new Promise((_, reject) => {
      this.process.once("error", err => reject(new Error(`caddy did not start (apt-get install caddy): ${err.message}`)))
      this.process.once("exit", code => reject(new Error(`caddy exited with ${code}:\n${readFileSync(log, "utf8")}`)))
    })
    const answering = until("Caddy to answer over TLS", async () => existsSync(this.rootCertificate()) && (await this.get("/healthz").then(() => true, () => false)), 60_000)
    await Promise.race([answering, failed])
    failed.catch(() => {})
  }

  /** deploy/Caddyfile with this test's name, ports, upstream and storage. */
  caddyfile(upstreamPort) {
    let text = readFileSync(join(repoRoot, "deploy", "Caddyfile"), "utf8")
    const change = (from, to) => {
      if (!text.includes(from)) throw new Error(`deploy/Caddyfile no longer has «${from}»`)
      text = text.replace(from, to)
    }
    change("\n{\n", `\n{\n\tadmin off\n\thttp_port ${this.httpPort}\n\thttps_port ${this.httpsPort}\n`)
    change("campo.gobernacion.gov.co {", `${this.name} {`)
    change("# tls internal", "tls internal")
    change("reverse_proxy 127.0.0.1:8080", `reverse_proxy 127.0.0.1:${upstreamPort}`)
    return text
  }

  /**
   * The root of Caddy's certificate authority (PEM): the file an operator gives the phones, here
   * under XDG_DATA_HOME as under /var/lib/caddy/.local/share on a server.
   */
  rootCertificate() {
    return join(this.dir, "data", "caddy", "pki", "authorities", "local", "root.crt")
  }

  /**
   * GET `path` from Caddy as a client that resolves its name to this machine: over TLS trusting
   * only Caddy's authority, or with `{ plain: true }` over HTTP. Resolves `{ status, headers, body }`.
   */
  get(path, { plain = false } = {}) {
    const port = plain ? this.httpPort : this.httpsPort
    const options = { host: "127.0.0.1", port, path, headers: { host: `${this.name}:${port}` } }
    return new Promise((resolve, reject) => {
      const onResponse = response => {
        let body = ""
        response.setEncoding("utf8")
        response.on("data", chunk => (body += chunk))
        response.on("end", () => resolve({ status: response.statusCode, headers: response.headers, body }))
      }
      const request = plain
        ? httpRequest(options, onResponse)
        : httpsRequest({ ...options, servername: this.name, ca: readFileSync(this.rootCertificate()) }, onResponse)
      request.on("error", reject)
      request.end()
    })
  }

  /** The network goes away at once (Campo keeps running behind it). */
  async stop() {
    if (!this.process || this.process.exitCode !== null) return
    const exit = once(this.process, "exit")
    this.process.kill("SIGKILL")
    await Promise.race([exit, timeout(20_000, "caddy to stop")])
    this.process = null
  }

  async dispose() {
    await this.stop()
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** A phone: 360 × 740, touch, es-CO, Bogotá time. */
export async function phone(browser, base) {
  const context = await browser.newContext({
    baseURL: base,
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: "es-CO",
    timezoneId: "America/Bogota",
    permissions: ["camera"],
  })
  context.setDefaultTimeout(30_000)
  return context
}

/** A desk: 1280 × 800, mouse, es-CO, Bogotá time (the coordinators' screens). */
export async function desk(browser, base) {
  const context = await browser.newContext({
    baseURL: base,
    viewport: { width: 1280, height: 800 },
    locale: "es-CO",
    timezoneId: "America/Bogota",
  })
  context.setDefaultTimeout(30_000)
  return context
}

/** Logs in through the app's form and waits for the role's home (the agenda of a technician). */
export async function logIn(page, username, home = "Mi agenda") {
  await page.goto("/")
  await page.getByLabel("Usuario").fill(username)
  await page.getByLabel("Contraseña").fill(PASSWORD)
  await page.getByRole("button", { name: "Ingresar" }).click()
  await page.getByRole("heading", { name: home }).waitFor()
}

/** The agenda's ticket ids, once the status bar says everything is on the server and stored. */
export async function readyForOffline(page) {
  await page.locator('[data-sync="saved"]').waitFor({ timeout: 60_000 })
  await waitForServiceWorker(page)
  const ids = await page.locator(".ticket-row").evaluateAll(rows => rows.map(r => r.dataset.url.replace("automerge:", "")))
  if (ids.length === 0) throw new Error("the agenda lists no tickets")
  await waitForStoredDocs(page, ids)
  return ids
}

/** Tomorrow at 09:00 in Bogotá, as a datetime-local value. */
export function tomorrowNine() {
  const bogota = new Date(Date.now() - 5 * 3600_000 + 24 * 3600_000)
  return `${bogota.toISOString().slice(0, 10)}T09:00`
}

/** Records an absent-user visit on the ticket open in `page` (a photo, a note, the next visit). */
export async function recordAbsentVisit(page, note) {
  await page.getByRole("button", { name: "Iniciar visita" }).click()
  await page.getByText("¿El funcionario está en su puesto?").waitFor()
  await page.getByRole("button", { name: "No", exact: true }).click()
  await page.locator('input[name="photo"]').setInputFiles(join(pwaDir, "public", "icon-512.png"))
  await page.locator(".photos img.thumb").first().waitFor()
  await page.getByLabel("Nota dejada al funcionario").fill(note)
  await page.getByLabel("Fecha y hora de la próxima visita").fill(tomorrowNine())
  await page.getByRole("button", { name: "Registrar usuario ausente" }).click()
  await page.locator(".badge.state-usuario_ausente").waitFor()
}

/** Waits until the service worker controls the app's scope (the app shell is precached). */
export async function waitForServiceWorker(page) {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready
  })
}

/** Waits until the phone's IndexedDB holds the content of every document id in `ids`. */
export async function waitForStoredDocs(page, ids) {
  const stored = () =>
    page.evaluate(async wanted => {
      const db = await new Promise((resolve, reject) => {
        const r = indexedDB.open("campo")
        r.onsuccess = () => resolve(r.result)
        r.onerror = () => reject(r.error)
      })
      try {
        if (![...db.objectStoreNames].includes("documents")) return false
        const keys = await new Promise(resolve => {
          const r = db.transaction("documents").objectStore("documents").getAllKeys()
          r.onsuccess = () => resolve(r.result)
        })
        const have = new Set(keys.filter(k => k[1] === "incremental" || k[1] === "snapshot").map(k => k[0]))
        return wanted.every(id => have.has(id))
      } finally {
        db.close()
      }
    }, ids)
  await until(`documents ${ids.join(", ")} in IndexedDB`, stored)
}

/** Draws a signature of `strokes` strokes with the mouse on the visit's signature pad. */
export async function sign(page, strokes = 2) {
  const pad = page.getByRole("img", { name: "Espacio para la firma del funcionario" })
  await pad.scrollIntoViewIfNeeded()
  const box = await pad.boundingBox()
  for (let s = 0; s < strokes; s++) {
    const y = box.y + box.height * (0.35 + 0.2 * s)
    await page.mouse.move(box.x + box.width * 0.15, y)
    await page.mouse.down()
    for (let i = 1; i <= 8; i++) await page.mouse.move(box.x + box.width * (0.15 + 0.08 * i), y + (i % 2 ? -12 : 12))
    await page.mouse.up()
  }
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8")

/**
 * Runs axe-core (WCAG 2.1 A and AA rules) on the page as it is and fails with every violation
 * found, each with the elements it names. The script is evaluated through the DevTools protocol,
 * so the app's Content-Security-Policy (no inline scripts) stays as it is.
 */
export async function assertAccessible(page, what) {
  await page.evaluate(axeSource)
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
      resultTypes: ["violations"],
    })
    return result.violations.map(v => ({
      id: v.id,
      help: v.help,
      nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5),
    }))
  })
  if (violations.length > 0)
    throw new Error(`axe found problems on ${what}:\n${violations.map(v => `- ${v.id}: ${v.help} (${v.nodes.join(", ")})`).join("\n")}`)
}
