// A customer's signature taken on the device (a repair handed over, a visit's agreement): a pad
// drawn on with a finger, a pen or a mouse (pointer events), kept as a PNG on a white ground and
// handed back as a file, which the attachments component attaches like a chosen image.

import { ClearOutlined, EditOutlined } from "@ant-design/icons";
import { Button, Modal } from "antd";
import { useEffect, useRef, useState } from "react";
import { useCrm } from "../../state";

type Point = { x: number; y: number };

const INK = "#1a1a2e";
const LINE_WIDTH = 2.5;

/// "YYYY-MM-DD HH:mm" in the device's time, for the file's name.
export function signatureStamp(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())} ${p(now.getHours())}:${p(now.getMinutes())}`;
}

/// The strokes drawn on `g`, in CSS pixels scaled by `scale` (the device's pixel ratio).
function drawStrokes(g: CanvasRenderingContext2D, strokes: Point[][], scale: number) {
  g.save();
  g.scale(scale, scale);
  g.strokeStyle = INK;
  g.fillStyle = INK;
  g.lineWidth = LINE_WIDTH;
  g.lineCap = "round";
  g.lineJoin = "round";
  for (const stroke of strokes) {
    if (stroke.length === 1) {
      // A tap: a dot.
      g.beginPath();
      g.arc(stroke[0].x, stroke[0].y, LINE_WIDTH / 2, 0, Math.PI * 2);
      g.fill();
      continue;
    }
    g.beginPath();
    g.moveTo(stroke[0].x, stroke[0].y);
    for (const pt of stroke.slice(1)) g.lineTo(pt.x, pt.y);
    g.stroke();
  }
  g.restore();
}

/// The pad itself: strokes kept as points, so the canvas is drawn again when its size changes
/// (a tablet turned); `onChange` says whether anything is drawn.
function Pad({ canvasRef, strokes, onChange }: { canvasRef: React.RefObject<HTMLCanvasElement>; strokes: React.MutableRefObject<Point[][]>; onChange: (empty: boolean) => void }) {
  const { t } = useCrm();
  const drawing = useRef<number | null>(null);

  const redraw = () => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const ratio = window.devicePixelRatio || 1;
    const w = Math.round(canvas.clientWidth * ratio);
    const h = Math.round(canvas.clientHeight * ratio);
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    const g = canvas.getContext("2d");
    if (!g) return;
    g.clearRect(0, 0, canvas.width, canvas.height);
    drawStrokes(g, strokes.current, ratio);
  };

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    redraw();
    const observer = new ResizeObserver(() => redraw());
    observer.observe(canvas);
    return () => observer.disconnect();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // In the canvas's own CSS pixels, even while the dialog is still zooming open.
  const at = (e: { clientX: number; clientY: number }, canvas: HTMLCanvasElement): Point => {
    const r = canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) * canvas.clientWidth) / (r.width || 1), y: ((e.clientY - r.top) * canvas.clientHeight) / (r.height || 1) };
  };
  const down = (e: React.PointerEvent<HTMLCanvasElement>) => {
    if (e.button !== 0 && e.pointerType === "mouse") return;
    e.preventDefault();
    e.currentTarget.setPointerCapture?.(e.pointerId);
    drawing.current = e.pointerId;
    strokes.current.push([at(e, e.currentTarget)]);
    redraw();
    onChange(false);
  };
  const move = (e: React.PointerEvent<HTMLCanvasElement>) => {
    if (drawing.current !== e.pointerId) return;
    e.preventDefault();
    const stroke = strokes.current[strokes.current.length - 1];
    const native = e.nativeEvent;
    const events = typeof native.getCoalescedEvents === "function" ? native.getCoalescedEvents() : [];
    const canvas = e.currentTarget;
    if (events.length) for (const c of events) stroke.push(at(c, canvas));
    else stroke.push(at(e, canvas));
    redraw();
  };
  const up = (e: React.PointerEvent<HTMLCanvasElement>) => {
    if (drawing.current === e.pointerId) drawing.current = null;
  };

  return (
    <div className="signature-pad">
      <canvas
        ref={canvasRef}
        className="signature-canvas"
        data-testid="signature-canvas"
        aria-label={t("attachments.signature_here")}
        onPointerDown={down}
        onPointerMove={move}
        onPointerUp={up}
        onPointerCancel={up}
      />
      <div className="signature-line" aria-hidden>
        <span>✕ {t("attachments.signature_here")}</span>
      </div>
    </div>
  );
}

/// The signature as a PNG file on a white ground (the pad itself is transparent).
async function signatureFile(canvas: HTMLCanvasElement, name: string): Promise<File | null> {
  const out = document.createElement("canvas");
  out.width = canvas.width;
  out.height = canvas.height;
  const g = out.getContext("2d");
  if (!g) return null;
  g.fillStyle = "#fff";
  g.fillRect(0, 0, out.width, out.height);
  g.drawImage(canvas, 0, 0);
  const blob = await new Promise<Blob | null>((resolve) => out.toBlob(resolve, "image/png"));
  return blob ? new File([blob], name, { type: "image/png" }) : null;
}

/// "Get signature" and its dialog; saving hands the PNG to `onSign` (which attaches it).
export function SignatureButton({ onSign }: { onSign: (file: File) => Promise<void> }) {
  const { t } = useCrm();
  const [open, setOpen] = useState(false);
  const [empty, setEmpty] = useState(true);
  const [saving, setSaving] = useState(false);
  const canvas = useRef<HTMLCanvasElement>(null);
  const strokes = useRef<Point[][]>([]);

  const start = () => {
    strokes.current = [];
    setEmpty(true);
    setOpen(true);
  };
  const clear = () => {
    strokes.current = [];
    setEmpty(true);
    const c = canvas.current;
    c?.getContext("2d")?.clearRect(0, 0, c.width, c.height);
  };
  const save = async () => {
    if (!canvas.current || strokes.current.length === 0) return;
    setSaving(true);
    try {
      const file = await signatureFile(canvas.current, t("attachments.signature_name", { at: signatureStamp() }));
      if (file) {
        setOpen(false);
        await onSign(file);
      }
    } finally {
      setSaving(false);
    }
  };

  return (
    <>
      <Button size="large" icon={<EditOutlined />} onClick={start} data-testid="attach-signature">
        {t("attachments.signature")}
      </Button>
      <Modal
        open={open}
        title={t("attachments.signature_title")}
        onCancel={() => setOpen(false)}
        destroyOnClose
        width={720}
        className="signature-modal"
        footer={[
          <Button key="clear" size="large" icon={<ClearOutlined />} onClick={clear} disabled={empty} data-testid="signature-clear">
            {t("attachments.signature_clear")}
          </Button>,
          <Button key="cancel" size="large" onClick={() => setOpen(false)} data-testid="signature-cancel">
            {t("common.cancel")}
          </Button>,
          <Button key="save" size="large" type="primary" onClick={() => void save()} disabled={empty} loading={saving} data-testid="signature-save">
            {t("attachments.signature_save")}
          </Button>,
        ]}
      >
        <div data-testid="signature-dialog">
          <Pad canvasRef={canvas} strokes={strokes} onChange={setEmpty} />
        </div>
      </Modal>
    </>
  );
}
