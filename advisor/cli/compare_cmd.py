"""`advisor compare` (one model, several devices) and `advisor claims` (the chapter's table on a device)."""

from __future__ import annotations

from pathlib import Path

import click

from .common import console, constraint_options, constraints_from
from .output import output_options


def _device_ids(devices: tuple[str, ...], selectors: tuple[str, ...]) -> list[str]:
    """--device A --device B and --devices class:NAME / --devices a,b, in the order given, without repeats."""
    from ..errors import InputError
    from ..resolve import load_profiles
    from ..schemas import DeviceProfile

    out = list(devices)
    profs = None
    for sel in selectors:
        sel = sel.strip()
        if sel.startswith("class:"):
            cls = sel.split(":", 1)[1].strip()
            classes = DeviceProfile.field_types()["class_"].__args__
            if cls not in classes:
                raise InputError(f"--devices {sel}: unknown class {cls!r}; choose one of: {', '.join(classes)}")
            profs = profs if profs is not None else load_profiles()
            out += sorted(p for p, v in profs.items() if v.class_ == cls)
        else:
            out += [s.strip() for s in sel.split(",") if s.strip()]
    seen: list[str] = []
    for d in out:
        if d not in seen:
            seen.append(d)
    if not seen:
        raise InputError("compare needs devices: add --device ID (repeatable) or --devices class:NAME")
    if len(seen) > 64:
        raise InputError(f"compare takes at most 64 devices, got {len(seen)}; narrow --devices")
    return seen


@click.command(epilog="""\b
Examples:
  advisor compare -m llama-3.2-3b-instruct -d raspberry-pi-5-8gb -d jetson-orin-nano-8gb -d galaxy-s24-ultra
  advisor compare -m qwen2.5-7b-instruct --devices class:apple_silicon --json
  advisor compare -m llama-3.1-8b-instruct --devices apple-m3-16gb,intel-core-ultra-7-258v-laptop --markdown
  advisor compare -m phi-3.5-mini-instruct --devices class:arm_sbc --html boards.html""")
@click.option("--model", "-m", required=True, metavar="MODEL", help="Catalogue id, config.json folder, .gguf, or hub id.")
@click.option("--device", "-d", "devices", multiple=True, metavar="ID|PATH|auto", help="A device (repeatable).")
@click.option("--devices", "selectors", multiple=True, metavar="class:NAME|ID,ID",
              help="Every profile of a class (class:apple_silicon), or a comma-separated list of ids (repeatable).")
@constraint_options
@output_options(markdown="Print the comparison as Markdown.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write a self-contained HTML report with one chart per device to FILE.")
def compare(model, devices, selectors, out, html_file, **kw):
    """One model on several devices side by side: the best candidate per device and per backend, with memory,
    decode speed, time to first token and quality loss (80 % intervals)."""
    from ..calibration import load_calibration
    from ..compare import compare as build
    from ..knowledge import load_knowledge
    from ..planner import make_plan
    from ..probe.localcal import local_calibration
    from ..render_compare import compare_markdown
    from ..resolve import resolve_device, resolve_model

    if html_file is not None:
        from ..report_html import check_html_path

        check_html_path(html_file)
    cons = constraints_from(kw)
    ids = _device_ids(devices, selectors)
    kb, cal = load_knowledge(), load_calibration()
    spec = resolve_model(model, kb)
    plans = []
    for d in ids:
        dev = resolve_device(d)
        plans.append(make_plan(dev, spec, cons, kb, local_calibration(cal, dev)))
    rep = build(plans, spec, cons)
    if html_file is not None:
        from ..report_html import compare_html, usable_by_unit, write_html

        write_html(html_file, compare_html(rep, plans, [usable_by_unit(p, kb) for p in plans]))
    out.show(rep, human=lambda r: _print_compare(r, html_file), markdown=compare_markdown)


def _print_compare(rep, html_file: Path | None) -> None:
    from ..render_compare import compare_table

    con = console()
    con.print(compare_table(rep, con.width))
    for d in rep.devices:
        con.print(f"[bold]{d.device}[/]: {d.summary}")
    if html_file is not None:
        click.echo(f"wrote {html_file}", err=True)


@click.command(epilog="""\b
Examples:
  advisor claims --device galaxy-s24-ultra
  advisor claims -d apple-m3-16gb --model llama-3.1-8b-instruct --json
  advisor claims -d intel-core-ultra-7-258v-laptop --markdown > claims.md""")
@click.option("--device", "-d", required=True, metavar="ID|PATH|auto", help="A profile id, a profile file, or auto.")
@click.option("--model", "-m", default=None, metavar="MODEL",
              help="The model the claims are checked with (default: llama-2-7b, the chapter's 7B model).")
@click.option("--context", type=int, default=4096, show_default=True, help="Context length the KV cache is sized for.")
@output_options(markdown="Print the table as Markdown.")
def claims(device, model, context, out):
    """The course chapter's benchmark table (llama.cpp Q4_K_M ~4 GB 2-3x, Olive INT4 60-75 % less 2-6x,
    OpenVINO INT8/INT4 50-75 % less 2-5x, QNN INT8/INT4 50-80 % less 5-15x, MLX 4-bit ~4 GB 2-4x) checked on a
    device: per row the baseline it is compared with (the same backend's FP16 on the same unit), the predicted
    memory and speed-up with 80 % intervals, and a verdict: consistent, contradicted, or not applicable (with the
    decision tree's reason)."""
    from ..claims import DEFAULT_MODEL, check_claims
    from ..probe.localcal import local_calibration
    from ..render_compare import claims_markdown, print_claims
    from .common import load_inputs

    cons = constraints_from({"context": context})
    kb, cal, dev, spec = load_inputs(device, model or DEFAULT_MODEL)
    from ..planner import check_request

    check_request(dev, cons)
    from ..claims import ratio_band
    from ..speed_data import load_speed_rows

    cal = local_calibration(cal, dev)
    rows, _, _ = load_speed_rows(kb, kb.engines)
    rep = check_claims(dev, spec, cons, kb, cal, ratio_band(rows, cal, kb.engines))
    out.show(rep, human=lambda r: print_claims(console(), r), markdown=claims_markdown)


COMMANDS = [compare, claims]
