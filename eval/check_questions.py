"""Check the gold question file against the bundled corpus (format: eval/README.md).

    python eval/check_questions.py [QUESTIONS] [--corpus DIR] [--heldout [--reference FILE]]

Prints each problem as `file:line: id: what` and exits 1 if there is any; otherwise prints
the counts per type, kind and split. Standard library only, plus `rag.parse` to read the corpus.
A held-out set (`--heldout`, implied by a file named `*_heldout.jsonl`) is all `test`, and
none of its ids or questions repeats the reference set (eval/questions.jsonl). A transfer-check
set (`--transfer`, implied by a file named `*_dev<N>.jsonl`, e.g. questions_dev2.jsonl) is all
`dev`, and repeats neither the reference set nor the held-out set.
"""

from __future__ import annotations

import argparse
import json
import re
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
    "note",  # free text for the reader (e.g. why a borderline paper is or is not gold)
}
MAX_FACTS = 3
# a held-out question whose content words overlap a reference question's this much is a near copy
NEAR_COPY = 0.6
_STOP = frozenset(
    "a an the of in on for to and or is are was were be by with what which how does do did that "
    "this it its as from at into their there any can why when who whose than then not no".split()
)


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


def content_words(text: str) -> frozenset[str]:
    """The lower-cased words of a question without the function words."""
    return frozenset(w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP)


def overlap(a: str, b: str) -> float:
    """Jaccard overlap of two questions' content words (0 to 1)."""
    wa, wb = content_words(a), content_words(b)
    return len(wa & wb) / len(wa | wb) if wa | wb else 1.0


def _read_rows(path: Path) -> list[dict]:
    """The parseable lines of a reference file (it is checked on its own)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return out


def fixed_split_problems(
    rows: list[dict],
    lines: dict[str, int],
    path: Path,
    references: list[Path],
    split: str = "test",
    what: str = "held-out",
    prefix: str = "h001",
) -> list[str]:
    """A set kept whole in one half: every question `split`, no id or (near-)copied question
    of any of the `references`."""
    bad = []
    refs: list[tuple[str, set[str], list[str]]] = []
    for reference in references:
        if reference.is_file():
            ref = _read_rows(reference)
            ids = {str(r.get("id")) for r in ref}
            refs.append((reference.name, ids, [str(r.get("question", "")) for r in ref]))
        else:
            bad.append(f"{path}: reference question file {reference} not found (give --reference)")
    for d in rows:
        where = f"{path}:{lines[d['id']]}: {d['id']}"
        if d.get("split") != split:
            bad.append(f"{where}: a {what} question is split {split!r}, not {d.get('split')!r}")
        q = str(d.get("question", ""))
        for name, ids, texts in refs:
            if d["id"] in ids:
                bad.append(f"{where}: id also used in {name}; use ids of their own ({prefix} ...)")
            if texts:
                score, near = max((overlap(q, t), t) for t in texts)
                if score >= NEAR_COPY:
                    bad.append(f"{where}: near copy ({score:.2f}) of {name}: {near!r}")
    return bad


def heldout_problems(
    rows: list[dict], lines: dict[str, int], path: Path, reference: Path
) -> list[str]:
    """A held-out set: every question `test`, no id or (near-)copied question of the reference."""
    return fixed_split_problems(rows, lines, path, [reference])


def is_transfer_name(path: Path) -> bool:
    """A file named like `questions_dev2.jsonl`: a transfer-check set, all `dev`."""
    return re.search(r"_dev\d+\.jsonl$", path.name) is not None


def check_file(
    path: Path,
    corpus: Path,
    heldout: bool = False,
    reference: Path | None = None,
    transfer: bool = False,
) -> tuple[list[str], list[dict]]:
    """All problems of a question file (as `file:line: id: what`) and its rows.

    `heldout`: the file is a held-out set (all `test`, none of it copied from `reference`,
    eval/questions.jsonl by default) instead of a set split by the alternation rule.
    `transfer`: the file is a transfer-check set (all `dev`, none of it copied from `reference`
    nor from eval/questions_heldout.jsonl).
    """
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
    if heldout:
        problems += heldout_problems(rows, lines, path, reference or HERE / "questions.jsonl")
        rows_for_rule: list[dict] = []
    elif transfer:
        references = [reference or HERE / "questions.jsonl", HERE / "questions_heldout.jsonl"]
        problems += fixed_split_problems(
            rows, lines, path, references, split="dev", what="transfer-check", prefix="d001"
        )
        rows_for_rule = []
    else:
        rows_for_rule = rows
    wrong = []
    for qid, split in expected_splits(rows_for_rule).items():
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
    ap.add_argument(
        "--heldout",
        action="store_true",
        help="a held-out set: all 'test', no question copied from --reference "
        "(implied by a file name ending in _heldout.jsonl)",
    )
    ap.add_argument(
        "--transfer",
        action="store_true",
        help="a transfer-check set: all 'dev', no question copied from --reference or the "
        "held-out set (implied by a file name ending in _dev<N>.jsonl)",
    )
    ap.add_argument("--reference", type=Path, default=HERE / "questions.jsonl")
    args = ap.parse_args(argv)
    heldout = args.heldout or args.questions.name.endswith("_heldout.jsonl")
    transfer = not heldout and (args.transfer or is_transfer_name(args.questions))
    problems, rows = check_file(args.questions, args.corpus, heldout, args.reference, transfer)
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {args.questions}", file=sys.stderr)
        return 1
    print(summary(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
