import { t } from "../../es"
import { Screen } from "../common"

export function MyRequestsView() {
  return <Screen title={t.office.myRequestsTitle}>{null}</Screen>
}
