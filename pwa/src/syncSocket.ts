// The WebSocket to `/sync`: the official automerge-repo client adapter, which only logs the
// server's `error` messages. Campo's server says with them why it refused a change (in Spanish,
// naming the document), so this adapter hands them to the app before the official code runs.

import { cbor, isValidDocumentId } from "@automerge/automerge-repo/slim"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"

/** An automerge-repo `error` message: about one document, or about the connection. */
export interface ServerError {
  /** The refused document (bs58check, without `automerge:`); null for the whole connection. */
  documentId: string | null
  /** The server's reason, for people. */
  message: string
}

/** The CBOR text string "error" (header 0x65, five letters): every error message contains it. */
const ERROR_TEXT = [0x65, 0x65, 0x72, 0x72, 0x6f, 0x72]

/** A cheap test that the frame cannot be an error message, so sync frames are decoded once. */
export function mightBeError(bytes: Uint8Array): boolean {
  const first = ERROR_TEXT[0]
  outer: for (let i = bytes.indexOf(first!); i !== -1 && i + ERROR_TEXT.length <= bytes.length; i = bytes.indexOf(first!, i + 1)) {
    for (let j = 1; j < ERROR_TEXT.length; j++) if (bytes[i + j] !== ERROR_TEXT[j]) continue outer
    return true
  }
  return false
}

/** The error a decoded message carries, or null when it is not an error message. */
export function serverError(message: unknown): ServerError | null {
  if (message === null || typeof message !== "object") return null
  const m = message as Record<string, unknown>
  if (m.type !== "error") return null
  const text = typeof m.message === "string" ? m.message.trim() : ""
  const id = typeof m.documentId === "string" ? m.documentId.replace(/^automerge:/, "") : ""
  return {
    documentId: id !== "" && isValidDocumentId(id) ? id : null,
    message: text,
  }
}

/** Decodes a frame and returns its error, if it is an error message. */
export function parseServerError(bytes: Uint8Array): ServerError | null {
  if (!mightBeError(bytes)) return null
  try {
    return serverError(cbor.decode(bytes))
  } catch {
    return null
  }
}

export class CampoSocket extends WebSocketClientAdapter {
  constructor(
    url: string,
    retryInterval: number,
    private readonly onServerError: (error: ServerError) => void,
  ) {
    super(url, retryInterval)
  }

  override receiveMessage(messageBytes: Uint8Array): void {
    const error = parseServerError(new Uint8Array(messageBytes))
    if (error) {
      try {
        this.onServerError(error)
      } catch (err) {
        console.warn("Campo: a sync error could not be recorded", err)
      }
    }
    super.receiveMessage(messageBytes)
  }
}
