"""Batching shared by the torch and ONNX kinds: tokenise once, pad per length-sorted batch."""

from __future__ import annotations

import numpy as np
import pytest

from framing.models.torch_common import (
    length_grouped,
    length_sorted_batches,
    padded_batches,
    token_lengths,
)

TEXTS = [
    "Sanctions on Russia.",
    "The summit marks a step toward a multipolar world free of Western hegemony and pressure.",
    "NATO.",
    "Russia and the West disagree on the security of the region.",
    "",
]


@pytest.mark.parametrize("side", ["right", "left"])
def test_padded_batches_equal_the_tokenizer_called_per_batch(_tiny_transformer, side):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(_tiny_transformer), padding_side=side)
    batches = list(padded_batches(tok, TEXTS, max_length=12, batch_size=2))
    assert sorted(np.concatenate([index for index, _ in batches])) == list(range(len(TEXTS)))
    order = [list(index) for index in length_sorted_batches(tok, TEXTS, 12, 2)]
    assert [list(index) for index, _ in batches] == order
    for index, feed in batches:
        want = tok([TEXTS[i] for i in index], padding=True, truncation=True, max_length=12)
        np.testing.assert_array_equal(feed["input_ids"], np.asarray(want["input_ids"]))
        np.testing.assert_array_equal(feed["attention_mask"], np.asarray(want["attention_mask"]))
        assert feed["token_type_ids"].shape == feed["input_ids"].shape
        assert not feed["token_type_ids"].any()
        assert feed["input_ids"].dtype == np.int64
    assert batches[0][1]["input_ids"].shape[1] == 12  # the longest text, truncated


def test_length_grouped_sorts_each_window_and_keeps_every_index_once():
    lengths = np.array([5, 30, 12, 7, 22, 3, 18, 9, 40, 1, 14])
    order = [8, 2, 5, 10, 0, 7, 1, 3, 9, 6, 4]  # a shuffled order
    batches = length_grouped(order, lengths, batch_size=2, window=2)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    assert [len(batch) for batch in batches] == [2, 2, 2, 2, 2, 1]  # as many steps as unsorted
    # each window of 2 batches (4 indices of the order) is cut longest first
    for start in range(0, len(order), 4):
        window = [i for batch in batches for i in batch][start : start + 4]
        assert sorted(window) == sorted(order[start : start + 4])
        assert list(lengths[window]) == sorted(lengths[window], reverse=True)


def test_length_grouped_pads_less_than_random_batches():
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 64, size=512)
    order = list(rng.permutation(512))
    random = [order[s : s + 16] for s in range(0, 512, 16)]
    grouped = length_grouped(order, lengths, batch_size=16)

    def padded(batches):
        return sum(len(b) * int(lengths[b].max()) for b in batches)

    assert padded(grouped) < 0.8 * padded(random)


def test_token_lengths_count_after_truncation(_tiny_transformer):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(_tiny_transformer))
    lengths = token_lengths(tok, TEXTS, max_length=12)
    assert lengths.dtype == np.int64
    one_by_one = [len(tok(t, truncation=True, max_length=12)["input_ids"]) for t in TEXTS]
    assert list(lengths) == one_by_one
    assert lengths.max() == 12
