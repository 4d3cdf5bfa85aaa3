// «Importar usuarios desde CSV» in Ajustes: the coordinator picks a file, «Revisar» asks the server
// what importing it would do (POST /api/users/import?dry_run=true) and shows it row by row, or
// the error of each line; «Importar N usuarios» sends the same file again to write it, all rows or
// none.

import { useEffect, useRef, useState } from "preact/hooks"
import { roleLabel, t } from "../../es"
import { CsvError, type UserImport, importUsers, messageOf } from "../../officeApi"
import { dependenciaName } from "../../catalog"
import { Field } from "../common"

type Refusal = { message: string; lines: { line: number; message: string }[] }

export function UsersImport(props: { onImported: () => void }) {
  const [file, setFile] = useState<File | null>(null)
  const [done, setDone] = useState<UserImport | null>(null)
  const [preview, setPreview] = useState<UserImport | null>(null)
  const [refusal, setRefusal] = useState<Refusal | null>(null)
  const [fileError, setFileError] = useState<string | undefined>()
  const [busy, setBusy] = useState<"review" | "import" | null>(null)
  const input = useRef<HTMLInputElement>(null)
  const errorsBox = useRef<HTMLDivElement>(null)

  // A keyboard or screen-reader user lands on what to fix.
  useEffect(() => {
    if (refusal) errorsBox.current?.focus()
  }, [refusal])

  function clear() {
    setDone(null)
    setPreview(null)
    setRefusal(null)
    setFileError(undefined)
  }

  async function call(dryRun: boolean): Promise<UserImport | null> {
    if (!file) {
      setFileError(t.userImport.chooseFile)
      input.current?.focus()
      return null
    }
    clear()
    setBusy(dryRun ? "review" : "import")
    try {
      return await importUsers(file, dryRun)
    } catch (err) {
      setRefusal(err instanceof CsvError ? { message: err.message, lines: err.lines } : { message: messageOf(err), lines: [] })
      return null
    } finally {
      setBusy(null)
    }
  }

  async function review(e: Event) {
    e.preventDefault()
    const previewed = await call(true)
    if (previewed) setPreview(previewed)
  }

  async function commit() {
    const imported = await call(false)
    if (!imported) return
    setFile(null)
    if (input.current) input.current.value = ""
    setDone(imported)
    props.onImported()
  }

  const depName = (code: string | null) => (code ? dependenciaName(code) : "—")

  return (
    <>
      <p class="hint" id="users-import-hint">
        {t.userImport.hint}
      </p>
      <form class="form inline" onSubmit={e => void review(e)} noValidate>
        <div class="form-row">
          <Field label={t.userImport.file} error={fileError}>
            <input
              ref={input}
              name="users-csv"
              type="file"
              accept=".csv,text/csv"
              aria-describedby="users-import-hint"
              aria-invalid={fileError ? true : undefined}
              onChange={e => {
                setFile(e.currentTarget.files?.[0] ?? null)
                clear()
              }}
            />
          </Field>
        </div>
        <button type="submit" disabled={busy !== null}>
          {busy === "review" ? t.userImport.reviewing : t.userImport.review}
        </button>
      </form>
      {done && (
        <p class="ok" role="status">
          {t.userImport.done(done.created, done.updated)}
        </p>
      )}
      {refusal && (
        <div class="import-errors" ref={errorsBox} tabIndex={-1} role="alert">
          <p class="error">{refusal.message}</p>
          {refusal.lines.length > 0 && (
            <ul class="error">
              {refusal.lines.map(l => (
                <li key={`${l.line}-${l.message}`}>{t.userImport.lineError(l.line, l.message)}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      {preview && (
        <>
          <div class="table-wrap" tabIndex={0} role="region" aria-label={t.userImport.table}>
            <table class="data users-import">
              <caption>{t.userImport.caption(preview.created, preview.updated)}</caption>
              <thead>
                <tr>
                  <th scope="col">{t.userImport.line}</th>
                  <th scope="col">{t.userImport.action}</th>
                  <th scope="col">{t.settings.username}</th>
                  <th scope="col">{t.settings.fullName}</th>
                  <th scope="col">{t.settings.role}</th>
                  <th scope="col">{t.settings.dependencia}</th>
                  <th scope="col">{t.settings.email}</th>
                  <th scope="col">{t.settings.document}</th>
                </tr>
              </thead>
              <tbody>
                {preview.rows.map(r => (
                  <tr key={r.line} data-username={r.username}>
                    <td>{r.line}</td>
                    <td>{t.userImport.actionLabel[r.action]}</td>
                    <th scope="row">{r.username}</th>
                    <td>{r.full_name}</td>
                    <td>{roleLabel[r.role] ?? r.role_label}</td>
                    <td>{depName(r.dependencia)}</td>
                    <td>{r.email ?? "—"}</td>
                    <td>{r.document ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="actions">
            <button type="button" class="primary" disabled={busy !== null} onClick={() => void commit()}>
              {busy === "import" ? t.userImport.importing : t.userImport.commit(preview.rows.length)}
            </button>
            <button type="button" disabled={busy !== null} onClick={clear}>
              {t.userImport.discard}
            </button>
          </div>
        </>
      )}
    </>
  )
}
