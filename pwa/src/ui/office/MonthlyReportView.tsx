// The monthly report (activity 11), for coordinators: pick a month or a range of days and the
// filters, read the general figures against the previous period, the charts and the detail, and
// download the same report as PDF, XLSX or CSV. The period and filters live in the address
// (`/informe?month=2026-10&dependencia=HACIENDA`), so Back, bookmarks and shared links work.

import { useEffect, useState } from "preact/hooks"
import { ApiError, getJson } from "../../api"
import { t } from "../../es"
import {
  formatNumber,
  formatPercent,
  formatReportTime,
  paramsFromSearch,
  periodEnd,
  periodError,
  reportQuery,
  type MonthlyReport,
  type ReportParams,
  type ResolutionMode,
} from "../../report"
import { formatDateTime } from "../../time"
import { go, path } from "../router"
import { PeriodForm, useOptions } from "./ReportPeriodForm"
import { BreakdownTable, HeadlineTable, Num, SatisfactionTable, Section, Table, svgImage } from "./ReportTables"

/** Detail rows shown at first, and added by each "Mostrar más". */
const PAGE = 100

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
              t.monthly.running,
              t.monthly.average,
              t.monthly.median,
              t.monthly.p90,
            ]}
          >
            {(["response", "resolution"] as const).map(kind => (
              <tr key={kind}>
                <th scope="row">{t.monthly[kind]}</th>
                <Num>{formatNumber(g.sla[kind].on_time)}</Num>
                <Num>{formatNumber(g.sla[kind].late)}</Num>
                <Num>{formatPercent(g.sla[kind].rate)}</Num>
                <Num>{formatNumber(g.sla[kind].overdue_open)}</Num>
                <Num>{formatNumber(g.sla[kind].running ?? null)}</Num>
                <Num>{formatNumber(g.times[kind].average_hours, 1)}</Num>
                <Num>{formatNumber(g.times[kind].median_hours, 1)}</Num>
                <Num>{formatNumber(g.times[kind].p90_hours ?? null, 1)}</Num>
              </tr>
            ))}
          </Table>
          <p class="hint">{t.monthly.slaNote}</p>
          {(g.closures ?? []).map(c => (
            <p class="hint" key={c.date}>
              {t.monthly.closureNote(
                c.date.split("-").reverse().join("/"),
                c.hours.length === 0
                  ? t.monthly.closedAllDay
                  : t.monthly.specialDay(c.hours.map(h => `${h.start.slice(0, 5)}–${h.end.slice(0, 5)}`).join(" y ")),
                c.reason,
              )}
            </p>
          ))}
          {(g.policies ?? []).map(p => (
            <p class="hint" key={p.effective_from}>
              {t.monthly.policyNote(p.cases, p.effective_from > 0 ? formatDateTime(p.effective_from) : null)}
            </p>
          ))}
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
                [t.monthly.outAtEnd, g.equipment.out_at_end],
                [t.monthly.custodyDays, g.equipment.custody_days],
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
          <p class="hint survey-scale">{t.monthly.scale(g.satisfaction.scale ?? t.survey.scale)}</p>
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
