// The browser's side of Web Push, written with Node's crypto and the `http_ece` package (an
// implementation of RFC 8188/8291 independent of Campo's), for Campo's push tests.
//
//   node push.mjs subscribe
//     prints {"p256dh", "auth", "privateKey"} (base64url): a browser's subscription keys.
//   node push.mjs open < request.json
//     reads {"endpoint", "headers", "body" (hex), "privateKey", "auth", "serverKey"}: a request
//     Campo sent to the push endpoint, the subscription's secrets and the key of GET /api/push/key;
//     checks the VAPID token (RFC 8292) against that key and decrypts the body (RFC 8291);
//     prints {"message", "claims", "jwtHeader"}, or fails with the reason.

import crypto from "node:crypto"
import ece from "http_ece"

const b64url = (buffer) => Buffer.from(buffer).toString("base64url")
const fromB64url = (text) => Buffer.from(text, "base64url")

function fail(why) {
  process.stderr.write(`${why}\n`)
  process.exit(1)
}

async function stdin() {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return JSON.parse(Buffer.concat(chunks).toString("utf8"))
}

function subscribe() {
  const ecdh = crypto.createECDH("prime256v1")
  ecdh.generateKeys()
  return {
    p256dh: b64url(ecdh.getPublicKey()),
    auth: b64url(crypto.randomBytes(16)),
    privateKey: b64url(ecdh.getPrivateKey()),
  }
}

/** The public key object of an uncompressed P-256 point. */
function publicKey(point) {
  if (point.length !== 65 || point[0] !== 4) fail(`not an uncompressed P-256 point: ${point.length} bytes`)
  return crypto.createPublicKey({
    key: { kty: "EC", crv: "P-256", x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33)) },
    format: "jwk",
  })
}

function open(request) {
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]),
  )
  if (headers["content-encoding"] !== "aes128gcm") fail(`Content-Encoding: ${headers["content-encoding"]}`)

  // Authorization: vapid t=<JWT>, k=<public key> (RFC 8292 §3).
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(headers.authorization ?? "")
  if (!match) fail(`Authorization: ${headers.authorization}`)
  const [, token, k] = match
  if (k !== request.serverKey) fail(`k=${k} is not the server's key ${request.serverKey}`)
  const [head, claimsPart, signature] = token.split(".")
  const jwtHeader = JSON.parse(fromB64url(head).toString("utf8"))
  if (jwtHeader.alg !== "ES256") fail(`JWT alg ${jwtHeader.alg}`)
  const verified = crypto.verify(
    "sha256",
    Buffer.from(`${head}.${claimsPart}`),
    { key: publicKey(fromB64url(request.serverKey)), dsaEncoding: "ieee-p1363" },
    fromB64url(signature),
  )
  if (!verified) fail("the VAPID token's signature does not verify with the server's key")
  const claims = JSON.parse(fromB64url(claimsPart).toString("utf8"))

  const receiver = crypto.createECDH("prime256v1")
  receiver.setPrivateKey(fromB64url(request.privateKey))
  const plaintext = ece.decrypt(Buffer.from(request.body, "hex"), {
    version: "aes128gcm",
    privateKey: receiver,
    authSecret: request.auth,
  })
  return { message: JSON.parse(plaintext.toString("utf8")), claims, jwtHeader }
}

const command = process.argv[2]
if (command === "subscribe") {
  process.stdout.write(`${JSON.stringify(subscribe())}\n`)
} else if (command === "open") {
  process.stdout.write(`${JSON.stringify(open(await stdin()))}\n`)
} else {
  fail("usage: node push.mjs subscribe | open < request.json")
}
