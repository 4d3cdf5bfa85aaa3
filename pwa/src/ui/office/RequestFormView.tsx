import { t } from "../../es"
import { Screen } from "../common"

export function RequestFormView() {
  return <Screen title={t.office.requestTitle}>{null}</Screen>
}
