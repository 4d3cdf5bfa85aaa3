// The PWA's domain against campo-shared's: the enumerations the types are built from must list
// what `domain.json` (generated from Rust) lists, and the fold must give, for every shared vector
// (made by campo-shared's own fold), what Rust gives. When a rule changes in Rust, regenerate both
// files (`CAMPO_WRITE_DOMAIN=1 cargo test -p campo-shared domain`) and these tests say whether
// the PWA follows.

import { describe, expect, it } from "vitest"
import domain from "../src/domain.json"
import {
  CHANNELS,
  EVENT_KINDS,
  MODES,
  OUTCOMES,
  PRIORITIES,
  ROLES,
  STATES,
  type TicketEvent,
  fold,
} from "../src/schema"
import vectors from "./fold-vectors.json"
import { t } from "../src/es"

describe("the domain of campo-shared", () => {
  it("lists the same roles, channels, modes, outcomes, priorities, event kinds and states", () => {
    expect([...ROLES]).toEqual(domain.roles)
    expect([...CHANNELS]).toEqual(domain.channels)
    expect([...MODES]).toEqual(domain.modes)
    expect([...OUTCOMES]).toEqual(domain.outcomes)
    expect([...PRIORITIES]).toEqual(domain.priorities)
    // In the same order: the fold breaks ties between kinds by it.
    expect([...EVENT_KINDS]).toEqual(domain.event_kinds)
    expect([...STATES]).toEqual(domain.states)
  })

  it("asks the survey with the questions and the 1–5 words the monthly report uses", () => {
    expect(t.survey.scale).toEqual(["Muy malo", "Malo", "Regular", "Bueno", "Muy bueno"])
    expect(t.survey.scale).toEqual(domain.survey.scale)
    expect(Object.values(t.survey.questions)).toEqual(domain.survey.questions)
    // As the exports' note under the satisfaction tables says it.
    expect(t.monthly.scale(domain.survey.scale)).toBe(
      "Escala: 1 = Muy malo, 2 = Malo, 3 = Regular, 4 = Bueno, 5 = Muy bueno.",
    )
  })
})

interface Vector {
  name: string
  events: TicketEvent[]
  expected: {
    state: string
    flagged: string[]
    no_longer_assigned: string[]
    priority: string | null
    mode: string | null
    assignee: string | null
    open_visit: string | null
    next_visit_at: number | null
    last_event_at: number | null
  }
}

describe("the fold, on the vectors folded by campo-shared", () => {
  it("has vectors to check", () => {
    expect((vectors as Vector[]).length).toBeGreaterThan(50)
  })

  for (const v of vectors as Vector[]) {
    it(v.name, () => {
      const f = fold(v.events)
      expect({
        state: f.state,
        flagged: f.flagged,
        no_longer_assigned: f.noLongerAssigned,
        priority: f.priority,
        mode: f.mode,
        assignee: f.assignee?.id ?? null,
        open_visit: f.openVisit,
        next_visit_at: f.nextVisitAt,
        last_event_at: f.lastEventAt,
      }).toEqual(v.expected)
    })
  }
})
