// Reading an equipment sticker inside the request form: the camera (or a photo of the sticker)
// until a QR with an equipment code is found; works offline (the decoder is bundled).

import { useEffect, useRef, useState } from "preact/hooks"
import { t } from "../../es"
import { codeFromQr } from "../../schema"
import { readQr } from "../../scanner"

export function StickerScanner(props: { onCode: (code: string) => void; onClose: () => void }) {
  const video = useRef<HTMLVideoElement>(null)
  const [message, setMessage] = useState<string | null>(null)
  // The camera loop outlives renders: it calls the latest callback.
  const onCode = useRef(props.onCode)
  onCode.current = props.onCode

  useEffect(() => {
    let stream: MediaStream | null = null
    let stopped = false
    async function run() {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
        const v = video.current
        if (!v || stopped) return
        v.srcObject = stream
        await v.play()
        while (!stopped) {
          if (v.readyState >= 2) {
            const text = await readQr(v).catch(() => null)
            const code = text ? codeFromQr(text) : null
            if (code && !stopped) {
              onCode.current(code)
              return
            }
          }
          await new Promise(r => setTimeout(r, 250))
        }
      } catch {
        if (!stopped) setMessage(t.scan.noCamera)
      }
    }
    void run()
    return () => {
      stopped = true
      stream?.getTracks().forEach(track => track.stop())
    }
  }, [])

  async function fromPhoto(e: Event) {
    const input = e.currentTarget as HTMLInputElement
    const file = input.files?.[0]
    input.value = ""
    if (!file) return
    const text = await readQr(await createImageBitmap(file)).catch(() => null)
    const code = text ? codeFromQr(text) : null
    if (code) onCode.current(code)
    else setMessage(t.scan.notQr)
  }

  return (
    <div class="scanner">
      <p class="hint">{t.office.scanHint}</p>
      <video ref={video} class="camera" muted playsInline aria-label={t.office.scan} />
      {message && (
        <p class="error" role="alert">
          {message}
        </p>
      )}
      <div class="actions">
        <label class="button file">
          {t.scan.fromPhoto}
          <input type="file" accept="image/*" onChange={e => void fromPhoto(e)} />
        </label>
        <button type="button" onClick={props.onClose}>
          {t.office.scanCancel}
        </button>
      </div>
    </div>
  )
}
