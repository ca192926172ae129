"""Why 16 + 16 examples stay short of all the data (issue #15): what a small sample can rank,
and what was tried to close the gap.

One frame (default `western_pressure`; pool data/un/train.jsonl, test data/un/test.jsonl),
10 balanced samples of 16 + 16 sentences (the learning curves' seeds), frozen encoder features.
Each way of turning the sample into decisions is scored by F1 on the test set at its own
threshold, averaged over the samples, beside the best cut on the test set itself (a ceiling:
what its ranking allows, not a result):
- `lr`: the `encoder` kind's head (logistic regression, C = 1, balanced weights), cut 0.5;
- `lr_C16`: the same with a weaker penalty (C = 16), so its posteriors are less flat;
- `centred`: `lr` after subtracting the mean embedding of the unlabelled texts (pool and test);
- `whitened`: `lr` after whitening with those texts' covariance (shrinkage: + its mean eigenvalue);
- `prototype`: the difference of the two class means, cut half-way between them;
- `prior_em`, `lr_C16_prior_em`: posteriors re-weighted to the frame's prevalence as estimated
  by EM on the unlabelled test texts (Saerens, Latinne & Decaestecker 2002), cut at 0.5;
- `mixture_cut`: `lr` cut where a two-Gaussian mixture of the pool texts' log-odds (started at
  the sample's class means) gives its upper group half the posterior;
- `definition`: `lr` with the frame's definition ("name: definition") as a positive and the
  sample's mean embedding as a negative, each of weight 8 (what the `fewshot` kind adds);
- `definition_corpus_centre`: the same with the unlabelled texts' mean as the negative.
`all data` is `lr` fitted on the whole pool (natural prevalence), the other end of the gap.

`--base NAME|FOLDER` swaps the encoder. `--domain-tuned` first fine-tunes the default encoder on
the pool's *other* frames (never this frame's labels; UN, news and team-written news train and
dev files, the recipe of configs/default.yaml, frames only, about 15 minutes on 2 cores), saves
it under .cache/framing/benchmarks/domain_tuned/<frame> and uses it as the encoder.

Usage:
    python benchmarks/fewshot_diagnostics.py [--frame western_pressure] [--base default]
        [--domain-tuned]
Writes benchmarks/results/fewshot_diagnostics.json (one block per encoder, kept across runs).
"""

from __future__ import annotations

import argparse
import json
import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.mixture import GaussianMixture

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from framing import FramingClassifier  # noqa: E402
from framing.data import Example  # noqa: E402
from framing.errors import FramingError  # noqa: E402
from framing.labels import LabelSchema, load_schema  # noqa: E402
from framing.models.bases import resolve_base  # noqa: E402
from framing.models.encoder import SentenceEncoder  # noqa: E402
from framing.models.fewshot import definition_text  # noqa: E402
from framing.models.zeroshot import best_f1_cut  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "results" / "fewshot_diagnostics.json"
TUNED = REPO / ".cache" / "framing" / "benchmarks" / "domain_tuned"
TRAIN_FILES = ("data/un/train.jsonl", "data/news/train.jsonl", "data/news_synth/train.jsonl")
DEV_FILES = ("data/un/dev.jsonl", "data/news/dev.jsonl", "data/news_synth/dev.jsonl")
SEED = 13
SAMPLES = 10
HALF = 16
ANCHOR_WEIGHT = 8.0  # the fewshot kind's default definition_weight


def _rows(path: str) -> list[dict[str, Any]]:
    text = (REPO / path).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line]


def best_cut_f1(gold: np.ndarray, scores: np.ndarray) -> float:
    """The F1 of the best threshold on these labels (the ranking's ceiling), scored as a
    threshold would be applied, so tied scores fall on one side together."""
    return f1(gold, scores >= best_f1_cut(scores, gold.astype(int)))


def f1(gold: np.ndarray, pred: np.ndarray) -> float:
    """Positive-class F1 (0 when nothing is predicted or present)."""
    denom = float(gold.sum() + pred.sum())
    return 2 * float((gold & pred).sum()) / denom if denom else 0.0


def em_prior(p: np.ndarray, trained_at: float = 0.5, steps: int = 200) -> np.ndarray:
    """Posteriors re-weighted to the prevalence EM estimates on these (unlabelled) rows.

    `trained_at` is the prevalence the posteriors assume: 0.5 for a head fitted with balanced
    class weights, as every head here is."""
    prior, q = trained_at, p
    for _ in range(steps):
        a = p * prior / trained_at
        q = a / (a + (1 - p) * (1 - prior) / (1 - trained_at))
        if abs(q.mean() - prior) < 1e-7:
            break
        prior = float(q.mean())
    return q


def _lr(C: float) -> Callable[..., LogisticRegression]:
    return lambda X, y, weight=None: LogisticRegression(
        C=C, class_weight="balanced", max_iter=3000, random_state=SEED
    ).fit(X, y, sample_weight=weight)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def mixture_cut(scores: np.ndarray, negative: float, positive: float) -> float:
    """The probability where a two-Gaussian mixture of these log-odds (started at the given
    class means) gives its upper component half the posterior; 0.5 when there is no such point
    between the two means."""
    z = _logit(scores).reshape(-1, 1)
    mixture = GaussianMixture(
        2, means_init=[[negative], [positive]], tol=1e-6, max_iter=1000, random_state=SEED
    ).fit(z)
    means = mixture.means_.ravel()
    grid = np.linspace(means.min(), means.max(), 1001).reshape(-1, 1)
    upper = mixture.predict_proba(grid)[:, int(np.argmax(means))]
    above = np.flatnonzero(upper >= 0.5)
    if not above.size or upper[0] >= 0.5:
        return 0.5
    return float(1 / (1 + np.exp(-grid[above[0], 0])))


def anchored(X: np.ndarray, y: np.ndarray, definition: np.ndarray, centre: np.ndarray):
    """`lr` fitted with the definition as a positive and `centre` as a negative, weight 8."""
    rows = np.concatenate([X, definition[None], centre[None]])
    labels = np.concatenate([y, [True, False]])
    weight = np.concatenate([np.ones(len(y)), [ANCHOR_WEIGHT, ANCHOR_WEIGHT]])
    return _lr(1.0)(rows, labels, weight)


def whitening(unlabelled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mean and the whitening matrix of unlabelled features (eigenvalues shrunk by their
    mean, so near-empty directions are not blown up)."""
    mean = unlabelled.mean(0)
    values, vectors = np.linalg.eigh(np.cov((unlabelled - mean).T))
    return mean, vectors @ np.diag(1 / np.sqrt(values + values.mean())) @ vectors.T


def variants(
    X: np.ndarray, y: np.ndarray, T: np.ndarray, unlabelled: dict[str, np.ndarray]
) -> dict[str, tuple[np.ndarray, float]]:
    """(test scores, threshold) of every variant for one labelled sample (X, y); T: the test
    features; `unlabelled`: the pool's features (`pool`), `whitening`'s `mean` and `white` of
    the unlabelled texts, and the frame's `definition` embedding."""
    mean, white = unlabelled["mean"], unlabelled["white"]

    def norm(Z: np.ndarray) -> np.ndarray:
        return Z / np.linalg.norm(Z, axis=1, keepdims=True)

    out: dict[str, tuple[np.ndarray, float]] = {}
    for name, C in (("lr", 1.0), ("lr_C16", 16.0)):
        p = _lr(C)(X, y).predict_proba(T)[:, 1]
        out[name] = (p, 0.5)
        out[f"{name}_prior_em"] = (em_prior(p), 0.5)
    head = _lr(1.0)(X, y)
    own = _logit(head.predict_proba(X)[:, 1])
    pool = head.predict_proba(unlabelled["pool"])[:, 1]
    out["mixture_cut"] = (out["lr"][0], mixture_cut(pool, own[~y].mean(), own[y].mean()))
    definition = unlabelled["definition"]
    out["definition"] = (anchored(X, y, definition, X.mean(0)).predict_proba(T)[:, 1], 0.5)
    centre = anchored(X, y, definition, mean)
    out["definition_corpus_centre"] = (centre.predict_proba(T)[:, 1], 0.5)
    transforms = {
        "centred": lambda Z: norm(Z - mean),
        "whitened": lambda Z: norm((Z - mean) @ white),
    }
    for name, transform in transforms.items():
        out[name] = (_lr(1.0)(transform(X), y).predict_proba(transform(T))[:, 1], 0.5)
    direction = X[y].mean(0) - X[~y].mean(0)
    cut = ((X[y] @ direction).mean() + (X[~y] @ direction).mean()) / 2
    out["prototype"] = (T @ direction, float(cut))
    return out


def diagnose(
    pool: list[Example], test: list[Example], encoder: SentenceEncoder, definition: str
) -> dict[str, Any]:
    """Every variant's mean F1 and ceiling over the samples, and the all-data F1."""
    P = encoder.encode([ex.text for ex in pool])
    T = encoder.encode([ex.text for ex in test])
    y_pool = np.array([bool(ex.frames) for ex in pool])
    gold = np.array([bool(ex.frames) for ex in test])
    mean, white = whitening(np.concatenate([P, T]))
    encoder.max_length = 256  # the definition runs longer than a sentence
    unlabelled = {
        "pool": P,
        "mean": mean,
        "white": white,
        "definition": encoder.encode([definition])[0],
    }
    pos, neg = np.flatnonzero(y_pool).tolist(), np.flatnonzero(~y_pool).tolist()
    scores: dict[str, dict[str, list[float]]] = {}
    for k in range(SAMPLES):
        rng = random.Random(SEED + k)  # the learning curves' draw of positives then negatives
        rows = rng.sample(pos, HALF) + rng.sample(neg, HALF)
        for name, (s, cut) in variants(P[rows], y_pool[rows], T, unlabelled).items():
            cell = scores.setdefault(name, {"f1": [], "ceiling": []})
            cell["f1"].append(f1(gold, s >= cut))
            cell["ceiling"].append(best_cut_f1(gold, s))
    everything = _lr(1.0)(P, y_pool).predict_proba(T)[:, 1]
    return {
        "pool": len(pool),
        "test": len(test),
        "all_data": {
            "f1": round(f1(gold, everything >= 0.5), 3),
            "ceiling": round(best_cut_f1(gold, everything), 3),
        },
        "samples_16_16": {
            name: {key: round(float(np.mean(v)), 3) for key, v in cell.items()}
            | {"per_sample": [round(x, 3) for x in cell["f1"]]}
            for name, cell in scores.items()
        },
    }


def examples(paths: tuple[str, ...], frame: str, keep: tuple[str, ...] | None) -> list[Example]:
    """Sentences with frame labels: `frame` alone (keep None), or the `keep` frames only."""
    out = []
    for path in paths:
        for i, row in enumerate(_rows(path)):
            if row.get("frames") is None:
                continue
            labels = tuple(f for f in row["frames"] if (f == frame if keep is None else f in keep))
            out.append(
                Example(
                    id=f"{path}:{i}", text=row["text"], doc_id=row.get("doc_id", ""), frames=labels
                )
            )
    return out


def domain_tuned(frame: str) -> Path:
    """MiniLM fine-tuned on the other frames of the default schema (never `frame`'s labels).
    A folder from an earlier run is reused: delete it to train again."""
    folder = TUNED / frame
    if folder.is_dir():
        print(f"reusing {folder}")
        return folder
    full = load_schema(REPO / "configs" / "labels" / "geopolitics.yaml")
    others = tuple(f for f in full.frames if f != frame)
    schema = LabelSchema(
        frames=others,
        targets=(),
        name=f"without_{frame}",
        definitions={f: full.definitions[f] for f in others},
    )
    model = {"max_length": 64, "freeze_embeddings": True}
    train = {
        "seed": SEED,
        "epochs": 2,
        "batch_size": 16,
        "lr": 6e-5,
        "warmup_ratio": 0.1,
        "patience": 1,
    }
    clf = FramingClassifier("finetune", schema=schema, model=model, train=train)
    clf.fit(
        examples(TRAIN_FILES, frame, others), examples(DEV_FILES, frame, others), show_progress=True
    )
    return clf.save(folder)


def main() -> None:
    """Diagnose one frame with one encoder and merge the block into the results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frame", default="western_pressure")
    parser.add_argument("--base", default="default", help="encoder: a name or a folder")
    parser.add_argument(
        "--domain-tuned",
        action="store_true",
        help="fine-tune the default encoder on the other frames first",
    )
    args = parser.parse_args()
    schema = load_schema(REPO / "configs" / "labels" / "geopolitics.yaml")
    if args.frame not in schema.frames:
        raise SystemExit(f"--frame {args.frame}: expected one of {', '.join(schema.frames)}")
    if args.domain_tuned and args.base != "default":
        raise SystemExit("--domain-tuned fine-tunes the default encoder; drop --base")
    option = "--domain-tuned" if args.domain_tuned else f"--base {args.base}"
    try:
        path = domain_tuned(args.frame) if args.domain_tuned else resolve_base(args.base)
        encoder = SentenceEncoder(path, 128)
    except FramingError as error:
        raise SystemExit(f"{option}: {error}") from None
    key = f"{args.frame}@" + ("domain_tuned" if args.domain_tuned else args.base)
    block = diagnose(
        examples(("data/un/train.jsonl",), args.frame, None),
        examples(("data/un/test.jsonl",), args.frame, None),
        encoder,
        definition_text(schema, args.frame),
    )
    results = json.loads(OUT.read_text(encoding="utf-8")) if OUT.is_file() else {}
    results["design"] = __doc__.split("\n\n")[1]
    results.setdefault("runs", {})[key] = block
    OUT.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"{key}: all data F1 {block['all_data']['f1']} (ceiling {block['all_data']['ceiling']})")
    for name, cell in block["samples_16_16"].items():
        print(f"  16 + 16 {name}: F1 {cell['f1']}, best cut on test {cell['ceiling']}")


if __name__ == "__main__":
    main()
