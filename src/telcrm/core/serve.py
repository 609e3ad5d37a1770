"""Serve the web app: waitress by default, gunicorn's worker processes on request.

* One process (the default): waitress, pure Python, on any operating system, with
  nothing else to install: the embedded default.
* ``workers > 1``: gunicorn pre-forks that many processes, each with its own threads
  (``gthread``), so a server with several cores uses them all: one Python process
  runs Python on one core at a time. gunicorn runs on Linux and macOS only.

WhiteNoise (in MIDDLEWARE) serves the collected static files in every process.
"""

from __future__ import annotations

from typing import Any

import waitress


class ServeError(RuntimeError):
    """The server cannot start as asked (e.g. several workers where gunicorn is
    not available)."""


# Threads per process when not told. One waitress process serves every request in
# its threads. A gunicorn worker gets one: threads of one process take turns on the
# interpreter lock, and a thread back from a database query waits for the lock
# behind the others (on the load benchmark, 3 workers of 1 thread answered the 360
# page with a p95 of 90-120 ms where 1 process of 8 threads took 160-190 ms).
WAITRESS_THREADS = 8
WORKER_THREADS = 1


def serve_app(
    *, host: str, port: int, threads: int | None = None, workers: int = 1
) -> None:
    if workers <= 1:
        from telcrm.wsgi import application

        waitress.serve(
            application,
            host=host,
            port=port,
            threads=threads or WAITRESS_THREADS,
            ident="telcrm",
        )
        return
    preforked_server(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads or WORKER_THREADS,
            "worker_class": "gthread",
            # gunicorn's control socket lives in the user's home, shared by every
            # server of that user; telcrm is stopped with a signal, like waitress.
            "control_socket_disable": True,
        }
    ).run()


def preforked_server(options: dict[str, Any]) -> Any:
    """gunicorn serving the app with ``options`` (its documented custom application).

    Each worker loads the app (Django and all it imports) after the fork: the master
    must not, because libraries start threads of their own (an allocator's, a
    database engine's), and a process forked from a threaded one can hang on exit
    on a lock one of those threads held.
    """
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError as exc:  # Windows, where gunicorn is not installed
        raise ServeError(
            "several workers need gunicorn, which runs on Linux and macOS only; "
            "serve with --workers 1"
        ) from exc

    class TelcrmServer(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from telcrm.wsgi import application

            return application

    return TelcrmServer()
