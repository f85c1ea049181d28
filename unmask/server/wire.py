"""Hardening of pygls' JSON-RPC framing for clients that send broken messages.

Found by fuzzing (tests/test_fuzz_server.py), each fix keeps the server up, in sync, and answering:

- :class:`ResyncingReader`: pygls reads headers line by line and recognises ``Content-Length`` only at the
  start of a line. After one frame with a wrong ``Content-Length`` the rest of it is glued to the next
  header (``...}Content-Length: 52``), every later header is missed the same way, and the server goes deaf
  for good. The reader hands pygls the header found at the end of such a line, so at most the frames the
  wrong length overlapped are lost. It also reads bodies in bounded chunks: a huge ``Content-Length`` no
  longer makes ``read(n)`` allocate ``n`` bytes up front (a MemoryError that killed the reader).
- :class:`UnreadableRequest`: a request whose params do not fit the method's type (``"range": "x"``) fails
  in pygls' JSON ``object_hook``, before the id is known, and was never answered: the client waited
  forever. The protocol now turns it into this value and answers ``InvalidParams``.
- :func:`parse_error_response`, :func:`invalid_request_response`: a frame that is not JSON, or JSON that is
  not a message object, is answered with JSON-RPC's ``ParseError`` / ``InvalidRequest`` instead of silence
  (or, for the latter, an internal error report).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, BinaryIO

from cattrs import ClassValidationError, transform_error

logger = logging.getLogger(__name__)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602
#: a header at the end of a line, possibly after the garbage a wrong Content-Length left before it
_TRAILING_HEADER = re.compile(rb"Content-Length: \d+\r\n\Z")
#: bodies are read this many bytes at a time, so memory follows the bytes that actually arrive
READ_CHUNK = 1 << 20


class ResyncingReader:
    """Wraps the server's stdin (``readline``/``read``) for pygls' stdio loop; see the module doc."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def readline(self) -> bytes:
        line = self._stream.readline()
        match = _TRAILING_HEADER.search(line)
        if match is not None and match.start() > 0:
            logger.warning("skipped %d bytes of a malformed frame before a header", match.start())
            return line[match.start() :]
        return line

    def read(self, size: int) -> bytes:
        chunks: list[bytes] = []
        left = size
        while left > 0:
            chunk = self._stream.read(min(left, READ_CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)


@dataclass(frozen=True)
class UnreadableRequest:
    """A request whose params could not be read as the method's LSP type; answered with InvalidParams."""

    id: int | str
    method: str
    reason: str
    jsonrpc: str = "2.0"

    @classmethod
    def from_failure(cls, data: dict[str, Any], error: BaseException) -> UnreadableRequest | None:
        """The request in ``data`` if it is one that can be answered (it has a method and a usable id)."""
        msg_id, method = data.get("id"), data.get("method")
        if not isinstance(method, str) or isinstance(msg_id, bool) or not isinstance(msg_id, int | str):
            return None
        cause = error.__cause__ or error
        if isinstance(cause, ClassValidationError):
            reason = "; ".join(transform_error(cause)[:4])  # e.g. "expected str @ $.params.text_document.uri"
        else:
            reason = str(cause).strip() or type(cause).__name__
        return cls(msg_id, method, f"invalid params for {method}: {reason[:300]}")

    def error_response(self) -> dict[str, Any]:
        return {"jsonrpc": "2.0", "id": self.id, "error": {"code": INVALID_PARAMS, "message": self.reason}}


def parse_error_response(error: BaseException) -> dict[str, Any]:
    """JSON-RPC's answer to a frame that is not JSON: ``ParseError`` with id null."""
    return {"jsonrpc": "2.0", "id": None, "error": {"code": PARSE_ERROR, "message": f"parse error: {error}"}}


def invalid_request_response(message: object) -> dict[str, Any]:
    """JSON-RPC's answer to JSON that is not a message object (id null unless one can be read)."""
    msg_id = message.get("id") if isinstance(message, dict) else None
    if isinstance(msg_id, bool) or not isinstance(msg_id, int | str):
        msg_id = None
    return {
        "jsonrpc": "2.0",
        "id": msg_id,
        "error": {"code": INVALID_REQUEST, "message": "not a JSON-RPC 2.0 message object"},
    }
