// The drawing pad: strokes are kept, so Undo (the button or Ctrl+Z) takes the last one away.
// What is drawn is read a moment after the pen lifts; each digit can be corrected.
"use strict";

import { readImage } from "./api.js";
import { drawBoxes } from "./boxes.js";
import { openFix } from "./fix.js";
import { Corrections, corrected, pct } from "./results.js";

const $ = (sel) => document.querySelector(sel);
const pad = $("#pad");
const ctx = pad.getContext("2d");
let strokes = [], stroke = null, timer = null, seq = 0;
const fixes = new Corrections();

function status(text, error = false) {
  $("#pad-status").textContent = text;
  $("#pad-status").classList.toggle("error", error);
}

function paint() {   // white paper and every stroke
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, pad.width, pad.height);
  for (const s of strokes) {
    ctx.beginPath();
    ctx.moveTo(...s[0]);
    for (const p of s) ctx.lineTo(...p);
    ctx.stroke();
  }
  $("#undo").disabled = !strokes.length;
}

function forget() {   // the last reading is no longer what is drawn (corrections stay with their marks)
  seq++;
  clearTimeout(timer);
  $("#pad-overlay").replaceChildren();
  $("#pad-digits").replaceChildren();
  $("#pad-text").textContent = "nothing yet";
  status("");
}

export function clearPad() {
  const r = pad.getBoundingClientRect(), dpr = window.devicePixelRatio || 1;
  pad.width = Math.round(r.width * dpr) || 600;
  pad.height = Math.round(r.height * dpr) || 280;
  Object.assign(ctx, { lineWidth: 12 * dpr, lineCap: "round", lineJoin: "round", strokeStyle: "#111" });
  strokes = [];
  fixes.clear();
  paint();
  forget();
}

function undo() {
  if (!strokes.length) return;
  strokes.pop();
  paint();
  forget();
  if (strokes.length) timer = setTimeout(readPad, 100);
}

function at(e) {
  const r = pad.getBoundingClientRect();
  return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height];
}

pad.addEventListener("pointerdown", (e) => {
  e.preventDefault();
  pad.setPointerCapture(e.pointerId);
  clearTimeout(timer);
  $("#pad-overlay").replaceChildren();
  stroke = [at(e)];
  strokes.push(stroke);
  ctx.beginPath();
  ctx.moveTo(...stroke[0]);
  ctx.lineTo(...stroke[0]);
  ctx.stroke();
});
pad.addEventListener("pointermove", (e) => {
  if (!stroke) return;
  stroke.push(at(e));
  ctx.lineTo(...at(e));
  ctx.stroke();
});
const penUp = () => {
  if (!stroke) return;
  stroke = null;
  $("#undo").disabled = false;
  clearTimeout(timer);
  timer = setTimeout(readPad, 350);   // a short pause: strokes of one digit (a 4, a crossed 7) go together
};
pad.addEventListener("pointerup", penUp);
pad.addEventListener("pointercancel", penUp);
$("#clear").addEventListener("click", clearPad);
$("#undo").addEventListener("click", undo);
$("#draw").addEventListener("keydown", (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z" && !$("#fix").open) { e.preventDefault(); undo(); }
});

async function readPad() {
  const mine = ++seq;
  const snapshot = document.createElement("canvas");   // what was read, for corrections
  Object.assign(snapshot, { width: pad.width, height: pad.height });
  snapshot.getContext("2d").drawImage(pad, 0, 0);
  const blob = await new Promise((r) => snapshot.toBlob(r, "image/png"));
  status("Reading…");
  try {
    // judge=false: a blank pad holds only what was drawn on it, no print; the judge learned from photos of
    // paper and takes one mouse-drawn digit in five (straight strokes, one width) for print
    const page = await readImage(blob, "drawing.png", { min_confidence: $("#minconf").value || 0.5, judge: false });
    if (mine !== seq) return;
    const show = () => {
      const shown = corrected(page, fixes, true);
      $("#pad-text").textContent = corrected(page, fixes).lines.map((l) => l.text).join(" / ") || "no digit found";
      drawBoxes($("#pad-overlay"), shown, null);
      const ul = $("#pad-digits");
      ul.replaceChildren();
      for (const d of shown.lines.flatMap((l) => l.numbers.flatMap((n) => n.digits))) {
        const b = Object.assign(document.createElement("button"), { className: "chip", type: "button", title: "correct this digit" });
        b.innerHTML = d.digit === "x" ? "✗ <small>not a digit</small>"
          : `${d.digit} <small>${d.corrected ? "corrected" : pct(d.confidence)}</small>`;
        b.setAttribute("aria-label", `${d.digit === "x" ? "not a digit" : "digit " + d.digit}: correct it`);
        b.addEventListener("click", () => openFix(snapshot, page, d, (label) => { fixes.set(page.page, d, label); show(); }, b));
        const li = document.createElement("li");
        li.appendChild(b);
        ul.appendChild(li);
      }
    };
    show();
    status(`Read in ${Math.round(page.elapsed_ms)} ms (${Math.round(page.roundTripMs)} ms round trip).`
      + (page.lines.length ? " Click a digit to correct it." : ""));
  } catch (e) {
    if (mine === seq) status(`Error: ${e.message}`, true);
  }
}
