"""Themes: agglomerative clustering of the kept papers, each labelled by its distinguishing phrases."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

import numpy as np

from ..text import STOPWORDS, split_sentences, tokenize
from .evidence import contribution_score


# --- themes ------------------------------------------------------------------------------------
def silhouette(dist: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette of a clustering given a distance matrix (singletons count 0)."""
    n = len(labels)
    vals = []
    for i in range(n):
        same = labels == labels[i]
        if same.sum() <= 1:
            vals.append(0.0)
            continue
        a = dist[i, same].sum() / (same.sum() - 1)
        b = min(dist[i, labels == c].mean() for c in set(labels.tolist()) if c != labels[i])
        vals.append((b - a) / max(a, b, 1e-9))
    return float(np.mean(vals))


def cluster(vectors: np.ndarray, max_themes: int = 5) -> list[list[int]]:
    """Group paper vectors into a few themes: Ward linkage, the number of themes by silhouette.

    The vectors are centred first: what all the papers share (the topic itself) is taken out,
    so the themes split on what differs between them.
    """
    n = len(vectors)
    if n <= 3:
        return [list(range(n))]
    from scipy.cluster.hierarchy import fcluster, linkage

    v = vectors - vectors.mean(axis=0)
    v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
    dist = np.clip(1.0 - v @ v.T, 0.0, 2.0)
    np.fill_diagonal(dist, 0.0)
    z = linkage(v, method="ward")
    best, best_score = np.ones(n, dtype=int), -1.0
    for k in range(2, min(max_themes, n // 2) + 1):
        labels = fcluster(z, k, criterion="maxclust")
        sizes = Counter(labels.tolist())
        if len(sizes) < 2:
            continue
        score = silhouette(dist, labels)
        # a theme of one paper is hardly a theme: penalise them
        score -= 0.03 * sum(1 for c in sizes.values() if c == 1)
        if score > best_score:
            best, best_score = labels, score
    if best_score < 0.02:
        return [list(range(n))]
    groups: dict[int, list[int]] = {}
    for i, lab in enumerate(best.tolist()):
        groups.setdefault(lab, []).append(i)
    return list(groups.values())


_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")
# words of scientific prose that say nothing about a paper's subject
_GENERIC = frozenset(
    """model models large language llm llms task tasks performance result results method methods
    framework frameworks experiment experiments experimental state-of-the-art state art existing
    extensive various data learning training approach approaches technique techniques
    significantly effectively effective efficient efficiently achieve achieves achieving
    demonstrate demonstrates improve improves improved improvement improvements outperform
    outperforms propose proposed proposes novel key challenge challenges challenging issue
    issues problem problems address addresses addressing limited limitation limitations paper
    study work code available publicly github http https www org com benchmark benchmarks
    dataset datasets first second third one two three four five six seven eight nine ten
    multiple several
    different diverse specific general overall higher lower better best high low new
    recent recently remain remains remaining paradigm popular final motivating retaining
    uncover uncovers investigate investigates identify identifies leverage leverages
    leveraging detecting detect external continued face faces iterative simultaneously
    received little followed following enable enables enabling provide provides providing
    strong stronger robust capability capabilities ability abilities while whereas across
    underexplored understanding shown widely practical practice critical crucial important
    significant substantial comprehensive consistently consistent range wide real-world
    real world setting settings scenario scenarios conditions condition level levels
    process processes manner way ways aspect aspects fundamental potential promising""".split()
)


def _surface(word: str) -> str:
    return word if (word.isupper() or any(c.isupper() for c in word[1:])) else word.lower()


def _phrases(text: str, stem) -> dict[str, str]:
    """Candidate label phrases of a text (words and two-word phrases): key (stems) -> surface."""
    out: dict[str, str] = {}
    for sent in split_sentences(text):
        words = _WORD.findall(sent)
        keys = []
        for w in words:
            lw = w.lower()
            bad = (
                lw in STOPWORDS
                or lw in _GENERIC
                or len(lw) < 3
                or lw.endswith("ly")
                or not any(c.isalpha() for c in lw)
            )
            keys.append(None if bad else stem(lw))
        for i, w in enumerate(words):
            if keys[i] is None:
                continue
            out.setdefault(keys[i], _surface(w))
            if i + 1 < len(words) and keys[i + 1] is not None and keys[i] != keys[i + 1]:
                out.setdefault(
                    keys[i] + " " + keys[i + 1], f"{_surface(w)} {_surface(words[i + 1])}"
                )
    return out


def focus_text(title: str, text: str) -> str:
    """What a paper is about: its title, first sentence and contribution sentences."""
    sents = split_sentences(text)
    keep = sents[:1] + [s for s in sents[1:] if contribution_score(s) >= 2.5]
    return ". ".join([title.split(":", 1)[-1].strip()] + keep)


def label_themes(
    groups: list[list[str]],
    texts: dict[str, tuple[str, str]],
    idf: Callable[[str], float],
    exclude: set[str],
    embedder=None,
    centroids: np.ndarray | None = None,
) -> list[list[str]]:
    """Up to three distinguishing phrases per theme (c-TF-IDF over the themes' papers).

    ``texts``: paper id -> (title and abstract, focus text). A phrase scores by the share of the
    theme's papers that use it, times the share of its uses that fall in this theme (what
    distinguishes it from the other themes), times its rarity in the whole index (what
    distinguishes it from scientific prose), with a bonus when the papers' titles or
    contribution sentences use it. With an embedder and the themes' centroids, the best
    candidates are re-ranked by how close each phrase sits to its theme and how far from the
    others (generic words such as "impractical" fall away).
    """
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    full = {pid: _phrases(texts[pid][0], stemmer.stemWord) for g in groups for pid in g}
    focus = {pid: set(_phrases(texts[pid][1], stemmer.stemWord)) for g in groups for pid in g}
    df_all: Counter = Counter()
    for p in full.values():
        df_all.update(p.keys())
    ranked: list[list[tuple[float, str]]] = []
    surfaces: list[dict[str, Counter]] = []
    for g in groups:
        df: Counter = Counter()
        in_focus: Counter = Counter()
        surface: dict[str, Counter] = {}
        for pid in g:
            for k, s in full[pid].items():
                df[k] += 1
                in_focus[k] += k in focus[pid]
                surface.setdefault(k, Counter())[s] += 1
        need = 2 if len(g) >= 2 else 1
        scored = []
        for k, c in df.items():
            words = surface[k].most_common(1)[0][0]
            if c < need or (" " not in words and words.endswith("ed")):
                continue
            if set(tokenize(words)) & exclude:
                continue
            specificity = sum(idf(part) for part in k.split()) / len(k.split())
            bigram = 1.3 if " " in k else 1.0
            bonus = 1.0 + in_focus[k] / len(g)
            score = (c / len(g)) * (c / df_all[k]) * specificity * bigram * bonus
            scored.append((score, k))
        scored.sort(key=lambda x: (-x[0], x[1]))
        ranked.append(scored[:20])
        surfaces.append(surface)
    if embedder is not None and centroids is not None and any(ranked):
        flat = [(i, k) for i, r in enumerate(ranked) for _, k in r]
        vecs = embedder.embed([surfaces[i][k].most_common(1)[0][0] for i, k in flat])
        sims = vecs @ centroids.T  # phrase x theme
        j = 0
        for i, r in enumerate(ranked):
            top = max((sc for sc, _ in r), default=1.0) or 1.0
            new = []
            for sc, k in r:
                own = sims[j, i]
                other = np.delete(sims[j], i).max() if len(groups) > 1 else 0.0
                new.append((0.4 * sc / top + own - 0.5 * max(other, 0.0), k))
                j += 1
            new.sort(key=lambda x: (-x[0], x[1]))
            ranked[i] = new
    labels: list[list[str]] = []
    for r, surface in zip(ranked, surfaces, strict=True):
        chosen: list[str] = []
        for _, k in r:
            parts = {w.rstrip("s") for w in k.split()}
            if any(parts & {w.rstrip("s") for w in o.split()} for o in chosen):
                continue
            chosen.append(k)
            if len(chosen) == 3:
                break
        labels.append([surface[k].most_common(1)[0][0] for k in chosen])
    return labels
