"""The `curator` command: parses arguments, calls the library, prints with rich (or JSON with --json).

Kept thin on purpose: every command is a library call that the TUI and the tests
make too. Errors meant for the user (CuratorError) print one line and exit
non-zero; anything else is a bug and keeps its traceback. Each area is its
own Typer app; app.py mounts them.
"""

from __future__ import annotations

import sqlite3
import sys

from rich.markup import escape

from curator.cli.app import app
from curator.cli.common import err
from curator.errors import CuratorError
from curator.secrets import RedactingStream


def main(argv: list[str] | None = None) -> None:
    """Entry point: click handles usage errors and --help itself; curator's own errors print one line.

    Everything the command prints (rich tables, JSON, errors, even a bug's traceback) passes through
    curator.secrets.redact on its way out, whatever the library code forgot.
    """
    if not isinstance(sys.stdout, RedactingStream):
        sys.stdout, sys.stderr = RedactingStream(sys.stdout), RedactingStream(sys.stderr)
    try:
        app(args=argv, prog_name="curator")
    except CuratorError as exc:
        err.print("[bold red]error:[/] " + escape(str(exc)), highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except sqlite3.DatabaseError as exc:
        err.print("[bold red]error:[/] " + escape(f"the workspace database could not be read ({exc}). "
                  "Run `curator status --check` to diagnose it."), highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
