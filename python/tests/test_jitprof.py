"""The profiler's attribution (python/tools/jitprof.py): real ``dis_native`` listings,
synthetic samples at addresses taken from them. No perf run needed."""
from __future__ import annotations

import io
import re

import pytest

import pyjion
from support import fresh, load_tool

jitprof = load_tool("jitprof.py", "pyjion_jitprof_tool")


def _listing() -> tuple[str, object]:
    f = pyjion.jit(fresh("""
        class P:
            def __init__(self):
                self.x = 2.5
        def f(n):
            p = P()
            t = 0.0
            for i in range(n):
                t += p.x * i
            return t
        """))
    assert f(10) == f(10)
    out = io.StringIO()
    pyjion.dis_native(f, file=out)
    return out.getvalue(), f


def _address_after(text: str, marker: str) -> int:
    """The address of the first machine instruction after the line matching `marker`."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.search(marker, line):
            for after in lines[i + 1:]:
                if m := re.match(r"\s+0x([0-9a-f]+):", after):
                    return int(m.group(1), 16)
    raise AssertionError(f"no {marker!r} in the listing")


def test_samples_map_to_the_instruction_and_site_that_holds_them() -> None:
    text, f = _listing()
    regions, extents = jitprof.parse_listing(text)
    assert set(extents) == {"f"}
    load_attr = _address_after(text, r"; \d+ LOAD_ATTR")
    binary_op = _address_after(text, r"; \d+ BINARY_OP 5 ")
    out_of_line = _address_after(text, r"; out-of-line paths")
    start, end = extents["f"]
    samples = [(load_attr, ""), (load_attr + 1, ""), (binary_op, ""), (out_of_line, ""),
               (start, ""), (end, "PyObject_Malloc"), (0x10, "")]
    report = jitprof.attribute(regions, extents, samples)
    assert report.samples == 7
    assert report.in_compiled_code == 5
    assert report.by_opcode == {"LOAD_ATTR": 2, "BINARY_OP": 1, "[out-of-line paths]": 1, "[prologue]": 1}
    offset = int(re.search(r"; (\d+) LOAD_ATTR", text).group(1))
    assert report.by_site[f"f@{offset} LOAD_ATTR"] == 2
    # Past the function's last byte and below any code: counted by their symbols.
    assert report.elsewhere == {"PyObject_Malloc": 1, "[unknown]": 1}
    text_report = jitprof.format_report(report, top=3)
    assert "7 samples,  71.4% in compiled code" in text_report
    assert f"28.6%  f@{offset} LOAD_ATTR" in text_report


def test_several_functions_keep_their_own_regions() -> None:
    text, _ = _listing()
    g = pyjion.jit(fresh("def g(a, b):\n    return a + b\n", "g"))
    assert g(1, 2) == 3 and g(1, 2) == 3
    out = io.StringIO()
    pyjion.dis_native(g, file=out)
    both = text + out.getvalue()
    regions, extents = jitprof.parse_listing(both)
    assert set(extents) == {"f", "g"}
    add = _address_after(out.getvalue(), r"; \d+ BINARY_OP 0")
    report = jitprof.attribute(regions, extents, [(add, "")])
    offset = int(re.search(r"; (\d+) BINARY_OP 0", out.getvalue()).group(1))
    assert report.by_site == {f"g@{offset} BINARY_OP": 1}


def test_without_perf_it_says_so(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(jitprof.shutil, "which", lambda name: None)
    assert jitprof.main(["script.py"]) == 2
    assert "perf is not installed" in capsys.readouterr().err
