"""Chat: conversation state and follow-up rewriting.

A follow-up ("and which of them use LoRA?") is rewritten into a standalone question before
retrieval, so each turn retrieves, answers and cites on its own:

* with an LLM, the model rewrites it from the recent turns (``prompts/rewrite_*.txt``);
* offline, an honest heuristic: a message that opens like a follow-up ("and", "what about",
  ...) or leans on a pronoun ("them", "it", "those", ...) gets the previous question appended
  in parentheses; anything else is taken as standalone. It resolves nothing; it only keeps the
  topic in the search.

``Conversation`` keeps the turns for ``rag chat`` and the UI; ``Assistant.chat`` and
``Assistant.ask_stream(..., history=...)`` accept its turns, ``Answer`` objects, Gradio-style
``{"role", "content"}`` messages, or ``(question, answer)`` pairs as history.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .records import Answer
from .text import ANY_MARKER, content_words

MAX_TURNS = 3  # turns of history the rewriter sees


@dataclass
class Turn:
    question: str
    answer: str = ""
    standalone: str | None = None

    @classmethod
    def from_answer(cls, a: Answer) -> Turn:
        return cls(a.question, a.answer, a.standalone_question or a.question)


@dataclass
class Rewrite:
    question: str  # what retrieval and the answerer get
    method: str  # "none" (no history), "standalone", "heuristic" or "llm"
    usage: object | None = None  # rag.llm.Usage of the rewrite call, with an LLM


_TAGS = re.compile(r"<[^>]+>")


def _plain(content) -> str:
    if isinstance(content, list):  # multimodal message parts
        content = " ".join(
            p.get("text", "") if isinstance(p, dict) else str(p) for p in content if p
        )
    text = html.unescape(_TAGS.sub(" ", str(content or "")))
    return re.sub(r"\s+", " ", re.sub(r"\s*" + ANY_MARKER.pattern, "", text)).strip()


def as_turns(history) -> list[Turn]:
    """Normalise any supported history shape into turns (oldest first)."""
    if history is None:
        return []
    if isinstance(history, Conversation):
        return list(history.turns)
    turns: list[Turn] = []
    for item in history:
        if isinstance(item, Turn):
            turns.append(item)
        elif isinstance(item, Answer):
            turns.append(Turn.from_answer(item))
        elif isinstance(item, dict) and "role" in item:
            role = item["role"]
            text = _plain(item.get("content"))
            if role == "user":
                turns.append(Turn(text))
            elif role == "assistant" and turns and not turns[-1].answer:
                turns[-1].answer = text
        elif isinstance(item, dict) and "question" in item:
            turns.append(
                Turn(item["question"], _plain(item.get("answer", "")), item.get("standalone"))
            )
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            turns.append(Turn(_plain(item[0]), _plain(item[1])))
    return [t for t in turns if t.question]


# --- the offline heuristic -------------------------------------------------------------------
_LEAD = re.compile(
    r"^\s*(?:(?:and|but|also|so|then|ok(?:ay)?|now|or)\b[\s,]*)+"
    r"|^\s*(?:what|how)\s+about\b|^\s*same\s+(?:for|question)\b",
    re.I,
)
_REFER = re.compile(
    r"\b(?:they|them|their|theirs|those|these|it|its|this|that|such|former|latter|above|"
    r"aforementioned|mentioned|previous|the\s+same|one|ones|both|either|each\s+of)\b",
    re.I,
)
_FILLER = re.compile(r"^\s*(?:(?:and|but|also|so|then|ok(?:ay)?|now|or)\b[\s,]*)+", re.I)


def is_followup(question: str) -> bool:
    """Does the message lean on the conversation (opening word or a pronoun in a short ask)?"""
    q = question.strip()
    if _LEAD.match(q):
        return True
    return bool(_REFER.search(q)) and len(content_words(q)) <= 6


def heuristic_rewrite(question: str, turns: Sequence[Turn]) -> str:
    """The follow-up with the previous question as context, or the question unchanged."""
    if not turns or not is_followup(question):
        return question
    q = _FILLER.sub("", question).strip() or question.strip()
    q = q[:1].upper() + q[1:]
    prev = turns[-1]
    context = prev.question.strip()
    anchor = prev.standalone or ""
    m = re.search(r"\(([^()]*)\)\s*$", anchor)
    if m and anchor != context and m.group(1).strip() != context:
        context = f"{context}; {m.group(1).strip()}"
    return f"{q} ({context})"


# --- the LLM rewrite -------------------------------------------------------------------------
def _history_text(turns: Sequence[Turn]) -> str:
    lines = []
    for t in turns[-MAX_TURNS:]:
        lines.append(f"User: {t.question}")
        if t.answer:
            a = _plain(t.answer)
            lines.append(f"Assistant: {a[:400] + ('…' if len(a) > 400 else '')}")
    return "\n".join(lines)


def llm_rewrite(question: str, turns: Sequence[Turn], client) -> Rewrite:
    """The model's standalone version of the question; the heuristic if its reply is unusable."""
    from .llm.prompts import SENTINEL, prompt

    messages = [
        {"role": "system", "content": prompt("rewrite_system").substitute()},
        {
            "role": "user",
            "content": prompt("rewrite_user").substitute(
                history=_history_text(turns), question=question
            ),
        },
    ]
    comp = client.complete(messages, max_tokens=120)
    lines = [ln.strip() for ln in comp.text.strip().splitlines() if ln.strip()]
    text = lines[0] if lines else ""
    text = re.sub(r"(?i)^(?:standalone\s+question|question)\s*:\s*", "", text).strip()
    text = text.strip("\"'“”‘’` ").strip()
    if 3 <= len(text) <= 400 and SENTINEL not in text and content_words(text):
        return Rewrite(text, "llm", comp.usage)
    return Rewrite(heuristic_rewrite(question, turns), "heuristic", comp.usage)


def rewrite_question(question: str, history, client=None) -> Rewrite:
    """The standalone question for this turn: by the LLM when ``client`` is given, else the
    heuristic; with no history, the question itself."""
    turns = as_turns(history)
    if not turns:
        return Rewrite(question, "none")
    if client is not None:
        return llm_rewrite(question, turns, client)
    new = heuristic_rewrite(question, turns)
    return Rewrite(new, "heuristic" if new != question else "standalone")


# --- a conversation --------------------------------------------------------------------------
class Conversation:
    """The turns of one chat, for ``rag chat`` and the UI: ``ask`` or ``stream`` per turn."""

    def __init__(self, assistant, k: int | None = None, backend: str | None = None) -> None:
        self.assistant = assistant
        self.k = k
        self.backend = backend
        self.turns: list[Turn] = []

    def ask(self, question: str) -> Answer:
        """One turn, not streamed."""
        ans = self.assistant.ask(question, k=self.k, backend=self.backend, history=self.turns)
        self.turns.append(Turn.from_answer(ans))
        return ans

    def stream(self, question: str) -> Iterator[str | Answer]:
        """One turn: text deltas, then the Answer (see ``Assistant.ask_stream``)."""
        for item in self.assistant.ask_stream(
            question, k=self.k, backend=self.backend, history=self.turns
        ):
            if isinstance(item, Answer):
                self.turns.append(Turn.from_answer(item))
            yield item

    def reset(self) -> None:
        self.turns.clear()
