"""The web page and REST API (`handnum serve`; needs the `web` extra: fastapi, uvicorn, python-multipart,
and swagger-ui-bundle-v2 for the offline API docs at /docs).

`create_app` is imported lazily so that `handnum --help` works without the web extra.
"""
from __future__ import annotations

__all__ = ["create_app"]


def __getattr__(name: str):
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
