// QR reading: the browser's BarcodeDetector where it exists (Chrome for Android), otherwise the
// `barcode-detector` polyfill, whose zxing WASM is bundled and served by Campo (precached by the
// service worker, never fetched from a CDN).

import { BarcodeDetector as Polyfill, prepareZXingModule } from "barcode-detector/ponyfill"
import zxingWasmUrl from "zxing-wasm/reader/zxing_reader.wasm?url"

prepareZXingModule({
  overrides: {
    locateFile: (path: string, prefix: string) => (path.endsWith(".wasm") ? zxingWasmUrl : prefix + path),
  },
})

interface Detector {
  detect(source: ImageBitmapSource): Promise<{ rawValue: string }[]>
}

let detector: Promise<Detector> | null = null

async function create(): Promise<Detector> {
  const native = (globalThis as { BarcodeDetector?: typeof Polyfill }).BarcodeDetector
  if (native) {
    try {
      const formats = await native.getSupportedFormats()
      if (formats.includes("qr_code")) return new native({ formats: ["qr_code"] })
    } catch {
      // Fall through to the polyfill.
    }
  }
  return new Polyfill({ formats: ["qr_code"] })
}

export function qrDetector(): Promise<Detector> {
  detector ??= create()
  return detector
}

/** The first QR text in the source, or null. */
export async function readQr(source: ImageBitmapSource): Promise<string | null> {
  const found = await (await qrDetector()).detect(source)
  return found[0]?.rawValue ?? null
}
