// Activity 9 (closing report) and activity 10 (the survey, answered by the official on the
// technician's phone or later in its own app).

import { useState } from "preact/hooks"
import { t } from "../es"
import { currentUser } from "../session"
import { fileReport, recordSurvey } from "../tickets"
import { type Errors, validateGrowth, validateReport, validateSurvey } from "../validation"
import { Counter, Field, Screen, focusFirstError, useTicket } from "./common"
import { go, ticketPath } from "./router"

export function ReportView(props: { id: string }) {
  const url = `automerge:${props.id}`
  const { handle, doc } = useTicket(props.id)
  const [summary, setSummary] = useState("")
  const [results, setResults] = useState("")
  const [errors, setErrors] = useState<Errors>({})
  function save(e: Event) {
    e.preventDefault()
    const found = validateReport(summary, results)
    const full = doc && validateGrowth(doc, { events: 1 })
    if (full) found.form = full
    setErrors(found)
    if (Object.keys(found).length > 0) return focusFirstError(e.currentTarget)
    if (!handle) return
    fileReport(handle, currentUser(), summary, results, Date.now())
    go(ticketPath(url, "encuesta"), true)
  }
  return (
    <Screen title={t.report.title} back={ticketPath(url)}>
      <form class="form" onSubmit={save} noValidate>
        <Field label={t.report.summary} error={errors.summary}>
          <textarea name="summary" rows={4} value={summary} onInput={e => setSummary(e.currentTarget.value)} />
          <Counter limit="summary" value={summary} />
        </Field>
        <Field label={t.report.results} error={errors.results}>
          <textarea name="results" rows={3} value={results} onInput={e => setResults(e.currentTarget.value)} />
          <Counter limit="results" value={results} />
        </Field>
        {errors.form && (
          <p class="error" role="alert">
            {errors.form}
          </p>
        )}
        <button type="submit" class="primary">
          {t.report.submit}
        </button>
      </form>
    </Screen>
  )
}

const QUESTIONS = ["timeliness", "treatment", "solution"] as const

export function SurveyView(props: { id: string }) {
  const url = `automerge:${props.id}`
  const { handle, doc } = useTicket(props.id)
  const [answers, setAnswers] = useState({ timeliness: 0, treatment: 0, solution: 0 })
  const [comment, setComment] = useState("")
  const [errors, setErrors] = useState<Errors>({})
  function save(e: Event) {
    e.preventDefault()
    const found = validateSurvey({ ...answers, comment })
    const full = doc && validateGrowth(doc, { events: 1 })
    if (full) found.form = full
    setErrors(found)
    if (Object.keys(found).length > 0) return focusFirstError(e.currentTarget)
    if (!handle) return
    recordSurvey(handle, currentUser(), { ...answers, comment: comment.trim() }, Date.now())
    go(ticketPath(url), true)
  }
  return (
    <Screen title={t.survey.title} back={ticketPath(url)}>
      <p class="hint">{currentUser().role === "funcionario" ? t.office.surveyIntro : t.survey.intro}</p>
      <form class="form" onSubmit={save} noValidate>
        {QUESTIONS.map(q => (
          <fieldset key={q} class={`field rating${errors[q] ? " invalid" : ""}`}>
            <legend class="label">{t.survey.questions[q]}</legend>
            <div class="scale">
              {t.survey.scale.map((label, i) => (
                <label key={label} class="radio">
                  <input
                    type="radio"
                    name={q}
                    value={String(i + 1)}
                    checked={answers[q] === i + 1}
                    onChange={() => setAnswers({ ...answers, [q]: i + 1 })}
                  />
                  <span>{i + 1}</span>
                  <small>{label}</small>
                </label>
              ))}
            </div>
            {errors[q] && (
              <span class="error" role="alert">
                {errors[q]}
              </span>
            )}
          </fieldset>
        ))}
        <Field label={t.survey.comment} error={errors.comment}>
          <textarea name="comment" rows={2} value={comment} onInput={e => setComment(e.currentTarget.value)} />
          <Counter limit="survey_comment" value={comment} />
        </Field>
        {errors.form && (
          <p class="error" role="alert">
            {errors.form}
          </p>
        )}
        <button type="submit" class="primary">
          {t.survey.submit}
        </button>
      </form>
    </Screen>
  )
}
