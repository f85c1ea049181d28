"""unmask: syntax-aware code infilling with a diffusion language model."""

__version__ = "0.1.0"
