// A tiny router over the History API: the path is a signal; links call `go`.

import { signal } from "@preact/signals"

export const path = signal(location.pathname + location.search)

export function go(to: string, replace = false): void {
  if (replace) history.replaceState(null, "", to)
  else history.pushState(null, "", to)
  path.value = to
  scrollTo(0, 0)
}

addEventListener("popstate", () => {
  path.value = location.pathname + location.search
})

export type Route =
  | { name: "home" }
  | { name: "agenda" }
  | { name: "login" }
  | { name: "ticket"; id: string }
  | { name: "visit"; id: string }
  | { name: "report"; id: string }
  | { name: "survey"; id: string }
  | { name: "return"; id: string }
  | { name: "remote"; id: string }
  | { name: "scan"; ticket: string | null }
  | { name: "new" }
  | { name: "equipment"; code: string }
  | { name: "request" }
  | { name: "board" }
  | { name: "intake" }
  | { name: "settings" }
  | { name: "monthly" }
  | { name: "outbox" }
  | { name: "inbox" }
  | { name: "notFound" }

export function route(p: string): Route {
  const [pathname = "/", query = ""] = p.split("?")
  const params = new URLSearchParams(query)
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent)
  if (parts.length === 0) return { name: "home" }
  if (parts[0] === "agenda") return { name: "agenda" }
  if (parts[0] === "ingresar") return { name: "login" }
  if (parts[0] === "nueva") return { name: "new" }
  if (parts[0] === "solicitar") return { name: "request" }
  if (parts[0] === "tablero") return { name: "board" }
  if (parts[0] === "recepcion") return { name: "intake" }
  if (parts[0] === "ajustes") return { name: "settings" }
  if (parts[0] === "informe") return { name: "monthly" }
  if (parts[0] === "pendientes") return { name: "outbox" }
  if (parts[0] === "avisos") return { name: "inbox" }
  if (parts[0] === "escanear") return { name: "scan", ticket: params.get("caso") }
  if (parts[0] === "equipos" && parts[1]) return { name: "equipment", code: parts[1] }
  if (parts[0] === "casos" && parts[1]) {
    const id = parts[1]
    if (parts[2] === "visita") return { name: "visit", id }
    if (parts[2] === "informe") return { name: "report", id }
    if (parts[2] === "encuesta") return { name: "survey", id }
    if (parts[2] === "devolucion") return { name: "return", id }
    if (parts[2] === "remota") return { name: "remote", id }
    return { name: "ticket", id }
  }
  return { name: "notFound" }
}

export function ticketPath(url: string, sub = ""): string {
  return `/casos/${url.replace(/^automerge:/, "")}${sub ? `/${sub}` : ""}`
}
