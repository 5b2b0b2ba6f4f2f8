"""`python -m rag.cli`: the `rag` command (the tests run it this way)."""

from . import main

main()
