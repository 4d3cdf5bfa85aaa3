import { cbor, generateAutomergeUrl, parseAutomergeUrl } from "@automerge/automerge-repo/slim"
import { describe, expect, it } from "vitest"
import { CampoSocket, type ServerError, mightBeError, parseServerError, serverError } from "../src/syncSocket"

const documentId = parseAutomergeUrl(generateAutomergeUrl()).documentId
const REASON = "Los técnicos no anulan casos: la anulación es de la coordinación."

const frame = (message: Record<string, unknown>) => new Uint8Array(cbor.encode(message))

describe("the server's error messages", () => {
  it("reads the refused document and the reason", () => {
    const bytes = frame({ type: "error", senderId: "server", targetId: "phone", message: REASON, documentId })
    expect(parseServerError(bytes)).toEqual({ documentId, message: REASON })
  })

  it("takes an error without a document as one about the connection", () => {
    const bytes = frame({ type: "error", senderId: "server", targetId: "phone", message: "Mensaje no válido." })
    expect(parseServerError(bytes)).toEqual({ documentId: null, message: "Mensaje no válido." })
  })

  it("accepts the document as a URL too, and ignores a document id that is not one", () => {
    expect(serverError({ type: "error", message: "x", documentId: `automerge:${documentId}` })?.documentId).toBe(documentId)
    expect(serverError({ type: "error", message: "x", documentId: "no-es-un-id" })).toEqual({ documentId: null, message: "x" })
    expect(serverError({ type: "error", documentId })).toEqual({ documentId, message: "" })
  })

  it("leaves every other message alone, without decoding sync data twice", () => {
    const sync = frame({ type: "sync", senderId: "server", targetId: "phone", documentId, data: new Uint8Array([1, 2, 3]) })
    expect(mightBeError(sync)).toBe(false)
    expect(parseServerError(sync)).toBeNull()
    expect(parseServerError(frame({ type: "peer", senderId: "server", targetId: "phone", message: "error" }))).toBeNull()
    expect(parseServerError(new Uint8Array([0xff, 0x65, 0x65, 0x72, 0x72, 0x6f, 0x72]))).toBeNull()
    expect(serverError(null)).toBeNull()
    expect(serverError("error")).toBeNull()
  })
})

describe("the WebSocket adapter", () => {
  function adapter() {
    const heard: ServerError[] = []
    const socket = new CampoSocket("ws://127.0.0.1:1/sync", 0, e => heard.push(e))
    // As if connected: the official adapter asserts it has a socket before handling a message.
    ;(socket as unknown as { socket: object }).socket = {}
    const messages: unknown[] = []
    socket.on("message", m => messages.push(m))
    return { socket, heard, messages }
  }

  it("hands error messages to the app", () => {
    const { socket, heard, messages } = adapter()
    socket.receiveMessage(frame({ type: "error", senderId: "server", targetId: "phone", message: REASON, documentId }))
    expect(heard).toEqual([{ documentId, message: REASON }])
    expect(messages).toEqual([])
  })

  it("passes sync messages on to the repo as before", () => {
    const { socket, heard, messages } = adapter()
    socket.receiveMessage(frame({ type: "sync", senderId: "server", targetId: "phone", documentId, data: new Uint8Array([7]) }))
    expect(heard).toEqual([])
    expect(messages).toHaveLength(1)
    expect((messages[0] as { documentId: string }).documentId).toBe(documentId)
  })
})
