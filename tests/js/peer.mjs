// A test peer: the official @automerge/automerge-repo client in Node, driven by the Rust tests
// through one JSON command per line on stdin; it answers one JSON line per command on stdout
// ({"id", "ok": true, ...} or {"id", "ok": false, "error"}). Waiting commands poll a condition
// until their deadline and fail with a message when it passes.
//
// Commands: connect {url}, disconnect, create {doc, ticket?}, find {url}, change {url, key, value},
// push {url, key, value}, insert {url, key, index, value}, replace {url, key}, remove {url, key,
// index}, state {url}, wait-value {url, key, value},
// wait-saved {url}, broadcast {url, message}, wait-ephemeral {url}, wait-error, exit; for Campo
// ticket documents: create-ticket {user: {userId, userName, role, dependencia}},
// comment {url, userId, text}, wait-length {url, key, length}.

import { Repo } from "@automerge/automerge-repo"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"
import { next as A } from "@automerge/automerge"
import { createInterface } from "node:readline"
import { decode } from "cbor-x"
import { newComment, newTicket } from "./ticket.mjs"

const repo = new Repo({ network: [], peerId: process.argv[2] || undefined })
let adapter = null
let serverPeer = null
const handles = new Map()
const ephemeral = new Map()
// `error` messages from the server (the adapter only logs them).
const errors = []

repo.networkSubsystem.on("peer", ({ peerId }) => {
  serverPeer = peerId
})
repo.networkSubsystem.on("peer-disconnected", ({ peerId }) => {
  if (serverPeer === peerId) serverPeer = null
})

function track(handle) {
  if (!handles.has(handle.url)) {
    handles.set(handle.url, handle)
    ephemeral.set(handle.url, [])
    handle.on("ephemeral-message", ({ message, senderId }) => {
      ephemeral.get(handle.url).push({ message, senderId })
    })
  }
  return handle
}

async function until(what, condition, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await condition()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 10))
  }
}

function handleOf(url) {
  const handle = handles.get(url)
  if (!handle) throw new Error(`unknown document ${url}`)
  return handle
}

function state(handle) {
  const doc = handle.doc()
  return { doc: JSON.parse(JSON.stringify(doc)), heads: A.getHeads(doc).sort() }
}

function serverStorageId() {
  return serverPeer ? repo.peerMetadataByPeerId[serverPeer]?.storageId : undefined
}

const commands = {
  async connect({ url }) {
    if (adapter) repo.networkSubsystem.removeNetworkAdapter(adapter)
    serverPeer = null
    adapter = new WebSocketClientAdapter(url, 500)
    const receive = adapter.receiveMessage.bind(adapter)
    adapter.receiveMessage = bytes => {
      try {
        const message = decode(new Uint8Array(bytes))
        if (message?.type === "error") errors.push(message)
      } catch {}
      receive(bytes)
    }
    repo.networkSubsystem.addNetworkAdapter(adapter)
    await until("the server's peer message", () => serverPeer !== null)
    return { serverPeer, storageId: serverStorageId() }
  },
  async disconnect() {
    if (adapter) repo.networkSubsystem.removeNetworkAdapter(adapter)
    adapter = null
    await until("the disconnection", () => serverPeer === null)
    return {}
  },
  // With `ticket` ({userId, userName, role, dependencia}) the document is a Campo ticket
  // registered by that user, plus the fields of `doc`.
  async create({ doc, ticket }) {
    const handle = track(repo.create(ticket ? { ...newTicket(ticket), ...doc } : doc))
    return { url: handle.url, ...state(handle) }
  },
  async "create-ticket"({ user }) {
    const handle = track(repo.create(newTicket(user)))
    return { url: handle.url, ...state(handle) }
  },
  async comment({ url, userId, text }) {
    const handle = handleOf(url)
    handle.change(d => {
      d.comments.push(newComment({ userId, text }))
    })
    return state(handle)
  },
  async "wait-length"({ url, key, length }) {
    const handle = handleOf(url)
    await until(`${key} to have ${length} items`, () => handle.doc()?.[key]?.length === length)
    return state(handle)
  },
  async find({ url }) {
    const handle = track(await repo.find(url))
    return state(handle)
  },
  async change({ url, key, value }) {
    const handle = handleOf(url)
    handle.change(d => {
      d[key] = value
    })
    return state(handle)
  },
  async push({ url, key, value }) {
    const handle = handleOf(url)
    handle.change(d => {
      if (!Array.isArray(d[key])) d[key] = []
      d[key].push(value)
    })
    return state(handle)
  },
  // Inserts `value` as a new item at `index` of the list `key`, as a client that bypasses the
  // PWA could.
  async insert({ url, key, index, value }) {
    const handle = handleOf(url)
    handle.change(d => {
      d[key].splice(index, 0, value)
    })
    return state(handle)
  },
  // Replaces the list `key` by a new list with the same content.
  async replace({ url, key }) {
    const handle = handleOf(url)
    handle.change(d => {
      d[key] = JSON.parse(JSON.stringify(d[key]))
    })
    return state(handle)
  },
  async remove({ url, key, index }) {
    const handle = handleOf(url)
    handle.change(d => {
      d[key].splice(index, 1)
    })
    return state(handle)
  },
  async state({ url }) {
    return state(handleOf(url))
  },
  async "wait-value"({ url, key, value }) {
    const handle = handleOf(url)
    const want = JSON.stringify(value)
    await until(`${key} = ${want}`, () => JSON.stringify(handle.doc()?.[key]) === want)
    return state(handle)
  },
  // Resolves when the server has told this client it holds the client's current heads: what
  // the PWA shows as "guardado en el servidor".
  async "wait-saved"({ url }) {
    const handle = handleOf(url)
    await until("the server to store the heads", () => {
      const storageId = serverStorageId()
      if (!storageId) return false
      const remote = handle.getSyncInfo(storageId)?.lastHeads
      return remote && JSON.stringify([...remote].sort()) === JSON.stringify([...handle.heads()].sort())
    })
    return state(handle)
  },
  async "wait-error"() {
    await until("an error message from the server", () => errors.length > 0)
    const { message, documentId } = errors.shift()
    return { message, documentId: documentId ?? null }
  },
  async broadcast({ url, message }) {
    handleOf(url).broadcast(message)
    return {}
  },
  async "wait-ephemeral"({ url }) {
    const queue = ephemeral.get(url)
    if (!queue) throw new Error(`unknown document ${url}`)
    await until("an ephemeral message", () => queue.length > 0)
    return queue.shift()
  },
  async exit() {
    setTimeout(() => process.exit(0), 10)
    return {}
  },
}

const lines = createInterface({ input: process.stdin })
let queue = Promise.resolve()
lines.on("line", line => {
  queue = queue.then(async () => {
    let request
    try {
      request = JSON.parse(line)
    } catch {
      return
    }
    const { id, cmd } = request
    try {
      const command = commands[cmd]
      if (!command) throw new Error(`unknown command ${cmd}`)
      const result = await command(request)
      process.stdout.write(JSON.stringify({ id, ok: true, ...result }) + "\n")
    } catch (e) {
      process.stdout.write(JSON.stringify({ id, ok: false, error: String(e?.message ?? e) }) + "\n")
    }
  })
})
lines.on("close", () => process.exit(0))
process.stdout.write(JSON.stringify({ ready: true }) + "\n")
