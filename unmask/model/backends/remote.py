"""Remote inference servers: OpenAI-compatible completions with ``suffix`` (vLLM, SGLang) and llama.cpp ``/infill``.

The model path is the server's URL; unmask talks to that URL only, with the standard library (``urllib``):

* ``http://host:8000/v1`` (or ``openai+http://…``): ``POST {base}/v1/completions`` with
  ``{model, prompt, suffix, max_tokens, temperature, top_p, seed, stream}``; the model name is the ``model``
  option or the first entry of ``GET {base}/v1/models``.
* ``llamacpp+http://host:8080``: ``POST {base}/infill`` with ``{input_prefix, input_suffix, n_predict,
  temperature, top_p, seed, stream}``; ``GET {base}/health`` checks the server at load.

Appends send an empty suffix (continuation). Streaming (server-sent events) is on by default, so editors see
the text grow and a cancellation closes the connection between chunks. Every network failure becomes a
:class:`ModelError` naming the URL. One hole per request; candidates are separate requests with seeds
``seed, seed+1, …`` (temperature at least 0.7 after the first), deduplicated.
"""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.request
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from unmask.model.api import (
    Candidate,
    FillRequest,
    FillResult,
    ModelError,
    Step,
    StopRule,
    Validator,
)

#: Characters of prefix/suffix sent; the server crops to its own window in tokens.
MAX_PREFIX_CHARS = 24_000
MAX_SUFFIX_CHARS = 8_000


@dataclass(frozen=True)
class Endpoint:
    kind: str  # "openai" | "llamacpp"
    base: str  # scheme://host[:port][/path] without a trailing slash or /v1

    @property
    def generate_url(self) -> str:
        return f"{self.base}/v1/completions" if self.kind == "openai" else f"{self.base}/infill"

    @property
    def check_url(self) -> str:
        return f"{self.base}/v1/models" if self.kind == "openai" else f"{self.base}/health"


def parse_endpoint(path: str) -> Endpoint:
    kind = "openai"
    url = path.strip()
    for prefix, name in (("llamacpp+", "llamacpp"), ("openai+", "openai")):
        if url.startswith(prefix):
            kind, url = name, url[len(prefix) :]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ModelError(
            f"{path!r} is not a server URL; use http://host:port/v1 or llamacpp+http://host:port"
        )
    base = url.rstrip("/")
    if kind == "openai" and base.endswith("/v1"):
        base = base[: -len("/v1")]
    return Endpoint(kind, base)


class RemoteEngine:
    name: str

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        model: str | None,
        timeout: float,
        stream: bool,
        api_key: str | None,
    ) -> None:
        self.endpoint = endpoint
        self.model = model
        self.timeout = timeout
        self.stream = stream
        self.api_key = api_key
        self.name = f"remote:{urlsplit(endpoint.base).netloc}"

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "backend": "remote",
            "parameters": None,  # unknown: the server does not say
            "device": "remote",
            "context_tokens": None,
            "url": self.endpoint.generate_url,
            "protocol": self.endpoint.kind,
            "model": self.model,
        }

    # -- HTTP ---------------------------------------------------------------------------------------------

    def _open(self, url: str, payload: dict[str, Any] | None) -> Any:
        headers = {"Accept": "text/event-stream" if payload and payload.get("stream") else "application/json"}
        data = None
        if payload is not None:
            data = json.dumps(payload).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            body = exc.read().decode("utf-8", "replace")[:300]
            raise ModelError(f"{url}: the server answered HTTP {exc.code}: {body}") from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ModelError(f"cannot reach {url} ({reason}); is the inference server running?") from exc

    def _json(self, url: str, payload: dict[str, Any] | None) -> Any:
        with self._open(url, payload) as response:
            try:
                return json.loads(response.read().decode("utf-8"))
            except (ValueError, OSError) as exc:
                raise ModelError(f"{url}: the answer is not JSON ({exc})") from exc

    def check(self) -> None:
        """Reach the server once; learn the model name from ``/v1/models`` when it was not given."""
        answer = self._json(self.endpoint.check_url, None)
        if self.endpoint.kind == "openai" and self.model is None:
            try:
                self.model = str(answer["data"][0]["id"])
            except (KeyError, IndexError, TypeError) as exc:
                raise ModelError(f"{self.endpoint.check_url}: lists no model; set the model option") from exc

    # -- one completion -------------------------------------------------------------------------------------

    def _payload(
        self, prefix: str, suffix: str, max_tokens: int, temperature: float, top_p: float, seed: int
    ) -> dict[str, Any]:
        if self.endpoint.kind == "openai":
            payload: dict[str, Any] = {
                "model": self.model,
                "prompt": prefix,
                "max_tokens": max_tokens,
                "temperature": temperature,
                "top_p": top_p,
                "seed": seed,
                "stream": self.stream,
            }
            if suffix:
                payload["suffix"] = suffix
            return payload
        return {
            "input_prefix": prefix,
            "input_suffix": suffix,
            "n_predict": max_tokens,
            "temperature": temperature,
            "top_p": top_p,
            "seed": seed,
            "stream": self.stream,
            "cache_prompt": True,
        }

    def _pieces(self, payload: dict[str, Any]) -> Iterator[tuple[str, list[float]]]:
        """Text pieces (and any token log-probabilities) as the server sends them."""
        url = self.endpoint.generate_url
        if not self.stream:
            yield self._parse(url, self._json(url, payload))
            return
        response = self._open(url, payload)
        try:
            for raw in response:
                line = raw.decode("utf-8", "replace").strip()
                if not line.startswith("data:"):
                    continue
                data = line[len("data:") :].strip()
                if data == "[DONE]":
                    break
                try:
                    chunk = json.loads(data)
                except ValueError as exc:
                    raise ModelError(f"{url}: a streamed event is not JSON ({exc})") from exc
                yield self._parse(url, chunk)
                if self.endpoint.kind == "llamacpp" and chunk.get("stop"):
                    break
        except (TimeoutError, OSError) as exc:
            raise ModelError(f"{url}: the connection broke while streaming ({exc})") from exc
        finally:
            response.close()

    def _parse(self, url: str, answer: Any) -> tuple[str, list[float]]:
        try:
            if self.endpoint.kind == "openai":
                choice = answer["choices"][0]
                logprobs = (choice.get("logprobs") or {}).get("token_logprobs") or []
                return str(choice.get("text") or ""), [float(x) for x in logprobs if x is not None]
            return str(answer.get("content") or ""), []
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise ModelError(f"{url}: unexpected answer {str(answer)[:200]}") from exc

    # -- the engine ---------------------------------------------------------------------------------------------

    def iter_fill(
        self,
        request: FillRequest,
        *,
        validate: Validator | None = None,
        stop: StopRule | None = None,
    ) -> Generator[Step | FillResult, None, None]:
        if len(request.holes) != 1:
            raise ModelError(
                f"{self.name}: a remote server fills one hole at a time; fill the holes one by one"
            )
        started = time.perf_counter()
        mode = request.resolved_mode()
        prefix = request.segments[0][-MAX_PREFIX_CHARS:]
        suffix = request.segments[1][:MAX_SUFFIX_CHARS] if mode == "diffusion" else ""
        budget = request.holes[0].max_tokens
        candidates: list[Candidate] = []
        chunks = 0
        stepped = False
        for index in range(request.candidates):
            temperature = request.temperature if index == 0 else max(request.temperature, 0.7)
            payload = self._payload(prefix, suffix, budget, temperature, request.top_p, request.seed + index)
            text, logprobs = "", []
            pieces = self._pieces(payload)
            try:
                for piece, piece_logprobs in pieces:
                    chunks += 1
                    text += piece
                    logprobs.extend(piece_logprobs)
                    cut = None if stop is None else stop(text)
                    if cut is not None:
                        text = text[:cut]
                        break
                    if index == 0 and piece:
                        stepped = True
                        yield Step(index=chunks, total=max(chunks + 1, budget), fills=(text,), masked=0)
            finally:
                pieces.close()  # type: ignore[attr-defined]
            score = sum(logprobs) / len(logprobs) if logprobs else 0.0
            if all(c.text != text for c in candidates):
                valid = None if validate is None else bool(validate((text,)))
                candidates.append(
                    Candidate(fills=(text,), score=score if math.isfinite(score) else 0.0, valid=valid)
                )
        if not stepped:
            yield Step(index=1, total=1, fills=(candidates[0].text,), masked=0)
        ranked = sorted(
            candidates, key=lambda c: c.valid is not False, reverse=True
        )  # stable: keeps seed order
        yield FillResult(
            candidates=tuple(ranked),
            mode="ar",
            steps=max(1, chunks),
            forward_passes=max(1, chunks),
            elapsed_s=time.perf_counter() - started,
            stats={"requests": float(request.candidates), "streamed": 1.0 if self.stream else 0.0},
        )


def load(
    path: str | None = None,
    *,
    model: str | None = None,
    timeout: float = 30.0,
    stream: bool = True,
    api_key: str | None = None,
    check: bool = True,
    **_: object,
) -> RemoteEngine:
    if not path:
        raise ModelError(
            "the remote backend needs the server URL as modelPath, e.g. http://127.0.0.1:8000/v1"
        )
    engine = RemoteEngine(
        parse_endpoint(path), model=model, timeout=float(timeout), stream=bool(stream), api_key=api_key
    )
    if check:
        engine.check()
    return engine
