"""pyjion demo: the same numeric workload interpreted, then with pyjion.enable().

Prints the median of 3 runs for each, checks both give identical results, and
prints the speedup and how many functions pyjion compiled.

    python3 -m pyjion.demo
"""
from __future__ import annotations

import statistics
import sys
import time
from typing import Any, Callable

import pyjion


def advance(xs: list[float], ys: list[float], vxs: list[float], vys: list[float], masses: list[float], dt: float, steps: int) -> None:
    """A small n-body integration over plain lists of floats."""
    n = len(xs)
    for _ in range(steps):
        for i in range(n):
            ax = 0.0
            ay = 0.0
            xi = xs[i]
            yi = ys[i]
            for j in range(n):
                if i != j:
                    dx = xs[j] - xi
                    dy = ys[j] - yi
                    d2 = dx * dx + dy * dy + 0.01
                    inv = masses[j] / (d2 * d2 ** 0.5)
                    ax += dx * inv
                    ay += dy * inv
            vxs[i] += ax * dt
            vys[i] += ay * dt
        for i in range(n):
            xs[i] += vxs[i] * dt
            ys[i] += vys[i] * dt


def energy(xs: list[float], ys: list[float], vxs: list[float], vys: list[float], masses: list[float]) -> float:
    e = 0.0
    n = len(xs)
    for i in range(n):
        e += 0.5 * masses[i] * (vxs[i] * vxs[i] + vys[i] * vys[i])
        for j in range(i + 1, n):
            dx = xs[j] - xs[i]
            dy = ys[j] - ys[i]
            e -= masses[i] * masses[j] / (dx * dx + dy * dy + 0.01) ** 0.5
    return e


def nbody(steps: int) -> float:
    n = 8
    xs = [float(i) for i in range(n)]
    ys = [float(i * i % 5) for i in range(n)]
    vxs = [0.0] * n
    vys = [0.1 * i for i in range(n)]
    masses = [1.0 + 0.1 * i for i in range(n)]
    advance(xs, ys, vxs, vys, masses, 0.001, steps)
    return energy(xs, ys, vxs, vys, masses)


def count_primes(limit: int) -> int:
    """Trial division: a nested integer loop."""
    count = 0
    n = 2
    while n < limit:
        d = 2
        prime = True
        while d * d <= n:
            if n % d == 0:
                prime = False
                break
            d += 1
        if prime:
            count += 1
        n += 1
    return count


def histogram(seed: int, n: int, buckets: int) -> list[int]:
    """A linear congruential generator feeding list processing."""
    counts = [0] * buckets
    x = seed
    values = []
    for _ in range(n):
        x = (x * 1103515245 + 12345) % 2147483648
        values.append(x % 1000)
    for v in values:
        counts[v * buckets // 1000] += 1
    return counts


def workload() -> tuple[Any, ...]:
    return nbody(30000), count_primes(300000), histogram(42, 600000, 16)


def median_time(fn: Callable[[], Any], runs: int = 3) -> tuple[float, Any]:
    times = []
    result = None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> int:
    print(f"pyjion {pyjion.__version__} on Python {sys.version.split()[0]}")
    print(f"config: {pyjion.config()}")

    t_interp, r_interp = median_time(workload)
    print(f"interpreted: {t_interp:.3f} s (median of 3)")

    pyjion.enable()
    try:
        t_jit, r_jit = median_time(workload)
    finally:
        pyjion.disable()
    print(f"pyjion:      {t_jit:.3f} s (median of 3)")

    if r_jit != r_interp:
        print(f"MISMATCH: interpreted {r_interp!r} != pyjion {r_jit!r}")
        return 1
    print("results identical")
    print(f"speedup: {t_interp / t_jit:.2f}x")

    s = pyjion.stats()
    print(f"functions compiled: {s['compiled']}, declined: {s['declined']}, machine code: {s['code_bytes']} bytes")
    for fn in (advance, energy, count_primes, histogram):
        print(f"  {fn.__name__}: {pyjion.info(fn)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
