"""Turning --device and --model arguments into validated DeviceProfile / ModelSpec (the I/O edge)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from . import paths
from .errors import InputError, KnowledgeError, clip
from .knowledge import Knowledge
from .schemas import DeviceProfile, ModelSpec
from .yamlio import describe_validation, load, read_data

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


# ------------------------------------------------------------------ devices
def profile_files() -> list[Path]:
    return sorted(p for p in paths.PROFILES_DIR.glob("*.y*ml") if p.suffix in {".yaml", ".yml"})


def load_profiles() -> dict[str, DeviceProfile]:
    out: dict[str, DeviceProfile] = {}
    for f in profile_files():
        prof = load(DeviceProfile, f)
        if prof.id != f.stem:
            raise KnowledgeError(f"{f}: id {prof.id!r} must equal the file name {f.stem!r}")
        out[prof.id] = prof
    return out


def resolve_device(arg: str) -> DeviceProfile:
    """A profile id from profiles/, a path to a .yaml/.yml/.json profile, or 'auto' (this machine)."""
    if not arg or not arg.strip():
        raise InputError("--device is empty; give a profile id (see `advisor devices list`), a profile file, or auto")
    if arg == "auto":
        from .detect import detect_profile

        return detect_profile()
    try:
        return _device_from(arg)
    except OSError as exc:  # a name too long, a folder we may not enter: Path.is_file() raises these
        raise InputError(f"--device {clip(arg)}: cannot use this path ({exc.strerror or exc}); "
                         "give an existing profile file or a profile id") from None


def _device_from(arg: str) -> DeviceProfile:
    path = Path(arg).expanduser()
    if path.suffix.lower() in {".yaml", ".yml", ".json"} or os.sep in arg:
        if not path.is_file():
            raise InputError(f"device profile file {arg!r} not found; give an existing .yaml/.json file or a profile id")
        try:
            return load(DeviceProfile, path)
        except KnowledgeError as exc:
            raise InputError(f"device profile {exc}") from None
    candidate = paths.PROFILES_DIR / f"{arg}.yaml"
    if candidate.is_file():
        from .snapshot import cached

        return cached(lambda: load(DeviceProfile, candidate), candidate, name=f"profile-{candidate.stem}")
    ids = [p.stem for p in profile_files()]
    near = _near(arg, ids)
    hint = f" (did you mean {', '.join(near)}?)" if near else ""
    raise InputError(f"unknown device {arg!r}{hint}; run `advisor devices list` or pass a profile file path")


# ------------------------------------------------------------------ models
def resolve_model(arg: str, kb: Knowledge) -> ModelSpec:
    """A catalogue id, a local HF directory (config.json), a .gguf file, or a Hugging Face repo id."""
    if not arg or not arg.strip():
        raise InputError("--model is empty; give a catalogue id (see knowledge/models.yaml), a local folder or a .gguf")
    if arg in kb.models:
        return kb.models[arg]
    lowered = {k.lower(): k for k in kb.models}
    if arg.lower() in lowered:
        return kb.models[lowered[arg.lower()]]
    try:
        return _model_from(arg, kb)
    except OSError as exc:  # a name too long, an unreadable folder: Path.is_dir() / is_file() raise these
        raise InputError(f"--model {clip(arg)}: cannot use this path ({exc.strerror or exc}); "
                         "give an existing folder, a .gguf file or a catalogue id") from None


def _model_from(arg: str, kb: Knowledge) -> ModelSpec:
    path = Path(arg).expanduser()
    if path.suffix.lower() == ".gguf":
        if not path.is_file():
            raise InputError(f"GGUF file {arg!r} not found; check the path")
        from .gguf_meta import spec_from_gguf

        return spec_from_gguf(path)
    if path.is_dir():
        return spec_from_config_dir(path)
    if path.exists():
        raise InputError(f"{arg!r} is neither a folder holding config.json nor a .gguf file")
    if HUB_ID.match(arg) and not arg.startswith((".", "/", "~")):
        return spec_from_hub(arg)
    near = _near(arg, list(kb.models))
    hint = f" (did you mean {', '.join(near)}?)" if near else ""
    raise InputError(
        f"unknown model {arg!r}{hint}; give a catalogue id (`advisor models list`), a folder with config.json, "
        "a .gguf file, or a Hugging Face repo id like org/name"
    )


def spec_from_config_dir(path: Path) -> ModelSpec:
    cfg_path = path / "config.json"
    if not cfg_path.is_file():
        raise InputError(f"{path} has no config.json; point --model at a Hugging Face model folder or a .gguf file")
    try:
        cfg = read_data(cfg_path)
    except KnowledgeError as exc:
        raise InputError(str(exc)) from None
    return spec_from_config(cfg, model_id=path.name or str(path), origin="local", source=str(cfg_path))


def spec_from_config(cfg: object, *, model_id: str, origin: str, source: str) -> ModelSpec:
    """Map a transformers config.json dict to a ModelSpec (nested text_config for multimodal configs)."""
    if not isinstance(cfg, dict):
        raise InputError(f"{source}: config.json must hold a JSON object")
    text = cfg.get("text_config") if isinstance(cfg.get("text_config"), dict) else None
    c = {**cfg, **text} if text else cfg
    heads = c.get("num_attention_heads") or c.get("n_head")
    hidden = c.get("hidden_size") or c.get("n_embd") or c.get("d_model")
    fields = {
        "id": model_id,
        "name": model_id,
        "architecture": c.get("model_type") or cfg.get("model_type") or "unknown",
        "hidden_size": hidden,
        "intermediate_size": c.get("intermediate_size") or c.get("ffn_hidden_size") or (4 * hidden if isinstance(hidden, int) else None),
        "num_hidden_layers": c.get("num_hidden_layers") or c.get("n_layer"),
        "num_attention_heads": heads,
        "num_key_value_heads": c.get("num_key_value_heads") or c.get("num_kv_heads"),
        "head_dim": c.get("head_dim"),
        "vocab_size": c.get("vocab_size"),
        "tie_word_embeddings": _tied(cfg, c),
        "max_position_embeddings": c.get("max_position_embeddings"),
        "num_experts": c.get("num_experts") or c.get("num_local_experts") or c.get("n_routed_experts"),
        "num_experts_per_tok": c.get("num_experts_per_tok") or c.get("moe_top_k"),
        "moe_intermediate_size": c.get("moe_intermediate_size"),
        "origin": origin,
        "source": source,
    }
    missing = [k for k in ("hidden_size", "num_hidden_layers", "num_attention_heads", "vocab_size") if not fields[k]]
    if missing:
        raise InputError(f"{source}: config.json lacks {', '.join(missing)}; is this a decoder LLM config?")
    from .record import validation_error

    try:
        return ModelSpec.model_validate(fields)
    except validation_error() as exc:
        raise InputError(f"{source}: {describe_validation(exc)}") from None


def _tied(cfg: dict, c: dict) -> object:
    """tie_word_embeddings as written (null or absent: false); a string like "false" is left for validation to
    refuse, where bool() would have made it true."""
    value = cfg.get("tie_word_embeddings", c.get("tie_word_embeddings"))
    return False if value is None else value


def spec_from_hub(repo_id: str) -> ModelSpec:
    try:
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import HFValidationError
    except ImportError:  # pragma: no cover - huggingface-hub is a core dependency
        raise InputError("huggingface-hub is not installed; pip install huggingface-hub, or pass a local folder") from None
    try:
        cfg_file = hf_hub_download(repo_id, "config.json", etag_timeout=5)
    except HFValidationError:
        raise InputError(f"{repo_id!r} is not a valid Hugging Face repo id; use org/name or a local folder") from None
    except Exception as exc:  # network, auth, offline, missing repo: all mean "cannot fetch"
        raise InputError(
            f"cannot fetch config.json for {repo_id!r} from the Hugging Face Hub ({exc.__class__.__name__}); "
            "offline? download the folder elsewhere and pass its local path to --model"
        ) from None
    try:
        cfg = json.loads(Path(cfg_file).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InputError(f"config.json of {repo_id!r} is not valid JSON; pass a local folder instead") from None
    spec = spec_from_config(cfg, model_id=repo_id, origin="hub", source=f"https://huggingface.co/{repo_id}")
    return spec.model_copy(update={"hf_repo": repo_id})


def _near(word: str, choices: list[str], n: int = 3) -> list[str]:
    import difflib

    return difflib.get_close_matches(word, choices, n=n, cutoff=0.6)
