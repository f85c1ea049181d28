"""One contract every engine backend passes, each on a tiny model built here (random weights) or a local server.

The contract: ``iter_fill`` yields Steps and then exactly one FillResult; a result has one fill per hole
(backends that fill one hole at a time refuse more with a ModelError); a seeded run is reproducible;
candidates are at most as many as requested and distinct; ``run_fill(cancelled=...)`` raises Cancelled;
``describe()`` names the engine, its backend and its parameter count.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_backends_common import CODE, PREFIX, SUFFIX, tiny_bert, tiny_causal, tiny_dream, tiny_llada
from test_backends_remote import Inference, QuietServer, make_handler

from unmask.model.api import (
    Cancelled,
    Engine,
    FillRequest,
    FillResult,
    HoleSpec,
    ModelError,
    Step,
    load_engine,
    run_fill,
)

#: backend fixture name -> whether it denoises several holes jointly
BACKENDS = {
    "fake": True,
    "embedded": True,
    "hf_mlm": True,
    "dream": True,
    "llada": True,
    "hf_causal_fim": False,
    "hf_causal_plain": False,
    "remote_openai": False,
    "remote_llamacpp": False,
}


def tiny_embedded(folder: Path) -> Path:
    import torch

    from unmask.model.net import NetConfig, UnmaskNet
    from unmask.model.tokenizer import train_tokenizer
    from unmask.model.train import export

    torch.manual_seed(0)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = train_tokenizer(CODE * 3, vocab_size=300)
    tokenizer.save(str(folder / "tokenizer.json"))
    config = NetConfig(
        vocab_size=tokenizer.get_vocab_size(),
        d_model=32,
        n_layers=2,
        n_heads=2,
        ffn_hidden=64,
        max_position=512,
    )
    export(UnmaskNet(config), folder / "tokenizer.json", folder)
    return folder


@pytest.fixture(scope="module")
def local_server() -> Iterator[str]:
    httpd = QuietServer(("127.0.0.1", 0), make_handler(Inference()))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module", params=list(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Engine]:
    name = request.param
    folder = tmp_path_factory.mktemp(name)
    builders = {
        "embedded": lambda: load_engine(tiny_embedded(folder)),
        "hf_mlm": lambda: load_engine(tiny_bert(folder)),
        "dream": lambda: load_engine(tiny_dream(folder)),
        "llada": lambda: load_engine(tiny_llada(folder)),
        "hf_causal_fim": lambda: load_engine(tiny_causal(folder)),
        "hf_causal_plain": lambda: load_engine(tiny_causal(folder, fim=False)),
        "fake": lambda: load_engine(backend="fake"),
        "remote_openai": lambda: load_engine(f"{request.getfixturevalue('local_server')}/v1"),
        "remote_llamacpp": lambda: load_engine(
            f"llamacpp+{request.getfixturevalue('local_server')}", backend="remote"
        ),
    }
    return name, builders[name]()


def infill(**options: object) -> FillRequest:
    """A small infill: few tokens and at most 3 denoising steps keep each backend's run short."""
    return FillRequest.single(PREFIX, SUFFIX, HoleSpec(max_tokens=6), steps=3, **options)


def test_steps_then_exactly_one_result(backend: tuple[str, Engine]) -> None:
    _, engine = backend
    for request in (infill(), FillRequest.single(PREFIX, "\n", HoleSpec(max_tokens=4), steps=3)):
        items = list(engine.iter_fill(request))
        assert items and isinstance(items[-1], FillResult)
        assert all(isinstance(item, Step) for item in items[:-1])
        assert len(items) >= 2, "at least one step before the result, so callers can show progress and cancel"
        assert items[-1].candidates and items[-1].mode in ("diffusion", "ar")


def test_one_fill_per_hole(backend: tuple[str, Engine]) -> None:
    name, engine = backend
    assert len(run_fill(engine, infill()).best.fills) == 1
    request = FillRequest(
        segments=("def add(a, b):\n    ", "\n    return ", "\n"),
        holes=(HoleSpec(length_tokens=2), HoleSpec(length_tokens=3)),
        steps=3,
    )
    if BACKENDS[name]:
        result = run_fill(engine, request)
        assert all(len(candidate.fills) == 2 for candidate in result.candidates)
    else:
        with pytest.raises(ModelError):
            run_fill(engine, request)


def test_seeded_runs_are_reproducible(backend: tuple[str, Engine]) -> None:
    _, engine = backend
    request = infill(temperature=0.9, seed=7, candidates=2)
    first = run_fill(engine, request)
    second = run_fill(engine, request)
    assert [c.fills for c in first.candidates] == [c.fills for c in second.candidates]
    assert [c.score for c in first.candidates] == [c.score for c in second.candidates]


def test_candidates_are_at_most_those_requested_and_distinct(backend: tuple[str, Engine]) -> None:
    _, engine = backend
    for count in (1, 3):
        result = run_fill(engine, infill(temperature=1.0, seed=2, candidates=count))
        assert 1 <= len(result.candidates) <= count
        fills = [candidate.fills for candidate in result.candidates]
        assert len(set(fills)) == len(fills)


def test_cancellation_between_steps(backend: tuple[str, Engine]) -> None:
    _, engine = backend
    with pytest.raises(Cancelled):
        run_fill(engine, infill(), cancelled=lambda: True)


def test_describe_names_engine_backend_and_parameters(backend: tuple[str, Engine]) -> None:
    name, engine = backend
    info = engine.describe()
    assert {"name", "backend", "parameters"} <= set(info)
    assert info["name"] == engine.name
    assert name.startswith(str(info["backend"]))
