"""Batching shared by the torch and ONNX kinds: tokenise once, pad per length-sorted batch."""

from __future__ import annotations

import numpy as np
import pytest

from framing.models.torch_common import length_sorted_batches, padded_batches

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
