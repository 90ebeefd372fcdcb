"""Threads, signals and asynchronous exceptions reaching compiled code."""
from __future__ import annotations

import os
import re
import signal
import statistics
import threading
import time
from typing import Any

import pytest

import pyjion
from support import fresh, popen_child, run_child

# ---------------------------------------------------------------- PyThreadState_SetAsyncExc

ASYNC_CHILD = r"""
import ctypes, sys, threading, time, pyjion

@pyjion.jit
def spin(box):
%s

class Stop(Exception):
    pass

box = [0]
got = {}

def run():
    try:
        spin(box)
        got["returned"] = True
    except Stop:
        got["t"] = time.monotonic()

t = threading.Thread(target=run, daemon=True)
t.start()
deadline = time.monotonic() + 10
while box[0] < 1000 and time.monotonic() < deadline:
    time.sleep(0.01)
time.sleep(0.2)
print("COMPILED", pyjion.info(spin).compiled, flush=True)
sent = time.monotonic()
n = ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(t.ident), ctypes.py_object(Stop))
print("SET", n, flush=True)
t.join(5)
if "t" in got:
    print("LATENCY_MS %%.3f" %% ((got["t"] - sent) * 1000), flush=True)
else:
    print("NOT DELIVERED alive=%%s returned=%%s" %% (t.is_alive(), got.get("returned")), flush=True)
    sys.stdout.flush()
    import os
    os._exit(3)
"""

ASYNC_BODIES = {
    "while-true": "    n = 0\n    while True:\n        n += 1\n        box[0] = n",
    "while-true-pass": "    box[0] = 5000\n    while True:\n        pass",
    "for-range": "    for i in range(10**15):\n        box[0] = i",
    "nested-calls": "    n = 0\n    while True:\n        n = len(box) + n\n        box[0] = n",
}


@pytest.mark.parametrize("kind", sorted(ASYNC_BODIES))
def test_async_exception_reaches_compiled_loop(kind: str, report: Any) -> None:
    proc = run_child(ASYNC_CHILD % ASYNC_BODIES[kind], timeout=60)
    out = proc.stdout
    assert "COMPILED True" in out, out + proc.stderr[-2000:]
    assert "SET 1" in out, out
    m = re.search(r"LATENCY_MS ([\d.]+)", out)
    assert m, f"async exception never reached the compiled loop within 5 s: {out}\n{proc.stderr[-2000:]}"
    latency = float(m.group(1))
    report(f"async exception latency in compiled {kind} loop: {latency:.3f} ms")
    assert latency < 2000


# ---------------------------------------------------------------- threads


NUMERIC_SRCS = [
    "def f(n):\n    t = 0\n    for i in range(n):\n        t += i * i - (i // 3)\n    return t\n",
    "def f(n):\n    x = 0.5\n    i = 0\n    while i < n:\n        x = x * 1.0000001 + i / (i + 1.0)\n        i += 1\n    return x\n",
    "def f(n):\n    xs = [0] * 16\n    for i in range(n):\n        xs[i % 16] = xs[(i + 1) % 16] + i\n    return xs\n",
    "def f(n):\n    d = {}\n    for i in range(n):\n        k = i % 97\n        d[k] = d.get(k, 0) + (i ^ k)\n    return sorted(d.items())[:5]\n",
    "def f(n):\n    a = 2**62\n    for i in range(n):\n        a = (a * 3 + i) % (2**64 + 13)\n    return a\n",
]


def test_threads_run_compiled_numeric_code_at_once() -> None:
    """4 threads, each running several different compiled functions at the same time,
    with a tiny switch interval so the GIL moves often mid-function."""
    jitted = [pyjion.jit(fresh(s)) for s in NUMERIC_SRCS]
    plain = [fresh(s) for s in NUMERIC_SRCS]
    n = 20000
    expected = [p(n) for p in plain]
    barrier = threading.Barrier(4)
    results: dict[int, list[Any]] = {}
    errors: list[BaseException] = []

    def work(tid: int) -> None:
        try:
            barrier.wait()
            out = []
            for rep in range(3):
                for k in range(len(jitted)):
                    j = (k + tid + rep) % len(jitted)
                    out.append((j, jitted[j](n)))
            results[tid] = out
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    old = __import__("sys").getswitchinterval()
    __import__("sys").setswitchinterval(1e-5)
    try:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not any(t.is_alive() for t in threads), "a thread hung"
    finally:
        __import__("sys").setswitchinterval(old)
    assert not errors, errors
    for tid in range(4):
        for j, r in results[tid]:
            assert r == expected[j], (tid, j, r, expected[j])
    assert all(pyjion.info(f).compiled for f in jitted), [str(pyjion.info(f)) for f in jitted]


def test_threads_share_one_compiled_function_with_exceptions() -> None:
    """Threads in the same compiled function, half of the calls raising mid-loop
    (handing the frame to the interpreter), all see their own correct outcome."""
    src = (
        "def f(n, fail_at):\n"
        "    t = 0\n"
        "    for i in range(n):\n"
        "        if i == fail_at:\n"
        "            raise ValueError(i)\n"
        "        t += i\n"
        "    return t\n"
    )
    f = pyjion.jit(fresh(src))
    errors: list[str] = []

    def work(tid: int) -> None:
        for k in range(200):
            fail_at = (k * 7 + tid) % 400 if k % 2 else -1
            try:
                r = f(300, fail_at)
            except ValueError as exc:
                if not (0 <= fail_at < 300 and exc.args == (fail_at,)):
                    errors.append(f"unexpected ValueError {exc.args} fail_at={fail_at}")
            else:
                if 0 <= fail_at < 300 or r != sum(range(300)):
                    errors.append(f"returned {r} fail_at={fail_at}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:10]
    assert pyjion.info(f).compiled


# ---------------------------------------------------------------- signals

SIGINT_CHILD = r"""
import sys, time, pyjion
pyjion.enable()
pyjion.config(threshold=0)

def spin():
    n = 0
    while True:
        n = (n + 1) %% 1000

try:
    print("READY", flush=True)
    spin()
except KeyboardInterrupt:
    t = time.monotonic()
    pyjion.disable()
    print("CAUGHT %%r" %% t, flush=True)
    print("COMPILED", pyjion.info(spin).compiled, flush=True)
"""


def test_ctrl_c_median_latency(report: Any) -> None:
    latencies = []
    for _ in range(5):
        proc = popen_child(SIGINT_CHILD % ())
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "READY"
            time.sleep(0.2)
            sent = time.monotonic()
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        m = re.search(r"CAUGHT ([\d.]+)", out)
        assert m, f"KeyboardInterrupt not caught: rc={proc.returncode}\n{out}\n{err[-2000:]}"
        assert "COMPILED True" in out, out
        latencies.append(float(m.group(1)) - sent)
    med = statistics.median(latencies)
    report(f"Ctrl-C latency over 5 runs: median {med * 1000:.2f} ms, max {max(latencies) * 1000:.2f} ms")
    assert all(lat < 2.0 for lat in latencies), latencies


def test_python_signal_handler_runs_during_compiled_loop() -> None:
    """A Python-level SIGALRM handler runs while a compiled loop spins and can stop it
    by mutating state the loop reads."""
    f = pyjion.jit(fresh("def f(flag):\n    n = 0\n    while not flag[0]:\n        n += 1\n    return n\n"))
    flag = [False]
    hits = []

    def handler(signum: int, frame: Any) -> None:
        hits.append(signum)
        flag[0] = True

    old = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.1)
        t0 = time.monotonic()
        n = f(flag)
        elapsed = time.monotonic() - t0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert hits == [signal.SIGALRM]
    assert n > 0 and elapsed < 2.0
    assert pyjion.info(f).compiled


def test_signal_handler_exception_propagates_out_of_compiled_code() -> None:
    f = pyjion.jit(fresh("def f():\n    n = 0\n    while True:\n        n += 1\n"))

    class Boom(Exception):
        pass

    def handler(signum: int, frame: Any) -> None:
        raise Boom()

    old = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        with pytest.raises(Boom):
            f()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert pyjion.info(f).compiled
