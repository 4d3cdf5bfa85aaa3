// The monthly report's period and filters form: a month or a range of days, and the dependencia,
// category, channel, priority and responsible to filter by (the options come from the API).

import { useEffect, useState } from "preact/hooks"
import { getJson } from "../../api"
import { categories } from "../../catalog"
import { focusFirstError } from "../common"
import { channelLabel, priorityLabel, t } from "../../es"
import { reportQuery, type ReportParams } from "../../report"

interface Person {
  id: string
  full_name: string
  role: string
}

export interface Options {
  dependencias: { code: string; name: string }[]
  people: { id: string; label: string }[]
}

/** The dependencias and the technicians and contractors, for the filters. */
export function useOptions(): Options {
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

export function PeriodForm(props: {
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
  const categoryOptions = [...new Set([...categories.value, ...props.knownCategories, form.category].filter(c => c !== ""))]
    .sort((a, b) => a.localeCompare(b, "es"))
    .map(c => [c, c] as const)
  return (
    <form
      class="report-form"
      noValidate
      onSubmit={e => {
        e.preventDefault()
        props.onSubmit(form)
        focusFirstError(e.currentTarget)
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
              aria-invalid={props.error ? true : undefined}
              value={form.month}
              onInput={e => set({ month: (e.target as HTMLInputElement).value })}
            />
          </label>
        ) : (
          <div class="report-range">
            <label class="field">
              <span class="label">{t.monthly.from}</span>
              <input
                type="date"
                name="from"
                aria-invalid={props.error ? true : undefined}
                value={form.from}
                onInput={e => set({ from: (e.target as HTMLInputElement).value })}
              />
            </label>
            <label class="field">
              <span class="label">{t.monthly.to}</span>
              <input
                type="date"
                name="to"
                aria-invalid={props.error ? true : undefined}
                value={form.to}
                onInput={e => set({ to: (e.target as HTMLInputElement).value })}
              />
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
