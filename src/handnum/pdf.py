"""PDF pages, rendered one at a time: opening a PDF renders nothing, each page is rendered when asked for.

So a 500-page PDF costs the memory of one page, and `handnum.read(pdf, page=3)` renders one page.
pdfium renders into BGR, the order the rest of handnum works in.
"""
from __future__ import annotations

import numpy as np

from .errors import ImageError, ImageTooLarge
from .decoders import as_bgr, quiet_stderr
from .io import PageImage, Pages


def open_pdf(source: bytes | str, name: str, max_pixels: int, max_pages: int, dpi: int) -> Pages:
    """Open a PDF (its bytes, or a path pdfium reads from as it needs) and check its page count."""
    import pypdfium2 as pdfium

    try:
        with quiet_stderr():
            pdf = pdfium.PdfDocument(source)
    except Exception as e:  # pypdfium2 raises PdfiumError and others
        raise ImageError(f"{name}: cannot open PDF ({_reason(e)})") from e
    try:
        count = len(pdf)
        if count == 0:
            raise ImageError(f"{name}: PDF has no pages")
        if count > max_pages:
            raise ImageTooLarge(f"{name}: PDF has {count} pages (limit {max_pages}, see --max-pages)")
    except BaseException:
        pdf.close()
        raise
    return Pages(name, count, lambda i: render_page(pdf, i, name, max_pixels, dpi), pdf.close)


def render_page(pdf, i: int, name: str, max_pixels: int, dpi: int) -> PageImage:
    """Render page `i` at `dpi`, lowered for a page that would exceed `max_pixels`."""
    try:
        with quiet_stderr():
            page = pdf[i]
            try:
                w_pt, h_pt = page.get_size()
                scale = dpi / 72
                if w_pt * h_pt * scale * scale > max_pixels:
                    scale = (max_pixels / max(w_pt * h_pt, 1)) ** 0.5 * 0.999
                bitmap = page.render(scale=scale)
                try:
                    image = as_bgr(_bgr(bitmap.to_numpy()).copy(), name)  # a copy: the bitmap is freed now
                finally:
                    bitmap.close()
            finally:
                page.close()
    except ImageError:
        raise
    except Exception as e:
        raise ImageError(f"{name}: cannot render PDF page {i + 1} ({_reason(e)})") from e
    return PageImage(name, i, image)


def _bgr(bitmap: np.ndarray) -> np.ndarray:
    """pdfium's BGR, BGRx or grey pixels as BGR or grey."""
    return bitmap[:, :, :3] if bitmap.ndim == 3 else bitmap


def _reason(e: Exception) -> str:
    return " ".join(str(e).split())[:200] or type(e).__name__
