// Who is using the phone. Logging in needs the server; afterwards an *offline grant* kept in
// localStorage lets the app open without a connection until it expires (the server's absolute
// session length). Every online contact re-checks the session with GET /api/me: a valid one
// renews the grant, a 401 ends it (the local data stays; the user logs in again to sync it).

import { signal } from "@preact/signals"
import { ApiError, getJson, postJson } from "./api"
import type { Role } from "./schema"

export interface User {
  id: string
  username: string
  full_name: string
  role: Role
  dependencia: string | null
}

export interface Grant {
  user: User
  grantedAt: number
  expiresAt: number
}

const GRANT_KEY = "campo.grant"
/** The server ends a session after 7 days however it is used; the grant never outlives that. */
export const GRANT_MS = 7 * 24 * 3600_000

export function readGrant(storage: Storage, now: number): Grant | null {
  try {
    const grant = JSON.parse(storage.getItem(GRANT_KEY) ?? "null") as Grant | null
    if (!grant || typeof grant.expiresAt !== "number" || grant.expiresAt <= now) return null
    return grant
  } catch {
    return null
  }
}

function writeGrant(user: User, now: number): Grant {
  const previous = readGrant(localStorage, now)
  // Renewing keeps the original expiry: the server session does not outlive its absolute limit.
  const sameUser = previous?.user.id === user.id
  const grant: Grant = {
    user,
    grantedAt: sameUser ? previous.grantedAt : now,
    expiresAt: sameUser ? previous.expiresAt : now + GRANT_MS,
  }
  localStorage.setItem(GRANT_KEY, JSON.stringify(grant))
  return grant
}

export const grant = signal<Grant | null>(readGrant(localStorage, Date.now()))
/** Set when the server said the session ended: the user must log in again to sync. */
export const sessionExpired = signal(false)

export function currentUser(): User {
  const g = grant.value
  if (!g) throw new Error("no user")
  return g.user
}

/** The id of the last user who logged in on this phone (kept after logout). */
export function lastUserId(): string | null {
  return localStorage.getItem("campo.lastUser")
}

export async function login(username: string, password: string): Promise<User> {
  const user = await postJson<User>("/api/login", { username, password })
  // A fresh login starts a fresh server session: the grant's clock starts again.
  localStorage.removeItem(GRANT_KEY)
  localStorage.setItem("campo.lastUser", user.id)
  grant.value = writeGrant(user, Date.now())
  sessionExpired.value = false
  return user
}

/** Re-checks the session with the server; quietly does nothing when offline. */
export async function recheck(): Promise<void> {
  try {
    const user = await getJson<User>("/api/me")
    grant.value = writeGrant(user, Date.now())
    sessionExpired.value = false
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) sessionExpired.value = true
  }
}

export async function logout(): Promise<void> {
  try {
    await postJson("/api/logout", {})
  } catch {
    // Offline: the server session expires by itself.
  }
  localStorage.removeItem(GRANT_KEY)
  grant.value = null
}
