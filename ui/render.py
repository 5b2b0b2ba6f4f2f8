"""HTML for the browser chat, built here from escaped text only.

Nothing that comes from a model or from the corpus is ever inserted as markup: every piece is
escaped first, and the only tags in the output are the ones written in this module. Markdown is
not rendered, so ``![x](http://host/img)`` stays literal text and no browser fetches it; the one
kind of link built from data is a validated http(s) URL, with ``rel="noopener noreferrer"``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from rag.text import ANY_MARKER, marker_list, split_sentences, tokenize

# Characters that gradio's HTML template engine (a JS template string over Handlebars) could read
# as syntax are written as entities too; they display the same.
_EXTRA = str.maketrans({"$": "&#36;", "{": "&#123;", "}": "&#125;", "`": "&#96;", "\\": "&#92;"})
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")


def esc(text: object) -> str:
    """Text as inert HTML: tags, attributes and template syntax all become plain characters."""
    return html.escape("" if text is None else str(text), quote=True).translate(_EXTRA)


def safe_url(url: object) -> str | None:
    """The URL if it is a plain http(s) address that is safe to link to, else None."""
    if not isinstance(url, str) or not url or len(url) > 500:
        return None
    if any(c.isspace() or ord(c) < 32 or c in "\"'<>`\\" for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    return url


def link(url: object, label: str) -> str:
    """An external link for a validated URL, or the escaped label alone."""
    u = safe_url(url)
    if u is None:
        return esc(label)
    return (
        f'<a class="ext" href="{esc(u)}" target="_blank" rel="noopener noreferrer nofollow">'
        f"{esc(label)}</a>"
    )


def fmt_ms(ms: float | None) -> str:
    if ms is None:
        return "–"
    return f"{ms / 1000:.1f} s" if ms >= 1000 else f"{ms:.0f} ms"


def split_timings(timings: dict) -> tuple[float | None, float | None]:
    """(retrieval ms, generation ms) from an answer's or a summary's ``timings_ms``."""
    if not timings:
        return None, None
    retrieval = timings.get("retrieve")
    if retrieval is None:
        parts = [v for k, v in timings.items() if k in ("embed", "dense", "keyword", "fuse")]
        retrieval = sum(parts) if parts else None
    gen = timings.get("answer")  # the answerers time the whole generation step as "answer"
    if gen is None:
        parts = [v for k, v in timings.items() if k in ("llm", "score", "themes", "synthesis")]
        gen = sum(parts) if parts else None
    return retrieval, gen


def backend_label(backend: str | None, model: str | None = None) -> str:
    if not backend:
        return "unknown backend"
    if backend == "extractive":
        return "extractive (sentences quoted from the abstracts)"
    return f"{backend}: {model}" if model and model not in backend else backend


def meta_line(d: dict) -> str:
    """The visible line: which backend answered and how long retrieval and generation took."""
    r, g = split_timings(d.get("timings_ms") or {})
    model = (d.get("usage") or {}).get("model")
    bits = [f"answered by <b>{esc(backend_label(d.get('backend'), model))}</b>"]
    bits.append(f"retrieval {fmt_ms(r)}")
    bits.append(f"generation {fmt_ms(g)}")
    first = (d.get("timings_ms") or {}).get("llm_first_token")
    if first is not None:
        bits.append(f"first token {fmt_ms(first)}")
    if d.get("sources"):
        n = len(d["sources"])
        bits.append(f"{n} source{'' if n == 1 else 's'} searched")
    usage = d.get("usage") or {}
    if usage.get("total_tokens"):
        bits.append(f"{usage['total_tokens']} tokens")
    return '<div class="rag-meta">' + " · ".join(bits) + "</div>"


# --- honest numbers -------------------------------------------------------------------------


def relevance_word(cosine: float | None, floor: float, close: float) -> str:
    """A paper's closeness to the question in plain words, from its best-chunk cosine on the
    two cuts calibrated on the dev questions (``Settings.relevance_floor`` / ``_close``)."""
    if cosine is None or cosine < floor:
        return "weak match"
    return "close match" if cosine >= close else "related"


def renumber_text(text: str, mapping: dict[int, int] | None = None) -> tuple[str, dict[int, int]]:
    """Citation markers renumbered 1..n in the order the text first cites them."""
    mapping = dict(mapping or {})

    def repl(m: re.Match) -> str:
        nums = []
        for n in marker_list(m.group(1)):
            if n not in mapping:
                mapping[n] = len(mapping) + 1
            nums.append(mapping[n])
        return "[" + ", ".join(str(n) for n in nums) + "]"

    return ANY_MARKER.sub(repl, text or ""), mapping


def renumber(d: dict) -> dict:
    """An answer dict whose citations are numbered 1..n in the order the answer cites them
    (markers, citation ``n``, sentence citations); citations never cited in the text follow."""
    if not d.get("citations"):
        return d
    text, mapping = renumber_text(d.get("answer", ""))
    for c in d["citations"]:
        if c["n"] not in mapping:
            mapping[c["n"]] = len(mapping) + 1
    out = dict(d)
    out["answer"] = text
    out["citations"] = sorted(
        ({**c, "n": mapping[c["n"]]} for c in d["citations"]), key=lambda c: c["n"]
    )
    out["sentences"] = [
        {
            **s,
            "text": renumber_text(s.get("text", ""), mapping)[0],
            "citations": [mapping.get(n, n) for n in s.get("citations") or []],
        }
        for s in d.get("sentences") or []
    ]
    return out


_CLI_WORDS = [
    (re.compile(r",? or use --backend extractive"), ", or choose “extractive” under Settings"),
    (
        re.compile(r"\s*\(`rag status --check` lists them\)"),
        " (Settings → Refresh status lists them)",
    ),
    (
        re.compile(r"or pass --wait SECONDS to queue behind it|wait longer \(--wait SECONDS\)"),
        "try again in a moment",
    ),
    (
        re.compile(r"run `rag ingest` \(it reads [^)]*\) or give files: `rag ingest PATH\.\.\.`"),
        "add abstracts in the Corpus tab (Add abstracts)",
    ),
    (re.compile(r"`rag papers` lists the ids"), "the Corpus tab lists them"),
    (re.compile(r"(?:re)?build it with `[^`]*`"), "ask the administrator to rebuild it"),
    (re.compile(r"`rag [a-z]+[^`]*`"), "the command line"),
]


def browser_words(message: str) -> str:
    """An engine message as a browser user should read it: no command-line flags."""
    for pat, repl in _CLI_WORDS:
        message = pat.sub(repl, message)
    return message


# --- answer text -----------------------------------------------------------------------------


def _paragraphs(escaped: str) -> str:
    """Escaped text -> paragraphs, bullet lists and line breaks (markup added after escaping)."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", escaped.strip()):
        lines = [ln for ln in block.split("\n") if ln.strip()]
        if lines and all(_BULLET.match(ln) for ln in lines):
            items = "".join(f"<li>{_BULLET.sub('', ln, count=1)}</li>" for ln in lines)
            out.append(f"<ul>{items}</ul>")
        elif lines:
            out.append("<p>" + "<br>".join(lines) + "</p>")
    return "".join(out)


def cite_links(escaped: str, turn: int | str, known: dict[int, str]) -> str:
    """Turn ``[n]`` / ``[1, 2]`` markers in escaped text into links to source card ``n``."""

    def one(n: int) -> str:
        if n not in known:
            return f"[{n}]"
        return (
            f'<a class="rag-cite" href="#src-{esc(turn)}-{n}" data-target="src-{esc(turn)}-{n}" '
            f'title="{esc(known[n])}">[{n}]</a>'
        )

    def repl(m: re.Match) -> str:
        nums = marker_list(m.group(1))
        return "".join(one(n) for n in nums)

    return ANY_MARKER.sub(repl, escaped)


def answer_body(text: str, turn: int | str, known: dict[int, str], unsupported=()) -> str:
    """The answer text as safe HTML with clickable citation markers; each flagged sentence
    (``unsupported``: texts, or sentence dicts with ``verdict`` and ``reason``) is marked."""
    e = esc(text)
    e = _BOLD.sub(r"<strong>\1</strong>", e)
    for s in unsupported:
        d = s if isinstance(s, dict) else {"text": s}
        es = esc(d.get("text") or "").strip()
        verdict = d.get("verdict") or "unsupported"
        why = d.get("reason") or "not supported by the passage it cites"
        if es and es in e:
            e = e.replace(
                es,
                f'<span class="rag-{esc(verdict)} rag-flagged" title="{esc(verdict)}: {esc(why)}">'
                f"{es}</span>",
                1,
            )
    return cite_links(_paragraphs(e), turn, known)


MARKS = {"supported": "✓", "unsupported": "?", "contradicted": "✗"}


def flagged(sentences) -> list[dict]:
    """The sentences of an answer or summary whose check failed."""
    return [
        s
        for s in sentences or []
        if s.get("supported") is False or s.get("verdict") not in (None, "supported")
    ]


def flags_html(sentences) -> str:
    """A visible list of the flagged sentences, each with its verdict, reason and evidence."""
    rows = []
    for s in flagged(sentences):
        verdict = s.get("verdict") or "unsupported"
        ev = s.get("evidence")
        ev_html = (
            f'<details class="rag-evidence"><summary>evidence</summary>“{esc(ev)}”</details>'
            if ev
            else ""
        )
        rows.append(
            f'<li class="rag-flag rag-flag-{esc(verdict)}"><b>{MARKS.get(verdict, "?")} '
            f"{esc(verdict)}</b>: {esc(_short(s.get('text') or '', 140))} "
            f'<span class="rag-why">— {esc(s.get("reason") or "")}</span>{ev_html}</li>'
        )
    if not rows:
        return ""
    return (
        '<div class="rag-flags"><b>Checked claims that failed</b><ul>'
        + "".join(rows)
        + "</ul></div>"
    )


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + "…"


# --- source cards ----------------------------------------------------------------------------


def _norm(s: str) -> str:
    return re.sub(r"\W+", " ", s).strip().lower()


def supporting_indices(
    sentences: list[str], quoted: Iterable[str], claims: Iterable[str]
) -> set[int]:
    """Which sentences of an abstract support a citation: the quoted ones, else the closest."""
    normed = [_norm(s) for s in sentences]
    found: set[int] = set()
    for q in quoted:
        nq = _norm(q)
        if not nq:
            continue
        for i, ns in enumerate(normed):
            if ns and (ns == nq or ns in nq or (len(nq) > 40 and nq in ns)):
                found.add(i)
    if found or not sentences:
        return found
    target = set(tokenize(" ".join(list(quoted) + list(claims))))
    if not target:
        return found
    best, best_i = 0.0, None
    for i, s in enumerate(sentences):
        toks = set(tokenize(s))
        if not toks:
            continue
        score = len(toks & target) / (len(toks | target) ** 0.5 * len(toks) ** 0.5)
        if score > best:
            best, best_i = score, i
    return {best_i} if best_i is not None else found


def passage_html(abstract: str, quoted: list[str], claims: list[str]) -> tuple[str, str]:
    """(the passage around the supporting sentence, the full abstract), both with it marked."""
    sents = split_sentences(abstract) if abstract else []
    if not sents:
        text = " … ".join(quoted)
        return f"<mark>{esc(text)}</mark>", esc(abstract)
    idx = supporting_indices(sents, quoted, claims)
    marked = [f"<mark>{esc(s)}</mark>" if i in idx else esc(s) for i, s in enumerate(sents)]
    # one sentence of context either side of each supporting sentence; gaps become "…"
    keep = sorted({j for i in idx or {0} for j in (i - 1, i, i + 1) if 0 <= j < len(sents)})
    pieces: list[str] = []
    prev = -1
    for j in keep:
        if j != prev + 1:
            pieces.append("…")
        pieces.append(marked[j])
        prev = j
    if prev < len(sents) - 1:
        pieces.append("…")
    return " ".join(pieces), " ".join(marked)


def source_card(
    turn: int | str, c: dict, abstract: str | None, claims: list[str], score: str | None
) -> str:
    """One cited source: title, id, passage with the supporting sentence marked, code link, scores."""
    n = c["n"]
    quoted = [q for q in str(c.get("snippet") or "").split(" … ") if q.strip()]
    passage, full = passage_html(abstract or "", quoted, claims)
    pills = []
    if c.get("support") is not None:
        pills.append(
            f'<span class="rag-pill" title="how well the passage supports what cites it">'
            f"support {float(c['support']):.2f}</span>"
        )
    if score is not None:  # a plain word (see relevance_word), never a raw score
        pills.append(
            f'<span class="rag-pill rag-rel" title="how close the paper is to the question">'
            f"{esc(score)}</span>"
        )
    code = ""
    if safe_url(c.get("url")):
        code = " · " + link(c["url"], "code / project page ↗")
    details = (
        f"<details><summary>Full abstract</summary><div class='rag-abstract'>{full}</div></details>"
        if abstract
        else ""
    )
    return (
        f'<div class="rag-card" id="src-{esc(turn)}-{n}">'
        f'<div class="rag-card-head"><span class="rag-n">[{n}]</span> '
        f'<span class="rag-title">{esc(c.get("title"))}</span></div>{byline_html(c)}'
        f'<div class="rag-card-sub"><code>{esc(c.get("paper_id"))}</code>{code} {"".join(pills)}</div>'
        f'<div class="rag-passage">{passage}</div>{details}</div>'
    )


def answer_html(
    turn: int | str, d: dict, abstracts: dict[str, str], relevance: dict[str, str] | None = None
) -> str:
    """A finished answer: text with linked markers, source cards, other sources, the meta line.

    ``relevance``: paper id -> a plain word (``relevance_word``) shown on its card."""
    if d.get("error"):
        return f'<div class="rag-error">{esc(browser_words(d["error"]))}</div>' + (
            meta_line(d) if d.get("backend") not in (None, "error") else ""
        )
    cits = d.get("citations") or []
    known = {c["n"]: c.get("title") or "" for c in cits}
    unsupported = flagged(d.get("sentences"))
    cls = "rag-answer rag-abstained" if d.get("abstained") else "rag-answer"
    parts = [
        f'<div class="{cls}">{answer_body(d.get("answer", ""), turn, known, unsupported)}</div>'
    ]
    if unsupported and not d.get("abstained"):
        parts.append(flags_html(unsupported))
    if d.get("interrupted"):
        parts.append('<div class="rag-warn">The answer was cut off before it finished.</div>')
    if d.get("truncated"):
        parts.append(
            '<div class="rag-warn">The model wrote more than the answer may hold: '
            "the rest was discarded.</div>"
        )
    if d.get("removed_citations"):
        nums = ", ".join(f"[{n}]" for n in d["removed_citations"])
        parts.append(
            f'<div class="rag-warn">Removed citations to sources that were not retrieved: {esc(nums)}</div>'
        )
    scores = relevance or {}
    if cits:
        cards = []
        for c in cits:
            claims = [
                s["text"] for s in d.get("sentences") or [] if c["n"] in (s.get("citations") or [])
            ]
            cards.append(
                source_card(
                    turn, c, abstracts.get(c["paper_id"]), claims, scores.get(c["paper_id"])
                )
            )
        parts.append('<div class="rag-cards">' + "".join(cards) + "</div>")
    cited = {c["paper_id"] for c in cits}
    others = [s for s in d.get("sources") or [] if s.get("paper_id") not in cited]
    if others:
        items = "".join(
            f"<li>{esc(s.get('title'))} <code>{esc(s.get('paper_id'))}</code></li>" for s in others
        )
        label = "Sources searched" if d.get("abstained") else "Also retrieved, not cited"
        parts.append(
            f'<details class="rag-others"><summary>{label} ({len(others)})</summary><ul>{items}</ul></details>'
        )
    parts.append(meta_line(d))
    if not d.get("abstained"):
        parts.append(
            '<div class="rag-actions">'
            '<button class="rag-copy" data-refs="0" type="button">Copy answer</button>'
            '<button class="rag-copy" data-refs="1" type="button">Copy with references</button>'
            "</div>"
        )
    return "".join(parts)


def turn_html(i: int, turn: dict) -> str:
    """One exchange: the question, and the answer (streaming, finished or failed)."""
    q = f'<div class="rag-q"><div class="rag-bubble">{esc(turn.get("question"))}</div></div>'
    d = turn.get("result")
    standalone = (d or {}).get("standalone_question") or turn.get("standalone")
    if standalone and standalone != turn.get("question"):
        q += f'<div class="rag-rewrite">searched for: “{esc(standalone)}”</div>'
    if d is not None:
        body = answer_html(i, d, turn.get("abstracts") or {}, turn.get("relevance"))
    else:
        partial = turn.get("partial") or ""
        status = esc(turn.get("status") or "Searching the abstracts…")
        tail = f'<span class="rag-pending">{"" if partial else status}</span><span class="rag-caret"></span>'
        text = answer_body(renumber_text(partial)[0], i, {}) if partial else ""
        # the caret follows the last word, inside its paragraph
        text = text[: -len("</p>")] + tail + "</p>" if text.endswith("</p>") else text + tail
        body = f'<div class="rag-answer rag-streaming">{text}</div>'
    return f'<div class="rag-turn" data-turn="{i}">{q}<div class="rag-a">{body}</div></div>'


WELCOME = (
    '<div class="rag-welcome"><h3>Ask the research abstracts</h3>'
    "<p>Ask a question in plain words. Every answer cites the papers it stands on: "
    "click a marker like <span class='rag-cite'>[1]</span> to jump to its source card, open "
    "<i>Full abstract</i> to read the paper's abstract, then ask a follow-up "
    "(“and which of them use LoRA?”). Try one of the examples below.</p></div>"
)


def conversation_html(turns: list[dict]) -> str:
    """The whole chat as one block of safe HTML."""
    if not turns:
        return f'<div class="rag-chat">{WELCOME}</div>'
    return (
        '<div class="rag-chat">' + "".join(turn_html(i, t) for i, t in enumerate(turns)) + "</div>"
    )


def byline_html(d: dict) -> str:
    """``Okafor, Chen et al. 2023 · Nature Medicine · doi:…`` with the DOI linked; "" if unknown."""
    from rag.export import byline_of

    text = byline_of(d.get("authors"), d.get("year"), d.get("venue"), None)
    doi = d.get("doi")
    out = esc(text)
    if doi:
        url = "https://doi.org/" + str(doi)
        doi_html = link(url, f"doi:{doi}") if safe_url(url) else esc(f"doi:{doi}")
        out = f"{out} · {doi_html}" if out else doi_html
    return f'<div class="rag-byline">{out}</div>' if out else ""


def error_html(message: str) -> str:
    return f'<div class="rag-error">{esc(browser_words(message))}</div>'
