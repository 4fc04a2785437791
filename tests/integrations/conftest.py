"""The integration scripts run twice: under the real Neptune client 1.14 (debug mode, in the
"neptune-integrations" venv) and under nepnb through the alias ("nepnb-integrations": the
same pinned packages, nepnb from this checkout, `nepnb alias enable` run as a user would).
Both write down what landed (scripts/_common.py); the tests compare the two."""

from __future__ import annotations

import json
import math
import re
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.neptune_client import clean_env, peer_pythons

SCRIPTS = Path(__file__).resolve().parent / "scripts"
#: The venvs each script runs in: the real client's, and nepnb's (same pins). The heavy pair
#: (TensorFlow, Prophet) is only made for the tests marked integrations_heavy.
LIGHT = ("neptune-integrations", "nepnb-integrations")
HEAVY = ("neptune-integrations-heavy", "nepnb-integrations-heavy")
#: What the clients write of their own: not compared.
OWN = ("sys/", "monitoring/", "source_code/")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The heavy integrations (GBs of TensorFlow …) run only when asked for by name
    (``-m integrations_heavy``): otherwise they are deselected, not skipped."""
    if "integrations_heavy" in (config.getoption("markexpr") or ""):
        return
    heavy = [item for item in items if item.get_closest_marker("integrations_heavy")]
    if heavy:
        config.hook.pytest_deselected(items=heavy)
        items[:] = [item for item in items if item not in heavy]


@dataclass
class Both:
    """What one script logged under each client."""

    real: dict[str, Any]
    ours: dict[str, Any]


def _pythons(pair: tuple[str, str]) -> tuple[Path, Path]:
    """The pair's interpreters, with the alias enabled in nepnb's as a user would."""
    pythons = peer_pythons(*pair)
    real, ours = pythons[pair[0]], pythons[pair[1]]
    enabled = subprocess.run(
        [str(ours), "-m", "nepnb", "alias", "enable"],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=True,
    )
    assert "import neptune: nepnb" in enabled.stdout, enabled.stdout
    return real, ours


def _run(python: Path, script: str, workdir: Path, mode: str) -> dict[str, Any]:
    workdir.mkdir(parents=True)
    out = workdir / "result.json"
    env = clean_env(INTEGRATION_MODE=mode, NEPNB_HOME=str(workdir / "nepnb-home"), MPLBACKEND="Agg")
    proc = subprocess.run(
        [str(python), str(SCRIPTS / f"{script}.py"), str(out)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if proc.returncode != 0:
        raise AssertionError(f"{script} failed under {python}:\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(out.read_text())
    result["stderr"] = proc.stderr
    return result


def _runner(
    pair: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Both]:
    real_python, nepnb_python = _pythons(pair)
    done: dict[str, Both] = {}

    def run(script: str) -> Both:
        if script not in done:
            workdir = tmp_path_factory.mktemp(script)
            real = _run(real_python, script, workdir / "real", "debug")
            ours = _run(nepnb_python, script, workdir / "nepnb", "async")
            assert "/nepnb/" not in real["client"]["file"], "the real client ran"
            assert ours["client"]["file"].endswith("nepnb/__init__.py"), "nepnb ran, as neptune"
            done[script] = Both(real, ours)
        return done[script]

    return run


@pytest.fixture(scope="session")
def run_both(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Both]:
    """``run_both(script)``: the script's results under both clients (run once a session)."""
    return _runner(LIGHT, tmp_path_factory)


@pytest.fixture(scope="session")
def run_both_heavy(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Both]:
    """The same, in the venvs of the heavy integrations."""
    return _runner(HEAVY, tmp_path_factory)


def user_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields a script logged (its integration's version key included)."""
    return {
        path: field
        for path, field in fields.items()
        if not path.startswith(OWN) or path.startswith("source_code/integrations/")
    }


def differences(both: Both, volatile: Iterable[str] = ()) -> list[str]:
    """Where nepnb differs from the real client: a path only one has, another field type, or
    another value (for paths matching no ``volatile`` pattern, whose values change per run)."""
    real, ours = user_fields(both.real["fields"]), user_fields(both.ours["fields"])
    patterns = [re.compile(pattern) for pattern in volatile]
    found = [f"only the real client has {path}" for path in sorted(real.keys() - ours.keys())]
    found += [f"only nepnb has {path}" for path in sorted(ours.keys() - real.keys())]
    for path in sorted(real.keys() & ours.keys()):
        (real_type, real_value), (our_type, our_value) = real[path], ours[path]
        if real_type in SERIES and our_type == real_type:
            # Neptune's debug mode numbers points 0, 1, 2 … whatever step was given: the
            # values are compared here, the steps by the tests, against what was logged.
            real_value, our_value = _values(real_value), _values(our_value)
        if real_type != our_type:
            found.append(f"{path}: {our_type}, the real client: {real_type}")
        elif not any(p.search(path) for p in patterns) and not same(real_value, our_value):
            found.append(f"{path}: {our_value!r:.200}, the real client: {real_value!r:.200}")
    return found


SERIES = ("FloatSeries", "StringSeries")


def _values(points: list[list[Any]]) -> list[Any]:
    return [value for _, value in points]


def steps(field: list[Any]) -> list[float]:
    """The steps of a series field as a script recorded it."""
    return [step for step, _ in field[1]]


def same(a: Any, b: Any) -> bool:
    """Equal values, NaN equal to NaN, in nested lists."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
