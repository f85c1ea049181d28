"""Hugging Face classes for the embedded model, so ``AutoModel.from_pretrained(path)`` works offline.

    import unmask.model.hf  # registers model_type "unmask" with the Auto classes
    from transformers import AutoConfig, AutoModel
    model = AutoModel.from_pretrained("unmask/model/weights")   # safetensors; no remote code

The module layout and weight names are those of :class:`~unmask.model.net.UnmaskNet` (the engine loads the
same file without transformers, which keeps start-up fast).
"""

from __future__ import annotations

from typing import ClassVar

import torch
from transformers import AutoConfig, AutoModel, PretrainedConfig, PreTrainedModel

from unmask.model.net import NetConfig, UnmaskNet, rope_tables


class UnmaskConfig(PretrainedConfig):
    model_type = "unmask"

    def __init__(self, **kwargs: object) -> None:
        defaults = NetConfig().to_dict()
        for name, value in defaults.items():
            setattr(self, name, kwargs.pop(name, value))
        super().__init__(**kwargs)  # type: ignore[arg-type]

    def net_config(self) -> NetConfig:
        return NetConfig.from_dict({name: getattr(self, name) for name in NetConfig().to_dict()})


class UnmaskForDiffusionLM(PreTrainedModel):
    """Returns logits (B, T, V) predicting the next token; ``causal=True`` for AR mode."""

    config_class = UnmaskConfig
    base_model_prefix = "unmask"
    _no_split_modules: ClassVar[list[str]] = ["Block"]  # type: ignore[misc]  # transformers declares it per instance

    def __init__(self, config: UnmaskConfig) -> None:
        super().__init__(config)
        UnmaskNet.build(self, config.net_config())  # type: ignore[arg-type]
        self.post_init()

    def _init_weights(self, module: torch.nn.Module) -> None:
        UnmaskNet._init(module)
        if module is self:
            # non-persistent RoPE tables are not in the file; from_pretrained builds on the meta device
            embed: torch.nn.Embedding = self.embed  # type: ignore[assignment]  # made by UnmaskNet.build
            cos, sin = rope_tables(self.config.net_config(), device=embed.weight.device)
            self.rope_cos, self.rope_sin = cos, sin

    hidden = UnmaskNet.hidden
    logits = UnmaskNet.logits

    def forward(self, input_ids: torch.Tensor, causal: bool = False, **_: object) -> torch.Tensor:  # type: ignore[override]
        # hidden and logits are UnmaskNet's own methods, borrowed: this class has its modules, not its base
        states, _presents = self.hidden(input_ids, causal=causal)  # type: ignore[misc]
        return self.logits(states)  # type: ignore[misc]


AutoConfig.register("unmask", UnmaskConfig, exist_ok=True)
AutoModel.register(UnmaskConfig, UnmaskForDiffusionLM, exist_ok=True)
