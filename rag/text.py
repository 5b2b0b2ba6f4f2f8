"""Text utilities shared by parsing, keyword search and answering: cleaning, sentences, tokens."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# --- invisible and unsafe characters --------------------------------------------------------
# zero-width, bidi controls and Unicode tag characters: never meaningful in an abstract, and a
# way to hide text from a reader.
_INVISIBLE = re.compile(
    "[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad\U000e0000-\U000e007f]"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_invisible(text: str) -> str:
    """Remove zero-width, bidi-override, tag and control characters."""
    return _CONTROL.sub(" ", _INVISIBLE.sub("", text))


# --- LaTeX-ish markup -------------------------------------------------------------------------
_LATEX_SYMBOLS = {
    r"\le": "≤",
    r"\leq": "≤",
    r"\ge": "≥",
    r"\geq": "≥",
    r"\times": "×",
    r"\approx": "≈",
    r"\sim": "~",
    r"\pm": "±",
    r"\rightarrow": "→",
    r"\to": "→",
    r"\alpha": "α",
    r"\beta": "β",
    r"\gamma": "γ",
    r"\lambda": "λ",
    r"\mu": "μ",
    r"\epsilon": "ε",
    r"\%": "%",
    r"\&": "&",
    r"\_": "_",
    r"\#": "#",
    r"\$": "$",
}
_STYLE_CMDS = (
    "textbf|textit|emph|texttt|textsc|textrm|mathrm|mathbf|mathit|mathcal|underline|text|mbox"
)
_RE_HREF = re.compile(r"\\href\{([^{}]*)\}\{([^{}]*)\}")
_RE_URL = re.compile(r"\\url\{([^{}]*)\}")
_RE_STYLE = re.compile(r"\\(?:%s)\{([^{}]*)\}" % _STYLE_CMDS)
_RE_CITE = re.compile(r"\s*\\(?:cite|citep|citet|ref|eqref|footnote)\{[^{}]*\}")
_RE_EMPTY_MACRO = re.compile(r"\\([A-Za-z]+)\{\}")
_RE_BARE_MACRO = re.compile(r"\\([A-Za-z]+)\b")
_RE_MATH = re.compile(r"\$([^$]{1,80})\$")


def clean_latex(text: str, method_name: str | None = None) -> str:
    """Turn LaTeX-ish markup into plain readable text, keeping its meaning.

    ``\\textbf{M}ultimodal`` -> ``Multimodal``; ``\\url{u}`` -> ``u``; ``$\\le$ 5%`` -> ``≤ 5%``;
    an empty-argument macro such as ``\\fl{}`` (a paper's abbreviation) -> ``FL``; the common
    ``\\method`` placeholder -> the paper's method name when known.
    """
    if "\\" not in text and "$" not in text:
        return text
    text = _RE_HREF.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    text = _RE_URL.sub(lambda m: m.group(1), text)
    text = _RE_CITE.sub("", text)
    for _ in range(3):  # nested styles
        new = _RE_STYLE.sub(lambda m: m.group(1), text)
        if new == text:
            break
        text = new

    def _math(m: re.Match) -> str:
        inner = m.group(1)
        for k in sorted(_LATEX_SYMBOLS, key=len, reverse=True):
            inner = inner.replace(k, _LATEX_SYMBOLS[k])
        return inner.replace("{", "").replace("}", "").strip()

    text = _RE_MATH.sub(_math, text)
    for k in sorted(_LATEX_SYMBOLS, key=len, reverse=True):
        text = re.sub(re.escape(k) + r"(?![A-Za-z])", _LATEX_SYMBOLS[k], text)

    def _empty(m: re.Match) -> str:
        name = m.group(1)
        return name.upper() if len(name) <= 5 else name

    text = _RE_EMPTY_MACRO.sub(_empty, text)

    def _bare(m: re.Match) -> str:
        name = m.group(1)
        if name in ("method", "ours", "model", "name", "system"):
            return method_name or f"this {name}" if name != "ours" else (method_name or "ours")
        return name

    text = _RE_BARE_MACRO.sub(_bare, text)
    return text


def normalize_ws(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def normalize_for_id(text: str) -> str:
    """The form a paper's text is hashed in: NFKC, invisible characters gone, case and
    whitespace folded. Reflowing or re-indenting an abstract does not change its id."""
    text = unicodedata.normalize("NFKC", strip_invisible(text))
    return normalize_ws(text).lower()


# --- sentences -------------------------------------------------------------------------------
_ABBREV = {
    "e.g",
    "i.e",
    "et al",
    "etc",
    "vs",
    "fig",
    "figs",
    "eq",
    "eqs",
    "no",
    "dr",
    "mr",
    "ms",
    "approx",
    "cf",
    "resp",
    "sec",
    "al",
}
_SENT_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")


def split_sentences(text: str) -> list[str]:
    """Split an abstract into sentences, keeping abbreviations, decimals and URLs intact."""
    text = normalize_ws(text)
    if not text:
        return []
    out: list[str] = []
    start = 0
    for m in _SENT_END.finditer(text):
        cand = text[start : m.start()].rstrip()
        # the word before the period
        tail = re.search(r"([A-Za-z][A-Za-z.]*)\.[\"')\]]*$", cand)
        if tail and tail.group(1).lower().rstrip(".") in _ABBREV:
            continue
        if len(cand) < 12 and out == [] and start == 0:
            continue
        out.append(cand)
        start = m.end()
    rest = text[start:].strip()
    if rest:
        out.append(rest)
    return [s for s in out if s]


# --- keyword tokens ---------------------------------------------------------------------------
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them themselves
    then there these they this those through to too under until up very was we were what when
    where which while who whom why will with would you your yours yourself yourselves paper
    papers propose proposes proposed present presents presented introduce introduces introduced
    approach method methods work show shows shown use uses used using based via new novel study
    studies which whose among across within without however further furthermore moreover thus
    therefore anything something everything does did done tell give gives given find found
    any many much""".split()
)
_TOKEN = re.compile(r"[a-z0-9][a-z0-9\-]*[a-z0-9]|[a-z0-9]")


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer: a C Snowball stemmer, fast and dependency-free

    return Stemmer.Stemmer("english")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def tokenize(text: str) -> list[str]:
    """Keyword tokens: lower-cased, stop words dropped, Snowball-stemmed.

    Hyphenated terms yield the whole term and its parts ("non-iid" -> non-iid, non, iid).
    """
    words: list[str] = []
    for w in _TOKEN.findall(_fold(text)):
        if "-" in w:
            parts = [p for p in w.split("-") if p]
            words.append(w.replace("-", ""))
            words.extend(parts)
        else:
            words.append(w)
    words = [w for w in words if w not in STOPWORDS and len(w) < 40]
    return _stemmer().stemWords(words)


def content_words(text: str) -> set[str]:
    return set(tokenize(text))


# --- cues shared by answering, summaries, checking and the UI --------------------------------------
# A citation marker as our answers write it after checking: "[1]" or "[1, 3]".
MARKER = re.compile(r"\[(\d{1,3}(?:, \d{1,3})*)\]")
# Any marker a model or a person may write: "[1]", "[1,3]", "[1; 3]", "[2-4]", "[ 1 ]".
ANY_MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*[-–,;]\s*\d{1,3})*)\s*\]")
# A sentence that only says where code or data are (no finding): never the evidence of a claim.
BOILERPLATE = re.compile(
    r"https?://|github\.com|\b(?:code|data|dataset|models?|implementation|resources?)\s+"
    r"(?:is|are|will be|has been|have been)?\s*(?:publicly\s+|made\s+)?(?:available|released)",
    re.IGNORECASE,
)


def marker_list(inner: str) -> list[int]:
    """The numbers of a marker's inside: "1, 3" -> [1, 3]; "2-4" -> [2, 3, 4] (ranges up to 20)."""
    out: list[int] = []
    for part in re.split(r"\s*[,;]\s*", inner.strip()):
        a, _, b = part.partition("-") if "-" in part else part.partition("–")
        if b and a.strip().isdigit() and b.strip().isdigit() and 0 <= int(b) - int(a) <= 20:
            out += range(int(a), int(b) + 1)
        elif part.strip().isdigit():
            out.append(int(part))
    return out
