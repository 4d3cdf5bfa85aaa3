// What a picked file really is, from its first bytes (never its name or declared type), so a PDF
// or a document picked as a photo is refused before it waits in the queue.

export type ImageKind = "jpeg" | "png" | "webp" | "heic" | "gif"

/**
 * The formats the server takes as they are (server/src/media/process.rs, `sniff`): JPEG, PNG,
 * WebP. HEIC and GIF are photos too, but the phone must turn them into JPEG before sending.
 */
export const SERVER_KINDS: readonly ImageKind[] = ["jpeg", "png", "webp"]

const HEIF_BRANDS = new Set(["heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs", "mif1", "msf1"])

function ascii(bytes: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...bytes.subarray(from, to))
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b)
}

/** The image format the bytes start with, or null when they are not a photo. */
export function sniffImage(data: ArrayBuffer | Uint8Array): ImageKind | null {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data)
  // The same signatures as the server's `sniff`.
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "jpeg"
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png"
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 12) === "WEBP") return "webp"
  // GIF87a / GIF89a.
  if (bytes.length >= 6 && (ascii(bytes, 0, 6) === "GIF87a" || ascii(bytes, 0, 6) === "GIF89a")) return "gif"
  // HEIC/HEIF: an ISO media file whose `ftyp` box names a HEIF brand (major or compatible).
  if (bytes.length >= 12 && ascii(bytes, 4, 8) === "ftyp") {
    const size = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0
    const end = Math.min(bytes.length, Math.max(16, size))
    if (HEIF_BRANDS.has(ascii(bytes, 8, 12))) return "heic"
    for (let i = 16; i + 4 <= end; i += 4) if (HEIF_BRANDS.has(ascii(bytes, i, i + 4))) return "heic"
  }
  return null
}

/** Whether the server takes these bytes as they are (else the phone must convert them first). */
export function serverAccepts(kind: ImageKind | null): boolean {
  return kind !== null && SERVER_KINDS.includes(kind)
}
