"""Check the gold question file against the bundled corpus (format: eval/README.md).

    python eval/check_questions.py [QUESTIONS] [--corpus DIR]

Prints each problem as `file:line: id: what` and exits 1 if there is any; otherwise prints
the counts per type, kind and split. Standard library only, plus `rag.parse` to read the corpus.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TYPES = ("single", "multi", "followup", "unanswerable")
KINDS = (
    "reason",
    "quantity",
    "name",
    "finding",
    "yesno",
    "list",
    "comparison",
    "compound",
    "method",
    "none",
)
SPLITS = ("dev", "test")
KNOWN = {
    "id",
    "type",
    "kind",
    "split",
    "question",
    "gold",
    "facts",
    "history",
    "parts",
    "part_facts",
    "none_expected",
}
MAX_FACTS = 3


def corpus_texts(corpus: Path) -> dict[str, str]:
    """paper_id -> abstract text, parsed the way ingest parses it."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from rag.parse import parse_paths

    return {p.paper_id: p.text for p in parse_paths([corpus]).papers}


def expected_splits(rows: list[dict]) -> dict[str, str]:
    """The split rule (eval/README.md): within each (type, kind) group, sorted by id, alternate.

    A group starts with dev or test by its place in the fixed TYPES x KINDS table, so the odd
    groups' extra question goes to either half, and neither appending questions with higher ids
    nor a new group ever moves an existing question to the other half.
    """
    start = {key: i for i, key in enumerate((t, k) for t in TYPES for k in KINDS)}
    groups: dict[tuple[str, str], list[str]] = {}
    for d in rows:
        groups.setdefault((str(d.get("type")), str(d.get("kind"))), []).append(str(d.get("id")))
    out = {}
    for key, ids in groups.items():
        for i, qid in enumerate(sorted(ids)):
            out[qid] = SPLITS[(start.get(key, 0) + i) % 2]
    return out


def _strings(v: object) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) and x.strip() for x in v)


def check_row(d: dict, papers: dict[str, str]) -> list[str]:
    """The problems of one question (empty when it is fine)."""
    bad = []
    qtype, kind = d.get("type"), d.get("kind")
    if unknown := set(d) - KNOWN:
        bad.append(f"unknown field(s) {sorted(unknown)}")
    if not isinstance(d.get("question"), str) or not d["question"].strip():
        bad.append("'question' must be a non-empty string")
    if qtype not in TYPES:
        bad.append(f"type {qtype!r} is not one of {', '.join(TYPES)}")
    if kind not in KINDS:
        bad.append(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    if d.get("split") not in SPLITS:
        bad.append(f"split {d.get('split')!r} is not one of {', '.join(SPLITS)}")
    for key in ("gold", "facts"):
        if not _strings(d.get(key, None)):
            bad.append(f"{key!r} must be a list of non-empty strings")
    if bad:
        return bad
    gold, facts = d["gold"], d["facts"]
    none_expected = d.get("none_expected", False)
    if none_expected not in (True, False):
        bad.append("'none_expected' must be true or false")
    if missing := [g for g in gold if g not in papers]:
        bad.append(f"gold paper(s) {missing} are not in the corpus")
    if len(set(gold)) != len(gold):
        bad.append("a gold paper is listed twice")
    if qtype == "followup":
        if not _strings(d.get("history")):
            bad.append("a followup needs 'history': the earlier user turns, non-empty strings")
    elif "history" in d:
        bad.append("only a followup has 'history'")
    if (qtype == "unanswerable") != (kind == "none"):
        bad.append("kind 'none' goes with type 'unanswerable' and only with it")
    if qtype == "unanswerable" and (gold or facts):
        bad.append("an unanswerable question has no gold papers and no facts")
    if none_expected and (gold or facts or qtype not in ("followup", "multi")):
        bad.append("'none_expected' is for a followup/multi question with gold [] and facts []")
    if qtype in ("single", "multi", "followup") and not gold and not none_expected:
        bad.append("an answerable question needs gold papers (or none_expected: true)")
    if qtype == "single":
        if len(gold) != 1:
            bad.append("a single question has exactly one gold paper")
        if not facts:
            bad.append("a single question names the fact(s) it asks for in 'facts'")
    if kind == "comparison" and len(gold) < 2:
        bad.append("a comparison needs at least two gold papers")
    if len(facts) > MAX_FACTS:
        bad.append(f"at most {MAX_FACTS} facts")
    texts = [papers[g].lower() for g in gold if g in papers]
    for fact in facts:
        if not any(fact.lower() in t for t in texts):
            bad.append(f"fact {fact!r} is not a substring of any gold abstract")
    parts, part_facts = d.get("parts"), d.get("part_facts")
    if kind == "compound":
        if not (_strings(parts) and len(parts) >= 2):
            bad.append("a compound question lists its sub-questions in 'parts' (2 or more)")
        elif not (
            isinstance(part_facts, list)
            and len(part_facts) == len(parts)
            and all(_strings(pf) and pf for pf in part_facts)
        ):
            bad.append("'part_facts' gives a non-empty list of facts for each of the 'parts'")
        elif sorted(f for pf in part_facts for f in pf) != sorted(facts):
            bad.append("'facts' must be exactly the facts of 'part_facts'")
    elif parts is not None or part_facts is not None:
        bad.append("only a compound question has 'parts' / 'part_facts'")
    return bad


def check_file(path: Path, corpus: Path) -> tuple[list[str], list[dict]]:
    """All problems of a question file (as `file:line: id: what`) and its rows."""
    papers = corpus_texts(corpus)
    problems: list[str] = []
    rows: list[dict] = []
    lines: dict[str, int] = {}
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(f"{path}:{no}: not valid JSON ({e.msg})")
            continue
        if not isinstance(d, dict):
            problems.append(f"{path}:{no}: expected a JSON object")
            continue
        qid = d.get("id")
        if not isinstance(qid, str) or not qid:
            problems.append(f"{path}:{no}: 'id' must be a non-empty string")
            continue
        if qid in lines:
            problems.append(f"{path}:{no}: {qid}: id already used on line {lines[qid]}")
            continue
        lines[qid] = no
        rows.append(d)
        problems += [f"{path}:{no}: {qid}: {p}" for p in check_row(d, papers)]
    wrong = []
    for qid, split in expected_splits(rows).items():
        got = next(d.get("split") for d in rows if d["id"] == qid)
        if got in SPLITS and got != split:
            wrong.append(f"{qid} (line {lines[qid]}) is {got!r}, the rule gives {split!r}")
    if wrong:
        problems.append(
            f"{path}: {len(wrong)} split(s) differ from the rule (per type and kind, sorted by id, "
            f"alternating; eval/README.md): {'; '.join(wrong[:5])}{' ...' if len(wrong) > 5 else ''}"
        )
    if not rows:
        problems.append(f"{path}: holds no questions")
    return problems, rows


def summary(rows: list[dict]) -> str:
    """Counts per type, kind and split."""
    out = [f"{len(rows)} questions"]
    for key in ("type", "kind", "split"):
        c = Counter(d.get(key) for d in rows)
        out.append(f"{key}: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())))
    by = Counter((d.get("type"), d.get("kind"), d.get("split")) for d in rows)
    out.append("type/kind: dev+test")
    for t, k in sorted({(t, k) for t, k, _ in by}):
        out.append(f"  {t:<13}{k:<11}{by[(t, k, 'dev')]:>3} + {by[(t, k, 'test')]}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("questions", nargs="?", type=Path, default=HERE / "questions.jsonl")
    ap.add_argument("--corpus", type=Path, default=REPO / "store" / "corpus")
    args = ap.parse_args(argv)
    problems, rows = check_file(args.questions, args.corpus)
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {args.questions}", file=sys.stderr)
        return 1
    print(summary(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
