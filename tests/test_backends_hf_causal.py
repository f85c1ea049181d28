"""The causal-LM adapter on tiny random Llama checkpoints, with and without FIM tokens."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from test_backends_common import PREFIX, SUFFIX, save_tokenizer, tiny_causal

from unmask.model.api import FillRequest, HoleSpec, ModelError, Step, load_engine, run_fill
from unmask.model.backends import hf_causal


@pytest.fixture(scope="module")
def fim_engine(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return load_engine(tiny_causal(tmp_path_factory.mktemp("fim")))  # auto: LlamaForCausalLM


@pytest.fixture(scope="module")
def plain_engine(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return load_engine(tiny_causal(tmp_path_factory.mktemp("plain"), fim=False), backend="hf_causal")


def record_inputs(engine) -> list[list[int]]:  # type: ignore[no-untyped-def]
    """Every input_ids the real model is called with."""
    calls: list[list[int]] = []

    def hook(module, args, kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs["input_ids"][0].tolist())

    engine.causal.model.register_forward_pre_hook(hook, with_kwargs=True)
    return calls


def test_describe_names_the_fim_style(fim_engine, plain_engine) -> None:  # type: ignore[no-untyped-def]
    assert fim_engine.describe()["backend"] == "hf_causal"
    assert fim_engine.describe()["fim"] == "starcoder"
    assert plain_engine.describe()["fim"] is None


def test_continuation_with_kv_cache_equals_greedy_decoding_without_it(plain_engine) -> None:  # type: ignore[no-untyped-def]
    request = FillRequest.single(PREFIX, "", HoleSpec(max_tokens=8), mode="ar")
    result = run_fill(plain_engine, request)
    assert result.mode == "ar"
    codec, model = plain_engine.codec, plain_engine.causal.model
    ids = codec.encode(PREFIX)
    expected: list[int] = []
    with torch.no_grad():
        for _ in range(8):
            logits = model(input_ids=torch.tensor([ids + expected]), use_cache=False).logits[0, -1]
            logits[list(codec.banned_ids)] = float("-inf")
            token = int(logits.argmax())
            if token == codec.eos_id:
                break
            expected.append(token)
    assert [t.id for t in result.best.tokens[0]] == expected


def test_a_line_beam_request_falls_back_to_the_greedy_continuation(plain_engine) -> None:  # type: ignore[no-untyped-def]
    greedy = run_fill(plain_engine, FillRequest.single(PREFIX, "", HoleSpec(max_tokens=8), mode="ar"))
    beam = FillRequest.single(PREFIX, "", HoleSpec(max_tokens=8), mode="ar", line_beam=4, candidates=8, temperature=0.9)
    result = run_fill(plain_engine, beam)  # this backend has no batched beams
    assert [candidate.text for candidate in result.candidates] == [greedy.best.text]


def test_infill_uses_the_psm_fim_prompt(fim_engine) -> None:  # type: ignore[no-untyped-def]
    calls = record_inputs(fim_engine)
    result = run_fill(fim_engine, FillRequest.single(PREFIX, SUFFIX, HoleSpec(max_tokens=3)))
    fim = fim_engine.fim
    codec = fim_engine.codec
    assert calls[0] == [fim.prefix, *codec.encode(PREFIX), fim.suffix, *codec.encode(SUFFIX), fim.middle]
    assert all(len(call) == 1 for call in calls[1:])  # then one token at a time from the cache
    assert result.stats["fim"] == 1.0 and result.stats["suffix_ignored"] == 0.0


def test_without_fim_tokens_the_suffix_is_ignored(plain_engine) -> None:  # type: ignore[no-untyped-def]
    infill = run_fill(plain_engine, FillRequest.single(PREFIX, SUFFIX, HoleSpec(max_tokens=5)))
    continuation = run_fill(plain_engine, FillRequest.single(PREFIX, "", HoleSpec(max_tokens=5)))
    assert infill.stats["suffix_ignored"] == 1.0
    assert infill.best.fills == continuation.best.fills


def test_fim_end_tokens_count_as_end_of_text(fim_engine) -> None:  # type: ignore[no-untyped-def]
    fim = fim_engine.fim
    eos = fim_engine.codec.eos_id
    pad = fim_engine.codec.tokenizer.convert_tokens_to_ids("<fim_pad>")
    assert pad in fim.ends
    ids = fim_engine.codec.encode(PREFIX)
    with torch.no_grad():
        raw = fim_engine.causal.model(input_ids=torch.tensor([ids])).logits[0, -1]
    folded, _ = fim_engine.causal.with_ends(fim.ends).prefill(ids)
    assert torch.isclose(folded[eos], torch.logsumexp(raw[[eos, pad]], dim=0), atol=1e-5)
    assert folded[pad] == float("-inf")


def test_stop_rule_cuts_the_text_and_steps_come_first(plain_engine) -> None:  # type: ignore[no-untyped-def]
    request = FillRequest.single(PREFIX, "", HoleSpec(max_tokens=12), mode="ar")
    items = list(plain_engine.iter_fill(request, stop=lambda text: 2 if len(text) >= 2 else None))
    assert all(isinstance(item, Step) for item in items[:-1]) and len(items) >= 2
    assert len(items[-1].best.text) <= 2


def test_validator_ranks_valid_candidates_first(plain_engine) -> None:  # type: ignore[no-untyped-def]
    request = FillRequest.single(PREFIX, "", HoleSpec(max_tokens=4), candidates=3, temperature=1.0, seed=1)
    first = run_fill(plain_engine, request)
    assert 1 <= len(first.candidates) <= 3
    liked = first.candidates[-1].text
    ranked = run_fill(plain_engine, request, validate=lambda fills: fills[0] == liked)
    assert ranked.best.text == liked and ranked.best.valid is True


def test_several_holes_are_refused(plain_engine) -> None:  # type: ignore[no-untyped-def]
    request = FillRequest(segments=("a", "b", "c"), holes=(HoleSpec(), HoleSpec()))
    with pytest.raises(ModelError, match="one hole at a time"):
        run_fill(plain_engine, request)


@pytest.mark.parametrize(
    ("specials", "style", "end"),
    [
        (["</s>", "\u2581<PRE>", "\u2581<SUF>", "\u2581<MID>", "\u2581<EOT>"], "codellama", "\u2581<EOT>"),
        (
            ["<|endoftext|>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|file_sep|>"],
            "qwen",
            "<|file_sep|>",
        ),
        (
            [
                "<\uff5cfim\u2581begin\uff5c>",
                "<\uff5cfim\u2581hole\uff5c>",
                "<\uff5cfim\u2581end\uff5c>",
                "<|EOT|>",
            ],
            "deepseek",
            "<|EOT|>",
        ),
    ],
)
def test_fim_styles_are_detected(tmp_path: Path, specials: list[str], style: str, end: str) -> None:
    tokenizer = save_tokenizer(tmp_path, specials)
    found = hf_causal.find_fim(tokenizer)
    assert found is not None and found.style == style
    assert tokenizer.convert_tokens_to_ids(end) in found.ends


def test_no_fim_without_all_three_tokens(tmp_path: Path) -> None:
    tokenizer = save_tokenizer(tmp_path, ["<|endoftext|>", "<fim_prefix>", "<fim_suffix>"])
    assert hf_causal.find_fim(tokenizer) is None
