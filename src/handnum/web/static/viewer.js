// Zoom and pan for the sheets in a scrolling box. The zoom is CSS px per image px: each sheet is
// given its size in CSS px, so the box scrolls natively (a finger, the wheel, the scroll bars) and
// the boxes' overlay, sized with it, redraws its strokes and labels for the zoom.
// Zoom: buttons, Ctrl + wheel (a trackpad pinch), a two-finger pinch, the + / − / 0 keys.
"use strict";

const MAX_ZOOM = 4;   // 4 CSS px per image px

export class Viewer {
  constructor(box, level) {
    Object.assign(this, { box, level, sheets: [], z: 1, fitted: true });
    box.addEventListener("wheel", (e) => {
      if (!e.ctrlKey && !e.metaKey) return;   // the plain wheel scrolls (pans)
      e.preventDefault();
      this.zoomAt(this.z * Math.exp(-e.deltaY * 0.002), e.clientX, e.clientY);
    }, { passive: false });
    box.addEventListener("keydown", (e) => {
      const to = { "+": this.z * 1.25, "=": this.z * 1.25, "-": this.z / 1.25, "0": "fit" }[e.key];
      if (to === undefined || e.ctrlKey || e.metaKey || e.altKey) return;
      e.preventDefault();
      to === "fit" ? this.fit() : this.zoomAt(to);
    });
    this.pinch(box);
    this.drag(box);
    new ResizeObserver(() => { if (this.fitted) this.fit(); }).observe(box);
  }

  // `sheets`: [{el, width, height}] (image px) stacked in the box.
  show(sheets) {
    this.sheets = sheets;
    this.fit();
  }

  get fitZoom() {
    if (!this.sheets.length) return 1;
    const w = Math.max(...this.sheets.map((s) => s.width)), h = this.sheets[0].height;
    const maxH = parseFloat(getComputedStyle(this.box).maxHeight) || window.innerHeight * 0.75;
    return Math.min(this.box.clientWidth / w, maxH / h);
  }

  fit() { this.set(this.fitZoom, true); }

  set(z, fitted = false) {
    const fit = this.fitZoom;   // from the whole page (or 100 % if smaller) up to MAX_ZOOM (or the fit if larger)
    this.z = Math.max(Math.min(fit, 1), Math.min(Math.max(MAX_ZOOM, fit), z));
    this.fitted = fitted;
    for (const s of this.sheets) {
      s.el.style.width = `${s.width * this.z}px`;
      s.el.style.height = `${s.height * this.z}px`;
    }
    this.level.textContent = `${Math.round(this.z * 100)} %`;
  }

  // Zoom to `z` keeping the point under (clientX, clientY) (default: the box's centre) in place.
  zoomAt(z, clientX = null, clientY = null) {
    const r = this.box.getBoundingClientRect();
    const cx = clientX === null ? r.width / 2 : clientX - r.left, cy = clientY === null ? r.height / 2 : clientY - r.top;
    const x = (this.box.scrollLeft + cx) / this.z, y = (this.box.scrollTop + cy) / this.z;
    this.set(z, Math.abs(z - this.fitZoom) < 1e-3);
    this.box.scrollLeft = x * this.z - cx;
    this.box.scrollTop = y * this.z - cy;
  }

  pinch(box) {   // two fingers: zoom about their midpoint (one finger scrolls natively)
    let start = null;
    const spread = (t) => Math.hypot(t[0].clientX - t[1].clientX, t[0].clientY - t[1].clientY);
    const mid = (t) => [(t[0].clientX + t[1].clientX) / 2, (t[0].clientY + t[1].clientY) / 2];
    box.addEventListener("touchstart", (e) => {
      if (e.touches.length === 2) start = { d: spread(e.touches), z: this.z };
    }, { passive: true });
    box.addEventListener("touchmove", (e) => {
      if (e.touches.length !== 2 || !start) return;
      if (e.cancelable) e.preventDefault();
      this.zoomAt(start.z * spread(e.touches) / Math.max(1, start.d), ...mid(e.touches));
    }, { passive: false });
    box.addEventListener("touchend", () => { start = null; });
  }

  drag(box) {   // the mouse drags the image when it is larger than the box; a drag is not a click
    let from = null, moved = false;
    box.addEventListener("pointerdown", (e) => {
      if (e.pointerType !== "mouse" || e.button !== 0) return;
      from = { x: e.clientX, y: e.clientY, left: box.scrollLeft, top: box.scrollTop };
      moved = false;
    });
    window.addEventListener("pointermove", (e) => {
      if (!from) return;
      const dx = e.clientX - from.x, dy = e.clientY - from.y;
      moved ||= Math.hypot(dx, dy) > 5;
      if (moved) {
        box.scrollLeft = from.left - dx;
        box.scrollTop = from.top - dy;
        box.classList.add("dragging");
      }
    });
    window.addEventListener("pointerup", () => { from = null; box.classList.remove("dragging"); });
    box.addEventListener("click", (e) => { if (moved) { e.stopPropagation(); moved = false; } }, true);
  }
}
