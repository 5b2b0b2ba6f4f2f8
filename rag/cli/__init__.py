"""The `rag` command. Each command's docstring is its --help; heavy imports happen inside.

Commands live by what they do: ``index`` (ingest, migrate, papers, show), ``collections``
(collections, create, delete), ``answer`` (ask, search, chat, summarize), ``check`` (check),
``evaluate`` (eval), ``serve`` (ui, status, bench).
"""

from __future__ import annotations

from . import answer, check, collections, evaluate, index, serve  # noqa: F401  (each registers)
from .base import cli


def main() -> None:
    cli(prog_name="rag")


__all__ = ["cli", "main"]
