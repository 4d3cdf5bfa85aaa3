// What the phone remembers of the tickets it has seen: each one's number, and the names of the
// people who wrote to them. The agenda lists only open cases the user still holds, so a case that
// left it (closed, or reassigned to someone else while this phone still has its document) would
// otherwise show «Sin número aún» and user ids. Numbers and names come from every agenda the
// phone receives and from GET /api/tickets/{id} (its `number` and `people`), and are kept in
// localStorage, so they show offline too.

import { signal } from "@preact/signals"
import { getJson } from "./api"
import type { TicketDoc } from "./schema"

export interface Person {
  id: string
  name: string
}

interface Remembered {
  /** `automerge:` URL → the case number the server gave it. */
  numbers: Record<string, string>
  /** User id → full name. */
  names: Record<string, string>
}

const KEY = "campo.ticketRefs"

function read(): Remembered {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? "null") as Partial<Remembered> | null
    return { numbers: stored?.numbers ?? {}, names: stored?.names ?? {} }
  } catch {
    return { numbers: {}, names: {} }
  }
}

export const remembered = signal<Remembered>(read())

/** Adds numbers and names; writes only when something is new or changed. */
export function remember(numbers: Record<string, string>, people: readonly (Person | null | undefined)[]): void {
  const cur = remembered.value
  let changed = false
  const nextNumbers = { ...cur.numbers }
  for (const [url, number] of Object.entries(numbers)) {
    if (number && nextNumbers[url] !== number) {
      nextNumbers[url] = number
      changed = true
    }
  }
  const nextNames = { ...cur.names }
  for (const p of people) {
    if (p?.id && p.name && nextNames[p.id] !== p.name) {
      nextNames[p.id] = p.name
      changed = true
    }
  }
  if (!changed) return
  remembered.value = { numbers: nextNumbers, names: nextNames }
  try {
    localStorage.setItem(KEY, JSON.stringify(remembered.value))
  } catch {
    // Storage full: the numbers still show this session.
  }
}

/** What an agenda (or a list of tickets) tells: each case's number, requester and assignee. */
export function rememberTickets(
  tickets: readonly { url: string; number: string | null; requester: Person | null; assignee: Person | null }[],
): void {
  const numbers: Record<string, string> = {}
  const people: (Person | null)[] = []
  for (const tk of tickets) {
    if (tk.number) numbers[tk.url] = tk.number
    people.push(tk.requester, tk.assignee)
  }
  remember(numbers, people)
}

/** The case number of the ticket at `url`, if the server ever told this phone. */
export function ticketNumber(url: string): string | null {
  return remembered.value.numbers[url] ?? null
}

/** The names a ticket document carries itself: its requester and every assignee. */
export function namesInDoc(doc: TicketDoc): Map<string, string> {
  const names = new Map<string, string>()
  names.set(String(doc.request.requester.id), String(doc.request.requester.name))
  for (const e of doc.events) {
    const a = e.data?.assignee
    if (a?.name) names.set(String(a.id), String(a.name))
  }
  return names
}

/** A user's name: from the document, else remembered; null when this phone never learnt it. */
export function personName(id: string, doc?: TicketDoc | null): string | null {
  const key = String(id)
  return (doc ? namesInDoc(doc).get(key) : undefined) ?? remembered.value.names[key] ?? null
}

/** Whether the phone lacks the number of `url` or a name of someone who wrote to `doc`. */
export function missingRefs(url: string, doc: TicketDoc | null): boolean {
  if (!ticketNumber(url)) return true
  if (!doc) return false
  const ids = [...doc.events.map(e => e.author), ...doc.comments.map(c => c.author), ...doc.visits.map(v => v.technician)]
  return ids.some(id => personName(String(id), doc) === null)
}

const asked = new Set<string>()

/**
 * Asks the server once per session for a ticket's number and people (GET /api/tickets/{id}) when
 * the phone lacks them. Offline, or for a case this user may no longer read (reassigned), it
 * quietly keeps what it remembers.
 */
export async function learnTicket(id: string, doc: TicketDoc | null): Promise<void> {
  const url = `automerge:${id}`
  if (asked.has(id) || !missingRefs(url, doc)) return
  asked.add(id)
  try {
    const detail = await getJson<{ url: string; number: string; people?: Person[] }>(`/api/tickets/${id}`)
    remember({ [url]: detail.number }, detail.people ?? [])
  } catch {
    asked.delete(id) // offline or refused: try again on a later visit to the screen
  }
}
