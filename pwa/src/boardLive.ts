// The live dispatch board of the coordinator's browser: the snapshot of GET /api/board, kept up to
// date by the Server-Sent Events of /api/board/stream. The browser's EventSource reconnects by
// itself and resends the last event id; the server replays what was missed, or sends `reset`
// (too old, or the server restarted) and the snapshot is read again.

import { signal } from "@preact/signals"
import { getJson } from "./api"
import { type BoardData, type BoardTicket, DEFAULT_TARGETS, type Snapshot, type Targets, applyEvent, fromSnapshot } from "./board"
import { messageOf } from "./officeApi"

export const board = signal<BoardData | null>(null)
/** `live` while the stream is open; `connecting` while the browser (re)connects. */
export const boardLink = signal<"connecting" | "live">("connecting")
/** Why the snapshot could not be read, in Spanish; null when it was. */
export const boardError = signal<string | null>(null)
/** The server's clock minus this browser's (countdowns use the server's time). */
export const clockSkew = signal(0)
/** The SLA policy's targets and pause rule (warnings are a share of the target). */
export const slaPolicy = signal<{ targets: Targets; pause_while_user_absent: boolean }>({
  targets: DEFAULT_TARGETS,
  pause_while_user_absent: true,
})

let started = false
let stream: EventSource | null = null

async function loadSnapshot(): Promise<number | null> {
  try {
    const before = Date.now()
    const s = await getJson<Snapshot>("/api/board")
    clockSkew.value = s.now - Math.round((before + Date.now()) / 2)
    board.value = fromSnapshot(s)
    boardError.value = null
    return s.last_event_id
  } catch (err) {
    boardError.value = messageOf(err)
    return null
  }
}

/** Reads the SLA policy again (after the coordinator changes it). */
export async function loadPolicy(): Promise<void> {
  try {
    const p = await getJson<{ targets: Targets; pause_while_user_absent: boolean }>("/api/settings/sla")
    slaPolicy.value = { targets: p.targets, pause_while_user_absent: p.pause_while_user_absent }
  } catch {
    // Keep the defaults until the next start.
  }
}

function onEvent(kind: string) {
  return (event: Event) => {
    if (!board.value) return
    try {
      board.value = applyEvent(board.value, kind, JSON.parse((event as MessageEvent<string>).data))
    } catch {
      // A malformed event: read the whole board again rather than show it wrong.
      void loadSnapshot()
    }
  }
}

async function connect(): Promise<void> {
  const since = await loadSnapshot()
  if (since === null) {
    setTimeout(() => void connect(), 5_000)
    return
  }
  const source = new EventSource(`/api/board/stream?since=${since}`)
  stream = source
  source.addEventListener("open", () => (boardLink.value = "live"))
  source.addEventListener("ticket", onEvent("ticket"))
  source.addEventListener("contact", onEvent("contact"))
  source.addEventListener("reset", () => void loadSnapshot())
  source.addEventListener("error", () => {
    boardLink.value = "connecting"
    // CONNECTING: the browser retries with Last-Event-ID. CLOSED (the server refused the stream,
    // e.g. a lost session): start over from the snapshot after a pause.
    if (source.readyState === EventSource.CLOSED && stream === source) {
      stream = null
      setTimeout(() => void connect(), 5_000)
    }
  })
}

/** Starts following the board (once per page; the views share it). */
export function followBoard(): void {
  if (started) return
  started = true
  void loadPolicy()
  void connect()
}

/** Puts a ticket row the API returned after an action on the board at once. */
export function showTicket(row: BoardTicket): void {
  if (board.value) board.value = applyEvent(board.value, "ticket", row)
}
