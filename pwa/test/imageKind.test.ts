import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { serverAccepts, sniffImage } from "../src/imageKind"

const bytes = (...parts: (string | number[])[]) =>
  new Uint8Array(parts.flatMap(p => (typeof p === "string" ? [...p].map(c => c.charCodeAt(0)) : p)))

/** An ISO media file's first box: size, `ftyp`, major brand, version, compatible brands. */
const ftyp = (major: string, ...compatible: string[]) => {
  const size = 16 + 4 * compatible.length
  return bytes([0, 0, 0, size], "ftyp", major, [0, 0, 0, 0], ...compatible)
}

describe("what a picked file really is", () => {
  it("recognises the photos the server takes, by their first bytes", () => {
    expect(sniffImage(bytes([0xff, 0xd8, 0xff, 0xe0], "JFIF"))).toBe("jpeg")
    expect(sniffImage(bytes([0x89], "PNG", [0x0d, 0x0a, 0x1a, 0x0a, 0, 0]))).toBe("png")
    expect(sniffImage(bytes("RIFF", [0x24, 0, 0, 0], "WEBPVP8 "))).toBe("webp")
    expect(sniffImage(readFileSync(new URL("../public/icon-512.png", import.meta.url)))).toBe("png")
    for (const kind of ["jpeg", "png", "webp"] as const) expect(serverAccepts(kind)).toBe(true)
  })

  it("recognises HEIC/HEIF and GIF, which the phone must convert to JPEG first", () => {
    expect(sniffImage(ftyp("heic", "mif1", "heic"))).toBe("heic")
    expect(sniffImage(ftyp("mif1", "heic"))).toBe("heic")
    expect(sniffImage(ftyp("msf1"))).toBe("heic")
    expect(sniffImage(bytes("GIF89a", [1, 0, 1, 0]))).toBe("gif")
    expect(sniffImage(bytes("GIF87a", [1, 0, 1, 0]))).toBe("gif")
    expect(serverAccepts("heic")).toBe(false)
    expect(serverAccepts("gif")).toBe(false)
  })

  it("refuses everything else, whatever its name says", () => {
    expect(sniffImage(bytes("%PDF-1.7\n%âãÏÓ"))).toBeNull()
    expect(sniffImage(bytes("PK", [3, 4, 20, 0]))).toBeNull() // a .docx or a .zip
    expect(sniffImage(ftyp("isom", "mp41"))).toBeNull() // an MP4 video
    expect(sniffImage(bytes("RIFF", [0x24, 0, 0, 0], "WAVEfmt "))).toBeNull()
    expect(sniffImage(bytes([0xff, 0xd8]))).toBeNull() // too short to be a JPEG
    expect(sniffImage(new Uint8Array())).toBeNull()
    expect(sniffImage(bytes("<svg xmlns='http://www.w3.org/2000/svg'/>"))).toBeNull()
    expect(serverAccepts(null)).toBe(false)
  })
})
