import { t } from "../../es"
import { Screen } from "../common"

export function IntakeView() {
  return <Screen title={t.intake.title}>{null}</Screen>
}
