"""The embedded model and its engine on tiny seeded models (no shipped weights needed), plus a training smoke test."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from engines import denoiser, embedded_causal, infill_engine, steps_and_result

from unmask.model.api import FillRequest, FillResult, HoleSpec, ModelError, Step, Token, load_engine, run_fill
from unmask.model.autoregressive import FOLLOW_TOKENS, GUIDE_TOKENS, ar_fill, heal_prefix
from unmask.model.backends.embedded import GROWTH
from unmask.model.curriculum import TRAIN_SPAN_COUNTS, Curriculum, analyse
from unmask.model.diffusion import (
    SlotGuide,
    canvas_lengths,
    diffusion_fill,
    layout_rows,
    slot_guide,
    slot_logprobs,
)
from unmask.model.net import NetConfig, ScatterSlot, UnmaskNet
from unmask.model.tokenizer import CodeTokenizer, train_tokenizer
from unmask.model.train import TrainConfig, export, train

STDLIB = Path(json.__file__).resolve().parent.parent
SAMPLE_FILES = [STDLIB / name for name in ("textwrap.py", "bisect.py", "colorsys.py", "fnmatch.py", "glob.py")]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return [path.read_text(encoding="utf-8") for path in SAMPLE_FILES]


@pytest.fixture(scope="module")
def tokenizer(texts: list[str]) -> CodeTokenizer:
    return CodeTokenizer(train_tokenizer(texts, vocab_size=600))


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, tokenizer: CodeTokenizer) -> Path:
    torch.manual_seed(0)
    config = NetConfig(vocab_size=tokenizer.vocab_size, d_model=32, n_layers=2, n_heads=2, ffn_hidden=64)
    folder = tmp_path_factory.mktemp("tiny")
    tokenizer.save(folder / "tok.json")
    export(UnmaskNet(config), folder / "tok.json", folder / "model")
    return folder / "model"


def test_tokenizer_round_trips_code_and_keeps_specials_distinct(tokenizer: CodeTokenizer, texts: list[str]) -> None:
    sample = texts[0][:2000] + "\tx = 'é😀'\r\n"
    assert tokenizer.decode(tokenizer.encode(sample)) == sample
    assert len({tokenizer.pad_id, tokenizer.mask_id, tokenizer.bos_id, tokenizer.eos_id}) == 4
    # indentation after a newline is one piece, not one token per space
    assert len(tokenizer.encode("\n        ")) < 8


def test_causal_mode_ignores_the_future_and_bidirectional_mode_sees_it() -> None:
    torch.manual_seed(0)
    model = UnmaskNet(NetConfig(vocab_size=50, d_model=16, n_layers=2, n_heads=2, ffn_hidden=32)).eval()
    a = torch.tensor([[5, 6, 7, 8, 9]])
    b = torch.tensor([[5, 6, 7, 8, 10]])
    with torch.no_grad():
        assert torch.allclose(model(a, causal=True)[0, :4], model(b, causal=True)[0, :4], atol=1e-6)
        assert not torch.allclose(model(a)[0, :4], model(b)[0, :4], atol=1e-6)


def test_kv_cache_continuation_matches_a_full_pass() -> None:
    torch.manual_seed(0)
    model = UnmaskNet(NetConfig(vocab_size=50, d_model=16, n_layers=2, n_heads=2, ffn_hidden=32)).eval()
    ids = torch.tensor([[3, 9, 4, 11, 20, 7]])
    with torch.no_grad():
        full = model(ids, causal=True)
        _, past = model.hidden(ids[:, :4], causal=True)
        hidden, _ = model.hidden(ids[:, 4:], torch.tensor([4, 5]), causal=True, past=past)
    assert torch.allclose(model.logits(hidden)[0], full[0, 4:], atol=1e-5)


def test_curriculum_spans_are_whole_nodes_and_targets_sit_on_masks(texts: list[str], tokenizer: CodeTokenizer) -> None:
    spans = analyse(texts[1])
    assert spans.nodes and spans.lines
    curriculum = Curriculum(texts, tokenizer, seq_len=256, seed=3)
    for _ in range(20):
        example = curriculum.diffusion_example()
        assert len(example.ids) <= 256 and example.ids[0] == tokenizer.bos_id
        scored = [i for i, t in enumerate(example.targets) if t != -100]
        assert scored and all(example.ids[i] == tokenizer.mask_id for i in scored)
        assert 1.0 <= example.weight <= 5.0


def test_training_rows_mix_plain_mdlm_and_many_spans(texts: list[str], tokenizer: CodeTokenizer) -> None:
    plain = Curriculum(texts, tokenizer, seq_len=256, seed=5)
    mixed = Curriculum(texts, tokenizer, seq_len=256, seed=5, uniform_share=0.5, span_counts=TRAIN_SPAN_COUNTS)
    scored = [sum(t != -100 for t in plain.diffusion_example().targets) for _ in range(40)]
    scored_mixed = [sum(t != -100 for t in mixed.diffusion_example().targets) for _ in range(40)]
    # more spans and whole-row masking give each row several times more tokens to learn from
    assert sum(scored_mixed) > 2 * sum(scored)
    row = mixed.uniform_example()
    masked = [i for i, t in enumerate(row.targets) if t != -100]
    assert masked and all(row.ids[i] == tokenizer.mask_id for i in masked)
    assert tokenizer.pad_id not in row.ids  # no filler: the row is plain text


def _corpus(tmp_path: Path, texts: list[str]) -> Path:
    """A corpus folder: four training files and the rest held out."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for split, rows in (("train", texts[:4]), ("heldout", texts[4:])):
        with (corpus / f"{split}.jsonl").open("w") as handle:
            for i, text in enumerate(rows):
                handle.write(json.dumps({"path": f"{split}{i}.py", "text": text}) + "\n")
    return corpus


def test_training_smoke_loss_falls_and_checkpoint_resumes(
    tmp_path: Path, texts: list[str], tokenizer: CodeTokenizer, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = _corpus(tmp_path, texts)
    tokenizer.save(tmp_path / "tok.json")
    net = NetConfig(d_model=32, n_layers=2, n_heads=2, ffn_hidden=64)
    cfg = TrainConfig(seq_len=128, diffusion_batch=4, ar_batch=2, warmup_steps=2, total_steps=40, eval_every=12,
                      save_every=6, bf16=False)
    first = train(corpus, tmp_path / "tok.json", tmp_path / "run", net, cfg, resume=False, max_steps=12,
                  export_to=tmp_path / "out")
    assert first["step"] == 12 and "heldout_ar" in first
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").open()]
    assert log[-1]["loss_ar"] < log[0]["loss_ar"]
    state_at_12 = (tmp_path / "run" / "ckpt" / "state.pt").read_bytes()
    again = train(corpus, tmp_path / "tok.json", tmp_path / "run", NetConfig(d_model=32, n_layers=2, n_heads=2, ffn_hidden=64),
                  cfg, resume=True, max_steps=2)
    assert again["step"] == 14
    # a stop between the checkpoint's two renames: step-14 weights beside step-12 optimizer state. Resuming
    # goes on from the weights' step, so the step count and the schedule stay those of the weights
    (tmp_path / "run" / "ckpt" / "state.pt").write_bytes(state_at_12)
    torn = train(corpus, tmp_path / "tok.json", tmp_path / "run", NetConfig(d_model=32, n_layers=2, n_heads=2, ffn_hidden=64),
                 cfg, resume=True, max_steps=1)
    assert torn["step"] == 15
    assert "from step 14 and its optimizer state from step 12" in capsys.readouterr().err
    engine = load_engine(tmp_path / "out")
    assert engine.describe()["trained_steps"] == 12
    # adapting those weights counts on from their 12 steps (and draws examples past them)
    adapted = train(corpus, tmp_path / "tok.json", tmp_path / "adapt", NetConfig(d_model=32, n_layers=2, n_heads=2, ffn_hidden=64),
                    cfg, resume=False, init_from=tmp_path / "out", max_steps=2, export_to=tmp_path / "adapted")
    assert adapted["step"] == 2
    assert load_engine(tmp_path / "adapted").describe()["trained_steps"] == 14


def test_engine_yields_steps_then_a_result_with_one_fill_per_hole(tiny_model_dir: Path) -> None:
    engine = load_engine(tiny_model_dir)
    request = FillRequest(segments=("def f(x):\n    y = ", "\n    return ", "\n"), holes=(HoleSpec(), HoleSpec()))
    steps: list[Step] = []
    result = run_fill(engine, request, on_step=steps.append)
    assert steps and all(len(step.fills) == 2 for step in steps)
    assert steps[-1].masked == 0
    assert len(result.best.fills) == 2 and result.mode == "diffusion"
    assert result.forward_passes == len(steps)


def test_seeded_runs_are_reproducible_and_candidates_distinct(tiny_model_dir: Path) -> None:
    engine = load_engine(tiny_model_dir)
    request = FillRequest.single("x = [", "]\nprint(x)\n", candidates=3, temperature=0.8, seed=7)
    first = run_fill(engine, request)
    second = run_fill(engine, request)
    assert [c.fills for c in first.candidates] == [c.fills for c in second.candidates]
    assert len({c.fills for c in first.candidates}) == len(first.candidates) <= 3


def test_exact_cache_and_refreshed_dual_cache_agree(tiny_model_dir: Path) -> None:
    request = FillRequest.single("def add(a, b):\n    return ", " + 1\n\nprint(add(1, 2))\n", HoleSpec(length_tokens=6))
    exact = run_fill(load_engine(tiny_model_dir, cache="none"), request)
    refreshed = run_fill(load_engine(tiny_model_dir, cache="dual", refresh_every=1), request)
    assert exact.best.fills == refreshed.best.fills
    assert exact.best.score == pytest.approx(refreshed.best.score, abs=1e-4)


def test_recomputing_some_positions_against_scattered_keys_matches_a_full_pass() -> None:
    torch.manual_seed(0)
    model = UnmaskNet(NetConfig(vocab_size=50, d_model=16, n_layers=2, n_heads=2, ffn_hidden=32)).eval()
    ids = torch.tensor([[3, 9, 4, 11, 20, 7, 8, 1, 1, 5], [3, 4, 4, 12, 21, 6, 1, 1, 9, 2]])
    with torch.no_grad():
        full, presents = model.hidden(ids)
        slots = [ScatterSlot(k.clone(), v.clone()) for k, v in presents]
        index = torch.tensor([[6, 7, 8], [5, 6, 6]])  # the second row repeats a position, as padding does
        for slot in slots:
            slot.index = index
        some, _ = model.hidden(ids.gather(1, index), index, past=slots)
    assert torch.allclose(some, full[torch.arange(2)[:, None], index], atol=1e-5)


@pytest.mark.parametrize("cache", ["none", "dual", "block"])
def test_dropping_finished_rows_changes_no_result(tiny_model_dir: Path, cache: str) -> None:
    engine = infill_engine(tiny_model_dir, cache=cache)
    inner_denoiser = denoiser(engine)

    dropped: list[int] = []

    class Sessions:  # the same sessions; `compact` False hides keep_rows, so every row runs to the end
        window = inner_denoiser.window

        def __init__(self, compact: bool) -> None:
            self.compact = compact

        def session(self, *args):  # type: ignore[no-untyped-def]
            inner = inner_denoiser.session(*args)
            if not self.compact:
                return SimpleNamespace(predict=inner.predict)

            def keep_rows(keep):  # type: ignore[no-untyped-def]
                dropped.append(int((~keep).sum()))
                inner.keep_rows(keep)

            return SimpleNamespace(predict=inner.predict, keep_rows=keep_rows)

    # rows of several canvas lengths (no length hint) finish at different steps
    request = FillRequest.single("def add(a, b):\n    total = ", "\n    return total\n", candidates=2, temperature=0.5)
    assert len(canvas_lengths(request, engine.codec)) > 1
    compacted, compacted_result = steps_and_result(diffusion_fill(Sessions(compact=True), engine.codec, request))
    plain, plain_result = steps_and_result(diffusion_fill(Sessions(compact=False), engine.codec, request))
    assert sum(dropped) > 0  # rows really were dropped along the way
    assert [s.fills for s in compacted] == [s.fills for s in plain]
    assert [c.fills for c in compacted_result.candidates] == [c.fills for c in plain_result.candidates]
    assert [c.score for c in compacted_result.candidates] == pytest.approx(
        [c.score for c in plain_result.candidates], abs=1e-4
    )


def test_reroll_keeps_confident_tokens_pinned(tiny_model_dir: Path) -> None:
    engine = load_engine(tiny_model_dir)
    first = run_fill(engine, FillRequest.single("value = ", "\n", HoleSpec(length_tokens=5)))
    draft = tuple(Token(t.id, t.text, 1.0 if i % 2 == 0 else 0.0) for i, t in enumerate(first.best.tokens[0]))
    again = run_fill(engine, FillRequest.single("value = ", "\n", HoleSpec(draft=draft), seed=5, temperature=1.0))
    kept = iter(t.id for t in again.best.tokens[0])
    pinned = [t.id for t in draft if t.confidence == 1.0]
    # every pinned token survives, in order (filler the model chose in between is dropped)
    assert all(any(k == p for k in kept) for p in pinned)


def test_append_runs_autoregressively_and_obeys_the_stop_rule(tiny_model_dir: Path) -> None:
    engine = load_engine(tiny_model_dir)
    request = FillRequest.single("def f():\n    ", "\n\n", HoleSpec(max_tokens=12))
    assert request.is_append
    result = run_fill(engine, request, stop=lambda text: 3 if len(text) > 3 else None)
    assert result.mode == "ar" and len(result.best.text) <= 3


def test_a_prefix_ending_in_a_bare_line_break_is_healed(tiny_model_dir: Path) -> None:
    engine = infill_engine(tiny_model_dir)
    codec = engine.codec
    ids = codec.encode("def f(x):\n    y = x\n")
    kept, text, allowed = heal_prefix(codec, ids)
    assert text == "\n" and kept == ids[:-1] and allowed is not None
    assert ids[-1] in allowed and all(codec.token_text(i).startswith("\n") for i in allowed)
    assert heal_prefix(codec, codec.encode("def f(x):\n    y = x"))[2] is None  # nothing to heal
    request = FillRequest.single("def f(x):\n    y = x\n", "", HoleSpec(max_tokens=6))
    result = run_fill(engine, request)
    first = result.best.tokens[0][0]
    assert first.id in allowed  # the continuation starts with the break the prefix gave up
    assert not result.best.text.startswith("\n") or codec.token_text(first.id).startswith("\n\n")


def test_broken_model_folders_give_clear_errors(tmp_path: Path, tiny_model_dir: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        load_engine(tmp_path / "nowhere", backend="embedded")
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("config.json", "tokenizer.json"):
        (broken / name).write_bytes((tiny_model_dir / name).read_bytes())
    (broken / "model.safetensors").write_bytes((tiny_model_dir / "model.safetensors").read_bytes()[:100])
    with pytest.raises(ModelError, match="truncated or corrupt"):
        load_engine(broken)
    (broken / "model.safetensors").unlink()
    (broken / "pytorch_model.bin").write_bytes(b"pickle")
    with pytest.raises(ModelError, match="safetensors only"):
        load_engine(broken, backend="embedded")


def test_hugging_face_auto_classes_load_the_same_network(tiny_model_dir: Path) -> None:
    from transformers import AutoModel

    import unmask.model.hf  # noqa: F401  (registers model_type "unmask")
    from unmask.model.checkpoint import load_embedded

    hf_model = AutoModel.from_pretrained(str(tiny_model_dir))
    reference, _, _ = load_embedded(tiny_model_dir)
    ids = torch.tensor([[2, 50, 60, 70, 80]])
    with torch.no_grad():
        assert torch.allclose(hf_model(ids), reference(ids), atol=1e-5)
        assert torch.allclose(hf_model(ids, causal=True), reference(ids, causal=True), atol=1e-5)


def test_preallocated_ar_cache_matches_a_full_causal_pass(tiny_model_dir: Path) -> None:
    engine = infill_engine(tiny_model_dir, dtype="float32", pointer_weight=0.0)  # plain logits, to compare
    causal = embedded_causal(engine)
    model = causal.model
    ids = engine.codec.encode("def add(a, b):\n    return a + b\n")
    follow = engine.codec.encode("\n\nprint(add(1, 2))\n" * 30)  # past the first allocation: the cache grows
    logits, cache = causal.prefill(ids[:5])
    steps = [logits]
    for token in ids[5:] + follow:
        logits, cache = causal.extend(cache, token)
        steps.append(logits)
    with torch.no_grad():
        full = model(torch.tensor([ids + follow]), causal=True)[0]
    assert cache.slots[0].k.shape[2] > 5 + GROWTH  # it did grow
    assert torch.allclose(torch.stack(steps[:-1]), full[4:-1], atol=1e-4)


def test_batched_beams_match_one_sequence_at_a_time(tiny_model_dir: Path) -> None:
    engine = infill_engine(tiny_model_dir, dtype="float32", pointer_weight=0.0)
    causal = embedded_causal(engine)
    assert causal.line_beams
    ids = engine.codec.encode("def add(a, b):\n    return")
    a, b, c = engine.codec.encode(" a")[0], engine.codec.encode(" b")[0], engine.codec.encode(" +")[0]
    _, cache = causal.prefill(ids)
    # three beams from the prefill's row, then reordered: beam 2 twice, beam 0 once
    _, cache = causal.extend_beams(cache, [0, 0, 0], [a, b, c])
    logits, cache = causal.extend_beams(cache, [2, 2, 0], [a, b, c])

    def check(logits: torch.Tensor, sequences: list[list[int]]) -> None:
        for row, sequence in enumerate(sequences):
            _, single = causal.prefill(ids)
            for token in sequence:
                expected, single = causal.extend(single, token)
            assert torch.allclose(logits[row], expected, atol=1e-4)

    check(logits, [[c, a], [c, b], [a, c]])
    # fewer beams (their own positions move in place), then more again (new rows, the prefill's part shared)
    logits, cache = causal.extend_beams(cache, [1, 0], [b, a])
    check(logits, [[c, b, b], [c, a, a]])
    logits, cache = causal.extend_beams(cache, [0, 0, 1, 1], [a, b, a, c])
    check(logits, [[c, b, b, a], [c, b, b, b], [c, a, a, a], [c, a, a, c]])


def test_a_line_beam_returns_the_most_probable_first_lines_best_first(tiny_model_dir: Path) -> None:
    engine = infill_engine(tiny_model_dir, dtype="float32", pointer_weight=0.0)
    causal = embedded_causal(engine)
    prefix = "def add(a, b):\n    return"
    request = FillRequest.single(prefix, "", HoleSpec(max_tokens=12), mode="ar", line_beam=3, candidates=4)
    result = run_fill(engine, request)
    texts = [candidate.text for candidate in result.candidates]
    assert 1 <= len(texts) <= 4 and len(set(texts)) == len(texts)
    assert all(text.strip() and "\n" not in text.strip() for text in texts)
    totals = []
    for candidate in result.candidates:  # each score is the mean log-probability of its own tokens
        (tokens,) = candidate.tokens
        assert engine.codec.decode([token.id for token in tokens]).startswith(candidate.text)
        logits, cache = causal.prefill(engine.codec.encode(prefix) if engine.codec.bos_id is None
                                       else [engine.codec.bos_id] + engine.codec.encode(prefix))
        total = 0.0
        for token in tokens:  # the search never writes mask or bos: they take no probability
            logits = logits.detach().float()
            logits[[t for t in engine.codec.banned_ids if t != engine.codec.eos_id]] = float("-inf")
            total += float(logits.log_softmax(-1)[token.id])
            logits, cache = causal.extend(cache, token.id)
        assert abs(candidate.score - total / len(tokens)) < 1e-3
        totals.append(total)
    assert totals == sorted(totals, reverse=True)
    # the search advanced all beams in one pass per token
    assert result.forward_passes <= 12


def test_a_guide_shapes_the_line_beams_first_tokens(tiny_model_dir: Path, tokenizer: CodeTokenizer) -> None:
    engine = infill_engine(tiny_model_dir, dtype="float32", pointer_weight=0.0)
    causal = embedded_causal(engine)
    prefix = "def add(a, b):\n    return"
    request = FillRequest.single(prefix, "", HoleSpec(max_tokens=12), mode="ar", line_beam=3, candidates=4)
    plain = run_fill(engine, request)
    # a guide sure of a token the plain beam never starts with: every guided line starts with it
    firsts = {candidate.tokens[0][0].id for candidate in plain.candidates}
    wanted = next(engine.codec.encode(text)[0] for text in (" total", " x", " 0") if engine.codec.encode(text)[0] not in firsts)
    guide = torch.full((GUIDE_TOKENS + 2, tokenizer.vocab_size), -100.0)
    guide[:, wanted] = 0.0
    guided = FillResult(candidates=(), mode="ar", steps=0, forward_passes=0, elapsed_s=0.0)
    for item in ar_fill(causal, engine.codec, request, guide=SlotGuide(guide.log_softmax(-1))):
        if isinstance(item, FillResult):
            guided = item
    assert guided.candidates and all(c.tokens[0][0].id == wanted for c in guided.candidates)
    # only the first GUIDE_TOKENS steps are guided: after them the beam follows the model alone
    late = torch.zeros_like(guide)
    late[GUIDE_TOKENS:] = guide[GUIDE_TOKENS:]
    for item in ar_fill(causal, engine.codec, request, guide=SlotGuide(late)):
        if isinstance(item, FillResult):
            assert [c.text for c in item.candidates] == [c.text for c in plain.candidates]


def test_slot_logprobs_read_the_hole_with_both_sides_in_view(tiny_model_dir: Path, tokenizer: CodeTokenizer) -> None:
    engine = infill_engine(tiny_model_dir, dtype="float32", pointer_weight=0.0)
    request = FillRequest.single("def add(a, b):\n    return ", "\n\nprint(add(1, 2))\n", HoleSpec(max_tokens=12))
    guide = slot_logprobs(denoiser(engine), engine.codec, request, 6)
    assert guide.shape == (6, tokenizer.vocab_size)
    assert torch.allclose(guide.logsumexp(-1), torch.zeros(6), atol=1e-4)
    assert bool((guide[:, list(engine.codec.banned_ids)] == float("-inf")).all())
    # the code after the hole is read: another suffix gives other probabilities
    other = slot_logprobs(denoiser(engine), engine.codec, request.with_options(segments=(request.segments[0], "\n")), 6)
    assert not torch.allclose(guide, other)


def test_a_guides_follow_reads_each_hypothesis_where_the_canvas_has_it(tiny_model_dir: Path) -> None:
    request = FillRequest.single("def add(a, b):\n    return ", "\n\nprint(add(1, 2))\n", HoleSpec(max_tokens=12))
    for cache in ("none", "dual", "block"):
        engine = infill_engine(tiny_model_dir, dtype="float32", pointer_weight=0.0, cache=cache)
        codec = engine.codec
        guide = slot_guide(denoiser(engine), codec, request, 6)
        assert guide.follow is not None
        hypothesis = codec.encode(" a + b")[:3]
        read = guide.follow([[], hypothesis[:1], hypothesis])
        assert read.shape == (3, guide.first.shape[1])
        # nothing written yet: the first slot, as the first pass read it
        assert torch.allclose(read[0], guide.first[0], atol=1e-4)
        # with the tokens in the canvas the next slot reads otherwise than with every slot masked
        assert not torch.allclose(read[2], guide.first[3], atol=1e-3)
        with pytest.raises(ValueError):
            guide.follow([codec.encode(" a + b + a + b + a")[:6]])
        if cache == "none":  # exact: a fresh pass over the row with the tokens written in
            layout = layout_rows(request.with_options(holes=(HoleSpec(length_tokens=6),)), codec, [(6,)],
                                 denoiser(engine).window)
            ids = layout.ids.clone()
            ids[0, layout.canvas[0, :3]] = torch.tensor(hypothesis)
            session = denoiser(engine).session(ids, layout.key_mask, layout.canvas, layout.valid)
            fresh = session.predict(ids)[0, 3].float()
            fresh[list(codec.banned_ids)] = float("-inf")
            assert torch.allclose(read[2], fresh.log_softmax(-1), atol=1e-4)


def test_a_following_guide_shapes_the_beam_past_the_first_tokens(tiny_model_dir: Path, tokenizer: CodeTokenizer) -> None:
    engine = infill_engine(tiny_model_dir, dtype="float32", pointer_weight=0.0)
    causal = embedded_causal(engine)
    request = FillRequest.single("def add(a, b):\n    return", "", HoleSpec(max_tokens=12), mode="ar", line_beam=3, candidates=4)
    wanted = engine.codec.encode(" x")[0]
    asked: list[list[list[int]]] = []

    def follow(hypotheses):  # type: ignore[no-untyped-def]
        asked.append([list(tokens) for tokens in hypotheses])
        view = torch.full((len(hypotheses), tokenizer.vocab_size), -100.0)
        view[:, wanted] = 0.0
        return view.log_softmax(-1)

    guide = SlotGuide(torch.zeros((16, tokenizer.vocab_size)).log_softmax(-1), follow)
    result = FillResult(candidates=(), mode="ar", steps=0, forward_passes=0, elapsed_s=0.0)
    for item in ar_fill(causal, engine.codec, request, guide=guide):
        if isinstance(item, FillResult):
            result = item
    # read once per step after the first, with each live beam's own tokens, FOLLOW_TOKENS - 1 times at most
    assert asked and len(asked) <= FOLLOW_TOKENS - 1
    assert all(len(tokens) == step + 1 for step, hypotheses in enumerate(asked) for tokens in hypotheses)
    assert result.candidates
    assert all(token.id == wanted for c in result.candidates for token in c.tokens[0][1:FOLLOW_TOKENS])


def test_joint_scores_are_the_causal_log_probability_of_the_whole_text(tiny_model_dir: Path) -> None:
    engine = infill_engine(tiny_model_dir, dtype="float32", pointer_weight=0.0)
    causal = embedded_causal(engine)
    prefix, suffix = "def add(a, b):\n", "\n\n\nprint(add(1, 2))\n"
    middles = ["    return a + b", "    return a - b", ""]
    scores = engine.score_infills(prefix, middles, suffix)
    assert scores is not None and len(scores) == 3
    for middle, score in zip(middles, scores, strict=True):  # token by token through the AR cache
        bos = engine.codec.bos_id
        assert bos is not None
        ids = [bos] + engine.codec.encode(prefix + middle + suffix)
        total = 0.0
        with torch.no_grad():
            logits, cache = causal.prefill(ids[:1])
            for token in ids[1:]:
                total += float(logits.float().log_softmax(-1)[token])
                logits, cache = causal.extend(cache, token)
        assert abs(total - score) < 1e-3 * len(ids)
    # a prefix and suffix far past the window are cropped once for all middles: the same middle scores the same
    long_prefix = "x = 1\n" * 2000 + prefix
    cropped = engine.score_infills(long_prefix, ["    return a + b", "    return a + b", "    return (a + b)"], suffix * 500)
    assert cropped is not None and cropped[0] == cropped[1] and cropped[0] != cropped[2]
    # rows that share their start score it once: the same sums as scoring each row whole
    bos = engine.codec.bos_id
    assert bos is not None
    rows = [[bos] + engine.codec.encode(long_prefix[-600:] + middle + suffix) for middle in middles]
    assert len(rows[0]) > 2 * causal.SHARED_PREFIX_MIN
    shared, whole = causal.score(rows), causal.score(rows, share_prefix=False)
    assert all(abs(a - b) < 1e-3 * len(row) for a, b, row in zip(shared, whole, rows, strict=True))


def test_a_continuation_that_loops_on_a_short_unit_stops(tiny_model_dir: Path) -> None:
    from unmask.model.autoregressive import LOOP_REPEATS, ar_fill, looping

    assert looping([5, 6, 7] + [1, 2] * LOOP_REPEATS)
    assert not looping([1, 2] * (LOOP_REPEATS - 1) + [3])
    assert not looping(list(range(40)))
    codec = infill_engine(tiny_model_dir).codec
    unit = codec.encode("list(")

    class Scripted:
        """A causal model that always says the next token of ``list(list(list(…``."""

        window = 256

        def logits_for(self, count: int) -> torch.Tensor:
            logits = torch.zeros(codec_vocab)
            logits[unit[count % len(unit)]] = 10.0
            return logits

        def prefill(self, ids: list[int]) -> tuple[torch.Tensor, int]:
            return self.logits_for(0), 0

        def extend(self, cache: int, token: int) -> tuple[torch.Tensor, int]:
            return self.logits_for(cache + 1), cache + 1

    codec_vocab = max(max(unit), codec.mask_id, codec.eos_id or 0) + 10
    request = FillRequest.single("x = ", "", HoleSpec(max_tokens=96), mode="ar")
    result = next(e for e in ar_fill(Scripted(), codec, request) if not isinstance(e, Step))
    assert result.best.fills[0].startswith("list(list(")
    assert len(result.best.tokens[0]) == LOOP_REPEATS * len(unit) < 96  # stopped at the loop, not the budget


def test_train_command_resumes_a_run_with_its_own_sizes(tmp_path: Path, texts: list[str]) -> None:
    from unmask.cli import main

    corpus = _corpus(tmp_path, texts)
    run = tmp_path / "run"
    sizes = ["--d-model", "48", "--layers", "1", "--heads", "3", "--ffn", "64", "--seq-len", "96"]
    assert main(["train", "--corpus", str(corpus), "--run", str(run), "--steps", "1", *sizes]) == 0
    # a run begun before isolated functions were in the mix: resuming must not bring them in
    saved = json.loads((run / "config.json").read_text())
    assert saved["train"]["isolated_share"] == 0.3
    del saved["train"]["isolated_share"]
    (run / "config.json").write_text(json.dumps(saved))
    # no sizes given: a resumed run must rebuild the 48-wide model it saved, not the 256-wide default
    assert main(["train", "--corpus", str(corpus), "--run", str(run), "--resume", "--steps", "1", "--seq-len", "96",
                 "--export", str(tmp_path / "out")]) == 0
    assert load_engine(tmp_path / "out").describe()["trained_steps"] == 2
    assert json.loads((tmp_path / "out" / "config.json").read_text())["d_model"] == 48
    assert json.loads((run / "config.json").read_text())["train"]["isolated_share"] == 0.0


def test_train_command_sets_the_example_mix_and_a_resumed_run_keeps_its_own(tmp_path: Path, texts: list[str]) -> None:
    from unmask.cli import main

    corpus = _corpus(tmp_path, texts)
    run = tmp_path / "run"
    sizes = ["--d-model", "48", "--layers", "1", "--heads", "3", "--ffn", "64", "--seq-len", "96"]
    mix = ["--function-share", "0.7", "--isolated-share", "0.5"]
    assert main(["train", "--corpus", str(corpus), "--run", str(run), "--steps", "1", *sizes, *mix]) == 0
    began = json.loads((run / "config.json").read_text())["train"]
    assert (began["function_share"], began["isolated_share"]) == (0.7, 0.5)
    # resuming with other shares: the run draws its examples as it began
    assert main(["train", "--corpus", str(corpus), "--run", str(run), "--resume", "--steps", "1", "--seq-len", "96",
                 "--function-share", "0.1"]) == 0
    assert json.loads((run / "config.json").read_text())["train"]["function_share"] == 0.7
    with pytest.raises(SystemExit) as bad:
        main(["train", "--corpus", str(corpus), "--run", str(run), "--isolated-share", "1.5"])
    assert bad.value.code == 2


def test_an_adapted_run_can_be_resumed(tmp_path: Path, texts: list[str], tiny_model_dir: Path) -> None:
    from unmask.cli import main

    corpus = _corpus(tmp_path, texts)
    run = tmp_path / "adapted"
    common = ["--corpus", str(corpus), "--run", str(run), "--steps", "1", "--seq-len", "96"]
    assert main(["train", "--adapt", str(tiny_model_dir), *common]) == 0
    # the run keeps its own copy of the tokenizer it was adapted with, so --resume finds it
    assert (run / "tokenizer.json").read_bytes() == (tiny_model_dir / "tokenizer.json").read_bytes()
    assert main(["train", "--resume", *common, "--export", str(tmp_path / "out")]) == 0
    before = load_engine(tiny_model_dir).describe().get("trained_steps") or 0
    assert load_engine(tmp_path / "out").describe()["trained_steps"] == before + 2  # type: ignore[operator]


def _fills(engine, request: FillRequest) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
    result = run_fill(engine, request)
    return result.mode, result.forward_passes, tuple(c.fills for c in result.candidates)


COMPILE_REQUESTS = (
    FillRequest.single("def add(a, b):\n    total = ", "\n    return total\n\nprint(add(1, 2))\n"),  # several rows
    FillRequest.single("def add(a, b):\n    return ", " + 1\n", HoleSpec(length_tokens=7)),  # one row
    FillRequest.single("def f(a):\n    ", "\n\n", HoleSpec(max_tokens=9)),  # an append: AR
)


@pytest.mark.skipif(shutil.which(os.environ.get("CXX", "g++")) is None, reason="torch.compile needs a C++ compiler")
def test_compiled_steps_fill_exactly_as_the_eager_ones(tiny_model_dir: Path) -> None:
    from torch._dynamo.utils import counters

    eager = load_engine(tiny_model_dir, dtype="float32")
    graphs = counters["stats"]["unique_graphs"]
    compiled = load_engine(tiny_model_dir, dtype="float32", compile="on")
    assert "compile" not in eager.describe() and compiled.describe()["compile"] == "on"
    assert counters["stats"]["unique_graphs"] >= graphs + 2  # the block step and the AR step were compiled
    for request in COMPILE_REQUESTS:
        assert _fills(compiled, request) == _fills(eager, request)
    assert {_fills(compiled, request)[0] for request in COMPILE_REQUESTS} == {"diffusion", "ar"}


def test_a_compiler_that_fails_leaves_a_working_eager_engine(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch._dynamo
    import torch._inductor.config as inductor

    torch._dynamo.reset()  # nothing compiled earlier in this process may be reused
    monkeypatch.setattr(inductor, "fx_graph_cache", False)
    monkeypatch.setattr(inductor.cpp, "cxx", ("/nonexistent/c++",))  # as on a machine without a C++ compiler
    try:
        engine = load_engine(tiny_model_dir, dtype="float32", compile="on")
        assert str(engine.describe()["compile"]).startswith("failed: ")
        eager = load_engine(tiny_model_dir, dtype="float32")
        for request in COMPILE_REQUESTS:
            assert _fills(engine, request) == _fills(eager, request)
    finally:
        torch._dynamo.reset()


def test_shipping_stores_bf16_weights_that_fill_exactly_as_the_export_does(tiny_model_dir: Path, tmp_path: Path) -> None:
    from safetensors.torch import load_file

    from unmask.model.ship import main as ship_main

    dst = tmp_path / "weights"
    dst.mkdir()
    (dst / "config.json").write_text(json.dumps({"training": "run1 10 steps (docs/model.md)"}))
    assert ship_main([str(tiny_model_dir), "--to", str(dst), "--training", "run2 5 steps"]) == 0
    assert {tensor.dtype for tensor in load_file(str(dst / "model.safetensors")).values()} == {torch.bfloat16}
    config = json.loads((dst / "config.json").read_text())
    assert config["training"] == "run1 10 steps + run2 5 steps (docs/model.md)" and config["torch_dtype"] == "bfloat16"
    assert (dst / "model.safetensors").stat().st_size < 0.6 * (tiny_model_dir / "model.safetensors").stat().st_size
    # where the engine runs in bf16 the shipped file changes nothing: the same fill, token for token
    request = FillRequest.single("def add(a, b):\n    ", "\n\nprint(add(1, 2))\n")
    fills = [run_fill(load_engine(folder, dtype="bfloat16"), request).best for folder in (tiny_model_dir, dst)]
    assert fills[0].text == fills[1].text and fills[0].score == fills[1].score
    # a folder that is not a model is refused with the loader's message, and nothing is written
    assert ship_main([str(tmp_path / "nowhere"), "--to", str(tmp_path / "out")]) == 1
    assert not (tmp_path / "out").exists()


def test_isolated_function_rows_end_the_file_right_after_their_function(texts: list[str], tokenizer: CodeTokenizer) -> None:
    def rows_ending_in_eos(isolated_share: float) -> int:
        curriculum = Curriculum(texts, tokenizer, seq_len=384, seed=7, function_share=1.0, isolated_share=isolated_share)
        return sum(tokenizer.eos_id in curriculum.function_example().ids for _ in range(40))

    # these files end far from most of their functions, so a row reaches <|eos|> only when the function ends it
    usual, isolated = rows_ending_in_eos(0.0), rows_ending_in_eos(1.0)
    assert usual <= 10 and isolated >= usual + 15, (usual, isolated)
