"""Hostile but legal programs: rebinding things compiled code depends on, __del__
running mid-operation, mutation during iteration, dunder methods that raise,
extreme recursion limits, disable() from inside a compiled frame. Each is run
compiled and interpreted (difftest) and must behave the same."""
from __future__ import annotations

import builtins
import re
import textwrap
from typing import Any

import pytest

import pyjion
from difftest import DiffPair, run_diff
from support import fresh, run_child


def both(pair: DiffPair, stmt: str) -> None:
    """Execute ``stmt`` in both namespaces (e.g. rebind a global)."""
    for prog in (pair.jitted, pair.plain):
        exec(textwrap.dedent(stmt), prog.ns)


def compiled_pair(src: str, jit_names: tuple[str, ...] = ("f",)) -> DiffPair:
    return DiffPair(textwrap.dedent(src), jit_names)


# ---------------------------------------------------------------- rebinding


def test_rebind_global_after_compilation() -> None:
    pair = compiled_pair(
        """
        G = 10
        def f(x):
            t = 0
            for i in range(3):
                t += G * x
            return t
        """
    )
    pair.check((2,))
    pair.assert_compiled()
    both(pair, "G = 2.5")
    pair.check((2,))
    both(pair, "G = 'ab'")
    pair.check((2,))
    both(pair, "del G")
    out = pair.check((2,))
    assert out.kind == "raise" and out.value[0] == "NameError"
    both(pair, "G = 10**30")
    pair.check((2,))


def test_global_rebound_by_the_compiled_function_itself() -> None:
    """A helper called mid-loop rebinds the global the loop reads."""
    pair = compiled_pair(
        """
        G = 1
        def bump():
            global G
            G = G * 10 if isinstance(G, int) and G < 1000 else 'str'
        def f():
            out = []
            for i in range(6):
                out.append(G)
                bump()
            return out
        """
    )
    pair.check(calls=1)
    pair.assert_compiled()


def test_rebind_builtin_after_compilation() -> None:
    pair = compiled_pair("def f(xs):\n    return len(xs) + len(xs[1:])\n")
    pair.check(([1, 2, 3],))
    pair.assert_compiled()
    saved = builtins.len
    try:
        builtins.len = lambda x: 100  # type: ignore[assignment]
        out = pair.check(([1, 2, 3],))
        assert out.value == ("int", 200)
        both(pair, "len = lambda x: -1")  # a global now shadows the builtin
        out = pair.check(([1, 2, 3],))
        assert out.value == ("int", -2)
    finally:
        builtins.len = saved
    both(pair, "del len")
    out = pair.check(([1, 2, 3],))
    assert out.value == ("int", 5)


def test_builtin_deleted_after_compilation() -> None:
    pair = compiled_pair("def f(x):\n    return abs(x)\n")
    pair.check((-3,))
    saved = builtins.abs
    try:
        del builtins.abs
        out = pair.check((-3,))
        assert out.kind == "raise" and out.value[:2] == ("NameError", "name 'abs' is not defined")
    finally:
        builtins.abs = saved
    pair.check((-3,))


def test_replace_code_after_compilation() -> None:
    pair = compiled_pair(
        """
        def f(x):
            return x + 1
        def g(x):
            return [x, x * 2]
        def h(x):
            with open('/dev/null'):
                return x - 1
        """
    )
    pair.check((5,))
    pair.assert_compiled()
    both(pair, "f.__code__ = g.__code__")
    out = pair.check((5,))
    assert out.value == ("list", (("int", 5), ("int", 10)))
    both(pair, "f.__code__ = h.__code__")  # a code object pyjion declines
    out = pair.check((5,))
    assert out.value == ("int", 4)


def test_code_replaced_while_running() -> None:
    """f replaces its own __code__ mid-loop: the running frame keeps the old code."""
    pair = compiled_pair(
        """
        def other(n):
            return 'other'
        def swap():
            f.__code__ = other.__code__
        def f(n):
            t = 0
            for i in range(n):
                if i == 2:
                    swap()
                t += i
            return t
        """
    )
    out = pair.check((5,), calls=1)
    assert out.value == ("int", 10)
    out = pair.check((5,), calls=1)
    assert out.value == ("str", "other")


def test_method_replaced_between_calls_and_mid_loop() -> None:
    pair = compiled_pair(
        """
        class C:
            def m(self):
                return 1
        def alt(self):
            return 'alt'
        def alt2(self):
            return 2.5
        def remove():
            del C.m
        def f(o):
            out = []
            for i in range(6):
                out.append(o.m())
                if i == 1:
                    C.m = alt
                if i == 3:
                    o.m = lambda: 'instance'
                if i == 4:
                    remove()
            return out
        """
    )
    out = pair.check("C()", calls=1)
    assert out.kind == "return"
    pair.assert_compiled()
    both(pair, "C.m = alt2")
    pair.check("C()", calls=2)


def test_class_gains_getattr_mid_loop() -> None:
    pair = compiled_pair(
        """
        class C:
            pass
        def ga(self, name):
            return 'ga:' + name
        def f(o):
            out = []
            for i in range(4):
                try:
                    out.append(o.missing)
                except AttributeError as e:
                    out.append(str(e))
                if i == 1:
                    C.__getattr__ = ga
            return out
        """
    )
    pair.check("C()", calls=1)


# ---------------------------------------------------------------- __del__ mid-operation

DEL_PRELUDE = """
LOG = []
class D:
    def __init__(self, tag):
        self.tag = tag
    def __del__(self):
        LOG.append(('del', self.tag))
        GLOBAL_LIST.append(self.tag)
    def __add__(self, other):
        return D(self.tag + '+')
    def __eq__(self, other):
        return False
    __hash__ = object.__hash__
GLOBAL_LIST = []
"""


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("x = D('a')\nLOG.append('stored')\nx = 1\nLOG.append('overwritten')", id="store-fast"),
        pytest.param("D('a')\nLOG.append('after-pop')", id="pop-top"),
        pytest.param("x = D('a')\ny = x + 1\nLOG.append('added')\ny = x + 2\nLOG.append('again')\ndel x, y", id="binary-op-result"),
        pytest.param("x = D('a') + 1\nLOG.append('temp-dropped')", id="binary-op-operand"),
        pytest.param("xs = [D('a'), D('b')]\nxs[0] = 5\nLOG.append('replaced')\ndel xs[1]\nLOG.append('deleted')", id="store-del-subscr"),
        pytest.param("for i in range(3):\n    x = D(str(i))\n    LOG.append(i)", id="loop-rebind"),
        pytest.param("x = D('a')\nif x == 1:\n    pass\nx = None\nLOG.append(len(GLOBAL_LIST))", id="compare-then-drop"),
        pytest.param("o = D('o')\no.attr = D('attr')\no.attr = 3\nLOG.append('attr-replaced')", id="store-attr"),
        pytest.param("d = {'k': D('v')}\nd['k'] = 0\nLOG.append(list(GLOBAL_LIST))", id="dict-store"),
        pytest.param("t = (D('a'), D('b'))\na, b = t\nt = None\na = None\nLOG.append('unpacked')", id="unpack"),
    ],
)
def test_del_runs_mid_operation(body: str) -> None:
    src = DEL_PRELUDE + "def f():\n" + textwrap.indent(body, "    ") + "\n    return list(LOG), list(GLOBAL_LIST)\n"
    run_diff(src, calls=1)


def test_del_that_rebinds_a_global_the_loop_reads() -> None:
    src = """
    G = 0
    class D:
        def __del__(self):
            global G
            G = G + 100
    def f():
        out = []
        for i in range(4):
            x = D()
            x = None
            out.append(G)
        return out
    """
    run_diff(src, calls=1)


def test_del_that_raises_is_unraisable_not_propagated() -> None:
    import sys

    seen: list[str] = []
    old = sys.unraisablehook
    sys.unraisablehook = lambda u: seen.append(f"{type(u.exc_value).__name__}: {u.exc_value}")
    try:
        _del_raises()
    finally:
        sys.unraisablehook = old
    assert seen == ["ValueError: from __del__"] * 2, seen


def _del_raises() -> None:
    src = """
    class D:
        def __del__(self):
            raise ValueError('from __del__')
    def f():
        x = D()
        x = 1
        return x + 1
    """
    run_diff(src, calls=1)


# ---------------------------------------------------------------- mutation during iteration


@pytest.mark.parametrize(
    "src, args",
    [
        pytest.param("def f(d):\n    for k in d:\n        d[k + 'x'] = 1\n", ({"a": 1},), id="dict-grows"),
        pytest.param("def f(d):\n    for k in d:\n        del d[k]\n", ({"a": 1, "b": 2},), id="dict-shrinks"),
        pytest.param("def f(d):\n    n = 0\n    for k in d:\n        d[k] = n\n        n += 1\n    return d\n", ({"a": 1, "b": 2},), id="dict-values-changed-ok"),
        pytest.param("def f(d):\n    for k in d.keys():\n        d.pop(k)\n        d[k + 'y'] = 0\n", ({"a": 1},), id="dict-keys-same-size-changed"),
        pytest.param("def f(d):\n    for k, v in d.items():\n        d.clear()\n", ({"a": 1},), id="dict-items-cleared"),
        pytest.param("def f(s):\n    for x in s:\n        s.add(x + 1)\n", ({1, 2},), id="set-grows"),
        pytest.param("def f(xs):\n    out = []\n    for x in xs:\n        out.append(x)\n        if len(xs) < 6:\n            xs.append(x * 2)\n    return out\n", ([1, 2],), id="list-grows-bounded"),
        pytest.param("def f(xs):\n    out = []\n    for x in xs:\n        out.append(x)\n        xs.remove(x)\n    return out, xs\n", ([1, 2, 3, 4],), id="list-shrinks"),
    ],
)
def test_container_mutated_during_iteration(src: str, args: tuple) -> None:
    run_diff(src, args)


# ---------------------------------------------------------------- dunders that raise

RAISERS = """
class Bad(Exception):
    pass
class R:
    def __init__(self, which, n=0):
        self.which = which
        self.n = n
    def _maybe(self, name):
        if self.which == name:
            raise Bad(name)
    def __eq__(self, other):
        self._maybe('eq'); return True
    def __lt__(self, other):
        self._maybe('lt'); return True
    def __hash__(self):
        self._maybe('hash'); return 1
    def __index__(self):
        self._maybe('index'); return 1
    def __iter__(self):
        self._maybe('iter'); return self
    def __next__(self):
        self.n += 1
        if self.n > 2:
            self._maybe('next')
            raise StopIteration
        return self.n
    def __bool__(self):
        self._maybe('bool'); return True
    def __add__(self, other):
        self._maybe('add'); return 1
    def __radd__(self, other):
        self._maybe('radd'); return 2
    def __iadd__(self, other):
        self._maybe('iadd'); return 3
    def __len__(self):
        self._maybe('len'); return 2
    def __format__(self, spec):
        self._maybe('format'); return 'R'
    def __repr__(self):
        self._maybe('repr'); return 'R()'
    def __getattr__(self, name):
        self._maybe('getattr'); return name
    def __getitem__(self, k):
        self._maybe('getitem'); return k
    def __setitem__(self, k, v):
        self._maybe('setitem')
    def __neg__(self):
        self._maybe('neg'); return -1
    def __call__(self, *a, **k):
        self._maybe('call'); return a
"""

RAISING_USES = [
    ("eq", "r == 1"), ("eq", "1 in [0, r]"), ("eq", "[r] == [1]"), ("lt", "r < 1"), ("lt", "1 if r < 2 else 0"),
    ("hash", "{r: 1}"), ("hash", "{r}"), ("hash", "d[r]"), ("hash", "r in d"),
    ("index", "xs[r]"), ("index", "xs[r:]"), ("index", "range(r)"), ("index", "xs[r] = 5"), ("index", "'ab' * r"),
    ("iter", "[x for x in r]"), ("iter", "tuple(r)"), ("iter", "a, b = r"), ("next", "a, b = r"), ("next", "list(r)"),
    ("bool", "1 if r else 0"), ("bool", "not r"), ("bool", "r and 1"), ("bool", "r or 1"),
    ("add", "r + 1"), ("radd", "1 + r"), ("iadd", "r += 1"), ("len", "len(r)"), ("format", "f'{r}'"),
    ("repr", "f'{r!r}'"), ("getattr", "r.anything"), ("getitem", "r[0]"), ("setitem", "r[0] = 1"),
    ("neg", "-r"), ("call", "r(1, k=2)"),
]


@pytest.mark.parametrize("which, use", [pytest.param(w, u, id=f"{w}:{u}") for w, u in RAISING_USES])
@pytest.mark.parametrize("raising", [True, False], ids=["raises", "ok"])
def test_dunder_raises(which: str, use: str, raising: bool) -> None:
    loop_use = use if "=" in use.replace("==", "") else f"out.append({use})"
    src = RAISERS + textwrap.dedent(
        f"""
        def f(r, xs, d):
            out = []
            for i in range(2):
                {loop_use}
            return out, xs
        """
    )
    arg = f"R({which!r} if {raising} else '-'), [10, 11, 12], {{}}"
    run_diff(src, arg, expect_compiled="for x in r" not in use)


def test_object_without_exit_used_in_with() -> None:
    """``with`` is declined, but the error for an object lacking __exit__ must match."""
    src = """
    class NoExit:
        def __enter__(self):
            return self
    def f(o):
        with o:
            return 1
    """
    out = run_diff(src, "NoExit()", expect_compiled=False)
    assert out.kind == "raise"


# ---------------------------------------------------------------- recursion limits

LOW_LIMIT_CHILD = r"""
import sys, pyjion
SRC = '''
def f(n):
    if n == 0:
        return 0
    return 1 + f(n - 1)
'''
def make(jit):
    ns = {}
    exec(compile(SRC, '<src>', 'exec'), ns)
    if jit:
        pyjion.jit(ns['f'])
    return ns['f']
def outcome(fn, n):
    try:
        return ('ok', fn(n))
    except RecursionError as e:
        return ('RecursionError', str(e))
jf, pf = make(True), make(False)
sys.setrecursionlimit(50)
res = []
for n in (5, 20, 30, 40, 44, 45, 46, 47, 48, 49, 50, 60, 200):
    res.append((n, outcome(jf, n), outcome(pf, n)))
sys.setrecursionlimit(1000)
print('COMPILED', pyjion.info(jf).compiled)
for n, a, b in res:
    print(n, 'SAME' if a == b else 'DIFF', a, b)
"""


def test_low_recursion_limit_matches_interpreter() -> None:
    proc = run_child(LOW_LIMIT_CHILD, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "COMPILED True" in proc.stdout, proc.stdout
    diffs = [line for line in proc.stdout.splitlines() if " DIFF " in line]
    assert not diffs, "compiled and interpreted recursion differ at limit 50:\n" + "\n".join(diffs)


HIGH_LIMIT_CHILD = r"""
import sys, pyjion
@pyjion.jit
def f(n):
    if n == 0:
        return 0
    return 1 + f(n - 1)
sys.setrecursionlimit(10**6)
try:
    r = f(100000)
    print('RESULT', r, flush=True)
except RecursionError as e:
    print('RecursionError', e, flush=True)
print('COMPILED', pyjion.info(f).compiled, flush=True)
"""


def test_high_recursion_limit_deep_recursion_never_crashes(report: Any) -> None:
    """Recursion 100 000 deep at limit 10**6: complete or RecursionError, never a crash
    (each compiled frame uses C stack; the interpreter's do not)."""
    proc = run_child(HIGH_LIMIT_CHILD, timeout=300)
    report(f"recursion 100000 deep at limit 10**6: rc={proc.returncode} stdout={proc.stdout.strip()!r}")
    assert proc.returncode == 0, f"child died (rc={proc.returncode}, negative = signal):\nstdout {proc.stdout}\nstderr {proc.stderr[-2000:]}"
    assert "RESULT 100000" in proc.stdout or "RecursionError" in proc.stdout, proc.stdout


def test_high_recursion_limit_in_thread_with_small_stack(report: Any) -> None:
    """Same, in a thread with a 1 MiB stack."""
    src = HIGH_LIMIT_CHILD.replace(
        "try:\n    r = f(100000)",
        "import threading\nthreading.stack_size(1 << 20)\ndef run():\n  try:\n    r = f(100000)",
    )
    src = src.replace(
        "    print('RESULT', r, flush=True)\nexcept RecursionError as e:\n    print('RecursionError', e, flush=True)\n",
        "    print('RESULT', r, flush=True)\n  except RecursionError as e:\n    print('RecursionError', e, flush=True)\nt = threading.Thread(target=run)\nt.start()\nt.join()\n",
    )
    proc = run_child(src, timeout=300)
    report(f"recursion 100000 deep in a 1 MiB thread: rc={proc.returncode} stdout={proc.stdout.strip()!r}")
    assert proc.returncode == 0, f"child died (rc={proc.returncode}):\nstdout {proc.stdout}\nstderr {proc.stderr[-2000:]}"
    assert "RESULT 100000" in proc.stdout or "RecursionError" in proc.stdout, proc.stdout


# ---------------------------------------------------------------- disable() from inside


def test_disable_from_inside_compiled_frame() -> None:
    src = """
    import pyjion
    def helper(i):
        if i == 3:
            pyjion.disable()
        return i * 2
    def f(n):
        t = 0
        for i in range(n):
            t += helper(i)
        return t
    """
    f = pyjion.jit(fresh(src))
    g = pyjion.jit(fresh("def g(n):\n    return f(n) + 1\n", "g"))
    g.__globals__["f"] = f
    assert g(10) == 91
    assert pyjion.info(f).compiled and pyjion.info(g).compiled
    runs = pyjion.info(f).run_count
    assert f(10) == 90  # after disable: interpreted, still right
    assert pyjion.info(f).run_count == runs
    assert not pyjion.is_enabled()


def test_enable_disable_toggled_inside_compiled_loop() -> None:
    src = """
    import pyjion
    def toggle(i):
        if i % 2:
            pyjion.disable()
        else:
            pyjion.enable()
        return i
    def f(n):
        t = 0
        for i in range(n):
            t += toggle(i) * 3 - 1
        return t
    """
    f = pyjion.jit(fresh(src))
    try:
        assert f(20) == sum(i * 3 - 1 for i in range(20))
        assert f(21) == sum(i * 3 - 1 for i in range(21))
    finally:
        pyjion.disable()


def test_config_changed_inside_compiled_frame() -> None:
    src = """
    import pyjion
    def f(n):
        t = 0
        for i in range(n):
            if i == 2:
                pyjion.config(max_code_bytes=1, threshold=0)
            t += i
        return t
    """
    saved = pyjion.config()
    try:
        f = pyjion.jit(fresh(src))
        assert f(10) == 45
        assert f(10) == 45
    finally:
        pyjion.config(max_code_bytes=saved["max_code_bytes"], threshold=saved["threshold"])


def test_settrace_installed_inside_compiled_frame() -> None:
    """A compiled frame turns tracing on mid-loop: it must continue correctly (handing
    itself to the interpreter) and the tracer must see its remaining lines."""
    import sys

    src = """
    import sys
    def f(n, tracer):
        t = 0
        for i in range(n):
            if i == 3:
                sys.settrace(tracer)
            t += i
        sys.settrace(None)
        return t
    """
    f = pyjion.jit(fresh(src))
    events: list[tuple[str, int]] = []

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code is f.__code__:
            events.append((event, frame.f_lineno))
        return tracer

    try:
        assert f(8, tracer) == 28
    finally:
        sys.settrace(None)
    assert pyjion.info(f).compiled
    # settrace does not trace the frame that called it (no f_trace yet); only demand
    # a correct result, no crash, and sane events for anything that was traced.
    assert all(ev in ("line", "return", "call") for ev, _ in events)
