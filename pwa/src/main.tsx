import { render } from "preact"
import "./styles.css"
import { startSession } from "./app"
import { grant } from "./session"
import { App } from "./ui/App"

// With a valid offline grant the app starts working at once, with or without a connection.
if (grant.value) startSession()
const root = document.getElementById("app")!
root.textContent = "" // the "Cargando…" placeholder of index.html
render(<App />, root)
