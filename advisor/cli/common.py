"""Options shared by several commands, defined once, and the helpers that turn them into domain objects."""

from __future__ import annotations

import click

from ..errors import InputError
from ..schemas import BACKEND_IDS


def console(stderr: bool = False):
    """A rich console for human output: a width from COLUMNS only when it makes sense (streams.py), and a broken
    pipe raised as BrokenPipeError for main() to end quietly with 0 (rich itself would exit 1)."""
    from rich.console import Console

    from .streams import terminal_width

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

    return _Console(stderr=stderr, highlight=False, soft_wrap=False, width=terminal_width())


def device_option(f):
    return click.option(
        "--device", "-d", required=True, metavar="ID|PATH|auto",
        help="A profile id from profiles/ (`advisor devices list`), a .yaml/.json profile file, or auto for this machine.",
    )(f)


def model_option(f):
    return click.option(
        "--model", "-m", required=True, metavar="MODEL",
        help="Catalogue id (`advisor models list`), a folder holding config.json, a .gguf file, or a Hugging Face repo id.",
    )(f)


def _positive(name):
    def check(ctx, param, value):
        if value is not None and value <= 0:
            raise click.BadParameter(f"must be > 0, got {value}", param_hint=f"--{name}")
        return value
    return check


def constraint_options(f):
    """--max-memory-gb ... --priority; collected into a Constraints by `constraints_from()`."""
    opts = [
        click.option("--max-memory-gb", type=float, callback=_positive("max-memory-gb"),
                     help="Peak memory budget in GiB (memory is sold in binary units)."),
        click.option("--min-decode-tps", type=float, help="Minimum decode speed, tokens/s."),
        click.option("--min-prefill-tps", type=float, help="Minimum prompt-processing speed, tokens/s."),
        click.option("--max-quality-loss", type=float, help="Maximum perplexity increase, %."),
        click.option("--context", type=int, default=4096, show_default=True, help="Context length the KV cache is sized for."),
        click.option("--prompt-tokens", type=int, default=512, show_default=True, help="Prompt length the prefill speed refers to."),
        click.option("--gen-tokens", type=int, default=128, show_default=True, help="Generated tokens the decode speed refers to."),
        click.option("--backend", "backends", multiple=True, type=click.Choice(BACKEND_IDS, case_sensitive=False),
                     help="Restrict to a backend (repeatable)."),
        click.option("--os", "target_os", type=click.Choice(["linux", "macos", "windows", "android", "ios"]),
                     help="Target OS when the device runs several."),
        click.option("--priority", type=click.Choice(["balanced", "speed", "quality", "size", "latency", "battery"]),
                     default="balanced", show_default=True,
                     help="What the score favours: latency = answer time for the workload, battery = energy per answer."),
        click.option("--workload", metavar="chat|rag|summarize|code",
                     help="Preset prompt and generated tokens (knowledge/workloads.yaml); --prompt-tokens/--gen-tokens "
                          "override it."),
        click.option("--max-ttft-s", type=float, callback=_positive("max-ttft-s"),
                     help="Maximum time to the first token, seconds."),
        click.option("--max-energy-j", type=float, callback=_positive("max-energy-j"),
                     help="Maximum energy of one answer, joules."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def constraints_from(kw: dict):
    from ..record import validation_error

    from ..schemas import Constraints
    from ..yamlio import describe_validation

    data = {
        "max_memory_gb": kw.pop("max_memory_gb", None), "min_decode_tps": kw.pop("min_decode_tps", None),
        "min_prefill_tps": kw.pop("min_prefill_tps", None), "max_quality_loss": kw.pop("max_quality_loss", None),
        "context": kw.pop("context", 4096), "prompt_tokens": kw.pop("prompt_tokens", 512),
        "gen_tokens": kw.pop("gen_tokens", 128), "os": kw.pop("target_os", None),
        "priority": kw.pop("priority", "balanced"),
        "max_ttft_s": kw.pop("max_ttft_s", None), "max_energy_j": kw.pop("max_energy_j", None),
    }
    _apply_workload(data, kw.pop("workload", None))
    backends = kw.pop("backends", ())
    if backends:
        data["backend"] = [b.lower() for b in backends]
    _fit_default_workload(data)
    try:
        return Constraints.model_validate(data)
    except validation_error() as exc:
        loc = describe_validation(exc)
        flag = "--" + loc.split(":")[0].replace("_", "-")
        raise InputError(f"bad constraint {flag}: {loc.split(':', 1)[1].strip()}; see `advisor plan --help`") from None


def _apply_workload(data: dict, name: str | None) -> None:
    """--workload sets prompt and generated tokens unless the user typed them."""
    if name is None:
        return
    from ..knowledge import load_knowledge

    presets = load_knowledge().workloads
    key = name.strip().lower()
    if key not in presets:
        raise InputError(f"unknown --workload {name!r}; choose one of: {', '.join(sorted(presets))}")
    w = presets[key]
    data["workload"] = key
    if not given("prompt_tokens"):
        data["prompt_tokens"] = w.prompt_tokens
    if not given("gen_tokens"):
        data["gen_tokens"] = w.gen_tokens


def given(name: str) -> bool:
    """Whether the user typed option `name` (a parameter name) rather than getting its default."""
    from click.core import ParameterSource

    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return True
    return ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT)


def _fit_default_workload(data: dict) -> None:
    """A short --context with the default workload (512 + 128 tokens) shrinks the defaults to fit it; a workload
    the user typed is left as typed, and make_plan refuses one that does not fit."""
    ctx_len, prompt, gen = data["context"], data["prompt_tokens"], data["gen_tokens"]
    if not isinstance(ctx_len, int) or ctx_len < 2 or prompt + gen <= ctx_len:
        return
    if given("gen_tokens") or given("prompt_tokens") or data.get("workload"):
        return
    data["gen_tokens"] = max(1, min(gen, ctx_len // 4))
    data["prompt_tokens"] = ctx_len - data["gen_tokens"]


def load_inputs(device: str, model: str):
    """Resolve --device and --model against the knowledge base; returns (kb, cal, device, model)."""
    from ..calibration import load_calibration
    from ..knowledge import load_knowledge
    from ..resolve import resolve_device, resolve_model

    kb = load_knowledge()
    dev = resolve_device(device)
    spec = resolve_model(model, kb)
    return kb, load_calibration(), dev, spec
