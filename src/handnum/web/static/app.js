// handnum page: upload a photo/PDF or draw digits, see the boxes, correct readings. No framework.
"use strict";
const $ = (sel) => document.querySelector(sel);
const SVG = "http://www.w3.org/2000/svg";
const pct = (p) => `${Math.round(p * 100)}%`;

// ---- API -------------------------------------------------------------------------------
async function post(url, form) {
  const t0 = performance.now();
  const r = await fetch(url, { method: "POST", body: form });
  const body = await r.json().catch(() => ({ error: `HTTP ${r.status} ${r.statusText}` }));
  if (!r.ok) throw new Error(body.error || `HTTP ${r.status}`);
  body.roundTripMs = performance.now() - t0;
  return body;
}

function readImage(blob, name, params) {
  const form = new FormData();
  form.append("file", blob, name);
  return post("/api/v1/read?" + new URLSearchParams(params), form);
}

function minConfidence() {
  const v = parseFloat($("#minconf").value);
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0.5;
}

const loadImage = (src) => new Promise((resolve, reject) => {
  const img = new Image();
  img.onload = () => resolve(img);
  img.onerror = () => reject(new Error("the browser cannot show this file"));
  img.src = src;
});

let toastTimer;
function toast(text) {
  const t = $("#toast");
  t.textContent = text;
  t.classList.add("show");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.remove("show"), 3500);
}

function status(el, text, error = false) {
  el.textContent = text;
  el.classList.toggle("error", error);
}

// ---- boxes over an image -----------------------------------------------------------------
function el(tag, attrs = {}, parent = null) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

// Draw number and digit boxes of `page` (handnum/1) into `svg`, in the page's pixels (viewBox).
function drawBoxes(svg, page, onDigit) {
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${page.width} ${page.height}`);
  svg.setAttribute("preserveAspectRatio", "none");
  const rect = (b, cls, parent) => el("rect", { x: b[0], y: b[1], width: b[2] - b[0], height: b[3] - b[1], class: cls }, parent);
  const labels = [];
  for (const line of page.lines) {
    const row = line.numbers.flatMap((n) => n.digits).sort((a, b) => a.box[0] - b.box[0]);
    row.forEach((d, i) => { d.room = (i + 1 < row.length ? row[i + 1].box[0] : page.width) - d.box[0]; });
    for (const number of line.numbers) {
      if (number.digits.length > 1) rect(number.box, "number", svg);
      for (const d of number.digits) {
        const g = el("g", { class: "digit" + (d.corrected ? " fixed" : "") }, svg);
        rect(d.box, "", g);
        labels.push([el("text", { x: d.box[0] }, g), d]);
        el("title", {}, g).textContent = `read as ${d.digit} (${pct(d.confidence)}); click to correct`;
        if (onDigit) g.addEventListener("click", () => onDigit(d));
      }
    }
  }
  // Labels are 13 CSS px whatever the scale; where digits are close, the value alone (then smaller).
  svg.layout = () => {
    const k = page.width / Math.max(1, svg.getBoundingClientRect().width);   // image px per CSS px
    svg.style.setProperty("--k", k);
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
}

// ---- correcting a digit ------------------------------------------------------------------
// The crop is cut from the browser's own copy of the image (box + margin) and sent with the label.
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
  return c;
}

let fixing = null;
function openFix(source, page, digit, onSaved) {
  cropDigit(source, page, digit.box);
  const top = (digit.top3 || []).map(([d, p]) => `${d} ${pct(p)}`).join(", ");
  $("#fix-read").textContent = `Read as ${digit.digit} (${pct(digit.confidence)})` + (top ? `; top 3: ${top}` : "");
  fixing = { digit, onSaved };
  $("#fix").showModal();
}

async function saveFix(label) {
  const { digit, onSaved } = fixing;
  $("#fix").close();
  const blob = await new Promise((r) => $("#fix-crop").toBlob(r, "image/png"));
  const form = new FormData();
  form.append("file", blob, "crop.png");
  form.append("label", String(label));
  try {
    const res = await post("/api/v1/corrections", form);
    Object.assign(digit, { digit: label === "x" ? "x" : Number(label), confidence: 1, corrected: true });
    onSaved();
    toast(`Saved the correction as ${res.saved}`);
  } catch (e) {
    toast(`Not saved: ${e.message}`);
  }
}

for (const d of [..."0123456789", "x"]) {
  const b = document.createElement("button");
  Object.assign(b, { type: "button", textContent: d === "x" ? "not a digit" : d });
  b.dataset.d = d;
  b.addEventListener("click", () => saveFix(d));
  $("#fix-digits").appendChild(b);
}

// ---- photo -------------------------------------------------------------------------------
let current = null;  // the file being shown

function retext(line) {   // the line's text after corrections ("x": not a digit, left out)
  line.text = line.numbers.map((n) => n.digits.filter((d) => d.digit !== "x").map((d) => d.digit).join(""))
    .filter(Boolean).join(" ");
}

function showLines(pages) {
  const ol = $("#lines");
  ol.replaceChildren();
  for (const page of pages) {
    for (const line of page.lines) {
      retext(line);
      const li = document.createElement("li");
      const text = document.createElement("span");
      text.className = "line-text";
      text.textContent = line.text;
      const conf = Math.min(...line.numbers.flatMap((n) => n.digits.map((d) => d.confidence)));
      const info = document.createElement("span");
      info.className = "muted";
      info.textContent = `${line.numbers.length} number${line.numbers.length > 1 ? "s" : ""}, lowest confidence ${pct(conf)}`
        + (pages.length > 1 ? `, page ${page.page + 1}` : "");
      li.append(text, info);
      ol.appendChild(li);
    }
  }
  if (!ol.children.length) ol.innerHTML = "<li class='muted'>No digits found.</li>";
}

async function readFile(file) {
  if (!file) return;
  current = file;
  const st = $("#photo-status");
  status(st, `Reading ${file.name}…`);
  const url = URL.createObjectURL(file);
  let img = await loadImage(url).catch(() => null);   // null: a PDF, TIFF, ...: ask for the page images
  const params = { min_confidence: minConfidence() };
  try {
    let res = await readImage(file, file.name, img ? params : { ...params, all_pages: true, image: true });
    if (img && (img.naturalWidth !== res.width || img.naturalHeight !== res.height)) {
      img = null;   // the browser oriented it differently: show the page as the server read it
      res = await readImage(file, file.name, { ...params, all_pages: true, image: true });
    }
    if (current !== file) return;
    const pages = res.pages || [res];
    const sheets = $("#sheets");
    sheets.replaceChildren();
    $("#photo-result").hidden = false;   // visible first, so the overlay knows its size
    for (const page of pages) {
      const source = page.image ? await loadImage(page.image) : img;
      const fig = document.createElement("div");
      fig.className = "sheet";
      const shown = source.cloneNode();
      shown.alt = `page ${page.page + 1} of ${file.name}`;
      const svg = el("svg", { class: "overlay" });
      fig.append(shown, svg);
      if (pages.length > 1) fig.insertAdjacentHTML("beforeend", `<span class="page-no">page ${page.page + 1}</span>`);
      sheets.appendChild(fig);
      const redraw = () => { drawBoxes(svg, page, (d) => openFix(source, page, d, () => { redraw(); showLines(pages); })); };
      redraw();
    }
    showLines(pages);
    const digits = pages.reduce((s, p) => s + p.lines.reduce((t, l) => t + l.numbers.reduce((u, n) => u + n.digits.length, 0), 0), 0);
    const lines = pages.reduce((s, p) => s + p.lines.length, 0);
    const readMs = pages.reduce((s, p) => s + p.elapsed_ms, 0);
    $("#timing").textContent = `${digits} digits in ${lines} lines · ${pages[0].width}×${pages[0].height} px`
      + (pages.length > 1 ? ` · ${pages.length} pages` : "")
      + ` · read in ${Math.round(readMs)} ms on the server · ${Math.round(res.roundTripMs)} ms round trip`;
    const json = { ...res };
    delete json.roundTripMs;
    $("#json").href = URL.createObjectURL(new Blob([JSON.stringify(json, null, 1)], { type: "application/json" }));
    $("#json").download = file.name.replace(/\.[^.]*$/, "") + ".handnum.json";
    $("#photo-result").hidden = false;
    status(st, `${file.name}: ${digits} digits found.`);
  } catch (e) {
    if (current === file) status(st, `Error: ${e.message}`, true);
  }
}

for (const id of ["#file", "#camera"]) $(id).addEventListener("change", (e) => readFile(e.target.files[0]));
$("#minconf").addEventListener("change", () => readFile(current));
const drop = $("#drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  readFile(e.dataTransfer.files[0]);
});

// ---- drawing pad ---------------------------------------------------------------------------
const pad = $("#pad");
const ctx = pad.getContext("2d");
let timer = null, seq = 0, drawing = false;

function clearPad() {
  const r = pad.getBoundingClientRect(), dpr = window.devicePixelRatio || 1;
  pad.width = Math.round(r.width * dpr) || 600;
  pad.height = Math.round(r.height * dpr) || 280;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, pad.width, pad.height);
  Object.assign(ctx, { lineWidth: 12 * dpr, lineCap: "round", lineJoin: "round", strokeStyle: "#111" });
  seq++;
  $("#pad-overlay").replaceChildren();
  $("#pad-digits").replaceChildren();
  $("#pad-text").textContent = "nothing yet";
  status($("#pad-status"), "");
}

function at(e) {
  const r = pad.getBoundingClientRect();
  return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height];
}

pad.addEventListener("pointerdown", (e) => {
  e.preventDefault();
  pad.setPointerCapture(e.pointerId);
  drawing = true;
  clearTimeout(timer);
  $("#pad-overlay").replaceChildren();
  ctx.beginPath();
  ctx.moveTo(...at(e));
  ctx.lineTo(...at(e));
  ctx.stroke();
});
pad.addEventListener("pointermove", (e) => {
  if (!drawing) return;
  ctx.lineTo(...at(e));
  ctx.stroke();
});
const penUp = () => {
  if (!drawing) return;
  drawing = false;
  clearTimeout(timer);
  timer = setTimeout(readPad, 350);   // a short pause: strokes of one digit (a 4, a crossed 7) go together
};
pad.addEventListener("pointerup", penUp);
pad.addEventListener("pointercancel", penUp);
$("#clear").addEventListener("click", clearPad);

async function readPad() {
  const mine = ++seq;
  const snapshot = document.createElement("canvas");   // what was read, for corrections
  Object.assign(snapshot, { width: pad.width, height: pad.height });
  snapshot.getContext("2d").drawImage(pad, 0, 0);
  const blob = await new Promise((r) => snapshot.toBlob(r, "image/png"));
  status($("#pad-status"), "Reading…");
  try {
    const page = await readImage(blob, "drawing.png", { min_confidence: minConfidence() });
    if (mine !== seq) return;
    const show = () => {
      page.lines.forEach(retext);
      $("#pad-text").textContent = page.lines.map((l) => l.text).join(" / ") || "no digit found";
      drawBoxes($("#pad-overlay"), page, null);
      const ul = $("#pad-digits");
      ul.replaceChildren();
      for (const d of page.lines.flatMap((l) => l.numbers.flatMap((n) => n.digits))) {
        const li = document.createElement("li");
        const b = document.createElement("button");
        b.className = "chip";
        b.type = "button";
        b.innerHTML = d.digit === "x" ? "✗ <small>not a digit</small>"
          : `${d.digit} <small>${d.corrected ? "corrected" : pct(d.confidence)}</small>`;
        b.title = "click to correct";
        b.addEventListener("click", () => openFix(snapshot, page, d, show));
        li.appendChild(b);
        ul.appendChild(li);
      }
    };
    show();
    status($("#pad-status"), `Read in ${Math.round(page.elapsed_ms)} ms (${Math.round(page.roundTripMs)} ms round trip).`
      + (page.lines.length ? " Click a digit to correct it." : ""));
  } catch (e) {
    if (mine === seq) status($("#pad-status"), `Error: ${e.message}`, true);
  }
}

// ---- tabs and model info -------------------------------------------------------------------
for (const tab of document.querySelectorAll(".tab")) {
  tab.addEventListener("click", () => {
    for (const t of document.querySelectorAll(".tab")) {
      t.classList.toggle("active", t === tab);
      t.setAttribute("aria-selected", t === tab);
      $("#" + t.dataset.tab).hidden = t !== tab;
    }
    if (tab.dataset.tab === "draw" && !pad.dataset.ready) { pad.dataset.ready = "1"; clearPad(); }
  });
}

fetch("/api/v1/health").then((r) => r.json()).then((h) => {
  $("#model").textContent = `model ${h.model.name} ${String(h.model.sha256).slice(0, 12)} · handnum ${h.version}`;
}).catch(() => {});
