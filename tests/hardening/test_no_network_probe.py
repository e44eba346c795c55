"""`advisor probe` on the cached tiny model needs no network: the guard of test_no_network.py is loaded (through
sitecustomize on PYTHONPATH) by the advisor process and by every worker subprocess it starts, which the test
checks by the pids that loaded it. (llama.cpp's HF -> GGUF converter, run only when the F16 export is not cached,
sets its own PYTHONPATH: it is cached here, so it does not run.)"""

from __future__ import annotations


import pytest
from test_no_network import GUARD, run_guarded

pytestmark = pytest.mark.backend
MARK = '''
with open("/proc/self/cmdline", "rb") as _fh:
    _cmd = _fh.read().replace(b"\\0", b" ").decode(errors="replace")
with open(os.environ["NET_LOG"] + ".pids", "a") as _fh:
    _fh.write(f"{os.getpid()} {_cmd}\\n")
'''


def test_probe_tiny_makes_no_network_calls(tmp_path, probe_cache, monkeypatch):
    import test_no_network

    monkeypatch.setattr(test_no_network, "GUARD", GUARD + MARK)
    p, attempts = run_guarded(tmp_path, "probe", "--backend", "llamacpp", "--quant", "Q8_0", "--model", "tiny",
                              "--gen-tokens", "8", "--json")
    assert p.returncode == 0, p.stderr
    assert '"ok": true' in p.stdout
    assert attempts == [], attempts
    loaded = (tmp_path / "net.log.pids").read_text().splitlines()
    assert len({line.split()[0] for line in loaded}) >= 3, loaded  # advisor + convert worker + measure worker
    assert any("advisor.probe.worker" in line and "convert" in line for line in loaded), loaded
    assert any("advisor.probe.worker" in line and "measure" in line for line in loaded), loaded
