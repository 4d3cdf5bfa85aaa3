// Writes .br and .gz next to every compressible file of dist/, so `campo` serves them
// precompressed (server/src/web.rs) without compressing on each request.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { brotliCompressSync, constants, gzipSync } from "node:zlib"

const root = new URL("../dist/", import.meta.url).pathname
const compressible = /\.(html|js|mjs|css|svg|json|webmanifest|wasm|txt)$/

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) walk(path)
    else if (compressible.test(name)) {
      const data = readFileSync(path)
      if (data.length < 1024) continue
      writeFileSync(`${path}.br`, brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }))
      writeFileSync(`${path}.gz`, gzipSync(data, { level: 9 }))
    }
  }
}
walk(root)
