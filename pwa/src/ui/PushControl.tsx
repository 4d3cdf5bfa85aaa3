import { useEffect, useState } from "preact/hooks"
import { t } from "../es"
import { ApiError, disablePush, enablePush, pushStatus, type PushStatus } from "../push"

/** «Recibir avisos en este teléfono»: Web Push for new assignments, with the app closed. */
export function PushControl() {
  const [status, setStatus] = useState<PushStatus | null>(null)
  const [working, setWorking] = useState(false)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    pushStatus()
      .then(setStatus)
      .catch(() => setStatus("unsupported"))
  }, [])

  async function run(action: () => Promise<PushStatus>, wanted: PushStatus) {
    setWorking(true)
    setError(null)
    try {
      const now = await action()
      setStatus(now)
      // The permission dialog was closed without an answer.
      if (now === "off" && wanted === "on") setError(t.push.dismissed)
    } catch (err) {
      setError(err instanceof ApiError ? err.message : navigator.onLine ? t.push.failed : t.push.offline)
    } finally {
      setWorking(false)
    }
  }

  if (status === null) return null
  return (
    <section class="push" aria-label={t.push.label}>
      {status === "off" && (
        <button type="button" disabled={working} onClick={() => void run(enablePush, "on")}>
          {working ? t.push.working : t.push.enable}
        </button>
      )}
      {status === "on" && (
        <p class="hint">
          {t.push.on}{" "}
          <button type="button" class="link" disabled={working} onClick={() => void run(disablePush, "off")}>
            {t.push.disable}
          </button>
        </p>
      )}
      {status === "denied" && <p class="hint">{t.push.denied}</p>}
      {status === "unsupported" && <p class="hint">{t.push.unsupported}</p>}
      {status === "insecure" && <p class="hint">{t.push.insecure}</p>}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  )
}
