"""Safety: weights only from safetensors, never remote code, no network at run time, the server reads only
what the client sent, and ``refactor --check`` runs commands only when given.

Run-time checks use a ``sitecustomize`` audit hook (PEP 578) in the subprocesses under test: it records
every connection or name lookup for a non-loopback address (and blocks it), every ``open`` of a file under
the watched folders, and every process started, to a log the test reads. A control test proves the hook
sees what it should, so the "nothing happened" assertions can fail.
"""

from __future__ import annotations

import ast
import json
import os
import pickle
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from unmask.model.api import ModelError, load_engine

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "unmask"
INVALID_PARAMS = -32602

AUDIT_HOOK = textwrap.dedent(
    '''
    """Test audit hook (tests/test_safety.py): records network, file and process events to a log."""
    import ipaddress
    import json
    import os
    import sys
    import threading

    _LOG = os.environ["UNMASK_AUDIT_LOG"]
    _WATCH = tuple(p for p in os.environ.get("UNMASK_AUDIT_WATCH", "").split(os.pathsep) if p)
    _LOCAL = threading.local()
    _LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
    _EXEC_EVENTS = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn"}


    def _is_loopback(host):
        if host is None or host in _LOOPBACK_NAMES:
            return True
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        try:
            return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            return False


    def _record(kind, detail):
        _LOCAL.busy = True
        try:
            fd = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (json.dumps({"kind": kind, "detail": detail, "pid": os.getpid()}) + "\\n").encode())
            finally:
                os.close(fd)
        finally:
            _LOCAL.busy = False


    def _hook(event, args):
        if getattr(_LOCAL, "busy", False):
            return
        if event in ("socket.connect", "socket.sendto"):
            address = args[1]
            if isinstance(address, tuple) and not _is_loopback(address[0]):
                _record("network", [event, repr(address)])
                raise PermissionError(f"network blocked by the test: {event} {address!r}")
        elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
                       "socket.gethostbyaddr"):
            if not _is_loopback(args[0]):
                _record("network", [event, repr(args[0])])
                raise PermissionError(f"network blocked by the test: {event} {args[0]!r}")
        elif event == "urllib.Request":
            _record("url", [str(args[0])])
        elif event == "open" and _WATCH and isinstance(args[0], str):
            path = os.path.abspath(args[0])
            if path.startswith(_WATCH):
                _record("open", [path])
        elif event in _EXEC_EVENTS:
            _record("exec", [event, repr(args[:2])])


    sys.addaudithook(_hook)
    '''
)


@dataclass
class Audit:
    log: Path
    env: dict[str, str]

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        rows = [json.loads(line) for line in self.log.read_text().splitlines() if line]
        return [row for row in rows if kind is None or row["kind"] == kind]

    def clear(self) -> None:
        self.log.unlink(missing_ok=True)


@pytest.fixture
def audit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Audit]:
    """``audit(*watched_folders)``: sets the environment so every Python subprocess runs the hook."""

    def make(*watch: Path) -> Audit:
        hook_dir = tmp_path / "audit-hook"
        hook_dir.mkdir(exist_ok=True)
        (hook_dir / "sitecustomize.py").write_text(AUDIT_HOOK)
        log = tmp_path / "audit.jsonl"
        pythonpath = os.pathsep.join(p for p in (str(hook_dir), os.environ.get("PYTHONPATH")) if p)
        watched = os.pathsep.join(str(path.resolve()) for path in watch)
        for name, value in (
            ("PYTHONPATH", pythonpath),
            ("UNMASK_AUDIT_LOG", str(log)),
            ("UNMASK_AUDIT_WATCH", watched),
        ):
            monkeypatch.setenv(name, value)
        return Audit(log, dict(os.environ))

    return make


# -- the hook itself ---------------------------------------------------------------------------------------


def test_the_audit_hook_records_and_blocks_what_it_should(audit, tmp_path: Path) -> None:
    watched = tmp_path / "watched"
    watched.mkdir()
    (watched / "file.txt").write_text("x")
    recorder = audit(watched)
    probe = textwrap.dedent(
        f"""
        import socket, subprocess, urllib.request
        server = socket.create_server(("127.0.0.1", 0))
        socket.create_connection(server.getsockname()).close()  # loopback: allowed, not recorded
        for attempt in (lambda: socket.create_connection(("10.255.255.1", 9), timeout=1),
                        lambda: urllib.request.urlopen("http://example.com/", timeout=1)):
            try:
                attempt()
            except OSError as error:  # urllib wraps it in URLError
                print("blocked" if "blocked by the test" in str(error) else error)
        open({str(watched / "file.txt")!r}).read()
        subprocess.run(["true"])
        """
    )
    done = subprocess.run(
        check=False, args=[sys.executable, "-c", probe], capture_output=True, text=True, env=recorder.env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["blocked", "blocked"]
    network = recorder.events("network")
    assert any("10.255.255.1" in row["detail"][1] for row in network)
    assert any("example.com" in row["detail"][1] for row in network)
    assert not any("127.0.0.1" in row["detail"][1] for row in network)
    assert [row["detail"] for row in recorder.events("url")] == [["http://example.com/"]]
    assert [row["detail"][0] for row in recorder.events("open")] == [str((watched / "file.txt").resolve())]
    assert recorder.events("exec")


# -- no network, and the server reads only what the client sent -------------------------------------------


async def test_the_server_and_a_fill_touch_no_network_and_no_file_the_client_only_named(
    session, audit, tmp_path: Path
) -> None:
    from test_model_faults import build_model

    model = build_model(tmp_path / "model")
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    secret = workspace / "secret.py"
    secret.write_text("API_KEY = 'on disk only'\n")
    unopened = workspace / "unopened.py"
    unopened.write_text("def g():\n    return 1\n")
    recorder = audit(workspace, model)
    sent = "def f(a, b):\n    return ___\n"
    async with session({"modelPath": str(model)}) as editor:
        assert (await editor.ready())["state"] == "ready"
        editor.open(secret.as_uri(), sent)  # the client's text for a file that exists, different on disk
        result = await editor.command("unmask.fillHoles", uri=secret.as_uri(), version=1)
        assert isinstance(result["applied"], bool)
        assert "API_KEY" not in editor.text(secret.as_uri())
        await editor.client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=secret.as_uri()),
                position=types.Position(1, 11),
                context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
            )
        )
        actions = await editor.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=secret.as_uri()),
                range=types.Range(start=types.Position(0, 0), end=types.Position(0, 3)),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )
        assert actions
        # A file the client never opened is not read from disk: the request is refused.
        with pytest.raises(JsonRpcException) as error:
            await editor.command("unmask.fillHoles", uri=unopened.as_uri(), version=1)
        assert error.value.code == INVALID_PARAMS and "not open" in error.value.message
    assert not recorder.events("network") and not recorder.events("url"), recorder.events()
    opened = [row["detail"][0] for row in recorder.events("open")]
    assert any(
        path.endswith("config.json") for path in opened
    )  # the hook ran in the server: it saw the model
    assert not [path for path in opened if path.startswith(str(workspace.resolve()))], opened


def test_a_hugging_face_backend_loads_and_fills_without_network(audit, tmp_path: Path) -> None:
    from test_backends_common import tiny_bert

    folder = tiny_bert(tmp_path / "bert")
    recorder = audit()
    fill = textwrap.dedent(
        f"""
        from unmask.model.api import FillRequest, load_engine, run_fill
        engine = load_engine({str(folder)!r})
        print(engine.describe()["backend"], len(run_fill(engine, FillRequest.single("x = ", "\\n")).best.fills))
        """
    )
    env = {key: value for key, value in recorder.env.items() if not key.startswith(("HF_", "TRANSFORMERS_"))}
    done = subprocess.run(
        check=False, args=[sys.executable, "-c", fill], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["hf_mlm", "1"]
    assert not recorder.events("network") and not recorder.events("url"), recorder.events()


# -- refactor --check --------------------------------------------------------------------------------------


def test_refactor_runs_a_command_only_when_check_is_given(audit, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.py").write_text("def f(a):\n    return ___\n")
    recorder = audit()
    command = [
        sys.executable,
        "-m",
        "unmask.cli",
        "refactor",
        "--backend",
        "fake",
        "--backend-option",
        "text=value",
    ]
    plain = subprocess.run(
        check=False, args=[*command, "a.py"], cwd=tree, capture_output=True, text=True, env=recorder.env
    )
    assert plain.returncode == 0, plain.stderr
    assert "+    return value" in plain.stdout  # it did fill the hole
    assert not recorder.events("exec"), recorder.events("exec")
    assert not recorder.events("network")

    checked = subprocess.run(
        [*command, "--check", "echo ran >> check.log", "a.py"],
        check=False,
        cwd=tree,
        capture_output=True,
        text=True,
        env=recorder.env,
    )
    assert checked.returncode == 0, checked.stderr
    assert (tree / "check.log").read_text() == "ran\n"
    assert any("echo ran" in row["detail"][1] for row in recorder.events("exec"))


# -- weights only from safetensors -------------------------------------------------------------------------


class Trap:
    """A pickle that, if ever unpickled, creates ``marker`` (what a malicious checkpoint would do)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return (Path.touch, (self.marker,))


def _folder(backend: str, where: Path) -> Path:
    import test_backends_common as common
    from test_model_faults import build_model

    builders: dict[str, Callable[[Path], Path]] = {
        "embedded": build_model,
        "hf_mlm": common.tiny_bert,
        "dream": common.tiny_dream,
        "llada": common.tiny_llada,
        "hf_causal": common.tiny_causal,
    }
    return builders[backend](where)


#: every backend that loads weights from a local folder (remote has none; fake has no weights)
LOCAL_BACKENDS = ["embedded", "hf_mlm", "dream", "llada", "hf_causal"]


def test_every_backend_that_loads_local_weights_is_listed_here() -> None:
    from unmask.model.api import BACKENDS

    assert set(BACKENDS) - {"remote", "fake"} == set(LOCAL_BACKENDS)


@pytest.mark.parametrize("backend", LOCAL_BACKENDS)
def test_pickle_weights_are_never_unpickled(backend: str, tmp_path: Path) -> None:
    folder = _folder(backend, tmp_path / "model")
    marker = tmp_path / "unpickled"
    for weights in folder.glob("*.safetensors*"):
        weights.unlink()
    for name in ("pytorch_model.bin", "model.pt"):
        (folder / name).write_bytes(pickle.dumps({"weight": Trap(marker)}))
    # No option switches the refusal off (there is no "allow pickle" setting).
    for options in ({}, {"use_safetensors": False, "allow_pickle": True, "weights_only": False}):
        with pytest.raises(ModelError, match="safetensors") as error:
            load_engine(folder, backend=backend, **options)
        assert "pytorch_model.bin" in str(error.value) or "model.pt" in str(error.value)
    # A broken safetensors file beside the pickle does not make the loader fall back to the pickle.
    (folder / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{broken}")
    with pytest.raises(ModelError):
        load_engine(folder, backend=backend)
    assert not marker.exists()


async def test_the_server_refuses_a_pickle_only_model_with_a_clear_message(session, tmp_path: Path) -> None:
    folder = _folder("embedded", tmp_path / "model")
    (folder / "model.safetensors").unlink()
    marker = tmp_path / "unpickled"
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps(Trap(marker)))
    async with session({"modelPath": str(folder)}) as editor:
        status = await editor.ready()
        assert status["state"] == "error"
        assert "pytorch_model.bin" in status["message"] and "safetensors only" in status["message"]
    assert not marker.exists()


# -- the source never asks for remote code, pickles or the hub --------------------------------------------


def _calls(attribute: str) -> list[tuple[str, ast.Call]]:
    """Every call ``<something>.<attribute>(...)`` in the package (parsed, so docstrings do not count)."""
    found: list[tuple[str, ast.Call]] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == attribute
            ):
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return found


def _keyword(call: ast.Call, name: str) -> object:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value.value if isinstance(keyword.value, ast.Constant) else "<not a constant>"
    return "<missing>"


def test_no_code_in_the_package_trusts_remote_code_or_unpickles() -> None:
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"trust_remote_code\s*=\s*(?!False\b)", text), path
        assert not re.search(r"^\s*(import|from)\s+(pickle|dill|joblib|cloudpickle)\b", text, re.MULTILINE), (
            path
        )
        assert "allow_pickle=True" not in text, path
        assert not re.search(r"use_safetensors\s*=\s*(?!True\b)", text), path
    for where, call in _calls("load"):
        if ast.unparse(call.func) == "torch.load":
            assert _keyword(call, "weights_only") is True, where
    pretrained = _calls("from_pretrained")
    assert pretrained  # the HF adapters do use it: the checks below are not vacuous
    for where, call in pretrained:
        assert _keyword(call, "local_files_only") is True, where
        assert _keyword(call, "trust_remote_code") is False, where
        if "Tokenizer" not in ast.unparse(call.func):
            assert _keyword(call, "use_safetensors") is True, where


def test_the_server_reads_no_file_by_uri() -> None:
    """The server keeps the client's text; no server module opens files, converts URIs to paths, or uses
    pygls' disk-backed workspace documents."""
    for path in sorted((PACKAGE / "server").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for pattern in (
            r"(?<!def )(?<![\w.])open\(",
            r"read_text\(",
            r"read_bytes\(",
            r"to_fs_path",
            r"get_text_document",
            r"urlopen",
            r"\bPath\(",
        ):
            assert not re.search(pattern, text), (path, pattern)
