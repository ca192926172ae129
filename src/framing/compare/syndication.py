"""Wire copies: near-duplicate sentences and articles across outlets (syndicated agency copy).

Texts are lower-cased and reduced to their words (letters and digits, one space between), then
cut into shingles: character 5-grams for sentences (an edited word changes few of them), word
3-grams for articles. Two texts of different sources are copies when the Jaccard similarity of
their shingle sets, estimated by MinHash with 128 permutations (datasketch), is at least the
threshold (config key `syndication_threshold`, default 0.7: one edited word in a sentence of ten
words keeps it near 0.75); candidate pairs come from datasketch's MinHashLSH at the same
threshold. Texts of fewer than 8 words are never matched (short formulas such as "He said." are
not syndication). Copies are joined into clusters; the earliest member of a cluster (by date,
then corpus order) is its original, every other member a copy.

A sentence is *syndicated* when it shares a cluster with another outlet's sentence, or belongs to
an article that does; it is a *copy* when it is a later member of a sentence cluster, or belongs
to an article that is a later member of an article cluster. `count_once` drops the copies, so
each story is counted once; `count_all` (the default) counts every copy for its outlet.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from framing.data import Example

NUM_PERM = 128
SENTENCE_SHINGLE = ("chars", 5)
ARTICLE_SHINGLE = ("words", 3)
MIN_WORDS = 8
SYNDICATION_COLUMNS = (
    "source",
    "n_docs",
    "docs_syndicated",
    "share_docs_syndicated",
    "n_sentences",
    "sentences_syndicated",
    "share_syndicated",
    "sentences_copied",
    "share_copied",
)
COPY_COLUMNS = ("kind", "cluster", "original", "id", "source", "doc_id", "date", "text")
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Clusters:
    """Near-duplicate clusters of some texts: `cluster[i]` (-1: no copy of another source's
    text) and `original[i]` (the earliest member of its cluster)."""

    cluster: np.ndarray
    original: np.ndarray

    @property
    def copy(self) -> np.ndarray:
        """Members of a cluster that are not its original."""
        return (self.cluster >= 0) & ~self.original


@dataclass(frozen=True)
class Copies:
    """Wire copies of a corpus: sentence clusters, article clusters, and per sentence whether
    it is syndicated and whether it is a copy (dropped under `count_once`)."""

    sentences: Clusters
    articles: Clusters
    syndicated: np.ndarray
    copy: np.ndarray


def shingles(text: str, kind: tuple[str, int]) -> list[bytes]:
    """The shingles of a text: its character or word n-grams (`kind` = ("chars"|"words", n)) after
    lower-casing and keeping only words; the whole text if it is shorter than one shingle."""
    words = _WORD.findall(text.lower())
    unit, size = kind
    items: Sequence[str] = " ".join(words) if unit == "chars" else words
    joiner = "" if unit == "chars" else " "
    if len(items) <= size:
        return [joiner.join(items).encode()]
    return [joiner.join(items[i : i + size]).encode() for i in range(len(items) - size + 1)]


def near_duplicates(
    texts: Sequence[str],
    sources: Sequence[str],
    order: Sequence[tuple[str, int]],
    kind: tuple[str, int],
    threshold: float,
) -> Clusters:
    """Cluster texts of different sources whose shingle sets have a MinHash-estimated Jaccard
    similarity of at least `threshold`; `order` ranks the members (earliest is the original)."""
    from datasketch import LeanMinHash, MinHash, MinHashLSH

    n = len(texts)
    eligible = [i for i, t in enumerate(texts) if len(_WORD.findall(t)) >= MIN_WORDS]
    parent = np.arange(n)
    if len(eligible) > 1:
        hashes = MinHash.bulk([shingles(texts[i], kind) for i in eligible], num_perm=NUM_PERM)
        lean = {i: LeanMinHash(h) for i, h in zip(eligible, hashes)}
        lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        with lsh.insertion_session() as session:
            for i, h in lean.items():
                session.insert(i, h)
        for i, h in lean.items():
            for j in lsh.query(h):
                if j > i and sources[j] != sources[i] and h.jaccard(lean[j]) >= threshold:
                    _union(parent, i, j)
    roots = np.array([_root(parent, i) for i in range(n)], dtype=np.int64)
    sizes = np.bincount(roots, minlength=n)
    cluster = np.where(sizes[roots] > 1, roots, -1)
    original = np.zeros(n, dtype=bool)
    first: dict[int, int] = {}
    for i in sorted(np.flatnonzero(cluster >= 0), key=lambda k: order[k]):
        first.setdefault(int(cluster[i]), int(i))
    original[list(first.values())] = True
    return Clusters(cluster, original)


def _root(parent: np.ndarray, i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = int(parent[i])
    return i


def _union(parent: np.ndarray, i: int, j: int) -> None:
    a, b = _root(parent, i), _root(parent, j)
    if a != b:
        parent[max(a, b)] = min(a, b)


def find_copies(examples: Sequence[Example], doc_index: np.ndarray, threshold: float) -> Copies:
    """Wire copies among a corpus's sentences and among its articles (`doc_index[i]`: the
    document of sentence i, numbered in order of first appearance)."""
    n_docs = int(doc_index.max()) + 1 if len(doc_index) else 0
    order = [(ex.date or "9999", i) for i, ex in enumerate(examples)]
    sentences = near_duplicates(
        [ex.text for ex in examples],
        [ex.source for ex in examples],
        order,
        SENTENCE_SHINGLE,
        threshold,
    )
    bodies: list[list[str]] = [[] for _ in range(n_docs)]
    heads: list[Example | None] = [None] * n_docs
    for ex, d in zip(examples, doc_index):
        bodies[d].append(ex.text)
        heads[d] = heads[d] or ex
    docs = [h for h in heads if h is not None]
    articles = near_duplicates(
        [" ".join(b) for b in bodies],
        [h.source for h in docs],
        [(h.date or "9999", d) for d, h in enumerate(docs)],
        ARTICLE_SHINGLE,
        threshold,
    )
    syndicated = (sentences.cluster >= 0) | (articles.cluster[doc_index] >= 0)
    copy = sentences.copy | articles.copy[doc_index]
    return Copies(sentences, articles, syndicated, copy)


def syndication_rows(
    examples: Sequence[Example], doc_index: np.ndarray, copies: Copies, sources: Sequence[str]
) -> list[dict[str, Any]]:
    """syndication.csv: per source, its articles and sentences, and the share of them that are
    syndicated (shared with another outlet) and copied (later copies of another's text)."""
    rows = []
    src = np.array([ex.source for ex in examples], dtype=object)
    for source in sources:
        mine = src == source
        docs = np.unique(doc_index[mine])
        n, n_docs = int(mine.sum()), len(docs)
        doc_syn = int((copies.articles.cluster[docs] >= 0).sum()) if n_docs else 0
        syn, cop = int(copies.syndicated[mine].sum()), int(copies.copy[mine].sum())
        rows.append(
            {
                "source": source,
                "n_docs": n_docs,
                "docs_syndicated": doc_syn,
                "share_docs_syndicated": doc_syn / n_docs if n_docs else float("nan"),
                "n_sentences": n,
                "sentences_syndicated": syn,
                "share_syndicated": syn / n if n else float("nan"),
                "sentences_copied": cop,
                "share_copied": cop / n if n else float("nan"),
            }
        )
    return rows


def copy_rows(
    examples: Sequence[Example], doc_index: np.ndarray, copies: Copies
) -> list[dict[str, Any]]:
    """wire_copies.csv: every member of every cluster, articles first, originals marked."""
    rows: list[dict[str, Any]] = []
    heads: dict[int, Example] = {}
    for ex, d in zip(examples, doc_index):
        heads.setdefault(int(d), ex)
    for kind, found, items in (
        ("article", copies.articles, heads),
        ("sentence", copies.sentences, dict(enumerate(examples))),
    ):
        for i in sorted(np.flatnonzero(found.cluster >= 0), key=lambda k: (found.cluster[k], k)):
            ex = items[int(i)]
            rows.append(
                {
                    "kind": kind,
                    "cluster": f"{kind[0]}{int(found.cluster[i])}",
                    "original": bool(found.original[i]),
                    "id": ex.doc_id if kind == "article" else ex.id,
                    "source": ex.source,
                    "doc_id": ex.doc_id,
                    "date": ex.date or "",
                    "text": str(ex.extra.get("title") or "") if kind == "article" else ex.text,
                }
            )
    return rows
