// The monthly report's building blocks: sections, tables that scroll sideways on a phone, and the
// tables of the headline figures, the breakdowns and the satisfaction survey.

import { type ComponentChildren, createContext } from "preact"
import { useContext } from "preact/hooks"
import { t } from "../../es"
import {
  formatChange,
  formatNumber,
  formatPercent,
  type Breakdown,
  type GeneralReport,
  type Headline,
  type SatisfactionGroup,
} from "../../report"

/** The title of the section a table is in: the name of its scroll region. */
const SectionTitle = createContext<string>(t.monthly.title)

export function Section(props: { title: string; wide?: boolean; children: ComponentChildren }) {
  return (
    <section class={`report-section${props.wide ? " wide" : ""}`}>
      <h2>{props.title}</h2>
      <SectionTitle.Provider value={props.title}>{props.children}</SectionTitle.Provider>
    </section>
  )
}

/** A table that scrolls sideways on a narrow screen instead of widening the page; the scrolling
 * region takes the keyboard focus (arrow keys scroll it) and is named after its section, or
 * `label`. Columns from `numbersFrom` on hold numbers (aligned right). */
export function Table(props: {
  class?: string
  label?: string
  head: readonly string[]
  numbersFrom?: number
  children: ComponentChildren
}) {
  const numbersFrom = props.numbersFrom ?? 1
  const section = useContext(SectionTitle)
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={props.label ?? section}>
      <table class={props.class}>
        <thead>
          <tr>
            {props.head.map((h, i) => (
              <th key={i} scope="col" class={i >= numbersFrom ? "num" : undefined}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  )
}

export function Num(props: { children: string }) {
  return <td class="num">{props.children}</td>
}

export function HeadlineTable(props: { general: GeneralReport }) {
  const { headline: now, previous: before } = props.general
  const counts: [string, keyof Headline][] = [
    [t.monthly.received, "received"],
    [t.monthly.resolved, "resolved"],
    [t.monthly.closed, "closed"],
    [t.monthly.cancelled, "cancelled"],
    [t.monthly.openAtEnd, "open_at_end"],
    [t.monthly.carriedOver, "carried_over"],
    [t.monthly.visits, "visits"],
    [t.monthly.absentVisits, "absent_visits"],
  ]
  const rates: [string, keyof Headline, number][] = [
    [t.monthly.responseOnTime, "response_on_time", 1],
    [t.monthly.resolutionOnTime, "resolution_on_time", 1],
    [t.monthly.satisfactionAverage, "satisfaction", 2],
  ]
  return (
    <Table
      class="report-headline"
      head={[t.monthly.figure, props.general.period.label, props.general.previous_period.label, t.monthly.change]}
    >
      {[...counts.map(([label, key]) => [label, key, 0] as const), ...rates].map(([label, key, decimals]) => (
        <tr key={key}>
          <th scope="row">{label}</th>
          <Num>{formatNumber(now[key], decimals)}</Num>
          <Num>{formatNumber(before[key], decimals)}</Num>
          <Num>{formatChange(now[key], before[key], decimals)}</Num>
        </tr>
      ))}
    </Table>
  )
}

export function BreakdownTable(props: { title: string; column: string; rows: Breakdown[] }) {
  return (
    <Section title={props.title}>
      {props.rows.length === 0 ? (
        <p class="empty">{t.monthly.none}</p>
      ) : (
        <Table head={[props.column, t.monthly.receivedShort, t.monthly.resolved, t.monthly.openAtEnd]}>
          {props.rows.map(r => (
            <tr key={r.key}>
              <th scope="row">{r.label}</th>
              <Num>{formatNumber(r.received)}</Num>
              <Num>{formatNumber(r.resolved)}</Num>
              <Num>{formatNumber(r.open_at_end)}</Num>
            </tr>
          ))}
        </Table>
      )}
    </Section>
  )
}

export function SatisfactionTable(props: { title: string; groups: SatisfactionGroup[]; questions: string[] }) {
  return (
    <Section title={props.title} wide>
      {props.groups.length === 0 ? (
        <p class="empty">{t.monthly.none}</p>
      ) : (
        <Table
          head={[
            t.monthly.group,
            t.monthly.eligible,
            t.monthly.surveyed,
            t.monthly.responseRate,
            ...props.questions.map((_, i) => `P${i + 1}`),
            t.monthly.overall,
          ]}
        >
          {props.groups.map(g => (
            <tr key={g.key}>
              <th scope="row">{g.label}</th>
              <Num>{formatNumber(g.eligible)}</Num>
              <Num>{formatNumber(g.answered)}</Num>
              <Num>{formatPercent(g.response_rate)}</Num>
              {g.averages.map((a, i) => (
                <Num key={i}>{formatNumber(a, 2)}</Num>
              ))}
              <Num>{formatNumber(g.average, 2)}</Num>
            </tr>
          ))}
        </Table>
      )}
    </Section>
  )
}

export function svgImage(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`
}

