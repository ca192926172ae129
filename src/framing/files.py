"""Files, one home for every module: YAML in, JSON/JSONL out, SHA-256, and writes that are
atomic (built aside under a unique name, renamed into place) and locked against a second writer."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import yaml

from framing.errors import ConfigError, FramingError


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A safe YAML loader (libyaml's when built in) refusing a key repeated in one mapping
    (PyYAML keeps the last)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)  # type: ignore[arg-type]
        try:
            hash(key)
        except TypeError:
            continue  # the base constructor reports unhashable keys itself
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"key {key!r} appears twice (lines {seen[key]} and {key_node.start_mark.line + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,  # type: ignore[arg-type]
)


def parse_yaml(text: str) -> Any:
    """Parse YAML text safely, refusing duplicate keys; every failure is a `yaml.YAMLError`."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except (ValueError, TypeError) as exc:  # e.g. a date like 2020-13-45, a 5000-digit integer
        raise yaml.YAMLError(f"{type(exc).__name__}: {exc}") from None
    except RecursionError:
        raise yaml.YAMLError("nested too deeply") from None


def read_yaml(path: str | Path, what: str = "config") -> dict[str, Any]:
    """Read a YAML mapping; every error is one ConfigError naming the file (and line)."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder; expected a {what} file (YAML)")
    if not path.is_file():
        raise ConfigError(f"{what} file not found: {path}")
    try:
        raw = parse_yaml(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what} file ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the {what} file as UTF-8"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({' '.join(str(exc).split())})") from None
    if raw is None:
        raise ConfigError(f"{path}: the file is empty; expected a mapping of {what} keys")
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of {what} keys, found {type(raw).__name__}")
    return raw


def dump_yaml(data: Any) -> str:
    """YAML text in the order given (for resolved configs in run folders)."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def json_text(data: Any) -> str:
    """Indented JSON text with a final newline, non-ASCII kept as is."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_json(path: Path, data: Any) -> None:
    """Write one JSON document (inside a folder that is itself written atomically)."""
    path.write_text(json_text(data), encoding="utf-8")


def write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    """Write one JSON object per line."""
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


_UMASK = _read_umask()  # read once, at import: os.umask can only be read by setting it


def readable_by_all(path: str | Path) -> None:
    """Give a file made by mkstemp (mode 0600) the mode a plain `open` would (0666 less umask)."""
    os.chmod(path, 0o666 & ~_UMASK)


def _modes_as_open(folder: Path) -> None:
    """Give a folder made by mkdtemp (0700) and what is in it the modes `mkdir` and `open`
    would have given (umask applied), so a saved model is readable where its parent is."""
    os.chmod(folder, 0o777 & ~_UMASK)
    for root, dirs, files in os.walk(folder):
        for names, mode in ((dirs, 0o777), (files, 0o666)):
            for name in names:
                path = Path(root) / name
                if not path.is_symlink():  # a link's target is not ours to change
                    os.chmod(path, mode & ~_UMASK)


def _cannot_write(path: Path, exc: OSError) -> FramingError:
    """One line for an output the system refuses to create."""
    return FramingError(f"cannot write {path}: {exc.strerror or exc} in {path.parent}")


def check_writable(path: str | Path) -> None:
    """Refuse, in one line and before any long work, an output whose folder cannot be written
    (a probe file is made and removed: os.access says yes on a read-only file system)."""
    path = Path(path)
    _check_parent(path)
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=path.parent)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    os.close(fd)
    os.unlink(probe)


def _check_parent(path: Path) -> None:
    parent = path.parent
    if parent.exists() and not parent.is_dir():
        raise FramingError(f"cannot write {path}: {parent} is a file, not a folder")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FramingError(f"cannot create the folder {parent} ({exc.strerror})") from None
    if not os.access(parent, os.W_OK):
        raise FramingError(f"cannot write {path}: the folder {parent} is not writable")


def owner_alive(text: str) -> bool:
    """Whether the process named in a lock file ('pid host') still runs on this host."""
    try:
        pid_text, host = text.split(maxsplit=1)
        pid = int(pid_text)
    except ValueError:
        return False
    if host.strip() != socket.gethostname():
        return True  # another machine's process: cannot tell, so assume it is alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold `.<name>.lock` beside `path` while writing it; a second writer gets one clear error.

    A lock left by a process that died (same host, PID gone) is taken over, so a crash never
    blocks the next run.
    """
    lock = path.parent / f".{path.name}.lock"
    stamp = f"{os.getpid()} {socket.gethostname()}"
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                owner = lock.read_text(encoding="utf-8")
            except OSError:
                owner = ""
            if owner_alive(owner):
                raise FramingError(
                    f"{path} is being written by another framing process ({owner.strip()}); "
                    f"wait for it, or remove {lock} if that process is gone"
                ) from None
            lock.unlink(missing_ok=True)
            continue
        except OSError as exc:  # e.g. a read-only file system, where os.access said yes
            raise _cannot_write(path, exc) from None
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(stamp)
        break
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_file(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a unique temp file beside `path`; rename it into place only if the block succeeds."""
    path = Path(path)
    _check_parent(path)
    with locked(path):
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
        tmp = Path(tmp_name)
        try:
            encoding = None if "b" in mode else "utf-8"
            with os.fdopen(fd, mode, encoding=encoding) as handle:
                yield handle
            readable_by_all(tmp)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


@contextlib.contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Build a folder under a unique hidden name beside `path` and rename it into place when
    the block succeeds; an existing non-empty `path` is an error, a failure leaves nothing."""
    path = Path(path)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise FramingError(f"{path} already exists and is not empty; choose a new folder")
    _check_parent(path)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent))
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        yield tmp
        _modes_as_open(tmp)
        if path.exists():
            path.rmdir()
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
