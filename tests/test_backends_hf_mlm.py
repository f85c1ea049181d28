"""The masked-LM adapter on tiny random BERT / RoBERTa checkpoints with a byte-level BPE tokenizer."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from test_backends_common import PREFIX, SUFFIX, save_tokenizer, tiny_bert

from unmask.model.api import FillRequest, HoleSpec, ModelError, load_engine, run_fill


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_bert(tmp_path_factory.mktemp("bert"))


@pytest.fixture(scope="module")
def engine(folder: Path):  # type: ignore[no-untyped-def]
    return load_engine(folder)  # auto: architectures ["BertForMaskedLM"]


def test_auto_picks_hf_mlm_and_frames_rows_with_cls_and_sep(engine) -> None:  # type: ignore[no-untyped-def]
    tokenizer = engine.codec.tokenizer
    assert engine.describe()["backend"] == "hf_mlm"
    assert engine.codec.mask_id == tokenizer.mask_token_id
    assert (engine.codec.bos_id, engine.codec.eos_id) == (tokenizer.cls_token_id, tokenizer.sep_token_id)
    assert engine.codec.pad_id is None  # no filler: the canvas is the fill
    assert engine.causal is None


def test_predictions_are_unshifted_masked_lm_logits(engine, folder: Path) -> None:  # type: ignore[no-untyped-def]
    from transformers import AutoModelForMaskedLM

    codec = engine.codec
    ids = torch.tensor(
        [[codec.bos_id, *codec.encode("return a"), codec.mask_id, codec.mask_id, codec.eos_id]]
    )
    canvas = torch.tensor([[ids.shape[1] - 3, ids.shape[1] - 2]])
    session = engine.denoiser.session(
        ids, torch.ones_like(ids, dtype=torch.bool), canvas, torch.ones_like(canvas, dtype=torch.bool)
    )
    ours = session.predict(ids)
    with torch.no_grad():
        theirs = AutoModelForMaskedLM.from_pretrained(str(folder)).eval()(input_ids=ids).logits
    torch.testing.assert_close(ours[0], theirs[0, canvas[0]], atol=1e-5, rtol=1e-4)


def test_fill_has_exactly_the_canvas_length(engine) -> None:  # type: ignore[no-untyped-def]
    result = run_fill(engine, FillRequest.single(PREFIX, SUFFIX, HoleSpec(length_tokens=4)))
    assert result.mode == "diffusion"
    assert len(result.best.tokens[0]) == 4
    banned = set(engine.codec.banned_ids)
    assert all(token.id not in banned for token in result.best.tokens[0])


def test_an_append_is_filled_by_diffusion_with_an_empty_suffix(engine) -> None:  # type: ignore[no-untyped-def]
    request = FillRequest.single(PREFIX, "\n", HoleSpec(length_tokens=3))
    assert request.resolved_mode() == "ar"
    result = run_fill(engine, request)
    assert result.mode == "diffusion" and len(result.best.tokens[0]) == 3


def test_two_holes_are_denoised_jointly(engine) -> None:  # type: ignore[no-untyped-def]
    request = FillRequest(
        segments=("x = ", "\ny = ", "\n"), holes=(HoleSpec(length_tokens=2), HoleSpec(length_tokens=3))
    )
    result = run_fill(engine, request)
    assert [len(t) for t in result.best.tokens] == [2, 3]


def test_roberta_window_leaves_room_for_its_position_offset(tmp_path: Path) -> None:
    from transformers import RobertaConfig, RobertaForMaskedLM

    tokenizer = save_tokenizer(
        tmp_path,
        ["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        bos_token="<s>",
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
        mask_token="<mask>",
        cls_token="<s>",
        sep_token="</s>",
    )
    config = RobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=4,
        max_position_embeddings=66,
        pad_token_id=tokenizer.pad_token_id,
    )
    RobertaForMaskedLM(config).save_pretrained(str(tmp_path), safe_serialization=True)
    engine = load_engine(tmp_path)
    assert engine.describe()["context_tokens"] == 64
    long_prefix = "def add(a, b):\n    return a + b\n" * 20  # cropped to the window, never past its positions
    assert (
        len(
            run_fill(engine, FillRequest.single(long_prefix, SUFFIX, HoleSpec(length_tokens=2))).best.tokens[
                0
            ]
        )
        == 2
    )


def test_a_tokenizer_without_mask_token_is_refused(tmp_path: Path) -> None:
    from transformers import BertConfig, BertForMaskedLM

    tokenizer = save_tokenizer(
        tmp_path, ["[PAD]", "[CLS]", "[SEP]"], pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]"
    )
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=4,
    )
    BertForMaskedLM(config).save_pretrained(str(tmp_path), safe_serialization=True)
    with pytest.raises(ModelError, match="no mask token"):
        load_engine(tmp_path, backend="hf_mlm")
