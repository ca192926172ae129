"""The packaged encoder fine-tuned end to end, with a frame head and stance heads.

The frame head reads the sentence alone (sigmoid per frame). Stance is read in one of two
ways (`stance_input`): a head per schema target on the same sentence encoding (one encoder
pass gives frames and every target), or a pair head on (target, sentence), which a trained
model can be asked about any target string. `both` keeps the two. The training loop is
explicit: AdamW, linear warm-up and decay, clipping at 1.0, early stopping on dev, best
state kept. Sentences with a teacher's soft labels and no gold ones train the frame head and
the per-target heads by distillation (framing.models.losses); the pair head learns from gold only.
"""

from __future__ import annotations

import copy
import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from framing.config import FinetuneModelConfig, TrainConfig
from framing.data import Example
from framing.errors import ConfigError
from framing.labels import LabelSchema
from framing.modelfolder import HEADS
from framing.models.base import EarlyStopping, EpochInfo
from framing.models.bases import resolve_base
from framing.models.losses import IGNORE, frame_loss, loss_weights, soft_part, target_loss
from framing.models.torch_common import (
    length_grouped,
    length_sorted_batches,
    load_encoder,
    mean_pool,
    pick_device,
    progress,
    seed_everything,
    target_text,
    token_lengths,
)

logger = logging.getLogger(__name__)


def head_names(stance_input: str) -> tuple[str, ...]:
    """The linear heads a model with this `stance_input` carries (saved in heads.safetensors)."""
    names = ["frame_head"]
    if stance_input in ("one_pass", "both"):
        names.append("target_head")
    if stance_input in ("pair", "both"):
        names.append("stance_head")
    return tuple(names)


def stance_input_of(head_keys: Sequence[str]) -> str:
    """Which stance_input a saved heads file was trained with (older folders: pair only)."""
    has = {key.split(".", 1)[0] for key in head_keys}
    if "target_head" in has:
        return "both" if "stance_head" in has else "one_pass"
    return "pair"


def _build_net(
    path: Path,
    n_frames: int,
    n_targets: int,
    n_stance: int,
    heads: Sequence[str],
    layers: int | None = None,
) -> Any:
    import torch

    class FramingNet(torch.nn.Module):
        """Shared encoder; a frame head and per-target stance heads on the sentence, and a
        pair stance head on (target, sentence)."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = load_encoder(path, layers)
            hidden = self.encoder.config.hidden_size
            self.dropout = torch.nn.Dropout(0.1)
            self.frame_head = torch.nn.Linear(hidden, max(n_frames, 1))
            if "target_head" in heads:
                self.target_head = torch.nn.Linear(hidden, max(n_targets, 1) * n_stance)
            if "stance_head" in heads:
                self.stance_head = torch.nn.Linear(hidden, n_stance)

        def pooled(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
            hidden = self.encoder(**batch).last_hidden_state
            return self.dropout(mean_pool(hidden, batch["attention_mask"]))

        def frames(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
            return self.frame_head(self.pooled(batch))

        def targets(self, pooled: torch.Tensor) -> torch.Tensor:
            """Stance logits (batch, n_targets, n_stance) from one sentence encoding."""
            return self.target_head(pooled).view(pooled.shape[0], max(n_targets, 1), n_stance)

        def stance(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
            return self.stance_head(self.pooled(batch))

    return FramingNet()


class FinetuneBackend:
    """Fine-tunes the encoder; `fit` yields one EpochInfo per epoch and keeps the best state."""

    kind = "finetune"

    def __init__(self, schema: LabelSchema, config: FinetuneModelConfig, train: TrainConfig):
        self.schema = schema
        self.config = config
        self.base = config.base
        self.max_length = config.max_length
        self.freeze_embeddings = config.freeze_embeddings
        self.stance_input = config.stance_input
        self.train = train
        self.net: Any = None
        self.tokenizer: Any = None
        self.device = "cpu"
        self.lengths: np.ndarray | None = None  # training sentences' token counts, when grouped

    def _setup(self, path: Path) -> None:
        from transformers import AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self.device = pick_device(self.train.device)
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.net = _build_net(
            path,
            len(self.schema.frames),
            len(self.schema.targets),
            len(self.schema.stance_labels),
            head_names(self.stance_input),
            self.config.layers,
        )
        self.net.to(self.device)

    def _encode(self, texts: Sequence[str], pairs: Sequence[str] | None = None) -> dict[str, Any]:
        if pairs is None:
            enc = self.tokenizer(
                list(texts),
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
        else:
            enc = self.tokenizer(
                list(pairs),
                list(texts),
                padding=True,
                truncation="only_second",
                max_length=self.max_length,
                return_tensors="pt",
            )
        return {k: v.to(self.device) for k, v in enc.items()}

    def _steps(
        self, train: Sequence[Example], rng: random.Random
    ) -> list[tuple[str, list[int], list[str] | None]]:
        """One epoch of batches, mixed: sentence batches ("sentence": frames and the per-target
        heads in one pass, or "frames" alone for a pair-only model) and pair batches."""
        one_pass = self.stance_input != "pair"
        rows = [
            i
            for i, ex in enumerate(train)
            if ((ex.frames is not None or soft_part(ex, "frames")) and self.schema.frames)
            or (one_pass and any(t in self.schema.targets for t in ex.stance or {}))
            or (one_pass and soft_part(ex, "stance"))
        ]
        pairs = [
            (i, t)
            for i, ex in enumerate(train)
            if ex.stance
            for t in ex.stance
            if t in self.schema.targets
        ]
        if self.stance_input == "one_pass":
            pairs = []
        rng.shuffle(rows)
        rng.shuffle(pairs)
        task = "sentence" if one_pass else "frames"
        steps: list[tuple[str, list[int], list[str] | None]] = [
            (task, batch, None) for batch in self._batches(rows, self.lengths)
        ]
        # Pairs are grouped by their sentence's length (targets are a few tokens each).
        pair_lengths = None if self.lengths is None else self.lengths[[i for i, _ in pairs]]
        for batch in self._batches(list(range(len(pairs))), pair_lengths):
            chunk = [pairs[k] for k in batch]
            steps.append(("stance", [i for i, _ in chunk], [t for _, t in chunk]))
        rng.shuffle(steps)
        return steps

    def _batches(self, order: list[int], lengths: np.ndarray | None) -> list[list[int]]:
        """Consecutive batches of the shuffled order, or length-grouped ones when the
        training sentences' token lengths are known (`train.group_by_length`)."""
        size = self.train.batch_size
        if lengths is None:
            return [order[s : s + size] for s in range(0, len(order), size)]
        return length_grouped(order, lengths, size)

    def _token_lengths(self, train: Sequence[Example]) -> np.ndarray | None:
        """The training sentences' token counts when batches are grouped by length, else None."""
        if not self.train.group_by_length:
            return None
        return token_lengths(self.tokenizer, [ex.text for ex in train], self.max_length)

    def _optimizer(self, train: Sequence[Example]) -> tuple[Any, Any, list[Any]]:
        """AdamW over the trainable parameters and a linear warm-up/decay schedule."""
        import torch
        from transformers import get_linear_schedule_with_warmup

        cfg = self.train
        if self.freeze_embeddings:
            # Freezing the word-embedding table saves ~25% of a CPU step and rarely costs accuracy.
            self.net.encoder.get_input_embeddings().weight.requires_grad_(False)
        total = len(self._steps(train, random.Random(0))) * cfg.epochs
        if cfg.max_steps:
            total = min(total, cfg.max_steps)
        params = [p for p in self.net.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        scheduler = get_linear_schedule_with_warmup(
            optimizer, int(cfg.warmup_ratio * total), max(total, 1)
        )
        return optimizer, scheduler, params

    def _batch_loss(
        self, train: Sequence[Example], step: tuple[str, list[int], list[str] | None], losses: Any
    ) -> Any:
        """The loss of one batch: frames and per-target stance from one pass over sentences,
        frames alone, or stance on (target, sentence) pairs."""
        import torch

        task, rows, targets = step
        bce, ce = losses
        examples = [train[i] for i in rows]
        texts = [ex.text for ex in examples]
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.device == "cuda"):
            if task == "sentence":
                pooled = self.net.pooled(self._encode(texts))
                frames = frame_loss(examples, self.net.frame_head(pooled), bce, self.schema)
                return frames + target_loss(examples, self.net.targets(pooled), ce, self.schema)
            if task == "frames":
                return frame_loss(examples, self.net.frames(self._encode(texts)), bce, self.schema)
            assert targets is not None
            labels = {label: k for k, label in enumerate(self.schema.stance_labels)}
            gold_idx = torch.tensor(
                [labels[train[i].stance[t]] for i, t in zip(rows, targets)],  # type: ignore[index]
                device=self.device,
            )
            pair = [target_text(t) for t in targets]
            return ce(self.net.stance(self._encode(texts, pair)).float(), gold_idx)

    def fit(
        self,
        train: Sequence[Example],
        dev: Sequence[Example] | None,
        *,
        show_progress: bool = False,
        score_dev: Callable[[Any], dict[str, float]] | None = None,
    ) -> Iterator[EpochInfo]:
        import torch

        cfg = self.train
        if self.stance_input == "pair" and any(soft_part(ex, "stance") for ex in train):
            raise ConfigError(
                "stance_input: pair learns stance from gold labels only, and the training data "
                "has soft stance labels; use stance_input one_pass or both to learn from them"
            )
        seed_everything(cfg.seed)
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        self._setup(resolve_base(self.base))
        self.lengths = self._token_lengths(train)
        optimizer, scheduler, params = self._optimizer(train)
        pos_weight, class_weight = loss_weights(train, self.schema, self.device)
        losses = (
            torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight),
            torch.nn.CrossEntropyLoss(weight=class_weight, ignore_index=IGNORE),
        )
        stopping = EarlyStopping(cfg.select_on, cfg.patience)
        rng, best_state, step = random.Random(cfg.seed), None, 0
        for epoch in range(1, cfg.epochs + 1):
            start, epoch_losses = time.perf_counter(), []
            self.net.train()
            for batch in progress(self._steps(train, rng), show_progress, f"epoch {epoch}"):
                loss = self._batch_loss(train, batch, losses)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                optimizer.step()
                scheduler.step()
                epoch_losses.append(float(loss.detach()))
                step += 1
                if cfg.max_steps and step >= cfg.max_steps:
                    break
            self.net.eval()
            scores = score_dev(self) if score_dev is not None and dev else {}
            train_loss = float(np.mean(epoch_losses)) if epoch_losses else None
            improved = stopping.update(scores, train_loss)
            if improved:
                best_state = copy.deepcopy(
                    {k: v.detach().cpu() for k, v in self.net.state_dict().items()}
                )
            seconds = time.perf_counter() - start
            yield EpochInfo(
                epoch, step, train_loss, seconds, {**scores, "is_best": float(improved)}
            )
            if stopping.should_stop or (cfg.max_steps and step >= cfg.max_steps):
                break
        if best_state is not None:
            self.net.load_state_dict(best_state)
        self.net.eval()

    def predict_proba(
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        show_progress: bool = False,
        targets: Sequence[str] | None = None,
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        import torch

        assert self.net is not None
        texts = list(texts)
        targets = list(targets) if targets is not None else list(self.schema.targets)
        size = batch_size or 64
        batches = length_sorted_batches(self.tokenizer, texts, self.max_length, size)
        frames = np.zeros((len(texts), len(self.schema.frames)), dtype=np.float64)
        stance = {t: np.zeros((len(texts), len(self.schema.stance_labels))) for t in targets}
        one_pass = [t for t in targets if t in self.schema.targets and self.stance_input != "pair"]
        self._check_pair_targets([t for t in targets if t not in one_pass])
        self.net.eval()
        with torch.inference_mode():
            for batch in progress(batches, show_progress, "scoring"):
                chunk = [texts[i] for i in batch]
                if self.schema.frames or one_pass:
                    pooled = self.net.pooled(self._encode(chunk))
                    logits = self.net.frame_head(pooled).float()
                    frames[batch] = torch.sigmoid(logits).cpu().numpy()[:, : frames.shape[1]]
                if one_pass:
                    proba = torch.softmax(self.net.targets(pooled).float(), -1).cpu().numpy()
                    for t in one_pass:
                        stance[t][batch] = proba[:, self.schema.targets.index(t)]
                for t in targets:
                    if t not in one_pass:
                        pair = [target_text(t)] * len(chunk)
                        logits = self.net.stance(self._encode(chunk, pair))
                        stance[t][batch] = torch.softmax(logits.float(), -1).cpu().numpy()
        return frames, stance

    @property
    def reads_pairs(self) -> bool:
        """Whether the model can be asked about free-text targets (it has the pair head)."""
        return self.stance_input != "one_pass"

    def _check_pair_targets(self, targets: Sequence[str]) -> None:
        if targets and not self.reads_pairs:
            raise ConfigError(
                f"targets {list(targets)} are not in the schema and this model was trained "
                "with stance_input: one_pass (schema targets only); train it with "
                "stance_input: both or pair to ask about free-text targets"
            )

    def params(self) -> dict[str, Any]:
        return self.config.model_dump(mode="json", exclude={"kind", "name"})

    def save(self, path: Path) -> None:
        from safetensors.torch import save_file

        self.net.encoder.save_pretrained(str(path))
        self.tokenizer.save_pretrained(str(path))
        heads = {
            f"{name}.{key}": value.detach().cpu().contiguous()
            for name in head_names(self.stance_input)
            for key, value in getattr(self.net, name).state_dict().items()
        }
        save_file(heads, str(path / HEADS))

    @classmethod
    def load(
        cls, path: Path, schema: LabelSchema, config: FinetuneModelConfig, train: TrainConfig
    ) -> FinetuneBackend:
        """Rebuild from a model folder that holds the fine-tuned encoder and the heads."""
        from safetensors.torch import load_file

        heads = load_file(str(path / HEADS))
        stance_input = stance_input_of(list(heads))
        backend = cls(
            schema,
            config.model_copy(update={"base": str(path), "stance_input": stance_input}),
            train,
        )
        backend._setup(path)
        for name in head_names(stance_input):
            state = {k.split(".", 1)[1]: v for k, v in heads.items() if k.startswith(name + ".")}
            getattr(backend.net, name).load_state_dict(state)
        backend.net.eval()
        return backend
