"""What is embedded and keyword-indexed for a paper: its chunks, its title, its BM25 tokens."""

from __future__ import annotations

from functools import lru_cache

from ..config import Settings
from ..embed import count_tokens
from ..records import Paper
from ..text import tokenize


@lru_cache(maxsize=4)
def _splitter(chunk_size: int, chunk_overlap: int):
    from llama_index.core.node_parser import SentenceSplitter

    return SentenceSplitter(
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        tokenizer=count_tokens,
        paragraph_separator="\n\n",
    )


def chunk_paper(paper: Paper, settings: Settings) -> list[str]:
    """A paper's abstract cut into chunks of at most ``chunk_size`` model tokens."""
    chunks = _splitter(settings.chunk_size, settings.chunk_overlap).split_text(paper.text)
    return [c for c in chunks if c.strip()] or [paper.text]


def indexed_title(paper: Paper) -> str:
    """The title that is embedded and indexed: the record's own, never a derived one.

    A derived title is for display: leaving it out means changing a title rule never re-embeds
    a paper nor moves a calibrated threshold (measured on the bundled gold set: README).
    """
    return "" if paper.title_derived else paper.title


def embed_text(paper: Paper, chunk: str) -> str:
    """What is embedded for a chunk: a record's title gives every chunk its paper's context."""
    title = indexed_title(paper)
    return f"{title}. {chunk}" if title else chunk


def keyword_tokens(paper: Paper) -> str:
    """What BM25 indexes: a record's own title (never a derived one), the abstract, and the
    authors' names and the year (searchable, but kept out of the embedded text)."""
    names = " ".join(paper.authors)
    year = str(paper.year) if paper.year else ""
    return " ".join(tokenize(f"{indexed_title(paper)} {paper.text} {names} {year}"))
