"""The remote adapter against a small OpenAI-compatible / llama.cpp server started by the test on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from unmask.model.api import (
    Cancelled,
    FillRequest,
    FillResult,
    HoleSpec,
    ModelError,
    Step,
    load_engine,
    run_fill,
)
from unmask.model.backends.remote import parse_endpoint

PREFIX = "def add(a, b):\n    "
SUFFIX = "\n\nprint(add(1, 2))\n"


@dataclass
class Inference:
    """What the fake inference server received, and how it answers."""

    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    status: int = 200
    pieces: tuple[str, ...] = ("return", " a", " +", " b")


def answer_text(payload: dict[str, Any], pieces: tuple[str, ...]) -> list[str]:
    """Deterministic: the pieces, tagged by seed after the first candidate so candidates differ."""
    seed = int(payload.get("seed", 0))
    return list(pieces) if seed % 10 == 0 else [*pieces, f"  # {seed % 10}"]


def make_handler(state: Inference) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send_json(self, body: Any, status: int = 200) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            state.requests.append((self.path, {}))
            if self.path == "/v1/models":
                self._send_json({"object": "list", "data": [{"id": "tiny-coder"}]})
            elif self.path == "/health":
                self._send_json({"status": "ok"})
            else:
                self._send_json({"error": "not found"}, 404)

        def do_POST(self) -> None:
            payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append((self.path, payload))
            if state.status != 200:
                self._send_json({"error": "model is loading"}, state.status)
                return
            pieces = answer_text(payload, state.pieces)
            if self.path == "/v1/completions":
                events: list[dict[str, object]] = [
                    {"choices": [{"index": 0, "text": p, "logprobs": {"token_logprobs": [-0.5]}}]}
                    for p in pieces
                ]
                whole: dict[str, object] = {
                    "choices": [
                        {
                            "index": 0,
                            "text": "".join(pieces),
                            "logprobs": {"token_logprobs": [-0.5] * len(pieces)},
                        }
                    ]
                }
            elif self.path == "/infill":
                events = [{"content": p, "stop": False} for p in pieces] + [{"content": "", "stop": True}]
                whole = {"content": "".join(pieces), "stop": True}
            else:
                self._send_json({"error": "not found"}, 404)
                return
            if not payload.get("stream"):
                self._send_json(whole)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for event in events:
                self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                self.wfile.flush()
            if self.path == "/v1/completions":
                self.wfile.write(b"data: [DONE]\n\n")

    return Handler


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that cancels closes the stream early: a broken pipe here is expected


@pytest.fixture
def server() -> Iterator[tuple[str, Inference]]:
    state = Inference()
    httpd = QuietServer(("127.0.0.1", 0), make_handler(state))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize("stream", [True, False])
def test_openai_completions_with_suffix(server: tuple[str, Inference], stream: bool) -> None:
    url, state = server
    engine = load_engine(f"{url}/v1", stream=stream)  # auto: an http URL is the remote backend
    request = FillRequest.single(PREFIX, SUFFIX, HoleSpec(max_tokens=20), temperature=0.2, seed=0)
    items = list(engine.iter_fill(request))
    assert all(isinstance(item, Step) for item in items[:-1]) and len(items) >= 2
    result = items[-1]
    assert isinstance(result, FillResult) and result.best.text == "return a + b"
    assert result.best.score == pytest.approx(-0.5)
    path, payload = state.requests[-1]
    assert path == "/v1/completions"
    assert payload == {
        "model": "tiny-coder",
        "prompt": PREFIX,
        "suffix": SUFFIX,
        "max_tokens": 20,
        "temperature": 0.2,
        "top_p": 1.0,
        "seed": 0,
        "stream": stream,
    }
    assert state.requests[0][0] == "/v1/models"  # the model name came from the server


def test_streamed_steps_show_the_text_growing(server: tuple[str, Inference]) -> None:
    url, _ = server
    engine = load_engine(f"{url}/v1", model="named", backend="remote")
    steps = [
        item.fills[0]
        for item in engine.iter_fill(FillRequest.single(PREFIX, SUFFIX))
        if isinstance(item, Step)
    ]
    assert steps == ["return", "return a", "return a +", "return a + b"]


def test_append_sends_no_suffix_and_the_stop_rule_cuts(server: tuple[str, Inference]) -> None:
    url, state = server
    engine = load_engine(f"{url}/v1", model="tiny-coder")
    result = run_fill(
        engine, FillRequest.single(PREFIX, "\n"), stop=lambda text: text.find(" +") if " +" in text else None
    )
    assert result.best.text == "return a"
    assert "suffix" not in state.requests[-1][1]


def test_llamacpp_infill(server: tuple[str, Inference]) -> None:
    url, state = server
    engine = load_engine(f"llamacpp+{url}", backend="remote")
    result = run_fill(engine, FillRequest.single(PREFIX, SUFFIX, HoleSpec(max_tokens=16), seed=10))
    assert result.best.text == "return a + b"
    assert state.requests[0][0] == "/health"
    path, payload = state.requests[-1]
    assert path == "/infill"
    assert (
        payload["input_prefix"] == PREFIX and payload["input_suffix"] == SUFFIX and payload["n_predict"] == 16
    )


def test_candidates_are_distinct_requests_with_successive_seeds(server: tuple[str, Inference]) -> None:
    url, state = server
    engine = load_engine(f"llamacpp+{url}", backend="remote", stream=False)
    result = run_fill(engine, FillRequest.single(PREFIX, SUFFIX, candidates=3, seed=20))
    assert [c.text for c in result.candidates] == ["return a + b", "return a + b  # 1", "return a + b  # 2"]
    seeds = [payload["seed"] for path, payload in state.requests if path == "/infill"]
    temperatures = [payload["temperature"] for path, payload in state.requests if path == "/infill"]
    assert seeds == [20, 21, 22] and temperatures == [0.0, 0.7, 0.7]


def test_cancellation_between_chunks(server: tuple[str, Inference]) -> None:
    url, _ = server
    engine = load_engine(f"{url}/v1")
    seen: list[Step] = []
    with pytest.raises(Cancelled):
        run_fill(
            engine, FillRequest.single(PREFIX, SUFFIX), on_step=seen.append, cancelled=lambda: len(seen) >= 2
        )
    assert len(seen) == 2


def test_http_errors_are_model_errors(server: tuple[str, Inference]) -> None:
    url, state = server
    engine = load_engine(f"{url}/v1")
    state.status = 503
    with pytest.raises(ModelError, match="HTTP 503"):
        run_fill(engine, FillRequest.single(PREFIX, SUFFIX))


def test_unreachable_server_is_a_model_error() -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ModelError, match="cannot reach"):
        load_engine(f"http://127.0.0.1:{port}/v1", timeout=5)
    engine = load_engine(f"llamacpp+http://127.0.0.1:{port}", backend="remote", check=False)
    with pytest.raises(ModelError, match="cannot reach"):
        run_fill(engine, FillRequest.single(PREFIX, SUFFIX))


def test_several_holes_are_refused(server: tuple[str, Inference]) -> None:
    url, _ = server
    engine = load_engine(f"{url}/v1")
    with pytest.raises(ModelError, match="one hole at a time"):
        run_fill(engine, FillRequest(segments=("a", "b", "c"), holes=(HoleSpec(), HoleSpec())))


def test_endpoints_from_urls() -> None:
    assert parse_endpoint("http://h:8000/v1").generate_url == "http://h:8000/v1/completions"
    assert parse_endpoint("http://h:8000/").generate_url == "http://h:8000/v1/completions"
    assert parse_endpoint("llamacpp+http://h:8080").generate_url == "http://h:8080/infill"
    with pytest.raises(ModelError, match="not a server URL"):
        parse_endpoint("ftp://h/x")
    with pytest.raises(ModelError, match="server URL"):
        load_engine(None, backend="remote")
