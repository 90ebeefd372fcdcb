"""Shared fixtures.

Every test starts and ends in opt-in mode (global mode off) with the settings it
found, so only code the test marks with ``pyjion.jit`` is compiled and pytest's
own code is interpreted.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Iterator

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)  # for `import difftest`, `import support`

try:
    import pyjion  # noqa: E402  (PYTHONPATH=python, or an installed pyjion)
except ModuleNotFoundError:
    # Run from a checkout without PYTHONPATH: use the package next to the tests
    # (it needs the extension built in place: python3 setup.py build_ext --inplace).
    sys.path.insert(0, os.path.dirname(HERE))
    import pyjion  # noqa: E402

_figures: pytest.StashKey[list[str]] = pytest.StashKey()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "declined: uses opcodes the compiler declines for now; update when the compiled subset grows",
    )


@pytest.fixture(autouse=True)
def opt_in_mode() -> Iterator[None]:
    if pyjion.is_enabled():
        pyjion.disable()
    saved = pyjion.config()
    try:
        yield
    finally:
        if pyjion.is_enabled():
            pyjion.disable()
        pyjion.config(threshold=saved["threshold"], max_code_bytes=saved["max_code_bytes"])


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Any:
    """``report("text")`` prints a measured figure in pytest's terminal summary."""
    figures = request.config.stash.setdefault(_figures, [])

    def add(text: str) -> None:
        line = f"{request.node.nodeid}: {text}"
        print(line)
        figures.append(line)

    return add


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    figures = config.stash.get(_figures, [])
    if figures:
        terminalreporter.section("pyjion figures")
        for line in figures:
            terminalreporter.write_line(line)

