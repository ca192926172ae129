"""Pull a multilingual `finetune` model's translations onto its English (issue #14).

The 3-layer multilingual-e5 model (configs/multilingual_e5_fast.yaml) keeps its frames across
languages but calls more sentences "favour Russia" in Russian, Arabic and Korean than in English.
This script tries the multilingual-distillation recipe (Reimers & Gurevych, 2020) on it: a frozen
copy of the trained model is the teacher; the student (the same weights, trained further) learns
to give both an English training sentence and each of its team translations the teacher's
sentence vector for the English one (mean squared error on the mean-pooled vectors). The heads,
thresholds and calibration stay those of the trained model, which read the teacher's space.

Sentence pairs come from the translate-train sets (data/multilingual_train/, _b/ and _c/: UN
training sentences); `--glossary` adds the team glossary's (English term, rendering) pairs
(data/multilingual_glossary/). Nothing of the dev or test sets is read. `--head-weight W` adds
the heads' agreement: their reading of the student's vectors must match their reading of the
teacher's English vectors (frames, and the one-pass stance heads; a pair head is not used).

Usage: python scripts/align_multilingual.py MODEL_DIR OUT_DIR [--epochs 2] [--lr 2e-5]
    [--batch-size 16] [--seed 13] [--glossary] [--head-weight W] [--limit N]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402

from framing import FramingClassifier  # noqa: E402
from framing.errors import FramingError  # noqa: E402
from framing.models.torch_common import mean_pool  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SETS = ("data/multilingual_train", "data/multilingual_train_b", "data/multilingual_train_c")
LANGS = ("pt", "es", "ru", "ar", "ko", "zh")
GLOSSARY = "data/multilingual_glossary"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def parallel_pairs() -> list[tuple[str, str]]:
    """(English, translation) for every translated training row of the translate-train sets."""
    pairs = []
    for folder in SETS:
        english = {r["id"]: r["text"] for r in read_jsonl(REPO / folder / "source_en.jsonl")}
        for lang in LANGS:
            path = REPO / folder / f"{lang}.jsonl"
            if path.is_file():
                pairs += [(english[r["source_id"]], r["text"]) for r in read_jsonl(path)]
    return pairs


def glossary_pairs() -> list[tuple[str, str]]:
    """(English term, rendering) for every term of the team glossary, its alternatives too."""
    english = {r["id"]: r["text"] for r in read_jsonl(REPO / GLOSSARY / "terms_en.jsonl")}
    pairs = []
    for lang in LANGS:
        path = REPO / GLOSSARY / "translations" / f"{lang}.jsonl"
        if path.is_file():
            for row in read_jsonl(path):
                pairs += [
                    (english[row["id"]], text) for text in (row["text"], row.get("alt")) if text
                ]
    return pairs


def pooled(encoder: torch.nn.Module, tokenizer, texts: list[str], max_length: int) -> torch.Tensor:
    batch = tokenizer(
        texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt"
    )
    return mean_pool(encoder(**batch).last_hidden_state, batch["attention_mask"])


def head_loss(net: torch.nn.Module, student: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """How far the trained heads' reading of the student's vectors is from their reading of the
    teacher's English vectors: binary cross-entropy for frames, KL divergence for stance."""
    functional = torch.nn.functional
    loss = functional.binary_cross_entropy_with_logits(
        net.frame_head(student), torch.sigmoid(net.frame_head(target))
    )
    if hasattr(net, "target_head"):
        loss = loss + functional.kl_div(
            functional.log_softmax(net.targets(student), dim=-1),
            functional.log_softmax(net.targets(target), dim=-1),
            reduction="batchmean",
            log_target=True,
        )
    return loss


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--head-weight",
        type=float,
        default=0.0,
        help="weight of the heads' agreement (frames, one-pass stance) beside vector distance",
    )
    parser.add_argument(
        "--glossary",
        action="store_true",
        help=f"add the term pairs of {GLOSSARY} to the sentence pairs",
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="first N sentence and N term pairs (smoke test)"
    )
    return parser.parse_args()


def train(net: torch.nn.Module, tokenizer, length: int, pairs: list, args: argparse.Namespace):
    """Train the encoder of `net` towards a frozen copy of itself on the (English, other) pairs."""
    student = net.encoder
    teacher = copy.deepcopy(student).eval()
    for p in [*teacher.parameters(), *net.parameters()]:
        p.requires_grad_(False)
    for p in student.parameters():
        p.requires_grad_(True)
    student.get_input_embeddings().weight.requires_grad_(False)  # as in training
    student.train()
    optimizer = torch.optim.AdamW([p for p in student.parameters() if p.requires_grad], lr=args.lr)
    mse = torch.nn.functional.mse_loss
    for epoch in range(args.epochs):
        random.shuffle(pairs)
        start, total = time.time(), 0.0
        for i in range(0, len(pairs), args.batch_size):
            english = [a for a, _ in pairs[i : i + args.batch_size]]
            translated = [b for _, b in pairs[i : i + args.batch_size]]
            with torch.no_grad():
                target = pooled(teacher, tokenizer, english, length)
            own = pooled(student, tokenizer, english, length)
            other = pooled(student, tokenizer, translated, length)
            loss = mse(own, target) + mse(other, target)
            if args.head_weight:
                loss = loss + args.head_weight * (
                    head_loss(net, own, target) + head_loss(net, other, target)
                )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        steps = -(-len(pairs) // args.batch_size)
        took = time.time() - start
        print(f"epoch {epoch + 1}: loss {total / steps:.5f}, {took:.0f} s", flush=True)
    student.eval()


def main() -> None:
    args = parse_args()
    if args.out.exists():
        raise SystemExit(f"{args.out} already exists; choose a new folder")
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    try:
        clf = FramingClassifier.load(args.model)
    except FramingError as err:
        raise SystemExit(f"error: {err}") from None
    backend = clf.backend_
    if clf.kind != "finetune" or not hasattr(backend, "net"):
        raise SystemExit(f"error: {args.model}: a torch finetune model is needed, not {clf.kind}")
    sentences = parallel_pairs()[: args.limit]
    terms = glossary_pairs()[: args.limit] if args.glossary else []
    print(f"{len(sentences) + len(terms)} pairs ({len(terms)} glossary)", flush=True)
    train(backend.net, backend.tokenizer, backend.max_length, sentences + terms, args)
    clf.save(args.out)
    print(args.out)


if __name__ == "__main__":
    main()
