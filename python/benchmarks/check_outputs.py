"""Results of the pyperformance benchmarks' own code, for comparing JIT off and on.

    python check_outputs.py PYPERFORMANCE_BENCHMARKS_DIR [name,name,...]

Prints one JSON object: benchmark name -> a fingerprint of what its code
computes (return values, reprs of floats, the bytes of the image that raytrace
and chaos draw), or ``"error: ..."`` with the exception. ``run.py`` runs it once
with the JIT off and once on (``PYJION_BENCH`` through ``jit_site``) and reports
every benchmark whose fingerprint differs. Timing does not matter here; sizes
are small. Some benchmarks also check themselves while timed (hexiom compares
its solution, richards and deltablue raise on a wrong schedule or plan).
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import random
import subprocess
import sys
import tempfile
import traceback
from types import ModuleType
from typing import Any, Callable

BASE = sys.argv[1] if len(sys.argv) > 1 else ""


def load(name: str) -> ModuleType:
    path = os.path.join(BASE, f"bm_{name}", "run_benchmark.py")
    spec = importlib.util.spec_from_file_location(f"bm_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def image_of(name: str) -> str:
    # raytrace and chaos write a PPM image with --filename; run the script as
    # a pyperf worker (same environment, so the same JIT mode) and hash it.
    script = os.path.join(BASE, f"bm_{name}", "run_benchmark.py")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "image.ppm")
        subprocess.run([sys.executable, script, "--worker", "--debug-single-value", "-q", "--filename", out],
                       check=True, capture_output=True)
        with open(out, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()


def nbody() -> Any:
    m = load("nbody")
    m.offset_momentum(m.BODIES["sun"])
    energies = []
    for _ in range(3):
        m.advance(0.01, 2000)
        energies.append(repr(m.report_energy()))
    return energies


def spectral_norm() -> Any:
    m = load("spectral_norm")
    u = [1.0] * 100
    for _ in range(3):
        v = m.eval_AtA_times_u(u)
        u = m.eval_AtA_times_u(v)
    return repr(sum(u))


def nqueens() -> Any:
    m = load("nqueens")
    return [len(list(m.n_queens(8))), sorted(m.n_queens(6))]


def float_() -> Any:
    m = load("float")
    return [repr(m.benchmark(20000)) for _ in range(3)]


def go() -> Any:
    m = load("go")
    return [m.versus_cpu() for _ in range(2)]


def hexiom() -> Any:
    m = load("hexiom")
    m.main(2, 25)  # raises if the solution is not the expected one
    return "solved"


def unpack_sequence() -> Any:
    m = load("unpack_sequence")
    m.bench_all(20)
    return "ran"


def generators() -> Any:
    m = load("generators")
    return [list(m.tree(range(200))) == list(range(200)), sum(m.tree(range(5000)))]


def coroutines() -> Any:
    m = load("coroutines")
    coro = m.fibonacci(16)
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    return "did not finish"


CHECKS: dict[str, Callable[[], Any]] = {
    "nbody": nbody,
    "spectral_norm": spectral_norm,
    "fannkuch": lambda: [load("fannkuch").fannkuch(8) for _ in range(3)],
    "nqueens": nqueens,
    "float": float_,
    "richards": lambda: [load("richards").Richards().run(2) for _ in range(3)],
    "chaos": lambda: image_of("chaos"),
    "raytrace": lambda: image_of("raytrace"),
    "deltablue": lambda: [load("deltablue").delta_blue(200) for _ in range(3)],
    "go": go,
    "hexiom": hexiom,
    "unpack_sequence": unpack_sequence,
    "generators": generators,
    "coroutines": coroutines,
}


def main() -> None:
    names = [n for n in (sys.argv[2] if len(sys.argv) > 2 else "").split(",") if n] or list(CHECKS)
    out: dict[str, str] = {}
    for name in names:
        check = CHECKS.get(name)
        if check is None:
            continue
        random.seed(12345)
        try:
            out[name] = json.dumps(check(), default=repr)
        except Exception as exc:
            tb = traceback.format_exc(limit=-6)
            out[name] = f"error: {type(exc).__name__}: {exc}\n{tb}"
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
