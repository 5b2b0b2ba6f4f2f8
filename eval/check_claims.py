"""Check a claim set (``eval/claims.jsonl``) against the corpus it cites.

Usage: ``python eval/check_claims.py [CLAIMS] [--corpus DIR] [--min-per-paper N]``.
Reads the abstracts through ``rag.parse`` (the same parser ``rag ingest`` uses); everything else
is the standard library. Prints one line per problem (file, line, claim id, what is wrong) and
exits 1 when there is any.

Checks: ids unique; ``kind``, ``expected`` and ``split`` valid and consistent; cited papers
exist; one sentence per claim; no long verbatim copy of the abstract; every number of a
``faithful_number`` claim is in the cited abstract, and a ``faithful`` claim has none; for the
edited kinds the note reads ``OLD -> NEW`` and the new value is not in the abstract (so the claim
really is wrong) while the old one is; a ``wrong_paper`` note names the true source, which is
another paper; within each kind the claims of the first round, sorted by id, alternate dev/test,
and claims of a later ``round`` (written after the test half was first reported, to tune on) are
all dev; each paper is cited often enough.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLAIMS = REPO / "eval" / "claims.jsonl"
CORPUS = REPO / "store" / "corpus"

EXPECTED = {
    "faithful_number": {"supported"},
    "faithful": {"supported"},
    "wrong_number": {"unsupported", "contradicted"},
    "wrong_count": {"contradicted"},
    "wrong_place_year": {"contradicted"},
    "swapped_name": {"unsupported"},
    "reversed": {"contradicted"},
    "negation": {"contradicted"},
    "overclaim": {"unsupported"},
    "wrong_paper": {"unsupported"},
}
KINDS = tuple(EXPECTED)
SPLITS = ("dev", "test")
FIELDS = {"id", "kind", "claim", "cites", "expected", "split", "note"}
OPTIONAL = {"round"}  # 2, 3 ...: a later round of claims, dev only
# the longest run of words a claim may copy from its abstract (names and numbers aside)
MAX_COPIED_WORDS = 10
SPLIT_RULE = "within each kind, first-round claims sorted by id alternate dev, test, dev, ..."
LATER_RULE = "a claim of a later round is written to tune on: split dev"

_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
).split()
NUMBER_WORDS = {w: i for i, w in enumerate(_WORDS, 1)}
_MULT = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "b": 1e9, "billion": 1e9}
_NUM = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?)(?:(\s*(?:thousand|million|billion)\b)|([kmb])(?![a-z]))?"
)
_WORD_NUM = re.compile(r"\b(" + "|".join(_WORDS) + r")\b")
_SEP = re.compile(r"(?<=\d),(?=\d{3}\b)")
_TOKEN = re.compile(r"[a-z0-9]+")


def numbers(text: str) -> set[float]:
    """Every number of a text as a value: '4.2 %'/'4.2 percent', '2,048'/'2048', 'three'/'3', '24k'."""
    t = _SEP.sub("", text.lower())
    found: set[float] = set()
    for m in _NUM.finditer(t):
        mult = (m.group(2) or m.group(3) or "").strip()
        found.add(round(float(m.group(1)) * _MULT.get(mult, 1), 6))
    found.update(float(NUMBER_WORDS[w]) for w in _WORD_NUM.findall(t))
    return found


def _fmt(values: set[float]) -> str:
    return ", ".join(f"{v:g}" for v in sorted(values))


def _has(text: str, phrase: str) -> bool:
    """The phrase occurs in the text, ignoring case and punctuation."""
    p = " ".join(_TOKEN.findall(phrase.lower()))
    return bool(p) and f" {p} " in " " + " ".join(_TOKEN.findall(text.lower())) + " "


def _longest_copy(claim: str, text: str) -> int:
    """Length in words of the longest word run the claim shares with the text."""
    a, b = _TOKEN.findall(claim.lower()), _TOKEN.findall(text.lower())
    grams = {tuple(b[i : i + MAX_COPIED_WORDS + 1]) for i in range(len(b))}
    return max(
        (
            MAX_COPIED_WORDS + 1
            for i in range(len(a) - MAX_COPIED_WORDS)
            if tuple(a[i : i + MAX_COPIED_WORDS + 1]) in grams
        ),
        default=0,
    )


@dataclass
class Problem:
    line: int
    claim_id: str
    message: str


def load_papers(corpus: Path = CORPUS) -> dict[str, tuple[str, str]]:
    """paper_id -> (title, abstract), read with the ingest parser."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from rag.parse import parse_paths

    res = parse_paths([corpus])
    return {p.paper_id: (p.title, p.text) for p in res.papers}


def load_claims(path: Path) -> tuple[list[tuple[int, dict]], list[Problem]]:
    rows: list[tuple[int, dict]] = []
    problems: list[Problem] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(Problem(n, "?", f"not valid JSON ({e.msg}); one object per line"))
            continue
        if not isinstance(obj, dict):
            problems.append(Problem(n, "?", "not a JSON object"))
            continue
        rows.append((n, obj))
    return rows, problems


def _split_note(note: str) -> tuple[str, str] | None:
    """'OLD -> NEW; comment' -> (OLD, NEW)."""
    if "->" not in note:
        return None
    old, new = note.split("->", 1)
    return old.strip(), new.split(";", 1)[0].strip()


def check_claim(obj: dict, papers: dict[str, tuple[str, str]]) -> list[str]:
    """Problems of one claim on its own (not the set-wide checks)."""
    out: list[str] = []
    missing = FIELDS - obj.keys()
    if missing:
        return [f"missing field(s) {', '.join(sorted(missing))}"]
    extra = obj.keys() - FIELDS - OPTIONAL
    if extra:
        out.append(f"unknown field(s) {', '.join(sorted(extra))}")
    kind, claim, note = obj["kind"], obj["claim"], obj["note"]
    if kind not in EXPECTED:
        return [f"kind {kind!r} is not one of {', '.join(KINDS)}"]
    if obj["expected"] not in EXPECTED[kind]:
        out.append(
            f"expected {obj['expected']!r} does not fit kind {kind} "
            f"(use {' or '.join(sorted(EXPECTED[kind]))})"
        )
    if obj["split"] not in SPLITS:
        out.append(f"split {obj['split']!r} is not dev or test")
    if not isinstance(claim, str) or not claim.strip():
        return out + ["claim is empty"]
    if not isinstance(note, str) or not note.strip():
        out.append("note is empty: say what was changed")
        note = ""
    if not re.fullmatch(r"[^\n]+[.!?]", claim.strip()) or re.search(r"[.!?]\s+[A-Z]", claim):
        out.append("claim must be one sentence ending with a full stop")
    cites = obj["cites"]
    if not isinstance(cites, list) or not cites or not all(isinstance(c, str) for c in cites):
        return out + ["cites must be a non-empty list of paper ids"]
    unknown = [c for c in cites if c not in papers]
    if unknown:
        return out + [f"cited paper(s) {', '.join(unknown)} not in the corpus"]
    text = " ".join(papers[c][1] for c in cites)
    titles = " ".join(papers[c][0] for c in cites)
    if _longest_copy(claim, text) > MAX_COPIED_WORDS:
        out.append(f"copies more than {MAX_COPIED_WORDS} consecutive words of the abstract")
    have, said = numbers(text), numbers(claim)
    if kind == "faithful_number":
        if not said:
            out.append("faithful_number claim has no number")
        elif said - have:
            out.append(f"number(s) {_fmt(said - have)} not in the cited abstract")
    elif kind == "faithful" and said:
        out.append(f"faithful claim has number(s) {_fmt(said)}: use kind faithful_number")
    elif kind in ("wrong_number", "wrong_count", "wrong_place_year", "swapped_name"):
        parts = _split_note(note)
        if parts is None:
            return out + ["note must read 'OLD -> NEW' (the value or name that was changed)"]
        old, new = parts
        if kind in ("wrong_number", "wrong_count"):
            changed = numbers(new)
            if not changed:
                out.append(f"note's new value {new!r} has no number")
            elif changed & have:
                out.append(f"changed number(s) {_fmt(changed & have)} are in the abstract")
            elif not changed <= said:
                out.append(f"changed number(s) {_fmt(changed - said)} are not in the claim")
            if kind == "wrong_number" and not numbers(old) <= have | {0}:
                out.append(f"original number(s) {_fmt(numbers(old) - have)} not in the abstract")
            others = said - changed - have
            if others:
                out.append(f"unchanged number(s) {_fmt(others)} are not in the abstract either")
        else:
            if _has(text, new) or _has(titles, new) or (numbers(new) & have):
                out.append(f"new value {new!r} occurs in the cited abstract or title")
            if not _has(claim, new):
                out.append(f"new value {new!r} is not in the claim")
            if not (_has(text, old) or _has(titles, old)):
                out.append(f"original {old!r} not in the cited abstract or title")
    elif kind == "wrong_paper":
        m = re.search(r"true source:\s*([0-9a-f]+)", note)
        if not m:
            out.append("note must name the true source: 'true source: PAPER_ID'")
        elif m.group(1) not in papers:
            out.append(f"true source {m.group(1)} not in the corpus")
        elif m.group(1) in cites:
            out.append("true source is the cited paper: not a wrong_paper claim")
        elif said - numbers(papers[m.group(1)][1]):
            out.append(
                f"number(s) {_fmt(said - numbers(papers[m.group(1)][1]))} "
                "not in the true source: the statement must be correct for it"
            )
    return out


def check(
    rows: list[tuple[int, dict]], papers: dict[str, tuple[str, str]], min_per_paper: int = 2
) -> list[Problem]:
    """Every problem of a claim set: per claim, then ids, splits and coverage."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    by_kind: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    cited: Counter = Counter()
    for n, obj in rows:
        cid = str(obj.get("id", "?"))
        if not obj.get("id"):
            problems.append(Problem(n, cid, "no id"))
        elif cid in seen:
            problems.append(Problem(n, cid, f"duplicate id (first on line {seen[cid]})"))
        else:
            seen[cid] = n
        problems.extend(Problem(n, cid, msg) for msg in check_claim(obj, papers))
        later = obj.get("round", 1)
        if not isinstance(later, int) or later < 1:
            problems.append(Problem(n, cid, f"round {later!r} is not a whole number >= 1"))
        elif later > 1:
            if obj.get("split") != "dev":
                problems.append(Problem(n, cid, f"split {obj.get('split')!r}: {LATER_RULE}"))
        elif obj.get("kind") in EXPECTED:
            by_kind[obj["kind"]].append((cid, n, str(obj.get("split"))))
        if isinstance(obj.get("cites"), list):
            cited.update(c for c in obj["cites"] if isinstance(c, str))
    for members in by_kind.values():
        for i, (cid, n, split) in enumerate(sorted(members)):
            want = SPLITS[i % 2]
            if split != want:
                problems.append(Problem(n, cid, f"split {split!r}, want {want!r}: {SPLIT_RULE}"))
    for pid in sorted(papers):
        if cited[pid] < min_per_paper:
            problems.append(
                Problem(0, pid, f"paper cited by {cited[pid]} claim(s), fewer than {min_per_paper}")
            )
    return problems


def counts(rows: list[tuple[int, dict]]) -> dict[str, dict[str, int]]:
    """kind -> {dev, test, all}."""
    out: dict[str, dict[str, int]] = {}
    for _, obj in rows:
        c = out.setdefault(obj.get("kind", "?"), {"dev": 0, "test": 0, "all": 0})
        c[obj.get("split")] = c.get(obj.get("split"), 0) + 1
        c["all"] += 1
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("claims", nargs="?", type=Path, default=CLAIMS)
    ap.add_argument("--corpus", type=Path, default=CORPUS, help="directory of abstracts")
    ap.add_argument("--min-per-paper", type=int, default=2, help="claims citing each paper")
    args = ap.parse_args(argv)
    if not args.claims.is_file():
        print(f"{args.claims}: no such file", file=sys.stderr)
        return 1
    rows, problems = load_claims(args.claims)
    problems += check(rows, load_papers(args.corpus), args.min_per_paper)
    for p in problems:
        where = f"line {p.line}" if p.line else "set"
        print(f"{args.claims}: {where}: {p.claim_id}: {p.message}", file=sys.stderr)
    table = counts(rows)
    for kind in sorted(table, key=lambda k: KINDS.index(k) if k in KINDS else 99):
        c = table[kind]
        print(f"{kind:18} {c['all']:4}  dev {c['dev']:3}  test {c['test']:3}")
    print(f"{'total':18} {len(rows):4}  {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
