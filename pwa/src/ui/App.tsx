import { useRegisterSW } from "virtual:pwa-register/preact"
import { useState } from "preact/hooks"
import { exportUnsynced, endSession, hasUnsyncedWork } from "../app"
import { t } from "../es"
import { pendingPhotos, refusedPhotos } from "../photoService"
import type { Role } from "../schema"
import { unreadCount } from "../inbox"
import { grant } from "../session"
import { pendingChanges } from "../sync"
import { bogotaDay, formatDate } from "../time"
import { AgendaView } from "./AgendaView"
import { ReportView, SurveyView } from "./CloseViews"
import { RemoteResolutionView, ReturnView } from "./CustodyViews"
import { EquipmentView } from "./EquipmentView"
import { InboxView } from "./InboxView"
import { Login } from "./Login"
import { NewRequestView } from "./NewRequestView"
import { BoardView } from "./office/BoardView"
import { IntakeView } from "./office/IntakeView"
import { MonthlyReportView } from "./office/MonthlyReportView"
import { MyRequestsView } from "./office/MyRequestsView"
import { RequestFormView } from "./office/RequestFormView"
import { RequestView } from "./office/RequestView"
import { SettingsView } from "./office/SettingsView"
import { OutboxView } from "./OutboxView"
import { go, path, route } from "./router"
import { ScanView } from "./ScanView"
import { StatusBar } from "./StatusBar"
import { TicketView } from "./TicketView"
import { VisitView } from "./VisitView"

function UpdatePrompt() {
  const {
    needRefresh: [needRefresh, setNeedRefresh],
    updateServiceWorker,
  } = useRegisterSW()
  if (!needRefresh) return null
  return (
    <div class="update" role="alert">
      <span>{t.update.ready}</span>
      <button type="button" onClick={() => void updateServiceWorker(true)}>
        {t.update.reload}
      </button>
      <button type="button" onClick={() => setNeedRefresh(false)}>
        {t.update.later}
      </button>
    </div>
  )
}

function Logout() {
  const [warning, setWarning] = useState(false)
  async function download() {
    const blob = await exportUnsynced()
    const a = document.createElement("a")
    a.href = URL.createObjectURL(blob)
    a.download = `campo-copia-${bogotaDay(Date.now())}.json`
    a.click()
  }
  if (warning)
    return (
      <div class="warning" role="alert">
        <p>{t.logout.unsynced(t.sync.pending(pendingChanges.value, pendingPhotos.value + refusedPhotos.value))}</p>
        <button type="button" onClick={() => void download()}>
          {t.logout.export}
        </button>
        <button type="button" class="danger" onClick={() => void endSession()}>
          {t.logout.insist}
        </button>
        <button type="button" onClick={() => setWarning(false)}>
          {t.cancel}
        </button>
      </div>
    )
  return (
    <button type="button" class="logout" onClick={() => (hasUnsyncedWork() ? setWarning(true) : void endSession())}>
      {t.logout.button}
    </button>
  )
}

/** The inbox's path: its link in the navigation carries the unread count. */
const INBOX = "/avisos"

/** The sections each role reaches from every screen; the first is its home. */
const SECTIONS: Record<Role, readonly (readonly [string, string])[]> = {
  funcionario: [
    ["/", t.nav.myRequests],
    ["/solicitar", t.nav.request],
    [INBOX, t.nav.inbox],
  ],
  tecnico: [
    ["/", t.nav.agenda],
    [INBOX, t.nav.inbox],
  ],
  contratista: [
    ["/", t.nav.agenda],
    [INBOX, t.nav.inbox],
  ],
  coordinador: [
    ["/", t.nav.board],
    ["/recepcion", t.nav.intake],
    ["/informe", t.nav.monthly],
    ["/ajustes", t.nav.settings],
    ["/agenda", t.nav.agenda],
    [INBOX, t.nav.inbox],
  ],
}

function Nav(props: { role: Role; current: string }) {
  const sections = SECTIONS[props.role]
  if (sections.length < 2) return null
  const here = props.current.split("?")[0]
  const unread = unreadCount.value
  return (
    <nav class="nav" aria-label={t.nav.label}>
      {sections.map(([to, label]) => (
        <a
          key={to}
          href={to}
          aria-current={here === to ? "page" : undefined}
          onClick={e => {
            e.preventDefault()
            go(to)
          }}
        >
          {label}
          {to === INBOX && unread > 0 && (
            <>
              {" "}
              <span class="unread-count">{unread}</span>
              <span class="visually-hidden"> {t.nav.inboxUnread}</span>
            </>
          )}
        </a>
      ))}
    </nav>
  )
}

/** The home screen of each role. */
function Home(props: { role: Role }) {
  if (props.role === "funcionario") return <MyRequestsView />
  if (props.role === "coordinador") return <BoardView />
  return <AgendaView />
}

export function App() {
  const g = grant.value
  const r = route(path.value)
  const loggedIn = g !== null
  let screen
  if (!loggedIn || r.name === "login") screen = <Login />
  else
    switch (r.name) {
      case "home":
      case "notFound":
        screen = <Home role={g.user.role} />
        break
      case "agenda":
        screen = <AgendaView />
        break
      case "request":
        screen = <RequestFormView />
        break
      case "board":
        screen = <BoardView />
        break
      case "intake":
        screen = <IntakeView />
        break
      case "settings":
        screen = <SettingsView />
        break
      case "monthly":
        screen = <MonthlyReportView />
        break
      case "outbox":
        screen = <OutboxView />
        break
      case "inbox":
        screen = <InboxView />
        break
      case "ticket":
        // An official follows its own request; the field roles and coordinators work on it.
        screen =
          g.user.role === "funcionario" ? <RequestView key={r.id} id={r.id} /> : <TicketView key={r.id} id={r.id} />
        break
      case "visit":
        screen = <VisitView key={r.id} id={r.id} />
        break
      case "report":
        screen = <ReportView key={r.id} id={r.id} />
        break
      case "survey":
        screen = <SurveyView key={r.id} id={r.id} />
        break
      case "return":
        screen = <ReturnView key={r.id} id={r.id} />
        break
      case "remote":
        screen = <RemoteResolutionView key={r.id} id={r.id} />
        break
      case "scan":
        screen = <ScanView ticket={r.ticket} />
        break
      case "new":
        screen = <NewRequestView />
        break
      case "equipment":
        screen = <EquipmentView code={r.code} />
        break
    }
  return (
    <>
      {loggedIn && <StatusBar />}
      {loggedIn && <Nav role={g.user.role} current={path.value} />}
      <UpdatePrompt />
      {screen}
      {loggedIn && (
        <footer class="foot">
          <span>
            {g.user.full_name} · {t.sync.offlineGrant(formatDate(g.expiresAt))}
          </span>
          <Logout />
        </footer>
      )}
    </>
  )
}
