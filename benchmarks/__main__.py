"""Run every ``bench_*`` module's ``main()`` in turn (``make bench``)."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import benchmarks


def main() -> None:
    """Import and run each benchmark module, in name order."""
    for module in sorted(
        pkgutil.iter_modules(benchmarks.__path__), key=lambda m: m.name
    ):
        if module.name.startswith("bench_"):
            print(f"== {module.name} ==", flush=True)
            importlib.import_module(f"benchmarks.{module.name}").main([])
    sys.stdout.flush()


if __name__ == "__main__":
    main()
