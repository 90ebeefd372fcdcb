"""coverage.py measures the same lines and branches with the JIT as without.

A target module (loops, branches, exceptions, closures, with, match statements,
except*) runs under coverage.py in a fresh subprocess, once interpreted and once with
``pyjion.enable()`` at threshold 0, with coverage's C tracer and its Python tracer
(``COVERAGE_CORE=pytrace``). The line and arc (branch) data for the module must be
identical. Three ways to start coverage:

* ``cold``: coverage starts before any target function has run;
* ``warm``: every target function has already run (and, with the JIT, been compiled)
  before coverage starts; frames that start under a tracer run in the evaluator;
* ``midframe``: coverage starts, and later stops, from a callback called inside a
  compiled loop, so compiled frames are running when tracing starts and must hand
  over to the evaluator (``info(driver).exits["tracing"]``); functions called after the
  start are traced, those called after the stop run compiled again. coverage.py does
  not record the later lines of frames already running when it starts (with or
  without the JIT), so what is compared is the data of the callees.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("coverage", reason="coverage.py is installed by python/tools/test-all.sh")

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TARGET = '''
import contextlib


class Point:
    __match_args__ = ("x", "y")

    def __init__(self, x, y):
        self.x, self.y = x, y


def loops(n):
    total = 0
    for i in range(n):
        if i % 3 == 0:
            total += i
        elif i % 3 == 1:
            total -= 1
        else:
            continue
        if total > 50:
            break
    while total > 10:
        total //= 2
    return total


def branches(x):
    if x > 0 and x < 10:
        r = "small"
    elif x >= 10 or x == -1:
        r = "big-or-minus-one"
    else:
        r = "other"
    return r if x != 5 else r.upper()


def exceptions(x):
    try:
        if x == 0:
            raise ValueError("zero")
        y = 10 // (x - 1)
    except ValueError as e:
        y = str(e)
    except ZeroDivisionError:
        y = "div"
    else:
        y = ("ok", y)
    finally:
        z = 1
    return y, z


def closures(n):
    acc = []

    def add(v):
        acc.append(v)
        return len(acc)

    for i in range(n):
        add(i * i)
    odd = [v for v in acc if v % 2]
    return odd, {v: v + 1 for v in acc}


def withs(fail):
    log = []
    with contextlib.suppress(KeyError):
        log.append("in")
        if fail:
            raise KeyError(fail)
        log.append("no raise")
    return log


def matching(v):
    match v:
        case {"op": "add", "x": x, "y": y}:
            return x + y
        case {"op": op, **rest}:
            return op, sorted(rest)
        case [a, b, *more]:
            return a, b, len(more)
        case Point(0, y):
            return "y-axis", y
        case Point(x=x, y=0):
            return "x-axis", x
        case Point(x, y) if x == y:
            return "diagonal"
        case int(n) if n > 100:
            return "big"
        case str() | bytes():
            return "text"
        case _:
            return "other"


def star(kind):
    seen = []
    try:
        if kind == 1:
            raise ExceptionGroup("g", [ValueError(1), TypeError(2)])
        elif kind == 2:
            raise KeyError(3)
        seen.append("none")
    except* ValueError:
        seen.append("v")
    except* TypeError:
        seen.append("t")
    except* KeyError:
        seen.append("k")
    return seen


def star_escapes():
    try:
        raise ExceptionGroup("g", [OSError(1), ValueError(2)])
    except* ValueError:
        pass


SUBJECTS = [
    {"op": "add", "x": 1, "y": 2}, {"op": "mul", "q": 1}, [1, 2, 3], (1,),
    Point(0, 5), Point(3, 0), Point(4, 4), Point(1, 2), 500, 5, "s", b"b", None,
]


def run_all():
    out = [loops(20), loops(3)]
    out += [branches(x) for x in (-1, 0, 5, 7, 12)]
    out += [exceptions(x) for x in (0, 1, 3)]
    out.append(closures(5))
    out += [withs(0), withs(1)]
    out += [matching(v) for v in SUBJECTS]
    out += [star(k) for k in (0, 1, 2)]
    try:
        star_escapes()
    except ExceptionGroup as eg:
        out.append(len(eg.exceptions))
    return out


def driver(callback, n):
    total = 0
    for i in range(n):
        if i == n // 2 or i == n - 2:
            callback()
        if i % 2:
            total += len(run_all())
        else:
            total -= 1
    return total
'''

DRIVER = '''
import json
import sys

mode, scenario, workdir = sys.argv[1:4]
sys.path.insert(0, workdir)
import coverage

if mode == "jit":
    import pyjion
    pyjion.config(threshold=0)
    pyjion.enable()

import covtarget

cov = coverage.Coverage(branch=True, data_file=None, include=[covtarget.__file__])
calls = []


def toggle():
    # The first call starts coverage, the second stops it.
    (cov.stop if calls else cov.start)()
    calls.append(True)


if scenario == "cold":
    toggle()
    result = covtarget.run_all()
    toggle()
elif scenario == "warm":
    covtarget.run_all()
    toggle()
    result = covtarget.run_all()
    toggle()
elif scenario == "midframe":
    # Starts at i == 4 and stops at i == 6: only the run_all() of i == 5 is measured.
    result = covtarget.driver(toggle, 8)
assert len(calls) == 2

data = cov.get_data()
path = covtarget.__file__
out = {
    "tracer": dict(cov.sys_info())["core"],
    "lines": sorted(data.lines(path) or []),
    "arcs": sorted(data.arcs(path) or []),
    "result": repr(result),
}
if mode == "jit":
    names = [n for n, v in vars(covtarget).items() if callable(v) and hasattr(v, "__code__")]
    infos = {n: pyjion.info(getattr(covtarget, n)) for n in names}
    out["compiled"] = sorted(n for n, i in infos.items() if i.compiled)
    out["driver_exits"] = infos["driver"].exits
print(json.dumps(out))
'''

FUNCTIONS = ["branches", "closures", "driver", "exceptions", "loops", "matching", "run_all", "star", "star_escapes", "withs"]


def measure(tmp_path, mode: str, scenario: str, core: str) -> dict:
    (tmp_path / "covtarget.py").write_text(textwrap.dedent(TARGET))
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
    env.pop("COVERAGE_CORE", None)
    env.pop("PYJION_STATS_FILE", None)
    if core == "pytrace":
        env["COVERAGE_CORE"] = "pytrace"
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, mode, scenario, str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("core", ["ctrace", "pytrace"])
@pytest.mark.parametrize("scenario", ["cold", "warm", "midframe"])
def test_coverage_same_lines_and_arcs(tmp_path, scenario: str, core: str) -> None:
    interpreted = measure(tmp_path, "off", scenario, core)
    compiled = measure(tmp_path, "jit", scenario, core)
    tracer = "PyTracer" if core == "pytrace" else "CTracer"
    assert interpreted["tracer"] == compiled["tracer"] == tracer
    assert interpreted["result"] == compiled["result"]
    assert len(interpreted["lines"]) > 60 and interpreted["arcs"], interpreted
    assert compiled["lines"] == interpreted["lines"]
    assert compiled["arcs"] == interpreted["arcs"]
    if scenario == "warm":
        # All ran, and were compiled, before coverage started (driver is not used).
        assert set(FUNCTIONS) - {"driver"} <= set(compiled["compiled"]), compiled["compiled"]
    if scenario == "midframe":
        # All were compiled by the first half of the loop; the compiled driver was
        # running when coverage started, and handed its frame over to the evaluator.
        assert set(FUNCTIONS) <= set(compiled["compiled"]), compiled["compiled"]
        assert compiled["driver_exits"].get("tracing", 0) >= 1, compiled
