import { t } from "../../es"
import { Screen } from "../common"

export function MonthlyReportView() {
  return <Screen title={t.monthly.title}>{null}</Screen>
}
