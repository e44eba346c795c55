"""`advisor plan`, `advisor predict`, `advisor explain`."""

from __future__ import annotations

from pathlib import Path

import click

from ..schemas import BACKEND_IDS
from .common import console, constraint_options, constraints_from, device_option, given, load_inputs, model_option
from .output import output_options


@click.command(epilog="""\b
Examples:
  advisor plan --device raspberry-pi-5-8gb --model llama-3.2-1b-instruct
  advisor plan -d apple-m2-16gb -m qwen2.5-7b-instruct --max-memory-gb 8 --min-decode-tps 15
  advisor plan -d galaxy-s24-ultra -m ./my-hf-folder --markdown > plan.md
  advisor plan -d auto -m model.gguf --json
  advisor plan -d intel-core-ultra-7-258v-laptop -m llama-3.1-8b-instruct --html plan.html
  advisor plan -d galaxy-s25-ultra -m llama-3.2-3b-instruct --workload rag --priority battery --max-ttft-s 1""")
@device_option
@model_option
@constraint_options
@click.option("--probe", is_flag=True, help="Quantize and measure the top candidates that can run on this machine.")
@click.option("--probe-top", type=click.IntRange(1, 20), default=3, show_default=True, help="How many candidates --probe measures.")
@click.option("--emit-scripts", "emit_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write a runnable conversion/deployment folder per candidate into DIR.")
@click.option("--force", is_flag=True, help="With --emit-scripts: replace a DIR an earlier --emit-scripts wrote (never any other folder).")
@output_options(markdown="Print the plan as Markdown.")
@click.option("--all", "show_all", is_flag=True, help="Show every candidate in the table, not only the top 12.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write a self-contained HTML report (chart of every candidate, table, evidence) to FILE.")
def plan(device, model, probe, probe_top, emit_dir, force, out, show_all, html_file, **kw):
    """Rank every (backend, quantization) candidate for a model on a device, with predicted memory, speed and
    quality (80 % intervals), the decision path, and what was eliminated and why."""
    from ..planner import make_plan
    from ..render import plan_markdown, print_plan

    if force and emit_dir is None:
        raise click.UsageError("--force only applies with --emit-scripts DIR; add it or drop --force")
    if given("probe_top") and not probe:
        raise click.UsageError("--probe-top only applies with --probe; add --probe or drop --probe-top")
    if html_file is not None:
        from ..report_html import check_html_path

        check_html_path(html_file)
    cons = constraints_from(kw)
    kb, cal, dev, spec = load_inputs(device, model)
    from ..probe.localcal import local_calibration

    result = make_plan(dev, spec, cons, kb, local_calibration(cal, dev))
    if probe:
        from ..probe.replan import probe_and_replan

        result = probe_and_replan(result, kb, cal, top=probe_top, progress=out.progress)
    if emit_dir is not None:
        from ..emit import emit_plan_scripts

        try:
            result = emit_plan_scripts(result, emit_dir, force=force)
        except OSError as exc:  # full disk, read-only folder: nothing was written (all or nothing), say why
            from ..errors import AdvisorError

            raise AdvisorError(f"--emit-scripts {emit_dir}: cannot write ({exc.strerror or exc}); nothing was "
                               "written: free space or choose another folder") from None
    if html_file is not None:
        from ..report_html import plan_html, usable_by_unit, write_html

        write_html(html_file, plan_html(result, usable_by_unit(result, kb)))
    out.show(result, human=lambda r: print_plan(console(), r, None if show_all else 12), markdown=plan_markdown)


@click.command(epilog="""\b
Examples:
  advisor predict -d raspberry-pi-5-8gb -m llama-3.2-1b-instruct --backend llamacpp --quant Q4_K_M
  advisor predict -d board.yaml -m ./model-dir --backend llamacpp --quant Q4_0 --prompt-tokens 512 --gen-tokens 128 --json""")
@device_option
@model_option
@click.option("--backend", required=True, type=click.Choice(BACKEND_IDS, case_sensitive=False), help="Backend id.")
@click.option("--quant", required=True, help="Quantization id of that backend (case-insensitive), e.g. Q4_K_M, int4, 4bit, w8a16.")
@click.option("--compute", type=click.Choice(["cpu", "gpu", "npu"]), help="Compute unit (default: the decision tree's first).")
@click.option("--context", type=int, default=4096, show_default=True)
@click.option("--prompt-tokens", type=int, default=512, show_default=True)
@click.option("--gen-tokens", type=int, default=128, show_default=True)
@click.option("--workload", metavar="chat|rag|summarize|code",
              help="Preset prompt and generated tokens; --prompt-tokens/--gen-tokens override it.")
@output_options()
def predict(device, model, backend, quant, compute, out, **kw):
    """Predict memory, decode/prefill speed and quality loss for one backend and quantization."""
    from ..planner import predict_one
    from ..render import candidate_detail

    from ..probe.localcal import local_calibration

    cons = constraints_from(kw)
    kb, cal, dev, spec = load_inputs(device, model)
    cand = predict_one(dev, spec, backend.lower(), quant, cons, kb, local_calibration(cal, dev), compute)
    out.show(cand, human=lambda c: [click.echo(line) for line in candidate_detail(c)])


@click.command(epilog="""\b
Examples:
  advisor explain --device galaxy-s24-ultra --model llama-3.2-3b-instruct
  advisor explain -d intel-core-ultra-7-155h-laptop -m qwen3-4b --json""")
@device_option
@model_option
@constraint_options
@output_options()
def explain(device, model, out, **kw):
    """Show the decision-tree path for a device and model: every branch taken, every admitted route, every
    eliminated backend with its reason."""
    from ..decide import decide

    from ..planner import check_request

    cons = constraints_from(kw)
    kb, _, dev, spec = load_inputs(device, model)
    check_request(dev, cons)
    dec = decide(dev, spec, cons, kb)
    data = {
        "device": dev.id, "model": spec.id, "branch": dec.branch, "path": dec.path,
        "routes": [{"backend": r.backend, "compute": r.compute, "reason": r.reason, "rule_path": list(r.rule_path),
                    "quants": list(r.quants)} for r in dec.routes],
        "eliminated": [e.model_dump() for e in dec.eliminated],
    }
    out.show(dec, human=lambda d: _print_decision(d, spec, dev), data=data)


def _print_decision(dec, spec, dev) -> None:
    con = console()
    con.print(f"[bold]{spec.name or spec.id}[/] on [bold]{dev.name}[/] — branch [cyan]{dec.branch}[/]")
    for i, step in enumerate(dec.path, 1):
        con.print(f"  {i}. {step}")
    con.print("[bold]admitted[/]")
    for r in dec.routes:
        con.print(f"  [green]+[/] {r.backend}/{r.compute}: {r.reason} ({len(r.quants)} quantizations)")
    con.print("[bold]eliminated[/]")
    for e in dec.eliminated:
        con.print(f"  [red]-[/] {e.backend}: {e.reason} [dim]({e.rule})[/]")


COMMANDS = [plan, predict, explain]
