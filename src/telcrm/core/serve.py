"""Serve the web app with waitress: pure Python, no other server to install."""

from __future__ import annotations

import waitress

from telcrm.wsgi import application


def serve_app(*, host: str, port: int, threads: int) -> None:
    # WhiteNoise (in MIDDLEWARE) serves the collected static files in this process.
    waitress.serve(application, host=host, port=port, threads=threads, ident="telcrm")
