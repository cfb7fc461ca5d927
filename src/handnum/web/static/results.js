// A reading with the corrections made on the page: what is shown, copied and downloaded.
// Corrections are kept by page and box, so they survive a new reading of the same file
// (another minimum confidence) wherever the same mark is found again.
"use strict";

export const pct = (p) => `${Math.round(p * 100)}%`;

function overlap(a, b) {   // intersection over union of two [x0, y0, x1, y1] boxes
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]), h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const area = (r) => (r[2] - r[0]) * (r[3] - r[1]);
  return (w * h) / (area(a) + area(b) - w * h);
}

export class Corrections {
  constructor() { this.list = []; }   // {page, box, label, was}
  clear() { this.list = []; }
  get size() { return this.list.length; }
  find(pageNo, box) {
    let best = null, score = 0.6;   // the same mark: boxes that overlap mostly
    for (const c of this.list) {
      const s = c.page === pageNo ? overlap(c.box, box) : 0;
      if (s >= score) { best = c; score = s; }
    }
    return best;
  }
  set(pageNo, digit, label) {
    const old = this.find(pageNo, digit.box);
    this.list = this.list.filter((c) => c !== old);
    this.list.push({ page: pageNo, box: digit.box, label: String(label), was: old ? old.was : digit.digit });
  }
}

const union = (boxes) => [Math.min(...boxes.map((b) => b[0])), Math.min(...boxes.map((b) => b[1])),
  Math.max(...boxes.map((b) => b[2])), Math.max(...boxes.map((b) => b[3]))];

// A copy of `page` (handnum/1) with the corrections applied: a corrected digit gets its label,
// confidence 1, `corrected: true` and `read_as` (what the model said). With `keepX` a digit marked
// "not a digit" stays (digit "x", for the boxes on the image); without, it moves to `rejected`.
// Numbers' and lines' text, boxes and confidences follow.
export function corrected(page, corrections, keepX = false) {
  const out = structuredClone(page);
  delete out.image;
  const rejected = [];
  out.lines = out.lines.map((line) => {
    line.numbers = line.numbers.map((number) => {
      number.digits = number.digits.map((d) => {
        const c = corrections.find(page.page, d.box);
        if (!c) return d;
        const digit = c.label === "x" ? "x" : Number(c.label);
        return { ...d, digit, confidence: 1, corrected: true, read_as: c.was };
      }).filter((d) => {
        if (d.digit !== "x" || keepX) return true;
        rejected.push({ box: d.box, reason: "not-a-digit (corrected)", confidence: 1 });
        return false;
      });
      const real = number.digits.filter((d) => d.digit !== "x");
      if (number.digits.length) {
        number.box = union(number.digits.map((d) => d.box));
        number.text = real.map((d) => d.digit).join("");
        number.confidence = +real.reduce((p, d) => p * d.confidence, 1).toFixed(4);
      }
      return number;
    }).filter((n) => n.digits.length);
    if (line.numbers.length) {
      line.box = union(line.numbers.map((n) => n.box));
      line.text = line.numbers.map((n) => n.text).filter(Boolean).join(" ");
    }
    return line;
  }).filter((l) => l.numbers.length);
  out.rejected = [...out.rejected, ...rejected];
  return out;
}

// The text of every line of every page, one line per line (what the Copy button copies).
export function numbersText(pages, corrections) {
  return pages.flatMap((p) => corrected(p, corrections).lines.map((l) => l.text)).filter(Boolean).join("\n");
}

// The JSON download: the server's answer with the corrections applied.
export function correctedJson(answer, corrections) {
  const body = answer.pages
    ? { page_count: answer.page_count, pages: answer.pages.map((p) => corrected(p, corrections)) }
    : corrected(answer, corrections);
  return new Blob([JSON.stringify(body, null, 1)], { type: "application/json" });
}

// The page image with its boxes drawn in (as `handnum read` draws them), as a PNG blob.
// `source` is an <img> of the page; a smaller preview (a PDF page) is drawn at its own size.
export async function annotatedPng(page, source, corrections) {
  const shown = corrected(page, corrections, true);
  const W = source.naturalWidth, H = source.naturalHeight, s = W / page.width;
  const canvas = Object.assign(document.createElement("canvas"), { width: W, height: H });
  const ctx = canvas.getContext("2d");
  ctx.drawImage(source, 0, 0);
  const thick = Math.max(1, Math.round(Math.min(W, H) / 400));
  const at = (b) => b.map((v) => v * s);
  ctx.textAlign = "center";
  for (const line of shown.lines) {
    for (const number of line.numbers) {
      const [x0, y0, x1, y1] = at(number.box), pad = Math.max(2, (y1 - y0) / 10);
      ctx.strokeStyle = "#007800";
      ctx.lineWidth = Math.max(1, thick / 2);
      ctx.strokeRect(x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad);
      for (const d of number.digits) {
        const [a, b, c, e] = at(d.box), h = e - b;
        const color = d.digit === "x" ? "#c2372b" : d.corrected ? "#ea7a10" : "#00c800";
        ctx.strokeStyle = ctx.fillStyle = color;
        ctx.lineWidth = thick;
        ctx.strokeRect(a, b, c - a, h);
        ctx.font = `bold ${Math.max(10, 0.4 * h)}px sans-serif`;
        ctx.textBaseline = "bottom";
        ctx.fillText(d.digit === "x" ? "✗" : String(d.digit), (a + c) / 2, b - 3);
        ctx.font = `${Math.max(9, 0.25 * h)}px sans-serif`;
        ctx.textBaseline = "top";
        ctx.fillText(d.corrected ? "✓" : pct(d.confidence), (a + c) / 2, e + 3);
      }
    }
  }
  return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
}

// Save a blob as a file named `name` (an <a download> click).
export function download(blob, name) {
  const a = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: name });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
}
