"""Code memory: freed with its code object, bounded over many functions, capped by
``config(max_code_bytes=...)``."""
from __future__ import annotations

import gc
import re
from typing import Any

import pyjion
from support import fresh, run_child

LOOP_SRC = "def f(n):\n    t = {k}\n    for i in range(n):\n        if i % 3 == 1:\n            t += i * {k1}\n        else:\n            t -= 1\n    return t\n"


def loop_expected(k: int, n: int) -> int:
    t = k
    for i in range(n):
        if i % 3 == 1:
            t += i * (k + 1)
        else:
            t -= 1
    return t


def make(k: int) -> Any:
    return pyjion.jit(fresh(LOOP_SRC.format(k=k, k1=k + 1)))


def test_freed_grows_and_code_bytes_drops() -> None:
    gc.collect()
    before = pyjion.stats()
    fs = [make(k) for k in range(50)]
    for k, f in enumerate(fs):
        assert f(20) == loop_expected(k, 20)
        assert pyjion.info(f).compiled
    mid = pyjion.stats()
    size = sum(pyjion.info(f).code_size for f in fs)
    assert size > 0
    assert mid["code_bytes"] - before["code_bytes"] >= size
    assert mid["compiled"] - before["compiled"] >= 50
    del fs, f
    gc.collect()
    after = pyjion.stats()
    assert after["freed"] - mid["freed"] >= 50, (mid["freed"], after["freed"])
    assert mid["code_bytes"] - after["code_bytes"] >= size, (mid["code_bytes"], after["code_bytes"], size)


def test_code_freed_when_only_the_code_object_dies() -> None:
    """The function dies but a reference to its code object survives: nothing freed
    until the code object itself goes."""
    f = make(1)
    assert f(5) == loop_expected(1, 5)
    code = f.__code__
    gc.collect()
    freed0 = pyjion.stats()["freed"]
    del f
    gc.collect()
    assert pyjion.stats()["freed"] == freed0
    assert pyjion.info(code).compiled
    del code
    gc.collect()
    assert pyjion.stats()["freed"] == freed0 + 1


RSS_CHILD = r"""
import gc, sys, pyjion

def rss_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0

SRC = %r

def one(k):
    ns = {}
    exec(SRC.format(k=k, k1=k + 1), ns)
    f = pyjion.jit(ns["f"])
    r = f(12)
    assert pyjion.info(f).compiled
    return r

for k in range(2000):
    one(k)
gc.collect()
start = rss_mb()
LIMIT = 256.0  # stop early rather than eat the machine's memory if something leaks
done = 0
for k in range(20000):
    one(k)
    done += 1
    if k %% 500 == 499:
        gc.collect()
        if rss_mb() - start > LIMIT:
            break
gc.collect()
end = rss_mb()
st = pyjion.stats()
print("FUNCTIONS", done)
print("GROWTH_MB %%.2f" %% (end - start))
print("STATS compiled=%%d freed=%%d code_bytes=%%d reserved=%%d" %% (st["compiled"], st["freed"], st["code_bytes"], st["code_bytes_reserved"]))
"""


def test_rss_bounded_over_many_functions(report: Any) -> None:
    """After 2 000 warm-up functions, compiling and dropping 20 000 more grows RSS by
    under 20 MB (measured in a fresh process)."""
    proc = run_child(RSS_CHILD % LOOP_SRC, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    done = int(re.search(r"FUNCTIONS (\d+)", proc.stdout).group(1))
    growth = float(re.search(r"GROWTH_MB ([\d.-]+)", proc.stdout).group(1))
    stats_line = re.search(r"STATS .*", proc.stdout).group(0)
    per_fn = growth * 1024 * 1024 / max(done, 1)
    report(f"RSS growth {growth:.1f} MB over {done} compiled+dropped functions ({per_fn:.0f} B/function); {stats_line}")
    assert done == 20000 and growth < 20, (
        f"RSS grew {growth:.1f} MB over {done} functions ({per_fn:.0f} bytes per compiled function, "
        f"though stats say the code was freed: {stats_line})"
    )


def test_max_code_bytes_caps_code_memory() -> None:
    saved = pyjion.config()
    gc.collect()
    live = pyjion.stats()["code_bytes"]
    probe = make(0)
    assert probe(3) == loop_expected(0, 3)
    one_size = pyjion.info(probe).code_size
    assert one_size > 0
    cap = live + one_size * 3 + one_size // 2
    reached0 = pyjion.stats()["max_code_bytes_reached"]
    fs = []
    try:
        pyjion.config(max_code_bytes=cap)
        assert pyjion.config()["max_code_bytes"] == cap
        for k in range(1, 30):
            f = make(k)
            assert f(30) == loop_expected(k, 30), "a function refused by the cap must still compute correctly"
            assert f(31) == loop_expected(k, 31)
            fs.append(f)
        infos = [pyjion.info(f) for f in fs]
        compiled = [i for i in infos if i.compiled]
        declined = [i for i in infos if i.failed]
        st = pyjion.stats()
        assert st["code_bytes"] <= cap, (st["code_bytes"], cap)
        assert 1 <= len(compiled) <= 3, [str(i) for i in infos]
        assert len(declined) == len(fs) - len(compiled)
        assert all(i.reason and "max_code_bytes" in i.reason for i in declined), {i.reason for i in declined}
        assert st["max_code_bytes_reached"] - reached0 >= len(declined)
        # compiled ones were first; once reached, everything after is declined
        first_declined = next(n for n, i in enumerate(infos) if i.failed)
        assert all(i.failed for i in infos[first_declined:])
    finally:
        pyjion.config(max_code_bytes=saved["max_code_bytes"])
    assert pyjion.config() == saved
    # with the cap lifted, new functions compile again
    g = make(99)
    assert g(30) == loop_expected(99, 30)
    assert pyjion.info(g).compiled


def test_max_code_bytes_freed_code_makes_room() -> None:
    """Code freed by dead functions counts no more against the cap."""
    saved = pyjion.config()
    gc.collect()
    probe = make(0)
    probe(3)
    size = pyjion.info(probe).code_size
    del probe
    gc.collect()
    live = pyjion.stats()["code_bytes"]
    try:
        pyjion.config(max_code_bytes=live + size * 2 + size // 2)
        fs = [make(k) for k in range(4)]
        for k, f in enumerate(fs):
            assert f(10) == loop_expected(k, 10)
        assert [pyjion.info(f).compiled for f in fs] == [True, True, False, False]
        del fs, f
        gc.collect()
        g = make(7)
        assert g(10) == loop_expected(7, 10)
        assert pyjion.info(g).compiled, f"cap still reached after the code was freed: {pyjion.info(g)}; stats {pyjion.stats()}"
    finally:
        pyjion.config(max_code_bytes=saved["max_code_bytes"])
