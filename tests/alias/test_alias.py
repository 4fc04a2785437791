"""`nepnb alias enable|disable|status` and `nepnb.alias_neptune()`, in fresh venvs made by
the tests: what `import neptune` gives with the alias on and off, what importlib.metadata and
pip see, the real client winning (with one warning) unless forced, and Python's start-up
staying clean when nepnb is uninstalled with the alias on."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.alias.conftest import FreshVenv
from tests.helpers.neptune_client import peer_pythons

#: Run in the fresh venv: what `import neptune` gives, as JSON.
PROBE = """
import importlib.metadata, json, sys
try:
    import neptune
except ModuleNotFoundError as error:
    print(json.dumps({"import": str(error)}))
    raise SystemExit
import neptune.exceptions, neptune.handler, neptune.integrations.utils, neptune.types, nepnb
from packaging.specifiers import SpecifierSet
from packaging.version import Version
version = importlib.metadata.version("neptune")
print(json.dumps({
    "import": "ok",
    "file": neptune.__file__,
    "version": neptune.__version__,
    "metadata_version": version,
    "meets_1_0": Version(version) in SpecifierSet(">=1.0"),
    "same_names": neptune.init_run is nepnb.init_run and neptune.Run is nepnb.Run,
    "same_modules": all(
        sys.modules["neptune." + name] is sys.modules["nepnb." + name]
        for name in ("exceptions", "integrations", "integrations.utils", "handler", "types")
    ),
    "handler_attribute": neptune.handler.Handler.__module__,
    "listed": [d.metadata["Name"] for d in importlib.metadata.distributions()
               if (d.metadata["Name"] or "").lower() == "neptune"],
}))
"""


def probe(venv: FreshVenv) -> dict[str, object]:
    return json.loads(venv.run("-c", PROBE).stdout.strip().splitlines()[-1])


def test_enable_then_disable(fresh_venv: FreshVenv) -> None:
    assert probe(fresh_venv) == {"import": "No module named 'neptune'"}
    status = fresh_venv.nepnb("alias", "status").stdout
    assert "alias: off" in status and "import neptune: an error" in status

    enabled = fresh_venv.nepnb("alias", "enable").stdout
    hook = fresh_venv.site_packages / "nepnb-neptune-alias.pth"
    assert str(hook) in enabled and hook.is_file()
    assert "import neptune: nepnb" in enabled and "nepnb alias disable" in enabled
    seen = probe(fresh_venv)
    assert seen["import"] == "ok"
    assert str(seen["file"]).endswith("nepnb/__init__.py")
    assert str(seen["version"]).startswith("1.14.0+nepnb.")
    assert seen["metadata_version"] == seen["version"] and seen["meets_1_0"] is True
    assert seen["same_names"] is True and seen["same_modules"] is True
    assert seen["handler_attribute"] == "nepnb.client.handler"
    # Only lookups by name see the distribution: listing all (what pip does) does not.
    assert seen["listed"] == []
    status = fresh_venv.nepnb("alias", "status").stdout
    assert "alias: on\n" in status and str(hook) in status

    disabled = fresh_venv.nepnb("alias", "disable").stdout
    assert "the neptune alias is off" in disabled and not hook.exists()
    assert probe(fresh_venv) == {"import": "No module named 'neptune'"}
    assert "alias: off" in fresh_venv.nepnb("alias", "status").stdout
    again = fresh_venv.nepnb("alias", "disable").stdout
    assert "was not on" in again
    assert list(fresh_venv.site_packages.glob("*alias*")) == []  # nothing left behind


def test_pip_never_sees_a_neptune_distribution(fresh_venv: FreshVenv) -> None:
    fresh_venv.nepnb("alias", "enable")
    # The fresh venv has no pip of its own: the test venv's pip, run for that interpreter.
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(fresh_venv.python), "list", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    )
    names = {item["name"].lower() for item in json.loads(listed.stdout)}
    assert "nepnb" in names and "neptune" not in names


def test_uninstalling_nepnb_with_the_alias_on_keeps_start_up_clean(fresh_venv: FreshVenv) -> None:
    fresh_venv.nepnb("alias", "enable")
    fresh_venv.uninstall_nepnb()
    started = fresh_venv.run("-c", "print('started')")
    assert started.stdout == "started\n" and started.stderr == ""
    assert probe_without_nepnb(fresh_venv) == "No module named 'neptune'"


def probe_without_nepnb(venv: FreshVenv) -> str:
    proc = venv.run("-c", "import neptune", check=False)
    assert proc.returncode == 1
    return proc.stderr.strip().splitlines()[-1].split(": ", 1)[1]


def test_exceptions_are_caught_under_either_name(fresh_venv: FreshVenv) -> None:
    fresh_venv.nepnb("alias", "enable")
    script = """
import neptune, nepnb
run = neptune.init_run(mode="debug", capture_stdout=False, capture_stderr=False,
                       capture_hardware_metrics=False, source_files=[], git_ref=False)
run.stop()
try:
    run["x"] = 1
except neptune.exceptions.InactiveRunException as error:
    assert isinstance(error, nepnb.exceptions.InactiveObject)
    print(error)
"""
    message = fresh_venv.run("-c", script).stdout.strip().splitlines()[-1]
    assert "was stopped; cannot write 'x'" in message
    assert "None" not in message and "debug-mode object stores nothing" in message


def test_alias_neptune_in_one_process(fresh_venv: FreshVenv) -> None:
    script = """
import nepnb
assert nepnb.alias_neptune() is True
import neptune, neptune.integrations.python_logger as logger_module
assert neptune.init_run is nepnb.init_run
print(logger_module.NeptuneHandler.__module__)
"""
    assert fresh_venv.run("-c", script).stdout.strip() == "nepnb.integrations.python_logger"
    assert not list(fresh_venv.site_packages.glob("nepnb-neptune-alias*"))  # installs nothing


@pytest.fixture
def with_real_client(fresh_venv: FreshVenv) -> FreshVenv:
    """The fresh venv, with the real Neptune client 1.14 importable too (its own venv)."""
    neptune_python = peer_pythons("neptune")["neptune"]
    real_site = subprocess.run(
        [str(neptune_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    fresh_venv.add_site(real_site, "zz_real_neptune.pth")  # after nepnb's: sorted by name
    return fresh_venv


@pytest.mark.slow
def test_the_real_client_wins_with_one_warning_unless_forced(with_real_client: FreshVenv) -> None:
    venv = with_real_client
    enabled = venv.nepnb("alias", "enable").stdout
    assert "import neptune: the real Neptune client (neptune 1.14.0.post2)" in enabled
    assert "nepnb alias enable --force" in enabled
    twice = venv.run(
        "-c", "import neptune; import neptune.exceptions; import neptune; print(neptune.__file__)"
    )
    assert "/nepnb/" not in twice.stdout and "neptune/__init__.py" in twice.stdout
    warnings = [line for line in twice.stderr.splitlines() if "AliasStepsAside" in line]
    assert len(warnings) == 1 and "neptune 1.14.0.post2" in warnings[0]

    forced = venv.nepnb("alias", "enable", "--force").stdout
    assert "import neptune: nepnb" in forced
    assert "alias: on (forced)" in venv.nepnb("alias", "status").stdout
    assert "/nepnb/" in venv.run("-c", "import neptune; print(neptune.__file__)").stdout


@pytest.mark.slow
def test_alias_neptune_after_the_real_client_was_imported(with_real_client: FreshVenv) -> None:
    script = """
import warnings
warnings.simplefilter("always")
import neptune, nepnb
print(nepnb.alias_neptune(force=True))
"""
    proc = with_real_client.run("-c", script)
    assert proc.stdout.strip().splitlines()[-1] == "False"
    assert "already imported in this process" in proc.stderr
