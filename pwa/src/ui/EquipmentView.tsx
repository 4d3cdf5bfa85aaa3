import { agenda } from "../agenda"
import { t } from "../es"
import { docsVersion, loadedTicket, plainDoc } from "../sync"
import { Screen } from "./common"
import { go, ticketPath } from "./router"
import { EquipmentDetails } from "./ScanView"

/** The sticker's page (`/e/<code>` leads here): the equipment and the tickets on the phone about it. */
export function EquipmentView(props: { code: string }) {
  void docsVersion.value
  const related = agenda.value.filter(tk =>
    (plainDoc(loadedTicket(tk.url))?.request.equipment ?? []).includes(props.code),
  )
  return (
    <Screen title={`${t.equipment.title} ${props.code}`} back="/">
      <EquipmentDetails code={props.code} />
      <h2>{t.scan.history}</h2>
      <ul class="agenda">
        {related.map(tk => (
          <li key={tk.url}>
            <button type="button" class="ticket-row" onClick={() => go(ticketPath(tk.url))}>
              <span class="number">{tk.number ?? t.agenda.noNumber}</span>
              <span class="summary">{tk.summary}</span>
            </button>
          </li>
        ))}
      </ul>
    </Screen>
  )
}
