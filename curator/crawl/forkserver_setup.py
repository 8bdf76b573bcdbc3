"""Imported first by the fork server that starts the extraction processes (`pool._PRELOAD`).

multiprocessing runs the main module of the program that starts a process
in that process before anything else, so that functions defined there can be
unpickled. The extraction processes only ever run functions of curator's own
modules, and the main module is usually the script of the `curator` command,
which imports the whole CLI: half a second of CPU and about 90 MB in every
extraction process, and the crawl's first pages wait for it. Here that step is
skipped for the processes the pool starts (named `WORKER_PREFIX`N); any other
process the same fork server starts (there is one per program) still gets the
main module.

This replaces two private functions of `multiprocessing.spawn`, which only
run while multiprocessing starts a process (importing this module anywhere
else changes nothing). Where a Python version lacks them nothing is replaced
and the extraction processes import the main module again; a test says so.
"""

from __future__ import annotations

from collections.abc import Callable
from multiprocessing import process, spawn

WORKER_PREFIX = "curator-extract-"


def _unless_extraction_process(fixup: Callable[[str], None]) -> Callable[[str], None]:
    def fixup_main(main: str) -> None:
        # multiprocessing names the new process (from the parent's data) before it fixes up the main module.
        if not process.current_process().name.startswith(WORKER_PREFIX):
            fixup(main)

    return fixup_main


for _name in ("_fixup_main_from_path", "_fixup_main_from_name"):
    if callable(getattr(spawn, _name, None)):
        setattr(spawn, _name, _unless_extraction_process(getattr(spawn, _name)))
