"""The OpenAPI description of what the endpoints accept and every status they answer with,
and the offline API docs page (Swagger UI's files from the `swagger-ui-bundle-v2` package).

`tests/test_web.py` sends every kind of bad request and checks that each status it gets is listed here.
"""
from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

LABEL_PATTERN = "^[0-9xX]$"   # a correction's label: the digit, or x for "not a digit"


class ErrorBody(BaseModel):
    """Every error: one line, no traceback."""

    error: str


def _errors(**codes: str) -> dict:
    return {int(code[1:]): {"model": ErrorBody, "description": text} for code, text in codes.items()}


BAD_UPLOAD = dict(
    s400="malformed multipart body",
    s413="upload over --max-upload-mb, or image over --max-pixels",
    s415="not an image or PDF, or an unsupported content type",
    s422="empty or undecodable file, or a bad option",
    s500="internal error (a bug, or the reading worker died)",
    s503="server busy, or the read took longer than --timeout (the read is stopped); see Retry-After",
)
READ_RESPONSES = {200: {"description": "one handnum/1 page, or {page_count, pages} with all_pages=true"},
                  **_errors(**BAD_UPLOAD)}
DIGIT_RESPONSES = {200: {"description": "the digit: {source, digit, confidence, top3, not_a_digit}"},
                   **_errors(**BAD_UPLOAD)}
CORRECTION_RESPONSES = {201: {"description": "saved: {saved, label, width, height}"}, **_errors(
    s400="malformed multipart body",
    s413="crop over 2 MB, or over 2048x2048 pixels",
    s415="the crop is not PNG, JPEG, WebP or BMP",
    s422="missing file or label, a label other than 0-9 or x, or an undecodable or tiny crop",
    s500="the corrections folder cannot be written",
)}

_BINARY = {"type": "string", "format": "binary"}
UPLOAD_BODY = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {"file": _BINARY}}},
    "image/*": {"schema": _BINARY},
    "application/pdf": {"schema": _BINARY}}}}
CORRECTION_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file", "label"],
    "properties": {"file": _BINARY, "label": {"type": "string", "pattern": LABEL_PATTERN,
                                              "description": "the true digit, or x: not a digit"}}}}}}}


def swagger_files() -> Path | None:
    """The folder of Swagger UI's files shipped by `swagger-ui-bundle-v2` (Swagger UI 5), or None without it."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        return None
    path = Path(str(swagger_ui_path))
    major = path.name.removeprefix("swagger-ui-").split(".")[0]
    ok = major.isdigit() and int(major) >= 5 and (path / "swagger-ui-bundle.js").is_file()
    return path if ok else None   # Swagger UI 4 (the old swagger-ui-bundle) cannot show OpenAPI 3.1
