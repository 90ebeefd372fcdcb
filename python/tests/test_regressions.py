"""Reproductions of bugs found by the CPython regression runner, each run in a fresh
process: it must exit 0 (each one asserts the interpreter's behaviour itself)."""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).parent
REPROS = sorted((HERE / "regressions").glob("repro_*.py"))


@pytest.mark.parametrize("script", REPROS, ids=[p.stem for p in REPROS])
def test_regression_reproduction_passes(script: pathlib.Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(HERE.parent))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]


def test_there_are_reproductions() -> None:
    assert len(REPROS) >= 3
