"""Fuzz ``unmask serve`` over the real wire (stdio), byte by byte.

A seeded generator throws malformed JSON-RPC, wrong framing, wrong parameter types, positions out of range or
inside surrogate pairs, CRLF and mixed line endings, a 20k-line document, rapid ``didChange`` during a
generation, cancellation storms and bursts of concurrent requests at one server process running the fake
backend. The client here is deliberately not pytest-lsp: it writes raw frames, so it can send what no LSP
library would. It behaves like an editor for ``workspace/applyEdit`` (versioned, all or nothing) and checks
every edit the server sends.

Invariants checked:
- every request gets exactly one answer, and never ``InternalError`` (an unhandled exception in the server);
- after every malformed frame the server still answers the next well-formed request (it is up and in sync);
- no edit is ever wrong: its version is one the client sent, it is not stale (see :class:`WireClient`), its
  ranges exist in that version's text, and applying it to text that parsed yields text that parses;
- the server's RSS after the run stays within a bound of its RSS after warm-up.

``UNMASK_FUZZ_SCALE=N`` multiplies the number of generated messages (docs/reliability.md reports a run).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from unmask.grammar.document import parse_document

SERVER_COMMAND = [sys.executable, "-m", "unmask.cli", "serve"]
FAKE = {"backend": "fake", "fakeText": "0", "fakeSteps": 6, "fakeStepDelay": 0.004}
SCALE = max(1, int(os.environ.get("UNMASK_FUZZ_SCALE", "1")))
SEED = int(os.environ.get("UNMASK_FUZZ_SEED", "20250611"))
#: glibc returns every freed block over 64 KiB to the system at once, so the server's RSS follows its live
#: memory instead of what the allocator keeps around after a peak (the default threshold adapts upwards)
SERVER_ENV = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536"}
#: generous bound on waiting for one answer (the machine is shared and busy): a hang, not a timing check
ANSWER_BOUND_S = 60.0

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
REQUEST_CANCELLED = -32800
CONTENT_MODIFIED = -32801
REQUEST_FAILED = -32803
#: answers a fuzzed request may get besides a result
EXPECTED_ERRORS = {INVALID_PARAMS, METHOD_NOT_FOUND, REQUEST_CANCELLED, CONTENT_MODIFIED, REQUEST_FAILED}

LINE_BREAK = re.compile(r"\r\n|\r|\n")


# -- an independent model of LSP text positions (the client's, not the server's) ----------------------------


@functools.lru_cache(maxsize=16)
def line_starts(text: str) -> list[int]:
    return [0, *(match.end() for match in LINE_BREAK.finditer(text))]


@functools.lru_cache(maxsize=16)
def astral_offsets(text: str) -> list[int]:
    return [match.start() for match in re.finditer("[\U00010000-\U0010ffff]", text)]


def offset_at(text: str, line: int, character: int) -> int | None:
    """The str offset of an LSP (UTF-16) position, or None when it does not exist (past the last line, or a
    column inside a surrogate pair). A column past the line's end means the end of the line."""
    starts = line_starts(text)
    if line == len(starts) and character == 0:
        return len(text)
    if not 0 <= line < len(starts) or character < 0:
        return None
    end = starts[line + 1] if line + 1 < len(starts) else len(text)
    content_end = end
    while content_end > starts[line] and text[content_end - 1] in "\r\n":
        content_end -= 1
    units = 0
    for offset in range(starts[line], content_end):
        if units == character:
            return offset
        units += 2 if ord(text[offset]) > 0xFFFF else 1
        if units > character:
            return None  # inside a surrogate pair
    return content_end


def apply_lsp_edits(text: str, edits: list[dict[str, Any]]) -> str | None:
    """Apply LSP text edits (all relative to ``text``); None if any range is invalid or they overlap."""
    spans: list[tuple[int, int, str]] = []
    for edit in edits:
        start = offset_at(text, edit["range"]["start"]["line"], edit["range"]["start"]["character"])
        end = offset_at(text, edit["range"]["end"]["line"], edit["range"]["end"]["character"])
        if start is None or end is None or end < start:
            return None
        spans.append((start, end, edit["newText"]))
    spans.sort()
    for (_, end, _), (start, _, _) in itertools.pairwise(spans):
        if start < end:
            return None
    for start, end, new_text in reversed(spans):
        text = text[:start] + new_text + text[end:]
    return text


def parses(text: str, language: str) -> bool:
    return not parse_document(text, language).tree.root_node.has_error


# -- the client --------------------------------------------------------------------------------------------


@dataclass
class Stats:
    messages: int = 0  # frames sent to the server, well-formed or not
    malformed: int = 0  # frames that were not valid JSON-RPC / LSP on purpose
    requests: int = 0
    answers: Counter[str] = field(default_factory=Counter)  # "result" or the error code
    edits_received: int = 0
    edits_applied: int = 0
    edits_refused_race: int = 0  # correctly versioned, but the client had moved on (in flight): refused
    wrong_edits: list[str] = field(default_factory=list)
    crashes: int = 0


@dataclass
class OpenDocument:
    uri: str
    language: str
    version: int
    text: str
    texts: dict[int, str]  # every version the client sent
    fence: int = 0  # the server has provably seen this version (it answered a request sent after it)


class WireClient:
    """A raw-bytes LSP client for one ``unmask serve`` process.

    Stale edits are detected without races: after each ``didChange`` the fuzzer may send a cheap request; the
    server handles messages in order, so once its answer arrives the server has seen that version (the
    document's ``fence``). An ``applyEdit`` for a version older than the fence, arriving after that answer,
    was sent by a server that knew better: a wrong edit. One newer than the fence but older than the
    client's version crossed a ``didChange`` in flight; the client refuses it, as the protocol intends.
    """

    def __init__(self, initialization_options: dict[str, Any], stderr_path: Path) -> None:
        self._stderr = stderr_path.open("wb")
        self.process = subprocess.Popen(
            SERVER_COMMAND, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, env=SERVER_ENV
        )
        self.stats = Stats()
        self.documents: dict[str, OpenDocument] = {}
        self.notifications: list[dict[str, Any]] = []
        self._answers: dict[Any, dict[str, Any]] = {}
        self._fences: dict[Any, tuple[str, int]] = {}
        self._lock = threading.Condition()
        self._write_lock = threading.Lock()
        self._next_id = 0
        self._reader = threading.Thread(target=self._read_loop, name="wire-reader", daemon=True)
        self._reader.start()
        self.initialize_result = self.call(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": None,
                "capabilities": {
                    "window": {"workDoneProgress": True},
                    "workspace": {
                        "applyEdit": True,
                        "configuration": True,
                        "workspaceEdit": {"documentChanges": True},
                    },
                    "textDocument": {
                        "inlineCompletion": {},
                        "codeAction": {"dataSupport": True, "resolveSupport": {"properties": ["edit"]}},
                    },
                },
                "initializationOptions": initialization_options,
            },
        )
        self.notify("initialized", {})

    # -- framing ---------------------------------------------------------------------------------------

    def send_bytes(self, frame: bytes) -> None:
        with self._write_lock:
            assert self.process.stdin is not None
            self.process.stdin.write(frame)
            self.process.stdin.flush()
        self.stats.messages += 1

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode("utf-8")
        self.send_bytes(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def _read_loop(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            assert length is not None, "the server sent a frame without Content-Length"
            self._dispatch(json.loads(stream.read(length)))

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "method" in message and "id" in message:
            result = self._serve_request(message["method"], message.get("params"))
            try:
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": result})
            except (OSError, ValueError):  # our end is closed (a test ended the input on purpose)
                pass
        elif "method" in message:
            with self._lock:
                self.notifications.append(message)
                self._lock.notify_all()
        else:
            with self._lock:
                fence = self._fences.pop(message.get("id"), None)
                if fence is not None and fence[0] in self.documents:
                    document = self.documents[fence[0]]
                    document.fence = max(document.fence, fence[1])
                self._answers[message.get("id")] = message
                self._lock.notify_all()

    def _serve_request(self, method: str, params: Any) -> Any:
        if method == "workspace/configuration":
            return [None for _ in params["items"]]
        if method == "workspace/applyEdit":
            return self._apply_edit(params["edit"])
        return None  # window/workDoneProgress/create

    def _apply_edit(self, edit: dict[str, Any]) -> dict[str, Any]:
        """Check and apply one WorkspaceEdit as an editor would: versioned, all or nothing."""
        with self._lock:
            self.stats.edits_received += 1
            changes = edit.get("documentChanges") or []
            if edit.get("changes") or not changes:
                self.stats.wrong_edits.append(f"unversioned edit: {edit}")
                return {"applied": False, "failureReason": "unversioned"}
            results: list[tuple[OpenDocument, str]] = []
            race = False
            for change in changes:
                uri, version = change["textDocument"]["uri"], change["textDocument"]["version"]
                document = self.documents.get(uri)
                if document is None:
                    race = True  # closed while the edit was in flight
                    continue
                base = document.texts.get(version)
                if base is None:
                    self.stats.wrong_edits.append(f"{uri}: edit for version {version} the client never sent")
                    return {"applied": False}
                if version < document.fence:
                    self.stats.wrong_edits.append(
                        f"{uri}: stale edit for version {version}; the server had seen {document.fence}"
                    )
                    return {"applied": False}
                new_text = apply_lsp_edits(base, change["edits"])
                if new_text is None:
                    self.stats.wrong_edits.append(f"{uri} v{version}: edit ranges invalid: {change['edits']}")
                    return {"applied": False}
                if (
                    document.language == "python"
                    and parses(base, "python")
                    and not parses(new_text, "python")
                ):
                    self.stats.wrong_edits.append(
                        f"{uri} v{version}: edit breaks the parse: {change['edits']}"
                    )
                    return {"applied": False}
                if version != document.version:
                    race = True
                results.append((document, new_text))
            if race:
                self.stats.edits_refused_race += 1
                return {"applied": False, "failureReason": "the document changed"}
            for document, new_text in results:
                self._change_locked(document, new_text)
            self.stats.edits_applied += 1
            return {"applied": True}

    # -- requests and notifications ----------------------------------------------------------------------

    def request(self, method: str, params: Any, *, fence_uri: str | None = None) -> int:
        with self._lock:
            self._next_id += 1
            msg_id = self._next_id
            if fence_uri is not None and fence_uri in self.documents:
                self._fences[msg_id] = (fence_uri, self.documents[fence_uri].version)
        self.stats.requests += 1
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return msg_id

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait(self, msg_id: Any, bound: float = ANSWER_BOUND_S) -> dict[str, Any]:
        """The answer to ``msg_id`` (a bound against a hang, not a timing assertion)."""
        deadline = time.monotonic() + bound
        with self._lock:
            while msg_id not in self._answers:
                if self.process.poll() is not None:
                    raise AssertionError(f"the server exited with {self.process.returncode}")
                if time.monotonic() >= deadline:
                    raise AssertionError(f"no answer to request {msg_id!r} within {bound}s")
                self._lock.wait(timeout=0.2)  # wakes on every message; checks the process meanwhile
            answer = self._answers.pop(msg_id)
        key = "result" if "error" not in answer else str(answer["error"]["code"])
        self.stats.answers[key] += 1
        return answer

    @property
    def answered(self) -> set[Any]:
        """Ids answered but not yet collected by :meth:`wait`."""
        with self._lock:
            return set(self._answers)

    def call(self, method: str, params: Any) -> Any:
        answer = self.wait(self.request(method, params))
        assert "error" not in answer, answer
        return answer["result"]

    def alive(self) -> None:
        """The server is up and still in sync: a well-formed request gets its own answer."""
        answer = self.wait(self.request("unmask/nonexistent", {}))
        assert answer["error"]["code"] == METHOD_NOT_FOUND, answer

    # -- documents -----------------------------------------------------------------------------------------

    def open(self, uri: str, text: str, language: str = "python") -> OpenDocument:
        with self._lock:
            document = OpenDocument(uri, language, 1, text, {1: text})
            self.documents[uri] = document
        self.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}},
        )
        return document

    def change(self, uri: str, text: str, *, partial: dict[str, Any] | None = None) -> None:
        """Send a change: the whole text, or ``partial`` (an LSP range + text) whose result is ``text``."""
        with self._lock:
            document = self.documents[uri]
            self._change_locked(document, text, partial)

    def _change_locked(
        self, document: OpenDocument, text: str, partial: dict[str, Any] | None = None
    ) -> None:
        document.version += 1
        document.text = text
        document.texts[document.version] = text
        change = partial if partial is not None else {"text": text}
        self.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": document.uri, "version": document.version}, "contentChanges": [change]},
        )

    def close(self, uri: str) -> None:
        with self._lock:
            self.documents.pop(uri, None)
        self.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]

    def stop(self) -> int | None:
        try:
            if self.process.poll() is None:
                self.wait(self.request("shutdown", None), 30)
                self.notify("exit", None)
                self.process.wait(30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self._stderr.close()
        return self.process.returncode


# -- generators --------------------------------------------------------------------------------------------

SNIPPETS = (
    "x",
    "0",
    "\r\n",
    "\n",
    "😀",
    "é",
    "___",
    "    pass\n",
    "\r",
    "",
    " + 1",
    "def g():\n    return 1\n",
)
BLOCKS = (
    "def f{i}(a, b):{nl}    total = a + b{nl}    return total{nl}",
    "s{i} = '😀 é 𝄞 {i}'{nl}",
    "class C{i}:{nl}    def m(self):{nl}        return ___{nl}",
    "items{i} = [{nl}    1,{nl}    2,{nl}]{nl}",
    "if x{i}:{nl}    y = 'a😀b' + str({i}){nl}else:{nl}    y = None{nl}",
    "{nl}",
)


def python_text(rng: random.Random, blocks: int, newlines: tuple[str, ...] = ("\n", "\r\n")) -> str:
    """Python source with astral characters, holes, and line endings drawn from ``newlines`` (mixed)."""
    return "".join(rng.choice(BLOCKS).format(i=i, nl=rng.choice(newlines)) for i in range(blocks))


def clean_offset(text: str, offset: int) -> int:
    """An offset LSP can name: not between the ``\\r`` and ``\\n`` of one line break."""
    if 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n":
        return offset - 1
    return offset


def position_at(text: str, offset: int) -> dict[str, int]:
    starts = line_starts(text)
    line = bisect.bisect_right(starts, offset) - 1
    column = sum(2 if ord(char) > 0xFFFF else 1 for char in text[starts[line] : offset])
    return {"line": line, "character": column}


def random_position(rng: random.Random, text: str) -> dict[str, int]:
    """Mostly real positions, some past the end, negative, or inside a surrogate pair."""
    roll = rng.random()
    lines = len(line_starts(text))
    if roll < 0.6:
        return position_at(text, clean_offset(text, rng.randint(0, len(text))))
    if roll < 0.75:
        astral = astral_offsets(text)
        if astral:
            inside = position_at(text, rng.choice(astral))
            return {"line": inside["line"], "character": inside["character"] + 1}
    if roll < 0.9:
        return {"line": rng.randint(0, lines + 3), "character": rng.randint(0, 200)}
    return {"line": rng.choice((-1, 0, 2**31 - 1, lines)), "character": rng.choice((-5, 0, 2**31 - 1))}


def random_range(rng: random.Random, text: str) -> dict[str, Any]:
    start, end = random_position(rng, text), random_position(rng, text)
    if rng.random() < 0.8 and (end["line"], end["character"]) < (start["line"], start["character"]):
        start, end = end, start
    return {"start": start, "end": end}


def partial_change(rng: random.Random, text: str) -> tuple[dict[str, Any], str]:
    """An incremental change (LSP range + text) and the document text it results in."""
    a = clean_offset(text, rng.randint(0, len(text)))
    b = clean_offset(text, min(len(text), a + rng.randint(0, 40)))
    a, b = min(a, b), max(a, b)
    new = "".join(rng.choice(SNIPPETS) for _ in range(rng.randint(0, 3)))
    change: dict[str, Any] = {"range": {"start": position_at(text, a), "end": position_at(text, b)}, "text": new}
    if rng.random() < 0.1:  # a column past the end of its line means the end of that line
        end_line = change["range"]["end"]["line"]
        starts = line_starts(text)
        line_end = starts[end_line + 1] if end_line + 1 < len(starts) else len(text)
        while line_end > starts[end_line] and text[line_end - 1] in "\r\n":
            line_end -= 1
        if b == line_end:
            change["range"]["end"]["character"] += 7
    return change, text[:a] + new + text[b:]


def random_request(rng: random.Random, client: WireClient, uri: str) -> tuple[str, Any]:
    """One request about ``uri``: a command, a code action, an inline completion; some arguments wrong."""
    document = client.documents[uri]
    text = document.text
    version = document.version if rng.random() < 0.85 else rng.choice((document.version - 1, 0, "1", None))
    kind = rng.choice(
        ("codeAction", "regenerate", "enclosing", "fillHoles", "reroll", "alternatives", "inline", "resolve")
    )
    if kind == "codeAction":
        return "textDocument/codeAction", {
            "textDocument": {"uri": uri},
            "range": random_range(rng, text),
            "context": {"diagnostics": [], **({"only": ["refactor"]} if rng.random() < 0.2 else {})},
        }
    if kind == "inline":
        return "textDocument/inlineCompletion", {
            "textDocument": {"uri": uri},
            "position": random_position(rng, text),
            "context": {"triggerKind": rng.choice((1, 2))},
        }
    if kind == "resolve":
        data: dict[str, Any] = {
            "uri": uri,
            "version": version,
            "action": rng.choice(("selection", "enclosing", "holes", "bogus")),
        }
        data.update(
            range=random_range(rng, text), position=random_position(rng, text), level=rng.randint(-1, 9)
        )
        if rng.random() < 0.2:
            broken: list[dict[str, Any]] = [{}, {"uri": 5}, {"uri": uri, "version": version}]
            data = rng.choice(broken)
        return "codeAction/resolve", {
            "title": "Regenerate selection",
            "kind": "refactor.rewrite",
            "data": data,
        }
    arguments: dict[str, Any] = {"uri": uri, "version": version}
    command = {
        "regenerate": "unmask.regenerate",
        "enclosing": "unmask.regenerateEnclosing",
        "fillHoles": "unmask.fillHoles",
        "reroll": "unmask.reroll",
        "alternatives": "unmask.alternatives",
    }[kind]
    if kind in ("regenerate", "alternatives"):
        arguments["range"] = random_range(rng, text)
    if kind == "regenerate":
        arguments["snap"] = rng.random() < 0.5
    if kind == "alternatives":
        arguments["count"] = rng.choice((1, 2, 3, 0, 17))
    if kind == "enclosing":
        arguments.update(position=random_position(rng, text), level=rng.choice((0, 1, 2, 5, 50, -1)))
    if version is None:
        del arguments["version"]
    return "workspace/executeCommand", {"command": command, "arguments": [arguments]}


def valid_regenerate(rng: random.Random, client: WireClient, uri: str) -> tuple[str, Any]:
    document = client.documents[uri]
    a = clean_offset(document.text, rng.randint(0, len(document.text)))
    b = clean_offset(document.text, min(len(document.text), a + rng.randint(1, 30)))
    range_ = {"start": position_at(document.text, a), "end": position_at(document.text, b)}
    arguments = {"uri": uri, "version": document.version, "range": range_, "snap": rng.random() < 0.5}
    return "workspace/executeCommand", {"command": "unmask.regenerate", "arguments": [arguments]}


def malformed_frames(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    """(kind, frame) pairs: frames no well-behaved client sends."""

    def frame(body: bytes) -> bytes:
        return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)

    valid = json.dumps({"jsonrpc": "2.0", "id": "fuzz", "method": "unmask/fuzz", "params": {}}).encode()
    while True:
        kind = rng.choice(
            (
                "not-json",
                "truncated-json",
                "bad-utf8",
                "not-an-object",
                "no-jsonrpc",
                "extra-header",
                "short-length",
                "long-length",
                "garbage-line",
            )
        )
        if kind == "not-json":
            body = bytes(rng.randrange(32, 127) for _ in range(rng.randint(1, 60)))
            yield kind, frame(body.replace(b"\r", b"").replace(b"\n", b"") or b"x")
        elif kind == "truncated-json":
            yield kind, frame(valid[: rng.randint(1, len(valid) - 1)])
        elif kind == "bad-utf8":
            yield kind, frame(b'{"jsonrpc": "2.0", "method": "\xff\xfe"}')
        elif kind == "not-an-object":
            yield kind, frame(rng.choice((b"[]", b"[1, 2]", b"3", b'"text"', b"null", b"true")))
        elif kind == "no-jsonrpc":
            yield kind, frame(json.dumps({"id": rng.randint(10**6, 10**7), "method": "initialize"}).encode())
        elif kind == "extra-header":
            body = json.dumps({"jsonrpc": "2.0", "method": "unmask/fuzz"}).encode()
            yield kind, b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n" + frame(body)
        elif kind == "short-length":
            cut = rng.randint(1, len(valid) - 1)
            yield kind, b"Content-Length: %d\r\n\r\n%s" % (len(valid) - cut, valid)
        elif kind == "long-length":
            yield kind, b"Content-Length: %d\r\n\r\n%s" % (len(valid) + rng.randint(1, 200), valid)
        else:
            yield kind, bytes(rng.randrange(33, 127) for _ in range(rng.randint(1, 80))) + b"\r\n"


# -- the session -------------------------------------------------------------------------------------------


@dataclass
class Session:
    client: WireClient
    rng: random.Random
    baseline_rss_kib: int
    rss_mib: tuple[float, ...] = ()

    def answer_ok(self, answer: dict[str, Any], context: str) -> None:
        """A fuzzed request's answer: a result or an expected error, never an internal error."""
        error = answer.get("error")
        if error is not None:
            assert error["code"] in EXPECTED_ERRORS, f"{context}: {error}"
            assert error.get("message"), f"{context}: an error without a reason"

    def fence(self, uri: str) -> int:
        """A cheap request after changes: once answered, the server has provably seen the current version."""
        params = {
            "textDocument": {"uri": uri},
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
            "context": {"diagnostics": []},
        }
        return self.client.request("textDocument/codeAction", params, fence_uri=uri)


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    log = tmp_path_factory.mktemp("fuzz") / "server.stderr"
    client = WireClient(FAKE, log)
    session = Session(client, random.Random(SEED), 0)
    try:
        # Warm up: the engine loaded, every feature exercised once, before the memory baseline.
        client.open("file:///fuzz/warm.py", "def f(a, b):\n    return a + b\n")
        body = {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 16}}
        for _ in range(3):
            arguments = {
                "uri": "file:///fuzz/warm.py",
                "version": client.documents["file:///fuzz/warm.py"].version,
                "range": body,
            }
            client.wait(
                client.request(
                    "workspace/executeCommand", {"command": "unmask.alternatives", "arguments": [arguments]}
                )
            )
        client.close("file:///fuzz/warm.py")
        client.alive()
        session.baseline_rss_kib = client.rss_kib()
        yield session
    finally:
        stats = client.stats
        code = client.stop()
        summary = {
            "seed": SEED,
            "scale": SCALE,
            "messages": stats.messages,
            "malformed": stats.malformed,
            "requests": stats.requests,
            "answers": dict(stats.answers),
            "edits_received": stats.edits_received,
            "edits_applied": stats.edits_applied,
            "edits_refused_in_flight": stats.edits_refused_race,
            "wrong_edits": len(stats.wrong_edits),
            "crashes": stats.crashes,
            "exit_code": code,
            "rss_mib": [round(value) for value in session.rss_mib],
        }
        print("fuzz summary:", json.dumps(summary))
        if report := os.environ.get("UNMASK_FUZZ_REPORT"):
            Path(report).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


# -- the tests ---------------------------------------------------------------------------------------------


def test_malformed_frames_are_answered_and_the_server_stays_in_sync(fuzz: Session) -> None:
    client, rng = fuzz.client, fuzz.rng
    kinds: Counter[str] = Counter()
    for (kind, frame), _ in zip(malformed_frames(rng), range(200 * SCALE), strict=False):
        kinds[kind] += 1
        client.stats.malformed += 1
        client.send_bytes(frame)
        if kind == "long-length":  # the server waits for the missing bytes: give it some to swallow
            client.notify("unmask/fuzzPadding", {"padding": "x" * 220})
        client.alive()
    # Requests a typed client would never send: unknown methods, wrong parameter types.
    cases: list[tuple[str, Any, int]] = [
        ("unmask/unknown", {}, METHOD_NOT_FOUND),
        ("textDocument/codeAction", {"textDocument": 5, "range": "x", "context": {}}, INVALID_PARAMS),
        ("textDocument/inlineCompletion", {"textDocument": {"uri": 1}, "position": [0, 0]}, INVALID_PARAMS),
        ("workspace/executeCommand", {"command": 5, "arguments": "x"}, INVALID_PARAMS),
        (
            "workspace/executeCommand",
            {"command": "unmask.regenerate", "arguments": [{"uri": []}]},
            INVALID_PARAMS,
        ),
        ("codeAction/resolve", {"title": None}, INVALID_PARAMS),
        ("codeAction/resolve", {"title": "x", "data": [1]}, INVALID_PARAMS),
    ]
    for _ in range(5 * SCALE):
        for method, params, code in cases:
            client.stats.malformed += 1
            answer = client.wait(client.request(method, params))
            assert answer.get("error", {}).get("code") == code, (method, params, answer)
            assert answer["error"]["message"]
    # Notifications with wrong types and cancellations of ids nobody sent: ignored, the server goes on.
    for params in ({"textDocument": 3}, {"textDocument": {"uri": "file:///nowhere.py", "version": "x"}}):
        client.notify("textDocument/didChange", params)
    for msg_id in (10**9, "nope", None, 1.5, [1]):
        client.notify("$/cancelRequest", {"id": msg_id})
    client.alive()
    assert len(kinds) >= 8, kinds


def test_frames_that_are_not_json_rpc_get_json_rpc_errors(fuzz: Session) -> None:
    client = fuzz.client
    for body, code in ((b"{bad", PARSE_ERROR), (b"\xff\xfe", PARSE_ERROR), (b"[1, 2]", INVALID_REQUEST)):
        with client._lock:
            client._answers.pop(None, None)
        client.send_bytes(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        assert client.wait(None)["error"]["code"] == code
    client.alive()


def test_an_absurd_content_length_does_not_kill_the_server(tmp_path: Path) -> None:
    """Reading a 10^14-byte body used to allocate it up front: MemoryError in the reader, the server died.
    Now the body is read as it arrives; at end of input the partial frame is answered as a parse error."""
    client = WireClient(FAKE, tmp_path / "server.stderr")
    client.send_bytes(b"Content-Length: 100000000000000\r\n\r\n{")
    assert client.process.stdin is not None
    client.process.stdin.close()  # end of input: the server reads what came, answers, and exits normally
    assert client.wait(None)["error"]["code"] == PARSE_ERROR
    assert client.process.wait(60) == 0
    assert "MemoryError" not in (tmp_path / "server.stderr").read_text()


def test_random_requests_on_crlf_mixed_and_astral_documents(fuzz: Session) -> None:
    client, rng = fuzz.client, fuzz.rng
    newline_sets = (("\n",), ("\r\n",), ("\n", "\r\n"), ("\n", "\r\n", "\r"))
    uris = [f"file:///fuzz/doc{i}.py" for i in range(4)]
    for uri, newlines in zip(uris, newline_sets, strict=True):
        client.open(uri, python_text(rng, rng.randint(3, 12), newlines))
    client.open("file:///fuzz/notes.txt", "plain 😀 text\r\nwith ___ holes\n", language="plaintext")
    uris.append("file:///fuzz/notes.txt")
    for _ in range(400 * SCALE):
        uri = rng.choice(uris)
        if rng.random() < 0.3:
            change, new_text = partial_change(rng, client.documents[uri].text)
            client.change(uri, new_text, partial=change)
            continue
        if rng.random() < 0.25:  # a well-formed edit, so many edits get checked
            method, params = valid_regenerate(rng, client, uri)
        else:
            method, params = random_request(rng, client, uri)
        fuzz.answer_ok(client.wait(client.request(method, params)), f"{method} {params}")
    for uri in uris:
        client.close(uri)
    assert not client.stats.wrong_edits, client.stats.wrong_edits[:5]
    assert client.stats.edits_applied > 0  # the run did edit documents (and checked each edit)


def test_rapid_changes_during_generations_never_get_a_stale_edit(fuzz: Session) -> None:
    client, rng = fuzz.client, fuzz.rng
    uri = "file:///fuzz/busy.py"
    client.open(uri, python_text(rng, 8, ("\n", "\r\n")))
    outcomes: Counter[str] = Counter()
    for _ in range(60 * SCALE):
        document = client.documents[uri]
        version = document.version
        steps_seen = len(client.notifications)
        pending = client.request(
            "workspace/executeCommand",
            {
                "command": "unmask.fillHoles" if "___" in document.text else "unmask.regenerate",
                "arguments": [
                    {
                        "uri": uri,
                        "version": version,
                        "range": {
                            "start": position_at(document.text, 0),
                            "end": position_at(document.text, len(document.text)),
                        },
                    }
                ],
            },
        )
        if rng.random() < 0.7:  # type while it runs: wait for a denoising step first, sometimes
            if rng.random() < 0.5:
                deadline = time.monotonic() + ANSWER_BOUND_S
                while (
                    time.monotonic() < deadline
                    and pending not in client.answered
                    and not any(
                        n["method"] == "unmask/step" and n["params"]["version"] == version
                        for n in client.notifications[steps_seen:]
                    )
                ):
                    time.sleep(0.001)
            for _ in range(rng.randint(1, 4)):
                change, new_text = partial_change(rng, client.documents[uri].text)
                client.change(uri, new_text, partial=change)
            fuzz.answer_ok(client.wait(fuzz.fence(uri)), "fence")
        answer = client.wait(pending)
        fuzz.answer_ok(answer, "generation during changes")
        result = answer.get("result") or {}
        outcomes["applied" if result.get("applied") else answer.get("error", {}).get("code", "refused")] += 1
    client.close(uri)
    assert not client.stats.wrong_edits, client.stats.wrong_edits[:5]
    assert outcomes["applied"] and sum(outcomes.values()) > outcomes["applied"], outcomes


def test_cancellation_storms_and_concurrent_bursts_are_all_answered(fuzz: Session) -> None:
    client, rng = fuzz.client, fuzz.rng
    uris = [f"file:///fuzz/burst{i}.py" for i in range(8)]
    for uri in uris:
        client.open(uri, python_text(rng, 6))
    for _ in range(4 * SCALE):
        pending = [client.request(*random_request(rng, client, rng.choice(uris))) for _ in range(60)]
        for msg_id in pending:
            if rng.random() < 0.7:
                client.notify("$/cancelRequest", {"id": msg_id})
        for _ in range(20):  # storms include ids that are unknown or already answered
            client.notify("$/cancelRequest", {"id": rng.choice((rng.randint(1, pending[-1] + 100), "x"))})
        tokens = {n["params"]["token"] for n in client.notifications if n["method"] == "$/progress"}
        for token in rng.sample(sorted(tokens, key=str), min(10, len(tokens))):
            client.notify("window/workDoneProgress/cancel", {"token": token})
        for msg_id in pending:
            fuzz.answer_ok(client.wait(msg_id), "burst")
    for uri in uris:
        client.close(uri)
    client.alive()
    # Every job ended: the status settles back on "ready", not stuck on "busy".
    deadline = time.monotonic() + ANSWER_BOUND_S
    while time.monotonic() < deadline:
        statuses = [n["params"]["state"] for n in client.notifications if n["method"] == "unmask/status"]
        if statuses[-1] == "ready":
            break
        time.sleep(0.01)
    assert statuses[-1] == "ready", statuses[-5:]
    assert client.stats.answers[str(REQUEST_CANCELLED)] > 0
    assert not client.stats.wrong_edits, client.stats.wrong_edits[:5]


def edit_a_large_document(fuzz: Session, uri: str, rounds: int) -> None:
    client, rng = fuzz.client, fuzz.rng
    text = python_text(rng, 8000, ("\n", "\r\n"))
    assert len(line_starts(text)) > 20000
    client.open(uri, text)
    for _ in range(rounds):
        change, new_text = partial_change(rng, client.documents[uri].text)
        client.change(uri, new_text, partial=change)
        if rng.random() < 0.3:
            method, params = valid_regenerate(rng, client, uri)
        else:
            method, params = random_request(rng, client, uri)
        if method == "textDocument/inlineCompletion" or rng.random() < 0.7:
            fuzz.answer_ok(client.wait(client.request(method, params)), f"{method} on the large document")
        else:
            fuzz.answer_ok(client.wait(fuzz.fence(uri)), "fence")
    client.close(uri)


def test_a_20k_line_document_with_incremental_edits(fuzz: Session) -> None:
    edit_a_large_document(fuzz, "file:///fuzz/huge.py", 30 * SCALE)
    assert not fuzz.client.stats.wrong_edits, fuzz.client.stats.wrong_edits[:5]


def test_incremental_changes_keep_the_server_text_equal_to_the_editors(tmp_path: Path) -> None:
    """With ``fakeText`` null the fake engine proposes the server's own text of a range: ``alternatives``
    then shows what the server holds there, which must be what the editor holds after any change sequence
    (up to line breaks and indentation, which unmask.editing.place_fill rewrites)."""
    client = WireClient({**FAKE, "fakeText": None}, tmp_path / "server.stderr")
    rng = random.Random(SEED + 1)
    try:
        uris = [f"file:///sync/doc{i}.py" for i in range(3)]
        for uri, newlines in zip(uris, (("\r\n",), ("\n", "\r\n"), ("\n", "\r\n", "\r")), strict=True):
            client.open(uri, python_text(rng, 6, newlines))
        probes = 0
        for step in range(150 * SCALE):
            uri = rng.choice(uris)
            change, new_text = partial_change(rng, client.documents[uri].text)
            client.change(uri, new_text, partial=change)
            if step % 3:
                continue
            text = client.documents[uri].text
            a = clean_offset(text, rng.randint(0, len(text)))
            b = clean_offset(text, min(len(text), a + rng.randint(0, 40)))
            range_ = {"start": position_at(text, a), "end": position_at(text, b)}
            arguments = {"uri": uri, "version": client.documents[uri].version, "range": range_, "count": 1}
            answer = client.wait(
                client.request(
                    "workspace/executeCommand", {"command": "unmask.alternatives", "arguments": [arguments]}
                )
            )
            if "error" in answer:
                assert answer["error"]["code"] == INVALID_PARAMS, answer  # e.g. no node to snap to
                continue
            for alternative in answer["result"]["alternatives"]:
                (edit,) = alternative["edit"]["documentChanges"][0]["edits"]
                start = offset_at(text, edit["range"]["start"]["line"], edit["range"]["start"]["character"])
                end = offset_at(text, edit["range"]["end"]["line"], edit["range"]["end"]["character"])
                assert start is not None and end is not None
                if start == end:
                    continue  # an empty hole: the fake engine proposes "pass", not the server's text
                # Fills are re-indented and written in the file's majority line break: compare the content.
                server_text, editor_text = (
                    [line.strip() for line in LINE_BREAK.split(t)]
                    for t in (alternative["text"], text[start:end])
                )
                assert server_text == editor_text, (uri, edit["range"], server_text, editor_text)
                probes += 1
        assert probes > 10
    finally:
        assert client.stop() == 0


def test_a_fill_that_reproduces_the_original_changes_nothing() -> None:
    from unmask.editing import apply_edits, edits_for, plan_range

    text = 'def f():\n    s = """\nline one\n  line two\n"""\n    return s\n'
    plan = plan_range(text, "python", text.index("s ="), text.index('"""\n    return') + 3)
    originals = [hole.original for hole in plan.request.holes if hole.original is not None]
    assert len(originals) == len(plan.request.holes)
    assert apply_edits(text, edits_for(plan, originals)) == text


def test_memory_stays_bounded_and_the_server_never_crashed(fuzz: Session) -> None:
    client = fuzz.client
    client.alive()
    samples = [client.rss_kib() / 1024]
    # The large-document work again, twice: a leak grows with it; caches and free lists do not.
    for again in range(2):
        edit_a_large_document(fuzz, f"file:///fuzz/huge-again{again}.py", 30 * SCALE)
        client.alive()
        samples.append(client.rss_kib() / 1024)
    fuzz.rss_mib = (fuzz.baseline_rss_kib / 1024, *samples)
    print("server RSS (MiB): warm-up, after the run, after each repeat:", [round(v) for v in fuzz.rss_mib])
    # Every document was closed: what stays is caches (parse trees of the last 8 texts, 20k lines each; a
    # 20k-line version is ~3 MB of text, astral characters making it UCS-4) and allocator slack.
    assert max(samples) - fuzz.baseline_rss_kib / 1024 < 250, fuzz.rss_mib
    assert samples[-1] <= max(samples[:-1]) + 40, fuzz.rss_mib
    assert client.process.poll() is None
    assert not client.stats.wrong_edits, client.stats.wrong_edits[:5]
    assert str(INTERNAL_ERROR) not in client.stats.answers
