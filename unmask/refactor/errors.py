"""The exceptions ``unmask.refactor`` raises. Only the CLI turns them into messages and exit codes."""

from __future__ import annotations


class RefactorError(Exception):
    """Base class of the refactor package's errors."""


class SelectionError(RefactorError):
    """A query or pattern cannot be used (does not compile, names no hole); the message says why."""


class EngineUnavailable(RefactorError):
    """The requested execution engine (``--engine ray``) is not installed or cannot start."""
