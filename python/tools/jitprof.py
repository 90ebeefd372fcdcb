"""Where a program's time goes in pyjion's machine code, by bytecode instruction.

    python3 python/tools/jitprof.py [--top N] script.py [args...]

Runs ``script.py`` with the JIT on under ``perf record`` (sampling only while the
script runs), then lists every compiled function with ``pyjion.dis_native`` in the
same process, so that each sampled address can be mapped to the bytecode
instruction whose machine code holds it. Prints the share of samples in compiled
code, the opcodes that take the most of it, and the hottest sites
(``function@offset OPCODE``). Samples outside compiled code are summed by symbol,
as ``perf report`` names them (``PYJION_PERF_MAP=1`` names the compiled functions
too).

Needs Linux ``perf`` with ``--control`` (perf 5.9 or later) and a
``perf_event_paranoid`` setting that lets this user sample.
"""
from __future__ import annotations

import argparse
import bisect
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field

_FUNCTION = re.compile(r"^; (.+?): \d+ bytes at 0x([0-9a-f]+)")
_INSTRUCTION = re.compile(r"^\s+; (\d+) ([A-Z_]+)")
_SECTION = re.compile(r"^\s+; (prologue|out-of-line paths|return|exception handler dispatch|"
                      r"leave to the interpreter|direct entry|deallocation|constants|helper addresses)")
_ADDRESS = re.compile(r"^\s+0x([0-9a-f]+):")


@dataclass(frozen=True)
class Region:
    """Machine code from ``start`` on, up to the next region: one bytecode instruction's
    inline code (``opcode`` and its byte ``offset``), or a shared section of a function
    (``opcode`` is the section's name in brackets, ``offset`` is -1)."""
    start: int
    function: str
    opcode: str
    offset: int


@dataclass
class Report:
    samples: int = 0
    in_compiled_code: int = 0
    by_opcode: collections.Counter[str] = field(default_factory=collections.Counter)
    by_site: collections.Counter[str] = field(default_factory=collections.Counter)
    elsewhere: collections.Counter[str] = field(default_factory=collections.Counter)


def parse_listing(text: str) -> tuple[list[Region], dict[str, tuple[int, int]]]:
    """Regions in address order, and each function's [start, end) from its header."""
    regions: list[Region] = []
    extents: dict[str, tuple[int, int]] = {}
    function, opcode, offset = "", "[prologue]", -1
    for line in text.splitlines():
        if m := _FUNCTION.match(line):
            function, opcode, offset = m.group(1), "[prologue]", -1
            size = int(line.split(": ", 1)[1].split(" bytes", 1)[0])
            start = int(m.group(2), 16)
            extents[function] = (start, start + size)
        elif m := _INSTRUCTION.match(line):
            opcode, offset = m.group(2), int(m.group(1))
        elif m := _SECTION.match(line):
            opcode, offset = f"[{m.group(1)}]", -1
        elif (m := _ADDRESS.match(line)) and function:
            regions.append(Region(int(m.group(1), 16), function, opcode, offset))
    regions.sort(key=lambda r: r.start)
    return regions, extents


def attribute(regions: list[Region], extents: dict[str, tuple[int, int]],
              samples: list[tuple[int, str]]) -> Report:
    """Each sample (address, symbol) to the region holding it, or to its symbol."""
    starts = [r.start for r in regions]
    report = Report()
    for address, symbol in samples:
        report.samples += 1
        i = bisect.bisect_right(starts, address) - 1
        if i >= 0:
            region = regions[i]
            low, high = extents[region.function]
            if low <= address < high:
                report.in_compiled_code += 1
                report.by_opcode[region.opcode] += 1
                where = f"@{region.offset}" if region.offset >= 0 else ""
                report.by_site[f"{region.function}{where} {region.opcode}"] += 1
                continue
        report.elsewhere[symbol or "[unknown]"] += 1
    return report


def format_report(report: Report, top: int) -> str:
    def share(n: int) -> str:
        return f"{100 * n / max(report.samples, 1):5.1f}%"
    lines = [f"{report.samples} samples, {share(report.in_compiled_code)} in compiled code"]
    lines.append("by opcode (compiled code):")
    lines += [f"  {share(n)}  {op}" for op, n in report.by_opcode.most_common(top)]
    lines.append("hottest sites:")
    lines += [f"  {share(n)}  {site}" for site, n in report.by_site.most_common(top)]
    lines.append("outside compiled code, by symbol:")
    lines += [f"  {share(n)}  {sym}" for sym, n in report.elsewhere.most_common(top)]
    return "\n".join(lines)


_DRIVER = """
import gc, io, os, runpy, sys, types
def _ctl(command):
    with open(os.environ["JITPROF_CTL"], "w") as c:
        c.write(command + "\\n")
    with open(os.environ["JITPROF_ACK"]) as a:
        a.readline()
import pyjion
script = sys.argv[1]
sys.argv = sys.argv[1:]
sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
pyjion.enable()
_ctl("enable")
try:
    runpy.run_path(script, run_name="__main__")
finally:
    _ctl("disable")
    pyjion.disable()
    out = io.StringIO()
    for o in gc.get_objects():
        if isinstance(o, types.FunctionType) and pyjion.info(o).compiled:
            pyjion.dis_native(o, file=out)
    with open(os.environ["JITPROF_LISTING"], "w") as f:
        f.write(out.getvalue())
"""


def _perf_samples(data: str) -> list[tuple[int, str]]:
    out = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym"],
                         capture_output=True, text=True, check=True).stdout
    samples = []
    for line in out.splitlines():
        parts = line.split(None, 1)
        if parts:
            try:
                samples.append((int(parts[0], 16), parts[1].strip() if len(parts) > 1 else ""))
            except ValueError:
                continue
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=20, help="rows per table (default 20)")
    parser.add_argument("--frequency", type=int, default=2000, help="samples per second (default 2000)")
    parser.add_argument("script")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    options = parser.parse_args(argv)
    if shutil.which("perf") is None:
        print("jitprof: perf is not installed (Debian: linux-perf)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="jitprof-") as tmp:
        ctl, ack = os.path.join(tmp, "ctl"), os.path.join(tmp, "ack")
        os.mkfifo(ctl)
        os.mkfifo(ack)
        driver = os.path.join(tmp, "driver.py")
        with open(driver, "w") as f:
            f.write(_DRIVER)
        env = dict(os.environ, JITPROF_CTL=ctl, JITPROF_ACK=ack, PYJION_PERF_MAP="1",
                   JITPROF_LISTING=os.path.join(tmp, "listing.txt"))
        data = os.path.join(tmp, "perf.data")
        run = subprocess.run(["perf", "record", "-q", "-F", str(options.frequency), "-D", "-1",
                              f"--control=fifo:{ctl},{ack}", "-o", data, "--",
                              sys.executable, driver, options.script, *options.args], env=env)
        if run.returncode != 0 or not os.path.exists(env["JITPROF_LISTING"]):
            print(f"jitprof: the profiled run failed (exit {run.returncode})", file=sys.stderr)
            return 1
        with open(env["JITPROF_LISTING"]) as f:
            regions, extents = parse_listing(f.read())
        print(format_report(attribute(regions, extents, _perf_samples(data)), options.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
