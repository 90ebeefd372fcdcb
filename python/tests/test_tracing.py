"""Tracing, profiling and debugging see the same events with the JIT as without.

Each scenario runs in a fresh subprocess twice: interpreted, and with
`pyjion.enable()` at threshold 0 (every function compiled at its first call).
The printed event logs must be identical.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PRELUDE = """
import sys
import pyjion
if sys.argv[1] == "jit":
    pyjion.config(threshold=0)
    pyjion.enable()
"""


def run_scenario(body: str, mode: str, stdin: str | None = None) -> str:
    code = PRELUDE + textwrap.dedent(body)
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
    proc = subprocess.run(
        [sys.executable, "-c", code, mode], input=stdin, capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def assert_same_events(body: str, stdin: str | None = None) -> str:
    interpreted = run_scenario(body, "interp", stdin)
    compiled = run_scenario(body, "jit", stdin)
    assert compiled == interpreted
    assert interpreted.strip(), "the scenario printed nothing"
    return compiled


def test_trace_started_by_a_callee_mid_frame() -> None:
    out = assert_same_events(
        """
        events = []
        def tracer(frame, event, arg):
            if frame.f_code.co_name in ("work", "start"):
                events.append((frame.f_code.co_name, event, frame.f_lineno))
            return tracer
        def start():
            # Like pdb.set_trace(): trace the caller from here on.
            sys._getframe(1).f_trace = tracer
            sys.settrace(tracer)
        def work(n):
            total = 0
            for i in range(n):
                if i == 3:
                    start()
                total += i
            return total
        r = work(6)
        sys.settrace(None)
        print(r)
        for e in events:
            print(e)
        if sys.argv[1] == "jit":
            assert pyjion.info(work).compiled
            assert pyjion.stats()["exits"]["tracing"] >= 1, pyjion.stats()["exits"]
        """
    )
    assert "'line'" in out


def test_trace_from_the_start_runs_interpreted_and_matches() -> None:
    assert_same_events(
        """
        lines = []
        def tracer(frame, event, arg):
            if frame.f_code.co_name == "work":
                lines.append((event, frame.f_lineno))
            return tracer
        def work(n):
            s = 0
            while n:
                s += n
                n -= 1
            return s
        work(2)
        sys.settrace(tracer)
        work(3)
        sys.settrace(None)
        print(lines)
        """
    )


def test_setprofile_started_mid_frame() -> None:
    assert_same_events(
        """
        events = []
        def profiler(frame, event, arg):
            name = getattr(arg, "__name__", None) if event.startswith("c_") else frame.f_code.co_name
            events.append((event, name))
        def helper(x):
            return x * 2
        def work(n):
            out = []
            for i in range(n):
                if i == 2:
                    sys.setprofile(profiler)
                out.append(helper(i))
            sys.setprofile(None)
            return out
        print(work(5))
        for e in events:
            print(e)
        """
    )


def test_cprofile_call_counts() -> None:
    out = assert_same_events(
        """
        import cProfile, pstats, io
        def leaf(x):
            return x + 1
        def middle(n):
            return sum(leaf(i) for i in range(n)) + len([leaf(i) for i in range(n)])
        def top():
            return [middle(i) for i in range(20)]
        prof = cProfile.Profile()
        prof.runcall(top)
        stats = pstats.Stats(prof)
        rows = sorted((fn[2], nc, cc) for fn, (cc, nc, tt, ct, callers) in stats.stats.items())
        for row in rows:
            print(row)
        """
    )
    assert "'leaf'" in out


def test_coverage_style_line_sets() -> None:
    assert_same_events(
        """
        executed = set()
        def tracer(frame, event, arg):
            if event == "line" and frame.f_code.co_name == "branchy":
                executed.add(frame.f_lineno)
            return tracer
        def branchy(x):
            if x > 10:
                y = x * 2
            elif x > 5:
                y = x + 1
            else:
                y = -x
            for i in range(2):
                y += i
            return y
        for v in (1, 7):
            branchy(v)  # compiled before tracing starts
        sys.settrace(tracer)
        for v in (1, 7, 20):
            branchy(v)
        sys.settrace(None)
        print(sorted(executed))
        """
    )


def test_pdb_set_trace_in_a_compiled_function() -> None:
    out = assert_same_events(
        """
        import pdb
        def work(n):
            total = 0
            for i in range(n):
                total += i
            pdb.set_trace()
            doubled = total * 2
            return doubled
        print("result", work(5))
        """,
        stdin="p total\nn\np doubled if 'doubled' in dir() else None\nn\np doubled\nc\n",
    )
    assert "result 20" in out and "10" in out
