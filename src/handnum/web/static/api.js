// The REST API as the page uses it. Errors are Error objects with the server's one line and `status`
// (0: the server could not be reached).
"use strict";

// POST `form` to `url`; `onUpload(fraction)` follows the upload (XMLHttpRequest: fetch cannot tell).
export function post(url, form, onUpload = null) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const t0 = performance.now();
    xhr.open("POST", url);
    if (onUpload) {
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) onUpload(e.loaded / e.total); };
      xhr.upload.onload = () => onUpload(1);
    }
    xhr.onload = () => {
      let body;
      try { body = JSON.parse(xhr.responseText); } catch { body = { error: `HTTP ${xhr.status} ${xhr.statusText}` }; }
      if (xhr.status < 200 || xhr.status > 299) {
        reject(Object.assign(new Error(body.error || `HTTP ${xhr.status}`), { status: xhr.status }));
        return;
      }
      body.roundTripMs = performance.now() - t0;
      resolve(body);
    };
    xhr.onerror = () => reject(Object.assign(new Error("the server cannot be reached"), { status: 0 }));
    xhr.send(form);
  });
}

// Read an image or PDF: one handnum/1 page, or {page_count, pages} with all_pages.
export function readImage(blob, name, params, onUpload = null) {
  const form = new FormData();
  form.append("file", blob, name);
  return post("/api/v1/read?" + new URLSearchParams(params), form, onUpload);
}

// Save a corrected digit's crop (a canvas) with its label ("0"-"9" or "x").
export async function saveCorrection(canvas, label) {
  const blob = await new Promise((r) => canvas.toBlob(r, "image/png"));
  const form = new FormData();
  form.append("file", blob, "crop.png");
  form.append("label", String(label));
  return post("/api/v1/corrections", form);
}
