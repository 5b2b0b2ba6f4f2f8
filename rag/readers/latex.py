"""LaTeX markup in exported text fields -> plain Unicode, through pylatexenc."""

from __future__ import annotations

import re

from pylatexenc.latex2text import LatexNodes2Text

from .base import clean_text

_L2T = LatexNodes2Text(math_mode="text", strict_latex_spaces=True)
_UNESCAPED_PERCENT = re.compile(r"(?<!\\)%")
_CITE = re.compile(r"\s*\\(?:cite[a-z]*|ref|eqref|footnote)\*?(?:\[[^\]]*\])*\{[^{}]*\}")
_SUB = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")
_SUP = str.maketrans("0123456789+-=()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾")
# $_2$, $_{2}$, $_{\textrm{2}}$, $^{+}$: chemistry and units, written as Unicode sub/superscripts
_SCRIPT = re.compile(
    r"\$\s*([_^])\s*(?:\{\s*(?:\\(?:textrm|mathrm|text)\s*\{)?([0-9+\-=()]{1,4})\}?\s*\}|([0-9+\-]))\s*\$"
)
_MARKUP = re.compile(r"[\\{}$~%]")


def _script(m: re.Match) -> str:
    body = m.group(2) or m.group(3)
    return body.translate(_SUB if m.group(1) == "_" else _SUP)


def latex_to_text(value: object) -> str | None:
    """LaTeX markup (accents, braces, ``\\textit``, math) -> plain Unicode, whitespace collapsed."""
    if value is None:
        return None
    s = str(value)
    if _MARKUP.search(s):
        s = _SCRIPT.sub(_script, s)
        # an unescaped % is a literal percent in exported abstracts, not a LaTeX comment
        s = _UNESCAPED_PERCENT.sub(r"\\%", _CITE.sub("", s))
        try:
            s = _L2T.latex_to_text(s)
        except Exception:  # pylatexenc is lenient; this is a last resort
            s = s.replace("{", "").replace("}", "")
    return clean_text(s)
