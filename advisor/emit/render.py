"""Jinja2 rendering of a candidate's folder. Shell templates quote every `{{ value }}` with shlex.quote."""

from __future__ import annotations

import json
import shlex
from functools import lru_cache
from importlib import resources

from ..schemas import Candidate, Plan
from .context import candidate_context, folder_name

EXEC, DATA = 0o755, 0o644
# Each backend's files come from its registry entry (knowledge/backends.yaml `emit:`); `*.j2` files are rendered,
# others copied byte for byte. These go into every folder:
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


def files(backend: str) -> list[tuple[str, str, int]]:
    """(template, output name, mode) of a backend's folder, from its registry entry, then the common files."""
    from ..knowledge import load_knowledge

    em = load_knowledge().backends[backend].emit
    own = [(f"{em.templates}/{f.src}", f.dst, EXEC if f.executable else DATA) for f in em.files]
    return own + COMMON


def render_candidate(plan: Plan, cand: Candidate, rank: int) -> tuple[str, dict[str, tuple[str, int]]]:
    """Return the folder name and `{file name: (text, mode)}` for one candidate."""
    from ..knowledge import load_knowledge

    ctx = candidate_context(plan, cand, rank)
    out: dict[str, tuple[str, int]] = {}
    readme = f"{load_knowledge().backends[cand.backend].emit.templates}/README.md.j2"
    for tpl, name, mode in files(cand.backend):
        if tpl.endswith(".j2"):
            text = _env(name.endswith(".sh")).get_template(tpl).render(**ctx)
        else:
            text = _raw(tpl)
        out[name] = (text, mode)
    out["README.md"] = (_env(False).get_template(readme).render(**ctx), DATA)
    out["settings.json"] = (json.dumps(ctx["settings"], indent=2) + "\n", DATA)
    for name, data in ctx.get("extra_json", {}).items():
        out[name] = (json.dumps(data, indent=2) + "\n", DATA)
    return ctx["folder"], out


def render_index(plan: Plan, folders: list[str]) -> str:
    rows = list(zip(plan.candidates, folders))
    return _env(False).get_template("_common/index.md.j2").render(plan=plan, rows=rows)


__all__ = ["render_candidate", "render_index", "shquote", "folder_name"]
