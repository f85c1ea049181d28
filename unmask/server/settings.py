"""The server's configuration: one typed tree with a default on every field.

Settings arrive as JSON objects with camelCase keys (``initializationOptions``, the ``unmask`` section of
``workspace/configuration``, ``workspace/didChangeConfiguration``). :func:`parse_settings` never raises: an
invalid field keeps its default and is reported in the returned problem list, which the server shows once.
Every option is documented in docs/server.md; keep the two in step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

#: The section clients use for us in ``workspace/configuration``.
SECTION = "unmask"

LOG_LEVELS: tuple[str, ...] = ("error", "warning", "info", "debug")
BACKEND_CHOICES: tuple[str, ...] = (
    "auto",
    "embedded",
    "hf_mlm",
    "dream",
    "llada",
    "hf_causal",
    "remote",
    "fake",
)


@dataclass(frozen=True)
class Settings:
    """Everything the user can configure. Field names are the snake_case of the camelCase keys."""

    model_path: str | None = None  # a model folder or URL; None = the shipped model
    backend: str = "auto"  # one of BACKEND_CHOICES; auto reads the model's config.json
    device: str = "cpu"  # torch device for local backends ("cpu", "cuda", "mps")
    compile: bool = False  # compile the embedded model's steps at load (~20-50 s once, fills ~1.3-1.8x faster)
    steps: int | None = None  # most denoising steps per fill; None = engine default
    threshold: float | None = None  # confidence for parallel commits (0..1]; None = engine default
    temperature: float = 0.0  # sampling temperature; 0 = greedy (deterministic)
    max_hole_tokens: int = 96  # most tokens one hole may take
    candidates: int = 1  # candidates sampled per fill; the best valid one is used
    hole_marker: str | None = None  # text marking a hole; None = the grammar's default for the language
    languages: tuple[str, ...] = ()  # enabled LSP languageIds; empty = all
    log_level: str = "info"  # error | warning | info | debug (window/logMessage and --log-file)
    # Testing only (not in the editor clients' settings UI): knobs of the deterministic fake backend.
    fake_step_delay: float = 0.0  # seconds each fake denoising step sleeps
    fake_steps: int = 4  # steps the fake engine takes
    fake_text: str | None = None  # what the fake engine fills every hole with; None = the original text

    def engine_key(self) -> tuple[object, ...]:
        """What identifies the loaded engine: a change here means the model must be reloaded."""
        return (
            self.model_path,
            self.backend,
            self.device,
            self.compile,
            self.fake_step_delay,
            self.fake_steps,
            self.fake_text,
        )

    def engine_options(self) -> dict[str, object]:
        """Keyword options for :func:`unmask.model.api.load_engine` besides path and backend."""
        if self.backend == "fake":
            return {"steps": self.fake_steps, "step_delay_s": self.fake_step_delay, "text": self.fake_text}
        return {"device": self.device, **({"compile": "on"} if self.compile else {})}

    def request_options(self) -> dict[str, object]:
        """Keyword options every fill gets (passed through unmask.editing's plan_* functions)."""
        options: dict[str, object] = {
            "temperature": self.temperature,
            "candidates": self.candidates,
            "max_tokens": self.max_hole_tokens,
        }
        if self.steps is not None:
            options["steps"] = self.steps
        if self.threshold is not None:
            options["threshold"] = self.threshold
        return options

    def language_enabled(self, language_id: str) -> bool:
        return not self.languages or language_id in self.languages


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _int(low: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"must be an integer >= {low}")
        return value

    return check


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")  # noqa: TRY004 - every checker raises ValueError
    return value


def _float(low: float, high: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise ValueError(f"must be a number in [{low}, {high}]")
        return float(value)

    return check


def _optional(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else check(value)


def _string(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("must be a non-empty string")
    return value


def _choice(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return str(value)

    return check


def _string_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError("must be a list of languageIds")
    return tuple(value)


#: field name -> checker that returns the parsed value or raises ValueError with what is expected.
CHECKS: dict[str, Callable[[Any], Any]] = {
    "model_path": _optional(_string),
    "backend": _choice(BACKEND_CHOICES),
    "device": _string,
    "compile": _bool,
    "steps": _optional(_int(1)),
    "threshold": _optional(_float(0.0, 1.0)),
    "temperature": _float(0.0, 10.0),
    "max_hole_tokens": _int(1),
    "candidates": _int(1),
    "hole_marker": _optional(_string),
    "languages": _string_list,
    "log_level": _choice(LOG_LEVELS),
    "fake_step_delay": _float(0.0, 60.0),
    "fake_steps": _int(1),
    "fake_text": _optional(lambda value: value if isinstance(value, str) else _string(value)),
}

KEYS: dict[str, str] = {_camel(field.name): field.name for field in fields(Settings)}


def parse_settings(raw: object, base: Settings | None = None) -> tuple[Settings, list[str]]:
    """Overlay the camelCase options in ``raw`` on ``base`` (default: all defaults).

    Returns the settings and one problem string per rejected value; a rejected key keeps its value from
    ``base``. ``raw`` None or {} changes nothing. Unknown keys are skipped, not problems: editors send their
    own client-side keys in the same section (``server``, ``trace``, ``inline``…); see :func:`unknown_keys`.
    """
    settings = base or Settings()
    if raw is None:
        return settings, []
    if not isinstance(raw, Mapping):
        return settings, [f"settings must be a JSON object, not {type(raw).__name__}"]
    changes: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in raw.items():
        name = KEYS.get(str(key))
        if name is None:
            continue
        try:
            changes[name] = CHECKS[name](value)
        except ValueError as exc:
            problems.append(f"{key}: {exc} (got {value!r}); using {getattr(settings, name)!r}")
    return replace(settings, **changes), problems


def unknown_keys(raw: object) -> list[str]:
    """Keys in ``raw`` that are not server options (logged, since they may be typos or client-side keys)."""
    if not isinstance(raw, Mapping):
        return []
    return [str(key) for key in raw if str(key) not in KEYS]


def settings_to_json(settings: Settings) -> dict[str, object]:
    """The camelCase JSON form (what docs/server.md and the editor clients list as defaults)."""
    out: dict[str, object] = {}
    for field in fields(settings):
        value = getattr(settings, field.name)
        out[_camel(field.name)] = list(value) if isinstance(value, tuple) else value
    return out
