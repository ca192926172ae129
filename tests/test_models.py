"""The real packaged encoder (opt-in: `pytest -m slow`), loaded from the PyPI package, offline."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.slow
def test_models_packaged_encoder_embeds_offline():
    from framing.models.encoder import SentenceEncoder
    from framing.models.torch_common import resolve_base

    encoder = SentenceEncoder(resolve_base("default"), max_length=64)
    vectors = encoder.encode(["Sanctions on Moscow.", "Sanctions against Russia.", "It rained."])
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_models_unknown_base_is_a_config_error(tmp_path):
    from framing.errors import ConfigError
    from framing.models.torch_common import resolve_base

    with pytest.raises(ConfigError, match="not a local model folder"):
        resolve_base(str(tmp_path / "nowhere"))
