"""The demo's local AWS: `python -m enamel_hipaa.workflows.demo.motoserver -H HOST -p PORT`
runs moto's own server (`moto.server.main`) with one change: werkzeug's route compiles take
a lock.

Why: moto builds a service's URL router on that service's first request, and werkzeug
compiles each route with the `ast` module, which is not thread-safe in CPython 3.11
(gh-106905). A scan sends its first requests to many services at once; two request threads
building routers together can fail one request with "SystemError: AST constructor recursion
depth mismatch", which the scanner rightly reads as a failed call, so the demo (or a test)
would report an incomplete scan at random. The test suite's in-process moto server uses
`serialise_route_compiles` too."""

from __future__ import annotations

import sys
import threading

_LOCK = threading.RLock()


def serialise_route_compiles() -> None:
    """Make werkzeug's Rule.compile take one process-wide lock (idempotent)."""
    from werkzeug.routing import rules

    if getattr(rules.Rule.compile, "serialised", False):
        return
    original = rules.Rule.compile

    def compile_serialised(self):
        with _LOCK:
            return original(self)

    compile_serialised.serialised = True
    rules.Rule.compile = compile_serialised


def main(argv: list[str] | None = None) -> None:
    serialise_route_compiles()
    from moto.server import main as moto_main

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
