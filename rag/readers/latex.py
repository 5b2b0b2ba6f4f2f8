"""LaTeX markup in exported text fields -> plain Unicode.

pylatexenc is the decoder. It is thorough but slow (milliseconds per abstract), so the markup
that reference managers actually write — accents (``{\\"u}``, ``\\c{c}``), special letters
(``{\\ss}``), escaped characters (``\\%``), a few text symbols (``{\\textendash}``) and
protective braces — is first rewritten directly; pylatexenc sees a field only when other markup
(math, unknown macros) is left. Tests check that both paths agree.
"""

from __future__ import annotations

import re
import unicodedata

from pylatexenc.latex2text import LatexNodes2Text

from .base import clean_text

_L2T = LatexNodes2Text(math_mode="text", strict_latex_spaces=True)
_UNESCAPED_PERCENT = re.compile(r"(?<!\\)%")
_CITE = re.compile(r"\s*\\(?:cite[a-z]*|ref|eqref|footnote)\*?(?:\[[^\]]*\])*\{[^{}]*\}")
_SUB = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")
_SUP = str.maketrans("0123456789+-=()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾")
# $_2$, $_{2}$, $_{\textrm{2}}$, $^{+}$: chemistry and units, written as Unicode sub/superscripts
_SCRIPT = re.compile(
    r"\$\s*([_^])\s*(?:\{\s*(?:\\(?:textrm|mathrm|text)\s*\{)?([0-9+\-=()]{1,4})\}?\s*\}"
    r"|([0-9+\-]))\s*\$"
)
_MARKUP = re.compile(r"[\\{}$~%]")

# --- the direct rewrite -----------------------------------------------------------------------
_COMBINING = {
    '"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328",
    "r": "\u030a", "b": "\u0331", "d": "\u0323",
}  # fmt: skip
_LETTERS = {
    "ss": "ß", "o": "ø", "O": "Ø", "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ", "oe": "œ",
    "OE": "Œ", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ", "dh": "ð", "DH": "Ð", "th": "þ",
    "TH": "Þ", "ng": "ŋ", "NG": "Ŋ",
    "textendash": "–", "textemdash": "—", "textquoteright": "’", "textquoteleft": "‘",
    "textquotedblleft": "“", "textquotedblright": "”", "textdegree": "°", "textellipsis": "…",
    "ldots": "…", "dots": "…", "textregistered": "®", "texttrademark": "™", "copyright": "©",
    "textbullet": "•", "textperiodcentered": "·", "textbackslash": "\\", "S": "§", "P": "¶",
}  # fmt: skip
_BASE = r"(?:\\[ij](?![A-Za-z])|[A-Za-z])"
# \"u  \"{u}  {\"u}  \c{c}  \c c  \'{\i}  — the letter-named accents need a brace or a space
_ACCENT = re.compile(
    r"\\(?:([\"'`^~=.])\s*(?:\{\s*(" + _BASE + r")\s*\}|(" + _BASE + r"))"
    r"|([uvHckrbd])(?:\s*\{\s*(" + _BASE + r")\s*\}|\s+(" + _BASE + r")))"
)
_LETTER = re.compile(
    r"\\(" + "|".join(sorted(map(re.escape, _LETTERS), key=len, reverse=True)) + r")"
    r"(?![A-Za-z])(?:\{\}|\s+)?"
)
_ESCAPED = re.compile(r"\\([%&_#{}])")
_DASHES = re.compile(r"-{2,3}")


def _accent(m: re.Match) -> str:
    mark = m.group(1) or m.group(4)
    base = m.group(2) or m.group(3) or m.group(5) or m.group(6)
    base = {"\\i": "i", "\\j": "j"}.get(base, base)
    return unicodedata.normalize("NFC", base + _COMBINING[mark])


def _direct(s: str) -> str:
    s = _ACCENT.sub(_accent, s)
    s = _LETTER.sub(lambda m: _LETTERS[m.group(1)], s)
    s = _ESCAPED.sub(lambda m: {"{": "\x01", "}": "\x02"}.get(m.group(1), m.group(1)), s)
    s = s.replace("\\,", " ").replace("\\ ", " ").replace("~", " ")
    s = _DASHES.sub(lambda m: "—" if len(m.group(0)) == 3 else "–", s)
    return s


def latex_to_text(value: object) -> str | None:
    """LaTeX markup (accents, braces, ``\\textit``, math) -> plain Unicode, whitespace collapsed."""
    if value is None:
        return None
    s = str(value)
    if _MARKUP.search(s):
        s = _SCRIPT.sub(_script, _CITE.sub("", s))
        fast = _direct(s)
        if "\\" not in fast and "$" not in fast:
            s = fast.replace("{", "").replace("}", "").replace("\x01", "{").replace("\x02", "}")
        else:
            s = _pylatexenc(s)
    return clean_text(s)


def _script(m: re.Match) -> str:
    body = m.group(2) or m.group(3)
    return body.translate(_SUB if m.group(1) == "_" else _SUP)


def _pylatexenc(s: str) -> str:
    # an unescaped % is a literal percent in exported abstracts, not a LaTeX comment
    s = _UNESCAPED_PERCENT.sub(r"\\%", s)
    try:
        return _L2T.latex_to_text(s)
    except Exception:  # pylatexenc is lenient; this is a last resort
        return s.replace("{", "").replace("}", "")
