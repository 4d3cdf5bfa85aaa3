import { describe, expect, it } from "vitest"
import { CsvError, FormError, importUsers } from "../src/officeApi"

/** A fetch that answers `status` with `body` and records what it was asked. */
function server(status: number, body: unknown) {
  const calls: { url: string; init: RequestInit | undefined }[] = []
  const fetchFn = (async (url: string, init?: RequestInit) => {
    calls.push({ url, init })
    return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } })
  }) as unknown as typeof fetch
  return { fetchFn, calls }
}

const FILE = new Blob(["usuario;nombre;rol\njperez;Juan Pérez;técnico\n"], { type: "text/csv" })

describe("importUsers", () => {
  it("sends the file as it is, to the preview or to the import", async () => {
    const preview = { rows: [], created: 1, updated: 0, dry_run: true }
    const s = server(200, preview)
    expect(await importUsers(FILE, true, s.fetchFn)).toEqual(preview)
    await importUsers(FILE, false, s.fetchFn)
    expect(s.calls.map(c => c.url)).toEqual(["/api/users/import?dry_run=true", "/api/users/import"])
    expect(s.calls[0]!.init?.method).toBe("POST")
    expect(s.calls[0]!.init?.body).toBe(FILE)
    expect(new Headers(s.calls[0]!.init?.headers).get("content-type")).toBe("text/csv; charset=utf-8")
  })

  it("keeps each line's error of a refused file", async () => {
    const lines = [{ line: 3, message: "El rol «jefe» no existe; use funcionario, técnico, contratista o coordinador." }]
    const message = "El archivo tiene 1 error(es) y no se importó nada. Corrija las líneas indicadas y vuelva a enviarlo completo."
    const s = server(422, { error: { code: "csv_invalido", message, lines } })
    const err = await importUsers(FILE, true, s.fetchFn).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CsvError)
    expect((err as CsvError).message).toBe(message)
    expect((err as CsvError).lines).toEqual(lines)
  })

  it("tells any other refusal with the server's message", async () => {
    const s = server(403, { error: { code: "prohibido", message: "Su rol no permite realizar esta acción." } })
    const err = await importUsers(FILE, true, s.fetchFn).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(FormError)
    expect(err).not.toBeInstanceOf(CsvError)
    expect((err as FormError).message).toBe("Su rol no permite realizar esta acción.")
  })
})
