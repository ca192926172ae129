"""Run folders: built under a hidden '.incomplete' name and renamed into place when finished,
so an interrupted run never looks complete and nothing is ever overwritten."""

from __future__ import annotations

import logging
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from framing.errors import FramingError
from framing.files import owner_alive
from framing.modelfolder import library_versions

logger = logging.getLogger(__name__)

INCOMPLETE = ".incomplete"
OWNER = "OWNER"  # "pid host" of the process writing an incomplete run
INTERRUPTED = "INTERRUPTED"  # why a kept incomplete run stopped


@dataclass(frozen=True)
class RunDir:
    """Where a run is being written (`tmp`) and where it will appear when done (`final`)."""

    tmp: Path
    final: Path


def utc_stamp(now: datetime | None = None) -> str:
    return (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d_%H%M%S")


def start_run(output_dir: Path, name: str, explicit: Path | None = None) -> RunDir:
    """Reserve a new run folder; an existing folder is an error, never reused."""
    if explicit is not None:
        final = explicit
        if final.exists():
            raise FramingError(f"output folder {final} already exists; runs are never overwritten")
    else:
        base = output_dir / f"{utc_stamp()}_{name}"
        final, n = base, 1
        while final.exists() or (final.parent / f".{final.name}{INCOMPLETE}").exists():
            n += 1
            final = base.with_name(f"{base.name}-{n}")
    tmp = final.parent / f".{final.name}{INCOMPLETE}"
    if tmp.exists():
        _set_aside_if_stale(tmp)
    try:
        tmp.parent.mkdir(parents=True, exist_ok=True)
        # Built aside and renamed in, so the folder never exists without its OWNER: another
        # process can never mistake a run that is just starting for a dead one.
        staging = Path(tempfile.mkdtemp(prefix=f"{tmp.name}.", dir=tmp.parent))
        (staging / OWNER).write_text(f"{os.getpid()} {socket.gethostname()}", encoding="utf-8")
    except OSError as exc:
        raise FramingError(f"cannot create the run folder {tmp} ({exc.strerror})") from None
    try:
        os.rename(staging, tmp)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        raise FramingError(f"{tmp} exists: another run with this name is being written") from None
    return RunDir(tmp=tmp, final=final)


def _set_aside_if_stale(tmp: Path) -> None:
    """A partial run whose writer is gone (same host, PID dead) is renamed aside, never deleted;
    one whose writer still runs is an error."""
    owner = tmp / OWNER
    text = owner.read_text(encoding="utf-8") if owner.is_file() else ""
    if text and owner_alive(text):
        raise FramingError(
            f"{tmp} exists: another run with this name is being written (process {text})"
        )
    aside = tmp.with_name(f"{tmp.name}.stale-{utc_stamp()}")
    os.replace(tmp, aside)
    logger.warning("a dead run had left %s; moved it to %s", tmp, aside)


def finish_run(run: RunDir) -> Path:
    """Rename the finished folder into place (atomic on one file system)."""
    if run.final.exists():
        raise FramingError(
            f"output folder {run.final} appeared while the run was going; kept "
            f"the new run at {run.tmp}"
        )
    (run.tmp / OWNER).unlink(missing_ok=True)
    os.replace(run.tmp, run.final)
    return run.final


def abandon_run(run: RunDir, keep: bool, reason: str = "") -> None:
    """After a failure: remove the partial folder, or keep it for inspection, still hidden and
    marked incomplete, with an INTERRUPTED note and no owner (so it never blocks a rerun)."""
    if not keep:
        shutil.rmtree(run.tmp, ignore_errors=True)
        return
    if run.tmp.is_dir():
        (run.tmp / OWNER).unlink(missing_ok=True)
        note = f"{utc_stamp()} interrupted before finishing: {reason or 'unknown reason'}\n"
        (run.tmp / INTERRUPTED).write_text(note, encoding="utf-8")


def _git(args: list[str], cwd: Path | None) -> str:
    return subprocess.run(
        ["git", *args], capture_output=True, text=True, cwd=cwd, timeout=10, check=True
    ).stdout.strip()


def git_state(cwd: Path | None = None) -> dict[str, Any]:
    """The commit and whether the work tree differs from it (None outside a git checkout)."""
    try:
        sha = _git(["rev-parse", "HEAD"], cwd)
        dirty = _git(["status", "--porcelain", "--untracked-files=no"], cwd)
        return {"sha": sha, "dirty": bool(dirty)}
    except (OSError, subprocess.SubprocessError):
        return {"sha": None, "dirty": None}


def run_meta(
    *,
    started: datetime,
    finished: datetime,
    data_files: Mapping[str, str],
    device: str,
    argv: Sequence[str] | None = None,
) -> dict[str, Any]:
    """meta.json: versions, git state, device, argv, timing and the hash of every data file."""
    return {
        "versions": library_versions(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "git": git_state(),
        "device": device,
        "argv": list(argv if argv is not None else sys.argv),
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "duration_s": round((finished - started).total_seconds(), 2),
        "data_sha256": dict(data_files),
    }
