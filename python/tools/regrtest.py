#!/usr/bin/env python3
"""Run CPython's regression test suite with and without pyjion and compare.

    python3 python/tools/regrtest.py --curated --modes none,jit --fail-on-jit-only
    python3 python/tools/regrtest.py --tests test_grammar test_scope --modes none,hook,jit
    python3 python/tools/regrtest.py --all --modes jit --json all.json

Each mode is one ``python -m test -jN --timeout S ...`` run of the installed
interpreter's own test suite:

``none``  no hook (the baseline);
``hook``  pyjion's frame-evaluation hook installed, nothing compiled
          (``config(hook_only=True); enable()``);
``jit``   every function compiled at its first call (``config(threshold=0); enable()``).

The mode reaches regrtest's worker processes through the environment
(``PYJION_REGRTEST_MODE``), read by ``regrtest_site/sitecustomize.py``, which this
script puts on ``PYTHONPATH`` together with the directory holding the ``pyjion``
package. Child processes that tests start with ``-I`` or ``-E`` do not load pyjion.

Per-module outcomes come from regrtest's console output (its progress lines
``[ n/N] test_x passed|failed (...)|worker non-zero exit code (...)|timed out``
and its closing ``N tests failed:``-style lists). ``--junit-xml`` in 3.11 only
has per-testcase entries, without the module name and nothing at all for a
worker that crashed, so it is used for the testcase detail only: which test
cases fail with the JIT but not in the baseline.

The report classifies every module, prints pyjion's counters summed over the
jit-mode worker processes (share of executed function code objects compiled,
decline reasons, mid-frame exits to the interpreter) and the wall time of each
mode. ``--fail-on-jit-only`` makes the exit status non-zero when some module
fails, crashes or times out with the JIT while it passes in every baseline mode
that was run (``none`` and/or ``hook``); modules that fail in ``none`` too do
not count.
"""
from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from typing import Any, Iterable, Mapping, Sequence

HERE = os.path.dirname(os.path.abspath(__file__))
SITE_DIR = os.path.join(HERE, "regrtest_site")
PYJION_PARENT = os.path.dirname(HERE)  # python/, which holds the pyjion package

MODES = ("none", "hook", "jit")
BASELINE_MODES = ("none", "hook")

# What CI runs: the modules that exercise the compiler's territory (frames,
# exceptions, calls, scopes, tracing, signals, threads, GC) and finish in a few
# minutes on 2 cores.
CURATED = (
    "test_grammar test_opcodes test_exceptions test_raise test_scope test_with "
    "test_contextlib test_class test_super test_descr test_extcall test_keywordonlyarg "
    "test_positional_only_arg test_unpack test_unpack_ex test_patma test_fstring "
    "test_listcomps test_frame test_traceback test_sys_settrace test_sys_setprofile "
    "test_pdb test_bdb test_profile test_cprofile test_signal test_threading test_gc "
    "test_weakref test_builtin test_functools test_dataclasses "
    # generators, coroutines and async generators (compiled since the generators issue)
    "test_generators test_genexps test_yield_from test_coroutines test_asyncgen "
    "test_contextlib_async test_types test_asyncio test_except_star test_exception_group"
).split()

# Hang until the per-test timeout on this machine with or without a hook
# (see the JIT notes, section 10). --include-hangs runs them.
KNOWN_HANGS = ("test__xxsubinterpreters", "test_interpreters")

# Modules known to fail only with the JIT, each with the pyjion bug behind it.
# --fail-on-jit-only does not fail for these (it reports them, and says so when
# one starts passing). Keep it empty unless a bug is filed and understood;
# --expect-jit-failure MODULE adds entries for one run.
EXPECTED_JIT_FAILURES: dict[str, str] = {}

# Module outcomes.
PASSED = "passed"
ENV_CHANGED = "env changed"
SKIPPED = "skipped"
RESOURCE_DENIED = "resource denied"
NO_TESTS = "ran no tests"
FAILED = "failed"
CRASHED = "crashed"
TIMEOUT = "timed out"
INTERRUPTED = "interrupted"
NOT_RUN = "not run"

OK_STATES = frozenset({PASSED, ENV_CHANGED, SKIPPED, RESOURCE_DENIED, NO_TESTS})
# Anything not known to pass counts against a mode; a module that one run lost
# (NOT_RUN, INTERRUPTED) must not let --fail-on-jit-only pass silently.
BAD_STATES = frozenset({FAILED, CRASHED, TIMEOUT, INTERRUPTED, NOT_RUN})
CRASH_STATES = frozenset({CRASHED, TIMEOUT})


@dataclasses.dataclass(frozen=True)
class ModuleResult:
    status: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.status} ({self.detail})" if self.detail else self.status


# --------------------------------------------------------------------------
# Parsing regrtest's console output

# "0:00:05 load avg: 1.20 [ 3/34/1] test_x failed (2 failures) (31.2 sec) -- running: test_y (30 sec)"
_PROGRESS = re.compile(
    r"^(?:\d+:\d\d:\d\d )?(?:load avg: \d+(?:\.\d+)? )?"
    r"\[\s*\d+(?:/\d+){0,2}\] (?P<name>test[\w.]*) (?P<rest>.+)$"
)
_RUNNING_SUFFIX = re.compile(r"\s+-- running(?: \(\d+\))?: .*$")
_DURATION_SUFFIX = re.compile(r"\s*\((?:\d+ (?:hour|min) )*[\d.]+ (?:sec|ms|min|hour)s?\)$")
# "3 tests failed:", "1 test skipped (resource denied):", "2 re-run tests:"
_LIST_HEADER = re.compile(r"^(?P<n>\d+) (?P<what>re-run tests?|tests?)(?: (?P<title>.*))?:$")


def _strip_parens(text: str) -> str:
    text = text.strip()
    if text.startswith("(") and text.endswith(")"):
        return text[1:-1].strip()
    return text


def parse_progress_rest(rest: str) -> ModuleResult | None:
    """The outcome in the text after the test name on a progress line, or None."""
    rest = _RUNNING_SUFFIX.sub("", rest).strip()
    if rest.startswith("passed"):
        return ModuleResult(PASSED)
    if rest.startswith("failed (env changed)"):
        return ModuleResult(ENV_CHANGED)
    if rest.startswith("failed"):
        # "failed (2 failures)", "failed (uncaught exception)", "failed (reference leak)"
        detail = _DURATION_SUFFIX.sub("", rest[len("failed"):])
        return ModuleResult(FAILED, _strip_parens(detail))
    if rest.startswith("worker non-zero exit code") or rest.startswith("crashed"):
        # 3.11.7: "worker non-zero exit code (Exit code -11 (SIGSEGV))"; older: "crashed (Exit code -11)"
        head = "worker non-zero exit code" if rest.startswith("worker") else "crashed"
        return ModuleResult(CRASHED, _strip_parens(rest[len(head):]))
    if rest.startswith("worker bug"):
        return ModuleResult(CRASHED, "worker bug " + rest[len("worker bug"):].strip())
    if rest.startswith("timed out"):
        return ModuleResult(TIMEOUT, _strip_parens(rest[len("timed out"):]))
    if rest.startswith("skipped (resource denied)") or "resource denied" in rest.split(":")[0]:
        return ModuleResult(RESOURCE_DENIED)
    if rest.startswith("skipped"):
        return ModuleResult(SKIPPED)
    if rest.startswith("ran no tests") or rest.startswith("run no tests"):
        return ModuleResult(NO_TESTS)
    if rest.startswith("interrupted"):
        return ModuleResult(INTERRUPTED)
    return None


def _list_title_status(what: str, title: str) -> str | None:
    if what.startswith("re-run"):
        return None
    title = title.strip()
    if title == "failed":
        return FAILED
    if title == "skipped":
        return SKIPPED
    if title.startswith("skipped (resource denied)"):
        return RESOURCE_DENIED
    if title in ("run no tests", "ran no tests"):
        return NO_TESTS
    if title.startswith("altered the execution environment"):
        return ENV_CHANGED
    if title == "omitted":
        return NOT_RUN
    return None


def parse_summary_lists(lines: Sequence[str]) -> dict[str, str]:
    """Module -> status from the closing lists ("3 tests failed:" and indented names)."""
    result: dict[str, str] = {}
    status: str | None = None
    for line in lines:
        header = _LIST_HEADER.match(line.strip()) if not line.startswith(" ") else None
        if header:
            status = _list_title_status(header["what"], header["title"] or "")
            continue
        if status is not None and line.startswith("    ") and line.strip():
            for name in line.split():
                if name.startswith("test"):
                    result[name] = status
            continue
        status = None
    return result


_FATAL = re.compile(r"^Fatal Python error: (?P<msg>.*)$")
_EXC_LINE = re.compile(r"^(?P<exc>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)(?:: .*)?)$")


def crash_cause(lines: Sequence[str], start: int, limit: int = 400) -> str | None:
    """What the worker output after a crash's progress line says killed it:
    "Fatal Python error: ..." or the last exception line of a traceback."""
    last_exc: str | None = None
    for line in lines[start:start + limit]:
        if _PROGRESS.match(line):
            break
        if line.startswith("Timeout (") and line.rstrip().endswith(")!"):
            return line.strip()  # faulthandler's per-test timeout inside the worker (it then exits 1)
        fatal = _FATAL.match(line.strip())
        if fatal:
            return f"Fatal Python error: {fatal['msg']}"
        exc = _EXC_LINE.match(line.rstrip())
        if exc:
            last_exc = exc["exc"][:200]
    return last_exc


def parse_console(text: str, expected: Iterable[str] | None = None) -> dict[str, ModuleResult]:
    """Per-module outcomes of one ``python -m test`` run from its console output.

    Progress lines give the outcome of each module as it finishes; the lists at
    the end (after the last "== Tests result" line) fill in what the progress
    lines did not say. With ``expected``, only those names are considered (worker
    output that test_regrtest prints cannot be mistaken for a result) and every
    expected module missing from the output is NOT_RUN.
    """
    wanted = set(expected) if expected is not None else None
    lines = text.splitlines()
    results: dict[str, ModuleResult] = {}
    for i, line in enumerate(lines):
        m = _PROGRESS.match(line)
        if not m:
            continue
        name = m["name"]
        if wanted is not None and name not in wanted:
            continue
        if name in results:  # the first report of a module is regrtest's own
            continue
        outcome = parse_progress_rest(m["rest"])
        if outcome is not None:
            if outcome.status == CRASHED:
                cause = crash_cause(lines, i + 1)
                if cause and cause.startswith("Timeout ("):
                    outcome = ModuleResult(TIMEOUT, f"{cause} in the worker, {outcome.detail}")
                elif cause:
                    outcome = ModuleResult(CRASHED, f"{outcome.detail}: {cause}" if outcome.detail else cause)
            results[name] = outcome

    start = 0
    for i, line in enumerate(lines):
        if line.startswith("== Tests result"):
            start = i
    for name, status in parse_summary_lists(lines[start:]).items():
        if wanted is not None and name not in wanted:
            continue
        if name not in results:
            results[name] = ModuleResult(status)
        elif status == FAILED and results[name].status not in BAD_STATES:
            results[name] = ModuleResult(FAILED, "in the closing list")
    if wanted is not None:
        for name in wanted:
            results.setdefault(name, ModuleResult(NOT_RUN))
    return results


# --------------------------------------------------------------------------
# JUnit XML (per test case)


def module_of_testcase(test_id: str, modules: Iterable[str]) -> str | None:
    """The regrtest module a unittest id such as ``test.test_x.Class.test_y`` belongs to."""
    name = test_id[len("test."):] if test_id.startswith("test.") else test_id
    best: str | None = None
    for module in modules:
        if name == module or name.startswith(module + "."):
            if best is None or len(module) > len(best):
                best = module
    return best


def parse_junit(text: str, modules: Iterable[str]) -> dict[str, dict[str, str]]:
    """Module -> {testcase id -> 'passed'|'failed'|'error'|'skipped'} from a --junit-xml file."""
    module_list = list(modules)
    out: dict[str, dict[str, str]] = collections.defaultdict(dict)
    root = ET.fromstring(text)
    for case in root.iter("testcase"):
        name = case.get("name")
        if not name:  # a test whose subtests failed is left without a name by 3.11
            continue
        if case.find("error") is not None:
            outcome = "error"
        elif case.find("failure") is not None:
            outcome = "failed"
        elif case.find("skipped") is not None:
            outcome = "skipped"
        else:
            outcome = "passed"
        module = module_of_testcase(name, module_list) or "?"
        out[module][name] = outcome
    return dict(out)


# --------------------------------------------------------------------------
# Classification


@dataclasses.dataclass
class Table:
    modes: list[str]
    modules: list[str]
    results: dict[str, dict[str, ModuleResult]]  # module -> mode -> result
    passing: list[str] = dataclasses.field(default_factory=list)
    jit_only: list[str] = dataclasses.field(default_factory=list)
    hook: list[str] = dataclasses.field(default_factory=list)
    everywhere: list[str] = dataclasses.field(default_factory=list)
    other: list[str] = dataclasses.field(default_factory=list)
    crashing: list[str] = dataclasses.field(default_factory=list)


def classify(modes: Sequence[str], results: Mapping[str, Mapping[str, ModuleResult]]) -> Table:
    """Sort modules by where they fail.

    ``results`` maps mode -> module -> outcome. Categories (each module in exactly
    one of the first five; ``crashing`` lists every module that crashed or timed
    out in some mode, whatever its category):
    passing: no bad outcome in any mode;
    jit_only: bad with the JIT, fine in every baseline mode that ran (none, hook);
    hook: bad in hook and jit, fine in none;
    everywhere: bad in every mode;
    other: any other mix (for example failing without a hook but not with it: flaky).
    """
    modes = list(modes)
    modules = sorted({m for mode in modes for m in results.get(mode, {})})
    per_module: dict[str, dict[str, ModuleResult]] = {
        module: {mode: results.get(mode, {}).get(module, ModuleResult(NOT_RUN)) for mode in modes}
        for module in modules
    }
    table = Table(modes=modes, modules=modules, results=per_module)
    baselines = [m for m in modes if m in BASELINE_MODES]
    for module, by_mode in per_module.items():
        bad = {mode for mode, r in by_mode.items() if r.status in BAD_STATES}
        if any(r.status in CRASH_STATES for r in by_mode.values()):
            table.crashing.append(module)
        if not bad:
            table.passing.append(module)
        elif bad == set(modes):
            table.everywhere.append(module)
        elif "jit" in modes and bad == {"jit"} and baselines:
            table.jit_only.append(module)
        elif "none" in modes and "hook" in modes and "jit" in modes and bad == {"hook", "jit"}:
            table.hook.append(module)
        else:
            table.other.append(module)
    return table


# --------------------------------------------------------------------------
# pyjion counters from the stats files


def read_stats_dir(path: str, mode: str) -> list[dict[str, Any]]:
    records = []
    if not os.path.isdir(path):
        return records
    for name in sorted(os.listdir(path)):
        if not (name.startswith(mode + "-") and name.endswith(".json")):
            continue
        try:
            with open(os.path.join(path, name), encoding="utf-8") as fh:
                records.append(json.load(fh))
        except (OSError, ValueError) as exc:
            print(f"warning: unreadable stats file {name}: {exc}", file=sys.stderr)
    return records


def summarize_stats(records: Sequence[Mapping[str, Any]], role: str | None = "worker") -> dict[str, Any]:
    """Add up pyjion.stats() over the processes of one mode (only ``role`` ones if given)."""
    total: dict[str, Any] = {
        "processes": 0,
        "compiled": 0,
        "declined": 0,
        "functions_seen": 0,
        "functions_compiled": 0,
        "generators_seen": 0,
        "generators_compiled": 0,
        "code_bytes": 0,
        "compile_time_ns": 0,
        "decline_reasons": collections.Counter(),
        "exits": collections.Counter(),
        "tests_with_exits": collections.Counter(),
    }
    for record in records:
        if role is not None and record.get("role") != role:
            continue
        stats = record.get("stats") or {}
        total["processes"] += 1
        for key in ("compiled", "declined", "functions_seen", "generators_seen", "generators_compiled",
                    "code_bytes", "compile_time_ns"):
            total[key] += int(stats.get(key) or 0)
        # Function code objects compiled (class bodies and exec'd code compile too, but
        # the share counts functions); older stats without the key count everything.
        total["functions_compiled"] += int(stats.get("functions_compiled", stats.get("compiled")) or 0)
        total["decline_reasons"].update({k: int(v) for k, v in (stats.get("decline_reasons") or {}).items()})
        exits = {k: int(v) for k, v in (stats.get("exits") or {}).items() if v}
        total["exits"].update(exits)
        if exits and record.get("test"):
            total["tests_with_exits"][str(record["test"])] += sum(exits.values())
    seen = total["functions_seen"]
    total["compiled_share"] = (total["functions_compiled"] / seen) if seen else None
    generators = total["generators_seen"]
    total["generator_share"] = (total["generators_compiled"] / generators) if generators else None
    for key in ("decline_reasons", "exits", "tests_with_exits"):
        total[key] = dict(total[key].most_common())
    return total


# --------------------------------------------------------------------------
# Running regrtest


@dataclasses.dataclass
class ModeRun:
    mode: str
    returncode: int | None
    wall_s: float
    log_path: str
    junit_path: str | None
    stats_dir: str
    results: dict[str, ModuleResult]
    testcases: dict[str, dict[str, str]]
    stats: list[dict[str, Any]]


def mode_environ(mode: str, stats_dir: str, pyjion_parent: str, jit_coordinator: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYJION_STATS_FILE", None)  # every process would write the same file
    env["PYJION_REGRTEST_MODE"] = mode
    env["PYJION_STATS_DIR"] = stats_dir
    if jit_coordinator:
        env.pop("PYJION_REGRTEST_SKIP_COORDINATOR", None)
    else:
        env["PYJION_REGRTEST_SKIP_COORDINATOR"] = "1"
    paths = [SITE_DIR, pyjion_parent]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def regrtest_args(args: argparse.Namespace, tests: Sequence[str], excluded: Sequence[str]) -> list[str]:
    cmd = ["-m", "test", f"-j{args.jobs}", "--timeout", str(args.timeout)]
    if args.slowest:
        cmd.append("--slowest")
    if args.use:
        cmd.append(f"-u{args.use}")
    if args.all:
        if excluded:
            cmd += ["-x", *excluded]
    else:
        cmd += list(tests)
    return cmd


def list_tests(python: str, args: argparse.Namespace, tests: Sequence[str], excluded: Sequence[str], cwd: str) -> list[str]:
    """The module names regrtest will report (packages such as test_asyncio are split)."""
    cmd = [python, "-m", "test", "--list-tests"]
    if args.all:
        if excluded:
            cmd += ["-x", *excluded]
    else:
        cmd += list(tests)
    env = dict(os.environ)
    env.pop("PYJION_REGRTEST_MODE", None)
    out = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise SystemExit(f"regrtest.py: {' '.join(cmd)} failed:\n{out.stdout}{out.stderr}")
    names = [line.strip() for line in out.stdout.splitlines() if line.strip().startswith("test")]
    return [n for n in names if n not in excluded]


def run_mode(mode: str, python: str, args: argparse.Namespace, tests: Sequence[str], excluded: Sequence[str],
             expected: Sequence[str], workdir: str) -> ModeRun:
    stats_dir = os.path.join(workdir, f"stats-{mode}")
    cwd = os.path.join(workdir, f"cwd-{mode}")
    shutil.rmtree(stats_dir, ignore_errors=True)
    os.makedirs(stats_dir)
    os.makedirs(cwd, exist_ok=True)
    log_path = os.path.join(workdir, f"{mode}.log")
    junit_path = os.path.join(workdir, f"{mode}-junit.xml") if args.junit else None
    cmd = [python, *regrtest_args(args, tests, excluded)]
    if junit_path:
        cmd += ["--junit-xml", junit_path]
    env = mode_environ(mode, stats_dir, args.pyjion_path, args.jit_coordinator)
    print(f"== [{mode}] {' '.join(cmd[1:])}", flush=True)
    start = time.monotonic()
    seen: set[str] = set()
    wanted = set(expected)
    with open(log_path, "w", encoding="utf-8", errors="replace", buffering=1) as log:  # line-buffered: tail -f works
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, errors="replace", start_new_session=True)
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                log.write(line)
                if args.verbose:
                    print(f"[{mode}] {line}", end="", flush=True)
                    continue
                m = _PROGRESS.match(line.rstrip("\n"))
                if m and m["name"] in wanted and m["name"] not in seen:
                    outcome = parse_progress_rest(m["rest"])
                    if outcome is not None:
                        seen.add(m["name"])
                        if outcome.status != PASSED or not args.quiet:
                            print(f"[{mode}] {len(seen):>4}/{len(wanted)} {m['name']}: {outcome}", flush=True)
                if args.mode_timeout and time.monotonic() - start > args.mode_timeout:
                    raise TimeoutError
            returncode: int | None = proc.wait()
        except (TimeoutError, KeyboardInterrupt) as exc:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            if isinstance(exc, KeyboardInterrupt):
                raise
            print(f"[{mode}] stopped after --mode-timeout {args.mode_timeout} s", flush=True)
            returncode = None
    wall = time.monotonic() - start
    with open(log_path, encoding="utf-8", errors="replace") as fh:
        results = parse_console(fh.read(), expected)
    testcases: dict[str, dict[str, str]] = {}
    if junit_path and os.path.exists(junit_path):
        try:
            with open(junit_path, encoding="utf-8", errors="replace") as fh:
                testcases = parse_junit(fh.read(), expected)
        except ET.ParseError as exc:
            print(f"warning: [{mode}] unreadable JUnit XML: {exc}", file=sys.stderr)
    stats = read_stats_dir(stats_dir, mode)
    print(f"== [{mode}] exit status {returncode}, {format_seconds(wall)}, log {log_path}", flush=True)
    return ModeRun(mode, returncode, wall, log_path, junit_path, stats_dir, results, testcases, stats)


# --------------------------------------------------------------------------
# Report


def format_seconds(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{seconds:.1f} s"


def wrap_names(names: Sequence[str], indent: str = "    ", width: int = 100) -> list[str]:
    lines: list[str] = []
    current = indent
    for name in names:
        if len(current) + len(name) + 1 > width and current.strip():
            lines.append(current.rstrip())
            current = indent
        current += name + " "
    if current.strip():
        lines.append(current.rstrip())
    return lines


def jit_only_testcases(module: str, runs: Mapping[str, ModeRun]) -> list[str]:
    """Test cases that fail or error with the JIT but not in the baseline runs."""
    jit = runs.get("jit")
    if jit is None:
        return []
    bad_jit = {t for t, o in jit.testcases.get(module, {}).items() if o in ("failed", "error")}
    for mode in BASELINE_MODES:
        if mode in runs:
            bad_jit -= {t for t, o in runs[mode].testcases.get(module, {}).items() if o in ("failed", "error")}
    return sorted(bad_jit)


def format_report(table: Table, runs: Mapping[str, ModeRun], expected_jit_failures: Mapping[str, str],
                  top: int = 12) -> str:
    out: list[str] = []
    modes = table.modes
    out.append("")
    out.append(f"== pyjion regrtest: {len(table.modules)} test modules, modes {', '.join(modes)}")
    header = f"{'mode':<6} {'passed':>6} {'failed':>6} {'crashed':>7} {'timeout':>7} {'skipped':>7} {'not run':>7}  wall"
    out.append(header)
    for mode in modes:
        counts = collections.Counter(table.results[m][mode].status for m in table.modules)
        skipped = counts[SKIPPED] + counts[RESOURCE_DENIED] + counts[NO_TESTS]
        passed = counts[PASSED] + counts[ENV_CHANGED]
        not_run = counts[NOT_RUN] + counts[INTERRUPTED]
        wall = format_seconds(runs[mode].wall_s) if mode in runs else "-"
        out.append(f"{mode:<6} {passed:>6} {counts[FAILED]:>6} {counts[CRASHED]:>7} {counts[TIMEOUT]:>7} "
                   f"{skipped:>7} {not_run:>7}  {wall}")

    def describe(module: str) -> str:
        return "  ".join(f"{mode}={table.results[module][mode]}" for mode in modes)

    out.append("")
    out.append(f"Passing in all runs ({len(table.passing)}):")
    out.extend(wrap_names(table.passing))
    env_changed = [m for m in table.passing if any(r.status == ENV_CHANGED for r in table.results[m].values())]
    skipped = [m for m in table.passing if any(r.status in (SKIPPED, RESOURCE_DENIED, NO_TESTS)
                                               for r in table.results[m].values())]
    if skipped:
        out.append(f"  of which skipped in some run ({len(skipped)}): {' '.join(skipped)}")
    if env_changed:
        out.append(f"  of which 'env changed' in some run ({len(env_changed)}): "
                   + "; ".join(f"{m} [{', '.join(k for k, r in table.results[m].items() if r.status == ENV_CHANGED)}]"
                               for m in env_changed))

    out.append("")
    out.append(f"Failing ONLY with the JIT ({len(table.jit_only)}):")
    for module in table.jit_only:
        note = f"  [expected: {expected_jit_failures[module]}]" if module in expected_jit_failures else ""
        out.append(f"    {module:<28} {describe(module)}{note}")
        cases = jit_only_testcases(module, runs)
        if cases:
            shown = ", ".join(c.split(".", 2)[-1] for c in cases[:8])
            more = f" (+{len(cases) - 8} more)" if len(cases) > 8 else ""
            out.append(f"        test cases failing only with the JIT ({len(cases)}): {shown}{more}")
    if "hook" in modes and "none" in modes:
        out.append("")
        out.append(f"Failing with the hook alone (fail in hook and jit, pass in none) ({len(table.hook)}):")
        for module in table.hook:
            out.append(f"    {module:<28} {describe(module)}")
    out.append("")
    out.append(f"Crashing or timing out in some mode ({len(table.crashing)}):")
    for module in table.crashing:
        which = [f"{mode}: {r}" for mode, r in table.results[module].items() if r.status in CRASH_STATES]
        out.append(f"    {module:<28} {'; '.join(which)}")
    out.append("")
    out.append(f"Failing everywhere ({len(table.everywhere)}):")
    for module in table.everywhere:
        out.append(f"    {module:<28} {describe(module)}")
    if table.other:
        out.append("")
        out.append(f"Other mixes (flaky, or failing without a hook only) ({len(table.other)}):")
        for module in table.other:
            out.append(f"    {module:<28} {describe(module)}")
    for module in sorted(expected_jit_failures):
        if module in table.modules and module not in table.jit_only:
            out.append(f"note: {module} is listed as an expected JIT failure but is not failing only with the JIT")

    for mode in ("jit", "hook"):
        if mode not in runs:
            continue
        records = runs[mode].stats
        workers = summarize_stats(records, "worker")
        others = summarize_stats(records, "other")
        coordinator = summarize_stats(records, "coordinator")
        ran = sum(1 for r in table.results.values() if r[mode].status not in (NOT_RUN,))
        out.append("")
        out.append(f"pyjion counters, {mode} mode: {workers['processes']} worker stats files "
                   f"(for {ran} modules run; a worker that crashed writes none), "
                   f"{others['processes']} other processes, {coordinator['processes']} coordinator")
        if mode == "jit":
            share = workers["compiled_share"]
            share_text = f"{share:.1%}" if share is not None else "n/a"
            out.append(f"  compiled share (workers): {share_text} = {workers['functions_compiled']} compiled / "
                       f"{workers['functions_seen']} function code objects executed "
                       f"({workers['compiled']} code objects compiled in all, class bodies included; "
                       f"{workers['declined']} declined; {workers['code_bytes']:,} bytes of code; "
                       f"{workers['compile_time_ns'] / 1e9:.1f} s compiling)")
            gshare = workers["generator_share"]
            gshare_text = f"{gshare:.1%}" if gshare is not None else "n/a"
            out.append(f"  generator share (workers): {gshare_text} = {workers['generators_compiled']} compiled / "
                       f"{workers['generators_seen']} generator, coroutine and async generator code objects executed")
            if others["processes"]:
                out.append(f"  other processes: {others['compiled']} compiled / {others['functions_seen']} seen")
            out.append(f"  top decline reasons (code objects, summed over workers; "
                       f"{len(workers['decline_reasons'])} distinct):")
            for reason, count in list(workers["decline_reasons"].items())[:top]:
                out.append(f"    {count:>7}  {reason}")
        else:
            out.append(f"  function code objects executed under the hook (workers): {workers['functions_seen']}")
        exits = workers["exits"]
        out.append(f"  mid-frame exits to the interpreter (summed over workers): "
                   + (", ".join(f"{k} {v}" for k, v in exits.items()) if exits else "none"))
        if workers["tests_with_exits"] and mode == "jit":
            busiest = list(workers["tests_with_exits"].items())[:5]
            out.append("  modules with most exits: " + ", ".join(f"{k} {v}" for k, v in busiest))
    out.append("")
    out.append("Wall time: " + ", ".join(f"{mode} {format_seconds(runs[mode].wall_s)}" for mode in modes if mode in runs))
    return "\n".join(out)


def to_json(table: Table, runs: Mapping[str, ModeRun], args: argparse.Namespace, exit_status: int) -> dict[str, Any]:
    return {
        "modes": table.modes,
        "modules": table.modules,
        "results": {m: {mode: dataclasses.asdict(r) for mode, r in by.items()} for m, by in table.results.items()},
        "categories": {
            "passing": table.passing,
            "jit_only": table.jit_only,
            "hook": table.hook,
            "everywhere": table.everywhere,
            "other": table.other,
            "crashing": table.crashing,
        },
        "jit_only_testcases": {m: jit_only_testcases(m, runs) for m in table.jit_only},
        "runs": {
            mode: {
                "returncode": run.returncode,
                "wall_s": round(run.wall_s, 1),
                "log": run.log_path,
                "junit": run.junit_path,
                "stats_workers": summarize_stats(run.stats, "worker"),
                "stats_other": summarize_stats(run.stats, "other"),
            }
            for mode, run in runs.items()
        },
        "expected_jit_failures": dict(EXPECTED_JIT_FAILURES),
        "exit_status": exit_status,
        "argv": sys.argv,
    }


# --------------------------------------------------------------------------
# Command line


def parse_modes(text: str) -> list[str]:
    modes = [m.strip() for m in text.split(",") if m.strip()]
    for mode in modes:
        if mode not in MODES:
            raise argparse.ArgumentTypeError(f"unknown mode {mode!r} (choose from {', '.join(MODES)})")
    if not modes or len(set(modes)) != len(modes):
        raise argparse.ArgumentTypeError("give each mode once, e.g. none,hook,jit")
    return [m for m in MODES if m in modes]  # always none, hook, jit order


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--tests", nargs="+", metavar="TEST", help="test modules to run, e.g. test_grammar")
    which.add_argument("--curated", action="store_true", help=f"the curated CI subset ({len(CURATED)} modules)")
    which.add_argument("--all", action="store_true", help="the whole test suite")
    p.add_argument("--modes", type=parse_modes, default=["none", "hook", "jit"],
                   help="comma-separated subset of none,hook,jit (default: all three)")
    p.add_argument("-j", "--jobs", type=int, default=2, help="regrtest worker processes (default 2)")
    p.add_argument("--timeout", type=int, default=300, help="regrtest's per-module timeout in seconds (default 300)")
    p.add_argument("--mode-timeout", type=float, default=None,
                   help="stop a whole mode's run after this many seconds (its unfinished modules count as not run)")
    p.add_argument("--slowest", action="store_true", help="pass --slowest to regrtest")
    p.add_argument("-u", "--use", default=None, help="regrtest resources, passed as -uRES (e.g. all,-cpu)")
    p.add_argument("--include-hangs", action="store_true",
                   help=f"also run {' '.join(KNOWN_HANGS)}, which hang until the timeout even without a hook")
    p.add_argument("--exclude", nargs="+", default=[], metavar="TEST", help="more modules to leave out")
    p.add_argument("--json", metavar="FILE", help="write results, categories, counters and timings as JSON")
    p.add_argument("--fail-on-jit-only", action="store_true",
                   help="exit 1 if a module fails or crashes with the JIT but passes in every baseline mode run")
    p.add_argument("--expect-jit-failure", action="append", default=[], metavar="MODULE[=REASON]",
                   help="a known pyjion bug: do not let --fail-on-jit-only fail for MODULE (repeatable)")
    p.add_argument("--no-junit", dest="junit", action="store_false",
                   help="do not ask regrtest for --junit-xml (used only for per-testcase detail)")
    p.add_argument("--python", default=sys.executable, help="interpreter whose test suite runs (default: this one)")
    p.add_argument("--pyjion-path", default=PYJION_PARENT,
                   help="directory holding the pyjion package (default: this checkout's python/)")
    p.add_argument("--jit-coordinator", action="store_true",
                   help="enable pyjion in the regrtest coordinator process too, not only in workers")
    p.add_argument("--workdir", help="where logs, JUnit XML and stats files go (default: a new temporary directory)")
    p.add_argument("-v", "--verbose", action="store_true", help="stream regrtest's whole output")
    p.add_argument("-q", "--quiet", action="store_true", help="while running, print only modules that did not pass")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    modes: list[str] = args.modes
    if args.fail_on_jit_only and not ("jit" in modes and any(m in modes for m in BASELINE_MODES)):
        print("regrtest.py: --fail-on-jit-only needs the jit mode and at least one of none, hook", file=sys.stderr)
        return 2
    expected_failures = dict(EXPECTED_JIT_FAILURES)
    for item in args.expect_jit_failure:
        module, _, reason = item.partition("=")
        expected_failures[module] = reason or "given with --expect-jit-failure"

    excluded = list(args.exclude)
    if not args.include_hangs:
        excluded += [t for t in KNOWN_HANGS if t not in excluded]
    tests = list(CURATED if args.curated else (args.tests or []))
    tests = [t[:-3] if t.endswith(".py") else t for t in tests]
    tests = [t for t in tests if t not in excluded]

    workdir = args.workdir or tempfile.mkdtemp(prefix="pyjion-regrtest-")
    os.makedirs(workdir, exist_ok=True)
    workdir = os.path.abspath(workdir)
    args.pyjion_path = os.path.abspath(args.pyjion_path)
    if any(m != "none" for m in modes) and not os.path.isdir(os.path.join(args.pyjion_path, "pyjion")):
        print(f"regrtest.py: no pyjion package in {args.pyjion_path}", file=sys.stderr)
        return 2

    expected = list_tests(args.python, args, tests, excluded, workdir)
    print(f"regrtest.py: {len(expected)} test modules, modes {','.join(modes)}, -j{args.jobs}, "
          f"timeout {args.timeout} s, workdir {workdir}", flush=True)
    if excluded:
        print(f"regrtest.py: excluded {' '.join(excluded)}", flush=True)

    runs: dict[str, ModeRun] = {}
    for mode in modes:
        runs[mode] = run_mode(mode, args.python, args, tests, excluded, expected, workdir)

    table = classify(modes, {mode: run.results for mode, run in runs.items()})
    print(format_report(table, runs, expected_failures))

    exit_status = 0
    if args.fail_on_jit_only:
        unexpected = [m for m in table.jit_only if m not in expected_failures]
        if unexpected:
            print(f"\nFAIL: {len(unexpected)} module(s) fail only with the JIT: {' '.join(unexpected)}")
            print(f"(logs in {workdir})")
            exit_status = 1
        else:
            print("\nOK: no module fails only with the JIT"
                  + (f" (expected failures: {' '.join(sorted(set(table.jit_only) & set(expected_failures)))})"
                     if set(table.jit_only) & set(expected_failures) else ""))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(to_json(table, runs, args, exit_status), fh, indent=1, sort_keys=True)
    return exit_status


if __name__ == "__main__":
    sys.exit(main())
