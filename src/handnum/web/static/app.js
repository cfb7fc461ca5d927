// handnum page: upload a photo/PDF (or try the sample), see the boxes, zoom, correct, copy, download.
// No framework; the modules beside this one each do one part.
"use strict";

import { readImage } from "./api.js";
import { drawBoxes, navigate } from "./boxes.js";
import { openFix, toast } from "./fix.js";
import { clearPad } from "./pad.js";
import { Corrections, annotatedPng, corrected, correctedJson, download, numbersText, pct } from "./results.js";
import { Viewer } from "./viewer.js";

const $ = (sel) => document.querySelector(sel);
const viewer = new Viewer($("#viewer"), $("#zoom-level"));
const fixes = new Corrections();   // kept across readings of the same file
let shown = null;   // {file, answer, pages, sources, svgs}: the reading on the page
let lastFile = null, seq = 0, busy = false;

const loadImage = (src) => new Promise((resolve, reject) => {
  const img = new Image();
  img.onload = () => resolve(img);
  img.onerror = () => reject(new Error("the browser cannot show this file"));
  img.src = src;
});
const baseName = (name) => name.replace(/\.[^.]*$/, "") || "page";

function status(text, error = false) {
  $("#photo-status").textContent = text;
  $("#photo-status").classList.toggle("error", error);
}

function setBusy(on, text = "") {
  busy = on;
  for (const id of ["#choose", "#take", "#sample", "#minconf", "#retry"]) $(id).disabled = on;
  $("#drop").classList.toggle("disabled", on);
  $("#busy").hidden = $("#reading").hidden = !on;
  $("#photo").setAttribute("aria-busy", String(on));
  if (text) $("#busy-text").textContent = text;
}

function clearResult() {
  shown = null;
  $("#photo-result").hidden = $("#view").hidden = true;
  $("#sheets").replaceChildren();
  $("#lines").replaceChildren();
  $("#timing").textContent = "";
  viewer.show([]);
}

// The sheets (an image and its overlay per page) in the viewer; boxes come with paint().
function build(pages, sources, name) {
  $("#view").hidden = false;
  const sheets = $("#sheets");
  sheets.replaceChildren();
  const svgs = pages.map((page, i) => {
    const fig = Object.assign(document.createElement("div"), { className: "sheet" });
    const img = sources[i].cloneNode();
    img.alt = `page ${page.page + 1} of ${name}`;
    img.draggable = false;
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("class", "overlay");
    fig.append(img, svg);
    if (pages.length > 1) fig.insertAdjacentHTML("beforeend", `<span class="page-no">page ${page.page + 1}</span>`);
    sheets.appendChild(fig);
    return { el: fig, svg, width: page.width, height: page.height };
  });
  viewer.show(svgs);
  return svgs.map((s) => s.svg);
}

// Boxes and lines of the reading on the page, with the corrections applied.
function paint(focusKey = null) {
  const { pages, sources, svgs } = shown;
  const boxes = pages.flatMap((page, i) => drawBoxes(svgs[i], corrected(page, fixes, true), (d, g) => openFix(
    sources[i], page, d, (label) => { fixes.set(page.page, d, label); paint(`${i}:${g.dataset.key}`); }, g)));
  navigate(boxes);
  if (focusKey) {
    const [i, key] = focusKey.split(":");
    const g = [...svgs[i].querySelectorAll(".digit")].find((b) => b.dataset.key === key);
    if (g) g.focus();
  }
  const ol = $("#lines");
  ol.replaceChildren();
  for (const page of pages) {
    for (const line of corrected(page, fixes).lines) {
      const li = document.createElement("li");
      const conf = Math.min(...line.numbers.flatMap((n) => n.digits.map((d) => d.confidence)));
      li.innerHTML = "<span class='line-text'></span> <span class='muted info'></span>";
      li.firstChild.textContent = line.text;
      li.lastChild.textContent = `${line.numbers.length} number${line.numbers.length > 1 ? "s" : ""}, lowest `
        + `confidence ${pct(conf)}` + (pages.length > 1 ? `, page ${page.page + 1}` : "");
      ol.appendChild(li);
    }
  }
  if (!ol.children.length) ol.innerHTML = "<li class='muted'>No digits found.</li>";
  $("#copy").disabled = !numbersText(pages, fixes);
}

async function readFile(file, again = false) {
  if (!file || busy) return;
  const mine = ++seq;
  if (!again) fixes.clear();
  lastFile = file;
  $("#retry").hidden = true;
  status("");
  clearResult();
  let img = await loadImage(URL.createObjectURL(file)).catch(() => null);   // null: a PDF, TIFF, ...
  if (img) build([{ page: 0, width: img.naturalWidth, height: img.naturalHeight }], [img], file.name);   // the preview
  setBusy(true, `Uploading ${file.name}…`);
  $("#busy-bar").value = 0;
  const progress = (f) => {
    $("#busy-bar").value = f;
    $("#busy-text").textContent = f < 1 ? `Uploading ${file.name}… ${Math.round(f * 100)} %` : `Reading ${file.name}…`;
  };
  const params = { min_confidence: Math.min(1, Math.max(0, parseFloat($("#minconf").value) || 0)) };
  try {
    let res = await readImage(file, file.name, img ? params : { ...params, all_pages: true, image: true }, progress);
    if (img && (img.naturalWidth !== res.width || img.naturalHeight !== res.height)) {
      img = null;   // the browser oriented it differently: show the page as the server read it
      res = await readImage(file, file.name, { ...params, all_pages: true, image: true }, progress);
    }
    if (mine !== seq) return;
    delete res.roundTripMs;
    const pages = res.pages || [res];
    const sources = await Promise.all(pages.map((p) => (p.image ? loadImage(p.image) : img)));
    shown = { file, answer: res, pages, sources, svgs: build(pages, sources, file.name) };
    $("#photo-result").hidden = false;
    paint();
    const digits = pages.reduce((s, p) => s + p.lines.reduce((t, l) => t + l.numbers.reduce((u, n) => u + n.digits.length, 0), 0), 0);
    const lines = pages.reduce((s, p) => s + p.lines.length, 0);
    const readMs = pages.reduce((s, p) => s + p.elapsed_ms, 0);
    $("#timing").textContent = `${digits} digits in ${lines} lines · ${pages[0].width}×${pages[0].height} px`
      + (pages.length > 1 ? ` · ${pages.length} pages` : "") + ` · read in ${Math.round(readMs)} ms on the server`;
    status(`${file.name}: ${digits} digits found` + (fixes.size ? `, ${fixes.size} corrected.` : "."));
  } catch (e) {
    if (mine !== seq) return;
    clearResult();
    status(`Error: ${e.message}`, true);
    $("#retry").hidden = !(e.status === 503 || e.status === 0);   // busy or unreachable: worth another try
  } finally {
    if (mine === seq) setBusy(false);
  }
}

// ---- the controls ----------------------------------------------------------------------------
$("#choose").addEventListener("click", () => $("#file").click());
$("#take").addEventListener("click", () => $("#camera").click());
for (const id of ["#file", "#camera"]) {
  $(id).addEventListener("change", (e) => { readFile(e.target.files[0]); e.target.value = ""; });
}
$("#sample").addEventListener("click", async () => {
  const blob = await (await fetch("/static/sample.jpg")).blob();
  readFile(new File([blob], "sample.jpg", { type: blob.type }));
});
$("#minconf").addEventListener("change", () => readFile(lastFile, true));
$("#retry").addEventListener("click", () => readFile(lastFile, true));
const drop = $("#drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); if (!busy) drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  if (!busy) readFile(e.dataTransfer.files[0]);
});

$("#zoom-in").addEventListener("click", () => viewer.zoomAt(viewer.z * 1.5));
$("#zoom-out").addEventListener("click", () => viewer.zoomAt(viewer.z / 1.5));
$("#zoom-fit").addEventListener("click", () => viewer.fit());
$("#zoom-1").addEventListener("click", () => viewer.zoomAt(1));

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {   // no Clipboard API (a page served over plain http to another machine): the old way
    const area = Object.assign(document.createElement("textarea"), { value: text });
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
}
$("#copy").addEventListener("click", async () => {
  const text = numbersText(shown.pages, fixes);
  await copyText(text);
  const n = text.split("\n").length;
  toast(`Copied ${n} line${n > 1 ? "s" : ""} of numbers`);
});
$("#dl-json").addEventListener("click", () => {
  download(correctedJson(shown.answer, fixes), `${baseName(shown.file.name)}.handnum.json`);
});
$("#dl-png").addEventListener("click", async () => {
  const { pages, sources, file } = shown;
  $("#dl-png").disabled = true;
  try {
    for (const [i, page] of pages.entries()) {
      const blob = await annotatedPng(page, sources[i], fixes);
      download(blob, `${baseName(file.name)}${pages.length > 1 ? `.page${page.page + 1}` : ""}.annotated.png`);
    }
  } finally {
    $("#dl-png").disabled = false;
  }
});

// ---- tabs (arrow keys between them) and the model line ----------------------------------------------
const tabs = [...document.querySelectorAll(".tab")];
function selectTab(tab) {
  for (const t of tabs) {
    t.classList.toggle("active", t === tab);
    t.setAttribute("aria-selected", String(t === tab));
    t.tabIndex = t === tab ? 0 : -1;
    $("#" + t.dataset.tab).hidden = t !== tab;
  }
  if (tab.dataset.tab === "draw" && !$("#pad").dataset.ready) { $("#pad").dataset.ready = "1"; clearPad(); }
}
tabs.forEach((tab, i) => {
  tab.addEventListener("click", () => selectTab(tab));
  tab.addEventListener("keydown", (e) => {
    const to = { ArrowRight: tabs[(i + 1) % tabs.length], ArrowLeft: tabs[(i + tabs.length - 1) % tabs.length] }[e.key];
    if (to) { e.preventDefault(); selectTab(to); to.focus(); }
  });
});

fetch("/api/v1/health").then((r) => r.json()).then((h) => {
  $("#model").textContent = `model ${h.model.name} ${String(h.model.sha256).slice(0, 12)} · handnum ${h.version}`;
}).catch(() => {});
