"""What is embedded and keyword-indexed for a paper: its chunks, its title, its BM25 tokens."""

from __future__ import annotations

from functools import lru_cache

from ..config import Settings
from ..embed import count_tokens
from ..errors import ConfigError
from ..records import Paper
from ..text import tokenize

# the model reads at most 256 wordpieces, two of them [CLS] and [SEP]; a little margin because
# "title. chunk" tokenised together may differ by a piece from the two counted apart
WINDOW = 252
# how the title is put into the embedded text (RAG_CHUNK_TITLE)
TITLE_MODES = ("all", "fit", "first", "none")


@lru_cache(maxsize=128)
def _splitter(chunk_size: int, chunk_overlap: int):
    from llama_index.core.node_parser import SentenceSplitter

    return SentenceSplitter(
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        tokenizer=count_tokens,
        paragraph_separator="\n\n",
    )


def _title_tokens(paper: Paper) -> int:
    """Tokens the prefix ``title + ". "`` adds to an embedded text (0 without a title)."""
    title = indexed_title(paper)
    return len(count_tokens(f"{title}.")) if title else 0


def chunk_budget(paper: Paper, settings: Settings) -> int:
    """Most tokens of one chunk of ``paper``'s abstract under ``settings``.

    'all' (the older layout): ``chunk_size`` tokens of abstract, the title prefixed on top.
    'fit' and 'first': ``chunk_size`` counts the title prefix too, so the embedded text fits the
    model's window and nothing is cut off. 'none': no title, the chunk alone."""
    if settings.chunk_title not in TITLE_MODES:
        raise ConfigError(
            f"unknown RAG_CHUNK_TITLE {settings.chunk_title!r}: use one of {', '.join(TITLE_MODES)}"
        )
    size = settings.chunk_size
    if settings.chunk_title in ("fit", "first"):
        size = min(size, WINDOW) - _title_tokens(paper)
    return max(32, size)


def chunk_paper(paper: Paper, settings: Settings) -> list[str]:
    """A paper's abstract cut into chunks of at most ``chunk_budget`` model tokens."""
    size = chunk_budget(paper, settings)
    overlap = min(settings.chunk_overlap, size // 2)
    chunks = _splitter(size, overlap).split_text(paper.text)
    return [c for c in chunks if c.strip()] or [paper.text]


def indexed_title(paper: Paper) -> str:
    """The title that is embedded and indexed: the record's own, never a derived one.

    A derived title is for display: leaving it out means changing a title rule never re-embeds
    a paper nor moves a calibrated threshold (measured on the bundled gold set: README).
    """
    return "" if paper.title_derived else paper.title


def embed_text(paper: Paper, chunk: str, index: int = 0, mode: str = "all") -> str:
    """What is embedded for chunk ``index`` of a paper: a record's title gives its chunks the
    paper's context ('all', 'fit': every chunk; 'first': the first chunk only; 'none': never)."""
    title = indexed_title(paper)
    if not title or mode == "none" or (mode == "first" and index > 0):
        return chunk
    return f"{title}. {chunk}"


def embed_texts(paper: Paper, chunks: list[str], settings: Settings) -> list[str]:
    """The embedded text of each of a paper's chunks under ``settings.chunk_title``."""
    return [embed_text(paper, c, i, settings.chunk_title) for i, c in enumerate(chunks)]


def keyword_tokens(paper: Paper) -> str:
    """What BM25 indexes: a record's own title (never a derived one), the abstract, and the
    authors' names and the year (searchable, but kept out of the embedded text)."""
    names = " ".join(paper.authors)
    year = str(paper.year) if paper.year else ""
    return " ".join(tokenize(f"{indexed_title(paper)} {paper.text} {names} {year}"))
