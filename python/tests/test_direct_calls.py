"""Direct calls: a CALL site whose callee is a compiled function taking exactly the
positional arguments given calls the callee's machine code directly, with the frame
pushed inline and popped by the callee (see PyjCallSite in the shim). Everything a
frame shows must stay as the interpreter has it."""
from __future__ import annotations

import contextlib
import io
import sys
import traceback
from typing import Any, Iterator

import pyjion

from support import fresh, run_child


@contextlib.contextmanager
def jit_enabled() -> Iterator[None]:
    """pyjion.enable() for the block (the fixture restores the mode and settings after)."""
    pyjion.enable()
    try:
        yield
    finally:
        pyjion.disable()


def warmed(src: str, name: str, *args: Any) -> Any:
    """A fresh function, compiled (with everything it calls) at the first call, called
    until its call sites are filled."""
    pyjion.config(threshold=0)
    f = fresh(src, name)
    for _ in range(3):
        f(*args)
    return f


def same_as_interpreter(src: str, name: str, *args: Any) -> Any:
    """Calls `name` from `src` interpreted, then compiled and warmed (the JIT enabled
    meanwhile); asserts both give the same result, and returns the compiled function."""
    expected = fresh(src, name)(*args)
    with jit_enabled():
        f = warmed(src, name, *args)
        assert f(*args) == expected
        return f


def test_direct_call_sites_are_filled_for_exact_calls() -> None:
    src = """
    def callee(a, b):
        return a + b
    class K:
        def m(self, x):
            return x * 2
    def kw(a, b=1):
        return a - b
    def caller(n):
        k = K()
        t = 0
        for i in range(n):
            t += callee(i, 1) + k.m(i) + kw(i)
        return t
    """
    with jit_enabled():
        caller = warmed(src, "caller", 10)
        assert caller(10) == sum(i + 1 + 2 * i + i - 1 for i in range(10))
        info = pyjion.info(caller)
        assert info.compiled
        # callee(i, 1), k.m(i) and kw(i) (its b from __defaults__) are direct; K() and
        # range(n) call types.
        assert info.call_sites == 5
        assert info.direct_call_sites == 3
        assert "direct call sites: 3/5" in str(info)


def test_direct_calls_take_the_current_defaults() -> None:
    src = """
    def g(a, b=1, c=2):
        return a, b, c
    def site(x):
        return g(x)
    def caller():
        out = [site(0), site(1)]
        g.__defaults__ = (10, 20, 30)
        out.append(site(2))
        g.__defaults__ = ([3],)
        try:
            site(3)
        except TypeError as e:
            out.append(str(e))
        g.__defaults__ = None
        try:
            site(4)
        except TypeError as e:
            out.append(str(e))
        g.__defaults__ = (5, 6)
        out.append(site(5))
        return out
    """
    expected = fresh(src, "caller")()  # interpreted
    with jit_enabled():
        pyjion.config(threshold=0)
        caller = fresh(src, "caller")
        for _ in range(3):
            site = caller.__globals__["site"]
            caller.__globals__["g"].__defaults__ = (1, 2)
            assert caller() == expected
        assert expected[-1] == (5, 5, 6) and expected[2] == (2, 20, 30)
        assert pyjion.info(site).direct_call_sites == 1


def test_keyword_calls_in_parameter_order_are_direct() -> None:
    src = """
    def g(a, b=2, c=3):
        return a, b, c
    def po(a, /, b=2):
        return a, b
    class K:
        def m(self, x, flag=False):
            return x, flag
        @classmethod
        def cm(cls, x, flag=False):
            return cls.__name__, x, flag
    def caller(n):
        k = K()
        out = []
        for i in range(n):
            out.append((g(i, b=1), g(a=i), g(i, b=i, c=i), k.m(i, flag=True), K.cm(x=i), g(c=i, b=0, a=1)))
        for call in (lambda: g(1, a=2), lambda: g(1, d=2), lambda: po(a=1), lambda: po(1, b=5), lambda: g(b=1)):
            try:
                out.append(call())
            except TypeError as e:
                out.append(str(e))
        return out
    """
    f = same_as_interpreter(src, "caller", 5)
    info = pyjion.info(f)
    # g(i, b=1), g(a=i), g(i, b=i, c=i), k.m(i, flag=True), K.cm(x=i) and call() are
    # direct; g(c=i, b=0, a=1) names its parameters out of order: bound by pyj_call.
    assert info.direct_call_sites == 6


def test_dunder_operators_and_getitem_run_compiled() -> None:
    # Everything compiled (global mode): the operator and __getitem__ functions run
    # through pyj_call_exact from pyj_binary_op_same_class and pyj_get_item.
    src = """
    import sys
    class V:
        def __init__(self, x):
            self.x = x
        def __add__(self, o):
            return V(self.x + o.x)
        def __sub__(self, o):
            if o.x == 0:
                return NotImplemented
            if o.x == 7:
                raise ValueError("seven")
            return V(self.x - o.x)
        def __getitem__(self, i):
            if i > 5:
                raise IndexError(i)
            return self.x * i + len(sys._getframe(1).f_code.co_name)
    def caller(n):
        out = []
        a = V(1)
        for i in range(n):
            a = a + V(i)
            out.append((a.x, (a - V(1)).x, a[i % 4]))
        for bad in (V(0), V(7)):
            try:
                a - bad
            except Exception as e:
                out.append((type(e).__name__, str(e)))
        try:
            a[9]
        except IndexError as e:
            out.append(repr(e))
        return out
    """
    f = same_as_interpreter(src, "caller", 20)
    assert pyjion.info(f.__globals__["V"].__add__).compiled
    assert pyjion.info(f.__globals__["V"].__getitem__).compiled


OPERATOR_SITES_SRC = """
class V:
    def __init__(self, x):
        self.x = x
    def __add__(self, o):
        return V(self.x + o.x)
    def __sub__(self, o):
        if o.x == 13:
            raise ValueError("thirteen")
        return NotImplemented if o.x == 7 else self.x - o.x
    def __mul__(self, o):
        return self.x * o.x
    def __truediv__(self, o):
        return self.x / o.x
    def __getitem__(self, i):
        return self.x + i
    def __repr__(self):
        return f"V({self.x})"
class W(V):
    pass
class R(V):
    def __rsub__(self, o):
        return ("rsub", o.x, self.x)
    def __radd__(self, o):
        return NotImplemented
def make():
    return [V(i) for i in range(5)] + [R(5)] + [V(i) for i in range(6, 10)]
def ops(vs):
    out = []
    for i, v in enumerate(vs):
        w = vs[-1 - i]
        try:
            out.append(v - w)
        except Exception as e:
            out.append((type(e).__name__, str(e)))
        try:
            out.append((v * w, v[i], (v + w) - vs[2], v[i] * 2, v / w))
        except Exception as e:
            out.append((type(e).__name__, str(e)))
        t = v
        t += W(1)
        t = t + V(2)
        t -= V(1) if i % 2 else W(1)
        out.append(t)
    return out
"""


def test_operator_and_subscript_sites_call_the_method_directly() -> None:
    # Each site's cache names the class's method once the helper has called it there;
    # then the machine code calls it. NotImplemented (binary_op1's TypeError), an
    # exception from the method, and another class (W) at the same site.
    # v - w with w an R after the site saw two V: R's reflected method first.
    interpreted = fresh(OPERATOR_SITES_SRC, "ops")
    expected = repr(interpreted(interpreted.__globals__["make"]()))
    with jit_enabled():
        ops = warmed(OPERATOR_SITES_SRC, "ops", [])
        vs = ops.__globals__["make"]()
        assert repr(ops(vs)) == expected
        info = pyjion.info(ops)
        # v - w, v * w, v[i], v + w, (...) - vs[2], v / w: the sites that saw V's
        # methods (vs[...] saw lists, v[i] * 2 ints, t += W(1) two classes).
        assert info.direct_operator_sites >= 6, info
        assert repr(ops(vs)) == expected


def test_operator_sites_see_the_class_change() -> None:
    # The method replaced, its code swapped, deleted, given a default parameter or made
    # a generator between rounds: the site's cache stops matching (the class's version
    # tag changes, or the function's code is not the cached one) and the helper decides.
    src = OPERATOR_SITES_SRC + """
def rounds():
    out = []
    def sub2(self, o):
        return ("sub2", self.x, o.x)
    for round in range(6):
        out.append(ops(make()))
        if round == 0:
            V.__sub__ = sub2
        elif round == 1:
            sub2.__code__ = (lambda self, o: ("lambda", self.x)).__code__
        elif round == 2:
            del V.__getitem__
        elif round == 3:
            def getitem(self, i, extra=100):
                return self.x + i + extra
            V.__getitem__ = getitem
        elif round == 4:
            def getitem(self, i):
                yield i
            V.__getitem__ = getitem
    return repr(out)
"""
    expected = fresh(src, "rounds")()
    with jit_enabled():
        pyjion.config(threshold=0)
        for _ in range(3):
            assert fresh(src, "rounds")() == expected


def test_operator_method_errors_and_recursion_through_direct_sites() -> None:
    src = """
    import sys
    class Deep:
        def __init__(self, n):
            self.n = n
        def __add__(self, o):
            return Deep(self.n + 1) + o
        def __getitem__(self, i):
            return self[i + 1]
    class Raising:
        def __mul__(self, o):
            return 1 / 0
        def __getitem__(self, i):
            return [][i]
    def f():
        out = []
        for i in range(4):
            for expr in (lambda: Deep(0) + Deep(1), lambda: Deep(0)[0]):
                try:
                    expr()
                except RecursionError:
                    out.append("recursion")
            r = Raising()
            for g in range(3):
                try:
                    r * r
                except ZeroDivisionError as e:
                    tb = traceback.extract_tb(e.__traceback__)
                    out.append((g, str(e), [(t.name, t.lineno) for t in tb]))
                try:
                    r[g]
                except IndexError as e:
                    out.append((g, str(e)))
        return out
    import traceback
    """
    f = same_as_interpreter(src, "f")
    assert pyjion.info(f).direct_operator_sites == 2  # r * r and r[g]; the lambdas have the others


def test_references_balance_over_operator_sites() -> None:
    src = """
    class V:
        def __add__(self, o):
            return o
        def __getitem__(self, k):
            return k
    def f(v, token, n):
        for i in range(n):
            r = v + v
            s = v[token]
            t = (v + token) if False else v
        return s
    """
    token = object()
    with jit_enabled():
        pyjion.config(threshold=0)
        f = fresh(src, "f")
        v = f.__globals__["V"]()
        for _ in range(3):
            f(v, token, 3)
        before = (sys.getrefcount(token), sys.getrefcount(v))
        assert f(v, token, 1000) is token
        assert (sys.getrefcount(token), sys.getrefcount(v)) == before
        assert pyjion.info(f).direct_operator_sites == 2


SUBCLASS_METHODS_SRC = """
import traceback
class OC(list):
    pass
class Fake:
    append = list.append
    pop = list.pop
shared = OC([1])
empties = []
def fresh_append(n):
    empties[n].append(n)  # the first append resizes: list.append's function, outside the count
    return fresh_append(n + 1)
def counted(n):
    shared.insert(0, n)  # method_vectorcall_FASTCALL's count
    shared.pop()
    return counted(n + 1)
def outcome(fn):
    out = []
    for i in range(3):
        try:
            fn(0)
        except RecursionError as e:
            tb = traceback.extract_tb(e.__traceback__)
            out.append((len(tb), tb[-1].lineno, str(e)))
    return out
def fake():
    out = []
    f = Fake()
    for i in range(3):
        try:
            f.append(i)
        except TypeError as e:
            out.append(str(e))
        try:
            f.pop()
        except TypeError as e:
            out.append(str(e))
    return out
def main():
    empties[:] = [OC() for i in range(5000)]
    return [outcome(fresh_append), outcome(counted), fake()]
"""


def test_builtin_methods_of_list_subclasses_at_the_recursion_limit() -> None:
    # Where RecursionError is raised (which line, how deep, which message) as the
    # interpreter has it: list.append on a PyList_Check self is outside the count
    # (PRECALL_NO_KW_LIST_APPEND), other descriptors on a subclass's instance inside it
    # (method_vectorcall_*). A descriptor on a class that is no list is a TypeError.
    same_as_interpreter(SUBCLASS_METHODS_SRC, "main")


def test_bound_methods_are_called_directly() -> None:
    src = """
    class Strength:
        def __init__(self, v):
            self.v = v
        @classmethod
        def stronger(cls, a, b):
            return a.v > b.v
        def keep(self):
            self.check = self.stronger
    def caller(n):
        a, b = Strength(2), Strength(1)
        a.keep()
        bound = b.stronger
        t = 0
        for i in range(n):
            t += Strength.stronger(a, b) + a.check(b, a) + bound(a, b)
        return t
    """
    with jit_enabled():
        caller = warmed(src, "caller", 10)
        assert caller(10) == 20
        info = pyjion.info(caller)
        # The three calls of bound methods (a classmethod through the class, one kept
        # in an attribute, one in a local) call the function's machine code directly,
        # as do a.keep() and Strength(...) twice (its __init__); range(n) does not.
        assert info.call_sites == 7
        assert info.direct_call_sites == 6


def test_direct_callee_frames_chain_to_their_caller() -> None:
    src = """
    import sys
    def inner(x):
        f = sys._getframe()
        return [(g.f_code.co_name, g.f_lineno - g.f_code.co_firstlineno) for g in (f, f.f_back, f.f_back.f_back)]
    def middle(x):
        return inner(x)
    def outer():
        r = middle(1)
        return r
    """
    outer = same_as_interpreter(src, "outer")
    assert fresh(src, "outer")()[:2] == [("inner", 2), ("middle", 1)]
    assert pyjion.info(outer).direct_call_sites == 1


def test_frame_object_outlives_a_direct_call() -> None:
    """A frame object kept after the call (sys._getframe) takes the frame's locals:
    the direct entry's full-clear path (take_ownership)."""
    src = """
    import sys
    kept = []
    def callee(a, b):
        c = a * b
        kept.append(sys._getframe())
        return c
    def caller(n):
        t = 0
        for i in range(n):
            t += callee(i, 2)
        return t
    """
    with jit_enabled():
        caller = warmed(src, "caller", 3)
        kept = caller.__globals__["kept"]
        kept.clear()
        assert caller(4) == 12
        assert [f.f_locals for f in kept] == [{"a": i, "b": 2, "c": 2 * i} for i in range(4)]
        assert all(f.f_back is None or f.f_back.f_code.co_name == "caller" for f in kept)


def test_tracebacks_through_direct_calls_match_the_interpreter() -> None:
    src = """
    def leaf(x):
        return 1 // x
    def mid(x):
        y = leaf(x)
        return y
    def top(x):
        return mid(x) + 1
    """

    def lines(f: Any) -> list[tuple[str, int]]:
        try:
            f(0)
        except ZeroDivisionError as e:
            return [(fs.name, fs.lineno or 0) for fs in traceback.extract_tb(e.__traceback__)][1:]
        raise AssertionError("no exception")

    expected = lines(fresh(src, "top"))
    with jit_enabled():
        top = warmed(src, "top", 1)
        assert pyjion.info(top).direct_call_sites == 1
        assert lines(top) == expected == [("top", 8), ("mid", 5), ("leaf", 3)]
        assert top(1) == 2  # the sites still work after the error


def test_replacing_the_callee_code_is_seen() -> None:
    src = """
    def callee(x):
        return x + 1
    def other(x):
        return x * 100
    def caller(x):
        return callee(x)
    """
    with jit_enabled():
        caller = warmed(src, "caller", 1)
        assert pyjion.info(caller).direct_call_sites == 1
        g = caller.__globals__
        g["callee"].__code__ = g["other"].__code__
        assert caller(2) == 200
        g["callee"] = lambda x: -x
        assert caller(2) == -2


def test_references_balance_over_direct_calls() -> None:
    src = """
    def callee(a, b):
        c = a
        del a
        return b
    def caller(obj, n):
        for i in range(n):
            r = callee(obj, obj)
        return r
    """
    token = object()
    with jit_enabled():
        caller = warmed(src, "caller", token, 3)
        before = sys.getrefcount(token)
        assert caller(token, 1000) is token
        assert sys.getrefcount(token) == before


TRIVIAL_CALLEES = """
import sys
class Vector:
    def must_be_vector(self):
        return self
    def is_point(self):
        return False
    def second(self, a, b):
        return b
def pick(a, b=7):
    return b
deaths = []
class Mortal:
    def __del__(self):
        deaths.append(sys._getframe(1).f_code.co_name)
def caller(v, token, n):
    out = []
    for i in range(n):
        out.append((v.must_be_vector() is v, v.is_point(), v.second(i, token) is token,
                    pick(token), pick(token, i), v.second(Mortal(), Mortal()) is None))
    return out, deaths
"""


def test_trivial_callees_match_the_interpreter() -> None:
    """Callees whose body is `return <argument>` or `return <constant>` are entered
    through a direct entry that takes the result and pops the frame without linking
    it: the same results, and arguments that die with the frame are finalized with
    the caller as the running frame, as the interpreter finalizes them."""
    token = object()
    expected = fresh(TRIVIAL_CALLEES, "caller")(fresh(TRIVIAL_CALLEES, "Vector")(), token, 3)
    with jit_enabled():
        caller = warmed(TRIVIAL_CALLEES, "caller", caller_vector(), token, 3)
        vector = caller.__globals__["Vector"]()
        caller.__globals__["deaths"].clear()
        got = caller(vector, token, 3)
        assert got == expected
        listing = io.StringIO()
        pyjion.dis_native(vector.must_be_vector, file=listing)
        pyjion.dis_native(caller.__globals__["pick"], file=listing)
        assert "direct entry of `return argument(0)`" in listing.getvalue()
        assert "direct entry of `return argument(1)`" in listing.getvalue()
        info = pyjion.info(caller)
        assert info.direct_call_sites == 6, str(info)


def caller_vector() -> Any:
    return fresh(TRIVIAL_CALLEES, "Vector")()


def test_references_balance_over_trivial_callees() -> None:
    token = object()
    with jit_enabled():
        caller = warmed(TRIVIAL_CALLEES, "caller", caller_vector(), token, 3)
        vector = caller.__globals__["Vector"]()
        caller(vector, token, 10)
        before = (sys.getrefcount(token), sys.getrefcount(vector), sys.getrefcount(caller.__globals__["pick"]))
        caller(vector, token, 1000)
        after = (sys.getrefcount(token), sys.getrefcount(vector), sys.getrefcount(caller.__globals__["pick"]))
        assert after == before


def test_trivial_callee_at_the_recursion_limit() -> None:
    """At the recursion limit a trivial callee raises RecursionError where the
    interpreter raises it: the depth at which the first call fails is the same."""
    src = """
    import sys
    def ident(x):
        return x
    def down(n):
        if n == 0:
            return ident(n)
        return down(n - 1)
    def first_failing_depth():
        n = 0
        while True:
            try:
                down(n)
            except RecursionError:
                return n
            n += 1
    def measure():
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(120)
        try:
            for _ in range(3):
                d = first_failing_depth()
            return d
        finally:
            sys.setrecursionlimit(limit)
    """
    expected = fresh(src, "measure")()
    with jit_enabled():
        pyjion.config(threshold=0)
        measure = fresh(src, "measure")
        assert measure() == expected
        assert measure() == expected
        assert pyjion.info(measure.__globals__["ident"]).compiled


# A call's outcome as the differential programs below compare it: the value's repr,
# or the exception with its message and traceback (function names and lines).
ATTEMPT = """
import traceback
def attempt(thunk):
    try:
        return ("ok", repr(thunk()))
    except Exception as e:
        return (type(e).__name__, str(e), [(fs.name, fs.lineno) for fs in traceback.extract_tb(e.__traceback__)])
"""

LEAF_CALLEES = ATTEMPT + """
import sys
deaths = []
class State:
    def __init__(self, pending, waiting, holding):
        self.pending = pending
        self.waiting = waiting
        self.holding = holding
        self.cells = [[1, 2], (3,), [4]]
        self.n = 5
        self.f = 1.5
    def holding_or_waiting(self):
        return self.holding or (not self.pending and self.waiting)
    def waiting_with_packet(self):
        return self.pending and self.waiting and not self.holding
    def cell(self, i):
        return self.cells[i]
    def first_of(self, i):
        return self.cells[i][0]
    def bigger(self, k):
        return self.n > k
    def f_lt(self, k):
        return self.f < k
    def f_le(self, k):
        return self.f <= k
    def f_eq(self, k):
        return self.f == k
    def f_ne(self, k):
        return self.f != k
    def f_gt(self, k):
        return self.f > k
    def f_ge(self, k):
        return self.f >= k
    def same(self, other):
        return self is other
    def pick(self, a, b):
        if a is None:
            return b
        return a if self.n >= 5 else b
class Sub(State):
    pass
class Other(State):
    def __init__(self, *args):
        super().__init__(*args)
        self.extra = 1
class Slots:
    __slots__ = ("pending", "waiting", "holding", "cells", "n")
    holding_or_waiting = State.holding_or_waiting
    cell = State.cell
    def __init__(self, *args):
        self.pending, self.waiting, self.holding = args
        self.cells = [[9]]
        self.n = 1
class Pair:
    __slots__ = ("a", "b")
    def __init__(self, a, b):
        self.a = a
        self.b = b
    def first(self):
        return self.a
    def second(self):
        return self.b
class Done:
    def __init__(self, cells):
        self.cells = cells
    def already_done(self, i):
        return len(self.cells[i]) == 1
    def size(self, x):
        return len(x)
class Sized:
    def __len__(self):
        deaths.append(("len", sys._getframe(1).f_code.co_name))
        return 3
def sizes_round():
    d = Done([[1], [1, 2], "a", (), {1: 2}, {3}, frozenset(), b"x", Sized(), list(range(300))])
    out = [attempt(lambda: d.already_done(i)) for i in range(10)]
    out += [attempt(lambda: d.size(x)) for x in d.cells + [5, None]]
    return out
class Shadow(State):
    holding = "class attribute"
    def __init__(self, *args):
        super().__init__(*args)
        del self.holding
def states():
    values = [True, False, None, 0, 1, 2**70, "", "s", 1.5, float("nan"), [], [0]]
    out = []
    for p in values[:4]:
        for w in values:
            for h in (False, True, None, 3):
                out.append(State(p, w, h))
    out += [Sub(False, True, False), Other(True, True, False), Slots(False, True, False), Shadow(False, 1, 0)]
    d = State(False, True, False)
    d.__dict__["late"] = 1  # a real dict now
    out.append(d)
    return out
def call_all(objs):
    # Direct call sites (LOAD_METHOD and CALL), as the leaf entry serves them.
    results = []
    for o in objs:
        results.append([
            attempt(lambda: o.holding_or_waiting()), attempt(lambda: o.waiting_with_packet()),
            attempt(lambda: o.cell(0)), attempt(lambda: o.cell(1)), attempt(lambda: o.cell(-1)),
            attempt(lambda: o.cell(5)), attempt(lambda: o.first_of(1)), attempt(lambda: o.bigger(4)),
            attempt(lambda: o.bigger(2**65)), attempt(lambda: o.bigger(4.5)), attempt(lambda: o.same(o)),
            attempt(lambda: o.pick(None, 7)), attempt(lambda: o.pick(1, 2)),
        ] + [attempt(lambda: (o.f_lt(k), o.f_le(k), o.f_eq(k), o.f_ne(k), o.f_gt(k), o.f_ge(k)))
             for k in (1.0, 1.5, 2.0, float("nan"), 1)])
    return results
class Direction:
    NONE = 0
    FORWARD = 1
    BACKWARD = -1
LIMIT = 0
class Constraint:
    def __init__(self, direction):
        self.direction = direction
        self.v1 = "v1"
        self.v2 = "v2"
    def output(self):
        return self.v2 if self.direction == Direction.FORWARD else self.v1
    def is_satisfied(self):
        return self.direction != Direction.NONE
    def over_limit(self):
        return self.direction > LIMIT
def constraints_round():
    cs = [Constraint(d) for d in (0, 1, -1, None, 2**70)]
    return [[attempt(lambda: c.output()), attempt(lambda: c.is_satisfied()), attempt(lambda: c.over_limit())]
            for c in cs]
class Vec:
    def __init__(self, x, y, z):
        self.x = x
        self.y = y
        self.z = z
class SVec:
    __slots__ = ("x", "y", "z")
    def __init__(self, x, y, z):
        self.x = x
        self.y = y
        self.z = z
    def maximize(self, other):
        self.x = self.x if self.x > other.x else other.x
        self.y = self.y if self.y > other.y else other.y
        self.z = self.z if self.z > other.z else other.z
        return self
class Mortal:
    def __init__(self, tag):
        self.tag = tag
    def __del__(self):
        deaths.append((self.tag, sys._getframe(1).f_code.co_name))
class Holder:
    def __init__(self, v):
        self.v = v
        self.w = None
    def set_both(self, a, b):
        self.v = a
        self.w = b
        return None
    def set_then_read(self, a, other):
        self.v = a
        return other.flag
def stores_round():
    nan = float("nan")
    vs = [Vec(1, 2.5, "s"), Vec(None, Vec(0, 0, 0), [1]), Vec(2**70, -1.0, nan)]
    out = [(list(vars(v)), v.x, v.y if not isinstance(v.y, Vec) else "vec", repr(v.z)) for v in vs]
    points = [SVec(1.0, 5.0, nan), SVec(2.0, 1.0, 0.5), SVec(3, 2, 1), SVec(-1.0, 7, 2.0)]
    acc = SVec(0.0, 0.0, 0.0)
    for p in points:
        out.append(attempt(lambda: acc.maximize(p) is acc))
        out.append((repr(acc.x), repr(acc.y), repr(acc.z)))
    holders = [Holder(Mortal("a")), Holder(1.5), Holder("str" + str(len(out))), Holder(Mortal("b"))]
    keep = holders[3].v
    for h in holders:
        out.append(attempt(lambda: h.set_both(Mortal("c"), 3)))
        out.append(attempt(lambda: h.set_both(2.5, h)))
        out.append(attempt(lambda: h.set_then_read(7, h)))
        out.append(attempt(lambda: h.set_then_read(8, State(1, 2, 3))))
        out.append((repr(h.v), h.w is h))
        h.w = None
    del keep
    out.append(list(deaths))
    deaths.clear()
    return out
def main():
    global LIMIT
    deaths.clear()
    objs = states()
    first = call_all(objs)
    for o in objs:
        if hasattr(o, "n"):
            o.n = -3
        if isinstance(o, State):
            o.f = float("nan")
    rounds = [constraints_round()]
    Direction.FORWARD = -1  # the class's version changes
    LIMIT = -5  # the globals' version changes
    rounds.append(constraints_round())
    del Direction.NONE  # the class attribute is gone: AttributeError from the callee
    rounds.append(constraints_round())
    Direction.NONE = 0
    Direction.FORWARD = 1
    LIMIT = 0
    sizes = [sizes_round()]
    global len
    len = lambda x: 42  # a global len hides the builtin
    sizes.append(sizes_round())
    del len
    sizes.append(sizes_round())
    sizes.append(list(deaths))
    deaths.clear()
    pairs = [Pair(True, False), Pair(1, "b"), Pair(None, [])]
    pair_calls = [[attempt(lambda: p.first()), attempt(lambda: p.second())] for p in pairs]
    del pairs[0].b
    pair_calls.append([attempt(lambda: pairs[0].second())])  # AttributeError from the member
    return (first, call_all(objs), call_all(objs), rounds, constraints_round(), stores_round(), stores_round(),
            pair_calls, sizes)
"""


def test_read_only_leaf_callees_match_the_interpreter() -> None:
    """Bodies that only read (attributes, items, comparisons, truth tests) run
    unlinked on borrowed values (instance values, `__slots__` members, plain class
    attributes, globals; int and float comparisons, NaN included); every case the fast
    paths do not take (other truth values, big ints, an int against a float, negative
    or missing indexes, shadowed class attributes, real dicts, several receiver
    classes) starts the call over through the full entry: the same results,
    exceptions and tracebacks as the interpreter's. Callees that store attributes are
    not leaves, and run as before (the stores round checks them anyway)."""
    expected = fresh(LEAF_CALLEES, "main")()
    with jit_enabled():
        main = warmed(LEAF_CALLEES, "main")
        assert main() == expected
        state = main.__globals__["State"]
        constraint = main.__globals__["Constraint"]
        g = main.__globals__
        leaves = [state.holding_or_waiting, state.waiting_with_packet, state.cell, state.first_of, state.bigger,
                  state.same, state.pick, constraint.output, constraint.is_satisfied, constraint.over_limit,
                  state.f_lt, state.f_le, state.f_eq, state.f_ne, state.f_gt, state.f_ge, g["Slots"].holding_or_waiting, g["Pair"].first,
                  g["Pair"].second, g["Done"].already_done, g["Done"].size]
        for f in leaves:
            listing = io.StringIO()
            pyjion.dis_native(f, file=listing)
            assert "direct entry of a read-only leaf body" in listing.getvalue(), f.__name__
        listing = io.StringIO()
        pyjion.dis_native(main.__globals__["states"], file=listing)
        pyjion.dis_native(g["SVec"].maximize, file=listing)  # stores attributes
        assert "leaf body" not in listing.getvalue()


def test_leaf_callees_take_their_fast_paths() -> None:
    """A leaf called with what its fast paths take runs them without starting over:
    the start overs stay at what the first calls (caches still empty) cost."""
    src = LEAF_CALLEES + """
def hot(o, c, p, d, n):
    for i in range(n):
        o.holding_or_waiting(); o.waiting_with_packet(); o.cell(0); o.first_of(1); o.bigger(4); o.same(o)
        o.pick(None, 7); o.f_lt(2.0); o.f_ne(1.5)
        c.output(); c.is_satisfied(); c.over_limit(); p.first(); d.already_done(0); d.size(d.cells)
"""
    with jit_enabled():
        pyjion.config(threshold=0)
        hot = fresh(src, "hot")
        g = hot.__globals__
        args = (g["State"](False, True, False), g["Constraint"](1), g["Pair"](True, False), g["Done"]([[1], [1, 2]]))
        hot(*args, 3)
        callees = [g["State"].holding_or_waiting, g["State"].waiting_with_packet, g["State"].cell,
                   g["State"].first_of, g["State"].bigger, g["State"].same, g["State"].pick, g["State"].f_lt,
                   g["State"].f_ne, g["Constraint"].output, g["Constraint"].is_satisfied,
                   g["Constraint"].over_limit, g["Pair"].first, g["Done"].already_done, g["Done"].size]
        before = {f.__name__: pyjion.info(f).leaf_start_overs for f in callees}
        hot(*args, 200)
        after = {f.__name__: pyjion.info(f).leaf_start_overs for f in callees}
        assert all(pyjion.info(f).direct_entry == "leaf" for f in callees)
        assert after == before, {name: after[name] - before[name] for name in after}
        # A value the fast paths do not take starts over, and is counted.
        o = args[0]
        o.n = 2**70
        for _ in range(3):
            hot(*args, 5)
        assert pyjion.info(g["State"].bigger).leaf_start_overs >= before["bigger"] + 15


PARTIAL_LEAVES = ATTEMPT + """
import sys
class Node:
    def __init__(self, pos):
        self.pos = pos
        self.reference = self
    def find(self):
        reference = self.reference
        if reference.pos != self.pos:
            reference = self.reference = reference.find()
        return reference
class Table:
    def __init__(self):
        self.tab = [None, "t1", "t2"]
    def lookup(self, i):
        t = self.tab[i]
        if t is None:
            raise ValueError("no entry %d" % i)
        return t
    def maybe(self, flag):
        if flag:
            found = self.tab[1]
        return found
class Loose:
    pass
def chain(n):
    nodes = [Node(i) for i in range(n)]
    for a, b in zip(nodes, nodes[1:]):
        a.reference = b
    return nodes
def main():
    out = []
    nodes = chain(6)
    out.append([attempt(lambda: n.find().pos) for n in nodes])
    out.append([attempt(lambda: n.find().pos) for n in nodes])  # compressed now: the leaf returns
    t = Table()
    out.append([attempt(lambda: t.lookup(i)) for i in (1, 2, 0, 5, -1)])
    out.append([attempt(lambda: t.maybe(f)) for f in (True, False, 1, None)])
    loose = Loose()  # attributes in a real dict
    loose.__dict__.update(pos=3, reference=loose)
    out.append([attempt(lambda: Node.find(loose).pos) for _ in range(3)])
    return out
"""


def test_partial_leaves_match_the_interpreter() -> None:
    """A body whose common path is a leaf (`ref = self.ref; if ref.pos != self.pos:
    <call, store>; return ref`, `t = self.tab[i]; if t is None: raise ...; return t`)
    runs that path unlinked, keeping borrowed values in its other locals, and starts
    over where the path leaves the leaf (a call, a store, a raise, an unbound local):
    the same results, exceptions and tracebacks as the interpreter's."""
    expected = fresh(PARTIAL_LEAVES, "main")()
    with jit_enabled():
        main = warmed(PARTIAL_LEAVES, "main")
        assert main() == expected
        g = main.__globals__
        for f in (g["Node"].find, g["Table"].lookup, g["Table"].maybe):
            assert pyjion.info(f).direct_entry == "leaf", f.__name__


def test_a_leaf_that_mostly_starts_over_is_turned_off() -> None:
    src = PARTIAL_LEAVES + """
def often_unbound(t, n):
    for i in range(n):
        attempt(lambda: t.maybe(False))  # UnboundLocalError each time: a start over
def mostly_found(t, n):
    for i in range(n):
        try:
            t.maybe(i % 4 != 0)  # a start over one call in four
        except UnboundLocalError:
            pass
"""
    with jit_enabled():
        pyjion.config(threshold=0)
        often = fresh(src, "often_unbound")
        g = often.__globals__
        t = g["Table"]()
        often(t, 2000)
        info = pyjion.info(g["Table"].maybe)
        assert info.leaf_off and info.leaf_start_overs >= 512, str(info)
        assert "turned off" in str(info)
        mostly = fresh(src, "mostly_found")
        t2 = mostly.__globals__["Table"]()
        mostly(t2, 4000)
        info = pyjion.info(mostly.__globals__["Table"].maybe)
        assert info.direct_entry == "leaf" and not info.leaf_off and info.leaf_start_overs >= 900, str(info)


def test_references_balance_over_read_only_leaf_callees() -> None:
    src = LEAF_CALLEES + """
def loop(o, token, big, n):
    h = Holder(token)
    for i in range(n):
        o.holding_or_waiting(); o.cell(0); o.pick(token, 1); o.same(token); o.bigger(i)
        h.set_both(token, o); Vec(token, o, i)
        SVec(big, 1.5, 2.5).maximize(SVec(0.5, big, 1.0)).maximize(SVec(-1.0, 0.0, big))
"""
    token = object()
    big = float("1e300")  # a float object of its own, kept and replaced by the stores
    with jit_enabled():
        loop = warmed(src, "loop", fresh(src, "State")(False, True, False), token, big, 3)
        o = loop.__globals__["State"](False, True, False)
        loop(o, token, big, 10)
        watched = (token, big, o, o.cells, o.cells[0], o.waiting, loop.__globals__["State"].cell)
        before = [sys.getrefcount(x) for x in watched]
        loop(o, token, big, 1000)
        assert [sys.getrefcount(x) for x in watched] == before


def test_info_names_the_direct_entry() -> None:
    src = """
    class A:
        def __init__(self):
            self.x = 1
        def me(self):
            return self
        def positive(self):
            return self.x > 0
    def star(*args):
        return args
    def gen():
        yield 1
    def early_or_loop(n):
        if n <= 0:
            return 0
        while n > 1:
            n -= 1
        return n
    def run(a):
        return a.me(), a.positive(), star(1), list(gen()), early_or_loop(3), early_or_loop(0)
    """
    with jit_enabled():
        pyjion.config(threshold=0)
        run = fresh(src, "run")
        g = run.__globals__
        a = g["A"]()
        for _ in range(3):
            run(a)
        kinds = {name: pyjion.info(f).direct_entry for name, f in (
            ("me", g["A"].me), ("positive", g["A"].positive), ("__init__", g["A"].__init__),
            ("star", g["star"]), ("gen", g["gen"]), ("early_or_loop", g["early_or_loop"]), ("run", run))}
        # early_or_loop: its way out before the loop would be a leaf, but code with a
        # loop gets none (a second copy of code that mostly starts over).
        assert kinds == {"me": "trivial", "positive": "leaf", "__init__": "full", "star": "none", "gen": "none",
                         "early_or_loop": "full", "run": "full"}
        assert "direct entry: leaf" in str(pyjion.info(g["A"].positive))
        assert "direct entry" not in str(pyjion.info(run))
    assert pyjion.info(fresh(src, "A").me).direct_entry == "none"  # not compiled


def test_closures_and_cells_in_direct_callees() -> None:
    src = """
    def make(k):
        def callee(x):
            def use():
                return x + k
            return use()
        return callee
    callee = make(10)
    def caller(n):
        return [callee(i) for i in range(n)] + [callee(i) for i in range(n)]
    """
    with jit_enabled():
        caller = warmed(src, "caller", 2)
        assert caller(3) == [10, 11, 12, 10, 11, 12]


def test_tracing_switched_on_inside_a_direct_callee() -> None:
    src = """
    import sys
    events = []
    def tracer(frame, event, arg):
        events.append((frame.f_code.co_name, event))
        return tracer
    def callee(on):
        if on:
            sys.settrace(tracer)
        return 1
    def caller(on):
        a = callee(on)
        b = callee(False)
        return a + b
    """
    expected_events: list[Any] = []
    f = fresh(src, "caller")
    try:
        assert f(True) == 2
    finally:
        sys.settrace(None)
    expected_events = list(f.__globals__["events"])
    with jit_enabled():
        caller = warmed(src, "caller", False)
        try:
            assert caller(True) == 2
        finally:
            sys.settrace(None)
        assert caller.__globals__["events"] == expected_events
        assert ("callee", "call") in expected_events


def test_deep_direct_recursion_in_a_small_thread_stack() -> None:
    """The inline C-stack check reads this thread's floor (fs-relative TLS): a thread
    with a small stack and a huge recursion limit gets RecursionError or finishes,
    never a crash."""
    proc = run_child("""
        import sys, threading, pyjion
        pyjion.enable()
        def down(n):
            if n == 0:
                return 0
            return down(n - 1) + 1
        for _ in range(3):
            down(10)
        sys.setrecursionlimit(10**6)
        out = []
        def run():
            try:
                out.append(down(200000))
            except RecursionError:
                out.append("RecursionError")
        threading.stack_size(512 * 1024)
        t = threading.Thread(target=run)
        t.start(); t.join()
        print("RESULT", out, pyjion.info(down).direct_call_sites)
    """)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "RESULT ['RecursionError'] 1" in proc.stdout or "RESULT [200000] 1" in proc.stdout, proc.stdout


def test_disable_inside_a_direct_callee_stops_direct_calls() -> None:
    src = """
    import pyjion
    def callee(x, off):
        if off:
            pyjion.disable()
        return x
    def caller(n, off):
        t = 0
        for i in range(n):
            t += callee(i, off and i == 2)
        return t
    """
    with jit_enabled():
        caller = warmed(src, "caller", 5, False)
        callee = caller.__globals__["callee"]
        before = pyjion.info(callee).run_count
        assert caller(5, True) == 10
        # Calls 0..2 ran compiled (the third turned pyjion off); 3 and 4 did not.
        assert pyjion.info(callee).run_count == before + 3


CLASS_SRC = """
class Vec:
    def __init__(self, x, y):
        self.x = x
        self.y = y
def make(n):
    out = []
    for i in range(n):
        out.append(Vec(i, -i))
    return out
"""


def test_class_instantiation_sites_are_filled() -> None:
    with jit_enabled():
        make = warmed(CLASS_SRC, "make", 3)
        info = pyjion.info(make)
        # Vec(i, -i) instantiates directly; out.append and range do not take that path.
        assert info.direct_call_sites == 1, info
        vs = make(4)
        assert [(v.x, v.y) for v in vs] == [(0, 0), (1, -1), (2, -2), (3, -3)]
        assert all(type(v).__name__ == "Vec" for v in vs)


def test_class_changes_after_the_site_is_filled() -> None:
    with jit_enabled():
        make = warmed(CLASS_SRC, "make", 3)
        Vec = make.__globals__["Vec"]

        def init2(self: Any, x: Any, y: Any) -> None:
            self.x = x * 10
            self.y = y

        Vec.__init__ = init2
        assert [(v.x, v.y) for v in make(2)] == [(0, 0), (10, -1)]

        def init3(self: Any, x: Any, y: Any) -> None:
            self.x = "code"
            self.y = y

        init2.__code__ = init3.__code__
        assert [(v.x, v.y) for v in make(2)] == [("code", 0), ("code", -1)]

        def returns(self: Any, x: Any, y: Any) -> int:
            return 1

        Vec.__init__ = returns
        try:
            make(1)
        except TypeError as e:
            assert str(e) == "__init__() should return None, not 'int'"
        else:
            raise AssertionError("no TypeError")

        def new(cls: Any, x: Any, y: Any) -> Any:
            return ("made", x, y)

        Vec.__new__ = new
        assert make(2) == [("made", 0, 0), ("made", 1, -1)]


def test_init_errors_and_references() -> None:
    src = """
    class Strict:
        def __init__(self, x):
            if x < 0:
                raise ValueError("negative")
            self.x = x
    def make(xs):
        return [Strict(x) for x in xs] + [Strict(x) for x in xs]
    def build(x):
        return Strict(x)
    """
    with jit_enabled():
        build = warmed(src, "build", 1)
        assert pyjion.info(build).direct_call_sites == 1
        Strict = build.__globals__["Strict"]
        token = 10**30
        before = (sys.getrefcount(token), sys.getrefcount(Strict))
        kept = [build(token) for _ in range(100)]
        assert all(k.x is token for k in kept)
        del kept
        assert (sys.getrefcount(token), sys.getrefcount(Strict)) == before
        try:
            build(-1)
        except ValueError as e:
            frames = [f.name for f in traceback.extract_tb(e.__traceback__)]
            assert frames[-2:] == ["build", "__init__"]
        else:
            raise AssertionError("no ValueError")
        assert sys.getrefcount(Strict) == before[1]


def test_class_changed_by_a_finalizer_during_allocation() -> None:
    """Allocating the instance may run the GC, and a finalizer may then change the
    class: the instance is initialized as type_call would do it from there."""
    proc = run_child("""
        import gc, pyjion
        pyjion.config(threshold=0)
        pyjion.enable()
        class Box:
            def __init__(self, v):
                self.v = v
        def other_init(self, v):
            self.v = ("other", v)
        class Trigger:
            def __del__(self):
                Box.__init__ = other_init
        def build(v):
            return Box(v)
        for i in range(3):
            assert build(i).v == i
        assert pyjion.info(build).direct_call_sites == 1
        gc.collect()  # the young generation's count starts at 0
        t = Trigger()
        t.cycle = t
        del t  # garbage, with a count of at least 1
        gc.set_threshold(1)
        b = build(7)  # allocating the Box collects, and Trigger.__del__ runs
        gc.set_threshold(700)
        print("RESULT", b.v)
    """)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "RESULT ('other', 7)" in proc.stdout, proc.stdout


def test_generators_made_without_running_their_frame() -> None:
    """Calling a compiled generator or coroutine function whose first instruction is
    RETURN_GENERATOR makes the object with the frame RETURN_GENERATOR would have copied:
    everything a just-created generator shows matches the interpreter's."""
    src = """
    import inspect, sys
    def gen(a, b=2):
        x = a + b
        yield x
        yield a
    async def coro(n):
        return n * 2
    def observe():
        g = gen(1)
        state0 = inspect.getgeneratorstate(g)
        frame = g.gi_frame
        seen = [state0, frame.f_lineno, frame.f_lasti, dict(frame.f_locals), g.gi_code.co_name,
                g.__name__, g.__qualname__]
        try:
            g.send(5)
        except TypeError as e:
            seen.append(str(e))
        seen.append(list(g))
        h = gen(3, 4)
        h.close()
        seen.append(inspect.getgeneratorstate(h))
        c = coro(21)
        try:
            c.send(None)
        except StopIteration as e:
            seen.append(e.value)
        k = 3
        ge = (x * k for x in [1, 2])  # a closure: COPY_FREE_VARS, then RETURN_GENERATOR
        seen += [sorted(ge.gi_frame.f_locals), ge.gi_frame.f_lasti, list(ge), tuple(y + k for y in (1, 2))]
        return seen
    """
    observe = same_as_interpreter(src, "observe")
    assert pyjion.info(observe.__globals__["gen"]).compiled


def test_generator_creation_at_the_recursion_limit_and_with_origin_tracking() -> None:
    proc = run_child("""
        import sys, pyjion
        pyjion.config(threshold=0)
        def gen(n):
            yield n
        async def coro():
            return 1
        def make(depth):
            if depth == 0:
                return gen(1)
            return make(depth - 1)
        def made(k):
            return gen(k)
        def mk():
            return coro()
        results = []
        for jit in (False, True):
            if jit:
                pyjion.enable()
                for i in range(3):
                    made(i)
                    mk().close()
            sys.setrecursionlimit(60)
            outcome = []
            for depth in range(40, 70):
                try:
                    outcome.append(next(make(depth)))
                except RecursionError as e:
                    outcome.append(str(e))
            sys.setrecursionlimit(1000)
            sys.set_coroutine_origin_tracking_depth(2)
            c = mk()
            origin = [function for (_file, _line, function) in c.cr_origin]
            c.close()
            sys.set_coroutine_origin_tracking_depth(0)
            results.append((outcome, len(origin)))
            if jit:
                pyjion.disable()
        print("SAME", results[0] == results[1], results[1][1], results[1][0][-1])
    """)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "SAME True 2 maximum recursion depth exceeded" in proc.stdout, proc.stdout


def test_polymorphic_call_sites() -> None:
    """A site that calls several compiled functions keeps one way for each of the
    first four (`shape.area()` over several classes); a fifth still goes through
    pyj_call. Every call gives the interpreter's result and counts as a run."""
    src = """
    class A:
        def area(self): return 1
    class B:
        def area(self): return 2
    class C:
        def area(self): return 3
    class D:
        def area(self): return 4
    class E:
        def area(self): return 5
    shapes = [A(), B(), C(), D(), E()] * 3
    def total(items):
        t = 0
        for s in items:
            t += s.area()
        return t
    """
    with jit_enabled():
        total = warmed(src, "total", [])
        shapes = total.__globals__["shapes"]
        for _ in range(3):
            assert total(shapes) == 45
        assert pyjion.info(total).direct_call_sites == 1
        runs = [pyjion.info(type(s).area).run_count for s in shapes[:5]]
        assert total(shapes) == 45
        assert [pyjion.info(type(s).area).run_count for s in shapes[:5]] == [r + 3 for r in runs]
