#!/usr/bin/env python3
"""Long-running differential fuzzer for pyjion.

    python3 python/tools/fuzz.py --seconds 600 --start-seed 100000

Generates programs with ``python/tests/fuzzgen.py`` seed after seed and runs each
compiled and interpreted (see ``difftest``). The programs run in a worker
process; if the worker crashes (segfault, abort) or hangs, the seed it was on is
reported as a failure and a new worker continues with the next seed.

Prints programs/s every ``--every`` seconds, and every failing seed with its
program source. Exit status 1 if anything failed.
"""
from __future__ import annotations

import argparse
import os
import queue
import signal
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTS = os.path.join(ROOT, "python", "tests")
PKG = os.path.join(ROOT, "python")


def worker(start: int, count: int) -> None:
    """Run ``count`` seeds from ``start`` on; one line per seed on stdout. Then exit,
    so the parent starts a fresh worker (bounds memory growth, e.g. from leaks)."""
    sys.path[:0] = [TESTS, PKG]
    import fuzzgen  # noqa: E402

    seed = start
    out = sys.stdout
    while seed < start + count:
        out.write(f"START {seed}\n")
        out.flush()
        case = fuzzgen.generate(seed)
        try:
            fuzzgen.run_case(case)
            out.write(f"OK {seed}\n")
        except BaseException as exc:  # noqa: BLE001 - report anything
            msg = f"{type(exc).__name__}: {exc}"
            out.write(f"FAIL {seed} {len(msg)}\n{msg}\n")
        out.flush()
        seed += 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--start-seed", type=int, default=0)
    ap.add_argument("--every", type=float, default=30.0, help="progress report interval (s)")
    ap.add_argument("--hang", type=float, default=30.0, help="seconds one program may run before it counts as hung")
    ap.add_argument("--recycle", type=int, default=2000, help="programs per worker process before a fresh one starts")
    ap.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker is not None:
        worker(args.worker, args.recycle)
        return 0

    sys.path[:0] = [TESTS, PKG]
    import fuzzgen  # noqa: E402  (for printing crashed/hung programs)

    t0 = time.monotonic()
    deadline = t0 + args.seconds
    next_report = t0 + args.every
    done = 0
    failures: list[tuple[int, str]] = []
    seed = args.start_seed

    def spawn(start: int) -> subprocess.Popen[str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = PKG + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        return subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--worker", str(start), "--recycle", str(args.recycle)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1, env=env,
        )

    def report_failure(s: int, what: str) -> None:
        failures.append((s, what))
        print(f"\n=== FAILING SEED {s} ===\n{what}\n--- program ---\n{fuzzgen.generate(s).describe()}\n", flush=True)

    lines: queue.Queue[tuple[subprocess.Popen[str], str | None]] = queue.Queue()

    def pump(p: subprocess.Popen[str]) -> None:
        assert p.stdout is not None
        for ln in p.stdout:
            lines.put((p, ln))
        lines.put((p, None))

    def start_worker(start: int) -> subprocess.Popen[str]:
        p = spawn(start)
        threading.Thread(target=pump, args=(p,), daemon=True).start()
        return p

    proc = start_worker(seed)
    current: int | None = None
    started = time.monotonic()
    pending_fail: tuple[int, int, list[str]] | None = None  # seed, chars expected, lines so far
    while time.monotonic() < deadline:
        try:
            src_proc, line = lines.get(timeout=1.0)
        except queue.Empty:
            src_proc, line = None, ""
        now = time.monotonic()
        if now >= next_report:
            el = now - t0
            print(f"[{el:6.0f}s] {done} programs, {done / el:.1f} programs/s, {len(failures)} failing", flush=True)
            next_report = now + args.every
        if src_proc is None:
            if current is not None and now - started > args.hang:
                proc.kill()
                proc.wait()
                report_failure(current, f"HANG: no result after {args.hang:.0f}s")
                done += 1
                seed = current + 1
                proc = start_worker(seed)
                current = None
            continue
        if src_proc is not proc:
            continue  # a killed worker's leftovers
        if line is None:  # worker ended
            rc = proc.wait()
            if rc == 0 and current is None and pending_fail is None:  # recycled
                proc = start_worker(seed + 1)
                continue
            err = proc.stderr.read()[-3000:] if proc.stderr else ""
            crashed = current if current is not None else seed
            how = f"signal {signal.Signals(-rc).name}" if rc < 0 else f"exit {rc}"
            report_failure(crashed, f"WORKER DIED ({how}) while running this seed\n{err}")
            done += 1
            seed = crashed + 1
            proc = start_worker(seed)
            current = None
            continue
        if pending_fail is not None:
            s, n, got = pending_fail
            got.append(line)
            if sum(map(len, got)) >= n + 1:
                report_failure(s, "".join(got))
                pending_fail = None
            continue
        word, _, rest = line.strip().partition(" ")
        if word == "START":
            current = int(rest)
            seed = current
            started = time.monotonic()
        elif word == "OK":
            done += 1
            seed = int(rest)
            current = None
        elif word == "FAIL":
            s, n = (int(v) for v in rest.split())
            seed = s
            done += 1
            current = None
            pending_fail = (s, n, [])
    proc.kill()
    proc.wait()
    el = time.monotonic() - t0
    last = args.start_seed + done
    print(f"\n{done} programs in {el:.0f}s ({done / el:.1f} programs/s), seeds {args.start_seed}..{last - 1}; "
          f"{len(failures)} failing: {[s for s, _ in failures]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
