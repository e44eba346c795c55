"""`advisor devices list|show`, `advisor models list`, `advisor detect`."""

from __future__ import annotations

import click

from .common import console
from .output import output_options


@click.group(epilog="""\b
Examples:
  advisor devices list
  advisor devices list --class snapdragon --json
  advisor devices show raspberry-pi-5-8gb""")
def devices():
    """The device profile library (profiles/*.yaml)."""


@devices.command("list")
@click.option("--class", "cls", help="Only this device class, e.g. apple_silicon, arm_sbc, snapdragon.")
@output_options()
def devices_list(cls, out):
    """List the shipped device profiles."""
    from ..resolve import load_profiles

    profs = [p for p in load_profiles().values() if cls is None or p.class_ == cls]
    out.show(profs, human=_print_profiles, data=[p.model_dump(mode="json", by_alias=True) for p in profs])


def _print_profiles(profs) -> None:
    from rich import box
    from rich.table import Table

    t = Table(title=f"{len(profs)} device profiles", box=box.SIMPLE_HEAD)
    # ids are copied into --device: never cut; only the last column wraps (tests/core/test_widths.py)
    t.add_column("id", no_wrap=True, min_width=max((len(p.id) for p in profs), default=2))
    t.add_column("class", no_wrap=True)
    t.add_column("GB", justify="right", no_wrap=True)
    t.add_column("GB/s", justify="right", no_wrap=True)
    t.add_column("accelerators", overflow="fold")
    for p in profs:
        acc = ", ".join(f"{a.kind}:{a.name or a.vendor}" for a in p.accelerators) or "-"
        t.add_row(p.id, p.class_, f"{p.memory.total_gb:g}", f"{p.memory.bandwidth_gbs:g}", acc)
    console().print(t)


@devices.command("show")
@click.argument("device_id", metavar="ID|PATH")
@output_options()
def devices_show(device_id, out):
    """Show one profile with its sources."""
    from ..resolve import resolve_device

    out.show(resolve_device(device_id), human=_print_yaml)


def _print_yaml(p) -> None:
    """A profile as the YAML a profile file holds (no empty fields)."""
    import yaml

    click.echo(yaml.safe_dump(p.model_dump(mode="json", by_alias=True, exclude_none=True), sort_keys=False), nl=False)


@click.group()
def models():
    """The model catalogue (knowledge/models.yaml)."""


@models.command("list")
@output_options()
def models_list(out):
    """List catalogue models with their parameter counts."""
    from ..architecture import count_params
    from ..knowledge import load_knowledge

    kb = load_knowledge()
    rows = []
    for m in kb.models.values():
        pc = count_params(m)
        rows.append({"id": m.id, "architecture": m.architecture, "params_b": round(pc.total / 1e9, 3),
                     "active_params_b": round(pc.active / 1e9, 3), "hf_repo": m.hf_repo})
    out.show(rows, human=_print_models)


def _print_models(rows) -> None:
    from ..tablefit import Col, fit

    # ids are copied into --model: never cut; on a narrow terminal the hub repo folds under the id
    # (tests/core/test_widths.py)
    cols = [Col("id", lambda r: r["id"], keep=True), Col("architecture", lambda r: r["architecture"], short="arch"),
            Col("params B", lambda r: f"{r['params_b']:.2f}", "right"),
            Col("active B", lambda r: f"{r['active_params_b']:.2f}", "right"),
            Col("hub repo", lambda r: f"[dim]{r['hf_repo'] or '-'}[/]", fold_into="id")]
    con = console()
    con.print(fit(cols, rows, con.width, title=f"{len(rows)} catalogue models"))


@click.command(epilog="""\b
Examples:
  advisor detect
  advisor detect --json > this-machine.yaml.json
  advisor plan --device auto --model llama-3.2-1b-instruct""")
@click.option("--no-bandwidth", is_flag=True, help="Skip the ~1 s memory-bandwidth copy test.")
@output_options()
def detect(no_bandwidth, out):
    """Describe this machine as a device profile (CPU, ISA flags, RAM, measured bandwidth, GPUs, OS)."""
    from ..detect import detect_profile

    out.show(detect_profile(measure=not no_bandwidth), human=_print_yaml)


COMMANDS = [devices, models, detect]
