// The office's REST calls (coordinators' screens): JSON in and out, and the server's Spanish
// error with the message of each refused field, so a form can mark them.

import { ApiError, getJson } from "./api"
import type { Channel, Mode, Priority, Role } from "./schema"
import { t } from "./es"

export class FormError extends ApiError {
  constructor(
    status: number,
    message: string,
    /** Field name → the server's message for it. */
    readonly fields: Record<string, string>,
  ) {
    super(status, message)
  }
}

/** Sends `body` as JSON; throws FormError with the server's messages, or a network FormError. */
export async function send<T>(method: "POST" | "PUT" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<T> {
  let response: Response
  try {
    response = await fetch(path, {
      method,
      credentials: "same-origin",
      ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    })
  } catch {
    throw new FormError(0, t.errors.network, {})
  }
  if (response.status === 204) return undefined as T
  if (response.ok) return (await response.json()) as T
  let message = `Error ${response.status}`
  const fields: Record<string, string> = {}
  try {
    const parsed = (await response.json()) as {
      error?: { message?: string; fields?: { field: string; message: string }[] }
    }
    if (parsed.error?.message) message = parsed.error.message
    for (const f of parsed.error?.fields ?? []) fields[f.field] ??= f.message
  } catch {
    // Not JSON: keep the status.
  }
  throw new FormError(response.status, message, fields)
}

/** A readable Spanish message for any failure of a call. */
export function messageOf(err: unknown): string {
  if (err instanceof FormError) {
    // A validation error names its fields; say what is wrong rather than "revise los datos".
    const details = Object.values(err.fields)
    return details.length > 0 ? details.map(capitalise).join(" ") : err.message
  }
  if (err instanceof ApiError) return err.message
  return t.errors.network
}

function capitalise(text: string): string {
  const s = text.trim()
  const first = s.charAt(0).toUpperCase() + s.slice(1)
  return /[.!?]$/.test(first) ? first : `${first}.`
}

export interface UserView {
  id: string
  username: string
  full_name: string
  role: Role
  role_label: string
  dependencia: string | null
  email: string | null
  /** The identity document number (cédula), by which the intranet may name the official. */
  document?: string | null
  active: boolean
  /** An account of the office's directory: its password is the directory's, not Campo's. */
  directory?: boolean
}

export function listUsers(role?: Role): Promise<UserView[]> {
  return getJson<UserView[]>(role ? `/api/users?role=${role}` : "/api/users")
}

/** One row of a users CSV: the account as the import leaves it (POST /api/users/import). */
export interface UserImportRow {
  /** The line of the file (1 is the header). */
  line: number
  username: string
  full_name: string
  role: Role
  role_label: string
  dependencia: string | null
  email: string | null
  document: string | null
  action: "crear" | "actualizar"
}

export interface UserImport {
  rows: UserImportRow[]
  created: number
  updated: number
  dry_run: boolean
}

/** A refused CSV: the server's summary and the error of each line (the first 100). */
export class CsvError extends ApiError {
  constructor(
    status: number,
    message: string,
    readonly lines: { line: number; message: string }[],
  ) {
    super(status, message)
  }
}

/**
 * Sends a users CSV as it is: with `dryRun`, what importing it would do (nothing is written);
 * without, the import itself. Throws CsvError when the file has errors (nothing was imported),
 * FormError for any other refusal or a network failure.
 */
export async function importUsers(file: Blob, dryRun: boolean, fetchFn: typeof fetch = fetch): Promise<UserImport> {
  let response: Response
  try {
    response = await fetchFn(`/api/users/import${dryRun ? "?dry_run=true" : ""}`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "text/csv; charset=utf-8" },
      body: file,
    })
  } catch {
    throw new FormError(0, t.errors.network, {})
  }
  if (response.ok) return (await response.json()) as UserImport
  let message = `Error ${response.status}`
  let lines: { line: number; message: string }[] | undefined
  try {
    const parsed = (await response.json()) as { error?: { message?: string; lines?: { line: number; message: string }[] } }
    if (parsed.error?.message) message = parsed.error.message
    lines = parsed.error?.lines
  } catch {
    // Not JSON: keep the status.
  }
  if (lines) throw new CsvError(response.status, message, lines)
  throw new FormError(response.status, message, {})
}

/** A workflow action of the coordinator (POST /api/tickets/{id}/actions). */
export interface Action {
  action: "aceptada" | "priorizada" | "asignada" | "resuelta_telefono" | "equipo_devuelto" | "anulada" | "reabierta" | "duplicada"
  priority?: Priority
  mode?: Mode
  assignee_id?: string
  reason?: string
  duplicate_of?: string
  /** `equipo_devuelto`: the equipment's condition on return. */
  condition?: string
  /** `resuelta_telefono` while the equipment is out: why the case is resolved before its return. */
  equipment_out_reason?: string
}

export function act<T>(ticketId: string, action: Action): Promise<T> {
  return send<T>("POST", `/api/tickets/${encodeURIComponent(ticketId)}/actions`, action)
}

/** Names the official of a request that arrived «por identificar» (an unknown e-mail sender). */
export function identifyRequester<T>(ticketId: string, requesterId: string): Promise<T> {
  return send<T>("PUT", `/api/tickets/${encodeURIComponent(ticketId)}/requester`, { requester_id: requesterId })
}

export interface NewTicket {
  requester_id: string
  channel: Channel
  external_ref: string
  dependencia: string
  location: string
  phone_extension: string
  category: string
  description: string
  equipment: string[]
}

export function createTicket(body: NewTicket): Promise<{ id: string; url: string; number: string }> {
  return send("POST", "/api/tickets", body)
}
