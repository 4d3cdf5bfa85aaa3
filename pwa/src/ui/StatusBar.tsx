// The sync status, always visible at the top of every screen; it opens the outbox.

import { t } from "../es"
import { failedPhotos, pendingPhotos, refusedPhotos } from "../photoService"
import { sessionExpired } from "../session"
import { connected, docNotices, firstConnect, pendingChanges, refusedDocs, unknownDocs } from "../sync"
import { syncView } from "../syncStatus"
import { go } from "./router"

export function StatusBar() {
  const view = syncView({
    connected: connected.value,
    // Right after login the socket is still opening: not «Sin conexión» unless the browser knows.
    connecting: firstConnect.value && navigator.onLine !== false,
    pendingChanges: pendingChanges.value,
    pendingPhotos: pendingPhotos.value,
    failedPhotos: failedPhotos.value,
    unknownDocs: unknownDocs.value,
    refusedDocs: Object.keys(refusedDocs.value).length,
    refusedPhotos: refusedPhotos.value,
    notices: Object.keys(docNotices.value).length,
  })
  return (
    <div class={`status status-${view.kind}`} role="status" aria-live="polite" data-sync={view.kind}>
      <strong class="status-label">{view.label}</strong>
      <span class="status-detail">{view.detail}</span>
      <a
        class="status-open"
        href="/pendientes"
        onClick={e => {
          e.preventDefault()
          go("/pendientes")
        }}
      >
        {t.sync.open}
      </a>
      {sessionExpired.value && (
        <button type="button" class="status-login" onClick={() => go("/ingresar")}>
          {t.login.expired}
        </button>
      )}
    </div>
  )
}
