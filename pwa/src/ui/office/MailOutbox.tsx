// Ajustes → «Correo saliente»: the e-mail outbox for coordinators (GET
// /api/notifications/outbox): how many mails wait, which failed (with the last error and when
// the next attempt is due) and the ones sent most recently. A mail server that is down shows
// here: its mails wait with their error and go out when it comes back.

import { useEffect, useState } from "preact/hooks"
import { getJson } from "../../api"
import { t } from "../../es"
import { messageOf } from "../../officeApi"
import { formatDateTime } from "../../time"

interface Mail {
  id: string
  ticket_id: string
  kind: string
  email: string
  subject: string
  created_at: number
  attempts: number
  next_attempt_at: number | null
  last_error: string | null
  sent_at: number | null
}

interface Outbox {
  smtp_configured: boolean
  pending: number
  failing: number
  waiting: Mail[]
  sent: Mail[]
}

export function MailOutbox() {
  const [outbox, setOutbox] = useState<Outbox | null>(null)
  const [error, setError] = useState<string | null>(null)
  function load() {
    getJson<Outbox>("/api/notifications/outbox").then(
      o => {
        setOutbox(o)
        setError(null)
      },
      err => setError(messageOf(err)),
    )
  }
  useEffect(load, [])
  return (
    <div class="mail-outbox">
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {outbox && (
        <>
          {!outbox.smtp_configured && <p class="hint">{t.mailOutbox.noSmtp}</p>}
          <p role="status">{t.mailOutbox.summary(outbox.pending, outbox.failing)}</p>
          {outbox.waiting.length > 0 && (
            <div class="table-wrap">
              <table class="data">
                <caption>{t.mailOutbox.waiting}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t.mailOutbox.to}</th>
                    <th scope="col">{t.mailOutbox.subject}</th>
                    <th scope="col">{t.mailOutbox.attempts}</th>
                    <th scope="col">{t.mailOutbox.next}</th>
                    <th scope="col">{t.mailOutbox.lastError}</th>
                  </tr>
                </thead>
                <tbody>
                  {outbox.waiting.map(m => (
                    <tr key={m.id} class={m.last_error ? "failing" : undefined}>
                      <td>{m.email}</td>
                      <td>{m.subject}</td>
                      <td>{m.attempts}</td>
                      <td>{m.next_attempt_at === null ? "" : formatDateTime(m.next_attempt_at)}</td>
                      <td>{m.last_error ?? ""}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {outbox.sent.length === 0 ? (
            <p class="empty">{t.mailOutbox.noneSent}</p>
          ) : (
            <div class="table-wrap">
              <table class="data">
                <caption>{t.mailOutbox.sent}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t.mailOutbox.to}</th>
                    <th scope="col">{t.mailOutbox.subject}</th>
                    <th scope="col">{t.mailOutbox.sentAt}</th>
                  </tr>
                </thead>
                <tbody>
                  {outbox.sent.map(m => (
                    <tr key={m.id}>
                      <td>{m.email}</td>
                      <td>{m.subject}</td>
                      <td>{m.sent_at === null ? "" : formatDateTime(m.sent_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
      <button type="button" onClick={load}>
        {t.mailOutbox.refresh}
      </button>
    </div>
  )
}
