// The monthly report (activity 11), for coordinators: pick a month or a range of days and the
// filters, read the general figures against the previous period, the charts and the detail, and
// download the same report as PDF, XLSX or CSV. The period and filters live in the address
// (`/informe?month=2026-10&dependencia=HACIENDA`), so Back, bookmarks and shared links work.

import type { ComponentChildren } from "preact"
import { useEffect, useState } from "preact/hooks"
import { ApiError, getJson } from "../../api"
import { categories, channelLabel, priorityLabel, t } from "../../es"
import {
  formatChange,
  formatNumber,
  formatPercent,
  formatReportTime,
  paramsFromSearch,
  periodEnd,
  periodError,
  reportQuery,
  type Breakdown,
  type GeneralReport,
  type Headline,
  type MonthlyReport,
  type ReportParams,
  type ResolutionMode,
  type SatisfactionGroup,
} from "../../report"
import { go, path } from "../router"

/** Detail rows shown at first, and added by each "Mostrar más". */
const PAGE = 100

interface Person {
  id: string
  full_name: string
  role: string
}

interface Options {
  dependencias: { code: string; name: string }[]
  people: { id: string; label: string }[]
}

type Load =
  | { status: "idle" }
  | { status: "loading"; query: string }
  | { status: "done"; query: string; report: MonthlyReport }
  | { status: "failed"; query: string; message: string }

function failure(err: unknown): string {
  if (err instanceof ApiError) return err.message
  if (err instanceof TypeError) return t.errors.network
  return t.errors.generic
}

/** The dependencias and the technicians and contractors, for the filters. */
function useOptions(): Options {
  const [options, setOptions] = useState<Options>({ dependencias: [], people: [] })
  useEffect(() => {
    let live = true
    void Promise.all([
      getJson<{ code: string; name: string }[]>("/api/dependencias").catch(() => []),
      getJson<Person[]>("/api/users").catch(() => []),
    ]).then(([dependencias, users]) => {
      if (!live) return
      const people = users
        .filter(u => u.role === "tecnico" || u.role === "contratista")
        .map(u => ({ id: u.id, label: u.role === "contratista" ? t.monthly.contractor(u.full_name) : u.full_name }))
        .sort((a, b) => a.label.localeCompare(b.label, "es"))
      setOptions({ dependencias, people })
    })
    return () => {
      live = false
    }
  }, [])
  return options
}

function Select(props: {
  label: string
  value: string
  any: string
  options: readonly (readonly [string, string])[]
  onChange: (value: string) => void
}) {
  return (
    <label class="field">
      <span class="label">{props.label}</span>
      <select value={props.value} onChange={e => props.onChange((e.target as HTMLSelectElement).value)}>
        <option value="">{props.any}</option>
        {props.options.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
    </label>
  )
}

function PeriodForm(props: {
  params: ReportParams
  options: Options
  knownCategories: string[]
  error: string | null
  onSubmit: (params: ReportParams) => void
}) {
  const [form, setForm] = useState(props.params)
  // A new address (Back, a link) shows its own period and filters.
  useEffect(() => setForm(props.params), [reportQuery(props.params)])
  const set = (change: Partial<ReportParams>) => setForm(f => ({ ...f, ...change }))
  const categoryOptions = [...new Set([...categories, ...props.knownCategories, form.category].filter(c => c !== ""))]
    .sort((a, b) => a.localeCompare(b, "es"))
    .map(c => [c, c] as const)
  return (
    <form
      class="report-form"
      noValidate
      onSubmit={e => {
        e.preventDefault()
        props.onSubmit(form)
      }}
    >
      <fieldset class="field">
        <legend class="label">{t.monthly.period}</legend>
        <div class="report-modes">
          <label class="radio">
            <input type="radio" name="mode" checked={form.mode === "month"} onChange={() => set({ mode: "month" })} />
            {t.monthly.byMonth}
          </label>
          <label class="radio">
            <input type="radio" name="mode" checked={form.mode === "range"} onChange={() => set({ mode: "range" })} />
            {t.monthly.byRange}
          </label>
        </div>
        {form.mode === "month" ? (
          <label class="field">
            <span class="label">{t.monthly.month}</span>
            <input
              type="month"
              name="month"
              value={form.month}
              onInput={e => set({ month: (e.target as HTMLInputElement).value })}
            />
          </label>
        ) : (
          <div class="report-range">
            <label class="field">
              <span class="label">{t.monthly.from}</span>
              <input type="date" name="from" value={form.from} onInput={e => set({ from: (e.target as HTMLInputElement).value })} />
            </label>
            <label class="field">
              <span class="label">{t.monthly.to}</span>
              <input type="date" name="to" value={form.to} onInput={e => set({ to: (e.target as HTMLInputElement).value })} />
            </label>
          </div>
        )}
      </fieldset>
      <fieldset class="field report-filters">
        <legend class="label">{t.monthly.filters}</legend>
        <Select
          label={t.monthly.dependencia}
          value={form.dependencia}
          any={t.monthly.any}
          options={props.options.dependencias.map(d => [d.code, d.name] as const)}
          onChange={dependencia => set({ dependencia })}
        />
        <Select
          label={t.monthly.category}
          value={form.category}
          any={t.monthly.any}
          options={categoryOptions}
          onChange={category => set({ category })}
        />
        <Select
          label={t.monthly.channel}
          value={form.channel}
          any={t.monthly.anyone}
          options={Object.entries(channelLabel)}
          onChange={channel => set({ channel })}
        />
        <Select
          label={t.monthly.assignee}
          value={form.assignee}
          any={t.monthly.anyone}
          options={props.options.people.map(p => [p.id, p.label] as const)}
          onChange={assignee => set({ assignee })}
        />
        <Select
          label={t.monthly.priority}
          value={form.priority}
          any={t.monthly.any}
          options={Object.entries(priorityLabel)}
          onChange={priority => set({ priority })}
        />
      </fieldset>
      {props.error && (
        <p class="error" role="alert">
          {props.error}
        </p>
      )}
      <div class="actions">
        <button type="submit" class="primary">
          {t.monthly.show}
        </button>
      </div>
    </form>
  )
}

function Section(props: { title: string; wide?: boolean; children: ComponentChildren }) {
  return (
    <section class={`report-section${props.wide ? " wide" : ""}`}>
      <h2>{props.title}</h2>
      {props.children}
    </section>
  )
}

/** A table that scrolls sideways on a narrow screen instead of widening the page. Columns from
 * `numbersFrom` on hold numbers (aligned right). */
function Table(props: { class?: string; head: readonly string[]; numbersFrom?: number; children: ComponentChildren }) {
  const numbersFrom = props.numbersFrom ?? 1
  return (
    <div class="table-wrap">
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

function Num(props: { children: string }) {
  return <td class="num">{props.children}</td>
}

function HeadlineTable(props: { general: GeneralReport }) {
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

function BreakdownTable(props: { title: string; column: string; rows: Breakdown[] }) {
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

function SatisfactionTable(props: { title: string; groups: SatisfactionGroup[]; questions: string[] }) {
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

function svgImage(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`
}

function Detail(props: { report: MonthlyReport }) {
  const rows = props.report.detail
  const [shown, setShown] = useState(PAGE)
  const c = t.monthly.columns
  const visible = rows.slice(0, shown)
  return (
    <Section title={t.monthly.detail} wide>
      <p class="hint">{t.monthly.detailCount(visible.length, rows.length)}</p>
      {rows.length > 0 && (
        <Table
          class="report-detail"
          numbersFrom={Infinity}
          head={[
            c.number,
            c.created,
            c.requester,
            c.dependencia,
            c.equipment,
            c.category,
            c.channel,
            c.priority,
            c.assignee,
            c.state,
            c.visits,
            c.resolved,
            c.resolution,
            c.responseSla,
            c.resolutionSla,
            c.hours,
            c.survey,
          ]}
        >
          {visible.map(r => (
            <tr key={r.number}>
              <th scope="row">{r.number}</th>
              <td>{formatReportTime(r.created_at)}</td>
              <td>{r.requester}</td>
              <td>{r.dependencia}</td>
              <td>{r.equipment}</td>
              <td>{r.category}</td>
              <td>{r.channel}</td>
              <td>{r.priority}</td>
              <td>{r.assignee}</td>
              <td>{r.state}</td>
              <Num>{r.absent_visits > 0 ? `${formatNumber(r.visits)} (${formatNumber(r.absent_visits)})` : formatNumber(r.visits)}</Num>
              <td>{formatReportTime(r.resolved_at)}</td>
              <td>{r.resolution}</td>
              <td class={`sla-${r.response_sla}`}>{t.monthly.slaOutcome[r.response_sla]}</td>
              <td class={`sla-${r.resolution_sla}`}>{t.monthly.slaOutcome[r.resolution_sla]}</td>
              <Num>{formatNumber(r.resolution_hours, 1)}</Num>
              <td>{r.survey.some(a => a !== null) ? r.survey.map(a => formatNumber(a)).join(" · ") : ""}</td>
            </tr>
          ))}
        </Table>
      )}
      {shown < rows.length && (
        <div class="actions">
          <button type="button" onClick={() => setShown(shown + PAGE)}>
            {t.monthly.showMore}
          </button>
        </div>
      )}
    </Section>
  )
}

function Report(props: { report: MonthlyReport; query: string }) {
  const { report, query } = props
  const g = report.general
  const modes: ResolutionMode[] = ["phone", "on_site", "workshop", "contractor"]
  const unfinished = g.as_of < periodEnd(g.period)
  const overall = g.satisfaction.overall
  return (
    <div class="report-body">
      <header class="report-summary">
        <h2>{g.period.label}</h2>
        <p class="meta">
          {report.organisation} · {report.generated}
        </p>
        {report.filters && <p class="meta">{t.monthly.filtered(report.filters)}</p>}
        {unfinished && <p class="hint">{t.monthly.unfinished(formatReportTime(g.as_of))}</p>}
        <nav class="report-downloads" aria-label={t.monthly.downloads}>
          <span class="label">{t.monthly.downloads}:</span>
          <a class="button" href={`/api/reports/monthly.pdf?${query}`} download>
            {t.monthly.pdf}
          </a>
          <a class="button" href={`/api/reports/monthly.xlsx?${query}`} download>
            {t.monthly.xlsx}
          </a>
          <a class="button" href={`/api/reports/monthly.csv?${query}`} download>
            {t.monthly.csvDetail}
          </a>
          <a class="button" href={`/api/reports/monthly.csv?${query}&tabla=general`} download>
            {t.monthly.csvGeneral}
          </a>
        </nav>
      </header>

      <div class="report-grid">
        <Section title={t.monthly.general} wide>
          <HeadlineTable general={g} />
        </Section>

        <Section title={t.monthly.charts} wide>
          <div class="report-charts">
            {report.charts.map(c => (
              <figure key={c.name} class="report-chart">
                <img src={svgImage(c.svg)} alt={c.title} />
                <figcaption>
                  <a href={c.url} target="_blank" rel="noopener">
                    {t.monthly.openChart}
                  </a>
                </figcaption>
              </figure>
            ))}
          </div>
        </Section>

        <BreakdownTable title={t.monthly.byDependencia} column={t.monthly.dependencia} rows={g.by_dependencia} />
        <BreakdownTable title={t.monthly.byCategory} column={t.monthly.category} rows={g.by_category} />
        <BreakdownTable title={t.monthly.byChannel} column={t.monthly.channel} rows={g.by_channel} />
        <BreakdownTable title={t.monthly.byPriority} column={t.monthly.priority} rows={g.by_priority} />
        <BreakdownTable title={t.monthly.byAssignee} column={t.monthly.assignee} rows={g.by_assignee} />

        <Section title={t.monthly.modes}>
          <Table class="report-modes-table" head={[t.monthly.mode, t.monthly.tickets]}>
            {modes.map(m => (
              <tr key={m}>
                <th scope="row">{t.monthly.modeLabels[m]}</th>
                <Num>{formatNumber(g.resolution_modes[m])}</Num>
              </tr>
            ))}
          </Table>
        </Section>

        <Section title={t.monthly.sla} wide>
          <Table
            class="report-sla"
            head={[
              t.monthly.slaKind,
              t.monthly.onTime,
              t.monthly.late,
              t.monthly.rate,
              t.monthly.overdueOpen,
              t.monthly.average,
              t.monthly.median,
            ]}
          >
            {(["response", "resolution"] as const).map(kind => (
              <tr key={kind}>
                <th scope="row">{t.monthly[kind]}</th>
                <Num>{formatNumber(g.sla[kind].on_time)}</Num>
                <Num>{formatNumber(g.sla[kind].late)}</Num>
                <Num>{formatPercent(g.sla[kind].rate)}</Num>
                <Num>{formatNumber(g.sla[kind].overdue_open)}</Num>
                <Num>{formatNumber(g.times[kind].average_hours, 1)}</Num>
                <Num>{formatNumber(g.times[kind].median_hours, 1)}</Num>
              </tr>
            ))}
          </Table>
          <p class="hint">{t.monthly.slaNote}</p>
        </Section>

        <Section title={t.monthly.fieldWork}>
          <Table class="report-field" head={[t.monthly.figure, t.monthly.count]}>
            {(
              [
                [t.monthly.visits, g.visits.total],
                [t.monthly.absentVisits, g.visits.absent],
                [t.monthly.revisits, g.visits.revisits],
                [t.monthly.workshopSends, g.equipment.workshop_sends],
                [t.monthly.contractorSends, g.equipment.contractor_sends],
                [t.monthly.returns, g.equipment.returns],
              ] as const
            ).map(([label, n]) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                <Num>{formatNumber(n)}</Num>
              </tr>
            ))}
          </Table>
        </Section>

        <Section title={t.monthly.satisfaction}>
          <p>{t.monthly.answered(overall.answered, overall.eligible, formatPercent(overall.response_rate))}</p>
          <Table class="report-questions" head={[t.monthly.question, t.monthly.answers]}>
            {g.satisfaction.questions.map((q, i) => (
              <tr key={i}>
                <th scope="row">{`P${i + 1}. ${q}`}</th>
                <Num>{formatNumber(overall.averages[i] ?? null, 2)}</Num>
              </tr>
            ))}
            <tr>
              <th scope="row">{t.monthly.overall}</th>
              <Num>{formatNumber(overall.average, 2)}</Num>
            </tr>
          </Table>
        </Section>

        <SatisfactionTable
          title={t.monthly.satisfactionByAssignee}
          groups={g.satisfaction.by_assignee}
          questions={g.satisfaction.questions}
        />
        <SatisfactionTable
          title={t.monthly.satisfactionByDependencia}
          groups={g.satisfaction.by_dependencia}
          questions={g.satisfaction.questions}
        />
      </div>

      <Detail key={query} report={report} />
    </div>
  )
}

export function MonthlyReportView() {
  const search = path.value.split("?")[1] ?? ""
  const params = paramsFromSearch(search, Date.now())
  const query = reportQuery(params)
  const options = useOptions()
  const [load, setLoad] = useState<Load>({ status: "idle" })
  const [formError, setFormError] = useState<string | null>(null)
  // Asking again for the report on screen reads it again (the figures of an open period change).
  const [attempt, setAttempt] = useState(0)

  useEffect(() => {
    const problem = periodError(params)
    if (problem) {
      setLoad({ status: "failed", query, message: problem })
      return
    }
    let live = true
    setLoad({ status: "loading", query })
    getJson<MonthlyReport>(`/api/reports/monthly?${query}`).then(
      report => live && setLoad({ status: "done", query, report }),
      err => live && setLoad({ status: "failed", query, message: failure(err) }),
    )
    return () => {
      live = false
    }
  }, [query, attempt])

  function submit(next: ReportParams) {
    const problem = periodError(next)
    setFormError(problem)
    if (problem) return
    const to = `/informe?${reportQuery(next)}`
    if (to === path.value) setAttempt(attempt + 1)
    else go(to)
  }

  return (
    <main class="screen report-screen">
      <header class="screen-head">
        <h1>{t.monthly.title}</h1>
      </header>
      <PeriodForm
        params={params}
        options={options}
        knownCategories={load.status === "done" ? load.report.general.by_category.map(c => c.key) : []}
        error={formError}
        onSubmit={submit}
      />
      <div aria-live="polite" aria-busy={load.status === "loading"}>
        {load.status === "loading" && <p class="hint">{t.monthly.loading}</p>}
        {load.status === "failed" && (
          <p class="error" role="alert">
            {load.message}
          </p>
        )}
      </div>
      {load.status === "done" && <Report report={load.report} query={load.query} />}
    </main>
  )
}
