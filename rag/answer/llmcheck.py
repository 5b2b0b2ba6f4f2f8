"""A model's second opinion on the verdicts of the local verifier (``RAG_VERIFY=llm``).

One chat call checks every sentence of an answer against the sources it cites and returns JSON
verdicts. The local checks stay authoritative for quantities and names (a model reads "12.3%"
and "21.3%" alike more often than a regex does); for direction, overclaims and closeness the
model's verdict wins, and its reason is shown as the model's. A failed call or an unreadable
reply leaves the local verdicts, each sentence noting that the second opinion failed. The
call's tokens are counted in ``usage`` (added to the answer's usage by the caller).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from ..errors import ConfigError, RagError
from ..llm.prompts import prompt, source_block
from ..llm.usage import Usage
from ..records import AnswerSentence, Hit
from .verdicts import VERDICTS, Verdict

AUTHORITATIVE = ("quantities", "names")  # local checks the model cannot overrule
_JSON = re.compile(r"\{.*\}", re.S)


def second_opinion_for(settings, client) -> SecondOpinion | None:
    """A SecondOpinion when ``RAG_VERIFY=llm``, None for ``local``; ConfigError otherwise."""
    choice = (settings.verify or "local").strip().lower()
    if choice == "local":
        return None
    if choice == "llm":
        return SecondOpinion(client)
    raise ConfigError(f"unknown RAG_VERIFY={settings.verify!r}: use 'local' or 'llm'")


class SecondOpinion:
    """Callable given to ``check_answer``: revises its sentences in place."""

    def __init__(self, client) -> None:
        self.client = client
        self.usage: Usage | None = None
        self.note: str | None = None

    def messages(self, sentences: Sequence[AnswerSentence], hits: Sequence[Hit]) -> list[dict]:
        cited = sorted({n for s in sentences for n in s.citations if 1 <= n <= len(hits)})
        sources = "\n".join(source_block(n, hits[n - 1]) for n in cited)
        claims = "\n".join(
            f"{i}. {s.text} (cites {', '.join(f'[{n}]' for n in s.citations)})"
            for i, s in enumerate(sentences, start=1)
            if s.citations
        )
        return [
            {"role": "system", "content": prompt("verify_system").template},
            {
                "role": "user",
                "content": prompt("verify_user").substitute(sources=sources, claims=claims),
            },
        ]

    def __call__(
        self,
        sentences: list[AnswerSentence],
        hits: Sequence[Hit],
        local: Sequence[Verdict],
    ) -> None:
        if not any(s.citations for s in sentences):
            return
        try:
            comp = self.client.complete(self.messages(sentences, hits))
            self.usage = comp.usage
            opinions = parse_verdicts(comp.text)
        except (RagError, ValueError) as e:
            self.note = f"the model's second opinion failed ({_short(e)}); local checks only"
            for s in sentences:
                if s.citations:
                    s.reason = f"{s.reason} [{self.note}]" if s.reason else f"[{self.note}]"
            return
        for i, (s, v) in enumerate(zip(sentences, local, strict=True), start=1):
            o = opinions.get(i)
            if o is None or not s.citations:
                continue
            hard = [c for c in v.checks if c.name in AUTHORITATIVE and c.verdict != "supported"]
            if hard:
                continue  # a number or a name the passage lacks: the local check stands
            verdict, why = o
            if verdict != s.verdict:
                s.verdict = verdict
                s.supported = verdict == "supported"
                s.reason = f"model: {why}" if why else f"model: {verdict}"
            elif why:
                s.reason = f"{s.reason}; model agrees: {why}" if s.reason else f"model: {why}"


def parse_verdicts(text: str) -> dict[int, tuple[str, str]]:
    """{claim number: (verdict, reason)} from the model's JSON reply; ValueError if unreadable."""
    m = _JSON.search(text or "")
    if m is None:
        raise ValueError("the reply holds no JSON object")
    try:
        obj = json.loads(m.group(0))
    except json.JSONDecodeError as e:
        raise ValueError(f"the reply is not valid JSON ({e.msg})") from e
    items = obj.get("verdicts") if isinstance(obj, dict) else None
    if not isinstance(items, list):
        raise ValueError("the reply has no 'verdicts' list")
    out: dict[int, tuple[str, str]] = {}
    for it in items:
        if not isinstance(it, dict):
            continue
        try:
            n = int(it.get("claim"))
        except (TypeError, ValueError):
            continue
        verdict = str(it.get("verdict", "")).strip().lower()
        if verdict in VERDICTS:
            out[n] = (verdict, str(it.get("reason") or "").strip()[:300])
    if not out:
        raise ValueError("the reply has no usable verdict")
    return out


def _short(e: Exception) -> str:
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return text if len(text) <= 120 else text[:117] + "…"
