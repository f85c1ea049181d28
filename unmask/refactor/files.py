"""Reading source files faithfully and writing them back atomically.

A :class:`SourceFile` keeps what is needed to write a file back byte-faithfully: its decoded text (line breaks
stay in the text, so ``\\r\\n`` survives), its encoding (a UTF-8 BOM is kept as ``utf-8-sig``; bytes that are
not UTF-8 are read as latin-1 so they round-trip) and its permission bits.

:meth:`SourceFile.write_atomically` is the only way unmask changes a file on disk. The new bytes go to a temp
file in the same folder, are fsynced, get the original's mode, and replace the original with ``os.replace``
(atomic on POSIX); the folder is fsynced so the rename itself survives a crash. Killed at any moment (even
``kill -9``), the file is either the original or the complete new text. A temp file left by a killed run is
named ``.<name>.<random>.unmask`` and is removed by :func:`remove_stale_temps` on the next run.
"""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

TEMP_SUFFIX = ".unmask"
#: Bytes looked at to decide a file is binary (it has a NUL byte there).
BINARY_SNIFF_BYTES = 8192


class Unreadable(Exception):
    """A file that is skipped: binary, too large or unreadable; the message says which."""


@dataclass(frozen=True)
class SourceFile:
    """A file's text plus what is needed to write it back byte-faithfully. ``data`` is the file's bytes as
    read, so a change can be checked against what is on disk."""

    path: Path
    text: str
    encoding: str
    data: bytes = b""

    @classmethod
    def decode(cls, path: Path, data: bytes) -> SourceFile:
        encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
        try:
            return cls(path, data.decode(encoding), encoding, data)
        except UnicodeDecodeError:
            return cls(path, data.decode("latin-1"), "latin-1", data)

    @classmethod
    def read(cls, path: Path, *, max_bytes: int | None = None) -> SourceFile:
        """Read ``path``; raises :class:`Unreadable` for a binary file (a NUL byte in its first 8 KiB) or
        one over ``max_bytes``, and :class:`OSError` when it cannot be read."""
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise Unreadable(f"too large ({size} bytes; the limit is {max_bytes})")
        data = path.read_bytes()
        if b"\0" in data[:BINARY_SNIFF_BYTES]:
            raise Unreadable("binary")
        return cls.decode(path, data)

    def encode(self, text: str) -> bytes:
        return text.encode(self.encoding, "surrogatepass" if self.encoding.startswith("utf-8") else "strict")

    def write_atomically(self, text: str) -> None:
        """Replace the file with ``text`` in its encoding and mode (see module docstring)."""
        write_bytes_atomically(self.path, self.encode(text))


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: temp file in the same folder, fsync, keep the mode, ``os.replace``,
    fsync the folder. The file is never seen half-written."""
    mode = stat.S_IMODE(path.stat().st_mode)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # some platforms cannot open a folder; the rename is still atomic
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def stale_temps(path: Path) -> list[Path]:
    """Temp files a killed write of ``path`` may have left beside it."""
    return [
        candidate
        for candidate in path.parent.glob(f".{_glob_escape(path.name)}.*{TEMP_SUFFIX}")
        if candidate.is_file() and not candidate.is_symlink()
    ]


def remove_stale_temps(path: Path) -> None:
    for temp in stale_temps(path):
        temp.unlink(missing_ok=True)


def _glob_escape(name: str) -> str:
    return "".join(f"[{ch}]" if ch in "*?[" else ch for ch in name)
