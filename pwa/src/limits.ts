// The limits of a ticket (text lengths, list sizes), read from `limits.json`, which campo-shared
// generates from its own table (a Rust test keeps the two equal): the phone refuses before saving
// what the server would refuse, with the server's words.

import table from "./limits.json"
import { t } from "./es"

export type TextKey = keyof typeof table.text
export type ListKey = keyof typeof table.lists

export const LIMITS = {
  text: table.text as Record<TextKey, number>,
  lists: table.lists as Record<ListKey, number>,
  extensionDigits: table.extension_digits,
  changeBytes: table.change_bytes,
  documentBytes: table.document_bytes,
}

/** Characters as the server counts them: Unicode code points. */
export function chars(value: string): number {
  return [...value].length
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/** «El comentario admite máximo 4000 caracteres; tiene 4001.», or null within the limit. */
export function overText(key: TextKey, value: string, label: string = t.limits.text[key]): string | null {
  const max = LIMITS.text[key]
  const n = chars(value)
  const verb = (table.plural_texts as string[]).includes(key) ? "admiten" : "admite"
  return n > max ? `${capitalise(label)} ${verb} máximo ${max} caracteres; tiene ${n}.` : null
}

/** «Se admiten máximo 20 fotos por visita; el caso tendría 21.», or null within the limit. */
export function overList(key: ListKey, length: number): string | null {
  const max = LIMITS.lists[key]
  return length > max ? `Se admiten máximo ${max} ${t.limits.lists[key]}; el caso tendría ${length}.` : null
}
