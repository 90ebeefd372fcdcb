"""Microbenchmarks for pyjion, as one pyperf script.

Each benchmark times one small kernel that exercises one thing the JIT does:
an int loop, a float loop, recursive calls, attribute access on an instance,
method calls, and list indexing. Every kernel returns a value that is checked
against the value computed by the plain interpreter (hard-coded below), so a
wrong answer with the JIT on fails the run instead of timing nonsense.

Run directly (``python micro.py --select fib``) or through ``run.py``, which
selects one kernel per pyperf invocation (``--select NAME``) so that the JIT-off
and JIT-on runs of each kernel alternate.
"""
from __future__ import annotations

import argparse
from typing import Callable

import pyperf

# --------------------------------------------------------------------------
# Kernels. Sizes are chosen so one call takes roughly 1-10 ms interpreted.


def int_loop(n: int) -> int:
    total = 0
    i = 0
    while i < n:
        total = total + i * 3 - 7
        if total > 1_000_000:
            total = total - 999_983
        i = i + 1
    return total


def float_loop(n: int) -> float:
    x = 0.5
    y = 0.0
    for i in range(n):
        x = x * 0.999 + 1.25
        y = y + x / 3.0 - 0.125
    return x + y


def fib(n: int) -> int:
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


class Point:
    def __init__(self, x: int, y: int) -> None:
        self.x = x
        self.y = y


def attr_access(n: int) -> int:
    p = Point(1, 2)
    for i in range(n):
        p.x = p.y + i
        p.y = p.x - i + 1
    return p.x + p.y


class Counter:
    def __init__(self) -> None:
        self.n = 0

    def add(self, k: int) -> int:
        self.n = self.n + k
        return self.n

    def get(self) -> int:
        return self.n


def method_calls(n: int) -> int:
    c = Counter()
    total = 0
    for i in range(n):
        c.add(i)
        total = total + c.get()
    return total


def list_index(n: int) -> int:
    size = 1000
    a = list(range(size))
    b = [0] * size
    total = 0
    for r in range(n):
        for i in range(size):
            b[i] = a[i] + r
            total = total + b[i] - a[size - 1 - i]
    return total


# name -> (kernel, argument, expected result from the plain interpreter)
KERNELS: dict[str, tuple[Callable[[int], object], int, object]] = {
    "int_loop": (int_loop, 100_000, 404_983),
    "float_loop": (float_loop, 100_000, 41239333.16666294),
    "fib": (fib, 25, 75025),
    "attr_access": (attr_access, 100_000, 300_002),
    "method_calls": (method_calls, 50_000, 20_833_333_325_000),
    "list_index": (list_index, 50, 1_225_000),
}


def make_timer(name: str) -> Callable[[int], float]:
    kernel, arg, expected = KERNELS[name]

    def timed(loops: int) -> float:
        result: object = None
        t0 = pyperf.perf_counter()
        for _ in range(loops):
            result = kernel(arg)
        dt = pyperf.perf_counter() - t0
        if result != expected:
            raise AssertionError(f"micro {name}: got {result!r}, expected {expected!r}")
        return dt

    return timed


def add_cmdline_args(cmd: list[str], args: argparse.Namespace) -> None:
    if args.select:
        cmd.extend(["--select", args.select])


def main() -> None:
    runner = pyperf.Runner(add_cmdline_args=add_cmdline_args)
    runner.metadata["description"] = "pyjion microbenchmarks"
    runner.argparser.add_argument(
        "--select", default="", help="comma-separated kernels to run (default: all): " + ", ".join(KERNELS)
    )
    args = runner.parse_args()
    names = [n for n in args.select.split(",") if n] or list(KERNELS)
    for name in names:
        if name not in KERNELS:
            raise SystemExit(f"micro.py: unknown kernel {name!r}; choose from {', '.join(KERNELS)}")
        runner.bench_time_func(f"micro_{name}", make_timer(name))


if __name__ == "__main__":
    main()
