// What the official's screens show of one request: the server's agenda entry, overridden by the
// ticket document on the phone when it is there (it may know more, e.g. a change not yet listed).

import type { AgendaTicket } from "../../agenda"
import type { OfficeTicket, StatusFacts } from "../../office"
import { peopleOf } from "../../office"
import { fold, type TicketDoc } from "../../schema"
import { loadedTicket, pendingByDoc, plainDoc } from "../../sync"

export interface RequestFacts extends StatusFacts {
  doc: TicketDoc | null
  /** Changes made here that the server has not acknowledged yet. */
  pending: number
}

export function requestFacts(tk: AgendaTicket | undefined, url: string, doc?: TicketDoc | null): RequestFacts {
  const info = tk as OfficeTicket | undefined
  const d = doc !== undefined ? doc : plainDoc(loadedTicket(url))
  const f = d ? fold(d.events) : null
  const assigneeId = f?.assignee?.id ?? info?.assignee?.id ?? null
  const assignee =
    (assigneeId && d ? peopleOf(d).get(assigneeId) : undefined) || f?.assignee?.name || info?.assignee?.name || null
  return {
    doc: d,
    state: f?.state ?? info?.state ?? "registrada",
    assignee,
    nextVisitAt: f ? f.nextVisitAt : (info?.next_visit_at ?? null),
    surveyAnswered: d ? d.survey != null : false,
    pending: pendingByDoc.value[url] ?? 0,
  }
}
