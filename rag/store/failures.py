"""Failed writes said in plain words (disk full, read-only, permission), and the rebuild advice
the store gives when an index cannot be used."""

from __future__ import annotations

import errno
import shlex
from collections.abc import Iterable
from pathlib import Path

from ..config import Settings
from ..errors import StoreError, StoreReadOnly
from .chroma import writable
from .collections import DEFAULT, catalogue_files, check_name

_DISK_FULL = ("disk is full", "no space left", "failed to apply logs", "enospc", "quota exceeded")
_READ_ONLY = ("readonly", "read-only", "read only")


def write_failure(e: BaseException, root: Path) -> StoreError:
    """A failed write to the store, said in plain words (disk full, read-only, permission)."""
    text = f"{type(e).__name__}: {e}".lower()
    code = getattr(e, "errno", None)
    if code in (errno.ENOSPC, errno.EDQUOT) or any(w in text for w in _DISK_FULL):
        return StoreError(
            f"the disk holding the store {root} is full: free some space (or set RAG_STORE to a "
            "directory on another disk) and run `rag ingest` again; nothing already indexed was "
            "lost and the next run finishes this one"
        )
    if code == errno.EROFS or any(w in text for w in _READ_ONLY):
        return StoreReadOnly(
            f"the store {root} is read-only (its directory or files cannot be written): it can "
            "be searched, not changed; ingest into a writable copy (cp -r, then set RAG_STORE)"
        )
    if code in (errno.EACCES, errno.EPERM) or "permission denied" in text:
        return StoreError(
            f"permission denied writing to the store {root}: this user may not write there; "
            "check the directory's owner and permissions, or set RAG_STORE to a directory you own"
        )
    if isinstance(e, StoreError):
        return e
    return StoreError(f"writing to the store {root} failed ({type(e).__name__}: {str(e)[:200]})")


def _writable(root: Path) -> bool:
    """Whether this process may write the store (its directory, Chroma's, the catalogue's)."""
    dirs = [root, root / "chroma", *(p.parent for p in catalogue_files(root))]
    return all(writable(d) for d in dirs if d.exists() or d == root)


def rebuild_hint(settings: Settings, sources: Iterable[str] = ()) -> str:
    """The command that rebuilds the store from the files its papers came from."""
    from ..parse.common import resolve_source

    dirs = sorted({str(resolve_source(s).parent) for s in sources})
    name = check_name(settings.collection)
    if dirs == [str(Path(settings.corpus).resolve())] and name == DEFAULT:
        dirs = []  # the bundled corpus is what `rag ingest` reads by default
    more = ""
    if len(dirs) > 6:
        dirs, more = dirs[:6], f" (and the other {len(dirs) - 6} folders its papers came from)"
    from ..config import _default_store

    chosen = "" if name == DEFAULT else f" --collection {name}"
    cmd = f"rag ingest{chosen} --rebuild" + "".join(" " + shlex.quote(d) for d in dirs)
    if Path(settings.store).resolve() != _default_store().resolve():
        cmd = f"RAG_STORE={shlex.quote(str(settings.store))} {cmd}"
    return (
        f"rebuild it with `{cmd}`{more} (this drops the old index and embeds the abstracts "
        "again), or point RAG_STORE at another directory"
    )
