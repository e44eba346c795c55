"""`advisor probe` and `advisor measurements list|export`."""

from __future__ import annotations

import click

from ..schemas import BACKEND_IDS
from .common import console
from .output import output_options


@click.command(epilog="""\b
Examples:
  advisor probe --backend llamacpp --quant Q4_K_M
  advisor probe --backend openvino --quant int4 --json
  advisor probe --backend qnn --quant w8a16 --model ./my-small-hf-model
  advisor probe --backend olive --quant int8 --model tiny --threads 1
  advisor probe --backend qnn --quant w8a16 --aihub-device "Samsung Galaxy S24"   # needs an AI Hub token""")
@click.option("--backend", required=True, type=click.Choice(BACKEND_IDS, case_sensitive=False), help="Backend id.")
@click.option("--quant", required=True, help="Quantization id (case-insensitive), e.g. Q4_K_M, int4, int8, w8a16, 4bit.")
@click.option("--model", "-m", default="builtin", show_default=True, metavar="builtin|tiny|DIR",
              help="builtin (SmolLM2-135M), tiny (its first 2 layers, for tests) or a local Hugging Face folder.")
@click.option("--threads", type=click.IntRange(1, 1024), help="CPU threads (default: physical cores).")
@click.option("--prompt-tokens", type=click.IntRange(8, 4096), default=256, show_default=True,
              help="Held-out tokens scored for quality (and timed as prefill).")
@click.option("--gen-tokens", type=click.IntRange(1, 1024), default=32, show_default=True,
              help="Tokens generated to time decode.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(1, 86400), default=600, show_default=True,
              help="Seconds each phase (convert, measure) may take.")
@click.option("--mem-cap-gib", type=click.FloatRange(0.1, 10000), default=8, show_default=True,
              help="Kill the probe when its processes' RSS exceeds this.")
@click.option("--aihub-device", metavar="NAME", help="With --backend qnn: measure on this Qualcomm AI Hub device "
              "(quantize + compile + profile jobs; needs a token, see docs/sweep.md).")
@output_options()
def probe(backend, quant, model, threads, prompt_tokens, gen_tokens, timeout_s, mem_cap_gib, aihub_device, out):
    """Quantize a probe model with one backend and measure it here: file size, conversion and load time, peak
    RSS, prefill/decode tokens/s, and quality against the FP32 reference (KL, top-1, perplexity). Runs in a
    subprocess with a timeout and a memory cap; the result is stored (`advisor measurements list`)."""
    from ..errors import ProbeFailed
    from ..probe.progress import progress_steps
    from ..probe.request import check_request, default_threads, require_backend
    from ..probe.runner import run_probe
    from ..probe.spec import ProbeRequest

    backend = backend.lower()
    q = check_request(backend, quant)
    if aihub_device is not None:
        from ..probe import aihub

        if backend != "qnn":
            raise click.UsageError("--aihub-device only applies with --backend qnn")
        aihub.hub_device(aihub_device)
        aihub.quantize_dtypes(q)
        aihub.require_token()  # exit 3 before anything is built, submitted or stored
    require_backend(backend)
    req = ProbeRequest(backend=backend, quant=q, model=model, threads=threads or default_threads(),
                       prompt_tokens=prompt_tokens, gen_tokens=gen_tokens, timeout_s=timeout_s, mem_cap_gib=mem_cap_gib)
    if model not in ("builtin", "tiny"):
        from ..probe.models import resolve

        resolve(model)  # bad folders fail here with exit 2, before any subprocess
    with progress_steps(out.progress) as step:
        if aihub_device is not None:
            from ..probe import store
            from ..probe.aihub import hub_probe

            res = hub_probe(req, aihub_device, step=step)
            res = store.save(res)
        else:
            res = run_probe(req, step=step)
    out.show(res, human=_print_probe)
    if not res.ok:
        raise ProbeFailed(f"probe {backend} {q} failed: {res.reason}")


def _print_probe(res) -> None:
    from ..probe.report import result_table

    console().print(result_table(res))
    for n in res.measured.notes:
        click.echo(f"note: {n}")
    if res.measured.method:
        click.echo(f"method: {res.measured.method}")


@click.group(epilog="""\b
Examples:
  advisor measurements list
  advisor measurements list --json
  advisor measurements export --csv > probes.csv
  advisor measurements check""")
def measurements():
    """Stored probe results (SQLite in the user data folder)."""


@measurements.command("list")
@click.option("--backend", type=click.Choice(BACKEND_IDS, case_sensitive=False), help="Only this backend.")
@click.option("--all-machines", is_flag=True, help="Include probes stored from other machines.")
@output_options()
def measurements_list(backend, all_machines, out):
    """List stored probes for this machine, newest last."""
    from ..probe import store
    from ..probe.env import fingerprint

    rows = [r for r in store.load(None if all_machines else fingerprint()) if not backend or r.backend == backend.lower()]
    out.show(rows, human=_print_measurements, data=[store.flat(r) for r in rows])


def _print_measurements(rows) -> None:
    from rich.table import Table

    from ..probe import store
    from ..render import num

    t = Table(title=f"{len(rows)} stored probes ({store.db_path()})")
    for c in ("id", "created", "backend", "quant", "model", "ok", "MiB", "decode/s", "prefill/s", "KL", "top-1"):
        t.add_column(c)
    f = lambda x: "-" if x is None else num(x)  # noqa: E731
    for r in rows:
        m = r.measured
        ok = ("yes, under load" if r.under_load else "yes") if r.ok else f"no: {r.reason}"
        t.add_row(str(r.id), r.created or "", r.backend, r.quant, r.model, ok,
                  f(m.weights_gib and m.weights_gib * 1024), f(m.decode_tokens_per_s), f(m.prefill_tokens_per_s),
                  f(m.kld), f(m.top1_agreement))
    console().print(t)


@measurements.command("export")
@output_options(csv="CSV (one row per probe, flat columns).", default="json")
@click.option("--all-machines", is_flag=True, help="Include probes stored from other machines.")
def measurements_export(all_machines, out):
    """Write every stored probe to stdout: full JSON (default, with environment) or flat CSV."""
    from ..probe import store
    from ..probe.env import fingerprint

    rows = store.load(None if all_machines else fingerprint())
    out.show(rows, csv=store.to_csv, data=[r.model_dump(mode="json") for r in rows])


@measurements.command("check")
@output_options()
def measurements_check(out):
    """Check the store's integrity (SQLite's own check; every sweep key points to one stored probe). Exit 1 when
    something is wrong."""
    from ..errors import AdvisorError
    from ..probe import store

    problems = store.check()
    out.show({"store": str(store.db_path()), "ok": not problems, "problems": problems},
             human=lambda r: None if problems else click.echo(f"ok: {r['store']}"))
    if problems:
        raise AdvisorError(f"measurement store {store.db_path()}: {'; '.join(problems)}; move it aside to start a "
                           "new one")


COMMANDS = [probe, measurements]
