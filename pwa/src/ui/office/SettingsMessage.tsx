// The line under a settings form that says it was saved, or why not (an alert).

export type Feedback = { kind: "ok" | "error"; text: string } | null

export function Message(props: { feedback: Feedback }) {
  const f = props.feedback
  if (!f) return null
  return (
    <p class={f.kind === "error" ? "error" : "ok"} role={f.kind === "error" ? "alert" : "status"}>
      {f.text}
    </p>
  )
}
