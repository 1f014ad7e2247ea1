// A per-step loss chart on a canvas: the raw losses in light blue, their running mean in dark blue.

const PAD = { left: 48, right: 10, top: 10, bottom: 22 };

export class LossChart {
  private steps: number[] = [];
  private losses: number[] = [];
  private pending = false;

  constructor(private readonly canvas: HTMLCanvasElement) {}

  reset(): void {
    this.steps = [];
    this.losses = [];
    this.draw();
  }

  add(step: number, loss: number): void {
    this.steps.push(step);
    this.losses.push(loss);
    // One redraw per frame, however many steps arrive in it.
    if (!this.pending) {
      this.pending = true;
      requestAnimationFrame(() => {
        this.pending = false;
        this.draw();
      });
    }
  }

  draw(): void {
    const c = this.canvas.getContext('2d');
    if (!c) return;
    const { width: w, height: h } = this.canvas;
    c.clearRect(0, 0, w, h);
    c.font = '11px system-ui, sans-serif';
    c.fillStyle = '#555';
    const finite = this.losses.filter(Number.isFinite);
    if (finite.length === 0) {
      c.fillText('loss per step', PAD.left, h / 2);
      return;
    }
    const x0 = this.steps[0], x1 = Math.max(this.steps[this.steps.length - 1], x0 + 1);
    const y1 = Math.max(...finite), y0 = Math.min(0, Math.min(...finite));
    const px = (s: number) => PAD.left + ((s - x0) / (x1 - x0)) * (w - PAD.left - PAD.right);
    const py = (v: number) => h - PAD.bottom - ((v - y0) / (y1 - y0 || 1)) * (h - PAD.top - PAD.bottom);
    c.strokeStyle = '#ccc';
    c.beginPath();
    c.moveTo(PAD.left, PAD.top);
    c.lineTo(PAD.left, h - PAD.bottom);
    c.lineTo(w - PAD.right, h - PAD.bottom);
    c.stroke();
    c.fillText(y1.toPrecision(3), 4, PAD.top + 8);
    c.fillText(y0.toPrecision(3), 4, h - PAD.bottom);
    c.fillText(`step ${x0}`, PAD.left, h - 6);
    c.fillText(`step ${x1}`, w - PAD.right - 60, h - 6);
    this.line(c, this.losses, px, py, '#9cc3f5');
    const mean: number[] = [];
    let m = NaN;
    for (const v of this.losses) mean.push((m = Number.isNaN(m) ? v : 0.9 * m + 0.1 * v));
    this.line(c, mean, px, py, '#0b4fb3');
  }

  private line(c: CanvasRenderingContext2D, values: number[], px: (s: number) => number, py: (v: number) => number, color: string): void {
    c.strokeStyle = color;
    c.lineWidth = 1.5;
    c.beginPath();
    values.forEach((v, i) => (i === 0 ? c.moveTo(px(this.steps[i]), py(v)) : c.lineTo(px(this.steps[i]), py(v))));
    c.stroke();
  }
}
