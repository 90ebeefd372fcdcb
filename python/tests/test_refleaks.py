"""Reference leaks in compiled code.

Each case compiles ``f`` and calls it many times with arguments that include
objects unique to the test (a fresh list, a sentinel instance, a big int, a float
made at run time). The reference count of every watched object must be the same
after the calls as after the first (compiling) call. Error paths too: exceptions
raised and caught by the caller, failed calls, unbound locals, IndexError,
unpack errors, raise inside a loop.

``sys.gettotalrefcount`` exists only in debug builds, so the tests watch
per-object counts, and ``gc.get_objects()`` growth for objects nobody watches.
"""
from __future__ import annotations

import gc
import sys
from typing import Any, Callable

import pytest

import pyjion
from support import fresh

N = 2000


class Sentinel:
    """A unique object; supports the operations the cases use."""

    def __init__(self, tag: str = "s") -> None:
        self.tag = tag
        self.x = None

    def __add__(self, other: Any) -> Any:
        return self

    def __radd__(self, other: Any) -> Any:
        return self

    def __lt__(self, other: Any) -> bool:
        return True

    def __format__(self, spec: str) -> str:
        return "S" + spec

    def __repr__(self) -> str:
        return "Sentinel()"

    def meth(self, a: Any, b: Any = None) -> Any:
        return a


def big() -> int:
    return int("1" + "0" * 30) + id(object())  # a fresh big int


def flt() -> float:
    return float("1.25")  # a fresh float object


def bigi() -> int:
    return int("100000")  # a fresh (not cached) small-range int object


def sink(*args: Any, **kwargs: Any) -> Any:
    return args[0] if args else None


def takes_two(a: Any, b: Any) -> Any:
    return a


def assert_no_leak(src: str, make: Callable[[], tuple[tuple[Any, ...], list[Any]]], *, raises: type[BaseException] | None = None, extra_globals: dict[str, Any] | None = None) -> Any:
    """``make()`` returns (arguments, watched objects). Returns the compiled function."""
    f = fresh(src)
    f.__globals__.update({"sink": sink, "takes_two": takes_two, "Sentinel": Sentinel})
    if extra_globals:
        f.__globals__.update(extra_globals)
    pyjion.jit(f)
    args, watched = make()

    def call() -> None:
        if raises is None:
            f(*args)
        else:
            try:
                f(*args)
            except raises:
                pass
            else:
                raise AssertionError(f"expected {raises.__name__}")

    call()  # compiles
    call()
    info = pyjion.info(f)
    assert info.compiled, f"not compiled: {info}\n{src}"
    gc.collect()
    before = [sys.getrefcount(o) for o in watched]
    for _ in range(N):
        call()
    gc.collect()
    after = [sys.getrefcount(o) for o in watched]
    leaks = [(i, type(watched[i]).__name__, b, a) for i, (b, a) in enumerate(zip(before, after)) if a != b]
    assert not leaks, f"refcounts changed over {N} calls (index, type, before, after): {leaks}\nsource:\n{src}"
    return f


def one(v: Any) -> Callable[[], tuple[tuple[Any, ...], list[Any]]]:
    return lambda: ((v,), [v])


def pair(a: Callable[[], Any], b: Callable[[], Any]) -> Callable[[], tuple[tuple[Any, ...], list[Any]]]:
    def make() -> tuple[tuple[Any, ...], list[Any]]:
        x, y = a(), b()
        return (x, y), [x, y]
    return make


def lst_with_sentinel() -> tuple[tuple[Any, ...], list[Any]]:
    s = Sentinel()
    xs = [bigi(), s, flt()]
    return (xs,), [xs, s, xs[0], xs[2]]


def C(id: str, src: str, make: Callable[[], tuple[tuple[Any, ...], list[Any]]], raises: type[BaseException] | None = None) -> Any:
    return pytest.param(src, make, raises, id=id)


OK_CASES = [
    # arithmetic: inline fast paths (ints, floats) and slow paths (big ints, objects, strings)
    C("int-add-fast", "def f(a, b):\n    return a + b - b * 2\n", pair(bigi, bigi)),
    C("int-augmented", "def f(a, b):\n    a += b\n    a -= b\n    a *= b\n    return a\n", pair(bigi, bigi)),
    C("float-arith-fast", "def f(a, b):\n    return a + b, a - b, a * b, a / b\n", pair(flt, flt)),
    C("bigint-slow-path", "def f(a, b):\n    return a + b, a * b, a // 7, a % 7, a ** 2, a << 3, a >> 3, a & b, a | b, a ^ b, -a, ~a\n", pair(big, big)),
    C("int-overflow-to-big", "def f(a, b):\n    return a * b * b * b\n", pair(lambda: 2**62 + id(object()) % 7, bigi)),
    C("object-binop", "def f(a, b):\n    return a + b, b + a\n", pair(Sentinel, big)),
    C("str-concat", "def f(a, b):\n    return a + b\n", pair(lambda: "x" * 50 + str(id(object())), lambda: "y" * 50)),
    C("mixed-int-float", "def f(a, b):\n    return a + b, a / b, b - a\n", pair(bigi, flt)),
    C("unary", "def f(a, b):\n    return -a, +a, ~a, not a, -b\n", pair(big, flt)),
    # comparisons, fused compare+branch
    C("compare-branch-int", "def f(a, b):\n    n = 0\n    if a < b:\n        n += 1\n    if a == b:\n        n += 2\n    if a >= b:\n        n += 3\n    return n\n", pair(bigi, bigi)),
    C("compare-branch-float", "def f(a, b):\n    if a < b or a != b:\n        return a\n    return b\n", pair(flt, flt)),
    C("compare-objects", "def f(a, b):\n    if a < b:\n        return a is b, a is not b, a in [b], a == b\n    return None\n", pair(Sentinel, Sentinel)),
    C("chained-compare", "def f(a, b):\n    return a < b < a, a <= a <= b\n", pair(big, big)),
    # subscripts
    C("list-index-fast", "def f(xs):\n    return xs[0], xs[1], xs[-1], xs[2]\n", lst_with_sentinel),
    C("tuple-index", "def f(t):\n    return t[0], t[1], t[-1]\n", lambda: (lambda s, b: (((b, s, b),), [s, b]))(Sentinel(), big())),
    C("dict-subscr", "def f(d, k):\n    return d[k]\n", lambda: (lambda k, v: (({k: v}, k), [k, v]))(big(), Sentinel())),
    C("slices", "def f(xs):\n    return xs[1:], xs[:2], xs[::2], xs[::-1]\n", lst_with_sentinel),
    C("store-subscr-list", "def f(xs, v):\n    xs[0] = v\n    xs[-1] = v\n    return xs\n", lambda: (lambda xs, v: ((xs, v), [xs, v]))([1, 2, 3], Sentinel())),
    C("store-subscr-dict", "def f(d, k, v):\n    d[k] = v\n    return d\n", lambda: (lambda d, k, v: ((d, k, v), [d, k, v]))({}, big(), Sentinel())),
    C("del-subscr", "def f(d, k, v):\n    d[k] = v\n    del d[k]\n    return d\n", lambda: (lambda d, k, v: ((d, k, v), [d, k, v]))({}, big(), Sentinel())),
    # attributes, methods, calls
    C("attr-load-store", "def f(o, v):\n    o.x = v\n    return o.x, o.tag\n", lambda: (lambda o, v: ((o, v), [o, v]))(Sentinel(), big())),
    C("method-call", "def f(xs, v):\n    xs.append(v)\n    return xs.pop()\n", lambda: (lambda xs, v: ((xs, v), [xs, v]))([], Sentinel())),
    C("method-call-obj", "def f(o, v):\n    return o.meth(v), o.meth(v, b=v)\n", lambda: (lambda o, v: ((o, v), [o, v]))(Sentinel(), big())),
    C("call-kwargs", "def f(a, b):\n    return sink(a, k=b), sink(b, x=a, y=b)\n", pair(Sentinel, big)),
    C("call-builtins", "def f(xs, a):\n    return len(xs), min(a, a), max(xs[0], a), abs(a), str(a), int(a)\n", lambda: (lambda xs, a: ((xs, a), [xs, a]))([big()], big())),
    # containers, unpacking, f-strings
    C("build-containers", "def f(a, b):\n    return [a, b], (a, b), {a, b}, {'k': a, 'j': b}, {a: b}\n", pair(big, Sentinel)),
    C("list-extend-set-update", "def f(a, b):\n    return [a, *[b]], {a, *{b}}, (a, b, *[a]), {**{'k': b}}\n", pair(big, Sentinel)),
    C("comprehensions", "def f(xs):\n    return [x for x in xs], {x: x for x in xs if x is not None}\n", lst_with_sentinel),
    # LIST_APPEND into free slots and through the list's growth (0, 4, 8, 16, 24, 32, 40, 52, 64 slots)
    C("comprehension-grows", "def f(xs):\n    return [x for x in xs for _ in range(20)]\n", lst_with_sentinel),
    C("unpack", "def f(t):\n    a, b, c = t\n    x, y = [a, b]\n    return c, x, y\n", lambda: (lambda t, s: ((t,), [t, s, t[0]]))(*(lambda s: ((big(), s, flt()), s))(Sentinel()))),
    C("unpack-again", "def f(t, xs):\n    for _ in range(3):\n        a, b, c = t\n        x, y, z = xs\n        xs[2] = a\n    return a, b, c, x, y, z\n", lambda: (lambda t, s: ((t, [s, t[0], s]), [t, s, t[0]]))(*(lambda s: ((big(), s, flt()), s))(Sentinel()))),
    C("fstrings", "def f(a, b):\n    return f'{a}-{b!r}-{a:>5}-{b}'\n", pair(Sentinel, big)),
    C("lambda", "def f(a, b):\n    g = lambda z: z\n    return g(a), g(b)\n", pair(Sentinel, big)),
    # loops and globals
    C("for-loop-list", "def f(xs):\n    last = None\n    for x in xs:\n        last = x\n    return last\n", lst_with_sentinel),
    C("for-loop-range-break", "def f(n, v):\n    t = 0\n    for i in range(n):\n        if i == 50:\n            break\n        if i % 2:\n            continue\n        t += i\n    return v\n", lambda: (lambda n, v: ((n, v), [n, v]))(bigi(), Sentinel())),
    C("while-loop", "def f(n, v):\n    i = 0\n    while i < 30:\n        i += 1\n        w = v\n    return w\n", lambda: (lambda n, v: ((n, v), [n, v]))(bigi(), Sentinel())),
    C("globals", "def f(a):\n    return G, G2, len(G2), G2[0], a\n", lambda: ((Sentinel(),), []), None),
    C("try-no-exception", "def f(a):\n    try:\n        b = a\n    finally:\n        c = a\n    return b, c\n", one(big())),
]

ERROR_CASES = [
    C("raise-caught-by-caller", "def f(v):\n    raise ValueError(v)\n", lambda: (lambda v: ((v,), [v]))(Sentinel()), ValueError),
    C("binop-type-error", "def f(v, s):\n    return s - v\n", lambda: (lambda v, s: ((v, s), [v, s]))(big(), "str" + str(id(object()))), TypeError),
    C("compare-type-error", "def f(a, b):\n    if a < b:\n        return a\n    return b\n", lambda: (lambda a, b: ((a, b), [a, b]))(big(), "s" + str(id(object()))), TypeError),
    C("zero-division", "def f(a, b):\n    return a // b\n", lambda: (lambda a, b: ((a, b), [a]))(big(), 0), ZeroDivisionError),
    C("float-zero-division", "def f(a, b):\n    return a / b\n", lambda: (lambda a: ((a, 0.0), [a]))(flt()), ZeroDivisionError),
    C("call-wrong-arg-count", "def f(a, b):\n    return takes_two(a, b, a)\n", pair(Sentinel, big), TypeError),
    C("call-bad-kwarg", "def f(a, b):\n    return takes_two(a, c=b)\n", pair(Sentinel, big), TypeError),
    C("unbound-local", "def f(v, c):\n    if c:\n        y = v\n    w = v\n    return y\n", lambda: (lambda v: ((v, False), [v]))(Sentinel()), UnboundLocalError),
    C("index-error-list", "def f(xs, v):\n    w = v\n    return xs[10]\n", lambda: (lambda xs, v: ((xs, v), [xs, v, xs[0]]))([big()], Sentinel()), IndexError),
    C("index-error-tuple", "def f(t):\n    return t[5]\n", lambda: (lambda t: ((t,), [t, t[0]]))((big(),)), IndexError),
    C("key-error", "def f(d, k):\n    return d[k]\n", lambda: (lambda d, k: ((d, k), [d, k]))({}, big()), KeyError),
    C("store-subscr-error", "def f(xs, v):\n    xs[5] = v\n", lambda: (lambda xs, v: ((xs, v), [xs, v]))([], Sentinel()), IndexError),
    C("attr-error", "def f(o, v):\n    w = v\n    return o.nope\n", lambda: (lambda o, v: ((o, v), [o, v]))(Sentinel(), big()), AttributeError),
    C("unpack-too-many", "def f(xs):\n    a, b = xs\n    return a\n", lambda: (lambda xs: ((xs,), [xs, xs[0], xs[1]]))([big(), Sentinel(), flt()]), ValueError),
    C("unpack-too-few", "def f(t):\n    a, b, c = t\n    return a\n", lambda: (lambda t: ((t,), [t, t[0]]))((big(), Sentinel())), ValueError),
    C("unpack-not-iterable", "def f(v):\n    a, b = v\n", lambda: (lambda v: ((v,), [v]))(big()), TypeError),
    C("raise-in-loop", "def f(xs, v):\n    for x in xs:\n        if x is v:\n            raise KeyError(x)\n    return None\n", lambda: (lambda s: (([big(), s, big()], s), [s]))(Sentinel()), KeyError),
    C("caught-inside-f", "def f(xs, v):\n    try:\n        return xs[10]\n    except IndexError:\n        return v\n", lambda: (lambda xs, v: ((xs, v), [xs, v]))([big()], Sentinel())),
    C("caught-inside-loop", "def f(xs, v):\n    n = 0\n    for i in range(20):\n        try:\n            w = xs[i]\n        except IndexError:\n            n += 1\n    return v, n\n", lambda: (lambda xs, v: ((xs, v), [xs, v, xs[0]]))([big(), big()], Sentinel())),
    C("finally-reraise", "def f(v):\n    try:\n        raise ValueError(v)\n    finally:\n        w = v\n", lambda: (lambda v: ((v,), [v]))(Sentinel()), ValueError),
    C("comprehension-raises-midway", "def f(xs, v):\n    return [x if x is not v else xs[10] for x in xs for _ in range(7)]\n", lambda: (lambda s: (([big(), flt(), s], s), [s]))(Sentinel()), IndexError),
    C("iter-error", "def f(v):\n    for x in v:\n        pass\n", lambda: (lambda v: ((v,), [v]))(big()), TypeError),
    C("fstring-error", "def f(v, o):\n    return f'{o:>5}{v:q}'\n", lambda: (lambda v, o: ((v, o), [v, o]))(big(), Sentinel()), ValueError),
]


# Mapping and class patterns, except*: MATCH_KEYS, MATCH_CLASS, CHECK_EG_MATCH and
# PREP_RERAISE_STAR, on their success and error paths.


class Namespace:
    """Holds a class for a dotted class pattern (``case ns.P(...)``)."""

    def __init__(self, **attrs: Any) -> None:
        self.__dict__.update(attrs)


class Point:
    __match_args__ = ("x", "y")

    def __init__(self, x: Any, y: Any) -> None:
        self.x, self.y = x, y


class Hidden:
    __match_args__ = ("x",)

    def __init__(self, s: Any) -> None:
        self.s = s

    @property
    def x(self) -> Any:
        raise ValueError(self.s)


def mapping_args() -> tuple[tuple[Any, ...], list[Any]]:
    s, b, x = Sentinel(), big(), flt()
    d = {"k": s, "j": b, "z": x}
    return (d, s), [d, s, b, x]


def point_args() -> tuple[tuple[Any, ...], list[Any]]:
    s, b = Sentinel(), big()
    p = Point(s, b)
    return (Namespace(P=Point), p, s), [p, s, b, Point]


def group_args() -> tuple[tuple[Any, ...], list[Any]]:
    s, b = Sentinel(), big()
    return (s, b), [s, b]


class CountingDeriveEG(ExceptionGroup):
    """derive() fails on every third call: in PREP_RERAISE_STAR's projection when f
    splits once (two calls) and then re-raises."""

    calls = 0

    def derive(self, excs: Any) -> Any:
        CountingDeriveEG.calls += 1
        if CountingDeriveEG.calls % 3 == 0:
            raise RuntimeError("derive refused")
        return CountingDeriveEG(self.message, excs)


PATTERN_AND_EXCEPT_STAR_CASES = [
    C("match-keys", "def f(d, s):\n    match d:\n        case {'k': x, 'j': y, **rest}:\n            return x, y, rest\n    return None\n", mapping_args),
    C("match-keys-missing", "def f(d, s):\n    match d:\n        case {'k': x, 'nope': y}:\n            return y\n        case {'z': z}:\n            return z\n    return None\n", mapping_args),
    C("match-class", "def f(ns, p, s):\n    match p:\n        case ns.P(a, y=b):\n            return a, b\n    return None\n", point_args),
    C("match-class-no-match", "def f(ns, p, s):\n    match s:\n        case ns.P(a, b):\n            return a\n        case ns.P():\n            return 1\n    return p\n", point_args),
    C("match-class-missing-attribute", "def f(ns, p, s):\n    match p:\n        case ns.P(a, nope=b):\n            return a\n    return s\n", point_args),
    C("match-class-self", "def f(a, b):\n    match b:\n        case int(x):\n            return x, a\n    return None\n", pair(Sentinel, big)),
    C("except-star-handled", "def f(s, b):\n    r = []\n    try:\n        raise ExceptionGroup('eg', [ValueError(s), TypeError(b)])\n    except* ValueError as e:\n        r.append(e)\n    except* TypeError as e:\n        r.append(e)\n    return len(r)\n", group_args),
    C("except-star-naked", "def f(s, b):\n    try:\n        raise KeyError(s)\n    except* KeyError as e:\n        w = e\n    return b\n", group_args),
    C("except-star-no-exception", "def f(s, b):\n    try:\n        w = [s, b]\n    except* KeyError:\n        w = None\n    return w\n", group_args),
]

PATTERN_AND_EXCEPT_STAR_ERROR_CASES = [
    C("match-keys-duplicate", "class K:\n    a = 'k'\n    b = 'k'\ndef f(d, s):\n    match d:\n        case {K.a: 1, K.b: 2}:\n            return 1\n    return 0\n", mapping_args, ValueError),
    C("match-keys-unhashable", "def f(d, s):\n    match d:\n        case {'k': 1, s.key: 2}:\n            return 1\n    return 0\n", lambda: (lambda d, s: ((d, s), [d, s]))({"k": 1, "j": 2}, (lambda o: (setattr(o, "key", []), o)[1])(Sentinel())), TypeError),
    C("match-class-too-many", "def f(ns, p, s):\n    match p:\n        case ns.P(a, b, c):\n            return a\n    return None\n", point_args, TypeError),
    C("match-class-duplicate-attribute", "def f(ns, p, s):\n    match p:\n        case ns.P(a, x=b):\n            return a\n    return None\n", point_args, TypeError),
    C("match-class-not-a-type", "def f(ns, p, s):\n    match p:\n        case ns.s():\n            return 1\n    return None\n", lambda: (lambda s, p: ((Namespace(s=s), p, s), [s, p]))(Sentinel(), Point(1, 2)), TypeError),
    C("match-class-attribute-raises", "def f(ns, p, s):\n    match p:\n        case ns.H(1):\n            return 1\n    return None\n", lambda: (lambda s, h: ((Namespace(H=Hidden), h, s), [s, h, Hidden]))(*(lambda s: (s, Hidden(s)))(Sentinel())), ValueError),
    C("except-star-unhandled", "def f(s, b):\n    try:\n        raise ExceptionGroup('eg', [ValueError(s), TypeError(b)])\n    except* KeyError:\n        pass\n", group_args, ExceptionGroup),
    C("except-star-partial", "def f(s, b):\n    try:\n        raise ExceptionGroup('eg', [ValueError(s), TypeError(b)])\n    except* ValueError:\n        pass\n", group_args, ExceptionGroup),
    C("except-star-reraise", "def f(s, b):\n    try:\n        raise ExceptionGroup('eg', [ValueError(s), TypeError(b)])\n    except* ValueError:\n        raise\n", group_args, ExceptionGroup),
    C("except-star-raise-in-handler", "def f(s, b):\n    try:\n        raise ExceptionGroup('eg', [ValueError(s), TypeError(b)])\n    except* ValueError:\n        raise KeyError(s)\n    except* TypeError:\n        raise\n", group_args, ExceptionGroup),
    C("except-star-invalid-type", "def f(s, b):\n    try:\n        raise ExceptionGroup('eg', [ValueError(s), TypeError(b)])\n    except* ExceptionGroup:\n        pass\n", group_args, TypeError),
    C("except-star-prep-reraise-fails", "def f(s, b):\n    try:\n        raise CountingDeriveEG('eg', [ValueError(s), TypeError(b)])\n    except* ValueError:\n        raise\n", group_args, RuntimeError),
]


@pytest.mark.parametrize("src, make, raises", PATTERN_AND_EXCEPT_STAR_CASES + PATTERN_AND_EXCEPT_STAR_ERROR_CASES)
def test_no_refleak_patterns_and_except_star(src: str, make: Callable[[], tuple[tuple[Any, ...], list[Any]]], raises: type[BaseException] | None) -> None:
    CountingDeriveEG.calls = 0
    f = assert_no_leak(src, make, raises=raises, extra_globals={"CountingDeriveEG": CountingDeriveEG})
    exits = pyjion.info(f).exits
    assert not any(exits.values()), f"left for the interpreter mid-frame: {exits}\nsource:\n{src}"


@pytest.mark.parametrize("src, make, raises", OK_CASES + ERROR_CASES)
def test_no_refleak(src: str, make: Callable[[], tuple[tuple[Any, ...], list[Any]]], raises: type[BaseException] | None) -> None:
    g = {"G": Sentinel(), "G2": [big()]}
    if "G" in src:
        watched_g = [g["G"], g["G2"], g["G2"][0]]
        base = make

        def make2() -> tuple[tuple[Any, ...], list[Any]]:
            a, w = base()
            return a, w + watched_g
        make = make2
    assert_no_leak(src, make, raises=raises, extra_globals=g)


NESTED_CODE_CASES = [p for p in OK_CASES + ERROR_CASES if p.id in (
    "comprehensions", "comprehension-grows", "comprehension-raises-midway", "lambda")]


@pytest.mark.parametrize("src, make, raises", NESTED_CODE_CASES)
def test_no_refleak_everything_compiled(src: str, make: Callable[[], tuple[tuple[Any, ...], list[Any]]], raises: type[BaseException] | None) -> None:
    """Cases whose work happens in nested code (a comprehension's or a lambda's code
    object) in global mode, where that code is compiled too: ``pyjion.jit`` compiles
    only ``f`` itself."""
    pyjion.enable()
    pyjion.config(threshold=0)
    try:
        f = assert_no_leak(src, make, raises=raises)
    finally:
        pyjion.disable()
    nested = [c for c in f.__code__.co_consts if hasattr(c, "co_code")]
    assert nested and all(pyjion.info(c).compiled for c in nested), [str(pyjion.info(c)) for c in nested]


def test_harness_detects_a_leak() -> None:
    """Sanity check of the method: a function that keeps a reference per call is caught."""
    keep: list[Any] = []
    with pytest.raises(AssertionError, match="refcounts changed"):
        assert_no_leak("def f(v):\n    KEEP.append(v)\n", one(Sentinel()), extra_globals={"KEEP": keep})


def test_gc_object_count_stable() -> None:
    """Objects the gc tracks do not pile up across many calls of a compiled function
    that builds containers, raises and catches."""
    f = pyjion.jit(fresh(
        "def f(n):\n"
        "    out = []\n"
        "    for i in range(n):\n"
        "        d = {'i': i, 'l': [i, (i, i)]}\n"
        "        try:\n"
        "            d['missing']\n"
        "        except KeyError:\n"
        "            out.append(d)\n"
        "    return len(out)\n"
    ))
    assert f(10) == 10
    gc.collect()
    before = len(gc.get_objects())
    for _ in range(300):
        f(10)
    gc.collect()
    after = len(gc.get_objects())
    assert pyjion.info(f).compiled
    assert after - before < 50, f"gc-tracked objects grew by {after - before} over 300 calls"


def test_compiled_frames_do_not_keep_arguments_alive() -> None:
    """After a compiled call returns (or raises), its arguments are released: a weakref dies."""
    import weakref

    f = pyjion.jit(fresh("def f(o, fail):\n    x = o\n    y = [o, o]\n    if fail:\n        raise ValueError('x')\n    return 1\n"))
    for fail in (False, True):
        o = Sentinel()
        r = weakref.ref(o)
        try:
            f(o, fail)
        except ValueError:
            pass
        del o
        gc.collect()
        assert r() is None, f"argument still alive after compiled call (fail={fail})"
