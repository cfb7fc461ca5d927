// The correction dialog: the digit's crop, what it was read as, a button per digit (or type it).
// The crop is cut from the browser's own copy of the image (box + margin) and saved with the label
// (POST /api/v1/corrections, for `handnum finetune`).
"use strict";

import { saveCorrection } from "./api.js";
import { pct } from "./results.js";

const $ = (sel) => document.querySelector(sel);
const dialog = $("#fix");
let fixing = null;   // {digit, done(label), back: element to focus afterwards}

function cropDigit(source, page, box) {
  const sx = (source.naturalWidth || source.width) / page.width;
  const sy = (source.naturalHeight || source.height) / page.height;
  const m = Math.max(2, Math.round(0.15 * Math.max(box[2] - box[0], box[3] - box[1])));   // as train/samples.crop
  const x0 = Math.max(0, box[0] - m), y0 = Math.max(0, box[1] - m);
  const x1 = Math.min(page.width, box[2] + m), y1 = Math.min(page.height, box[3] + m);
  const c = $("#fix-crop");
  c.width = Math.max(1, Math.round((x1 - x0) * sx));
  c.height = Math.max(1, Math.round((y1 - y0) * sy));
  const ctx = c.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, c.width, c.height);
  ctx.drawImage(source, x0 * sx, y0 * sy, c.width, c.height, 0, 0, c.width, c.height);
}

// Open the dialog for `digit` of `page` shown from `source`; `done(label)` runs once it is saved.
export function openFix(source, page, digit, done, back = null) {
  cropDigit(source, page, digit.box);
  const top = (digit.top3 || []).map(([d, p]) => `${d} ${pct(p)}`).join(", ");
  const was = digit.corrected ? `corrected to ${digit.digit === "x" ? "not a digit" : digit.digit}; read as ${digit.read_as}`
    : `read as ${digit.digit} (${pct(digit.confidence)})`;
  $("#fix-read").textContent = was[0].toUpperCase() + was.slice(1) + (top ? `; top 3: ${top}` : "");
  fixing = { digit, done, back };
  dialog.showModal();
}

async function save(label) {
  const { done } = fixing;
  dialog.close();
  try {
    const res = await saveCorrection($("#fix-crop"), label);
    done(label);
    toast(`Saved the correction as ${res.saved}`);
  } catch (e) {
    toast(`Not saved: ${e.message}`);
  }
}

for (const d of [..."0123456789", "x"]) {
  const b = Object.assign(document.createElement("button"), { type: "button", textContent: d === "x" ? "not a digit" : d });
  b.dataset.d = d;
  b.addEventListener("click", () => save(d));
  $("#fix-digits").appendChild(b);
}
dialog.addEventListener("keydown", (e) => {   // type the digit (or x)
  const key = e.key.toLowerCase();
  if (!e.ctrlKey && !e.metaKey && !e.altKey && /^[0-9x]$/.test(key)) {
    e.preventDefault();
    save(key);
  }
});
dialog.addEventListener("close", () => {
  const back = fixing && fixing.back;
  if (back && back.isConnected) back.focus();
});

let toastTimer;
export function toast(text) {
  const t = $("#toast");
  t.textContent = text;
  t.classList.add("show");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.remove("show"), 3500);
}
