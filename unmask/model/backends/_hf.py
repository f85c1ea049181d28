"""What the Hugging Face adapters share: safe loading, tokenizers as codecs, bidirectional forward passes.

Rules every adapter follows: files are read from the local folder only (``local_files_only``), code shipped
with a checkpoint is never run (``trust_remote_code=False``), and weights load from ``*.safetensors`` only —
a folder holding only pickle files (``*.bin``, ``*.pt``…) is refused with a :class:`ModelError`.

Denoising here is exact: every step runs the whole row (no context cache), so a step costs the whole window.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from unmask.model.api import ModelError

if TYPE_CHECKING:
    from unmask.model.engine import InfillEngine

PICKLE_SUFFIXES = frozenset({".bin", ".pt", ".pth", ".pkl", ".ckpt"})
SAFE_SINGLE = "model.safetensors"
SAFE_INDEX = "model.safetensors.index.json"


# -- folders, configs, weights -------------------------------------------------------------------------------


def model_folder(path: str | None, backend: str) -> Path:
    if not path:
        raise ModelError(
            f"the {backend} backend needs a model folder: set modelPath to a Hugging Face checkpoint"
        )
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise ModelError(f"{folder}: model folder not found")
    return folder


def read_config(folder: Path) -> dict[str, Any]:
    path = folder / "config.json"
    if not path.is_file():
        raise ModelError(f"{folder}: no config.json here; pass a Hugging Face model folder")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise ModelError(f"{path}: expected a JSON object")
    return raw


def weight_files(folder: Path) -> list[Path]:
    """The folder's safetensors files; a :class:`ModelError` when there are none (naming any pickle files)."""
    index = folder / SAFE_INDEX
    if index.is_file():
        try:
            shards = sorted(set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values()))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"{index}: cannot read the shard index ({exc})") from exc
        missing = [name for name in shards if not (folder / name).is_file()]
        if missing:
            raise ModelError(f"{folder}: shards listed in {SAFE_INDEX} are missing: {', '.join(missing[:3])}")
        return [folder / name for name in shards]
    if (folder / SAFE_SINGLE).is_file():
        return [folder / SAFE_SINGLE]
    others = sorted(folder.glob("*.safetensors"))
    if others:
        return others
    pickles = sorted(p.name for p in folder.iterdir() if p.suffix in PICKLE_SUFFIXES)
    if pickles:
        raise ModelError(
            f"{folder}: only pickle weights here ({', '.join(pickles[:3])}); unmask loads safetensors only, "
            "because unpickling can run arbitrary code. Convert the checkpoint to model.safetensors first."
        )
    raise ModelError(f"{folder}: no model.safetensors here")


def read_state(folder: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    state: dict[str, torch.Tensor] = {}
    for path in weight_files(folder):
        try:
            state.update(load_file(str(path)))
        except (SafetensorError, OSError, ValueError) as exc:
            raise ModelError(f"{path}: truncated or corrupt ({exc})") from exc
    return state


def resolve_dtype(name: str | None, stored: torch.dtype | None) -> torch.dtype:
    """``auto``: the stored dtype (float32 when unknown); otherwise a torch dtype name."""
    if name in (None, "auto"):
        return stored or torch.float32
    dtype = getattr(torch, str(name), None)
    if not isinstance(dtype, torch.dtype):
        raise ModelError(f"unknown dtype {name!r}; use auto, float32, bfloat16 or float16")
    return dtype


def build_with_state(
    factory: Callable[[], torch.nn.Module],
    state: dict[str, torch.Tensor],
    *,
    tied: dict[str, str] | None = None,
    dtype: torch.dtype = torch.float32,
    where: Path,
) -> torch.nn.Module:
    """Instantiate without random init, then take ``state`` (already renamed to the module's names).

    ``tied`` maps a parameter that may be absent to the one it shares storage with (``lm_head.weight`` ->
    ``model.embed_tokens.weight``). Missing or unexpected keys raise :class:`ModelError`.
    """
    try:
        from transformers.initialization import no_init_weights
    except ImportError:  # transformers 4.x
        from transformers.modeling_utils import no_init_weights  # type: ignore[attr-defined,no-redef]
    with no_init_weights():
        model = factory()
    expected = set(model.state_dict())
    tied = tied or {}
    missing = sorted(expected - set(state) - set(tied))
    unexpected = sorted(set(state) - expected)
    if missing or unexpected:
        raise ModelError(
            f"{where}: the weights do not match config.json (missing {missing[:4]}, unexpected {unexpected[:4]})"
        )
    try:
        model.load_state_dict({k: v.to(dtype) for k, v in state.items()}, strict=False, assign=True)
    except RuntimeError as exc:
        raise ModelError(f"{where}: the weights do not match config.json ({str(exc)[:300]})") from exc
    for target, source in tied.items():
        if target not in state:
            module_name, _, attr = target.rpartition(".")
            owner_name, _, source_attr = source.rpartition(".")
            setattr(
                model.get_submodule(module_name), attr, getattr(model.get_submodule(owner_name), source_attr)
            )
    return model.to(dtype).eval()


def build_checkpoint(
    factory: Callable[[], torch.nn.Module],
    state: dict[str, torch.Tensor],
    *,
    tie_embeddings: bool,
    dtype: str | None,
    device: str,
    where: Path,
) -> torch.nn.Module:
    """:func:`build_with_state` for a ported checkpoint (its keys already renamed): ``dtype="auto"`` keeps the
    stored dtype, a tied ``lm_head`` may be absent, and the model is placed on ``device``."""
    stored = next(iter(state.values())).dtype if state else None
    tied = {"lm_head.weight": "model.embed_tokens.weight"} if tie_embeddings else {}
    model = build_with_state(factory, state, tied=tied, dtype=resolve_dtype(dtype, stored), where=where)
    return place(model, device)


def load_pretrained(auto_class: Any, folder: Path, *, dtype: str | None, device: str, what: str) -> Any:
    """``auto_class.from_pretrained`` on a local folder, safely (local files, safetensors, no remote code), in
    evaluation mode on ``device``; a checkpoint it cannot read raises :class:`ModelError` naming ``what``."""
    from safetensors import SafetensorError

    options: dict[str, Any] = {}
    if dtype not in (None, "auto"):
        options["dtype"] = resolve_dtype(dtype, None)
    try:
        model = auto_class.from_pretrained(
            str(folder), local_files_only=True, trust_remote_code=False, use_safetensors=True, **options
        )
    except (OSError, ValueError, KeyError, RuntimeError, SafetensorError) as exc:  # corrupt file, wrong shapes
        raise ModelError(f"{folder}: cannot load it as {what} ({str(exc)[:300]})") from exc
    return place(model.eval(), device)


def place(model: torch.nn.Module, device: str) -> torch.nn.Module:
    try:
        return model.to(device)
    except (RuntimeError, AssertionError, ValueError) as exc:
        raise ModelError(f"device {device!r} is not available here ({exc}); use device 'cpu'") from exc


def parameter_count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# -- tokenizers -----------------------------------------------------------------------------------------------


def load_tokenizer(folder: Path) -> Any:
    """The folder's tokenizer without running its code.

    Order: ``AutoTokenizer`` (built-in classes only); else ``tokenizer.json`` as a fast tokenizer; else a
    byte-level BPE from ``vocab.json`` + ``merges.txt`` (the Qwen2 layout that Dream's custom tokenizer uses).
    Special tokens come from ``tokenizer_config.json`` / ``special_tokens_map.json``.
    """
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    try:
        return AutoTokenizer.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False)
    except Exception as first:  # remote-code classes, missing files: transformers raises many kinds
        specials = _special_tokens(folder)
        if (folder / "tokenizer.json").is_file():
            try:
                return PreTrainedTokenizerFast(tokenizer_file=str(folder / "tokenizer.json"), **specials)
            except Exception as exc:
                raise ModelError(f"{folder / 'tokenizer.json'}: cannot load the tokenizer ({exc})") from exc
        if (folder / "vocab.json").is_file() and (folder / "merges.txt").is_file():
            from transformers import Qwen2Tokenizer

            try:
                # positional: transformers 4 names them vocab_file/merges_file, 5 names them vocab/merges
                tokenizer = Qwen2Tokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"))
            except Exception as exc:
                raise ModelError(f"{folder}: cannot load vocab.json/merges.txt ({exc})") from exc
            tokenizer.add_special_tokens(specials)  # type: ignore[arg-type]
            added = _added_tokens(folder)
            if added:
                tokenizer.add_tokens(added, special_tokens=True)
            return tokenizer
        raise ModelError(f"{folder}: no usable tokenizer ({str(first)[:200]})") from first


def _special_tokens(folder: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for name in ("special_tokens_map.json", "tokenizer_config.json"):
        path = folder / name
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for key in (
            "bos_token",
            "eos_token",
            "pad_token",
            "mask_token",
            "unk_token",
            "cls_token",
            "sep_token",
        ):
            value = data.get(key)
            if isinstance(value, dict):
                value = value.get("content")
            if isinstance(value, str) and key not in found:
                found[key] = value
    return found


def _added_tokens(folder: Path) -> list[str]:
    path = folder / "tokenizer_config.json"
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    decoder = data.get("added_tokens_decoder") or {}
    ordered = sorted(((int(k), v.get("content")) for k, v in decoder.items()), key=lambda item: item[0])
    return [content for _, content in ordered if isinstance(content, str)]


def token_id(tokenizer: Any, token: str) -> int | None:
    """The id of ``token`` if the vocabulary holds it as one token, else None."""
    value = tokenizer.convert_tokens_to_ids(token)
    if value is None or value == tokenizer.unk_token_id and token != tokenizer.unk_token:
        return None
    return int(value)


class HFCodec:
    """A Hugging Face tokenizer as the engine's :class:`~unmask.model.diffusion.TextCodec`.

    Encoding never adds special tokens; decoding drops the filler, masks and the ``banned_ids``.
    """

    def __init__(
        self,
        tokenizer: Any,
        *,
        mask_id: int,
        pad_id: int | None,
        bos_id: int | None,
        eos_id: int | None,
        banned_ids: Iterable[int],
    ) -> None:
        self.tokenizer = tokenizer
        self.mask_id = mask_id
        self.pad_id = pad_id
        self.bos_id = bos_id
        self.eos_id = eos_id
        self.banned_ids: Sequence[int] = tuple(sorted({int(i) for i in banned_ids if i is not None}))
        self._hidden = {i for i in (mask_id, pad_id, bos_id, eos_id, *self.banned_ids) if i is not None}

    def encode(self, text: str) -> list[int]:
        if not text:
            return []
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def decode(self, ids: Sequence[int]) -> str:
        kept = [int(i) for i in ids if int(i) not in self._hidden]
        return str(self.tokenizer.decode(kept, skip_special_tokens=False, clean_up_tokenization_spaces=False))

    def token_text(self, token_id: int) -> str:
        return str(
            self.tokenizer.decode([token_id], skip_special_tokens=False, clean_up_tokenization_spaces=False)
        )


def special_ids(tokenizer: Any) -> set[int]:
    return {int(i) for i in getattr(tokenizer, "all_special_ids", []) if i is not None}


# -- denoising over a full forward pass ------------------------------------------------------------------------


def additive_mask(key_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """(B, T) bool, True for real tokens -> (B, 1, T, T) additive mask: every query sees every real key.

    A ready 4D float mask is passed through untouched by transformers' mask preparation (so the decoder
    classes build no causal mask) and works for both its SDPA and eager attention.
    """
    B, T = key_mask.shape
    hidden = torch.zeros((B, 1, 1, T), dtype=dtype, device=key_mask.device)
    hidden = hidden.masked_fill(~key_mask[:, None, None, :], torch.finfo(dtype).min)
    return hidden.expand(B, 1, T, T)


class FullSession:
    """Runs the whole row every step and gathers the logits that predict the canvas slots.

    ``shift``: the logits at position ``j - 1`` predict the token at ``j`` (Dream); position 0 predicts itself,
    as in Dream's own sampler. Otherwise the logits at ``j`` predict ``j`` (BERT, LLaDA).
    """

    def __init__(
        self,
        forward: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
        key_mask: torch.Tensor,
        canvas: torch.Tensor,
        shift: bool,
        device: str,
    ) -> None:
        self.forward = forward
        self.key_mask = key_mask.to(device)
        self.device = device
        B = canvas.shape[0]
        self.rows = torch.arange(B, device=device).unsqueeze(1)
        self.source = ((canvas - 1).clamp(min=0) if shift else canvas).to(device)

    def keep_rows(self, keep: torch.Tensor) -> None:
        """Drop the rows whose ``keep`` is False (finished)."""
        keep = keep.to(self.device)
        self.key_mask, self.source = self.key_mask[keep], self.source[keep]
        self.rows = torch.arange(int(keep.sum()), device=self.device).unsqueeze(1)

    def predict(self, ids: torch.Tensor, slots: torch.Tensor | None = None) -> torch.Tensor:
        source = self.source if slots is None else self.source.gather(1, slots.to(self.device))
        logits = self.forward(ids.to(self.device), self.key_mask, source)  # (B, Q or K, V)
        return logits.float().cpu()


class FullDenoiser:
    """A :class:`~unmask.model.diffusion.Denoiser` over ``forward(ids, key_mask, source) -> (B, Q, V)``."""

    def __init__(
        self,
        forward: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
        window: int,
        shift: bool,
        device: str,
    ) -> None:
        self.forward = forward
        self.window = window
        self.shift = shift
        self.device = device

    def session(self, ids, key_mask, canvas, valid):  # type: ignore[no-untyped-def]
        return FullSession(self.forward, key_mask, canvas, self.shift, self.device)


def filler_id_for(filler: str | None, eos_id: int | None) -> int | None:
    """The filler token of a diffusion checkpoint: its end-of-text token (``"eos"``, how Dream and LLaDA pad
    a generation) or none (``None``: the canvas length is the fill length)."""
    if filler not in ("eos", None):
        raise ModelError(f"filler must be 'eos' or None, not {filler!r}")
    return eos_id if filler == "eos" else None


def denoiser_engine(
    backend: str,
    folder: Path,
    model: torch.nn.Module,
    tokenizer: Any,
    forward: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
    *,
    mask_id: int,
    filler_id: int | None,
    bos_id: int | None,
    context: int,
    shift: bool,
    device: str,
    threshold: float,
    vocab_size: int | None = None,
) -> InfillEngine:
    """The :class:`~unmask.model.engine.InfillEngine` of a full-attention diffusion checkpoint (no AR mode, no
    context cache): special tokens other than the filler are never generated."""
    from unmask.model.engine import InfillEngine

    banned = (special_ids(tokenizer) | {mask_id}) - {filler_id}
    if vocab_size is not None:
        banned = {i for i in banned if i < vocab_size}
    codec = HFCodec(tokenizer, mask_id=mask_id, pad_id=filler_id, bos_id=bos_id, eos_id=None, banned_ids=banned)
    info = {
        "backend": backend,
        "path": str(folder),
        "parameters": parameter_count(model),
        "device": device,
        "context_tokens": context,
        "cache": "none (exact)",
        "mask_id": mask_id,
        "filler_id": filler_id,
    }
    denoiser = FullDenoiser(forward, context, shift=shift, device=device)
    return InfillEngine(f"{backend}:{folder.name}", codec, denoiser, None, info, default_threshold=threshold)
