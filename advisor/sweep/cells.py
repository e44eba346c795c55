"""What a sweep covers: --models, --devices, --backends and --quants resolved into models and devices.

A selector that cannot be resolved (an unknown id, a broken file) does not stop the sweep: it becomes an error entry
that the table records as one row with the reason. Only a selector list that is empty or malformed as a whole is
bad input (exit 2)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import AdvisorError, InputError, clip
from ..schemas import BACKEND_IDS

LIST_SUFFIXES = {".txt", ".list", ".lst"}
PROBE_MODELS = ("builtin", "tiny")  # the shipped probe model (and its 2-layer cut) as sweep models
BUILTIN_SPEC = "smollm2-135m-instruct"  # the catalogue entry the builtin probe model is (SmolLM2-135M-Instruct)


@dataclass(frozen=True)
class Entry:
    """One resolved selector: `name` is what the table shows; `value` the ModelSpec/DeviceProfile, or None with
    `error` saying why it could not be resolved."""

    name: str
    value: object = None
    error: str | None = None


def split(values: tuple[str, ...] | list[str], flag: str) -> list[str]:
    """Repeated and comma-separated values, in order, without duplicates."""
    out: list[str] = []
    for v in values:
        for part in str(v).split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    if not out:
        raise InputError(f"{flag} is empty; give at least one value (see `advisor sweep --help`)")
    return out


LIST_MAX_BYTES = 16 * 2**20  # a list of ids and paths; more is not a list
ENTRY_MAX = 4096  # PATH_MAX: no id or path is longer (a 50 MB line became 260 MB of sweep output)


def _read_list(path: Path, flag: str) -> list[str]:
    """A file listing one selector per line (blank lines and # comments ignored)."""
    try:
        with path.open("rb") as f:
            raw = f.read(LIST_MAX_BYTES + 1)
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{flag} {clip(str(path))}: cannot read this list ({exc}); give a UTF-8 text file with "
                         "one entry per line") from None
    if len(raw) > LIST_MAX_BYTES:
        raise InputError(f"{flag} {clip(str(path))}: over {LIST_MAX_BYTES // 2**20} MiB, not a list of ids and "
                         "paths; give a file with one entry per line")
    items = [ln.split("#", 1)[0].strip() for ln in text.splitlines()]
    long = next((n for n, i in enumerate(items, 1) if len(i) > ENTRY_MAX), None)
    if long is not None:
        raise InputError(f"{flag} {clip(str(path))}: line {long} is {len(items[long - 1]):,} characters long; no id "
                         f"or path is over {ENTRY_MAX}: check the file")
    items = [i for i in items if i]
    if not items:
        raise InputError(f"{flag} {clip(str(path))} lists nothing; put one entry per line")
    return items


def _expand(values: list[str], flag: str, every: list[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        if v == "all":
            items = every
        elif Path(v).suffix.lower() in LIST_SUFFIXES and Path(v).is_file():
            items = _expand(_read_list(Path(v), flag), flag, every)
        else:
            items = [v]
        out.extend(i for i in items if i not in out)
    return out


def resolve_models(values: list[str], kb) -> list[Entry]:
    """ids, folders, .gguf files, list files, `all` (the catalogue), `builtin`/`tiny` (the shipped probe model)."""
    from ..resolve import resolve_model

    out = []
    for name in _expand(values, "--models", list(kb.models)):
        try:
            out.append(Entry(name, _probe_spec(name, kb) if name in PROBE_MODELS else resolve_model(name, kb)))
        except AdvisorError as exc:
            out.append(Entry(name, error=str(exc)))
    return out


def _probe_spec(name: str, kb):
    """The shipped probe model as a model to plan: SmolLM2-135M-Instruct (its catalogue entry), `tiny` cut to the
    first 2 layers as the probe builds it; predictions need only the architecture, so nothing is built here."""
    from ..probe.models import BUILTINS

    spec = kb.models[BUILTIN_SPEC]
    layers = BUILTINS[name][1]
    update: dict[str, object] = {"id": name, "origin": "local"}
    if layers:
        update.update(num_hidden_layers=layers, params_b=None)
    return spec.model_copy(update=update)


def resolve_devices(values: list[str]) -> list[Entry]:
    """ids, profile files, `class:NAME` (every shipped profile of that class), `all`, `auto` (this machine)."""
    from ..resolve import load_profiles, resolve_device

    profiles = load_profiles()
    out: list[Entry] = []
    names: list[str] = []
    for v in _expand(values, "--devices", list(profiles)):
        if v.startswith("class:"):
            cls = v.split(":", 1)[1]
            hits = [p for p in profiles.values() if p.class_ == cls]
            if not hits:
                classes = sorted({p.class_ for p in profiles.values()})
                out.append(Entry(v, error=f"no shipped profile has class {cls!r}; choose one of {', '.join(classes)}"))
            for p in hits:
                if p.id not in names:
                    names.append(p.id)
                    out.append(Entry(p.id, p))
            continue
        if v in names:
            continue
        names.append(v)
        try:
            dev = resolve_device(v)
            out.append(Entry("auto" if v == "auto" else v, dev))
        except AdvisorError as exc:
            out.append(Entry(v, error=str(exc)))
    return out


def check_backends(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    out = [v.lower() for v in values]
    bad = [v for v in out if v not in BACKEND_IDS]
    if bad:
        raise InputError(f"--backends: unknown backend {bad[0]!r}; choose from {', '.join(BACKEND_IDS)}")
    return out


def check_quants(values: list[str] | None, backends: list[str] | None, kb) -> list[str] | None:
    """Quantization ids (case-insensitive) that at least one selected backend knows."""
    if not values:
        return None
    pool = backends or list(kb.backends)
    known = {q.upper() for b in pool if b in kb.backends for q in kb.backends[b].quants}
    out = []
    for v in values:
        if v.upper() not in known:
            raise InputError(f"--quants: {v!r} is not a quantization of {', '.join(pool)}; see `advisor "
                             "knowledge validate` or docs/user-guide.md for the ids")
        out.append(v.upper())
    return out
