"""Exceptions raised by framing; each also subclasses the built-in people already catch."""

from __future__ import annotations


class FramingError(Exception):
    """Base of every error framing raises on purpose (the CLI prints it without a traceback)."""


class ConfigError(FramingError, ValueError):
    """A config or label-schema file is invalid; the message names the file and the dotted key."""


class DataError(FramingError, ValueError):
    """A data file is invalid; the message names the file, the line and the field."""


class ModelError(FramingError, ValueError):
    """A model folder is missing files, tampered with, or of an unknown format."""


class NotFittedError(FramingError, RuntimeError):
    """A classifier was used before `fit` (or `load`)."""
