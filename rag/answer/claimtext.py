"""What the claim checker reads out of a sentence: its quantities and its names.

Pure text functions, no model: ``quantities`` (numbers as values), ``names`` and ``NameIndex``
(what a passage names, acronyms included). Negation scope and direction words are in
``rag.answer.polarity``, their cue lists in ``rag.answer.cues``; ``rag.answer.verify`` compares
what a claim says with what its cited passage says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# --- quantities ---------------------------------------------------------------------------------
_UNITS = {
    "ones": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "dozen": 12,
}
NUMBER_WORDS = {k: v for k, v in _UNITS.items() if k not in ("ones", "one")}
_MULT = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "million": 1e6,
    "mn": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "trillion": 1e12,
    "hundred": 1e2,
}
_PERCENT = r"\s?%|\s?percent(?:age points?)?\b|\s?per\s?cent\b|\s?pp\b|\s?percentage points?\b"
_UNIT_WORDS = (
    r"gb|mb|kb|tb|gib|mib|ms|s|sec|h|hrs?|min|x|×|fold|k|m|b|bn|mn|"
    r"thousand|million|billion|trillion|hz|khz|mhz|ghz|db|px|d|nm|mm|cm|km|kg|g|w|kw|°c"
)
_NUM_RE = re.compile(
    r"(?<![\w.\-])(?P<sign>[-−+±~≈]?)(?P<num>\d{1,3}(?:[,\u202f\u2009]\d{3})+(?![\d])(?:\.\d+)?"
    r"|\d+(?:\.\d+)?)"
    r"(?P<tail>(?:" + _PERCENT + r")|\s?(?:" + _UNIT_WORDS + r")(?![a-z0-9]))?",
    re.IGNORECASE,
)
_THOUSANDS = re.compile(r"(?<=\d)[,\u202f\u2009 ](?=\d{3}(?!\d))")
_WORDNUM_RE = re.compile(
    r"\b(" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")(?:[\s-]+(one|two|three|"
    r"four|five|six|seven|eight|nine))?(?:\s+(thousand|million|billion))?\b",
    re.IGNORECASE,
)
# a token with letters and digits that is a name, not a quantity: GPT-4o, Qwen2-7B, MovieLens-1M
_NAMEISH = re.compile(r"[A-Za-z][\w.]*-?\d|\d+[A-Za-z]{2,}\w*-|\d[A-Za-z]*-[A-Za-z]")


@dataclass(frozen=True)
class Quantity:
    value: float  # the value, multipliers applied (24k -> 24000)
    text: str  # as written
    percent: bool
    decimals: int  # digits after the point as written (12.3 -> 1); for rounding
    year: bool = False
    scale: float = 1.0  # the multiplier written after it (1.2 thousand -> 1000)
    bound: str = ""  # 'min' (more than, over), 'max' (less than, up to), 'about' (roughly)


def _name_spans(text: str) -> list[tuple[int, int]]:
    """Spans of whitespace tokens that are names with digits (GPT-4o, Qwen2-7B, gemma-2-2b-it)."""
    spans = []
    for m in re.finditer(r"[^\s,;:()\[\]]+", text):
        tok = m.group(0).strip(".'\"")
        if not re.search(r"\d", tok) or not re.search(r"[A-Za-z]", tok):
            continue
        if re.fullmatch(r"[~≈±]?\d+(?:\.\d+)?(?:" + _UNIT_WORDS + r"|%)", tok, re.I):
            continue  # 24GB, 3.8k, 10x, 16%
        if re.fullmatch(r"\d+(?:\.\d+)?-[a-z]+(?:-[a-z]+)*", tok):
            continue  # 8-bit, 24-layer: a number and what it counts
        if re.fullmatch(r"(?:19|20)\d\ds?", tok):
            continue
        spans.append((m.start(), m.end()))
    # a version number after a name: Claude 3, Llama 3.1, Qwen 2.5 (not "Over 3 datasets")
    for m in re.finditer(
        r"\b([A-Z][A-Za-z]*[a-z][A-Za-z]*|[A-Z]{2,})\s+(v?\d+(?:\.\d+)*)\b(?!\s?%)", text
    ):
        before = text[: m.start()].rstrip()
        if (
            before
            and before[-1] not in '.!?:"“('
            and not re.fullmatch(r"(?:19|20)\d\d", m.group(2))
        ):
            spans.append((m.start(2), m.end(2)))
    return spans


def quantities(text: str) -> list[Quantity]:
    """Every number of a text as a value: '4.2 %'/'4.2 percent', '2,048'/'2048', 'three'/'3',
    '24k', '66 million', years; digits inside names (GPT-4o, Qwen2-7B) are not quantities."""
    t = text
    names = _name_spans(t)
    out: list[Quantity] = []
    taken: list[tuple[int, int]] = []
    for m in _NUM_RE.finditer(t):
        if any(a <= m.start() < b for a, b in names):
            continue
        num = _THOUSANDS.sub("", m.group("num"))
        tail = (m.group("tail") or "").strip().lower()
        value = float(num)
        pct = bool(tail) and (tail[0] in "%p")
        value *= _MULT.get(tail, 1)
        dec = len(num.split(".")[1]) if "." in num else 0
        is_year = (
            not pct and not tail and dec == 0 and 1900 <= value <= 2100 and len(m.group("num")) == 4
        )
        sign = m.group("sign")
        bound = "about" if sign in ("~", "≈") else _bound(t, m.start())
        scale = _MULT.get(tail, 1)
        out.append(Quantity(round(value, 6), m.group(0).strip(), pct, dec, is_year, scale, bound))
        taken.append((m.start(), m.end()))
    for m in _WORDNUM_RE.finditer(t):
        if any(a <= m.start() < b for a, b in taken):
            continue
        v = NUMBER_WORDS[m.group(1).lower()]
        if m.group(2):
            v += _UNITS[m.group(2).lower()]
        if m.group(3):
            v *= _MULT[m.group(3).lower()]
        after = t[m.end() : m.end() + 12].lower()
        pct = bool(re.match(r"\s*(?:percent|per cent|%)", after))
        scale = _MULT[m.group(3).lower()] if m.group(3) else 1.0
        out.append(Quantity(float(v), m.group(0), pct, 0, False, scale, _bound(t, m.start())))
    return out


def _round_figure(q: Quantity) -> bool:
    """A number written round, as bounds and estimates are: 8,000, 50%, 1.2 thousand, 3."""
    if q.decimals and q.scale == 1:
        return False
    whole = q.value / q.scale
    return q.scale > 1 or whole < 10 or whole % 5 == 0


# each bound's words, anchored to end the text before the number (compiled once, not per number)
_BOUNDS = [
    (kind, re.compile(r"(?:^|\W)(?:" + words + r")$"))
    for kind, words in (
        (
            "min",
            r"(?:more|greater|higher|larger) than|over|above|at least|exceeding|upwards of|"
            r"in excess of",
        ),
        # ('up to N' names the most reached, an exact figure: 'up to 400' is not 200)
        ("max", r"(?:less|fewer|lower|smaller) than|under|below|at most"),
        ("about", r"about|around|approximately|roughly|nearly|almost|some|circa"),
    )
]


def _bound(text: str, at: int) -> str:
    """How the words right before a number bound it: 'more than 8,000' -> 'min'."""
    before = text[max(0, at - 24) : at].lower().rstrip()
    for kind, pat in _BOUNDS:
        if pat.search(before):
            return kind
    return ""


def same_value(a: Quantity, b: Quantity) -> bool:
    """The claim's quantity ``a`` states the passage's ``b``: equal; ``b`` rounded to the
    claim's precision (71% for 71.03%, '1.2 thousand' for 1,173); or within the bound the claim
    puts on it ('more than 8,000' for 8,300, 'roughly 25%' for 24.1%: within a tenth)."""
    if a.value == b.value:
        return True
    if a.decimals < b.decimals and a.scale == 1 and round(b.value, a.decimals) == a.value:
        return True
    if a.scale > 1:  # 1.2 thousand states 1,173; 24k states 24,300 no more than 24 does 24.3
        step = a.scale / 10**a.decimals
        if step > b.scale / 10**b.decimals and abs(round(b.value / step) * step - a.value) < 1e-6:
            return True
    if not a.bound or not _round_figure(a) or a.percent != b.percent or b.year or b.bound:
        return False  # 'up to 7.46%' is an exact figure, not a bound
    if a.bound == "min":  # 'more than 8,000' states 8,300, not 30,000
        return a.value < b.value <= 2 * a.value
    if a.bound == "max":
        return a.value / 2 <= b.value < a.value
    return abs(a.value - b.value) <= 0.1 * max(abs(a.value), abs(b.value))


# --- names --------------------------------------------------------------------------------------
_NAME_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-.'’+&]*[A-Za-z0-9+]|[A-Z]")
_GENERIC_PARTS = {"style", "based", "like", "level", "wise", "aware", "free", "only", "driven"}


def _is_namey(tok: str, initial: bool) -> bool:
    core = tok.replace("-", "").replace(".", "").replace("'", "")
    if len(core) < 2 or core.isdigit():
        return False
    if any(c.isdigit() for c in core) and any(c.isalpha() for c in core):
        return not _name_spans(tok) == []  # GPT-4o yes; 24GB no
    if any(c.isupper() for c in core[1:]):
        return True  # LoRA, MoodAngels, IRM
    if core[0].isupper() and not initial:
        return True  # Tokyo, Wasserstein
    return False


def names(text: str) -> list[str]:
    """Name-like words of a sentence: acronyms, CamelCase, letters with digits, and capitalised
    words that do not open the sentence (or a clause after a colon)."""
    out: list[str] = []
    initial = True
    for m in _NAME_TOKEN.finditer(text):
        tok = m.group(0).rstrip(".").removesuffix("'s").removesuffix("’s").rstrip("'’")
        before = text[: m.start()].rstrip()
        start = initial or before.endswith((":", '"', "“", "(", "—"))
        initial = False
        if "-" in tok and not re.search(r"\d", tok):
            parts = [p for p in tok.split("-") if p]
            for i, p in enumerate(parts):
                if p.lower() in _GENERIC_PARTS:
                    continue
                if _is_namey(p, start and i == 0):
                    out.append(p)
            continue
        if _is_namey(tok, start):
            out.append(tok)
    return list(dict.fromkeys(out))


def name_tokens(text: str) -> list[str]:
    """Lower-cased alphanumeric tokens, for matching names (hyphens and spaces alike)."""
    return re.findall(r"[a-z0-9]+", text.lower().replace("’", "'").replace("'s", ""))


def _plural_forms(tok: str) -> set[str]:
    forms = {tok}
    if tok.endswith("s") and len(tok) > 2:
        forms.add(tok[:-1])
    else:
        forms.add(tok + "s")
    return forms


_LINKS = {"of", "and", "for", "the", "a", "an", "in", "on", "to", "with", "by", "via", "from"}


def _part(word: str) -> tuple[str, bool, str]:
    """A word of a phrase for spelling out acronyms: (initial, linking word, case)."""
    low = word.lower()
    if low in _LINKS:
        return low[0], True, "l"
    if low.endswith("ly") and len(low) > 4:
        return low[0], False, ""  # an adverb spells nothing
    if word[0].isupper():
        return low[0], False, "U"
    return low[0], False, "l" if word.islower() else ""


class NameIndex:
    """The names a passage (and its title) states, for lookups of a claim's names."""

    def __init__(self, text: str, defined: dict[str, str] | None = None) -> None:
        """``defined``: the text's ``acronym_definitions`` when the caller has read them."""
        self.tokens = name_tokens(text)
        self.joined = " " + " ".join(self.tokens) + " "
        self.vocab = set(self.tokens)
        # the phrases of the text (no punctuation inside) as lists of initials, for acronyms
        # spelled out: retrieval-augmented generation -> rag; a run of capitals is one part
        # (HIPPO is 'h', not h-i-p-p-o), CamelCase has one part per capital (GaLore -> g, l)
        # each part: (initial, a linking word, its case: 'U' capitalised, 'l' lower, '' other)
        self.phrases: list[list[tuple[str, bool, str]]] = []
        for phrase in re.split(r"[.,;:!?()\[\]\"“”/]", text):
            parts = re.findall(r"[A-Z]{2,}[a-z]?(?![a-z])|[A-Za-z][a-z0-9]*", phrase)
            if parts:
                self.phrases.append([_part(p) for p in parts])
        self._squash_re: dict[str, bool] = {}
        # the letters each acronym the passage defines has, by the initials of its long form:
        # 'vision prompt learning (VPT)' names those words VPT, so they spell no 'VPL'
        self.named_as = {
            _initials(long): re.sub(r"[^a-z]", "", short.lower())
            for short, long in (acronym_definitions(text) if defined is None else defined).items()
        }

    def has(self, name: str) -> bool:
        toks = name_tokens(name)
        if not toks:
            return True
        if len(toks) == 1:
            t = toks[0]
            if _plural_forms(t) & self.vocab:
                return True
        else:
            seq = " ".join(toks)
            if f" {seq} " in self.joined or f" {seq}s " in self.joined:
                return True
            if seq.endswith("s") and f" {seq[:-1]} " in self.joined:
                return True
        letters = re.sub(r"[^a-z]", "", name.lower().removesuffix("s"))
        if name.isupper() or re.fullmatch(r"[A-Z][A-Za-z]*[A-Z]s?", name):
            named = self.named_as.get(letters, letters)
            if 2 <= len(letters) <= 8 and named == letters and self.spelled_out(letters):
                return True  # an acronym of words the passage spells out and names no other way
        return self._squashed_has("".join(toks))

    def spelled_out(self, letters: str) -> bool:
        """Consecutive words of one phrase have these initials (linking words such as 'of' may
        be skipped, never start or end the run): 'mixture of experts' spells MoE and ME. The
        words after the first are all capitalised or all lower case, and none is an adverb:
        'For-Value accurately estimates' spells no VAE."""
        n = len(letters)
        for ph in self.phrases:
            for a in range(len(ph)):
                if ph[a][0] != letters[0] or ph[a][1]:
                    continue
                k, b, cases = 0, a, set()
                while b < len(ph) and k < n:
                    ch, link, case = ph[b]
                    if ch == letters[k] and (case or not link):
                        k += 1
                        if not link and (b > a or not case):  # a first word may open a sentence
                            cases.add(case)
                    elif not link:
                        break
                    b += 1
                if k == n and not ph[b - 1][1] and len(cases) <= 1 and "" not in cases:
                    return True
        return False

    def _squashed_has(self, squashed: str) -> bool:
        """A name of at least 5 letters written as whole words run together: MoodAngels is
        'mood angels'; never letters across a word boundary ('is impossible' has no SimPO)."""
        if len(squashed) < 5:
            return False
        got = self._squash_re.get(squashed)
        if got is None:
            pat = r"(?<!\S)" + r" ?".join(map(re.escape, squashed)) + r"(?!\S)"
            got = self._squash_re[squashed] = re.search(pat, self.joined.strip()) is not None
        return got


# --- acronyms a passage defines -------------------------------------------------------------------
def _initials(long: str) -> str:
    """The initials of a long form's words, linking words left out: 'mixture of experts' -> me."""
    words = re.findall(r"[A-Za-z][a-z0-9]*", long)
    return "".join(w[0].lower() for w in words if w.lower() not in _LINKS)


_DEFINED = re.compile(r"\(\s*([A-Z][A-Za-z0-9\-]*[A-Z0-9])s?\s*[),;]")


def acronym_definitions(text: str) -> dict[str, str]:
    """The acronyms a text defines as 'long form (ACR)', each with its long form: 'Modal-Aware
    Masked Contrastive Learning (MAMCL)' -> {'MAMCL': 'Modal-Aware Masked Contrastive
    Learning'}; the long form's words must spell the acronym's letters in order, its first
    letter at the start of a word (the Schwartz-Hearst rule)."""
    out: dict[str, str] = {}
    for m in _DEFINED.finditer(text):
        short = m.group(1)
        letters = [c.lower() for c in short if c.isalnum()]
        if not 2 <= len(letters) <= 10 or sum(c.isupper() for c in short) < 2:
            continue
        before = re.split(r"[.;:!?()\[\]]", text[: m.start()])[-1]
        ws = before.split()[-min(len(letters) + 5, 2 * len(letters)) :]
        long = _long_form(" ".join(ws), letters)
        if long and short not in out:
            out[short] = long
    return out


def _long_form(cand: str, letters: list[str]) -> str | None:
    """The shortest end of ``cand`` whose characters spell ``letters`` right to left, the
    first letter opening a word; None when none does."""
    li = len(cand) - 1
    for si in range(len(letters) - 1, -1, -1):
        c = letters[si]
        while li >= 0 and (
            cand[li].lower() != c or (si == 0 and li > 0 and cand[li - 1].isalnum())
        ):
            li -= 1
        if li < 0:
            return None
        li -= 1
    long = cand[li + 1 :].strip()
    return long if len(long.split()) >= 2 or "-" in long else None


def expand_acronyms(text: str, defined: dict[str, str]) -> str:
    """The text with each acronym ``defined`` spelled out as its long form."""
    for short, long in defined.items():
        text = re.sub(
            r"\b" + re.escape(short) + r"(s?)\b", lambda m, lf=long: lf + m.group(1), text
        )
    return text


# --- counts a sentence states by listing ----------------------------------------------------------
_NAME_ITEM = r"[A-Z][\w\-'.]*[\w]"
_LOW_ITEM = r"[a-z][\w\-']*(?: [a-z][\w\-']*){0,3}"
_SEP = r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+"
_LISTS = [
    re.compile(rf"\b{item}(?:\s*,\s*{item})*,?\s+(?:and|or)\s+{item}\b")
    for item in (_NAME_ITEM, _LOW_ITEM)
]


def list_lengths(text: str) -> set[int]:
    """How many items the lists of a sentence have: names ('MedQA, PubMedQA and BioASQ' -> 3,
    'VideoAutoArena and VideoAutoBench' -> 2) or lower-case phrases of up to four words with
    commas ('detective cases, situation puzzles, and guessing numbers' -> 3); the word that
    opens the sentence is never an item."""
    out: set[int] = set()
    for clause in re.split(r"[;:()\u2013\u2014]|(?<=[a-z])-(?=[a-z]+ [a-z]+,)", text):
        body = clause.strip()
        first = re.match(r"[A-Za-z]+,?", body)
        start = first.end() if first and first.group(0).endswith(",") else 0
        for pat, need_comma in zip(_LISTS, (False, True), strict=True):
            for m in pat.finditer(body, start):
                if need_comma and "," not in m.group(0):
                    continue  # 'accuracy and speed' is no counted list
                out.add(len(re.split(_SEP, m.group(0))))
    if re.search(r"\bbetween\b[^;:.]{1,80}?\band\b", text, re.I):
        out.add(2)  # 'the differences between A (LPT) and B (VPT)'
    return {n for n in out if 2 <= n <= 6}
