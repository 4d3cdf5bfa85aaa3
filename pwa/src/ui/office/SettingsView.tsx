import { t } from "../../es"
import { Screen } from "../common"

export function SettingsView() {
  return <Screen title={t.settings.title}>{null}</Screen>
}
