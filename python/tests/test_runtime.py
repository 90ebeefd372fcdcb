"""Runtime behaviour of compiled code: signals, threads, recursion, W^X, freeing, kill switch."""
from __future__ import annotations

import gc
import signal
import subprocess
import sys
import textwrap
import threading
import time
import types
from typing import Any

import pytest

import pyjion
from support import fresh, popen_child, run_child

# ---------------------------------------------------------------- Ctrl-C

SPIN_BODIES = {
    "while-true": "while True:\n    pass",
    "for-range": "for i in range(10**12):\n    pass",
    "while-arith": "n = 0\nwhile n >= 0:\n    n = (n + 1) % 1000",
}

CTRL_C_CHILD = """
import sys, time
import pyjion
pyjion.enable()
pyjion.config(threshold=0)

def spin():
%s

try:
    print("READY", flush=True)
    spin()
    print("LOOP ENDED", flush=True)
except KeyboardInterrupt:
    caught = time.monotonic()
    sent = float(sys.stdin.readline())
    pyjion.disable()
    print("COMPILED", pyjion.info(spin).compiled, flush=True)
    print("LATENCY_MS %%.3f" %% ((caught - sent) * 1000), flush=True)
"""


@pytest.mark.parametrize("kind", sorted(SPIN_BODIES))
def test_ctrl_c_interrupts_compiled_loop(kind: str, report: Any) -> None:
    src = CTRL_C_CHILD % textwrap.indent(SPIN_BODIES[kind], "    ")
    proc = popen_child(src)
    try:
        assert proc.stdout is not None and proc.stdin is not None
        line = proc.stdout.readline()
        assert line.strip() == "READY", line + proc.stderr.read() if proc.stderr else line
        time.sleep(0.3)  # let it get deep into the loop
        sent = time.monotonic()  # CLOCK_MONOTONIC: the same clock in both processes
        proc.stdin.write(f"{sent!r}\n")
        proc.stdin.flush()
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=2.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"compiled {kind} loop did not stop within 2 s of SIGINT\nstdout: {out}\nstderr: {err}")
        exited = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "COMPILED True" in out, out + err
    latency = [ln for ln in out.splitlines() if ln.startswith("LATENCY_MS")]
    assert latency, out + err
    ms = float(latency[0].split()[1])
    assert 0 <= ms < 2000
    report(f"Ctrl-C latency in compiled {kind} loop: {ms:.3f} ms (process exit {exited * 1000:.0f} ms)")


# ---------------------------------------------------------------- threads


SPIN_UNTIL = """
import time
def spin(box, deadline):
    start = box.count
    while time.monotonic() < deadline:
        pass
    return box.count - start
"""


def test_other_thread_progresses_while_compiled_loop_runs() -> None:
    spin = pyjion.jit(fresh(SPIN_UNTIL, "spin"))
    box = types.SimpleNamespace(count=0)
    stop = threading.Event()

    def count() -> None:
        while not stop.is_set():
            box.count += 1

    t = threading.Thread(target=count)
    t.start()
    try:
        progressed = spin(box, time.monotonic() + 0.5)
    finally:
        stop.set()
        t.join()
    assert pyjion.info(spin).compiled
    assert progressed > 0, "the other thread never ran while the compiled loop held the GIL"


def test_main_thread_progresses_while_compiled_loop_runs_in_thread() -> None:
    spin = pyjion.jit(fresh(SPIN_UNTIL, "spin"))
    box = types.SimpleNamespace(count=0)
    result: list[int] = []
    t = threading.Thread(target=lambda: result.append(spin(box, time.monotonic() + 0.5)))
    t.start()
    while t.is_alive():
        box.count += 1
    t.join()
    assert pyjion.info(spin).compiled
    assert result and result[0] > 0, "the main thread never ran while the compiled loop ran in a thread"


def test_compiled_code_in_many_threads() -> None:
    f = pyjion.jit(fresh("def f(n):\n    t = 0\n    for i in range(n):\n        t += i * i\n    return t\n"))
    expected = sum(i * i for i in range(20000))
    results: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(5):
            r = f(20000)
            with lock:
                results.append(r)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 20
    assert pyjion.info(f).compiled


# ---------------------------------------------------------------- recursion


@pytest.mark.parametrize("limit", [200, 1000, 3000])
def test_infinite_recursion_raises_recursion_error(limit: int) -> None:
    f = pyjion.jit(fresh("def f(n):\n    return f(n + 1) + 1\n"))
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(limit)
    try:
        with pytest.raises(RecursionError):
            f(0)
    finally:
        sys.setrecursionlimit(old)
    assert sys.getrecursionlimit() == old
    assert pyjion.info(f).compiled
    # the interpreter and the compiled code still work afterwards
    g = pyjion.jit(fresh("def g(n):\n    return 0 if n == 0 else 1 + g(n - 1)\n", "g"))
    assert g(50) == 50


def test_recursion_error_in_subprocess_does_not_crash() -> None:
    """Deep recursion at a high limit must raise, not overflow the C stack."""
    proc = run_child(
        """
        import sys, pyjion
        @pyjion.jit
        def f(n):
            return f(n + 1) + 1
        sys.setrecursionlimit(20000)
        try:
            f(0)
        except RecursionError:
            print("RecursionError")
        """
    )
    assert proc.returncode == 0, f"child died: rc={proc.returncode}\n{proc.stderr[-2000:]}"
    assert "RecursionError" in proc.stdout


# ---------------------------------------------------------------- W^X


def test_no_mapping_is_writable_and_executable() -> None:
    """In a fresh process (nothing else loaded), compile several functions, then
    check /proc/self/maps: no mapping is both writable and executable."""
    proc = run_child(
        """
        import pyjion
        srcs = [
            "def f0(n):\\n    t = 0\\n    for i in range(n):\\n        t += i\\n    return t\\n",
            "def f1(a, b):\\n    return [a, b, a + b]\\n",
            "def f2(s):\\n    return f'{s!r}:{len(s)}'\\n",
            "def f3(d, k):\\n    d[k] = d.get(k, 0) + 1\\n    return d\\n",
            "def f4(x):\\n    return -x if x < 0 else x\\n",
        ]
        fs = []
        for i, src in enumerate(srcs):
            ns = {}
            exec(src, ns)
            fs.append(pyjion.jit(ns[f"f{i}"]))
        fs[0](100); fs[1](1, 2); fs[2]("x"); fs[3]({}, "k"); fs[4](-3)
        print("compiled", sum(pyjion.info(f).compiled for f in fs))
        bad = []
        with open("/proc/self/maps") as fh:
            for line in fh:
                perms = line.split()[1]
                if "w" in perms and "x" in perms:
                    bad.append(line.strip())
        print("WX", len(bad))
        for line in bad:
            print("BAD", line)
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert "compiled 5" in proc.stdout, proc.stdout
    assert "WX 0" in proc.stdout, proc.stdout


# ---------------------------------------------------------------- freeing code


def test_code_freed_with_its_code_object() -> None:
    gc.collect()
    before = pyjion.stats()
    fs = []
    for k in range(20):
        f = fresh(f"def f(n):\n    t = {k}\n    for i in range(n):\n        t += i * {k + 1}\n    return t\n")
        pyjion.jit(f)
        assert f(10) == k + 45 * (k + 1)
        fs.append(f)
    assert all(pyjion.info(f).compiled for f in fs)
    mid = pyjion.stats()
    assert mid["code_bytes"] > before["code_bytes"]
    del f, fs
    gc.collect()
    after = pyjion.stats()
    freed_keys = [k for k in ("freed", "freed_bytes", "code_bytes_freed") if k in after]
    if freed_keys:
        key = freed_keys[0]
        assert after[key] > mid.get(key, 0), f"{key} did not grow after the code objects died"
    else:
        assert after["code_bytes"] < mid["code_bytes"], "code_bytes did not go down after the code objects died"


# ---------------------------------------------------------------- kill switch


def test_disable_stops_compiled_code() -> None:
    f = pyjion.jit(fresh("def f(x):\n    return x * 2\n"))
    assert f(1) == 2
    runs = pyjion.info(f).run_count
    assert pyjion.info(f).compiled
    pyjion.disable()
    for k in range(5):
        assert f(k) == 2 * k
    i = pyjion.info(f)
    assert i.run_count == runs, "the hook saw calls after disable()"
    assert i.compiled, "disable() keeps compiled code"
    # enable() turns it back on
    pyjion.enable()
    try:
        f(3)
    finally:
        pyjion.disable()
    assert pyjion.info(f).run_count == runs + 1


def test_disable_after_enable_stops_everything() -> None:
    f = fresh("def f(x):\n    return x + 1\n")
    pyjion.config(threshold=0)
    pyjion.enable()
    f(1)
    pyjion.disable()
    runs = pyjion.info(f).run_count
    f(2)
    assert pyjion.info(f).run_count == runs


def test_new_mark_after_disable_resumes_opt_in() -> None:
    f = pyjion.jit(fresh("def f(x):\n    return x + 1\n"))
    f(1)
    pyjion.disable()
    g = pyjion.jit(fresh("def g(x):\n    return x + 2\n", "g"))
    assert g(1) == 3
    assert pyjion.info(g).compiled
    assert not pyjion.is_enabled()


# ---------------------------------------------------------------- tracing


def test_settrace_still_sees_lines() -> None:
    """Debuggers and coverage must keep working: with a trace function set,
    line events of a marked function are reported as by the interpreter."""
    src = "def f(n):\n    t = 0\n    for i in range(n):\n        t += i\n    return t\n"
    plain = fresh(src)
    marked = pyjion.jit(fresh(src))
    marked(1)  # compiled

    def lines_of(fn: Any) -> list[int]:
        seen: list[int] = []

        def tracer(frame: Any, event: str, arg: Any) -> Any:
            if frame.f_code is fn.__code__ and event == "line":
                seen.append(frame.f_lineno)
            return tracer

        sys.settrace(tracer)
        try:
            fn(3)
        finally:
            sys.settrace(None)
        return seen

    assert lines_of(marked) == lines_of(plain)



def test_global_cache_follows_rebinding() -> None:
    """LOAD_GLOBAL's cache is keyed on the dicts' versions: every change is seen."""
    import builtins

    ns: dict = {}
    exec("G = 1\ndef f():\n    return G + len('ab')\n", ns)
    f = pyjion.jit(ns["f"])
    assert f() == 3
    ns["G"] = 10
    assert f() == 12
    original_len = builtins.len
    builtins.len = lambda x: 100  # type: ignore[assignment]
    try:
        assert f() == 110
    finally:
        builtins.len = original_len
    ns["len"] = lambda x: 7  # a global shadows the builtin
    assert f() == 17
    del ns["len"]
    assert f() == 12
    del ns["G"]
    with pytest.raises(NameError, match="name 'G' is not defined"):
        f()
    assert pyjion.info(f).compiled


def test_frame_outliving_its_call_reports_the_return_line() -> None:
    """found by CPython's test_compile (test_lineno_after_implicit_return)."""
    import sys as _sys

    saved = []

    def keep_caller(_: object = None) -> None:
        saved.append(_sys._getframe(1))

    src = "TRUE = True\ndef f(x):\n    x()\n    if TRUE:\n        pass\n"
    lines = []
    for jit in (False, True):
        ns: dict = {}
        exec(compile(src, "<lineno-after-return>", "exec"), ns)
        f = ns["f"]
        if jit:
            pyjion.jit(f)
        f(keep_caller)
        frame = saved.pop()
        lines.append(frame.f_lineno - frame.f_code.co_firstlineno)
        if jit:
            assert pyjion.info(f).compiled
    assert lines[0] == lines[1] == 3


def test_direct_calls_yield_to_another_frame_evaluator() -> None:
    """found by CPython's test_capi (Test_Pep523API): once another PEP 523 function is
    installed, compiled code no longer calls compiled functions directly, and jit()
    puts pyjion's hook back afterwards."""
    import _testinternalcapi

    def inner() -> int:
        return 1

    def outer() -> int:
        return inner() + inner()

    pyjion.jit(inner)
    pyjion.jit(outer)
    assert outer() == 2 and outer() == 2
    calls: list = []
    try:
        _testinternalcapi.set_eval_frame_record(calls)
        assert outer() == 2
    finally:
        _testinternalcapi.set_eval_frame_default()
    assert calls == ["outer", "inner", "inner"]
    pyjion.jit(inner)  # reinstalls the hook
    before = pyjion.info(inner).run_count
    assert outer() == 2
    assert pyjion.info(inner).run_count == before + 2


@pytest.mark.parametrize("expression, size, churn", [
    # The interpreter's float free list: filled by the floats that die with `held`,
    # 500 blocks traced, of which PyFloat_FromDouble's _Py_NewReference moves the
    # trace of the ones it reuses to the new object's line.
    pytest.param("i * 0.5 + 0.25", 24, "held = [None] * n; held[i]", id="float"),
    # pyjion's list of one-digit ints: filled by the ones replaced in `held`, which die
    # in machine code; not taken from while tracing.
    pytest.param("i * 1000 - 999_999", 28, "held = [None] * 4; held[i % 4]", id="int"),
])
def test_results_from_free_lists_are_traced_by_tracemalloc(expression: str, size: int, churn: str) -> None:
    """Compiled arithmetic takes float and one-digit int objects from free lists inline,
    except while tracemalloc traces: then PyFloat_FromDouble and PyLong_FromSsize_t make
    them, traced to their own line. Results that `keep` makes after `churn` filled the
    lists must be traced to `keep`."""
    make_held, store = churn.split("; ")
    proc = run_child(f"""
        import tracemalloc, pyjion
        pyjion.enable()

        def churn(n):
            {make_held}
            for i in range(n):
                {store} = {expression}

        def keep(n):
            out = [None] * n
            for i in range(n):
                out[i] = {expression}
            return out

        churn(10)
        keep(10)
        assert pyjion.info(churn).compiled and pyjion.info(keep).compiled
        tracemalloc.start()
        churn(500)
        kept = keep(50)
        snapshot = tracemalloc.take_snapshot()
        tracemalloc.stop()
        line = keep.__code__.co_firstlineno + 3
        size = sum(s.size for s in snapshot.statistics("lineno") if s.traceback[0].lineno == line)
        assert size == 50 * {size}, size  # exactly the 50 results kept, none from a list
        expected = [{expression} for i in range(50)]
        assert kept == expected
        churn(500)
        assert keep(50) == expected  # not tracing: from the free lists
        print("ok", size)
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok"), proc.stdout


def test_fused_unpack_keeps_the_evaluators_order() -> None:
    """UNPACK_SEQUENCE with its STORE_FASTs compiles to stores straight into the
    locals; an old value that dies mid-way sees, from its __del__, the locals and line
    the interpreter shows (earlier targets rebound, later ones not yet)."""
    import sys as _sys

    log: list = []

    class D:
        def __init__(self, name: str) -> None:
            self.name = name

        def __del__(self) -> None:
            f = _sys._getframe(1)
            if f.f_code.co_name == "unpacker":
                shown = {k: (v.name if isinstance(v, D) else v) for k, v in f.f_locals.items()}
                log.append((self.name, shown, f.f_lineno - f.f_code.co_firstlineno))
                del shown
            else:
                log.append((self.name, None))

    src = """
    def unpacker(seq, D):
        a, b, c = D("a0"), D("b0"), D("c0")
        a, b, c = seq
        x, y = [D("x"), D("y")]
        x, y = (1, 2)
        a, a = (5, 6)
        try:
            p, q = [1, 2, 3]
        except ValueError as e:
            err = str(e)
        m, n = iter([7, 8])
        return a, b, c, x, y, err, m, n
    """
    results = []
    for jit in (False, True):
        f = fresh(src, "unpacker")
        if jit:
            pyjion.jit(f)
        runs = []
        for seq in ((1, 2, 3), [1, 2, 3]):
            out = f(seq, D)
            runs.append((out, list(log)))
            log.clear()
        if jit:
            assert pyjion.info(f).compiled
        results.append(runs)
    assert results[0] == results[1]
    assert results[0][0][0] == (6, 2, 3, 1, 2, "too many values to unpack (expected 2)", 7, 8)
    assert results[0][0][1][0] == ("a0", {"seq": (1, 2, 3), "D": D, "a": 1, "b": "b0", "c": "c0"}, 2)


def test_builtins_called_directly_check_their_results() -> None:
    """found by CPython's test_capi: a builtin called straight from machine code that
    returns NULL without an exception, or a result with one set, raises the
    SystemError the generic call path raises (_Py_CheckFunctionResult)."""
    import _testcapi

    def null_without_error() -> Any:
        return _testcapi.return_null_without_error()

    def result_with_error() -> Any:
        return _testcapi.return_result_with_error()

    for f, message in ((null_without_error, "returned NULL without setting an exception"),
                       (result_with_error, "returned a result with an exception set")):
        pyjion.jit(f)
        for _ in range(3):
            try:
                f()
            except SystemError as e:
                assert message in str(e), e
            else:
                raise AssertionError("no SystemError")
        assert pyjion.info(f).compiled
