"""Byte-level BPE tokenizer for code, trained with Hugging Face ``tokenizers``; saved as ``tokenizer.json``.

Special tokens are distinct ids at the start of the vocabulary (see :data:`SPECIAL_TOKENS`):
``<|pad|>`` doubles as the *filler* a diffusion canvas may end with (the model chooses how much of the canvas
to use), ``<|mask|>`` marks a position still to be denoised, ``<|bos|>``/``<|eos|>`` bound a document.

Whitespace: the pre-tokenizer keeps runs of spaces and newlines as their own pieces, so BPE learns single
tokens for common indentation ("\\n" + 4/8/12 spaces) instead of spending one token per space.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

PAD = "<|pad|>"
MASK = "<|mask|>"
BOS = "<|bos|>"
EOS = "<|eos|>"
SPECIAL_TOKENS = (PAD, MASK, BOS, EOS)

# Like GPT-2's split, but newline+indentation stays one piece and digits are split in groups of up to 3.
SPLIT_PATTERN = (
    r"\n[ \t]*|[ \t]+(?=\n)|'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}[\p{L}\p{N}_]*|_[\p{L}\p{N}_]*| ?\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+|[ \t]+(?!\S)|[ \t]+"
)


def train_tokenizer(texts: Iterable[str], vocab_size: int = 8192) -> Tokenizer:
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(SPLIT_PATTERN), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return tokenizer


class CodeTokenizer:
    """Thin wrapper with the ids the model needs. Encoding never adds special tokens implicitly."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer
        found = {name: tokenizer.token_to_id(name) for name in SPECIAL_TOKENS}
        missing = [name for name, value in found.items() if value is None]
        if missing:
            raise ValueError(f"tokenizer lacks special tokens {missing}")
        ids = {name: value for name, value in found.items() if value is not None}
        self.pad_id: int = ids[PAD]
        self.mask_id: int = ids[MASK]
        self.bos_id: int = ids[BOS]
        self.eos_id: int = ids[EOS]
        self.special_ids = frozenset(ids.values())
        self.vocab_size = tokenizer.get_vocab_size()

    @classmethod
    def from_file(cls, path: str | Path) -> CodeTokenizer:
        return cls(Tokenizer.from_file(str(path)))

    def save(self, path: str | Path) -> None:
        self.tokenizer.save(str(path))

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False).ids

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return [e.ids for e in self.tokenizer.encode_batch(texts, add_special_tokens=False)]

    def decode(self, ids: Iterable[int]) -> str:
        """Decode, dropping special tokens (filler, masks)."""
        return self.tokenizer.decode([i for i in ids if i not in self.special_ids], skip_special_tokens=False)

    def token_text(self, token_id: int) -> str:
        return self.tokenizer.decode([token_id], skip_special_tokens=False)


def main() -> None:
    import argparse
    import random

    parser = argparse.ArgumentParser(description="Train the byte-level BPE tokenizer on a corpus jsonl")
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--vocab-size", type=int, default=8192)
    parser.add_argument("--sample-chars", type=int, default=40_000_000)
    args = parser.parse_args()
    rows = [json.loads(line)["text"] for line in args.corpus.open(encoding="utf-8")]
    random.Random(0).shuffle(rows)
    sample, total = [], 0
    for text in rows:
        sample.append(text)
        total += len(text)
        if total >= args.sample_chars:
            break
    tokenizer = train_tokenizer(sample, args.vocab_size)
    tokenizer.save(str(args.out))
    wrapped = CodeTokenizer(tokenizer)
    probe = "\n".join(sample[:200])
    print(f"vocab {wrapped.vocab_size}; chars/token on sample: {len(probe) / len(wrapped.encode(probe)):.2f}")


if __name__ == "__main__":
    main()
