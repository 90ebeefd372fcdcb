"""The Python API of pyjion: modes, config, jit, info, stats, dis_native, PYJION_STATS_FILE."""
from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import types

import pytest

import pyjion
from support import fresh, fresh_declined, run_child

LOOPLESS = "def f(x):\n    return x * 2 + 1\n"
LOOPY = "def f(n):\n    t = 0\n    for i in range(n):\n        t += i\n    return t\n"


# ---------------------------------------------------------------- module


def test_version_and_all() -> None:
    assert pyjion.__version__ == "0.1.0"
    for name in ("enable", "disable", "is_enabled", "config", "jit", "info", "stats", "dis_native"):
        assert name in pyjion.__all__
        assert callable(getattr(pyjion, name))


@pytest.mark.parametrize(
    "patch, words",
    [
        ("import platform; platform.machine = lambda: 'aarch64'", "aarch64"),
        ("sys.platform = 'darwin'", "darwin"),
        ("sys.version_info = (3, 12, 0, 'final', 0)", "3.12.0"),
    ],
)
def test_import_refused_on_other_platforms(patch: str, words: str) -> None:
    """The platform check runs before the native module is loaded."""
    proc = run_child(
        f"""
        import sys
        {patch}
        try:
            import pyjion
        except ImportError as e:
            print("ERR", e)
        print("native loaded:", "pyjion._pyjion" in sys.modules)
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert "ERR pyjion supports CPython 3.11 on x86-64 Linux; this is" in proc.stdout
    assert words in proc.stdout
    assert "native loaded: False" in proc.stdout


# ---------------------------------------------------------------- modes


def test_enable_disable_twice() -> None:
    assert pyjion.is_enabled() is False
    pyjion.enable()
    pyjion.enable()
    assert pyjion.is_enabled() is True
    pyjion.disable()
    pyjion.disable()
    assert pyjion.is_enabled() is False


def test_jit_does_not_turn_on_global_mode() -> None:
    pyjion.jit(fresh(LOOPLESS))
    assert pyjion.is_enabled() is False


# ---------------------------------------------------------------- config


def test_config_returns_all_settings() -> None:
    c = pyjion.config()
    assert isinstance(c, dict)
    assert {"threshold", "max_code_bytes"} <= set(c)
    assert isinstance(c["threshold"], int) and not isinstance(c["threshold"], bool)
    assert c["threshold"] >= 0
    assert c["max_code_bytes"] is None or (isinstance(c["max_code_bytes"], int) and c["max_code_bytes"] > 0)
    # a copy: changing it changes nothing
    c["threshold"] = 12345
    assert pyjion.config()["threshold"] != 12345


def test_config_sets_and_returns() -> None:
    c = pyjion.config(threshold=7)
    assert c["threshold"] == 7
    c = pyjion.config(max_code_bytes=1 << 20)
    assert c == {**c, "threshold": 7, "max_code_bytes": 1 << 20}
    assert pyjion.config(max_code_bytes=None)["max_code_bytes"] is None
    assert pyjion.config(threshold=0)["threshold"] == 0
    assert pyjion.config()["threshold"] == 0


def test_config_persists_across_enable_disable() -> None:
    pyjion.config(threshold=11, max_code_bytes=4096)
    pyjion.enable()
    assert pyjion.config()["threshold"] == 11
    pyjion.disable()
    pyjion.enable()
    pyjion.disable()
    c = pyjion.config()
    assert c["threshold"] == 11 and c["max_code_bytes"] == 4096


@pytest.mark.parametrize(
    "kwargs, exc, word",
    [
        ({"threshold": True}, TypeError, "threshold"),
        ({"threshold": False}, TypeError, "threshold"),
        ({"threshold": -1}, ValueError, "threshold"),
        ({"threshold": "3"}, TypeError, "threshold"),
        ({"threshold": 2.0}, TypeError, "threshold"),
        ({"max_code_bytes": 0}, ValueError, "max_code_bytes"),
        ({"max_code_bytes": -5}, ValueError, "max_code_bytes"),
        ({"max_code_bytes": True}, TypeError, "max_code_bytes"),
        ({"max_code_bytes": "big"}, TypeError, "max_code_bytes"),
        ({"bogus": 1}, TypeError, "bogus"),
        ({"threshold": 5, "bogus": 1}, TypeError, "bogus"),
        ({"threshold": 5, "max_code_bytes": -1}, ValueError, "max_code_bytes"),
        ({"threshold": -1, "max_code_bytes": 4096}, ValueError, "threshold"),
        ({"perf_map": 1}, TypeError, "perf_map"),
        ({"threshold": 5, "perf_map": "yes"}, TypeError, "perf_map"),
    ],
)
def test_config_rejects_bad_values_and_changes_nothing(kwargs: dict, exc: type, word: str) -> None:
    before = pyjion.config(threshold=3, max_code_bytes=8192)
    with pytest.raises(exc, match=word):
        pyjion.config(**kwargs)
    assert pyjion.config() == before


# ---------------------------------------------------------------- perf map

PERF_MAP_CHILD = '''
    import os, re, sys, pyjion
    def hot(n):
        t = 0
        for i in range(n):
            t += i
        return t
    if not pyjion.config()["perf_map"]:
        pyjion.config(perf_map=True)
    pyjion.jit(hot)
    hot(10)
    import io
    listing = io.StringIO()
    pyjion.dis_native(hot, file=listing)
    start = int(re.search(r"bytes at 0x([0-9a-f]+)", listing.getvalue()).group(1), 16)
    print(os.getpid(), hex(start), pyjion.info(hot).code_size, pyjion.config()["perf_map"])
'''


@pytest.mark.parametrize("env", [{}, {"PYJION_PERF_MAP": "1"}])
def test_perf_map_names_compiled_functions(env: dict[str, str]) -> None:
    """perf's /tmp/perf-<pid>.map gets `START SIZE name` for each compiled function,
    with the address and size the machine code really has."""
    proc = run_child(PERF_MAP_CHILD, **env)
    assert proc.returncode == 0, proc.stderr
    pid, start, size, on = proc.stdout.split()
    assert on == "True"
    path = f"/tmp/perf-{pid}.map"
    try:
        lines = open(path).read().splitlines()
    finally:
        os.unlink(path)
    ours = [line.split(" ", 2) for line in lines if "py::hot:" in line]
    assert ours, lines[:5]
    address, length, name = ours[0]
    assert int(address, 16) == int(start, 16)
    assert int(length, 16) == int(size) > 0
    assert name.startswith("py::hot:<string>:")


def test_perf_map_off_by_default() -> None:
    assert pyjion.config()["perf_map"] is False
    proc = run_child("import os, pyjion\n@pyjion.jit\ndef f():\n    return 1\nf()\nprint(os.getpid())\n")
    assert proc.returncode == 0, proc.stderr
    assert not os.path.exists(f"/tmp/perf-{proc.stdout.strip()}.map")


# ---------------------------------------------------------------- jit


def test_jit_returns_same_function() -> None:
    f = fresh(LOOPLESS)
    assert pyjion.jit(f) is f
    assert f(3) == 7


def test_jit_as_decorator_both_forms() -> None:
    @pyjion.jit
    def a(x: int) -> int:
        return x + 1

    @pyjion.jit()
    def b(x: int) -> int:
        return x + 2

    assert isinstance(a, types.FunctionType) and a.__name__ == "a"
    assert isinstance(b, types.FunctionType) and b.__name__ == "b"
    assert a(1) == 2 and b(1) == 3
    assert pyjion.info(a).compiled and pyjion.info(b).compiled


def test_jit_lambda() -> None:
    g = pyjion.jit(lambda x: x * 3)
    assert g(2) == 6
    assert pyjion.info(g).compiled


class _K:
    def m(self) -> int:
        return 1


@pytest.mark.parametrize("bad", [len, _K, 42, "f", None.__class__, _K().m, math.sqrt, print, (lambda: 0).__code__])
def test_jit_rejects_non_functions(bad: object) -> None:
    with pytest.raises(TypeError):
        pyjion.jit(bad)


def test_marked_function_compiles_at_first_call_whatever_threshold() -> None:
    pyjion.config(threshold=1000)
    f = pyjion.jit(fresh(LOOPLESS))
    assert not pyjion.info(f).compiled
    assert f(1) == 3
    assert pyjion.info(f).compiled


def test_opt_in_mode_leaves_unmarked_code_alone() -> None:
    pyjion.config(threshold=0)
    marked = pyjion.jit(fresh(LOOPLESS))
    other = fresh(LOOPY)
    for _ in range(5):
        marked(1)
        other(10)
    assert pyjion.info(marked).compiled
    i = pyjion.info(other)
    assert not i.compiled and not i.failed


# ---------------------------------------------------------------- info


def test_info_accepts_function_method_code() -> None:
    class A:
        def m(self, x: int) -> int:
            return x - 1

    pyjion.jit(A.m)
    a = A()
    assert a.m(5) == 4
    by_func = pyjion.info(A.m)
    assert by_func.compiled
    assert pyjion.info(a.m) == by_func
    assert pyjion.info(A.m.__code__) == by_func


@pytest.mark.parametrize("bad", [len, 3, "code", None, _K, print])
def test_info_rejects_others(bad: object) -> None:
    with pytest.raises(TypeError):
        pyjion.info(bad)


def test_info_fields_and_types() -> None:
    f = pyjion.jit(fresh(LOOPY))
    f(10)
    i = pyjion.info(f)
    assert isinstance(i, pyjion.JitInfo)
    assert dataclasses.is_dataclass(i)
    names = [fl.name for fl in dataclasses.fields(i)]
    assert names == [
        "compiled", "failed", "reason", "run_count", "compile_count", "code_size", "compile_time_ns", "exits",
        "call_sites", "direct_call_sites", "operator_sites", "direct_operator_sites", "direct_entry",
        "leaf_start_overs", "leaf_off",
    ]
    assert type(i.compiled) is bool and type(i.failed) is bool
    assert i.reason is None or isinstance(i.reason, str)
    for name in ("run_count", "compile_count", "code_size", "compile_time_ns", "call_sites", "direct_call_sites",
                 "operator_sites", "direct_operator_sites"):
        assert type(getattr(i, name)) is int, name
    assert isinstance(i.exits, dict)
    assert i.direct_entry in ("none", "full", "trivial", "leaf")
    assert i.compiled and not i.failed and i.reason is None
    assert i.compile_count == 1 and i.code_size > 0 and i.compile_time_ns > 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        i.compiled = False  # type: ignore[misc]
    assert "compiled" in str(i)


def test_info_of_never_called_function() -> None:
    i = pyjion.info(fresh(LOOPLESS))
    assert (i.compiled, i.failed, i.reason, i.run_count, i.compile_count, i.code_size) == (False, False, None, 0, 0, 0)
    assert "not compiled yet (called 0 times)" in str(i)


def test_info_of_declined_function() -> None:
    f = pyjion.jit(fresh_declined())
    assert f(0) == 0 and f(2) == 0
    i = pyjion.info(f)
    assert i.failed and not i.compiled
    assert i.reason and "offset" in i.reason and "line" in i.reason
    assert i.reason in str(i)


def test_run_count_increments() -> None:
    f = pyjion.jit(fresh(LOOPLESS))
    f(0)
    before = pyjion.info(f).run_count
    assert before >= 1
    for k in range(3):
        f(k)
    assert pyjion.info(f).run_count == before + 3


def test_jitinfo_str_readable() -> None:
    i = pyjion.JitInfo(False, True, "opcode X at offset 2 (line 1) is not supported", 3, 0, 0, 0, {})
    assert "opcode X at offset 2" in str(i) and "3" in str(i)
    j = pyjion.JitInfo(True, False, None, 5, 1, 120, 2_000_000, {"deopt": 2})
    s = str(j)
    assert "120" in s and "deopt" in s


# ---------------------------------------------------------------- stats


def test_stats_keys_and_copy() -> None:
    f = pyjion.jit(fresh(LOOPY))
    f(3)
    s = pyjion.stats()
    for key in ("compiled", "declined", "decline_reasons", "code_bytes", "compile_time_ns", "exits"):
        assert key in s, key
    assert isinstance(s["decline_reasons"], dict) and isinstance(s["exits"], dict)
    assert s["compiled"] >= 1 and s["code_bytes"] > 0
    s["decline_reasons"]["fake"] = 1
    assert "fake" not in pyjion.stats()["decline_reasons"]


def test_stats_count_declines() -> None:
    before = pyjion.stats()["declined"]
    f = pyjion.jit(fresh_declined())
    f(1)
    s = pyjion.stats()
    assert s["declined"] == before + 1
    reason = pyjion.info(f).reason
    assert reason
    # keyed by the full reason or by a part of it (e.g. the opcode name)
    assert any(key in reason for key in s["decline_reasons"]), s["decline_reasons"]


# ---------------------------------------------------------------- dis_native


def test_dis_native_compiled() -> None:
    f = pyjion.jit(fresh(LOOPY))
    f(4)
    out = io.StringIO()
    assert pyjion.dis_native(f, file=out) is None
    text = out.getvalue()
    for word in ("LOAD_FAST", "FOR_ITER", "RETURN_VALUE", "mov"):
        assert word in text, word


def test_dis_native_default_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    f = pyjion.jit(fresh(LOOPLESS))
    f(1)
    pyjion.dis_native(f)
    assert "LOAD_FAST" in capsys.readouterr().out


def test_dis_native_declined_prints_reason() -> None:
    f = pyjion.jit(fresh_declined())
    f(1)
    out = io.StringIO()
    pyjion.dis_native(f, file=out)
    assert pyjion.info(f).reason in out.getvalue()


def test_dis_native_not_yet_compiled() -> None:
    f = fresh(LOOPLESS)
    out = io.StringIO()
    pyjion.dis_native(f, file=out)
    assert "not compiled yet (called 0 times)" in out.getvalue()


def test_dis_native_rejects_non_functions() -> None:
    with pytest.raises(TypeError):
        pyjion.dis_native(42)


# ---------------------------------------------------------------- compile policy (global mode)


def test_threshold_zero_compiles_at_first_call() -> None:
    f = fresh(LOOPLESS)
    pyjion.config(threshold=0)
    pyjion.enable()
    try:
        r = f(5)
    finally:
        pyjion.disable()
    assert r == 11
    assert pyjion.info(f).compiled


def test_threshold_n_compiles_after_n_calls() -> None:
    n = 5
    f = fresh(LOOPLESS)
    pyjion.config(threshold=n)
    pyjion.enable()
    try:
        for k in range(n - 1):
            assert f(k) == 2 * k + 1
        early = pyjion.info(f)
        for k in range(2):
            f(k)
    finally:
        pyjion.disable()
    assert not early.compiled, "compiled before `threshold` calls"
    assert early.run_count == n - 1
    assert pyjion.info(f).compiled, "not compiled after threshold + 1 calls"


def test_function_with_loop_compiles_at_first_call() -> None:
    """3.11's hook has no on-stack replacement: a loop must be compiled before it runs."""
    f = fresh(LOOPY)
    g = fresh(LOOPLESS)
    pyjion.config(threshold=1000)
    pyjion.enable()
    try:
        assert f(100) == 4950
        assert g(1) == 3
    finally:
        pyjion.disable()
    assert pyjion.info(f).compiled
    assert pyjion.info(f).run_count == 1
    assert not pyjion.info(g).compiled


def test_global_mode_declined_function_still_runs() -> None:
    f = fresh_declined()
    pyjion.config(threshold=0)
    pyjion.enable()
    try:
        assert f(0) == 0 and f(1) == 1
    finally:
        pyjion.disable()
    assert pyjion.info(f).failed


def test_disable_keeps_history() -> None:
    f = pyjion.jit(fresh(LOOPLESS))
    f(1)
    pyjion.disable()
    i = pyjion.info(f)
    assert i.compiled and i.run_count >= 1
    assert pyjion.stats()["compiled"] >= 1


# ---------------------------------------------------------------- PYJION_STATS_FILE


def test_stats_file_written_at_exit(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "stats.json"
    proc = run_child(
        """
        import pyjion
        @pyjion.jit
        def f(n):
            t = 0
            for i in range(n):
                t += i
            return t
        print(f(1000))
        """,
        PYJION_STATS_FILE=str(path),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "499500"
    data = json.loads(path.read_text())
    assert data["compiled"] >= 1
    for key in ("compiled", "declined", "decline_reasons", "code_bytes", "compile_time_ns", "exits"):
        assert key in data

