// The boxes over an image: an SVG in the page's pixels (viewBox) laid over the <img>. Each digit is
// a focusable button (roving tabindex: Tab reaches the boxes once, arrows move between digits,
// Enter or Space opens its correction). Strokes and labels are sized in screen pixels, so they stay
// readable at every zoom; where the boxes are too small to label, only the boxes are drawn.
"use strict";

import { pct } from "./results.js";

const SVG = "http://www.w3.org/2000/svg";

export function el(tag, attrs = {}, parent = null) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

const label = (d) => (d.digit === "x" ? "not a digit" : `digit ${d.digit}`)
  + (d.corrected ? `, corrected (read as ${d.read_as})` : `, ${pct(d.confidence)}`);

// Draw `page` (handnum/1, corrections applied with keepX) into `svg`; `onOpen(digit, g)` corrects a digit
// (null: the boxes are only shown). Returns the digits' <g> elements in reading order.
export function drawBoxes(svg, page, onOpen = null) {
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${page.width} ${page.height}`);
  svg.setAttribute("preserveAspectRatio", "none");
  const rect = (b, cls, parent) => el("rect", { x: b[0], y: b[1], width: b[2] - b[0], height: b[3] - b[1], class: cls }, parent);
  const labels = [], boxes = [];
  page.lines.forEach((line, lineNo) => {
    const row = line.numbers.flatMap((n) => n.digits).sort((a, b) => a.box[0] - b.box[0]);
    row.forEach((d, i) => { d.room = (i + 1 < row.length ? row[i + 1].box[0] : page.width) - d.box[0]; });
    for (const number of line.numbers) {
      if (number.digits.length > 1) rect(number.box, "number", svg);
      for (const d of number.digits) {
        const g = el("g", { class: "digit" + (d.corrected ? " fixed" : "") + (d.digit === "x" ? " notdigit" : "") }, svg);
        rect(d.box, "", g);
        labels.push([el("text", { x: d.box[0] }, g), d]);
        if (onOpen) {
          Object.assign(g.dataset, { line: lineNo, x: (d.box[0] + d.box[2]) / 2, key: d.box.join(",") });
          g.setAttribute("role", "button");
          g.setAttribute("aria-label", label(d));
          g.setAttribute("tabindex", boxes.length ? "-1" : "0");
          el("title", {}, g).textContent = `${label(d)}: click to correct`;
          g.addEventListener("click", () => onOpen(d, g));
        }
        boxes.push(g);
      }
    }
  });
  // Labels are 13 CSS px whatever the zoom; where digits are close, the value alone (then smaller);
  // boxes under 14 CSS px tall get no label and thinner lines.
  svg.layout = () => {
    const k = page.width / Math.max(1, svg.getBoundingClientRect().width);   // image px per CSS px
    const heights = labels.map(([, d]) => d.box[3] - d.box[1]).sort((a, b) => a - b);
    const typical = (heights[heights.length >> 1] || 20) / k;                 // CSS px
    svg.style.setProperty("--k", k);
    svg.style.setProperty("--sw", `${Math.max(0.75, Math.min(2, typical / 14))}px`);
    svg.classList.toggle("tiny", typical < 14);
    for (const [t, d] of labels) {
      const full = d.digit === "x" ? "✗" : d.corrected ? `${d.digit} ✓` : `${d.digit} ${pct(d.confidence)}`;
      const fits = (full.length * 0.68 + 0.4) * 13 * k <= d.room;   // bold digits are ~0.68 em wide
      let fs = fits ? 13 * k : Math.min(13 * k, d.room / 0.75);
      const above = d.box[1] > 1.1 * Math.min(fs, 8 * k);   // above the box, smaller near the top edge
      if (above) fs = Math.min(fs, d.box[1] / 1.1);
      t.textContent = fits || d.digit === "x" ? full : String(d.digit);
      t.setAttribute("font-size", fs);
      t.setAttribute("y", above ? d.box[1] - 0.25 * fs : d.box[3] + 0.9 * fs);
    }
  };
  svg.layout();
  if (!svg.dataset.observed) { svg.dataset.observed = "1"; new ResizeObserver(() => svg.layout()).observe(svg); }
  return boxes;
}

// Arrow keys among `boxes` (all pages' digit <g>s in reading order): left/right the previous/next
// digit, up/down the nearest digit of the line above/below, Home/End the first/last; Enter/Space opens.
export function navigate(boxes) {
  const go = (from, to) => {
    if (!to) return;
    from.setAttribute("tabindex", "-1");
    to.setAttribute("tabindex", "0");
    to.focus();
    to.scrollIntoView({ block: "nearest", inline: "nearest" });
  };
  boxes.forEach((g, i) => {
    g.addEventListener("focus", () => boxes.forEach((b) => b.setAttribute("tabindex", b === g ? "0" : "-1")));
    g.addEventListener("keydown", (e) => {
      const line = (dir) => {   // the nearest digit by x in the next line up or down (same sheet)
        const sheet = g.ownerSVGElement, here = +g.dataset.line;
        const lines = boxes.filter((b) => b.ownerSVGElement === sheet).map((b) => +b.dataset.line);
        const target = dir > 0 ? Math.min(...lines.filter((l) => l > here)) : Math.max(...lines.filter((l) => l < here));
        const row = boxes.filter((b) => b.ownerSVGElement === sheet && +b.dataset.line === target);
        return row.sort((a, b) => Math.abs(a.dataset.x - g.dataset.x) - Math.abs(b.dataset.x - g.dataset.x))[0];
      };
      const moves = { ArrowRight: () => boxes[i + 1], ArrowLeft: () => boxes[i - 1], ArrowDown: () => line(1),
        ArrowUp: () => line(-1), Home: () => boxes[0], End: () => boxes[boxes.length - 1] };
      if (moves[e.key]) {
        e.preventDefault();
        go(g, moves[e.key]());
      } else if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        g.dispatchEvent(new MouseEvent("click", { bubbles: true }));
      }
    });
  });
}
