// The official's signature, drawn with a finger on the técnico's phone at the desk: strokes on a
// white canvas (pointer events, so finger, pen and mouse alike), counted, with the time of the
// last one. Works offline: the drawing becomes a PNG queued like an evidence photo.

import { useEffect, useRef } from "preact/hooks"
import { t } from "../es"

/** What has been drawn so far. */
export interface Strokes {
  count: number
  /** Time of the last stroke (ms since the epoch); 0 before the first. */
  lastAt: number
}

export function SignaturePad(props: {
  strokes: Strokes
  onChange: (strokes: Strokes) => void
  canvasRef: { current: HTMLCanvasElement | null }
  disabled?: boolean
}) {
  const drawing = useRef(false)
  const canvas = props.canvasRef

  function clear() {
    const c = canvas.current
    const ctx = c?.getContext("2d")
    if (!c || !ctx) return
    ctx.fillStyle = "#ffffff"
    ctx.fillRect(0, 0, c.width, c.height)
    ctx.lineWidth = 3
    ctx.lineCap = "round"
    ctx.lineJoin = "round"
    ctx.strokeStyle = "#10223a"
  }

  useEffect(() => {
    clear()
  }, [])

  function point(e: PointerEvent): [number, number] {
    const c = canvas.current!
    const r = c.getBoundingClientRect()
    return [((e.clientX - r.left) * c.width) / r.width, ((e.clientY - r.top) * c.height) / r.height]
  }

  return (
    <div class="signature">
      <canvas
        ref={canvas}
        width={600}
        height={220}
        role="img"
        aria-label={t.signature.canvas}
        class="signature-pad"
        onPointerDown={e => {
          if (props.disabled) return
          const ctx = canvas.current?.getContext("2d")
          if (!ctx) return
          canvas.current!.setPointerCapture(e.pointerId)
          drawing.current = true
          const [x, y] = point(e)
          ctx.beginPath()
          ctx.moveTo(x, y)
          ctx.lineTo(x + 0.1, y + 0.1)
          ctx.stroke()
        }}
        onPointerMove={e => {
          if (!drawing.current) return
          const ctx = canvas.current?.getContext("2d")
          if (!ctx) return
          const [x, y] = point(e)
          ctx.lineTo(x, y)
          ctx.stroke()
        }}
        onPointerUp={() => {
          if (!drawing.current) return
          drawing.current = false
          props.onChange({ count: props.strokes.count + 1, lastAt: Date.now() })
        }}
        onPointerCancel={() => {
          drawing.current = false
        }}
      />
      <button
        type="button"
        onClick={() => {
          clear()
          props.onChange({ count: 0, lastAt: 0 })
        }}
        disabled={props.disabled || props.strokes.count === 0}
      >
        {t.signature.clear}
      </button>
    </div>
  )
}

/** The drawing as PNG bytes. */
export function signaturePng(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob(blob => (blob ? resolve(blob) : reject(new Error("the signature could not be read"))), "image/png"),
  )
}
