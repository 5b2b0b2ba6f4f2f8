"""HTML of the other tabs: a checked draft, a research-area summary, the corpus, an ingest report.

Built from escaped text only, with the pieces of ``ui.render`` (the chat's answers and cards).
"""

from __future__ import annotations

from rag.parse.common import REJECTS_LISTED_PER_FILE

from .render import (
    MARKS,
    answer_body,
    byline_html,
    esc,
    flagged,
    flags_html,
    link,
    meta_line,
    safe_url,
    source_card,
)


def check_html(d: dict) -> str:
    """A checked draft: each sentence marked, its reason, and its evidence to open."""
    if d.get("error"):
        return f'<div class="rag-error">{esc(d["error"])}</div>'
    items = []
    for s in d.get("sentences") or []:
        verdict = s.get("verdict") or "unsupported"
        cites = ", ".join(s.get("citations") or []) or "no citation"
        ev = s.get("evidence")
        paper = s.get("evidence_paper")
        sugg = s.get("suggestions") or []
        sugg_html = (
            "<div class='rag-suggest'>would support it: "
            + ", ".join(
                f"{esc(x.get('title'))} (<code>{esc(x.get('paper_id'))}</code>)" for x in sugg
            )
            + "</div>"
            if sugg
            else ""
        )
        ev_html = (
            f'<details class="rag-evidence"><summary>evidence'
            f"{' from <code>' + esc(paper) + '</code>' if paper else ''}</summary>“{esc(ev)}”</details>"
            if ev
            else ""
        )
        items.append(
            f'<li class="rag-check-item rag-check-{esc(verdict)}" data-verdict="{esc(verdict)}">'
            f'<span class="rag-mark">{MARKS.get(verdict, "?")}</span> '
            f'<span class="rag-check-text">{esc(s.get("text"))}</span>'
            f'<div class="rag-check-meta"><b>{esc(verdict)}</b> · cites {esc(cites)} · '
            f'<span class="rag-why">{esc(s.get("reason"))}</span></div>{sugg_html}{ev_html}</li>'
        )
    c = d.get("counts") or {}
    head = (
        f'<div class="rag-check-counts">{len(items)} sentences: {int(c.get("supported", 0))} '
        f"supported, {int(c.get('unsupported', 0))} unsupported, "
        f"{int(c.get('contradicted', 0))} contradicted</div>"
    )
    missing = [n for n, pid in (d.get("references") or {}).items() if pid is None]
    warn = (
        '<div class="rag-warn">References not found in the collection: '
        + esc(", ".join(f"[{n}]" for n in missing))
        + "</div>"
        if missing
        else ""
    )
    return (
        f'<div class="rag-check">{head}{warn}<ul class="rag-check-list">{"".join(items)}</ul></div>'
    )


def summary_html(d: dict, abstracts: dict[str, str]) -> str:
    """A research-area summary: overview, themes, and the reference cards."""
    if d.get("error"):
        return f'<div class="rag-error">{esc(d["error"])}</div>'
    cits = d.get("citations") or []
    known = {c["n"]: c.get("title") or "" for c in cits}
    tag = "sum"
    parts = [f'<div class="rag-summary"><h3>{esc(d.get("topic"))}</h3>']
    cls = "rag-answer rag-abstained" if d.get("abstained") else "rag-answer"
    parts.append(f'<div class="{cls}">{answer_body(d.get("summary", ""), tag, known)}</div>')
    for th in d.get("themes") or []:
        n_papers = len(th.get("paper_ids") or [])
        parts.append(
            f'<div class="rag-theme"><h4>{esc(th.get("label"))} '
            f'<span class="rag-pill">{n_papers} paper{"s" if n_papers != 1 else ""}</span></h4>'
            f"{answer_body(th.get('text', ''), tag, known, flagged(th.get('sentences')))}"
            f"{flags_html(th.get('sentences'))}</div>"
        )
    if cits:
        cards = [source_card(tag, c, abstracts.get(c["paper_id"]), [], None) for c in cits]
        parts.append('<h4>References</h4><div class="rag-cards">' + "".join(cards) + "</div>")
    if d.get("timings_ms") or d.get("backend"):
        parts.append(meta_line(d))
    parts.append("</div>")
    return "".join(parts)


def paper_html(p: dict, score: str | None = None, open_: bool = False) -> str:
    """One paper in the corpus browser: title, id, source, URL and the full abstract."""
    url = p.get("url")
    url_html = f"<div><b>URL</b> {link(url, url)}</div>" if safe_url(url) else ""
    pill = f' <span class="rag-pill rag-rel">{esc(score)}</span>' if score else ""
    return (
        f'<details class="rag-paper"{" open" if open_ else ""}><summary>'
        f'<span class="rag-title">{esc(p.get("title"))}</span> <code>{esc(p.get("paper_id"))}</code>{pill}'
        f"</summary><div class='rag-paper-body'>{byline_html(p)}"
        f"<div><b>ID</b> <code>{esc(p.get('paper_id'))}</code> · <b>source</b> {esc(p.get('source'))}</div>"
        f"{url_html}<div class='rag-abstract'>{esc(p.get('text'))}</div></div></details>"
    )


def papers_html(rows: list[dict], header: str) -> str:
    body = "".join(paper_html(p, p.get("_score")) for p in rows)
    return f'<div class="rag-papers"><div class="rag-meta">{esc(header)}</div>{body}</div>'


def ingest_report_html(report: dict, saved_as: list[str] | None = None) -> str:
    """What an ingest did: added, updated, unchanged, rejected (with why)."""
    added, updated = report.get("added") or [], report.get("updated") or []
    rejected = report.get("rejected") or []
    unlisted = report.get("rejected_unlisted") or {}  # file -> rejections counted, not listed
    n_rejected = len(rejected) + sum(unlisted.values())
    ok = bool(added or updated)
    head = (
        f"{len(added)} added, {len(updated)} updated, {report.get('unchanged', 0)} unchanged, "
        f"{n_rejected:,} rejected · {report.get('total', 0)} papers in the index"
    )
    parts = [
        f'<div class="{"rag-ok" if ok and not rejected else "rag-warn" if n_rejected else "rag-note"}">{esc(head)}</div>'
    ]
    titles = report.get("titles") or {}
    if added:
        parts.append(
            "<div><b>Added</b><ul>"
            + "".join(f"<li>{esc(titles.get(i, ''))} <code>{esc(i)}</code></li>" for i in added)
            + "</ul></div>"
        )
    if updated:
        parts.append(
            "<div><b>Updated</b><ul>"
            + "".join(f"<li>{esc(titles.get(i, ''))} <code>{esc(i)}</code></li>" for i in updated)
            + "</ul></div>"
        )
    if n_rejected:
        parts.append(
            "<div><b>Rejected</b><ul>"
            + "".join(
                f"<li><code>{esc(r.get('where'))}</code>: {esc(r.get('reason'))}</li>"
                for r in rejected
            )
            + "".join(
                f"<li><code>{esc(name)}</code>: {n:,} more record(s) rejected, not listed (the "
                f"first {REJECTS_LISTED_PER_FILE} of the file are)</li>"
                for name, n in unlisted.items()
            )
            + "</ul></div>"
        )
    skipped = report.get("skipped") or []
    if skipped:
        parts.append(
            "<div><b>Skipped</b><ul>"
            + "".join(
                f"<li><code>{esc(r.get('where'))}</code>: {esc(r.get('reason'))}</li>"
                for r in skipped
            )
            + "</ul></div>"
        )
    if not (added or updated or n_rejected or skipped):
        parts.append("<div>Nothing new: these abstracts are already in the index.</div>")
    if saved_as:
        parts.append(
            '<div class="rag-meta">saved as '
            + ", ".join(f"<code>{esc(s)}</code>" for s in saved_as)
            + "</div>"
        )
    return '<div class="rag-report">' + "".join(parts) + "</div>"
