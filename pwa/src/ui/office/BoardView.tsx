import { t } from "../../es"
import { Screen } from "../common"

export function BoardView() {
  return <Screen title={t.board.title}>{null}</Screen>
}
