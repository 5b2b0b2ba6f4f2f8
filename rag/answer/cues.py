"""The cue lists of the claim checker: negators, negation scope, direction poles, alternatives.

General English of scientific writing (antonym poles, negators, absolutes), written from the
language, not from any collection. Words are compared by their stems (``stem``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..text import STOPWORDS, _stemmer

NEGATORS = {
    "not",
    "no",
    "never",
    "without",
    "cannot",
    "nor",
    "neither",
    "none",
    "lack",
    "lacks",
    "lacking",
    "absence",
    "instead",
    "rather",
    "unable",
    "inability",
    "avoid",
    "avoids",
    "avoiding",
    "avoided",
    "eliminate",
    "eliminates",
    "eliminating",
    "eliminated",
    "bypass",
    "bypasses",
    "bypassing",
    "forgo",
    "forgoes",
    "hardly",
    "barely",
    "scarcely",
    "seldom",
    "rarely",
    "nothing",
    "omit",
    "omits",
    "omitted",
    "omitting",
    "exclude",
    "excludes",
    "excluded",
    "excluding",
    "discard",
    "discards",
    "discarded",
    "discarding",
    "ignore",
    "ignores",
    "ignored",
    "ignoring",
    "neglect",
    "neglects",
    "neglected",
    "neglecting",
    "disregard",
    "disregards",
    "disregarded",
    "disregarding",
    "overlook",
    "overlooks",
    "overlooked",
    "overlooking",
    # nouns of a lack: 'a shortage of data' says what 'the lack of data' says
    "shortage",
    "shortages",
    "scarcity",
    "dearth",
    "paucity",
}
# multi-word expressions read as the one word they mean, before anything else
PHRASES = [
    (re.compile(r"(?i)\b(?:fails?|failed|failing)\s+to\b"), "not"),
    (re.compile(r"(?i)\bno\s+longer\b"), "not"),
    (re.compile(r"(?i)\b(?:refrain|abstain)(?:s|ed|ing)?\s+from\b"), "not"),
    # 'as a whole' is 'overall', no claim about every part
    (re.compile(r"(?i)\bas\s+a\s+whole\b"), "overall"),
    (
        re.compile(r"(?i)\b(?:falls?|falling|fell)\s+(?:well\s+|far\s+|\w+ly\s+)?short\s+of\b"),
        "underperforms",
    ),
    (re.compile(r"(?i)\b(?:falls?|falling|fell|lags?|lagging|lagged)\s+behind\b"), "underperforms"),
    # a comparison in the passive is its loser underperforming: "B is surpassed by A"
    (
        re.compile(
            r"(?i)\b(?:is|are|was|were|be|been|being|gets?|got)\s+(?:\w+ly\s+)?(?:outperformed|"
            r"surpassed|beaten|bested|exceeded|outclassed|outmatched|outdone|eclipsed|"
            r"improved\s+(?:up)?on)\s+by\b"
        ),
        "underperforms",
    ),
    # ... also with the agent after a phrase: "B is outperformed in X settings by A"
    (
        re.compile(
            r"(?i)\b(?:is|are|was|were|be|been|being|gets?|got)\s+(?:\w+ly\s+)?(?:outperformed|"
            r"surpassed|beaten|bested|outclassed|outmatched|outdone|eclipsed)\b"
            r"(?=(?:\s+(?!by\b)[\w'-]+,?){1,8}\s+by\s+(?!\d))"
        ),
        "underperforms",
    ),
    # a price paid is something given up: "at the cost of accuracy" is "sacrificing accuracy"
    (re.compile(r"(?i)\bat\s+the\s+(?:cost|expense|price)\s+of\b"), "sacrificing"),
    (re.compile(r"(?i)\bgiving\s+up\b"), "sacrificing"),
    (re.compile(r"(?i)\b(?:gives|gave)\s+up\b"), "sacrifices"),
    (re.compile(r"(?i)\bgive\s+up\b"), "sacrifice"),
    (re.compile(r"(?i)\bon\s+(?:a\s+)?par\s+with\b"), "comparable to"),
    (re.compile(r"(?i)\bat\s+odds\s+with\b"), "inconsistent with"),
    (re.compile(r"(?i)\bin\s+short\s+supply\b"), "scarce"),
    (re.compile(r"(?i)\bin\s+line\s+with\b"), "consistent with"),
    (re.compile(r"(?i)\b(?:does|do|did)\s+away\s+with\b"), "eliminates"),
    (re.compile(r"(?i)\bgets?\s+rid\s+of\b"), "eliminates"),
    (
        re.compile(
            r"(?i)\b(?:advises?|advised|argues?|argued|warns?|warned|cautions?)\s+against\b"
        ),
        "not",
    ),
    (re.compile(r"(?i)\bmake[s]?\s+(?:it\s+)?possible\b"), "enables"),
    (re.compile(r"(?i)\b(?:speeds?|sped)\s+up\b"), "accelerates"),
    (re.compile(r"(?i)\b(?:slows?|slowed)\s+down\b"), "decelerates"),
]
# "not only X but also Y" is no negation of X
NOT_NEGATING = re.compile(
    r"(?i)\b(not|no|rather\s+than|instead\s+of)\s+(only|just|merely|simply|solely)\b"
)
PREPOSITIONS = {
    "to",
    "of",
    "in",
    "on",
    "for",
    "with",
    "by",
    "from",
    "at",
    "into",
    "over",
    "under",
    "via",
    "through",
    "across",
    "against",
    "between",
    "among",
    "during",
    "as",
    "than",
    "onto",
    "toward",
    "towards",
}
# words that end a negation's scope
SCOPE_STOP = {
    "but",
    "while",
    "whereas",
    "although",
    "though",
    "yet",
    "which",
    "that",
    "who",
    "and",
    "so",
    "because",
    "since",
    "thus",
    "hence",
    "whilst",
    # "X is not what drives Y": a cleft negates X's role, not Y
    "what",
    "where",
    "when",
    "why",
    "how",
    "whether",
    "whom",
    "whose",
}
SCOPE_SKIP = STOPWORDS | {
    "need",
    "needs",
    "needed",
    "needing",
    "require",
    "requires",
    "required",
    "requiring",
    "any",
    "additional",
    "extra",
}
SCOPE_LEN = 3

# Direction poles. Each axis: (up words, down words). General English of reported findings.
AXES: dict[str, tuple[str, str]] = {
    "amount": (
        "increase increases increased increasing raise raises raised raising rise rises rising "
        "grow grows grew growing growth higher more greater larger bigger amplify amplifies "
        "amplified amplifying exacerbate exacerbates exacerbated widen widens widened widening "
        "expand expands expanded boost boosts boosted enlarge enlarges escalate escalates "
        "heighten heightens inflate inflates intensify intensifies maximize maximizes "
        "longer slower double doubles doubled triple triples tripled surge surges",
        "decrease decreases decreased decreasing reduce reduces reduced reducing reduction "
        "lower less fewer smaller shrink shrinks shrank shrinking diminish diminishes diminished "
        "diminishing decline declines declined declining drop drops dropped dropping narrow "
        "narrows narrowed narrowing mitigate mitigates mitigated mitigating alleviate alleviates "
        "alleviated cut cuts minimize minimizes minimized lessen lessens curb curbs suppress "
        "suppresses suppressed fall falls fell shorten shortens attenuate attenuates relieve "
        "relieves shorter faster undercut lowers dampen dampens dampened halve halves halved plummet plummets plunge "
        "plunges",
    ),
    "quality": (
        "improve improves improved improving improvement improvements outperform outperforms "
        "outperformed outperforming surpass surpasses surpassed surpassing beat beats beating "
        "exceed exceeds exceeded exceeding better superior enhance enhances enhanced enhancing "
        "strengthen strengthens strengthened excel excels best stable stability robust "
        "robustness succeed succeeds success successful benefit benefits beneficial advantage "
        "preserve preserves preserving preserved gain gains help helps helped helping "
        "reliable reliability promising favorable favourable advantageous "
        "strength strengths excellent accelerate accelerates accelerated",
        "degrade degrades degraded degrading degradation underperform underperforms "
        "underperformed underperforming worse worst inferior weaken weakens weakened deteriorate "
        "deteriorates deteriorated hurt hurts harm harms harmed impair impairs impaired lag lags "
        "lagging trail trails trailing behind unstable instability fragile vulnerable "
        "suffer suffers suffered lose loses losing worsen worsens worsened hinder hinders "
        "hindered impede impedes impeded disadvantage failure fails failed "
        "shortcoming shortcomings drawback drawbacks weakness weaknesses flaw flaws "
        "flawed poor poorly ineffective unreliable struggle struggles struggled struggling "
        "insufficient inadequate deficient deficiency bottleneck decelerate decelerates slows "
        "slowed slowing",
    ),
    "enable": (
        "enable enables enabled enabling facilitate facilitates facilitated allow allows "
        "allowed permit permits support supports unlock unlocks empower empowers easy easier "
        "easily",
        "prevent prevents prevented preventing block blocks blocked prohibit prohibits "
        "preclude precludes inhibit inhibits hamper hampers hampered restrict restricts "
        "restricted obstruct obstructs hard harder difficult challenging",
    ),
    "agreement": (
        "consistent consistently agree agrees agreement align aligns aligned accept accepts",
        "inconsistent inconsistently disagree disagrees disagreement misalign misaligned reject "
        "rejects diverge diverges diverged deviate deviates deviated",
    ),
    "convergence": (
        "converge converges converged convergence",
        "diverge diverges diverged divergence",
    ),
    "estimate": (
        "overestimate overestimates overestimated overfit overfits overfitting",
        "underestimate underestimates underestimated underfit underfits underfitting",
    ),
    "stability": (
        "stabilize stabilizes stabilized stabilise stabilises",
        "destabilize destabilizes destabilized destabilise",
    ),
    "tightness": ("tight tighter tightest", "loose looser loosest"),
    "cost": (
        "costly expensive complex complicated complicate complicates heavy slow",
        "cheap inexpensive simple lightweight efficient fast simplify simplifies simplified "
        "simplifying",
    ),
    "strength": ("strong stronger strongest", "weak weaker weakest"),
    # how large an effect is: 'large gains' is not what 'only modest gains' says
    "magnitude": (
        "large huge substantial considerable dramatic sizable sizeable",
        "modest marginal slight negligible minor",
    ),
    "addition": (
        "add adds added adding introduce introduces introduced introducing inject injects "
        "incorporate incorporates incorporated incorporating",
        "remove removes removed removing strip strips stripped eliminate eliminates eliminated "
        "eliminating discard discards discarded discarding",
    ),
    "presence": (
        "present abundant plentiful common widespread prevalent available",
        "absent scarce rare missing unavailable",
    ),
    "sameness": (
        "similar alike same identical",
        "different differ differs difference differences distinct dissimilar",
    ),
    "retention": (
        "maintain maintains maintained maintaining retain retains retained retaining keep keeps "
        "keeping kept",
        "sacrifice sacrifices sacrificed sacrificing forfeit forfeits forfeiting compromises "
        "compromising",
    ),
    "pace": (
        "gradual gradually slowly steadily smoothly",
        "sharp sharply abrupt abruptly sudden suddenly rapid rapidly quick quickly swift swiftly",
    ),
}
# mutually exclusive alternatives: naming one where the passage names another is a contradiction
ALTERNATIVES = [
    "constant linear quadratic cubic exponential logarithmic polynomial",
    "supervised unsupervised self-supervised semi-supervised weakly-supervised",
    "online offline",
    "static dynamic",
    "explicit implicit",
    "local global",
    "centralized decentralized",
    "synchronous asynchronous",
    "homogeneous heterogeneous",
    "sparse dense",
    "discrete continuous",
    "convex concave nonconvex non-convex",
    "positive negative",
    "deterministic stochastic",
    "parametric nonparametric non-parametric",
    "white-box black-box",
    "open-source closed-source proprietary",
]
# words that claim more than a finding usually does; a claim with one the passage lacks overclaims
ABSOLUTES = (
    "always never every all entirely completely fully totally guarantee guarantees guaranteed "
    "guaranteeing immune eliminate eliminates eliminated perfect perfectly exactly universally "
    "regardless first ever whole impossible proves proven prove invariably "
    "infallible flawless"
).split()


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _stemmer().stemWord(word.lower().replace("’", "'"))


# measures of results by which way is better: 'higher accuracy' and 'lower latency' are both
# better results, so an amount word over one is also a quality word ('12% higher accuracy than
# B' says what 'B trails it' says)
METRICS_UP = {
    stem(w)
    for w in "accuracy accurate precision recall f1 auc auroc score scores performance bleu rouge "
    "throughput reward rewards fidelity utility quality".split()
}
METRICS_DOWN = {
    stem(w)
    for w in "error errors latency loss losses perplexity cost costs overhead runtime".split()
}

# words that also move an amount: 'enhances diversity' is 'increases diversity'
ALSO_AMOUNT = "enhance enhances enhanced enhancing boost boosts"
# a price paid also makes it worse: 'at the cost of X' is not 'enhances X'
ALSO_WORSE = "sacrifice sacrifices sacrificed sacrificing"


def _poles() -> dict[str, list[tuple[str, int]]]:
    out: dict[str, list[tuple[str, int]]] = {}
    for axis, (up, down) in AXES.items():
        for words, pole in ((up, 1), (down, -1)):
            for w in words.split():
                got = out.setdefault(stem(w), [])
                if (axis, pole) not in got:
                    got.append((axis, pole))
    for w in ALSO_AMOUNT.split():
        if ("amount", 1) not in out.setdefault(stem(w), []):
            out[stem(w)].append(("amount", 1))
    for w in ALSO_WORSE.split():
        if ("quality", -1) not in out.setdefault(stem(w), []):
            out[stem(w)].append(("quality", -1))
    return out


_DERIVED = ("abil", "ibil", "abl", "ibl")


@lru_cache(maxsize=65536)
def root(st: str) -> str:
    """A stem without derivational endings (mergeabl -> merg, stabil -> stab)."""
    for suf in _DERIVED:
        if st.endswith(suf) and len(st) - len(suf) >= 3:
            return st[: -len(suf)]
    return st


POLES = _poles()
# the words as listed: a noun of a dimension ('complexity', 'effectiveness') is no direction
# unless listed itself ('stability', 'instability')
LISTED = {w for up, down in AXES.values() for w in (up + " " + down).split()}
LISTED |= set(ALSO_AMOUNT.split())


def listed(word: str) -> bool:
    """The word, or the word without an inflection (-s, -ed, -ing), is in a pole list; an
    adverb counts only when listed itself ("poorly", not "weakly supervised")."""
    if word in LISTED:
        return True
    for suf in ("s", "es", "ed", "d", "ing"):  # not -ly: "weakly supervised" is a term
        if word.endswith(suf) and word[: -len(suf)] in LISTED:
            return True
    # accelerating -> accelerate
    return word.endswith("ing") and word[:-3] + "e" in LISTED


ALT_OF: dict[str, int] = {}
for _i, _group in enumerate(ALTERNATIVES):
    for _w in _group.split():
        ALT_OF[stem(_w.replace("-", ""))] = _i
NEG_STEMS = {stem(w) for w in NEGATORS}
ABSOLUTE_STEMS = {stem(w) for w in ABSOLUTES}


# number words, for amounts that bound a count ('three or more')
NUMBER_STEMS = {
    stem(w) for w in "one two three four five six seven eight nine ten dozen hundred".split()
}
