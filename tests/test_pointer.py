"""The context pointer (continuous cache): its mixing rule on literal tensors, and its use by the embedded
engine on a tiny seeded model — AR continuation with the pointer equals a fresh pass over the same text, and the
dual context cache and the exact path agree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from engines import embedded_causal, infill_engine

from unmask.model.api import FillRequest, HoleSpec, ModelError, Step, load_engine
from unmask.model.net import NetConfig, UnmaskNet
from unmask.model.pointer import ContextPointer, PointerMemory
from unmask.model.tokenizer import CodeTokenizer, train_tokenizer
from unmask.model.train import export

STDLIB = Path(json.__file__).resolve().parent.parent


def _memory(keys: list[list[float]], values: list[int]) -> PointerMemory:
    tensor = torch.nn.functional.normalize(torch.tensor([keys], dtype=torch.float32), dim=-1)
    return PointerMemory(tensor, torch.tensor([values]), torch.ones((1, len(values)), dtype=torch.bool))


def test_weight_zero_leaves_the_model_alone() -> None:
    logits = torch.randn(1, 2, 10)
    out = ContextPointer(weight=0.0).mix(logits, torch.randn(1, 2, 4), _memory([[1, 0, 0, 0]], [3]))
    assert torch.equal(out, logits)


def test_the_pointer_moves_mass_to_the_token_after_the_most_similar_context() -> None:
    logits = torch.zeros(1, 1, 10)  # the model is uniform: 0.1 each
    memory = _memory([[1, 0, 0, 0], [0, 1, 0, 0]], [7, 2])
    out = ContextPointer(weight=0.5, scale=20.0).mix(logits, torch.tensor([[[1.0, 0, 0, 0]]]), memory).exp()
    assert out.sum().item() == pytest.approx(1.0, abs=1e-5)
    assert out[0, 0, 7] > 0.5 > out[0, 0, 2]  # the query looks like the first entry
    assert out[0, 0].argmax().item() == 7


def test_kept_tokens_keep_the_model_probability() -> None:
    logits = torch.log(torch.tensor([[[0.6, 0.1, 0.1, 0.1, 0.1]]]))
    memory = _memory([[1, 0]], [3])
    out = ContextPointer(weight=0.5, scale=10.0, keep_ids=(0,)).mix(logits, torch.tensor([[[1.0, 0]]]), memory).exp()
    assert out[0, 0, 0].item() == pytest.approx(0.6, abs=1e-5)  # the filler's probability is untouched
    assert out[0, 0].sum().item() == pytest.approx(1.0, abs=1e-5)
    assert out[0, 0, 3] > out[0, 0, 1]


def test_an_empty_memory_changes_nothing() -> None:
    logits = torch.randn(1, 1, 6)
    empty = PointerMemory(torch.zeros(1, 1, 4), torch.zeros(1, 1, dtype=torch.long), torch.zeros(1, 1, dtype=torch.bool))
    out = ContextPointer(weight=0.3).mix(logits, torch.randn(1, 1, 4), empty)
    assert torch.allclose(out, logits.log_softmax(-1), atol=1e-5)


def test_memory_skips_unknown_and_special_next_tokens() -> None:
    hidden = torch.randn(1, 5, 4)
    ids = torch.tensor([[2, 10, 1, 11, 12]])  # 1 is a mask
    known = torch.tensor([[True, True, False, True, True]])
    memory = ContextPointer(special_ids=(1, 2)).memory(hidden, ids, known)
    kept = memory.values[memory.valid].tolist()
    assert kept == [10, 12]  # 0->10 and 3->12; 1->mask and 2->11 (position 2 unknown) are skipped


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    texts = [(STDLIB / name).read_text(encoding="utf-8") for name in ("textwrap.py", "bisect.py", "glob.py")]
    tokenizer = CodeTokenizer(train_tokenizer(texts, vocab_size=500))
    torch.manual_seed(0)
    config = NetConfig(vocab_size=tokenizer.vocab_size, d_model=32, n_layers=2, n_heads=2, ffn_hidden=64)
    folder = tmp_path_factory.mktemp("pointer")
    tokenizer.save(folder / "tok.json")
    export(UnmaskNet(config), folder / "tok.json", folder / "model")
    return folder / "model"


def test_ar_continuation_with_the_pointer_equals_a_fresh_pass(tiny_model: Path) -> None:
    engine = infill_engine(tiny_model, ar_pointer_weight=0.4, pointer_scale=10.0, dtype="float32")
    causal = embedded_causal(engine)
    assert engine.codec.bos_id is not None
    ids = [engine.codec.bos_id] + engine.codec.encode("def total(items):\n    result = 0\n    for item in items:\n")
    with torch.no_grad():
        _, state = causal.prefill(ids[:-3])
        for token in ids[-3:]:
            stepped, state = causal.extend(state, token)
        fresh, _ = causal.prefill(ids)
    assert torch.allclose(stepped, fresh, atol=1e-4)
    plain = embedded_causal(infill_engine(tiny_model, dtype="float32"))  # AR has no pointer by default
    with torch.no_grad():
        assert not torch.allclose(plain.prefill(ids)[0].log_softmax(-1), fresh, atol=1e-3)


def test_diffusion_first_step_with_the_pointer_is_the_same_with_and_without_the_context_cache(tiny_model: Path) -> None:
    request = FillRequest.single("def f(values):\n    total = 0\n", "\n    return total\n", HoleSpec(length_tokens=6),
                                 mode="diffusion", threshold=1.0)
    firsts = []
    for cache in ("dual", "none"):
        engine = load_engine(tiny_model, pointer_weight=0.3, cache=cache, dtype="float32")
        first = next(iter(engine.iter_fill(request)))
        assert isinstance(first, Step)
        firsts.append(first)
    # step 1 is a full pass either way, and the pointer's memory is built from it
    assert firsts[0].fills == firsts[1].fills
    assert [pytest.approx(c) for c in firsts[0].confidence] == list(firsts[1].confidence)


def test_bad_pointer_options_are_model_errors(tiny_model: Path) -> None:
    with pytest.raises(ModelError):
        load_engine(tiny_model, pointer_weight=1.5)
    with pytest.raises(ModelError):
        load_engine(tiny_model, pointer_scale=0)
