import { useState } from "preact/hooks"
import { ApiError } from "../api"
import { t } from "../es"
import { grant, lastUserId, login } from "../session"
import { hasUnsyncedWork, resetLocalData, startSession } from "../app"
import { Field, Screen, focusFirstError } from "./common"
import { go } from "./router"

export function Login() {
  const [username, setUsername] = useState(grant.value?.user.username ?? "")
  const [password, setPassword] = useState("")
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(e: Event) {
    e.preventDefault()
    const form = e.currentTarget
    setBusy(true)
    setError(null)
    const previous = lastUserId()
    try {
      const user = await login(username.trim(), password)
      if (previous && previous !== user.id) {
        // Another person's tickets must not stay on the phone, nor be sent under this login.
        if (!hasUnsyncedWork()) await resetLocalData()
      }
      startSession()
      go("/", true)
    } catch (err) {
      if (err instanceof ApiError) setError(err.message)
      else setError(navigator.onLine ? t.errors.network : t.login.offlineFirst)
      focusFirstError(form)
    } finally {
      setBusy(false)
    }
  }

  return (
    <Screen title={t.login.title}>
      <form class="form" onSubmit={submit}>
        <Field label={t.login.username}>
          <input
            name="username"
            autocomplete="username"
            autocapitalize="none"
            required
            value={username}
            onInput={e => setUsername(e.currentTarget.value)}
          />
        </Field>
        <Field label={t.login.password}>
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={e => setPassword(e.currentTarget.value)}
          />
        </Field>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button class="primary" type="submit" disabled={busy}>
          {busy ? t.login.working : t.login.submit}
        </button>
      </form>
    </Screen>
  )
}
