"""The corpus tools: re-weighting a built corpus by source (``unmask.model.data --mix``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from unmask.model.data import main, mix_corpus


def _corpus(folder: Path) -> Path:
    folder.mkdir()
    rows = [{"path": f"{source}/m{i}.py", "text": f"def f{i}():\n    return {i}\n"}
            for source in ("cpython", "algorithms", "big") for i in range(20)]
    (folder / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (folder / "heldout.jsonl").write_text(json.dumps({"path": "cpython/h.py", "text": "x = 1\n"}) + "\n", encoding="utf-8")
    return folder


def _sources(path: Path) -> list[str]:
    return [json.loads(line)["path"].split("/")[0] for line in path.open(encoding="utf-8")]


def test_mix_repeats_weighted_sources_samples_the_rest_and_keeps_the_heldout_split(tmp_path: Path) -> None:
    source = _corpus(tmp_path / "corpus")
    recipe = mix_corpus(source, tmp_path / "mix", {"algorithms": 3, "cpython": 1}, other=0.5, seed=7)
    sources = _sources(tmp_path / "mix" / "train.jsonl")
    assert sources.count("algorithms") == 60 and sources.count("cpython") == 20
    assert 0 < sources.count("big") < 20  # each kept with probability 0.5
    assert recipe["rows_by_source"] == {"algorithms": 60, "big": sources.count("big"), "cpython": 20}
    assert sources[:60] != sorted(sources)[:60]  # shuffled, not grouped by source
    assert (tmp_path / "mix" / "heldout.jsonl").read_bytes() == (source / "heldout.jsonl").read_bytes()
    assert json.loads((tmp_path / "mix" / "mix.json").read_text())["train_rows"] == len(sources)
    # deterministic: the same seed writes the same file
    mix_corpus(source, tmp_path / "again", {"algorithms": 3, "cpython": 1}, other=0.5, seed=7)
    assert (tmp_path / "again" / "train.jsonl").read_bytes() == (tmp_path / "mix" / "train.jsonl").read_bytes()


def test_mix_rejects_bad_recipes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _corpus(tmp_path / "corpus")
    with pytest.raises(ValueError, match="keeps no training file"):
        mix_corpus(source, tmp_path / "none", {"cpython": 0}, other=0.0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        mix_corpus(source, tmp_path / "bad", {}, other=1.5)
    with pytest.raises(SystemExit):
        main(["--mix", str(source), "--out", str(tmp_path / "cli"), "--weight", "cpython"])
    assert "SOURCE=COUNT" in capsys.readouterr().err
    assert main(["--mix", str(source), "--out", str(tmp_path / "cli"), "--weight", "cpython=2"]) == 0
    assert _sources(tmp_path / "cli" / "train.jsonl") == ["cpython"] * 40
