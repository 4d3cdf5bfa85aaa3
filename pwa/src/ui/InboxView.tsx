// «Avisos»: the user's notifications, newest first, the unread ones marked; each opens its case
// (the survey for the survey's notices) and is marked read on the server, for every device of
// the user. Works offline from the last list.

import { t } from "../es"
import { inboxOffline, markRead, type Notice, noticePath, notices, unreadCount } from "../inbox"
import { formatDateTime } from "../time"
import { Screen } from "./common"
import { go } from "./router"

function Entry(props: { notice: Notice }) {
  const n = props.notice
  const unread = n.read_at === null
  function open() {
    if (unread) void markRead([n.id])
    go(noticePath(n))
  }
  return (
    <li>
      <button
        type="button"
        class={`ticket-row notice${unread ? " unread" : ""}`}
        data-id={n.id}
        data-kind={n.kind}
        onClick={open}
      >
        <span class="row-top">
          <span class="number">{n.subject}</span>
          {unread && <span class="badge new">{t.inbox.unread}</span>}
        </span>
        <span class="summary">{n.body}</span>
        <span class="meta">{formatDateTime(n.created_at)}</span>
      </button>
    </li>
  )
}

export function InboxView() {
  const list = notices.value
  const count = unreadCount.value
  return (
    <Screen title={t.inbox.title}>
      <p class="hint" role="status">
        {t.inbox.summary(count)}
      </p>
      {inboxOffline.value && <p class="hint">{t.inbox.offline}</p>}
      {count > 0 && (
        <div class="actions">
          <button type="button" onClick={() => void markRead("all")}>
            {t.inbox.markAll}
          </button>
        </div>
      )}
      {list.length === 0 ? (
        <p class="empty">{t.inbox.empty}</p>
      ) : (
        <ul class="agenda inbox">
          {list.map(n => (
            <Entry key={n.id} notice={n} />
          ))}
        </ul>
      )}
    </Screen>
  )
}
