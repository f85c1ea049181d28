"""Where domain errors become LSP errors. Handlers wrap their work in :func:`lsp_errors`.

Bad input (unknown document, bad position or range, no grammar, no holes) -> ``InvalidParams`` (-32602) with
the reason; a model that is missing or failed -> ``RequestFailed`` (-32803) plus one ``window/showMessage``
saying what to do. Cancellation is not an error here: pygls answers ``RequestCancelled`` (-32800) itself.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from unmask.grammar.errors import GrammarError
from unmask.model.api import ModelError
from unmask.server.convert import BadPosition
from unmask.server.documents import UnknownDocument
from unmask.server.model_host import ModelUnavailable

if TYPE_CHECKING:
    from unmask.server.app import UnmaskServer

logger = logging.getLogger(__name__)

#: LSP 3.17 ``RequestFailed``: the request was valid but could not be carried out.
REQUEST_FAILED = -32803
#: LSP ``ContentModified``: the document changed while the request ran.
CONTENT_MODIFIED = -32801

MODEL_HINT = "run `unmask doctor`, or set unmask.modelPath / unmask.backend"


class LanguageDisabled(Exception):
    """The document's languageId is not in the ``languages`` setting."""


def request_failed(message: str) -> JsonRpcException:
    return JsonRpcException(message=message, code=REQUEST_FAILED)


@contextlib.contextmanager
def lsp_errors(ls: UnmaskServer) -> Iterator[None]:
    """Turn the domain's exceptions into the LSP errors above; anything else stays an internal error."""
    try:
        yield
    except (UnknownDocument, BadPosition, GrammarError, LanguageDisabled) as exc:
        logger.info("rejected: %s", exc)
        raise JsonRpcInvalidParams(message=str(exc)) from exc
    except ModelUnavailable as exc:
        ls.show_once(str(exc), f"unmask: {exc}; {MODEL_HINT}", types.MessageType.Error)
        raise request_failed(f"{exc}; {MODEL_HINT}") from exc
    except ModelError as exc:
        logger.error("generation failed: %s", exc)
        ls.show_once(str(exc), f"unmask: generation failed: {exc}", types.MessageType.Error)
        raise request_failed(f"generation failed: {exc}") from exc
