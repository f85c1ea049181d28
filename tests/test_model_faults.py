"""Model faults: missing, truncated or corrupt weights, wrong configs, a mismatched tokenizer, a model too big
for memory. Loading says what is wrong (a ModelError, never another exception); the server reports it
(``unmask/status`` error + one ``showMessage``), keeps serving what needs no model, and recovers when the
model is fixed and the configuration changes.

The model folders are tiny real ones (UnmaskNet + export + a tokenizer trained on a few strings), broken on
purpose by each test.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from unmask.model.api import FillRequest, ModelError, load_engine, run_fill
from unmask.model.net import NetConfig, UnmaskNet
from unmask.model.tokenizer import CodeTokenizer, train_tokenizer
from unmask.model.train import export

TEXTS = [
    "def add(a, b):\n    return a + b\n",
    "for item in items:\n    print(item)\n",
    "class Point:\n    def __init__(self, x, y):\n        self.x = x\n        self.y = y\n",
    "if value is None:\n    value = []\nelse:\n    value.append(1)\n",
] * 4
URI = "file:///work/faults.py"
SOURCE = "def f(a, b):\n    return a + b\n"
BODY = {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 16}}
REQUEST_FAILED = -32803


def build_model(folder: Path, vocab_size: int = 300, seed: int = 0) -> Path:
    """A tiny working model folder (config.json, model.safetensors, tokenizer.json)."""
    tokenizer = CodeTokenizer(train_tokenizer(TEXTS, vocab_size=vocab_size))
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.save(folder / "tokenizer.source.json")
    torch.manual_seed(seed)
    config = NetConfig(vocab_size=tokenizer.vocab_size, d_model=16, n_layers=1, n_heads=2, ffn_hidden=32)
    export(UnmaskNet(config), folder / "tokenizer.source.json", folder)
    (folder / "tokenizer.source.json").unlink()
    return folder


@pytest.fixture(scope="module")
def good_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_model(tmp_path_factory.mktemp("models") / "good")


@pytest.fixture(scope="module")
def other_tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tokenizer.json of a model with a different vocabulary."""
    return build_model(tmp_path_factory.mktemp("models") / "other", vocab_size=280) / "tokenizer.json"


def copy_of(model: Path, where: Path) -> Path:
    shutil.copytree(model, where)
    return where


def edit_config(folder: Path, **changes: object) -> None:
    config = json.loads((folder / "config.json").read_text())
    config.update(changes)
    (folder / "config.json").write_text(json.dumps(config))


def truncate_weights(folder: Path) -> None:
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) // 2])


def corrupt_weights_header(folder: Path) -> None:
    data = bytearray((folder / "model.safetensors").read_bytes())
    data[:8] = b"\xff" * 8  # the header length: now absurd
    (folder / "model.safetensors").write_bytes(bytes(data))


#: name -> (break the folder, what the error must say)
FAULTS: dict[str, tuple[Callable[[Path], object], str]] = {
    "weights missing": (lambda f: (f / "model.safetensors").unlink(), "missing model.safetensors"),
    "weights truncated": (truncate_weights, "truncated or corrupt"),
    "weights header corrupt": (corrupt_weights_header, "truncated or corrupt"),
    "weights of another shape": (
        lambda f: edit_config(f, d_model=32, ffn_hidden=64),
        "does not match config.json",
    ),
    "config not json": (lambda f: (f / "config.json").write_text("{not json"), "cannot read it"),
    "config of an unknown model": (
        lambda f: edit_config(f, model_type="bert", architectures=[]),
        "unknown model type",
    ),
    "config heads do not divide width": (lambda f: edit_config(f, n_heads=3), "wrong config"),
    "config value of the wrong type": (lambda f: edit_config(f, n_layers="two"), "no buildable model"),
    "config negative width": (lambda f: edit_config(f, d_model=-16), "no buildable model"),
    # 2**40 wide: the first tensor (the embedding) is petabytes, so the allocation fails at once, untouched
    "out of memory": (lambda f: edit_config(f, d_model=2**40, n_heads=1), "does not fit in memory"),
    "tokenizer corrupt": (
        lambda f: (f / "tokenizer.json").write_text('{"model": 3}'),
        "cannot load the tokenizer",
    ),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_is_a_model_error_saying_what_is_wrong(
    fault: str, good_model: Path, tmp_path: Path
) -> None:
    folder = copy_of(good_model, tmp_path / "model")
    damage, message = FAULTS[fault]
    damage(folder)
    with pytest.raises(ModelError, match=message):
        load_engine(folder)


def test_a_tokenizer_from_another_model_is_refused(
    good_model: Path, other_tokenizer: Path, tmp_path: Path
) -> None:
    folder = copy_of(good_model, tmp_path / "model")
    shutil.copy(other_tokenizer, folder / "tokenizer.json")
    with pytest.raises(ModelError, match=r"tokenizer has \d+ tokens but config.json says \d+"):
        load_engine(folder)


def test_a_missing_folder_and_an_unknown_backend_are_model_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no config.json"):
        load_engine(tmp_path / "nowhere")
    with pytest.raises(ModelError, match="model folder not found"):
        load_engine(tmp_path / "nowhere", backend="embedded")
    with pytest.raises(ModelError, match="unknown backend"):
        load_engine(tmp_path, backend="pickle")


def test_nan_weights_load_but_a_fill_fails_as_a_model_error(good_model: Path, tmp_path: Path) -> None:
    """Weights that are valid safetensors but all NaN: nothing to detect at load; a sampled fill meets NaN
    probabilities, which torch raises as RuntimeError: the engine must turn that into a ModelError."""
    from safetensors.torch import load_file, save_file

    folder = copy_of(good_model, tmp_path / "model")
    state = load_file(str(folder / "model.safetensors"))
    nan_state = {name: torch.full_like(tensor, float("nan")) for name, tensor in state.items()}
    save_file(nan_state, str(folder / "model.safetensors"))
    engine = load_engine(folder)
    for prefix, suffix in (("x = ", "\n"), ("def f():\n    ", "\n\nprint(f())\n")):
        with pytest.raises(ModelError, match="failed during the fill"):
            run_fill(engine, FillRequest.single(prefix, suffix, temperature=1.0, seed=1))


# -- through the server ------------------------------------------------------------------------------------


async def _code_actions(editor, uri: str) -> list[types.CodeAction]:  # type: ignore[no-untyped-def]
    return await editor.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(1, 4), end=types.Position(1, 16)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )


async def _reloaded(editor, settings: dict[str, object]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    seen = len(editor.statuses)
    editor.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"unmask": settings})
    )
    await editor.until(
        lambda: (
            any(s["state"] == "loading" for s in editor.statuses[seen:])
            and editor.statuses[-1]["state"] in ("ready", "error")
        ),
        300,
    )
    return editor.statuses[-1]


@pytest.mark.parametrize("fault", ["out of memory", "weights truncated", "config value of the wrong type"])
async def test_the_server_reports_a_broken_model_keeps_serving_and_recovers(
    session, fault: str, good_model: Path, tmp_path: Path
) -> None:
    broken = copy_of(good_model, tmp_path / "broken")
    damage, message = FAULTS[fault]
    damage(broken)
    async with session({"modelPath": str(broken)}) as editor:
        status = await editor.ready()
        assert status["state"] == "error" and message in status["message"], status
        assert str(broken) in status["message"]  # which file is wrong

        # What needs no model keeps working: listing code actions, following edits.
        editor.open(URI, SOURCE)
        assert not any(a.title == "Fill all holes in file" for a in await _code_actions(editor, URI))
        editor.type_text(URI, SOURCE.replace("return a + b", "return ___"))
        assert any(a.title == "Fill all holes in file" for a in await _code_actions(editor, URI))

        # What needs the model fails clearly; the user is shown the problem once, not on every request.
        for _ in range(2):
            with pytest.raises(JsonRpcException) as error:
                await editor.command("unmask.fillHoles", uri=URI, version=2)
            assert error.value.code == REQUEST_FAILED and message in error.value.message
            assert "unmask doctor" in error.value.message
        shown = [m for m in editor.client.messages if m.type == types.MessageType.Error]
        assert len(shown) == 1 and message in shown[0].message, shown

        # Fixed: either point modelPath at a good model, or repair the folder and send the same settings.
        if fault == "out of memory":
            status = await _reloaded(editor, {"modelPath": str(good_model)})
        else:
            shutil.rmtree(broken)
            copy_of(good_model, broken)
            status = await _reloaded(editor, {"modelPath": str(broken)})
        assert status["state"] == "ready", status
        result = await editor.command("unmask.fillHoles", uri=URI, version=2)
        assert set(result) <= {"applied", "reason"} and isinstance(result["applied"], bool)
        assert editor.applied or result["applied"] is False  # an untrained model's fill may not parse


async def test_breaking_a_loaded_model_on_reload_keeps_the_server_up(session, good_model: Path) -> None:
    async with session({"modelPath": str(good_model)}) as editor:
        assert (await editor.ready())["state"] == "ready"
        editor.open(URI, SOURCE)
        status = await _reloaded(editor, {"modelPath": str(good_model / "not-there")})
        assert status["state"] == "error" and "no config.json" in status["message"]
        with pytest.raises(JsonRpcException) as error:
            await editor.command("unmask.regenerate", uri=URI, version=1, range=BODY)
        assert error.value.code == REQUEST_FAILED
        assert await _code_actions(editor, URI)
