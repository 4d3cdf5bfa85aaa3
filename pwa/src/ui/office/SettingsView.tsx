// The office's settings: the SLA targets per priority, the reception target, the warning share,
// the working hours and the absent-user pause (GET/PUT /api/settings/sla; its history, the
// office's closures by decree and the escalation's second level in CalendarSettings.tsx); the request categories the forms offer (GET/PUT
// /api/settings/categories); the users (list, create, enable or disable, set a password, import
// from CSV in UsersImport.tsx) and the dependencias (list, create); the integration tokens
// (TokensSettings.tsx); the e-mail outbox (MailOutbox.tsx).

import { useEffect, useRef, useState } from "preact/hooks"
import { getJson } from "../../api"
import { loadPolicy } from "../../boardLive"
import { refreshCalendar } from "../../calendar"
import { type Dependencia, categories, dependenciaName, dependencias, refreshCategories, refreshDependencias, setCategories } from "../../catalog"
import { priorityLabel, roleLabel, t } from "../../es"
import { FormError, type UserView, listUsers, messageOf, send } from "../../officeApi"
import { PRIORITIES, ROLES, type Role } from "../../schema"
import { type SlaForm, type SlaPolicy, fromForm, toForm } from "../../settings"
import { DependenciaSelect, Field, focusFirstError } from "../common"
import { Closures, EscalationSettings, PolicyHistory } from "./CalendarSettings"
import { MailOutbox } from "./MailOutbox"
import { type Feedback, Message } from "./SettingsMessage"
import { TokensSettings } from "./TokensSettings"
import { UsersImport } from "./UsersImport"
import "./office.css"

const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const

function SlaSettings() {
  const [form, setForm] = useState<SlaForm | null>(null)
  const [invalid, setInvalid] = useState<string[]>([])
  const [feedback, setFeedback] = useState<Feedback>(null)
  const [busy, setBusy] = useState(false)
  const [version, setVersion] = useState(0)

  useEffect(() => {
    getJson<SlaPolicy>("/api/settings/sla").then(
      p => setForm(toForm(p)),
      err => setFeedback({ kind: "error", text: t.settings.loadFailed(messageOf(err)) }),
    )
  }, [])
  if (!form) return <Message feedback={feedback} />

  const hours = (priority: (typeof PRIORITIES)[number], which: "response" | "resolution") => (e: Event) =>
    setForm({
      ...form,
      hours: { ...form.hours, [priority]: { ...form.hours[priority], [which]: (e.currentTarget as HTMLInputElement).value } },
    })
  const setWindow = (i: number, key: "day" | "start" | "end") => (e: Event) =>
    setForm({
      ...form,
      windows: form.windows.map((w, j) => (j === i ? { ...w, [key]: (e.currentTarget as HTMLInputElement).value } : w)),
    })

  async function save(e: Event) {
    e.preventDefault()
    if (!form) return
    setFeedback(null)
    const result = fromForm(form)
    if ("invalid" in result) {
      setInvalid(result.invalid)
      return focusFirstError(e.currentTarget)
    }
    const formEl = e.currentTarget
    setInvalid([])
    setBusy(true)
    try {
      const saved = await send<SlaPolicy>("PUT", "/api/settings/sla", result.policy)
      setForm(toForm(saved))
      setFeedback({ kind: "ok", text: t.settings.slaSaved })
      setVersion(v => v + 1)
      void loadPolicy()
      void refreshCalendar()
    } catch (err) {
      setFeedback({ kind: "error", text: messageOf(err) })
      focusFirstError(formEl)
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="form" onSubmit={e => void save(e)} noValidate>
      <p class="hint">{t.settings.slaHint}</p>
      <div class="table-wrap">
        <table class="data sla">
          <thead>
            <tr>
              <th scope="col">{t.settings.priority}</th>
              <th scope="col">{t.settings.response}</th>
              <th scope="col">{t.settings.resolution}</th>
            </tr>
          </thead>
          <tbody>
            {PRIORITIES.map(p => (
              <tr key={p}>
                <th scope="row">{priorityLabel[p]}</th>
                {(["response", "resolution"] as const).map(which => (
                  <td key={which}>
                    <input
                      name={`${p}-${which}`}
                      inputMode="decimal"
                      aria-label={which === "response" ? t.settings.responseOf(priorityLabel[p]) : t.settings.resolutionOf(priorityLabel[p])}
                      aria-invalid={invalid.includes(`${p}.${which}`) || undefined}
                      value={form.hours[p][which]}
                      onInput={hours(p, which)}
                    />
                    {invalid.includes(`${p}.${which}`) && (
                      <span class="error" role="alert">
                        {t.settings.hoursInvalid}
                      </span>
                    )}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="form-row">
        <Field label={t.settings.reception} error={invalid.includes("reception") ? t.settings.hoursInvalid : undefined}>
          <input
            name="reception"
            inputMode="decimal"
            aria-invalid={invalid.includes("reception") || undefined}
            value={form.reception}
            onInput={e => setForm({ ...form, reception: e.currentTarget.value })}
          />
        </Field>
        <Field label={t.settings.warn} error={invalid.includes("warn") ? t.settings.warnInvalid : undefined}>
          <input
            name="warn"
            inputMode="numeric"
            aria-invalid={invalid.includes("warn") || undefined}
            value={form.warn}
            onInput={e => setForm({ ...form, warn: e.currentTarget.value })}
          />
        </Field>
      </div>
      <label class="check">
        <input type="checkbox" name="pause" checked={form.pause} onChange={e => setForm({ ...form, pause: e.currentTarget.checked })} />
        {t.settings.pause}
      </label>
      <h3>{t.settings.hoursTitle}</h3>
      <div class="table-wrap">
        <table class="data windows">
          <thead>
            <tr>
              <th scope="col">{t.settings.day}</th>
              <th scope="col">{t.settings.start}</th>
              <th scope="col">{t.settings.end}</th>
              <th scope="col">
                  <span class="visually-hidden">{t.settings.actions}</span>
                </th>
            </tr>
          </thead>
          <tbody>
            {form.windows.map((w, i) => (
              <tr key={i}>
                <td>
                  <select aria-label={t.settings.day} value={w.day} onChange={setWindow(i, "day")}>
                    {DAYS.map(d => (
                      <option key={d} value={d}>
                        {t.settings.days[d]}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <input
                    type="time"
                    aria-label={t.settings.start}
                    aria-invalid={invalid.includes(`windows.${i}`) || undefined}
                    value={w.start}
                    onInput={setWindow(i, "start")}
                  />
                </td>
                <td>
                  <input
                    type="time"
                    aria-label={t.settings.end}
                    aria-invalid={invalid.includes(`windows.${i}`) || undefined}
                    value={w.end}
                    onInput={setWindow(i, "end")}
                  />
                  {invalid.includes(`windows.${i}`) && (
                    <span class="error" role="alert">
                      {t.settings.windowInvalid}
                    </span>
                  )}
                </td>
                <td>
                  <button type="button" onClick={() => setForm({ ...form, windows: form.windows.filter((_, j) => j !== i) })}>
                    {t.settings.removeWindow}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="actions">
        <button
          type="button"
          onClick={() => setForm({ ...form, windows: [...form.windows, { day: "Mon", start: "08:00", end: "12:00" }] })}
        >
          {t.settings.addWindow}
        </button>
        <button type="submit" class="primary" disabled={busy}>
          {t.settings.saveSla}
        </button>
      </div>
      <Message feedback={feedback} />
      <PolicyHistory version={version} />
    </form>
  )
}

const NEW_USER = { username: "", full_name: "", role: "tecnico" as Role, password: "", email: "", dependencia: "" }

function Users() {
  const [users, setUsers] = useState<UserView[] | null>(null)
  const [role, setRole] = useState<"" | Role>("")
  const [draft, setDraft] = useState(NEW_USER)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [feedback, setFeedback] = useState<Feedback>(null)
  const [busy, setBusy] = useState(false)
  // The account whose password the coordinator is setting (an imported one has none).
  const [passwordFor, setPasswordFor] = useState<UserView | null>(null)
  const [newPassword, setNewPassword] = useState("")
  const [passwordError, setPasswordError] = useState<string | undefined>()
  const passwordInput = useRef<HTMLInputElement>(null)
  useEffect(() => {
    if (passwordFor) passwordInput.current?.focus()
  }, [passwordFor])

  const load = () =>
    listUsers().then(
      list => setUsers(list),
      err => setFeedback({ kind: "error", text: t.settings.loadFailed(messageOf(err)) }),
    )
  useEffect(() => void load(), [])

  async function toggle(u: UserView) {
    setFeedback(null)
    try {
      const changed = await send<UserView>("PATCH", `/api/users/${u.id}`, { active: !u.active })
      setUsers(users?.map(x => (x.id === u.id ? changed : x)) ?? null)
      setFeedback({ kind: "ok", text: changed.active ? t.settings.userEnabled(changed.full_name) : t.settings.userDisabled(changed.full_name) })
    } catch (err) {
      setFeedback({ kind: "error", text: messageOf(err) })
    }
  }

  async function editDocument(u: UserView) {
    const typed = window.prompt(t.settings.documentPrompt(u.full_name), u.document ?? "")
    if (typed === null) return
    setFeedback(null)
    try {
      const changed = await send<UserView>("PATCH", `/api/users/${u.id}`, { document: typed.trim() || null })
      setUsers(users?.map(x => (x.id === u.id ? changed : x)) ?? null)
      setFeedback({ kind: "ok", text: t.settings.documentSaved(changed.full_name) })
    } catch (err) {
      setFeedback({ kind: "error", text: messageOf(err) })
    }
  }

  async function savePassword(e: Event) {
    e.preventDefault()
    const formEl = e.currentTarget
    if (!passwordFor) return
    setFeedback(null)
    setPasswordError(undefined)
    try {
      const changed = await send<UserView>("PATCH", `/api/users/${passwordFor.id}`, { password: newPassword })
      setPasswordFor(null)
      setNewPassword("")
      setFeedback({ kind: "ok", text: t.settings.passwordSaved(changed.full_name) })
    } catch (err) {
      setPasswordError(messageOf(err))
      focusFirstError(formEl)
    }
  }

  async function create(e: Event) {
    e.preventDefault()
    const formEl = e.currentTarget
    setFeedback(null)
    setErrors({})
    setBusy(true)
    try {
      const made = await send<UserView>("POST", "/api/users", {
        ...draft,
        email: draft.email.trim() || null,
        dependencia: draft.dependencia || null,
      })
      setDraft(NEW_USER)
      setFeedback({ kind: "ok", text: t.settings.userCreated(made.full_name) })
      void load()
    } catch (err) {
      if (err instanceof FormError && Object.keys(err.fields).length > 0) setErrors(err.fields)
      setFeedback({ kind: "error", text: messageOf(err) })
      focusFirstError(formEl)
    } finally {
      setBusy(false)
    }
  }

  const set = (key: keyof typeof NEW_USER) => (e: Event) => setDraft({ ...draft, [key]: (e.currentTarget as HTMLInputElement).value })
  const shown = (users ?? []).filter(u => role === "" || u.role === role)
  const depName = (code: string | null) => (code ? dependenciaName(code) : "—")

  return (
    <>
      <Message feedback={feedback} />
      <label class="field inline-filter">
        <span class="label">{t.settings.filterRole}</span>
        <select value={role} onChange={e => setRole(e.currentTarget.value as "" | Role)}>
          <option value="">{t.settings.allRoles}</option>
          {ROLES.map(r => (
            <option key={r} value={r}>
              {roleLabel[r]}
            </option>
          ))}
        </select>
      </label>
      {users === null ? (
        <p>{t.loading}</p>
      ) : (
        <div class="table-wrap">
          <table class="data users">
            <thead>
              <tr>
                <th scope="col">{t.settings.fullName}</th>
                <th scope="col">{t.settings.username}</th>
                <th scope="col">{t.settings.role}</th>
                <th scope="col">{t.settings.dependencia}</th>
                <th scope="col">{t.settings.email}</th>
                <th scope="col">{t.settings.document}</th>
                <th scope="col">{t.settings.status}</th>
                <th scope="col">
                  <span class="visually-hidden">{t.settings.actions}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.map(u => (
                <tr key={u.id} class={u.active ? "" : "inactive"} data-username={u.username}>
                  <td>{u.full_name}</td>
                  <td>{u.username}</td>
                  <td>{roleLabel[u.role] ?? u.role_label}</td>
                  <td>{depName(u.dependencia)}</td>
                  <td>{u.email ?? "—"}</td>
                  <td>{u.document ?? "—"}</td>
                  <td>{u.active ? t.settings.active : t.settings.inactive}</td>
                  <td>
                    <button type="button" onClick={() => void toggle(u)}>
                      {u.active ? t.settings.disable : t.settings.enable}
                    </button>{" "}
                    <button type="button" aria-label={t.settings.editDocumentOf(u.full_name)} onClick={() => void editDocument(u)}>
                      {t.settings.editDocument}
                    </button>
                    {!u.directory && (
                      <>
                        {" "}
                        <button
                          type="button"
                          aria-label={t.settings.setPasswordOf(u.full_name)}
                          onClick={() => {
                            setPasswordError(undefined)
                            setNewPassword("")
                            setPasswordFor(u)
                          }}
                        >
                          {t.settings.setPassword}
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {passwordFor && (
        <form class="form inline" onSubmit={e => void savePassword(e)} noValidate>
          <h3>{t.settings.passwordTitle(passwordFor.full_name)}</h3>
          <div class="form-row">
            <Field label={t.settings.newPassword} error={passwordError}>
              <input
                ref={passwordInput}
                name="new-password"
                type="password"
                autocomplete="new-password"
                value={newPassword}
                onInput={e => setNewPassword(e.currentTarget.value)}
              />
            </Field>
          </div>
          <div class="actions">
            <button type="submit" class="primary">
              {t.settings.savePassword}
            </button>
            <button type="button" onClick={() => setPasswordFor(null)}>
              {t.settings.cancelPassword}
            </button>
          </div>
        </form>
      )}
      <h3>{t.settings.newUserTitle}</h3>
      <form class="form" onSubmit={e => void create(e)} noValidate>
        <div class="form-row">
          <Field label={t.settings.fullName} error={errors.full_name}>
            <input name="full_name" value={draft.full_name} onInput={set("full_name")} />
          </Field>
          <Field label={t.settings.username} error={errors.username}>
            <input name="username" autocapitalize="none" value={draft.username} onInput={set("username")} />
          </Field>
          <Field label={t.settings.role} error={errors.role}>
            <select name="role" value={draft.role} onChange={set("role")}>
              {ROLES.map(r => (
                <option key={r} value={r}>
                  {roleLabel[r]}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t.settings.dependencia} error={errors.dependencia}>
            <DependenciaSelect value={draft.dependencia} none={t.settings.noDependencia} onChange={set("dependencia")} />
          </Field>
          <Field label={t.settings.email} error={errors.email}>
            <input name="email" type="email" value={draft.email} onInput={set("email")} />
          </Field>
          <Field label={t.settings.password} error={errors.password}>
            <input name="password" type="password" autocomplete="new-password" value={draft.password} onInput={set("password")} />
          </Field>
        </div>
        <button type="submit" class="primary" disabled={busy}>
          {t.settings.createUser}
        </button>
      </form>
      <h3>{t.userImport.title}</h3>
      <UsersImport onImported={() => void load()} />
    </>
  )
}

function Dependencias() {
  const [draft, setDraft] = useState({ code: "", name: "" })
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [feedback, setFeedback] = useState<Feedback>(null)
  useEffect(() => void refreshDependencias(), [])

  async function create(e: Event) {
    e.preventDefault()
    const formEl = e.currentTarget
    setFeedback(null)
    setErrors({})
    try {
      const made = await send<Dependencia>("POST", "/api/dependencias", { code: draft.code.trim().toUpperCase(), name: draft.name })
      setDraft({ code: "", name: "" })
      setFeedback({ kind: "ok", text: t.settings.dependenciaCreated(made.name) })
      await refreshDependencias()
    } catch (err) {
      if (err instanceof FormError && Object.keys(err.fields).length > 0) setErrors(err.fields)
      setFeedback({ kind: "error", text: messageOf(err) })
      focusFirstError(formEl)
    }
  }

  return (
    <>
      <Message feedback={feedback} />
      <div class="table-wrap" tabIndex={0} role="region" aria-label={t.settings.dependenciasTable}>
        <table class="data dependencias">
          <thead>
            <tr>
              <th scope="col">{t.settings.code}</th>
              <th scope="col">{t.settings.name}</th>
            </tr>
          </thead>
          <tbody>
            {dependencias.value.map(d => (
              <tr key={d.code}>
                <td>{d.code}</td>
                <td>{d.name}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form class="form inline" onSubmit={e => void create(e)} noValidate>
        <div class="form-row">
          <Field label={t.settings.code} error={errors.code}>
            <input name="code" autocapitalize="characters" value={draft.code} onInput={e => setDraft({ ...draft, code: e.currentTarget.value })} />
          </Field>
          <Field label={t.settings.name} error={errors.name}>
            <input name="name" value={draft.name} onInput={e => setDraft({ ...draft, name: e.currentTarget.value })} />
          </Field>
        </div>
        <button type="submit">{t.settings.createDependencia}</button>
      </form>
    </>
  )
}

/** The request categories, one per line, as the request forms offer them. */
function Categories() {
  const [text, setText] = useState(categories.value.join("\n"))
  const [error, setError] = useState<string | undefined>()
  const [feedback, setFeedback] = useState<Feedback>(null)
  const [busy, setBusy] = useState(false)
  useEffect(() => {
    void refreshCategories().then(() => setText(categories.value.join("\n")))
  }, [])

  async function save(e: Event) {
    e.preventDefault()
    const formEl = e.currentTarget
    setFeedback(null)
    const lines = text.split("\n").map(l => l.trim()).filter(l => l !== "")
    if (lines.length === 0) {
      setError(t.settings.categoriesRequired)
      return focusFirstError(formEl)
    }
    setError(undefined)
    setBusy(true)
    try {
      const saved = await send<{ categories: string[] }>("PUT", "/api/settings/categories", { categories: lines })
      setCategories(saved.categories)
      setText(saved.categories.join("\n"))
      setFeedback({ kind: "ok", text: t.settings.categoriesSaved })
    } catch (err) {
      if (err instanceof FormError && err.fields.categories) setError(err.fields.categories)
      else setFeedback({ kind: "error", text: messageOf(err) })
      focusFirstError(formEl)
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="form" onSubmit={e => void save(e)} noValidate>
      <Field label={t.settings.categoriesLabel} error={error}>
        <textarea
          name="categories"
          rows={8}
          aria-describedby="categories-hint"
          aria-invalid={error ? true : undefined}
          value={text}
          onInput={e => setText(e.currentTarget.value)}
        />
      </Field>
      <p class="hint field-hint" id="categories-hint">
        {t.settings.categoriesHint}
      </p>
      <button type="submit" class="primary" disabled={busy}>
        {t.settings.saveCategories}
      </button>
      <Message feedback={feedback} />
    </form>
  )
}

export function SettingsView() {
  return (
    <main class="screen wide settings">
      <header class="screen-head">
        <h1>{t.settings.title}</h1>
      </header>
      <div class="office-grid">
        <section aria-label={t.settings.slaTitle}>
          <h2>{t.settings.slaTitle}</h2>
          <SlaSettings />
        </section>
        <section aria-label={t.settings.dependenciasTitle}>
          <h2>{t.settings.dependenciasTitle}</h2>
          <Dependencias />
        </section>
        <section aria-label={t.settings.categoriesTitle}>
          <h2>{t.settings.categoriesTitle}</h2>
          <Categories />
        </section>
        <section aria-label={t.settings.closuresTitle}>
          <h2>{t.settings.closuresTitle}</h2>
          <Closures />
        </section>
        <section aria-label={t.settings.escalationTitle}>
          <h2>{t.settings.escalationTitle}</h2>
          <EscalationSettings />
        </section>
      </div>
      <section aria-label={t.settings.usersTitle}>
        <h2>{t.settings.usersTitle}</h2>
        <Users />
      </section>
      <section aria-label={t.tokens.title}>
        <h2>{t.tokens.title}</h2>
        <TokensSettings />
      </section>
      <section aria-label={t.mailOutbox.title}>
        <h2>{t.mailOutbox.title}</h2>
        <MailOutbox />
      </section>
    </main>
  )
}
