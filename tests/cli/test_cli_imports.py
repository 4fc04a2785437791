"""`nepnb checkpoint diff` keeps jsonschema's slow `rfc3987_syntax` grammars off its path (they
compile for seconds at import), and the "iri" checks still work when something uses them."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers.nbrun import notebook_dict, stream, write_notebook

pytestmark = pytest.mark.slow


def run_python(code: str, env_home: Path) -> dict:
    """Run ``code`` in a fresh interpreter (nothing imported yet); the JSON it prints last."""
    import os

    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "NEPNB_HOME": str(env_home)},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_checkpoint_diff_uses_nbdime_without_compiling_the_iri_grammars(tmp_path: Path) -> None:
    cells = [f"x{k} = {k}" for k in range(6)]
    path = write_notebook(tmp_path / "a.ipynb", notebook_dict(*cells, outputs=[[stream("a\n")]]))
    changed = notebook_dict(
        *[f"x{k} = {k} * 2" if k % 2 else f"y{k} = {k}" for k in range(6)],
        outputs=[[stream("b\n")]],
    )
    found = run_python(
        f"""
        import contextlib, io, json, sys
        from nepnb.cli.main import main
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            main(["checkpoint", "upload", {str(path)!r}, "-m", "v1"])
        checkpoint = printed.getvalue().split()[1]
        with open({str(path)!r}) as f:
            notebook = json.load(f)
        notebook["cells"] = {changed["cells"]!r}
        with open({str(path)!r}, "w") as f:
            json.dump(notebook, f)
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            code = main(["checkpoint", "diff", {str(path)!r}, checkpoint, "--exit-code"])
        print(json.dumps({{
            "code": code,
            "summary": [l for l in printed.getvalue().splitlines() if l.startswith("Summary")],
            "nbdime": "nbdime.diffing.notebooks" in sys.modules,
            "grammars": "rfc3987_syntax.syntax_helpers" in sys.modules,
            "client": "nepnb.client.objects" in sys.modules,
        }}))
        """,
        tmp_path / "home",
    )
    assert found["code"] == 1 and found["summary"] == ["Summary: 6 changed; 0 unchanged"]
    assert found["nbdime"]  # nbdime matched the changed cells …
    assert not found["grammars"]  # … without compiling the grammars nobody used
    assert not found["client"]  # nor importing the client (Run, handlers) it does not use


def test_the_iri_checks_still_work_once_used(tmp_path: Path) -> None:
    found = run_python(
        """
        import json, sys
        from nepnb.cli.imports import defer_slow_imports
        defer_slow_imports()
        from jsonschema import Draft202012Validator
        before = "rfc3987_syntax.syntax_helpers" in sys.modules
        check = Draft202012Validator(
            {"format": "iri"}, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        print(json.dumps({
            "before": before,
            "bad": [e.message for e in check.iter_errors("not an iri")],
            "good": [e.message for e in check.iter_errors("https://example.org/ü")],
            "after": "rfc3987_syntax.syntax_helpers" in sys.modules,
        }))
        """,
        tmp_path,
    )
    assert found == {
        "before": False,
        "bad": ["'not an iri' is not a 'iri'"],
        "good": [],
        "after": True,
    }
