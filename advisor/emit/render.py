"""Jinja2 rendering of a candidate's folder. Shell templates quote every `{{ value }}` with shlex.quote."""

from __future__ import annotations

import json
import shlex
from functools import lru_cache
from importlib import resources

from ..schemas import Candidate, Plan
from .context import candidate_context, folder_name

EXEC, DATA = 0o755, 0o644
# (template, output name, mode) per backend; `*.j2` files are rendered, others copied byte for byte.
FILES: dict[str, list[tuple[str, str, int]]] = {
    "llamacpp": [("llamacpp/run.sh.j2", "run.sh", EXEC), ("llamacpp/llama_py.py", "llama_py.py", EXEC)],
    "olive": [("olive/run.sh.j2", "run.sh", EXEC), ("olive/olive_helper.py", "olive_helper.py", EXEC)],
    "openvino": [("openvino/run.sh.j2", "run.sh", EXEC), ("openvino/ov_helper.py", "ov_helper.py", EXEC)],
    "mlx": [("mlx/run.sh.j2", "run.sh", EXEC)],
    "qnn": [("qnn/run.sh.j2", "run.sh", EXEC), ("qnn/aihub_job.py", "aihub_job.py", EXEC)],
}
COMMON = [("_common/report.py", "report.py", EXEC), ("_common/sample.txt", "sample.txt", DATA)]


def shquote(value: object) -> str:
    """Every expression in a shell template goes through this: a value can never become code."""
    if isinstance(value, bool):
        value = int(value)
    return shlex.quote(str(value))


@lru_cache(maxsize=2)
def _env(shell: bool):
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("advisor", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=shquote if shell else None,
        comment_start_string="{#-#",  # bash's ${#array[@]} must not open a Jinja comment
        comment_end_string="#-#}",
    )
    env.filters["q"] = shquote
    env.filters["oneline"] = lambda v: " ".join(str(v).split())
    env.filters["tojson"] = lambda v: json.dumps(v, indent=2)
    return env


def _raw(path: str) -> str:
    return resources.files("advisor").joinpath("templates", path).read_text(encoding="utf-8")


def render_candidate(plan: Plan, cand: Candidate, rank: int) -> tuple[str, dict[str, tuple[str, int]]]:
    """Return the folder name and `{file name: (text, mode)}` for one candidate."""
    ctx = candidate_context(plan, cand, rank)
    out: dict[str, tuple[str, int]] = {}
    for tpl, name, mode in FILES[cand.backend] + COMMON:
        if tpl.endswith(".j2"):
            text = _env(name.endswith(".sh")).get_template(tpl).render(**ctx)
        else:
            text = _raw(tpl)
        out[name] = (text, mode)
    out["README.md"] = (_env(False).get_template(f"{cand.backend}/README.md.j2").render(**ctx), DATA)
    out["settings.json"] = (json.dumps(ctx["settings"], indent=2) + "\n", DATA)
    for name, data in ctx.get("extra_json", {}).items():
        out[name] = (json.dumps(data, indent=2) + "\n", DATA)
    return ctx["folder"], out


def render_index(plan: Plan, folders: list[str]) -> str:
    rows = list(zip(plan.candidates, folders))
    return _env(False).get_template("_common/index.md.j2").render(plan=plan, rows=rows)


__all__ = ["render_candidate", "render_index", "shquote", "folder_name"]
