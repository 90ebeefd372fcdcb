"""Turns pyjion on in benchmark processes (put this folder on PYTHONPATH).

``run.py`` puts this folder on ``PYTHONPATH`` for both modes and passes the
variables below through pyperf (``--inherit-environ``), so every pyperf worker
imports this module at startup. Without ``PYJION_BENCH`` it does nothing.

- ``PYJION_BENCH=1``: ``import pyjion; pyjion.enable()``.
- ``PYJION_BENCH_MODE=hook_only``: install the hook but compile nothing
  (``pyjion.config(hook_only=True)``), a baseline for the hook's own cost.
- ``PYJION_BENCH_THRESHOLD=N``: ``pyjion.config(threshold=N)``.
- ``PYJION_BENCH_STATS_DIR=dir``: at exit, write ``dir/<pid>.json`` with
  ``pyjion.stats()``, this process's ``argv`` and the code objects pyjion
  compiled that are still alive (found through ``gc.get_objects()``), with
  their instruction counts, ``code_size`` and ``compile_time_ns`` (all of them,
  and those from the benchmark script alone).
  (``PYJION_STATS_FILE`` names one path; a pyperf run has several processes.)
"""
from __future__ import annotations

import os


def _count_instructions(code: object) -> int:
    """Instructions in a code object, not counting inline CACHE entries."""
    raw: bytes = code.co_code  # type: ignore[attr-defined]
    return sum(1 for i in range(0, len(raw), 2) if raw[i] != 0)  # 0 is CACHE


def _dump_stats(path_dir: str) -> None:
    import gc
    import json
    import sys
    import types

    import pyjion

    seen: set[int] = set()
    codes: list[types.CodeType] = []

    def add(code: types.CodeType) -> None:
        if id(code) in seen:
            return
        seen.add(id(code))
        codes.append(code)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                add(const)

    for obj in gc.get_objects():
        if isinstance(obj, types.FunctionType):
            add(obj.__code__)

    script = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    keys = ("functions", "instructions", "code_units", "code_size", "compile_time_ns")
    alive = dict.fromkeys(keys, 0)
    in_script = dict.fromkeys(keys, 0)  # only code from the benchmark script itself
    biggest: list[tuple[int, str]] = []
    for code in codes:
        try:
            info = pyjion.info(code)
        except Exception:
            continue
        if not info.compiled:
            continue
        sums = [alive]
        if script and os.path.abspath(code.co_filename) == script:
            sums.append(in_script)
        for d in sums:
            d["functions"] += 1
            d["instructions"] += _count_instructions(code)
            d["code_units"] += len(code.co_code) // 2
            d["code_size"] += info.code_size
            d["compile_time_ns"] += info.compile_time_ns
        biggest.append((info.code_size, f"{code.co_filename}:{code.co_firstlineno}:{code.co_qualname}"))
    biggest.sort(reverse=True)
    data = {
        "pid": os.getpid(),
        "argv": sys.argv,
        "worker": "--worker" in sys.argv,
        "calibration": any(a.startswith(("--calibrate", "--recalibrate")) for a in sys.argv),
        "config": pyjion.config(),
        "stats": pyjion.stats(),
        "alive_compiled": {**alive, "largest": biggest[:5]},
        "script_compiled": in_script,
    }
    path = os.path.join(path_dir, f"{os.getpid()}.json")
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, sort_keys=True)
    os.replace(tmp, path)


def _setup() -> None:
    if os.environ.get("PYJION_BENCH") != "1":
        return
    import atexit

    import pyjion

    threshold = os.environ.get("PYJION_BENCH_THRESHOLD")
    if threshold:
        pyjion.config(threshold=int(threshold))
    if os.environ.get("PYJION_BENCH_MODE") == "hook_only":
        pyjion.config(hook_only=True)
    stats_dir = os.environ.get("PYJION_BENCH_STATS_DIR")
    if stats_dir:
        atexit.register(_dump_stats, stats_dir)
    pyjion.enable()


_setup()
