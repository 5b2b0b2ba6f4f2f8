"""The benchmark and experiment scripts import only what the package still has.

They run rarely (by hand, on SciFact), so a module moved in a redesign would break them unseen.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _rag_imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "rag":
            yield node.lineno, node.module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "rag":
                    yield node.lineno, a.name, []


def _resolves(module: str, name: str | None) -> bool:
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return False
    if name is None or hasattr(mod, name):
        return True
    try:
        importlib.import_module(f"{module}.{name}")
    except ImportError:
        return False
    return True


def test_every_rag_import_of_the_benchmarks_resolves():
    scripts = sorted((ROOT / "bench").rglob("*.py"))
    assert len(scripts) > 5
    broken = [
        f"{p.relative_to(ROOT)}:{line} {module}{'.' + n if n else ''}"
        for p in scripts
        for line, module, names in _rag_imports(p)
        for n in names or [None]
        if not _resolves(module, n)
    ]
    assert not broken, broken
