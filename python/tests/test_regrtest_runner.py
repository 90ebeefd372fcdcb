"""The regression runner's parsing and classification (python/tools/regrtest.py).

No JIT and no regrtest run needed: these feed it console output and JUnit XML
in the shapes CPython 3.11.7's regrtest prints.
"""
from __future__ import annotations

import json

import pytest

from support import load_tool

rt = load_tool("regrtest.py", "pyjion_regrtest_tool")
R = rt.ModuleResult

CONSOLE = """\
Using random seed: 1234
0:00:00 load avg: 0.44 Run 7 tests in parallel using 2 worker processes
0:00:01 load avg: 0.50 [1/7] test_grammar passed
0:00:02 load avg: 0.50 [2/7] test_raise failed (2 failures) -- running: test_signal (31.2 sec)
FAIL: test_x (test.test_raise.TestRaise.test_x)
0:00:03 load avg: 0.60 [3/7/1] test_scope worker non-zero exit code (Exit code -11 (SIGSEGV))
Fatal Python error: Segmentation fault
0:05:03 load avg: 1.60 [4/7/2] test_signal timed out (5 min 0 sec)
0:05:04 load avg: 1.60 [5/7/3] test_gc failed (env changed) (33.1 sec)
0:05:05 load avg: 1.60 [6/7/4] test_winreg skipped (resource denied)
0:05:05 load avg: 1.60 [7/7/4] test_ttk skipped
0:00:01 load avg: 0.10 [1/1] test_regrtest_noop1 passed
0:00:01 load avg: 0.10 [1/1] test_grammar failed

== Tests result: FAILURE ==

1 test skipped:
    test_ttk

1 test skipped (resource denied):
    test_winreg

1 test altered the execution environment (env changed):
    test_gc

3 tests failed:
    test_raise test_scope test_signal

1 test OK.

Total duration: 5 min 5 sec
"""

EXPECTED = ["test_grammar", "test_raise", "test_scope", "test_signal", "test_gc", "test_winreg", "test_ttk",
            "test_missing"]


def test_progress_lines() -> None:
    res = rt.parse_console(CONSOLE, EXPECTED)
    assert res["test_grammar"] == R(rt.PASSED)  # the later nested "failed" line is ignored
    assert res["test_raise"] == R(rt.FAILED, "2 failures")
    assert res["test_scope"] == R(rt.CRASHED, "Exit code -11 (SIGSEGV): Fatal Python error: Segmentation fault")
    assert res["test_signal"] == R(rt.TIMEOUT, "5 min 0 sec")
    assert res["test_gc"] == R(rt.ENV_CHANGED)
    assert res["test_winreg"] == R(rt.RESOURCE_DENIED)
    assert res["test_ttk"] == R(rt.SKIPPED)
    assert res["test_missing"] == R(rt.NOT_RUN)
    assert "test_regrtest_noop1" not in res


@pytest.mark.parametrize(
    "rest, expected",
    [
        ("passed", R(rt.PASSED)),
        ("passed (32.1 sec) -- running: test_x (30 sec)", R(rt.PASSED)),
        ("failed (uncaught exception)", R(rt.FAILED, "uncaught exception")),
        ("failed (1 error, 2 failures) (1 min 3 sec)", R(rt.FAILED, "1 error, 2 failures")),
        ("failed", R(rt.FAILED)),
        ("crashed (Exit code -6)", R(rt.CRASHED, "Exit code -6")),
        ("worker non-zero exit code (Exit code 1)", R(rt.CRASHED, "Exit code 1")),
        ("ran no tests", R(rt.NO_TESTS)),
        ("interrupted", R(rt.INTERRUPTED)),
        ("something else", None),
    ],
)
def test_progress_rest(rest: str, expected: object) -> None:
    assert rt.parse_progress_rest(rest) == expected


def test_crash_cause_is_the_last_exception_line() -> None:
    text = """\
0:00:00 load avg: 0.49 [1/2/1] test_grammar worker non-zero exit code (Exit code 1)
Traceback (most recent call last):
  File "<string>", line 2, in __create_fn__
SystemError: non-dict annotations
0:00:00 load avg: 0.49 [2/2/2] test_raise worker non-zero exit code (Exit code 1)
"""
    res = rt.parse_console(text, ["test_grammar", "test_raise"])
    assert res["test_grammar"] == R(rt.CRASHED, "Exit code 1: SystemError: non-dict annotations")
    assert res["test_raise"] == R(rt.CRASHED, "Exit code 1")


def test_worker_timeout_is_a_timeout() -> None:
    text = "0:12:46 load avg: 2.89 [1/1/1] test_socket worker non-zero exit code (Exit code 1)\nTimeout (0:05:00)!\n"
    res = rt.parse_console(text, ["test_socket"])
    assert res["test_socket"] == R(rt.TIMEOUT, "Timeout (0:05:00)! in the worker, Exit code 1")


def test_summary_fills_in_modules_without_progress_lines() -> None:
    text = """\
== Tests result: FAILURE ==

2 tests failed:
    test_a
    test_b

1 test omitted:
    test_c

2 re-run tests:
    test_a test_d
"""
    res = rt.parse_console(text, ["test_a", "test_b", "test_c", "test_d"])
    assert res["test_a"].status == rt.FAILED
    assert res["test_b"].status == rt.FAILED
    assert res["test_c"].status == rt.NOT_RUN
    assert res["test_d"].status == rt.NOT_RUN  # re-run lists say nothing about the outcome


def test_summary_before_the_last_result_header_is_ignored() -> None:
    text = "2 tests failed:\n    test_a test_b\n\n== Tests result: SUCCESS ==\n\n1 test OK.\n"
    res = rt.parse_console(text, None)
    assert res == {}


def _results(**by_mode: dict[str, str]) -> dict[str, dict[str, object]]:
    return {mode: {m: R(s) for m, s in mods.items()} for mode, mods in by_mode.items()}


def test_classify_three_modes() -> None:
    results = _results(
        none={"a": "passed", "b": "passed", "c": "passed", "d": "failed", "e": "failed", "f": "passed", "g": "skipped"},
        hook={"a": "passed", "b": "passed", "c": "failed", "d": "failed", "e": "passed", "f": "passed", "g": "skipped"},
        jit={"a": "passed", "b": "crashed", "c": "failed", "d": "failed", "e": "passed", "f": "timed out", "g": "passed"},
    )
    t = rt.classify(["none", "hook", "jit"], results)
    assert t.passing == ["a", "g"]
    assert t.jit_only == ["b", "f"]
    assert t.hook == ["c"]
    assert t.everywhere == ["d"]
    assert t.other == ["e"]
    assert t.crashing == ["b", "f"]


def test_classify_none_and_jit() -> None:
    results = _results(none={"a": "passed", "b": "failed", "c": "passed"},
                       jit={"a": "failed", "b": "failed"})
    t = rt.classify(["none", "jit"], results)
    assert t.jit_only == ["a", "c"]  # c: lost by the jit run (not run) counts against the JIT
    assert t.everywhere == ["b"]
    assert t.results["c"]["jit"].status == rt.NOT_RUN


def test_classify_jit_alone_has_no_jit_only_category() -> None:
    t = rt.classify(["jit"], _results(jit={"a": "failed", "b": "passed"}))
    assert t.jit_only == [] and t.everywhere == ["a"] and t.passing == ["b"]


JUNIT = """<testsuites tests="4" errors="1" failures="1">
<testsuite tests="3" errors="1" failures="1">
 <testcase name="test.test_raise.TestRaise.test_ok" status="run" result="completed" time="0.01" />
 <testcase name="test.test_raise.TestRaise.test_bad" status="run" result="completed"><failure type="AssertionError">x</failure></testcase>
 <testcase name="test.test_raise.TestRaise.test_err" status="run" result="completed"><error type="SystemError">y</error></testcase>
</testsuite>
<testsuite tests="2"><testcase name="test.test_asyncio.test_tasks.T.test_s"><skipped>no</skipped></testcase><testcase /></testsuite>
</testsuites>"""


def test_junit_testcases_by_module() -> None:
    cases = rt.parse_junit(JUNIT, ["test_raise", "test_asyncio", "test_asyncio.test_tasks"])
    assert cases["test_raise"] == {
        "test.test_raise.TestRaise.test_ok": "passed",
        "test.test_raise.TestRaise.test_bad": "failed",
        "test.test_raise.TestRaise.test_err": "error",
    }
    assert cases["test_asyncio.test_tasks"] == {"test.test_asyncio.test_tasks.T.test_s": "skipped"}


def test_summarize_stats_counts_workers_only() -> None:
    def record(role: str, test: str | None, compiled: int, seen: int, **exits: int) -> dict[str, object]:
        return {"role": role, "test": test, "stats": {
            "compiled": compiled, "declined": seen - compiled, "functions_seen": seen, "code_bytes": 10,
            "generators_seen": 2, "generators_compiled": 1,
            "compile_time_ns": 5, "decline_reasons": {"opcode MAKE_CELL": seen - compiled}, "exits": exits}}

    records = [record("worker", "test_a", 3, 4, exception=2, tracing=0),
               record("worker", "test_b", 1, 4, raise_=1),
               record("other", None, 100, 100)]
    s = rt.summarize_stats(records)
    assert (s["processes"], s["compiled"], s["functions_seen"]) == (2, 4, 8)
    assert s["compiled_share"] == 0.5
    assert (s["generators_seen"], s["generators_compiled"], s["generator_share"]) == (4, 2, 0.5)
    assert s["decline_reasons"] == {"opcode MAKE_CELL": 4}
    assert s["exits"] == {"exception": 2, "raise_": 1}
    assert s["tests_with_exits"] == {"test_a": 2, "test_b": 1}
    json.dumps(s)


def test_parse_modes_and_report() -> None:
    assert rt.parse_modes("jit,none") == ["none", "jit"]
    with pytest.raises(Exception):
        rt.parse_modes("none,fast")
    results = _results(none={"a": "passed", "b": "passed"}, jit={"a": "passed", "b": "crashed"})
    t = rt.classify(["none", "jit"], results)
    runs = {mode: rt.ModeRun(mode, 0, 61.0, "log", None, "dir", dict(results[mode]), {}, []) for mode in results}
    text = rt.format_report(t, runs, {"b": "bug 1"})
    assert "Failing ONLY with the JIT (1):" in text
    assert "[expected: bug 1]" in text
    assert "jit: crashed" in text
    assert "none 1 min 01 s" in text


def test_fail_on_jit_only_needs_a_baseline(capsys: pytest.CaptureFixture[str]) -> None:
    assert rt.main(["--tests", "test_grammar", "--modes", "jit", "--fail-on-jit-only"]) == 2
