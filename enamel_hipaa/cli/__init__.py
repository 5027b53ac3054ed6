"""The `enamel` command: parse the command line, build typed configs, call a workflow.

Exit codes (contract): 0 nothing at or above --fail-on; 1 findings at or above it;
2 usage or bad input (one line naming file and place); 3 incomplete scan; 4 internal
error (a bug: please report it)."""

from __future__ import annotations

import os
import sys

from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.report import EXIT_BAD_INPUT

EXIT_INTERNAL = 4


def build_parser():
    from enamel_hipaa.cli.parser import build_parser as build

    return build()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        from enamel_hipaa.cli import commands

        return getattr(commands, f"cmd_{args.command}")(args)
    except InputError as exc:
        print(f"enamel: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("enamel: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line, unless debugging
        if os.environ.get("ENAMEL_DEBUG"):
            raise
        print(
            f"enamel: internal error: {type(exc).__name__}: {exc} (set ENAMEL_DEBUG=1 for a traceback)", file=sys.stderr
        )
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
