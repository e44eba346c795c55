"""`advisor sweep`: models x devices [x backends x quantizations] into one table, optionally probed on Ray."""

from __future__ import annotations

from pathlib import Path

import click

from .output import output_options


@click.command(epilog="""\b
Examples:
  advisor sweep --models all --devices all --out sweep-all
  advisor sweep --models llama-3.2-1b-instruct,qwen3-4b --devices class:arm_sbc,auto --out pi-sweep
  advisor sweep --models models.txt --devices ./board.yaml --backends llamacpp --quants Q4_0,Q8_0 --out s
  advisor sweep --models builtin --devices auto --backends llamacpp --quants Q4_0,Q8_0 --probe --ray local --out s
  advisor sweep --models ./my-hf-folder --devices auto --probe --ray ray://head:10001 --out s
  advisor sweep --models builtin --devices galaxy-s24-ultra --backends qnn --quants w8a16 --probe \\
      --aihub-device "Samsung Galaxy S24" --out s
Rerunning the same command skips the cells already in DIR (add --retry-failed to redo failed ones).""")
@click.option("--models", "models", multiple=True, required=True, metavar="M[,M...]",
              help="Catalogue ids, folders, .gguf files, a .txt file listing them, `all` (the catalogue) or "
                   "`builtin`/`tiny` (the shipped probe model). Repeatable, comma-separated.")
@click.option("--devices", "devices", multiple=True, required=True, metavar="D[,D...]",
              help="Profile ids, profile files, class:NAME, `all` (every shipped profile) or auto. Repeatable.")
@click.option("--backends", "backends", multiple=True, metavar="B[,B...]", help="Only these backends.")
@click.option("--quants", "quants", multiple=True, metavar="Q[,Q...]", help="Only these quantizations.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for sweep.csv, sweep.jsonl, probes.jsonl (created; reused to resume).")
@click.option("--context", type=click.IntRange(2, 10_000_000), default=4096, show_default=True,
              help="Context length the KV cache is sized for.")
@click.option("--workers", type=click.IntRange(1, 256), help="Planning processes (default: CPU count).")
@click.option("--probe", is_flag=True, help="Also run real probe quantizations for the cells that run on Linux x86.")
@click.option("--ray", "ray_address", metavar="local|ADDRESS",
              help="With --probe: schedule probes on Ray (`local` starts one here; else join ADDRESS).")
@click.option("--probe-workers", type=click.IntRange(1, 1024),
              help="With --probe: probes at once (default 1 on the local pool, 2 with --ray local).")
@click.option("--threads", type=click.IntRange(1, 1024), help="CPU threads per probe (default: cores / probe workers).")
@click.option("--timeout", "timeout_s", type=click.FloatRange(1, 86400), default=600, show_default=True,
              help="Seconds each probe phase may take.")
@click.option("--aihub-device", metavar="NAME", help="With --probe: QNN cells are measured on this Qualcomm AI Hub "
              "device (needs a token).")
@click.option("--retry-failed", is_flag=True, help="Redo cells and probes that failed in an earlier run.")
@click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")
@output_options()
def sweep(models, devices, backends, quants, out_dir, context, workers, probe, ray_address, probe_workers, threads,
          timeout_s, aihub_device, retry_failed, no_progress, out):
    """Plan many models on many devices into one table (DIR/sweep.csv, one row per model x device x candidate,
    and DIR/sweep.jsonl), in parallel; with --probe, measure the candidates this machine (or a Ray cluster) can
    run and store them with the other probes. Bad cells become rows with their reason; a rerun resumes."""
    import os

    from ..knowledge import load_knowledge
    from ..sweep.cells import check_backends, check_quants, resolve_devices, resolve_models, split
    from ..sweep.run import SweepRequest, run_sweep

    if not probe:
        for flag, v in (("--ray", ray_address), ("--probe-workers", probe_workers), ("--aihub-device", aihub_device),
                        ("--threads", threads)):
            if v is not None:
                raise click.UsageError(f"{flag} only applies with --probe; add --probe or drop {flag}")
    kb = load_knowledge()
    bks = check_backends(split(backends, "--backends") if backends else None)
    qs = check_quants(split(quants, "--quants") if quants else None, bks, kb)
    if ray_address is not None:
        ray_address = ray_address.strip()
        if not ray_address or len(ray_address) > 300 or any(c.isspace() for c in ray_address):
            raise click.BadParameter("give `local` or the head's address, e.g. ray://10.0.0.5:10001",
                                     param_hint="--ray")
        import importlib.util

        if importlib.util.find_spec("ray") is None:
            from ..errors import BackendMissing

            raise BackendMissing("ray", "ray")
        from ..sweep.ray_pool import check_address

        check_address(ray_address)  # nobody listening there: exit 2 before anything is written
    if aihub_device is not None:
        from ..probe import aihub

        aihub.hub_device(aihub_device)
        aihub.require_token()  # exit 3 before any file is written
    mods = resolve_models(split(models, "--models"), kb)
    devs = resolve_devices(split(devices, "--devices"))
    req = SweepRequest(models=mods, devices=devs, out=out_dir, backends=bks, quants=qs,
                       constraints={"context": context, "prompt_tokens": min(512, context // 2),
                                    "gen_tokens": min(128, max(1, context // 4))},
                       workers=workers or os.cpu_count() or 1, probe=probe, ray=ray_address,
                       probe_workers=probe_workers, threads=threads, probe_timeout_s=timeout_s,
                       retry_failed=retry_failed, aihub_device=aihub_device)
    summary = run_sweep(req, progress=out.progress and not no_progress)
    out.show(summary, human=lambda s: _print_summary(s, probe), data=summary.__dict__)


def _print_summary(summary, probe: bool) -> None:
    click.echo(f"{summary.rows} rows from {summary.cells} cells ({summary.planned} planned, {summary.skipped} "
               f"already done, {summary.errors} error rows) -> {summary.csv}")
    if probe:
        click.echo(f"probes: {summary.probes_run} run ({summary.probes_failed} failed), {summary.probes_reused} "
                   "reused; stored with the other probes (`advisor measurements list`)")


COMMANDS = [sweep]
