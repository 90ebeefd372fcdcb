"""Not a failure: a performance repro. Compiled attribute access and Python
calls are slower than CPython 3.11's own evaluator (micro_attr_access,
micro_fib, micro_method_calls in run.py; richards, deltablue, raytrace, go).

    PYTHONPATH=python python3 python/benchmarks/repros/slow_attr_and_calls.py

Times each kernel in one process three ways: interpreted (no hook), with the
hook installed but nothing compiled (config(hook_only=True)), and compiled.
Best of 7; on a busy machine compare the ratios, not the times.
"""
from __future__ import annotations

import time
from typing import Callable

import pyjion


class Point:
    def __init__(self, x: int, y: int) -> None:
        self.x = x
        self.y = y


def attr_access(n: int) -> int:  # no calls in the loop: LOAD_ATTR / STORE_ATTR only
    p = Point(1, 2)
    for i in range(n):
        p.x = p.y + i
        p.y = p.x - i + 1
    return p.x + p.y


def fib(n: int) -> int:  # Python-to-Python calls
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def int_loop(n: int) -> int:  # for contrast: inline int paths
    total = 0
    for i in range(n):
        total = total + i * 3 - 7
    return total


KERNELS: list[tuple[Callable[[int], int], int]] = [(attr_access, 200_000), (fib, 22), (int_loop, 300_000)]


def best(f: Callable[[int], int], arg: int) -> float:
    times = []
    for _ in range(7):
        t0 = time.perf_counter()
        f(arg)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    plain = {f.__name__: best(f, a) for f, a in KERNELS}
    pyjion.config(hook_only=True)
    pyjion.enable()
    hook = {f.__name__: best(f, a) for f, a in KERNELS}
    pyjion.config(hook_only=False)
    for f, a in KERNELS:  # compile (loops compile at the first call, others after 2)
        for _ in range(3):
            f(a)
    jit = {f.__name__: best(f, a) for f, a in KERNELS}
    pyjion.disable()
    print(f"{'kernel':<12} {'plain':>9} {'hook only':>10} {'compiled':>9}  {'plain/compiled':>14}  compiled?")
    for f, _ in KERNELS:
        n = f.__name__
        print(f"{n:<12} {plain[n] * 1e3:7.2f}ms {hook[n] * 1e3:8.2f}ms {jit[n] * 1e3:7.2f}ms  "
              f"{plain[n] / jit[n]:13.2f}x  {pyjion.info(f).compiled}")


if __name__ == "__main__":
    main()
