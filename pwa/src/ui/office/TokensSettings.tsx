// «Tokens de integración» in Ajustes: coordinators create the tokens the intranet, GLPI or a
// report reader send as `Authorization: Bearer …` (POST /api/tokens; the secret is shown once,
// with a copy button), list them with their last use (GET /api/tokens) and revoke them
// (DELETE /api/tokens/{id}).

import { useEffect, useState } from "preact/hooks"
import { apiError } from "../../api"
import { t } from "../../es"
import { FormError, messageOf, send } from "../../officeApi"
import { endOfBogotaDay, formatDateTime } from "../../time"
import { Field, focusFirstError } from "../common"

export interface TokenView {
  id: string
  name: string
  scopes: string[]
  created_at: number
  created_by: { id: string; name: string }
  expires_at: number | null
  last_used_at: number | null
  revoked_at: number | null
  status: "activo" | "revocado" | "vencido"
}

const SCOPES = ["intake", "reports:read"] as const

type Feedback = { kind: "ok" | "error"; text: string } | null

export function TokensSettings() {
  const [tokens, setTokens] = useState<TokenView[] | null>(null)
  const [name, setName] = useState("")
  const [scopes, setScopes] = useState<string[]>(["intake"])
  const [expires, setExpires] = useState("")
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [feedback, setFeedback] = useState<Feedback>(null)
  const [secret, setSecret] = useState<{ name: string; token: string } | null>(null)
  const [copied, setCopied] = useState(false)
  const [busy, setBusy] = useState(false)

  const load = async () => {
    try {
      const response = await fetch("/api/tokens", { credentials: "same-origin" })
      if (!response.ok) throw await apiError(response)
      setTokens(((await response.json()) as { tokens: TokenView[] }).tokens)
    } catch (err) {
      setFeedback({ kind: "error", text: t.settings.loadFailed(messageOf(err)) })
    }
  }
  useEffect(() => void load(), [])

  async function create(e: Event) {
    e.preventDefault()
    const formEl = e.currentTarget
    setFeedback(null)
    setErrors({})
    setSecret(null)
    setCopied(false)
    const expiresAt = expires ? endOfBogotaDay(expires) : null
    if (expires && expiresAt === null) {
      setErrors({ expires_at: t.tokens.expiresInvalid })
      return focusFirstError(formEl)
    }
    setBusy(true)
    try {
      const made = await send<TokenView & { token: string }>("POST", "/api/tokens", {
        name,
        scopes,
        expires_at: expiresAt,
      })
      setSecret({ name: made.name, token: made.token })
      setName("")
      setExpires("")
      await load()
    } catch (err) {
      if (err instanceof FormError && Object.keys(err.fields).length > 0) setErrors(err.fields)
      setFeedback({ kind: "error", text: messageOf(err) })
      focusFirstError(formEl)
    } finally {
      setBusy(false)
    }
  }

  async function revoke(token: TokenView) {
    if (!window.confirm(t.tokens.confirmRevoke(token.name))) return
    setFeedback(null)
    try {
      const response = await fetch(`/api/tokens/${encodeURIComponent(token.id)}`, {
        method: "DELETE",
        credentials: "same-origin",
      })
      if (!response.ok) throw await apiError(response)
      setFeedback({ kind: "ok", text: t.tokens.revoked(token.name) })
      await load()
    } catch (err) {
      setFeedback({ kind: "error", text: messageOf(err) })
    }
  }

  async function copy() {
    if (!secret) return
    try {
      await navigator.clipboard.writeText(secret.token)
      setCopied(true)
    } catch {
      setFeedback({ kind: "error", text: t.tokens.copyFailed })
    }
  }

  const toggleScope = (scope: string) => (e: Event) => {
    const on = (e.currentTarget as HTMLInputElement).checked
    setScopes(on ? [...scopes.filter(s => s !== scope), scope] : scopes.filter(s => s !== scope))
  }

  return (
    <>
      <p class="hint">{t.tokens.hint}</p>
      {feedback && (
        <p class={feedback.kind === "error" ? "error" : "ok"} role={feedback.kind === "error" ? "alert" : "status"}>
          {feedback.text}
        </p>
      )}
      {secret && (
        <div class="token-secret" role="status">
          <p>{t.tokens.showOnce(secret.name)}</p>
          <code data-testid="token-secret">{secret.token}</code>{" "}
          <button type="button" onClick={() => void copy()}>
            {copied ? t.tokens.copied : t.tokens.copy}
          </button>
        </div>
      )}
      {tokens === null ? (
        <p>{t.loading}</p>
      ) : tokens.length === 0 ? (
        <p>{t.tokens.none}</p>
      ) : (
        <div class="table-wrap" tabIndex={0} role="region" aria-label={t.tokens.table}>
          <table class="data tokens">
            <thead>
              <tr>
                <th scope="col">{t.tokens.name}</th>
                <th scope="col">{t.tokens.scopes}</th>
                <th scope="col">{t.tokens.created}</th>
                <th scope="col">{t.tokens.lastUse}</th>
                <th scope="col">{t.tokens.status}</th>
                <th scope="col">
                  <span class="visually-hidden">{t.settings.actions}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.map(token => (
                <tr key={token.id} class={token.status === "activo" ? "" : "inactive"} data-token={token.name}>
                  <td>{token.name}</td>
                  <td>{token.scopes.map(s => t.tokens.scopeLabel[s] ?? s).join(", ")}</td>
                  <td>
                    {formatDateTime(token.created_at)} · {token.created_by.name}
                  </td>
                  <td>{token.last_used_at ? formatDateTime(token.last_used_at) : t.tokens.neverUsed}</td>
                  <td>
                    {t.tokens.statusLabel[token.status]}
                    {token.status === "activo" && token.expires_at ? ` (${t.tokens.until(formatDateTime(token.expires_at))})` : ""}
                  </td>
                  <td>
                    {token.status === "activo" && (
                      <button type="button" onClick={() => void revoke(token)}>
                        {t.tokens.revoke}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3>{t.tokens.newTitle}</h3>
      <form class="form" onSubmit={e => void create(e)} noValidate>
        <div class="form-row">
          <Field label={t.tokens.name} error={errors.name}>
            <input name="token-name" value={name} onInput={e => setName(e.currentTarget.value)} />
          </Field>
          <Field label={t.tokens.expires} error={errors.expires_at}>
            <input name="token-expires" type="date" value={expires} onInput={e => setExpires(e.currentTarget.value)} />
          </Field>
        </div>
        <fieldset class="scopes">
          <legend>{t.tokens.scopes}</legend>
          {SCOPES.map(scope => (
            <label key={scope} class="check">
              <input type="checkbox" name={`scope-${scope}`} checked={scopes.includes(scope)} onChange={toggleScope(scope)} />{" "}
              {t.tokens.scopeLabel[scope]}
            </label>
          ))}
          {errors.scopes && (
            <p class="error" role="alert">
              {errors.scopes}
            </p>
          )}
        </fieldset>
        <button type="submit" class="primary" disabled={busy}>
          {t.tokens.create}
        </button>
      </form>
    </>
  )
}
