"""Probe jobs on Ray: `--ray local` starts a one-machine cluster (loopback only, no dashboard, stopped at the end);
`--ray ADDRESS` joins an existing one (`ray://head:10001` or `head:6379`; every node needs advisor and the
backends installed). Each job is a Ray task of one CPU running `advisor probe`'s runner; a worker that dies mid-job
is retried by Ray (`retries` times), and a job that still fails comes back as a failed result with Ray's reason."""

from __future__ import annotations

import logging
import os
import tempfile

from ..errors import AdvisorError, BackendMissing, InputError
from ..probe.spec import ProbeRequest, ProbeResult

log = logging.getLogger(__name__)


def _probe_task(req: dict) -> dict:
    """Runs on a Ray worker: one probe, not stored (the driver is the one writer); records the Ray node."""
    import ray

    from ..probe.runner import run_probe

    res = run_probe(ProbeRequest.model_validate(req), save=False)
    ctx = ray.get_runtime_context()
    env = {**res.env, "node": f"{res.env.get('machine', {}).get('host')}/{ctx.get_node_id()[:12]}",
           "worker_pid": os.getpid()}
    return res.model_copy(update={"env": env}).model_dump(mode="json")


_TEMP: list[str] = []  # the session folder of a cluster this process started (removed once it is stopped)


def loopback_only() -> None:
    """Make a cluster started from this process listen on 127.0.0.1 only. Ray turns 127.0.0.1 given as the node
    address into the machine's routable address, except where clusters are disabled (its macOS/Windows default):
    that switch, set in the environment (the cluster's own processes read it) and in Ray's loaded constants."""
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    import ray._private.ray_constants as rc

    rc.ENABLE_RAY_CLUSTER = False


def start(address: str, workers: int) -> bool:
    """Connect to (or start) the cluster; True when this call started it and must stop it (stop())."""
    try:
        import ray
    except ImportError:
        raise BackendMissing("ray", "ray") from None
    if ray.is_initialized():  # a caller (a test, a notebook) already holds a cluster: use it, leave it running
        return False
    try:
        if address == "local":
            # a short path: Ray's unix sockets live under it and their paths are limited to ~107 bytes
            tmp = tempfile.mkdtemp(prefix="adv-ray-", dir="/tmp" if os.path.isdir("/tmp") else None)
            _TEMP.append(tmp)
            loopback_only()
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, _temp_dir=tmp,
                     _node_ip_address="127.0.0.1", configure_logging=False)
        else:
            check_address(address)
            host = address.split("://", 1)[-1].rpartition(":")[0].strip("[]")
            if host in ("127.0.0.1", "localhost", "::1"):  # a cluster on loopback: Ray would rewrite the address
                loopback_only()
            ray.init(address=address, log_to_driver=False, configure_logging=False)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        hint = ""
        if address != "local" and os.environ.get("RAY_AUTH_MODE", "").lower() != "token":
            hint = ("; a cluster with token authentication (Ray's default) also needs RAY_AUTH_MODE=token and its "
                    "token (~/.ray/auth_token or RAY_AUTH_TOKEN) in this environment")
        raise InputError(f"--ray {address}: cannot join the Ray cluster ({str(exc).splitlines()[0][:200]}); "
                         f"give `local` or the head's address (ray://HOST:10001 or HOST:6379){hint}") from None
    return True


def check_address(address: str, timeout_s: float = 10) -> None:
    """A HOST:PORT (or ray://HOST:PORT) nobody listens on is bad input at once: Ray itself would retry for
    minutes. `auto` (the cluster on this node) is left to Ray."""
    import socket

    hostport = address.split("://", 1)[-1]
    if address == "auto" or ":" not in hostport:
        return
    host, _, port = hostport.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s):
            return
    except (OSError, ValueError) as exc:
        raise InputError(f"--ray {address}: nothing answers there ({exc.__class__.__name__}: {exc}); start the "
                         "cluster (`ray start --head`) or give `local`") from None


def stop() -> None:
    import shutil

    import ray

    ray.shutdown()
    while _TEMP:
        shutil.rmtree(_TEMP.pop(), ignore_errors=True)


def run_ray(jobs, on_result, address: str = "local", workers: int = 2, retries: int = 1) -> None:
    """Run (key, Job, ProbeRequest) jobs as Ray tasks; on_result(key, job, ProbeResult) in the driver as each
    finishes, in completion order."""
    import ray

    from .probes import failed

    started = start(address, workers)
    try:
        task = ray.remote(num_cpus=1, max_retries=retries, retry_exceptions=False)(_probe_task)
        futs = {task.remote(req.model_dump(mode="json")): (key, job) for key, job, req in jobs}
        pending = list(futs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for f in done:
                key, job = futs[f]
                try:
                    res = ProbeResult.model_validate(ray.get(f))
                except ray.exceptions.RayError as exc:
                    first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
                    res = failed(job, f"Ray task failed after {retries} retr{'y' if retries == 1 else 'ies'}: "
                                      f"{exc.__class__.__name__}: {first}")
                on_result(key, job, res)
    except AdvisorError:
        raise
    finally:
        if started:
            stop()
