"""calibration.json and measurement_map.yaml are validated when loaded (issue 13): a malformed file is one line
naming the key, never a KeyError or TypeError in the middle of a plan or a fit."""

from __future__ import annotations

import json

import pytest
import yaml

from advisor import paths
from advisor.calibration import check_calibration, load_calibration
from advisor.errors import KnowledgeError
from advisor.speed_data import check_measurement_map


def _cal() -> dict:
    return json.loads(paths.CALIBRATION_FILE.read_text())


def _map() -> dict:
    return yaml.safe_load((paths.KNOWLEDGE_DIR / "data" / "measurement_map.yaml").read_text())


def test_shipped_files_validate():
    check_calibration(_cal(), "shipped")
    check_measurement_map(_map(), "shipped")


@pytest.mark.parametrize("break_it, where", [
    (lambda d: d["speed"].pop("decode"), "speed.decode"),
    (lambda d: d["speed"]["prefill"]["engine"].update({"x": "fast"}), "speed.prefill.engine.x"),
    (lambda d: d["speed"]["decode"]["bands"].update({"x": [1, 2]}), "speed.decode.bands.x"),
    (lambda d: d["quality"].update({"resid": "wide"}), "quality.resid"),
    (lambda d: d["size"].pop("default"), "size.default"),
    (lambda d: d.update({"speed": []}), "speed"),
])
def test_malformed_calibration_is_one_line(tmp_path, break_it, where):
    d = _cal()
    break_it(d)
    p = tmp_path / "calibration.json"
    p.write_text(json.dumps(d))
    with pytest.raises(KnowledgeError) as e:
        load_calibration(p)
    msg = str(e.value)
    assert "\n" not in msg and where in msg and "calibrate --rebuild" in msg


@pytest.mark.parametrize("break_it, where", [
    (lambda d: d.pop("quants"), "quants"),
    (lambda d: d["models"].append({"pattern": "^x"}), "models.".rstrip(".")),
    (lambda d: d["moe_active"].append({"pattern": "^x", "active_b": "many", "source": "u"}), "moe_active"),
    (lambda d: d["quants"].append({"pattern": "^x", "colour": "red"}), "quants"),
    (lambda d: d["exclude_models"].append({"pattern": "([", "reason": "r"}), "not a regular expression"),
    (lambda d: d.update({"surprise": 1}), "surprise"),
])
def test_malformed_measurement_map_is_one_line(break_it, where):
    d = _map()
    break_it(d)
    with pytest.raises(KnowledgeError) as e:
        check_measurement_map(d, "measurement_map.yaml")
    assert "\n" not in str(e.value) and where in str(e.value)
