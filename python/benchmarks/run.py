#!/usr/bin/env python3
"""Benchmark runner for pyjion: pyperformance benchmarks and micro.py, JIT off vs on.

    python3 python/benchmarks/run.py                 # full run: 3 rounds, all benchmarks
    python3 python/benchmarks/run.py --smoke         # one quick round, checks the plumbing
    python3 python/benchmarks/run.py --bench nbody,micro_fib --rounds 5
    python3 python/benchmarks/run.py --list

What it does:

1. Creates ``python/benchmarks/.venv`` (no system site-packages) with the
   interpreter running this script, installs the pinned ``pyperformance`` and
   ``pyperf`` from PyPI if they are missing, and re-runs itself inside it. The
   venv sees pyjion through a ``.pth`` file naming ``python/``.
2. Runs each selected benchmark script through pyperf, once with the JIT off
   and once with it on, per round. The two modes alternate benchmark by
   benchmark (off, on / on, off in odd rounds, so neither mode always runs
   first). The JIT is turned on inside pyperf's worker processes by
   ``jit_site/sitecustomize.py`` when ``PYJION_BENCH=1`` is passed through
   (``--inherit-environ``). "Off" is the same interpreter and venv without
   pyjion imported (``--off-mode hook_only`` instead installs the hook but
   compiles nothing).
3. For each benchmark and mode, takes pyperf's mean per round and the median of
   those over rounds; speedup = off / on; geometric mean of the speedups.
4. Before timing, runs ``check_outputs.py`` with the JIT off and on and
   compares what each pyperformance benchmark's code computes (micro.py checks
   its own results against hard-coded ones).
5. Prints a table, and writes ``results/latest.json``, ``results/latest.svg``
   (bar chart), ``results/latest-pyperf-off.json`` and ``-on.json`` (all
   rounds merged, for ``python -m pyperf compare_to``), and the log of every
   pyperf invocation under ``results/work-latest/logs/``. ``--smoke`` writes
   ``results/smoke.*`` instead.

With the JIT on, each worker writes pyjion's statistics at exit; the runner
reports per benchmark the functions compiled, the compile time per function and
per bytecode instruction, and the machine code bytes.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable
from xml.sax.saxutils import escape

PYPERFORMANCE_VERSION = "1.14.0"
PYPERF_VERSION = "2.10.0"

BENCH_DIR = Path(__file__).resolve().parent
PYTHON_DIR = BENCH_DIR.parent
REPO_DIR = PYTHON_DIR.parent
VENV_DIR = BENCH_DIR / ".venv"
SITE_DIR = BENCH_DIR / "jit_site"
MICRO_SCRIPT = BENCH_DIR / "micro.py"
RESULTS_DIR = BENCH_DIR / "results"

# pyperformance benchmarks (directory bm_<name> in pyperformance's data-files).
PYPERFORMANCE_BENCHES = [
    "nbody",
    "spectral_norm",
    "fannkuch",
    "nqueens",
    "float",
    "richards",
    "chaos",
    "raytrace",
    "deltablue",
    "go",
    "hexiom",
    "unpack_sequence",
    "generators",
    "coroutines",
]
# Kernels of micro.py (micro.KERNELS), run as micro_<name>.
MICRO_KERNELS = ["int_loop", "float_loop", "fib", "attr_access", "method_calls", "list_index"]
MICRO_BENCHES = [f"micro_{k}" for k in MICRO_KERNELS]
ALL_BENCHES = PYPERFORMANCE_BENCHES + MICRO_BENCHES

# Variables pyperf must pass to its workers (PYTHONPATH is passed by default,
# listed anyway so the intent is visible).
INHERITED = ["PYTHONPATH", "PYJION_BENCH", "PYJION_BENCH_MODE", "PYJION_BENCH_THRESHOLD", "PYJION_BENCH_STATS_DIR"]

MODES = ("off", "on")


# --------------------------------------------------------------------------
# Settings


@dataclass
class PyperfSettings:
    processes: int
    values: int
    warmups: int
    loops: int  # 0: pyperf calibrates
    min_time: float

    def args(self) -> list[str]:
        return [
            "--processes", str(self.processes),
            "--values", str(self.values),
            "--warmups", str(self.warmups),
            "--loops", str(self.loops),
            "--min-time", repr(self.min_time),
        ]


# Full run: per benchmark and mode, `rounds` x 4 worker processes x 3 values
# (after 1 warmup), plus one loop-calibration process per invocation.
DEFAULT_SETTINGS = PyperfSettings(processes=4, values=3, warmups=1, loops=0, min_time=0.1)
# Smoke: one worker, one warmup and one value of a single loop: no calibration.
SMOKE_SETTINGS = PyperfSettings(processes=1, values=1, warmups=1, loops=1, min_time=0.1)


# --------------------------------------------------------------------------
# Environment: venv, pinned packages, re-exec


def log(msg: str) -> None:
    print(msg, flush=True)


def in_venv() -> bool:
    try:
        return Path(sys.prefix).resolve() == VENV_DIR.resolve()
    except OSError:
        return False


def venv_python() -> Path:
    return VENV_DIR / "bin" / "python"


def packages_ok(python: str) -> bool:
    check = (
        "import importlib.metadata as m, sys\n"
        f"ok = m.version('pyperformance') == {PYPERFORMANCE_VERSION!r} and m.version('pyperf') == {PYPERF_VERSION!r}\n"
        "sys.exit(0 if ok else 1)\n"
    )
    return subprocess.run([python, "-c", check], capture_output=True).returncode == 0


def install_packages(python: str) -> None:
    if packages_ok(python):
        return
    cmd = [
        python, "-m", "pip", "install", "--disable-pip-version-check", "--quiet",
        f"pyperformance=={PYPERFORMANCE_VERSION}", f"pyperf=={PYPERF_VERSION}",
    ]
    log("installing: " + " ".join(cmd))
    subprocess.check_call(cmd)
    if not packages_ok(python):
        raise SystemExit(f"run.py: pyperformance {PYPERFORMANCE_VERSION} / pyperf {PYPERF_VERSION} not importable after install")


def ensure_venv() -> None:
    """Create the venv if needed, install the pinned packages, and re-exec inside it."""
    if sys.version_info[:2] != (3, 11):
        raise SystemExit(f"run.py: pyjion needs CPython 3.11; this is {sys.version.split()[0]} ({sys.executable})")
    py = venv_python()
    if not py.exists():
        log(f"creating venv {VENV_DIR} with {sys.executable}")
        subprocess.check_call([sys.executable, "-m", "venv", str(VENV_DIR)])
    # The venv sees the pyjion package (python/) through a .pth file.
    out = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    )
    pth = Path(out.stdout.strip()) / "pyjion-src.pth"
    if not pth.exists() or pth.read_text().strip() != str(PYTHON_DIR):
        pth.write_text(str(PYTHON_DIR) + "\n")
    install_packages(str(py))
    if not in_venv():
        os.execv(str(py), [str(py), str(Path(__file__).resolve()), *sys.argv[1:]])


def worker_environ(mode: str, off_mode: str, threshold: int | None, stats_dir: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    for name in INHERITED + ["PYJION_STATS_FILE", "PYJION_DUMP"]:
        env.pop(name, None)
    env["PYTHONPATH"] = os.pathsep.join([str(SITE_DIR), str(PYTHON_DIR)])
    if mode == "on" or off_mode == "hook_only":
        env["PYJION_BENCH"] = "1"
        if mode == "off":
            env["PYJION_BENCH_MODE"] = "hook_only"
        if threshold is not None:
            env["PYJION_BENCH_THRESHOLD"] = str(threshold)
        if stats_dir is not None and mode == "on":
            env["PYJION_BENCH_STATS_DIR"] = str(stats_dir)
    return env


# --------------------------------------------------------------------------
# Facts about the machine


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_facts() -> dict[str, Any]:
    def git(*args: str) -> str:
        r = subprocess.run(["git", "-C", str(REPO_DIR), *args], capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else ""

    return {"commit": git("rev-parse", "HEAD"), "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


def pyjion_version(python: str) -> str:
    env = worker_environ("off", "plain", None, None)
    r = subprocess.run([python, "-c", "import pyjion; print(pyjion.__version__)"], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(
            "run.py: cannot import pyjion:\n" + r.stderr
            + f"\nbuild it first: cd {REPO_DIR} && python3 setup.py build_ext --inplace"
        )
    return r.stdout.strip()


def machine_facts(python: str) -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "python_full": sys.version,
        "python_executable": sys.executable,
        "pyjion_version": pyjion_version(python),
        "pyperformance_version": PYPERFORMANCE_VERSION,
        "pyperf_version": PYPERF_VERSION,
        "git": git_facts(),
        "loadavg_start": list(os.getloadavg()),
    }


# --------------------------------------------------------------------------
# Benchmarks


@dataclass
class Bench:
    name: str
    script: Path
    args: list[str]


def pyperformance_dir() -> Path:
    import pyperformance  # available in the venv

    return Path(pyperformance.__file__).resolve().parent / "data-files" / "benchmarks"


def resolve_benches(names: list[str]) -> list[Bench]:
    base = pyperformance_dir()
    out: list[Bench] = []
    for name in names:
        if name.startswith("micro_"):
            out.append(Bench(name, MICRO_SCRIPT, ["--select", name[len("micro_"):]]))
            continue
        script = base / f"bm_{name}" / "run_benchmark.py"
        if not script.exists():
            raise SystemExit(f"run.py: no pyperformance benchmark script {script}")
        out.append(Bench(name, script, []))
    return out


def select_names(spec: str | None) -> list[str]:
    if not spec:
        return list(ALL_BENCHES)
    names: list[str] = []
    for raw in spec.split(","):
        name = raw.strip()
        if not name:
            continue
        if name == "pyperformance":
            names += PYPERFORMANCE_BENCHES
        elif name == "micro":
            names += MICRO_BENCHES
        elif name in ALL_BENCHES or (name.startswith("micro_") and name[6:] in MICRO_KERNELS):
            names.append(name)
        elif f"micro_{name}" in MICRO_BENCHES:
            names.append(f"micro_{name}")
        else:
            # Any other pyperformance benchmark directory is accepted too.
            if (pyperformance_dir() / f"bm_{name}" / "run_benchmark.py").exists():
                names.append(name)
            else:
                raise SystemExit(f"run.py: unknown benchmark {name!r} (see --list)")
    seen: set[str] = set()
    return [n for n in names if not (n in seen or seen.add(n))]


# --------------------------------------------------------------------------
# One pyperf invocation


@dataclass
class RunResult:
    mode: str
    round: int
    ok: bool
    mean: float | None = None  # seconds
    stdev: float | None = None
    nvalues: int = 0
    wall: float = 0.0
    error: str | None = None
    log: str = ""
    stats_dir: str | None = None
    json: str | None = None


def tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def run_one(bench: Bench, mode: str, rnd: int, args: argparse.Namespace, settings: PyperfSettings,
            work: Path) -> RunResult:
    tag = f"{bench.name}-{mode}-r{rnd}"
    out_json = work / "pyperf" / f"{tag}.json"
    log_file = work / "logs" / f"{tag}.log"
    stats_dir = work / "stats" / tag if mode == "on" else None
    for p in (out_json, log_file):
        p.parent.mkdir(parents=True, exist_ok=True)
        if p.exists():
            p.unlink()
    if stats_dir is not None:
        shutil.rmtree(stats_dir, ignore_errors=True)
        stats_dir.mkdir(parents=True)
    env = worker_environ(mode, args.off_mode, args.threshold, stats_dir)
    cmd = [
        sys.executable, str(bench.script), *bench.args, *settings.args(),
        "--inherit-environ", ",".join(INHERITED), "--output", str(out_json),
        *args.pyperf_arg,
    ]
    t0 = time.perf_counter()
    res = RunResult(mode=mode, round=rnd, ok=False, log=str(log_file),
                    stats_dir=str(stats_dir) if stats_dir else None)
    try:
        proc = subprocess.run(cmd, env=env, cwd=str(bench.script.parent), capture_output=True, text=True,
                              timeout=args.timeout)
        output = proc.stdout + ("\n--- stderr ---\n" + proc.stderr if proc.stderr else "")
        rc: int | None = proc.returncode
    except subprocess.TimeoutExpired as exc:
        output = f"{exc.stdout or ''}\n--- stderr ---\n{exc.stderr or ''}\nTIMEOUT after {args.timeout}s"
        rc = None
    res.wall = time.perf_counter() - t0
    log_file.write_text(f"$ {' '.join(cmd)}\n# mode={mode} PYJION_BENCH={env.get('PYJION_BENCH', '')}\n{output}")
    if rc != 0:
        res.error = f"exit code {rc}" if rc is not None else "timeout"
        res.error += ": " + tail(output, 12)
        return res
    try:
        import pyperf

        suite = pyperf.BenchmarkSuite.load(str(out_json))
        benches = suite.get_benchmarks()
        means = [b.mean() for b in benches]
        # One benchmark per script for the selected set; if a script reports
        # several, use their geometric mean.
        res.mean = math.exp(sum(math.log(m) for m in means) / len(means))
        res.stdev = benches[0].stdev() if len(benches) == 1 and benches[0].get_nvalue() > 1 else None
        res.nvalues = sum(b.get_nvalue() for b in benches)
        res.json = str(out_json)
        res.ok = True
    except Exception as exc:  # a broken JSON file is a failed run, not a crash of the runner
        res.error = f"cannot read pyperf output: {exc!r}"
    return res


# --------------------------------------------------------------------------
# Output check: same results with the JIT off and on


def check_outputs(names: list[str], args: argparse.Namespace, work: Path) -> dict[str, dict[str, str]]:
    """Run check_outputs.py off and on; per benchmark: status 'same', 'differs' or 'error'."""
    names = [n for n in names if not n.startswith("micro_")]  # micro.py checks its own results
    if not names:
        return {}
    got: dict[str, dict[str, str]] = {}
    for mode in MODES:
        env = worker_environ(mode, "plain", args.threshold, None)
        cmd = [sys.executable, str(BENCH_DIR / "check_outputs.py"), str(pyperformance_dir()), ",".join(names)]
        try:
            proc = subprocess.run(cmd, env=env, cwd=str(work), capture_output=True, text=True, timeout=args.timeout)
            (work / f"check-{mode}.log").write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
            got[mode] = json.loads(proc.stdout) if proc.returncode == 0 else {
                n: f"error: check_outputs.py exit code {proc.returncode}: {tail(proc.stderr, 8)}" for n in names}
        except (subprocess.TimeoutExpired, ValueError) as exc:
            got[mode] = {n: f"error: {exc!r}" for n in names}
    out: dict[str, dict[str, str]] = {}
    for n in names:
        off, on = got["off"].get(n), got["on"].get(n)
        if off is None or on is None:
            continue
        if off.startswith("error") or on.startswith("error"):
            status = "error"
        else:
            status = "same" if off == on else "differs"
        out[n] = {"status": status, "off": off[:2000], "on": on[:2000]}
    return out


# --------------------------------------------------------------------------
# JIT statistics from the workers


def jit_stats(stats_dirs: Iterable[str]) -> dict[str, Any] | None:
    files: list[dict[str, Any]] = []
    for d in stats_dirs:
        for p in sorted(Path(d).glob("*.json")):
            try:
                files.append(json.loads(p.read_text()))
            except (OSError, ValueError):
                continue
    # Measuring workers only: not pyperf's manager process, not loop calibration.
    workers = [f for f in files if f.get("worker") and not f.get("calibration")]
    if not workers:
        workers = [f for f in files if f.get("worker")]
    if not workers:
        return None
    n = len(workers)

    def mean_of(key: str) -> float:
        return sum(float(w["stats"].get(key, 0)) for w in workers) / n

    compiled = mean_of("compiled")
    compile_ns = mean_of("compile_time_ns")
    alive_f = sum(w["alive_compiled"]["functions"] for w in workers)
    alive_i = sum(w["alive_compiled"]["instructions"] for w in workers)
    alive_ns = sum(w["alive_compiled"]["compile_time_ns"] for w in workers)
    alive_bytes = sum(w["alive_compiled"]["code_size"] for w in workers)
    reasons: dict[str, int] = {}
    exits: dict[str, int] = {}
    for w in workers:
        for k, v in w["stats"].get("decline_reasons", {}).items():
            reasons[k] = reasons.get(k, 0) + int(v)
        for k, v in w["stats"].get("exits", {}).items():
            if v:
                exits[k] = exits.get(k, 0) + int(v)
    top_reasons = sorted(reasons.items(), key=lambda kv: -kv[1])[:8]
    script: dict[str, float] = {}
    for key in ("functions", "instructions", "code_size", "compile_time_ns"):
        script[key] = sum(w.get("script_compiled", {}).get(key, 0) for w in workers) / n
    return {
        "worker_processes": n,
        "compiled_per_process": compiled,
        "declined_per_process": mean_of("declined"),
        "functions_seen_per_process": mean_of("functions_seen"),
        "compile_time_ms_per_process": compile_ns / 1e6,
        "compile_time_us_per_function": (compile_ns / compiled / 1e3) if compiled else None,
        "code_bytes_per_process": mean_of("code_bytes"),
        "freed_per_process": mean_of("freed"),
        # From compiled code objects still alive at exit (gc walk): same set
        # for numerator and denominator.
        "alive_functions_per_process": alive_f / n,
        "alive_instructions_per_process": alive_i / n,
        "compile_time_ns_per_instruction": (alive_ns / alive_i) if alive_i else None,
        "code_bytes_per_instruction": (alive_bytes / alive_i) if alive_i else None,
        # The benchmark script's own compiled functions (per process).
        "script_functions_per_process": script["functions"],
        "script_instructions_per_process": script["instructions"],
        "script_code_bytes_per_process": script["code_size"],
        "script_compile_time_ms_per_process": script["compile_time_ns"] / 1e6,
        "decline_reasons_total": dict(top_reasons),
        "exits_total": exits,
    }


# --------------------------------------------------------------------------
# Aggregation


@dataclass
class BenchResult:
    name: str
    group: str
    runs: list[RunResult] = field(default_factory=list)
    jit: dict[str, Any] | None = None
    output_check: dict[str, str] | None = None

    def means(self, mode: str) -> list[float]:
        return [r.mean for r in self.runs if r.mode == mode and r.ok and r.mean is not None]

    def median(self, mode: str) -> float | None:
        m = self.means(mode)
        return statistics.median(m) if m else None

    @property
    def failed(self) -> list[RunResult]:
        return [r for r in self.runs if not r.ok]

    @property
    def ratio(self) -> float | None:
        off, on = self.median("off"), self.median("on")
        if off is None or on is None or self.failed:
            return None
        return off / on

    def to_json(self) -> dict[str, Any]:
        rounds: dict[int, dict[str, Any]] = {}
        for r in self.runs:
            rounds.setdefault(r.round, {"round": r.round})[r.mode] = r.mean
            rounds[r.round][f"{r.mode}_stdev"] = r.stdev
            rounds[r.round][f"{r.mode}_wall_s"] = round(r.wall, 3)
            if not r.ok:
                rounds[r.round][f"{r.mode}_error"] = r.error
        return {
            "group": self.group,
            "unit": "seconds",
            "rounds": [rounds[k] for k in sorted(rounds)],
            "off_median": self.median("off"),
            "on_median": self.median("on"),
            "ratio": self.ratio,
            "status": "ok" if not self.failed else "failed",
            "errors": [{"mode": r.mode, "round": r.round, "error": r.error, "log": r.log} for r in self.failed],
            "output_check": self.output_check,
            "jit": self.jit,
        }


def geomean(values: list[float]) -> float | None:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def fmt_time(sec: float | None) -> str:
    if sec is None:
        return "-"
    if sec >= 1:
        return f"{sec:.3f} s"
    if sec >= 1e-3:
        return f"{sec * 1e3:.2f} ms"
    if sec >= 1e-6:
        return f"{sec * 1e6:.2f} us"
    return f"{sec * 1e9:.1f} ns"


def fmt_num(x: float | None, spec: str = ".1f") -> str:
    return "-" if x is None else format(x, spec)


def print_table(results: list[BenchResult], facts: dict[str, Any], rounds: int) -> dict[str, float | None]:
    print()
    print(f"pyjion {facts['pyjion_version']} | Python {facts['python']} | {facts['cpu_model']} x{facts['cores']} "
          f"| {facts['platform']}")
    print(f"median over {rounds} round(s) of pyperf's mean per run; speedup = off / on")
    print("JIT columns, per worker process: functions compiled (all / from the benchmark script), compile time per")
    print("function, compile time per bytecode instruction (compiled code alive at exit), machine code KiB")
    head = f"{'benchmark':<22} {'JIT off':>11} {'JIT on':>11} {'speedup':>8}  {'compiled':>8} {'in bench':>8} {'us/func':>8} {'ns/instr':>8} {'code KiB':>8}"
    print(head)
    print("-" * len(head))
    geo: dict[str, float | None] = {}
    for group in ("pyperformance", "micro"):
        rows = [r for r in results if r.group == group]
        if not rows:
            continue
        for r in rows:
            ratio = r.ratio
            j = r.jit or {}
            status = f"{ratio:7.2f}x" if ratio is not None else " FAILED "
            kib = j.get("code_bytes_per_process")
            print(f"{r.name:<22} {fmt_time(r.median('off')):>11} {fmt_time(r.median('on')):>11} {status:>8}  "
                  f"{fmt_num(j.get('compiled_per_process'), '.0f'):>8} {fmt_num(j.get('script_functions_per_process'), '.0f'):>8} "
                  f"{fmt_num(j.get('compile_time_us_per_function'), '.0f'):>8} "
                  f"{fmt_num(j.get('compile_time_ns_per_instruction'), '.0f'):>8} "
                  f"{fmt_num(None if kib is None else kib / 1024, '.1f'):>8}")
        ok = [r.ratio for r in rows if r.ratio is not None]
        geo[group] = geomean(ok)  # type: ignore[arg-type]
        print(f"{'geomean ' + group:<22} {'':>11} {'':>11} {fmt_num(geo[group], '7.2f') + 'x':>8}   "
              f"({len(ok)} of {len(rows)} benchmarks)")
        print("-" * len(head))
    for r in results:
        if r.output_check and r.output_check["status"] != "same":
            print(f"OUTPUT {r.output_check['status'].upper()} {r.name}:\n  off: {r.output_check['off'][:300]}\n"
                  f"  on:  {r.output_check['on'][:300]}")
        for f in r.failed:
            print(f"FAILED {r.name} [{f.mode}, round {f.round}]: {f.error}\n  log: {f.log}")
    return geo


# --------------------------------------------------------------------------
# SVG bar chart (log axis, one horizontal bar per benchmark)


def write_svg(path: Path, results: list[BenchResult], geo: dict[str, float | None], facts: dict[str, Any],
              date: str, label: str) -> None:
    rows: list[tuple[str, float | None, str]] = []
    for group in ("pyperformance", "micro"):
        for r in results:
            if r.group == group:
                rows.append((r.name, r.ratio, group))
        if geo.get(group) is not None and any(r.group == group for r in results):
            rows.append((f"geomean ({group})", geo[group], "geomean"))
    ratios = [x for _, x, _ in rows if x is not None] or [1.0]
    lo = min(0.5, min(ratios) / 1.25)
    hi = max(2.0, max(ratios) * 1.25)
    lo_e, hi_e = math.floor(math.log2(lo)), math.ceil(math.log2(hi))
    label_w, plot_w, bar_h, gap, top, right = 200, 620, 18, 6, 78, 70
    height = top + len(rows) * (bar_h + gap) + 50
    width = label_w + plot_w + right

    def x_of(v: float) -> float:
        return label_w + (math.log2(v) - lo_e) / (hi_e - lo_e) * plot_w

    title = f"pyjion speedup with the JIT (time off / time on){' — ' + label if label else ''}"
    geo_txt = ", ".join(f"geomean {g}: {v:.2f}x" for g, v in geo.items() if v is not None)
    sub = (f"{date} · {facts['cpu_model']}, {facts['cores']} cores · Python {facts['python']} · "
           f"pyjion {facts['pyjion_version']} · pyperformance {PYPERFORMANCE_VERSION}")
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{escape(title)}</text>',
        f'<text x="{width / 2}" y="40" text-anchor="middle" fill="#444">{escape(sub)}</text>',
        f'<text x="{width / 2}" y="56" text-anchor="middle" fill="#444">{escape(geo_txt)} '
        f'(log scale; right of 1.0 = faster with the JIT)</text>',
    ]
    axis_bottom = top + len(rows) * (bar_h + gap)
    for e in range(lo_e, hi_e + 1):
        v = 2.0 ** e
        x = x_of(v)
        color, sw = ("#000", 1.5) if e == 0 else ("#ccc", 1)
        out.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{axis_bottom}" stroke="{color}" stroke-width="{sw}"/>')
        tick = f"{v:g}x"
        out.append(f'<text x="{x:.1f}" y="{axis_bottom + 16}" text-anchor="middle" fill="#333">{tick}</text>')
    out.append(f'<text x="{label_w + plot_w / 2}" y="{axis_bottom + 36}" text-anchor="middle" fill="#333">'
               'speedup (median over rounds of pyperf means; log2 axis)</text>')
    x1 = x_of(1.0)
    for i, (name, ratio, group) in enumerate(rows):
        y = top + i * (bar_h + gap)
        weight = ' font-weight="bold"' if group == "geomean" else ""
        out.append(f'<text x="{label_w - 8}" y="{y + bar_h * 0.75:.1f}" text-anchor="end"{weight}>{escape(name)}</text>')
        if ratio is None:
            out.append(f'<text x="{x1 + 6:.1f}" y="{y + bar_h * 0.75:.1f}" fill="#b00">failed</text>')
            continue
        xr = x_of(ratio)
        if group == "geomean":
            fill = "#555"
        else:
            fill = "#2e7d32" if ratio >= 1.0 else "#c62828"
        if group == "micro":
            fill = "#66a86a" if ratio >= 1.0 else "#e57373"
        x0, w = (x1, xr - x1) if xr >= x1 else (xr, x1 - xr)
        out.append(f'<rect x="{x0:.1f}" y="{y}" width="{max(w, 1):.1f}" height="{bar_h}" fill="{fill}"/>')
        tx, anchor = (xr + 4, "start") if ratio >= 1.0 else (xr - 4, "end")
        out.append(f'<text x="{tx:.1f}" y="{y + bar_h * 0.75:.1f}" text-anchor="{anchor}"{weight}>{ratio:.2f}x</text>')
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------
# Merged pyperf files (for `python -m pyperf compare_to`)


def merge_pyperf(results: list[BenchResult], mode: str, path: Path) -> bool:
    import pyperf

    suite: Any = None
    try:
        for r in results:
            for run in r.runs:
                if run.mode != mode or not run.ok or not run.json:
                    continue
                s = pyperf.BenchmarkSuite.load(run.json)
                for b in s.get_benchmarks():
                    if suite is None:
                        suite = pyperf.BenchmarkSuite([b])
                    elif b.get_name() in suite.get_benchmark_names():
                        suite.get_benchmark(b.get_name()).add_runs(b)
                    else:
                        suite.add_benchmark(b)
        if suite is None:
            return False
        suite.dump(str(path), replace=True)
        return True
    except Exception as exc:
        log(f"note: could not merge pyperf files for {mode}: {exc!r}")
        return False


# --------------------------------------------------------------------------
# Main


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bench", help="comma-separated benchmarks (names from --list; also 'pyperformance', 'micro')")
    p.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    p.add_argument("--rounds", type=int, default=None, help="rounds; each runs every benchmark off and on (default 3)")
    p.add_argument("--smoke", action="store_true",
                   help="one round, one worker, one warmup, one value of one loop: checks the plumbing")
    p.add_argument("--processes", type=int, help=f"pyperf worker processes per run (default {DEFAULT_SETTINGS.processes})")
    p.add_argument("--values", type=int, help=f"values per worker (default {DEFAULT_SETTINGS.values})")
    p.add_argument("--warmups", type=int, help=f"warmup values per worker (default {DEFAULT_SETTINGS.warmups})")
    p.add_argument("--loops", type=int, help="loops per value; 0 = pyperf calibrates (default 0)")
    p.add_argument("--min-time", type=float, help=f"pyperf --min-time (default {DEFAULT_SETTINGS.min_time})")
    p.add_argument("--pyperf-arg", action="append", default=[],
                   help="extra argument for every pyperf invocation, e.g. --pyperf-arg=--affinity=1 (repeatable)")
    p.add_argument("--off-mode", choices=("plain", "hook_only"), default="plain",
                   help="baseline: 'plain' CPython (pyjion not imported, default) or 'hook_only' (hook, no compiling)")
    p.add_argument("--threshold", type=int, default=None, help="pyjion.config(threshold=N) in JIT-on workers")
    p.add_argument("--timeout", type=float, default=None, help="seconds per pyperf invocation (default 900; smoke 300)")
    p.add_argument("--output", default=None,
                   help="JSON results; the SVG goes next to it (default results/latest.json; smoke: results/smoke.json)")
    p.add_argument("--no-check", dest="check", action="store_false",
                   help="skip check_outputs.py (same results with the JIT off and on)")
    p.add_argument("--label", default="", help="text added to the chart title")
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.list:
        print("pyperformance benchmarks:")
        for n in PYPERFORMANCE_BENCHES:
            print(f"  {n}")
        print("microbenchmarks (micro.py):")
        for n in MICRO_BENCHES:
            print(f"  {n}")
        print("other pyperformance benchmark names are accepted by --bench too")
        return 0
    ensure_venv()  # re-execs inside the venv if needed

    settings = SMOKE_SETTINGS if args.smoke else DEFAULT_SETTINGS
    settings = PyperfSettings(
        processes=args.processes or settings.processes,
        values=args.values or settings.values,
        warmups=settings.warmups if args.warmups is None else args.warmups,
        loops=settings.loops if args.loops is None else args.loops,
        min_time=args.min_time or settings.min_time,
    )
    rounds = args.rounds if args.rounds is not None else (1 if args.smoke else 3)
    if args.timeout is None:
        args.timeout = 300.0 if args.smoke else 900.0
    names = select_names(args.bench)
    benches = resolve_benches(names)
    facts = machine_facts(sys.executable)
    date = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    default_out = RESULTS_DIR / ("smoke.json" if args.smoke else "latest.json")
    out_json = Path(args.output).resolve() if args.output else default_out
    out_dir = out_json.parent
    work = out_dir / f"work-{out_json.stem}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    log(f"{len(benches)} benchmarks x 2 modes x {rounds} round(s); pyperf {' '.join(settings.args())}"
        f"{' ' + ' '.join(args.pyperf_arg) if args.pyperf_arg else ''}; off = {args.off_mode}")
    results = [BenchResult(b.name, "micro" if b.name.startswith("micro_") else "pyperformance") for b in benches]
    t_start = time.perf_counter()
    if args.check:
        checked = check_outputs(names, args, work)
        for res in results:
            res.output_check = checked.get(res.name)
        bad = {n: c["status"] for n, c in checked.items() if c["status"] != "same"}
        log(f"output check, JIT off vs on: {len(checked) - len(bad)} of {len(checked)} the same"
            + (f"; NOT the same: {bad} (see {work}/check-*.log)" if bad else ""))
    interrupted = False
    try:
        for rnd in range(rounds):
            order = MODES if rnd % 2 == 0 else MODES[::-1]
            for bench, res in zip(benches, results):
                for mode in order:
                    r = run_one(bench, mode, rnd, args, settings, work)
                    res.runs.append(r)
                    status = fmt_time(r.mean) if r.ok else "FAILED (" + (r.error or "").splitlines()[0] + ")"
                    log(f"[round {rnd + 1}/{rounds}] {bench.name:<22} {mode:<3} {status:<40} ({r.wall:.1f} s)")
    except KeyboardInterrupt:
        interrupted = True
        log("interrupted: writing what was measured")
    elapsed = time.perf_counter() - t_start

    for res in results:
        res.jit = jit_stats(r.stats_dir for r in res.runs if r.mode == "on" and r.stats_dir)
    geo = print_table(results, facts, rounds)
    facts["loadavg_end"] = list(os.getloadavg())
    print(f"wall time {elapsed / 60:.1f} min; load average at start {facts['loadavg_start'][0]:.2f}, "
          f"at end {facts['loadavg_end'][0]:.2f} (on {facts['cores']} cores)")

    doc = {
        "date": date,
        "machine": facts,
        "settings": {
            "rounds": rounds, "smoke": args.smoke, "pyperf": asdict(settings), "pyperf_extra": args.pyperf_arg,
            "off_mode": args.off_mode, "threshold": args.threshold, "order": "off,on in even rounds; on,off in odd",
            "statistic": "median over rounds of pyperf's mean; ratio = off/on",
        },
        "wall_time_s": round(elapsed, 1),
        "interrupted": interrupted,
        "geomean": geo,
        "benchmarks": {r.name: r.to_json() for r in results},
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps(doc, indent=2) + "\n")
    svg = out_json.with_suffix(".svg")
    write_svg(svg, results, geo, facts, date, args.label or ("smoke run" if args.smoke else ""))
    for mode in MODES:
        merge_pyperf(results, mode, out_dir / f"{out_json.stem}-pyperf-{mode}.json")
    log(f"wrote {out_json}, {svg}; per-run logs in {work / 'logs'}")
    failed = any(r.failed or (r.output_check and r.output_check["status"] != "same") for r in results)
    return 1 if failed or interrupted else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
