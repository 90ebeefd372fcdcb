"""Differential tests: pyjion-compiled ``f`` against the interpreter.

Every case here must be compiled (its ``f`` uses only opcodes of the first compiled
subset, see ``difftest.COMPILED_OPCODES``; the harness checks that too) and must behave
exactly like CPython: same result, or same exception with the same traceback
positions.

Declined code (no compiler-made function body declines any more) is tested in
test_api.py with a rewritten bytecode; generators are in test_generators.py.
"""
from __future__ import annotations

import math
import textwrap
import types
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pyjion
from difftest import DiffPair, run_diff

INF = math.inf
NAN = math.nan


def C(id: str, src: str, args: Any = (), kwargs: dict[str, Any] | None = None, **opts: Any) -> Any:
    return pytest.param(textwrap.dedent(src), args, kwargs, opts, id=id)


# ---------------------------------------------------------------------------
# BINARY_OP: all 13 operators, plain and augmented (26 forms), over many operands

OPERATORS = [
    ("add", "+"), ("sub", "-"), ("mul", "*"), ("truediv", "/"), ("floordiv", "//"),
    ("mod", "%"), ("pow", "**"), ("lshift", "<<"), ("rshift", ">>"),
    ("and", "&"), ("or", "|"), ("xor", "^"),
]

INT_PAIRS = [
    (7, 3), (-7, 3), (7, -3), (-7, -3), (0, 5), (5, 0), (1, 1),
    (2**63 - 1, 1), (-(2**63), -1), (2**62, 4), (10**30, 7),
    (True, 2), (True, False),
    # Edges of the inline int paths: shift counts, 30-bit digits, floor rounding.
    (1, 32), (-1, 33), (5, 63), (-5, 64), (2**29, 32), (-(2**29), 31),
    (3, 0), (-1, 2), (1, -2), (0, -3),
]
# Huge right operands: fine for + - * / // % & | ^, not for ** << >>.
BIG_PAIRS = [
    (-(10**25), 10**12 + 3), (2**64 + 1, -(2**65)), (2**31, 2**31),
    # The largest compact ints (one 30-bit digit), where inline products reach 2**60.
    (2**30 - 1, 2**30 - 1), (-(2**30) + 1, 2**30 - 1),
]
FLOAT_PAIRS = [
    (1.5, 0.25), (-0.0, 0.0), (0.0, -0.0), (INF, 1.0), (-INF, 2.0), (NAN, 2.0), (1e308, 10.0),
    (1.0, 0.0), (INF, INF), (-7.5, 2.0), (-7.5, 0.5), (3, 0.5), (0.5, 3), (2**70, 1.5),
]
OTHER_PAIRS = [
    ("ab", "cd"), ("ab", 3), (3, "ab"), ("%s-%r", ("x", 1)), ("a", 1), ([1, 2], [3]), ([1], 3),
    ((1,), (2, 3)), (None, 1), ({1, 2}, {2, 3}), ({"a": 1}, {"b": 2}), (b"ab", b"c"),
]


def _binary_cases() -> list[Any]:
    cases = []
    for name, op in OPERATORS:
        pairs = INT_PAIRS + FLOAT_PAIRS + OTHER_PAIRS
        if op not in ("**", "<<", ">>"):
            pairs = pairs + BIG_PAIRS
        for i, pair in enumerate(pairs):
            cases.append(C(f"{name}-{i}", f"def f(a, b):\n    return a {op} b\n", pair))
            cases.append(C(f"i{name}-{i}", f"def f(a, b):\n    a {op}= b\n    return a\n", pair))
    return cases


BINARY_CASES = _binary_cases()

MATMUL_SRC = """
class M:
    def __init__(self, v):
        self.v = v
    def __matmul__(self, other):
        return M(self.v * getattr(other, "v", other) + 1)
    def __rmatmul__(self, other):
        return M(other * 10 + self.v)

class N(M):
    def __imatmul__(self, other):
        self.v = self.v - other.v
        return self

def f(a, b):
    return a @ b

def g(a, b):
    a @= b
    return a
"""

MATMUL_CASES = [
    C("matmul-objects", MATMUL_SRC, "M(2), M(3)"),
    C("matmul-reflected", MATMUL_SRC, "2, M(3)"),
    C("matmul-int-unsupported", MATMUL_SRC, "1, 2"),
    C("imatmul-fallback", MATMUL_SRC.replace("def f(a, b):\n    return a @ b", "def f(a, b):\n    a @= b\n    return a"), "M(2), M(3)"),
    C("imatmul-inplace", MATMUL_SRC.replace("def f(a, b):\n    return a @ b", "def f(a, b):\n    a @= b\n    return a"), "N(2), M(3)"),
    C("imatmul-unsupported", MATMUL_SRC.replace("def f(a, b):\n    return a @ b", "def f(a, b):\n    a @= b\n    return a"), "'x', 2"),
]

ARITH_CASES = [
    C("const-operands", """
        def f(x):
            return x + 1, x - 2, x * 3, x / 4, x // 5, x % 6, x ** 2, x << 1, x >> 1, x & 7, x | 8, x ^ 9
        """, (123,)),
    C("float-const-operands", """
        def f(x):
            return x + 1.5, x - 2.25, x * 0.1, x / 3.0, x // 0.7, x % 2.5, x ** 0.5
        """, (10.0,)),
    C("overflow-add-to-bigint", """
        def f():
            a = 2**62
            b = a + a
            c = b + b
            return a, b, c, -c - c, c * c
        """),
    C("negate-min-int64", """
        def f(x):
            return -x, abs(x), ~x, x - 1, x * -1, x // -1
        """, (-(2**63),)),
    C("int-sum-loop", """
        def f(n):
            s = 0
            for i in range(n):
                s += i * i
            return s
        """, (100000,)),
    C("int-overflow-in-loop", """
        def f(n):
            x = 1
            for i in range(n):
                x = x * 3 + 1
            return x
        """, (100,)),
    C("float-accumulate", """
        def f(n):
            x = 0.0
            for i in range(n):
                x += 1.0 / (i + 1)
            return x
        """, (1000,)),
    C("mixed-int-float", """
        def f(a, b):
            return a + b, a * b, a - b, a / b, b / a
        """, (3, 2.5)),
    C("zero-division-int", """
        def f(a):
            b = a - a
            return a // b
        """, (5,)),
    C("zero-division-float-mod", """
        def f(a):
            return a % 0.0
        """, (5.5,)),
    C("pow-negative-exponent", """
        def f(a, b):
            return a ** b, pow(a, b)
        """, (2, -2)),
    C("pow-modular", """
        def f(a, b, m):
            return pow(a, b, m)
        """, (3, 200, 1000007)),
    C("divmod-signs", """
        def f():
            out = []
            for a in (7, -7):
                for b in (2, -2):
                    out.append((a // b, a % b, divmod(a, b)))
            return out
        """),
    C("string-repeat-and-format", """
        def f(s, n):
            return s * n + "|" + "%d:%s" % (n, s)
        """, ("ab", 3)),
    C("list-concat-inplace-aliasing", """
        def f(a):
            b = a
            a += [4]
            a = a + [5]
            return a, b
        """, ([1, 2, 3],)),
]

UNARY_VALUES = [0, 1, -1, 7, 2**63 - 1, -(2**63), 10**40, 0.0, -0.0, 1.5, INF, NAN, True, False, "", "a", [], [0], None, 3 + 4j]


def _unary_cases() -> list[Any]:
    cases = []
    for i, v in enumerate(UNARY_VALUES):
        cases.append(C(f"neg-{i}", "def f(x):\n    return -x\n", (v,)))
        cases.append(C(f"pos-{i}", "def f(x):\n    return +x\n", (v,)))
        cases.append(C(f"inv-{i}", "def f(x):\n    return ~x\n", (v,)))
        cases.append(C(f"not-{i}", "def f(x):\n    return not x\n", (v,)))
    return cases


UNARY_CASES = _unary_cases() + [
    C("not-custom-bool-raises", """
        class B:
            def __bool__(self):
                raise ValueError("no truth here")
        def f(x):
            return not x
        """, "B()"),
    C("not-len-zero", """
        class L:
            def __len__(self):
                return 0
        def f(x):
            return not x, not not x
        """, "L()"),
    C("neg-custom", """
        class V:
            def __init__(self, v):
                self.v = v
            def __neg__(self):
                return V(-self.v)
            def __invert__(self):
                return "inverted"
        def f(x):
            return -x, ~x
        """, "V(3)"),
]

COMPARE_PAIRS = [
    (1, 2), (2, 1), (2, 2), (2**63, 2**63 - 1), (-(2**64), 0), (1.0, 1), (NAN, NAN), (INF, 10**400),
    (-0.0, 0.0), ("a", "b"), ("abc", "ab"), ([1, 2], [1, 3]), ((1, 2), (1, 2)), (None, None), (None, 0), (1, "a"),
    ({1}, {1, 2}),
    # a float and an int: compact ints compare inline as doubles, others generically
    (1, 1.0), (2, 1.5), (1.5, 2), (0, -0.0), (NAN, 1), (1, NAN), (2**30 - 1, 1073741823.0), (-(2**30) + 1, -1e9),
    (2**53 + 1, 2.0**53), (True, 1.0), (INF, 5), (-5, -INF),
]


def _compare_cases() -> list[Any]:
    cases = []
    ops = [("lt", "<"), ("le", "<="), ("eq", "=="), ("ne", "!="), ("gt", ">"), ("ge", ">=")]
    for name, op in ops:
        for i, pair in enumerate(COMPARE_PAIRS):
            cases.append(C(f"cmp-{name}-{i}", f"def f(a, b):\n    return a {op} b\n", pair))
        # COMPARE_OP feeding a jump, the shape a compiler fuses
        cases.append(C(f"cmp-branch-{name}", f"""
            def f(a, b):
                if a {op} b:
                    return "yes"
                return "no"
            """, (3, 4)))
    return cases


COMPARE_CASES = _compare_cases() + [
    C("chained-compare", """
        def f(a, b, c):
            return a < b < c, a < b > c, a == b == c, 0 <= a < 10
        """, (1, 2, 3)),
    C("chained-compare-loop", """
        def f(xs):
            n = 0
            for x in xs:
                if 0 <= x < 10:
                    n += 1
            return n
        """, ([-1, 0, 5, 9, 10, 11, 3],)),
    C("eq-returns-non-bool", """
        class W:
            def __eq__(self, other):
                return [1, 2]
            def __lt__(self, other):
                return NotImplemented
        def f(a, b):
            return a == b
        """, "W(), W()"),
    C("lt-not-implemented", """
        class W:
            def __lt__(self, other):
                return NotImplemented
        def f(a, b):
            return a < b
        """, "W(), W()"),
    # == and != inline: floats (NaN unequal, -0.0 equal to 0.0), and identity for types
    # that inherit object's rich comparison, but not for subclasses defining __eq__ or
    # __ne__, whose methods run (also reflected, for a subclass on the right).
    # UNARY_NOT inline: the truth test POP_JUMP_IF_* uses, then False or True; a
    # __bool__ or __len__ that raises, or returns a non-bool, as the interpreter has it.
    C("unary-not-values", """
        class Raises:
            def __bool__(self):
                raise KeyError("bool")
        class Zero:
            def __len__(self):
                return 0
        class Bad:
            def __bool__(self):
                return 1
        def f():
            vals = [True, False, None, 0, 1, -5, 2**80, 0.0, -0.0, 1.5, float("nan"), "", "a", [], [1], (), {},
                    {1: 2}, set(), Zero(), object(), 0j]
            out = [(not v, not not v) for v in vals]
            for bad in (Raises(), Bad()):
                try:
                    out.append(not bad)
                except Exception as e:
                    out.append((type(e).__name__, str(e)))
            return out
        """, ()),
    # Operators on two instances of one Python class call its dunder function directly:
    # results, NotImplemented (TypeError), in-place forms with and without __iadd__,
    # mixed classes (the reflected method) through the regular path.
    C("dunder-operators-same-class", """
        class V:
            def __init__(self, x):
                self.x = x
            def __add__(self, o):
                return V(self.x + o.x) if isinstance(o, V) else NotImplemented
            def __sub__(self, o):
                return NotImplemented if o.x == 0 else V(self.x - o.x)
            def __mul__(self, o):
                return self.x * o.x
            def __truediv__(self, o):
                return self.x / o.x
            def __repr__(self):
                return f"V({self.x})"
        class W(V):
            def __iadd__(self, o):
                self.x += 100 * o.x
                return self
            def __rsub__(self, o):
                return "rsub"
        def f():
            a, b, z = V(3), V(4), V(0)
            out = [a + b, a - b, a * b, a / b, b / a]
            c = V(1)
            c += a
            c -= b
            c *= b
            out.append(c)
            d = W(1)
            d += W(2)
            out.append((d, a - W(1), W(5) - W(2)))
            for expr in (lambda: a - z, lambda: a / z, lambda: a + 1, lambda: 1 + a):
                try:
                    out.append(expr())
                except Exception as e:
                    out.append((type(e).__name__, str(e)))
            e = V(2)
            try:
                e -= z
            except TypeError as exc:
                out.append(str(exc))
            # A list subclass whose __add__ and __mul__ decline; += is still list's.
            class L(list):
                def __add__(self, o):
                    return NotImplemented
                def __mul__(self, o):
                    return NotImplemented
            l1, l2 = L([1]), L([2])
            for expr in (lambda: l1 + l2, lambda: l1 * l2):
                try:
                    out.append(expr())
                except TypeError as exc:
                    out.append(str(exc))
            l1 += l2
            out.append(l1)
            return out
        """, (), jit_nested=True),
    C("getitem-python-and-list-subclass", """
        class Grid:
            def __init__(self, cells):
                self.cells = cells
            def __getitem__(self, i):
                if i == 99:
                    raise IndexError("no 99")
                return self.cells[i]
        class L(list):
            pass
        class M(list):
            def __getitem__(self, i):
                return ("M", i)
        def f():
            g, l, m = Grid([1, 2, 3]), L([10, 20, 30]), M([1])
            out = []
            for i in (0, 1, -1, 2):
                out.append((g[i], l[i], m[i]))
            for bad in (lambda: g[99], lambda: l[3], lambda: l[-4], lambda: l["x"], lambda: l[2**70]):
                try:
                    out.append(bad())
                except Exception as e:
                    out.append((type(e).__name__, str(e)))
            out.append((l[True], l[1:], m[1:]))
            return out
        """, (), jit_nested=True),
    C("eq-ne-identity-and-floats", """
        class A:
            pass
        class B(A):
            pass
        class E:
            def __eq__(self, other):
                return "E.eq"
        class N(A):
            def __ne__(self, other):
                return "N.ne"
        class R(A):
            def __eq__(self, other):
                return "R.eq"
        def f():
            a, b, n, r = A(), B(), N(), R()
            nan = float("nan")
            vals = [a, A(), b, E(), n, r, None, 1.0, nan, 0.0, -0.0, 1, 2**70, "x", object(), A, int]
            out = []
            for x in vals:
                for y in vals:
                    out.append((x == y, x != y))
                    if x == y:
                        out.append("eq")
                    if x != y:
                        out.append("ne")
            return out
        """, ()),
    C("cmp-raises-in-branch", """
        def f(a, b):
            if a < b:
                return 1
            return 2
        """, (1, "x")),
]

IS_CONTAINS_CASES = [
    # CONTAINS_OP as a value and fused with the jump after it (forward and backward),
    # over containers, a __contains__ returning a non-bool, raising, and a non-container.
    C("contains-values-and-branches", """
        class Odd:
            def __contains__(self, x):
                return x
        class Raises:
            def __contains__(self, x):
                raise KeyError(x)
        def f():
            out = []
            for c in ([1, 2], {1: 2}, {2, 3}, "12", Odd(), range(2), (0,), frozenset([2])):
                for x in ([1, 2, 0] if not isinstance(c, str) else ["1", "x", "12"]):
                    out.append((x in c, x not in c))
                    if x in c:
                        out.append("in")
                    if x not in c:
                        out.append("out")
                    n = 0
                    while x in c and n < 2:
                        n += 1
                    out.append(n)
            for c in (Raises(), 5, None):
                try:
                    out.append(1 in c)
                except Exception as e:
                    out.append((type(e).__name__, str(e)))
                try:
                    if 1 not in c:
                        out.append("no")
                except Exception as e:
                    out.append((type(e).__name__, str(e)))
            return out
        """, ()),
    C("is-none", "def f(x):\n    return x is None, x is not None\n", (None,)),
    C("is-none-2", "def f(x):\n    return x is None, x is not None\n", (0,)),
    C("is-same", "def f(a):\n    b = a\n    return a is b, a is not b, a is [], [] is not a\n", ([1],)),
    C("is-none-branches", """
        def f(xs):
            out = []
            for x in xs:
                if x is None:
                    out.append("none")
                elif x is not None and x:
                    out.append("truthy")
                else:
                    out.append("falsy")
            return out
        """, ([None, 0, 1, None, "", "a"],)),
    C("in-list", "def f(x, c):\n    return x in c, x not in c\n", (3, [1, 2, 3])),
    C("in-dict", "def f(x, c):\n    return x in c, x not in c\n", ("k", {"k": 1})),
    C("in-str", "def f(x, c):\n    return x in c, x not in c\n", ("ell", "hello")),
    C("in-set", "def f(x, c):\n    return x in c, x not in c\n", (4, {1, 2, 3})),
    C("in-range", "def f(x, c):\n    return x in c, x not in c\n", (10**20, range(0, 10**21, 10))),
    C("in-tuple-nan", "def f(x, c):\n    return x in c\n", (NAN, (1.0, 2.0))),
    C("in-not-iterable", "def f(x, c):\n    return x in c\n", (1, 5)),
    C("in-str-wrong-type", "def f(x, c):\n    return x in c\n", (1, "abc")),
    C("in-unhashable-set", "def f(x, c):\n    return x in c\n", ([1], {1})),
    C("in-custom-contains", """
        class Box:
            def __contains__(self, x):
                return x == 42
        def f(x, c):
            return x in c, x not in c
        """, "42, Box()"),
]

CONTROL_CASES = [
    C("if-elif-else", """
        def f(x):
            if x < 0:
                return "neg"
            elif x == 0:
                return "zero"
            elif x < 10:
                return "small"
            else:
                return "big"
        """, (5,)),
    C("if-elif-else-all", """
        def classify(x):
            return x
        def f(xs):
            out = []
            for x in xs:
                if x < 0:
                    out.append("neg")
                elif x == 0:
                    out.append("zero")
                elif x < 10:
                    out.append("small")
                else:
                    out.append("big")
            return out
        """, ([-5, 0, 3, 99],)),
    C("while-loop", """
        def f(n):
            i = 0
            total = 0
            while i < n:
                total += i
                i += 1
            return total, i
        """, (1000,)),
    C("while-true-break", """
        def f(n):
            i = 0
            while True:
                i += 1
                if i * i > n:
                    break
            return i
        """, (10**6,)),
    C("while-else", """
        def f(n, stop):
            i = 0
            while i < n:
                if i == stop:
                    break
                i += 1
            else:
                return "no break", i
            return "break", i
        """, (10, 20)),
    C("while-else-break", """
        def f(n, stop):
            i = 0
            while i < n:
                if i == stop:
                    break
                i += 1
            else:
                return "no break", i
            return "break", i
        """, (10, 5)),
    C("and-or-values", """
        def f(a, b):
            return a and b, a or b, not a and b, a or not b, (a and b) or "x"
        """, (0, "s")),
    C("and-or-values-2", """
        def f(a, b):
            return a and b, a or b, not a and b, a or not b, (a and b) or "x"
        """, ([1], None)),
    C("and-or-in-if", """
        def f(xs):
            n = 0
            for x in xs:
                if x > 0 and x % 2 == 0 or x == -1:
                    n += 1
                if not (x > 3 or x < -3) and x != 0:
                    n += 10
            return n
        """, ([-4, -1, 0, 1, 2, 3, 4, 8],)),
    C("short-circuit-skips-call", """
        def boom():
            return 1 // 0
        def f(a):
            return a or boom(), (not a) and boom()
        """, (1,)),
    C("ternary", """
        def f(xs):
            return [("even" if x % 2 == 0 else "odd") for x in xs], (1 if xs else 0)
        """, ([1, 2, 3],)),
    C("ternary-nested", """
        def f(x):
            return "a" if x < 0 else "b" if x == 0 else "c" if x < 5 else "d"
        """, (3,)),
    C("break-continue", """
        def f(n):
            out = []
            for i in range(n):
                if i % 3 == 0:
                    continue
                if i > 20:
                    break
                out.append(i)
            return out
        """, (100,)),
    C("nested-loops-break", """
        def f(n):
            pairs = []
            for i in range(n):
                for j in range(n):
                    if j > i:
                        break
                    if (i + j) % 2:
                        continue
                    pairs.append((i, j))
            return pairs
        """, (8,)),
    C("for-else", """
        def f(xs, target):
            for x in xs:
                if x == target:
                    found = x
                    break
            else:
                found = None
            return found
        """, ([1, 2, 3], 4)),
    C("collatz", """
        def f(n):
            steps = 0
            while n != 1:
                n = n // 2 if n % 2 == 0 else 3 * n + 1
                steps += 1
            return steps
        """, (837799,)),
    C("gcd", """
        def f(a, b):
            while b:
                a, b = b, a % b
            return a
        """, (2**40 * 3**5, 2**20 * 3**9 * 7)),
    C("truthiness-of-types", """
        def f(xs):
            out = []
            for x in xs:
                if x:
                    out.append(1)
                else:
                    out.append(0)
            return out
        """, ([0, 1, 0.0, -0.0, NAN, "", "x", [], [0], (), {}, None, 10**30, set()],)),
    C("truthiness-by-size-and-subclasses", """
        class L(list):
            def __len__(self):
                return 0
        class I(int):
            def __bool__(self):
                return True
        class T(tuple):
            def __bool__(self):
                raise ValueError("no truth here")
        def f():
            xs = [0, -7, 2**40, -(2**70), True, False, (1,), (), [None], L([1]), I(0), T((1,))]
            out = []
            for x in xs:
                try:
                    out.append("yes" if x else "no")
                    out.append(x and 1)
                    out.append(x or 2)
                except ValueError as e:
                    out.append(str(e))
            return out
        """),
    # Objects whose type has no nb_bool, mp_length or sq_length are true inline; any of
    # the three (inherited, added to the class later, raising) decides through the call.
    C("truthiness-of-plain-instances", """
        import types
        class P:
            pass
        class B:
            def __bool__(self):
                return False
        class L:
            def __len__(self):
                return 0
        class M(dict):
            pass
        class S:
            __slots__ = ("a",)
        class Later:
            pass
        class Raises:
            def __len__(self):
                raise KeyError("len")
        def f():
            xs = [P(), B(), L(), M(), M(a=1), S(), object(), f, types, type, P, Later(), Raises(), range(0), range(2)]
            out = []
            for round in range(3):
                for x in xs:
                    try:
                        out.append(("yes" if x else "no", not x, x and 1))
                    except KeyError as e:
                        out.append(str(e))
                if round == 0:
                    Later.__bool__ = lambda self: False
                if round == 1:
                    del Later.__bool__
                    Later.__len__ = lambda self: 0
            return out
        """),
]

ITER_CASES = [
    C("for-range", "def f(n):\n    s = []\n    for i in range(n):\n        s.append(i)\n    return s\n", (10,)),
    C("for-range-step", "def f():\n    return [i for i in range(10, -10, -3)], sum(range(0, 100, 7))\n"),
    C("for-list", "def f(xs):\n    t = 0\n    for x in xs:\n        t += x\n    return t\n", ([1, 2, 3.5],)),
    C("for-tuple", "def f(xs):\n    t = ()\n    for x in xs:\n        t = t + (x,)\n    return t\n", ((1, "a", None),)),
    C("for-dict", "def f(d):\n    ks = []\n    for k in d:\n        ks.append(k)\n    return ks\n", ({"b": 1, "a": 2},)),
    C("for-dict-items", """
        def f(d):
            out = []
            for k, v in d.items():
                out.append(k * v)
            return out
        """, ({"a": 1, "b": 2},)),
    C("for-str", "def f(s):\n    out = ''\n    for ch in s:\n        out = ch + out\n    return out\n", ("hello ✓",)),
    C("for-empty", "def f(xs):\n    n = -1\n    for x in xs:\n        n = x\n    return n\n", ([],)),
    C("for-generator-from-elsewhere", """
        def gen(n):
            for i in range(n):
                yield i * i
        def f(g):
            out = []
            for x in g:
                out.append(x)
            return out
        """, "gen(6)"),
    C("for-generator-raises", """
        def gen(n):
            for i in range(n):
                if i == 3:
                    raise ValueError(f"bad {i}")
                yield i
        def f(g):
            out = []
            for x in g:
                out.append(x)
            return out
        """, "gen(6)"),
    C("for-enumerate-zip", """
        def f(a, b):
            out = []
            for i, (x, y) in enumerate(zip(a, b)):
                out.append((i, x + y))
            return out
        """, ([1, 2, 3], [10, 20, 30, 40])),
    C("for-reversed-sorted", """
        def f(xs):
            return [x for x in reversed(xs)], sorted(xs, reverse=True)
        """, ([3, 1, 2],)),
    C("for-not-iterable", "def f(x):\n    for i in x:\n        pass\n", (5,)),
    C("for-dict-changed-size", """
        def f(d):
            for k in d:
                d[k + "x"] = 1
        """, ({"a": 1},)),
    C("iter-custom-iterator", """
        class Countdown:
            def __init__(self, n):
                self.n = n
            def __iter__(self):
                return self
            def __next__(self):
                if self.n <= 0:
                    raise StopIteration
                self.n -= 1
                return self.n
        def f(c):
            return [x for x in c], sum(Countdown(4))
        """, "Countdown(5)"),
    C("iter-custom-raises", """
        class Bad:
            def __iter__(self):
                return self
            def __next__(self):
                raise KeyError("inside __next__")
        def f(c):
            n = 0
            for x in c:
                n += 1
            return n
        """, "Bad()"),
]

GLOBAL_CASES = [
    C("load-global", "K = 10\nS = 'abc'\ndef f(x):\n    return x * K, S\n", (3,)),
    C("builtins", """
        def f(xs):
            return len(xs), abs(-3), min(xs), max(xs), sum(xs), sorted(xs), list(range(3)), round(2.675, 2)
        """, ([5, 3, 9, 1],)),
    C("builtin-shadowed-by-global", """
        def len(x):
            return 42
        def f(xs):
            return len(xs)
        """, ([1, 2],)),
    C("global-changes-between-reads", """
        G = 1
        def bump():
            global G
            G += 1
        def f():
            a = G
            bump()
            b = G
            return a, b
        """, calls=3),
    C("global-rebound-between-calls", """
        def bump():
            globals()["COUNT"] = globals().get("COUNT", 0) + 1
        def f():
            bump()
            return COUNT
        """, calls=4),
    C("name-error", """
        def f(x):
            return x + undefined_name
        """, (1,)),
    C("name-error-after-delete", """
        T = 1
        def drop():
            del globals()["T"]
        def f():
            a = T
            drop()
            return a + T
        """, calls=1),
    C("module-attribute-call", """
        import math
        def f(x):
            return math.sqrt(x), math.floor(x), math.pi
        """, (10.5,)),
]

ATTR_CASES = [
    C("attr-simplenamespace", """
        def f(o):
            o.y = o.x * 2
            o.x += 1
            return o.x, o.y
        """, lambda: (types.SimpleNamespace(x=5),)),
    C("attr-class-instance", """
        class P:
            def __init__(self, x, y):
                self.x = x
                self.y = y
            def norm2(self):
                return self.x * self.x + self.y * self.y
        def f(p):
            p.x = p.x + 1
            return p.norm2(), p.x, p.y
        """, "P(3, 4)"),
    C("attr-class-attribute", """
        class K:
            scale = 3
        def f(k):
            a = k.scale
            k.scale = 5
            return a, k.scale, K.scale
        """, "K()"),
    C("attr-property", """
        class T:
            def __init__(self):
                self._v = 1
            @property
            def v(self):
                return self._v * 10
            @v.setter
            def v(self, value):
                if value < 0:
                    raise ValueError("negative")
                self._v = value
        def f(t, value):
            t.v = value
            return t.v
        """, "T(), -1"),
    C("attr-missing", """
        class P:
            pass
        def f(p):
            return p.missing
        """, "P()"),
    C("attr-missing-on-int", "def f(x):\n    return x.nope\n", (3,)),
    C("attr-slots-store", """
        class S:
            __slots__ = ("a",)
        def f(s):
            s.a = 1
            s.b = 2
        """, "S()"),
    C("attr-in-loop", """
        class Acc:
            def __init__(self):
                self.total = 0
                self.n = 0
        def f(acc, xs):
            for x in xs:
                acc.total += x
                acc.n += 1
            return acc.total / acc.n
        """, "Acc(), [1, 2, 3, 4]"),
    # LOAD_ATTR on a global name that was a class when f compiled: the class path
    # first; the class's attribute changes, the name is rebound to an instance, a
    # module and another class, a missing attribute raises.
    C("attr-on-global-class", """
        import math
        class Direction:
            FORWARD = 1
            BACKWARD = -1
            @staticmethod
            def flip(d):
                return -d
        class Meta(type):
            pass
        class Other(metaclass=Meta):
            FORWARD = "meta"
        def g():
            return (Direction.FORWARD, Direction.BACKWARD, Direction.flip(2), Direction.flip)
        def f():
            global Direction
            out = [g(), g()]
            Direction.FORWARD = 10
            out.append(g())
            saved = Direction
            for replacement in (saved(), math, Other):
                Direction = replacement
                try:
                    out.append(g())
                except AttributeError as e:
                    out.append(str(e))
            Direction = saved
            del Direction.BACKWARD
            try:
                g()
            except AttributeError as e:
                out.append(str(e))
            return [repr(x)[:40] for x in out]
        """, (), jit_names=("f", "g")),
    C("attr-on-type", "def f(x):\n    return type(x).__name__, x.real, x.imag\n", (3 + 4j,)),
]

SLICE_CASES = [
    # BUILD_SLICE fused with its subscript: exact lists and tuples sliced without the
    # slice object (None and int parts), everything else through the slice.
    C("slice-list-forms", "def f(p, k):\n    return p[k::-1], p[:k + 1], p[1:-1:2], p[5:1], p[::3], p[-100:100], p[::-2]\n", (list(range(8)), 3)),
    C("slice-list-bounds", "def f(p, e):\n    return p[-2:-8:-1], p[7:2:-3], p[-100:-50], p[50:], p[3:3], p[3:1], p[5:1:-1], p[-1::-1], e[::-1], e[1:], p[1:7:4], p[6:0:-5]\n", (list(range(8)), [])),
    C("slice-tuple-forms", "def f(t):\n    return t[::-1], t[1:3], t[2:], t[:0], t[:]\n", (tuple(range(6)),)),
    C("slice-other-containers", "def f(s, r, b):\n    return s[1:4], s[::-1], r[2:8:2], b[1:], bytearray(b)[::2]\n", ("abcdef", range(10), b"xyz")),
    C("slice-big-ints", "def f(p):\n    return p[-10**30:10**30], p[10**30:], p[::10**30]\n", (list(range(5)),)),
    C("slice-index-objects", "class I:\n    def __init__(self, v):\n        self.v = v\n    def __index__(self):\n        return self.v\ndef f(p):\n    return p[I(1):I(3)], p[::I(-1)]\n", (list(range(5)),)),
    C("slice-zero-step", "def f(p):\n    return p[::0]\n", (list(range(5)),)),
    C("slice-bad-part", "def f(p):\n    return p['a':]\n", (list(range(5)),)),
    C("slice-store-list", "def f(p, k):\n    q = list(p)\n    q[:k + 1] = q[k::-1]\n    r = list(p)\n    r[1:3] = 'xy'\n    s = list(p)\n    s[::2] = [0] * len(s[::2])\n    t = list(p)\n    t[::-1] = t\n    return q, r, s, t\n", (list(range(8)), 3)),
    C("slice-store-errors", "def f(p):\n    q = list(p)\n    q[::2] = [1]\n    return q\n", (list(range(8)),)),
    # One-digit ints that die in machine code are reused for int results: values,
    # signs, zero and ints past one digit (never kept) must come out right.
    C("int-free-list-reuse", """
        def f(n):
            held = [0, 0, 0]
            kept = [None] * 3
            out = []
            for i in range(n):
                x = -i * 1000 + 17  # a new int each time: the local's old one is kept
                kept[i % 3] = x  # the one replaced dies in machine code
                out.append(str(x))  # not x itself: the replaced one must die
                held[i % 3] = i * 1000 - 5000
                a = held[0] + held[1] * 7
                b = (i - 3) * 400
                c = i * (1 << 29) * 3
                d = held[2] - held[2]
                out.append((a, b, c, d, -a, a // 7, hash(b), str(a)))
            return out, sum(held)
        """, (40,)),
    # `x in list/tuple` with a one-digit int: int items by value, others through __eq__
    # (which may change the list while it is searched).
    C("contains-small-int", """
        class I(int):
            pass
        class Shrinks:
            def __init__(self, xs):
                self.xs = xs
            def __eq__(self, other):
                self.xs.clear()
                return False
            __hash__ = None
        def f(n):
            out = []
            for i in range(-3, n):
                xs = [5, -2, 2 ** 40, 7.0, True, I(9), "x", None, 1000]
                out.append((i in xs, i in tuple(xs), i not in xs, -i in xs, i * 1000 in xs,
                            2 ** 40 in xs, i in [], i in (i,), 1 in [True], 9 in [I(9)]))
            ys = [1, 2, 3]
            ys.insert(1, Shrinks(ys))
            out.append((3 in ys, ys))
            return out
        """, (12,)),
    C("list-concat", """
        class L(list):
            def __add__(self, other):
                return "L.__add__"
        def f(a, b):
            return a + b, b + a, a + a, a + [], [] + [], L(a) + b, a + L(b), b[1:] + b[:1]
        """, ([1, "x"], [None, 2.5, (3,)])),
    C("list-concat-not-a-list", "def f(a):\n    return a + (1,)\n", ([1],)),
    # As many items as the slice has, from an exact list or tuple: stored in place, the
    # old items released last to first; any other length, value or the list itself
    # takes list_ass_slice.
    C("slice-store-same-length", """
        log = []
        class D:
            def __init__(self, tag):
                self.tag = tag
            def __del__(self):
                log.append(self.tag)
        def f(n):
            out = []
            for k in range(n):
                q = list(range(8))
                q[:k + 1] = q[k::-1]
                r = list(range(8))
                r[2:5] = ("a", "b", "c")
                r[-3:] = [None] * 3
                r[6:100] = [6, 7]
                r[5:2] = [1]
                r[1:1] = []
                r[0:2] = r
                s = [D(i) for i in range(4)]
                s[0:3] = [D(10), D(11), D(12)]
                s[1:3] = [s[1]] * 2
                e = []
                e[0:0] = []
                out.append((q, r, [d.tag for d in s], e))
            return out, log
        """, (5,)),
    C("slice-store-dict", "def f(d):\n    d[1:2] = 3\n    return d\n", ({},)),
    C("slice-store-tuple", "def f(t):\n    t[1:2] = [3]\n", ((1, 2, 3),)),
]

CALL_CASES = [
    # Methods of builtin types called on instances of subclasses (descr_check's
    # isinstance): METH_O, METH_FASTCALL, METH_FASTCALL|METH_KEYWORDS and METH_NOARGS
    # descriptors, wrong argument counts, a descriptor applied to another type, a
    # subclass that overrides one of them, two levels of subclassing, a mixin first.
    C("builtin-methods-on-subclass-instances", """
        class OC(list):
            pass
        class Deeper(OC):
            pass
        class Mixin:
            def extra(self):
                return "extra"
        class Mixed(Mixin, list):
            pass
        class Own(list):
            def append(self, x):
                list.append(self, ("own", x))
        class D(dict):
            pass
        class S(str):
            pass
        def f(n):
            out = []
            for cls in (OC, Deeper, Mixed, Own, list):
                todo = cls()
                for i in range(n):
                    todo.append(i)
                    todo.insert(0, -i)
                    todo.extend((i, i))
                out.append((type(todo).__name__, todo.pop(), todo.pop(0), todo.index(0), todo.count(1),
                            todo.copy(), len(todo)))
                todo.sort(reverse=True)
                todo.sort()
                todo.reverse()
                out.append(todo[:4])
                todo.clear()
                # (inline: lambdas would run interpreted)
                try:
                    todo.append()
                except TypeError as e:
                    out.append(str(e))
                try:
                    todo.append(1, 2)
                except TypeError as e:
                    out.append(str(e))
                try:
                    todo.pop(99)
                except IndexError as e:
                    out.append(str(e))
                try:
                    todo.copy(1)
                except TypeError as e:
                    out.append(str(e))
                try:
                    todo.index(7)
                except ValueError as e:
                    out.append(str(e))
                try:
                    list.append(5, 1)
                except TypeError as e:
                    out.append(str(e))
                try:
                    cls.pop(Mixin())
                except TypeError as e:
                    out.append(str(e))
            d = D(a=1)
            s = S("abc")
            for i in range(n):
                out.append((d.get("a"), d.get("b", i), list(d.keys()), s.upper(), s.startswith("a"), s.find("c")))
            out.append(Mixed().extra())
            return out
        """, (4,)),
    # At the recursion limit: list.append on a list subclass's instance outside the
    # recursion count (PRECALL_NO_KW_LIST_APPEND takes any PyList_Check self), other
    # descriptors inside it (their vectorcall's method_enter_call), as the interpreter.
    C("builtin-method-on-subclass-at-the-recursion-limit", """
        class OC(list):
            pass
        todo = OC()
        def f(n):
            todo.append(n)
            return f(n + 1)
        """, (0,)),
    C("builtin-method-on-subclass-at-the-recursion-limit-counted", """
        class OC(list):
            pass
        todo = OC([1])
        def f(n):
            todo.insert(0, n)
            todo.pop()
            return f(n + 1)
        """, (0,)),
    # Builtin classes called through their own vectorcall (PRECALL_BUILTIN_CLASS),
    # results, errors and tracebacks as the interpreter's.
    C("builtin-class-calls", """
        def f(xs, s):
            return (range(3), list(range(1, 9, 3)), int(s), int("ff", 16), int(3.7), float("1.5"), str(5),
                    list("ab"), tuple(xs), set(xs), frozenset(xs), dict(), dict(a=1), list(reversed(xs)),
                    bool(0), type(3), bytes(3), complex(1, 2), list(enumerate("ab")), list(zip(xs, s)),
                    list(map(abs, [-1, 2])), list(filter(None, [0, 1])), slice(2), object() is not None,
                    type("T", (), {}).__name__, len(range(10**30)))
        """, ([3, 1, 3], "12")),
    C("builtin-class-call-errors", """
        def f(kind):
            out = []
            for args in [("x",), (1.5,), (), (1, 2, 3, 4), ([],)]:
                try:
                    out.append(kind(*args))
                    out.append(range(*args))
                except Exception as e:
                    out.append((type(e).__name__, str(e)))
            out.append([range(a) for a in (1, 2)])
            try:
                return int("x")
            except ValueError as e:
                out.append(str(e))
            return out, int("nope")
        """, (int,)),
    C("builtin-class-from-attribute", """
        import collections
        class Holder:
            kind = int
            def __init__(self):
                self.make = list
        def f(h):
            return collections.OrderedDict(a=1), collections.deque([1, 2]), h.kind("7"), h.make("xy"), h.kind()
        """, "Holder()"),
    # int(x) and str(x) (no vectorcall of their own), and method descriptors on
    # subclass instances (METH_O, METH_NOARGS, METH_FASTCALL), with the interpreter's
    # conversions, errors and messages.
    C("int-str-one-argument", """
        class Idx:
            def __index__(self):
                return 7
        class Conv:
            def __int__(self):
                return 5
            def __str__(self):
                return "conv"
        class BadStr:
            def __str__(self):
                return 3
        class MyInt(int):
            pass
        class MyStr(str):
            pass
        def f():
            out = [int(3.9), int(-2.5), int("  12 "), int(True), int(Idx()), int(Conv()), type(int(MyInt(4))),
                   str(1.5), str(None), str(Conv()), type(str(MyStr("a"))), str(b"x"), int(10**30), str([1])]
            for bad in ["x", 1e400, float("nan"), None, BadStr()]:
                try:
                    out.append(int(bad))
                except Exception as e:
                    out.append((type(e).__name__, str(e)))
                try:
                    out.append(str(bad))
                except Exception as e:
                    out.append((type(e).__name__, str(e)))
            return out, str(BadStr())
        """, ()),
    C("int-of-floats-inline", """
        def f(xs):
            out = []
            for x in xs:
                try:
                    out.append(int(x))
                except (ValueError, OverflowError) as e:
                    out.append((type(e).__name__, str(e)))
            return out
        """, ([0.0, -0.0, 0.5, -0.5, 0.9999999999999999, 255.9, 256.0, 257.5, -5.5, -6.0, 2.0**30, 2.0**62,
               -(2.0**62), 2.0**63, -(2.0**63), 2.0**64, -(2.0**64), 1e-300, -1e-300, 1.7976931348623157e308,
               float("inf"), float("-inf"), float("nan"), 7, -(2**70), True, 3 + 0j],)),
    C("method-descriptor-on-subclass", """
        class L(list):
            pass
        class D(dict):
            pass
        def f():
            l, d = L([3, 1, 2]), D(a=1)
            l.append(4)
            l.remove(1)
            out = [l.pop(), l.index(2), l.count(3), l.copy(), d.get("a"), d.get("b", 0), d.keys(), l]
            l.clear()
            out.append(l)
            for call in (lambda: list.append(5, 1), lambda: l.append(), lambda: l.clear(1), lambda: l.remove(9),
                         lambda: list.append(L(), 1, 2), lambda: d.get()):
                try:
                    out.append(call())
                except Exception as e:
                    out.append((type(e).__name__, str(e)))
            return out, list.pop(L())
        """, (), jit_nested=True),
    # Positional defaults filled by the fast call path (plain, method and generator
    # callees), __defaults__ changed or removed between calls; bound methods
    # (classmethods, stored ones) called as their function with self first.
    C("call-positional-defaults", """
        def g(a, b=2, c=[3]):
            return a, b, c
        def gen(a, b=10):
            yield a + b
        def m(self, x=1, y=2):
            return self.__class__.__name__, x, y
        def cm(cls, x, y=5):
            return cls.__name__, x, y
        def sm(x=7):
            return x
        class K:
            m = m
            cm = classmethod(cm)
            sm = staticmethod(sm)
        def f():
            k = K()
            bound, cbound = k.m, K.cm
            out = []
            for i in range(3):
                out.append((g(i), g(i, i), g(i, i, i), k.m(), k.m(i), K.cm(i), k.cm(i, i), K.sm(), k.sm(i),
                            bound(), bound(i, i), cbound(i), list(gen(i)), list(gen(i, i))))
            g.__defaults__ = (20, 30)
            out.append((g(1), g(1, 2)))
            g.__defaults__ = (40,)
            out.append(g(1, 2))
            try:
                g(1)
            except TypeError as e:
                out.append(str(e))
            g.__defaults__ = None
            try:
                g(1, 2)
            except TypeError as e:
                out.append(str(e))
            try:
                bound(1, 2, 3)
            except TypeError as e:
                out.append(str(e))
            return out
        """, (), jit_names=("f", "g", "gen", "m", "cm", "sm")),
    # CALLs whose first slot is not a NULL: a comprehension's function with its
    # iterator, a decorator with the function, a with block's __exit__; in a loop, so
    # the sites' direct calls are made (and a comprehension that raises unwinds).
    C("call-method-shaped-sites", """
        class CM:
            def __init__(self):
                self.log = []
            def __enter__(self):
                self.log.append("in")
                return self
            def __exit__(self, *exc):
                self.log.append(exc[0].__name__ if exc[0] else "out")
                return True
        def deco(fn):
            return lambda *a: ("decorated", fn(*a))
        def f(n):
            out = []
            cm = CM()
            for i in range(n):
                out.append([x * i for x in range(3)])
                out.append({x: i for x in "ab"})
                out.append(sum(x for x in range(i)))
                @deco
                def g(v):
                    return v + i
                out.append(g(1))
                with cm:
                    if i == 2:
                        raise KeyError(i)
                try:
                    out.append([1 // (x - i) for x in range(3)])
                except ZeroDivisionError as e:
                    out.append(str(e))
            return out, cm.log
        """, (4,), jit_nested=True),
    # METH_FASTCALL | METH_KEYWORDS builtins called without keywords (sum, sorted,
    # round, ...): their C function with no keyword names; errors as the interpreter's.
    C("fastcall-keywords-builtins", """
        def f(xs):
            out = []
            for i in range(3):
                out.append((sum(xs), sum(x * i for x in xs), sum(xs, 10), sorted(xs), round(2.5 + i),
                            round(1.23456, i), int.from_bytes(b"\x01\x02", "big"), "-".join(sorted("cab"))))
            for bad in ([["a"]], [[1], "x"], [None]):
                try:
                    out.append(sum(*bad))
                except TypeError as e:
                    out.append(str(e))
            try:
                sorted([1, "a"])
            except TypeError as e:
                out.append(str(e))
            return out
        """, ([3, 1, 2],)),
    # min(a, b) and max(a, b) as min_max decides (NaN, ties, errors); instances of
    # classes with a Python __call__ (and a metaclass's __call__), a recursion level
    # deeper per call as slot_tp_call's tp_call makes it.
    C("min-max-two-arguments", """
        def f():
            nan = float("nan")
            out = []
            for a, b in [(1, 2), (2.5, 1), (nan, 1), (1, nan), ("a", "b"), ((1,), (0,)), (1, 1.0), (True, 1)]:
                out.append((min(a, b), max(a, b), min(b, a), max(b, a), type(min(a, b)), min(a, b, 0)))
            try:
                min(1, "a")
            except TypeError as e:
                out.append(str(e))
            return out
        """, ()),
    C("call-instances-with-dunder-call", """
        import sys
        class Line:
            def __init__(self, k):
                self.k = k
            def __call__(self, x, y=1):
                return self.k * x + y
        class Meta(type):
            def __call__(cls, *args):
                return ("meta", cls.__name__, args)
        class W(metaclass=Meta):
            pass
        def deep_call(self, n):
            self.reached = n
            return self(n + 1)
        class Deep:
            __call__ = deep_call
        def f():
            line = Line(10)
            out = [(line(i), line(i, y=i), line(x=i), W(i)) for i in range(3)]
            try:
                line()
            except TypeError as e:
                out.append(str(e))
            limit = sys.getrecursionlimit()
            sys.setrecursionlimit(300)
            try:
                for _ in range(3):
                    deep = Deep()
                    try:
                        deep(0)
                    except RecursionError:
                        out.append(deep.reached)
            finally:
                sys.setrecursionlimit(limit)
            return out
        """, (), jit_names=("f", "deep_call")),
    # Call paths chosen by what a global name was bound to when f compiled; the
    # binding changes afterwards (f calls the same sites again), and every path checks.
    C("call-path-from-globals-rebound", """
        from math import sqrt, floor
        class Point:
            def __init__(self, x):
                self.x = x
        class L(list):
            pass
        def helper(v):
            return v + 1
        def g(v):
            return (sqrt(v), floor(v), Point(v).x, L([v]), helper(v), range(int(v)))
        def f():
            global sqrt, floor, Point, L, helper, range
            out = [g(4.0), g(9.0)]
            sqrt, floor, Point, L = helper, Point, L, sqrt
            helper = floor
            range = lambda n: ("my range", n)
            out.append(g(16.0))
            del range
            out.append(g(25.0))
            return out
        """, (), jit_names=("f", "g")),
    # Builtins called directly by machine code: METH_O (recursion-checked), METH_NOARGS,
    # METH_FASTCALL; method descriptors on exactly their type, and otherwise the regular call.
    C("builtin-meth-o", "import math\ndef f(x):\n    return math.sqrt(x), abs(-x), math.floor(x), len('abc')\n", (2.25,)),
    C("builtin-meth-o-raises", "import math\ndef f(x):\n    return math.sqrt(x)\n", (-1.0,)),
    C("builtin-meth-o-wrong-count", "import math\ndef f(x):\n    return math.sqrt(x, x)\n", (2.0,)),
    C("builtin-fastcall", "def f(x):\n    return isinstance(x, int), isinstance(x, (str, float)), divmod(x, 3), getattr(x, 'real')\n", (7,)),
    C("builtin-fastcall-raises", "def f(x):\n    return isinstance(x, 3)\n", (7,)),
    C("builtin-noargs", "def f(s):\n    return s.upper(), s.strip().lower(), [1, 2].copy(), globals() is not None\n", ("  Ab ",)),
    C("builtin-noargs-with-argument", "def f(s):\n    return s.upper(1)\n", ("ab",)),
    C("descriptor-fastcall", "def f(s, xs):\n    return s.join(xs), s.split('-'), xs.index('b'), xs.count('a')\n", ("-", ["a", "b"])),
    C("descriptor-wrong-self-type", "def f(x):\n    return str.upper(x)\n", (3,)),
    C("descriptor-subclass-self", "class S(str):\n    pass\ndef f(x):\n    return str.upper(S(x)), S(x).upper()\n", ("ab",)),
    C("descriptor-unbound-no-self", "def f():\n    return str.upper()\n"),
    C("builtin-results-released", "def f(n):\n    t = 0.0\n    for i in range(n):\n        t += abs(-i) + float(i).__abs__()\n    return t\n", (50,)),
    C("list-append", "def f(n):\n    a = []\n    for i in range(n):\n        a.append(i * 2)\n    return a\n", (5,)),
    C("str-join-split", "def f(xs):\n    s = ', '.join(xs)\n    return s, s.split(', '), s.upper()\n", (["a", "b", "c"],)),
    C("dict-get", "def f(d):\n    return d.get('a'), d.get('z'), d.get('z', 0), d.setdefault('q', [])\n", ({"a": 1},)),
    C("kw-names-builtin", "def f(xs):\n    return sorted(xs, key=abs, reverse=True), max(xs, default=0, key=abs)\n", ([3, -5, 1],)),
    C("kw-names-python", """
        def g(a, b=2, *, c=3):
            return (a, b, c)
        def f():
            return g(1), g(1, 5), g(1, c=9), g(a=0, b=1, c=2), g(1, b=7)
        """),
    C("kw-names-str-format", "def f(x):\n    return '{a}-{b}-{0}'.format(x, a=1, b=x)\n", ("z",)),
    C("call-python-function", """
        def square(x):
            return x * x
        def add(a, b):
            return a + b
        def f(n):
            t = 0
            for i in range(n):
                t = add(t, square(i))
            return t
        """, (50,)),
    C("call-recursive-marked", """
        def f(n):
            if n < 2:
                return n
            return f(n - 1) + f(n - 2)
        """, (18,)),
    C("call-lambda-variable", """
        def f(x):
            g = lambda y, z=10: y * 2 + z
            return g(x), g(x, 1), g(z=0, y=x)
        """, (4,)),
    C("call-class-constructor", """
        class P:
            def __init__(self, x):
                self.x = x
        def f(x):
            return P(x).x, list((1, 2)), dict(a=x), set("aab") == {"a", "b"}
        """, (7,)),
    C("call-wrong-arg-count", """
        def g(a):
            return a
        def f():
            return g(1, 2)
        """),
    C("call-bad-keyword", """
        def g(a):
            return a
        def f():
            return g(b=1)
        """),
    C("call-not-callable", "def f(x):\n    return x(1)\n", (3,)),
    C("call-bound-method-object", """
        class A:
            def __init__(self):
                self.n = 0
            def inc(self, k=1):
                self.n += k
                return self.n
        def f(a):
            m = a.inc
            m()
            m(k=5)
            return a.inc(2), m
        """, "A()"),
    C("call-staticmethod-classmethod", """
        class A:
            @staticmethod
            def s(x):
                return x + 1
            @classmethod
            def c(cls, x):
                return cls.__name__, x
        def f(a):
            return a.s(1), a.c(2), A.s(3), A.c(4)
        """, "A()"),
    # LOAD_METHOD of a classmethod on its class (or a subclass) leaves [function, class]
    # while the classmethod wraps a plain function; anything else binds as
    # classmethod.__get__ does. Changes to the class or the classmethod between calls.
    C("load-method-classmethod-on-class", """
        class Meta(type):
            def __getattribute__(cls, name):
                if name == "c":
                    return lambda *a: ("meta", a)
                return super().__getattribute__(name)
        def first(cls, x, y=2):
            return cls.__name__, x, y
        class A:
            wrapped = classmethod(len)
            class Callable:
                def __call__(self, *a):
                    return ("callable", len(a))
            obj = classmethod(Callable())
            twice = classmethod(classmethod(lambda cls, x: (cls.__name__, x)))
        class B(A):
            pass
        class M(metaclass=Meta):
            @classmethod
            def c(cls, x):
                return "M", x
        def other(cls, x, y=9):
            return "other", cls.__name__, x, y
        def f():
            A.c = classmethod(first)
            out = []
            for i in range(4):
                out.append((A.c(i), B.c(i, i), A().c(i), M.c(i), A.obj(i)))
                try:
                    out.append(A.wrapped())
                except TypeError as e:
                    out.append(("TypeError", str(e)))
                out.append((A.twice(i), B.twice(i)))
                if i == 1:
                    A.c = classmethod(other)
                if i == 2:
                    A.__dict__["c"].__init__(lambda cls, x, y=0: ("reinit", cls.__name__, x, y))
            A.c = classmethod.__new__(classmethod)
            for i in range(2):
                try:
                    A.c(1)
                except RuntimeError as e:
                    out.append(("RuntimeError", str(e)))
            A.c = classmethod(first)
            bound = B.c
            return out, type(bound).__name__, bound(5)
        """, ()),
    C("call-builtin-raises", "def f(s):\n    return int(s)\n", ("12x",)),
    C("call-method-missing", "def f(xs):\n    return xs.push(1)\n", ([],)),
    C("call-many-args", """
        def g(a, b, c, d, e, f, g, h, i, j):
            return a + b + c + d + e + f + g + h + i + j
        def f(x):
            return g(x, 1, 2, 3, 4, 5, 6, 7, 8, 9), g(j=0, i=1, h=2, g=3, f=4, e=5, d=6, c=7, b=8, a=x)
        """, (100,)),
    C("call-helpers-also-marked", """
        def helper(x):
            return x * 3
        def f(xs):
            return [helper(x) for x in xs], helper(len(xs))
        """, ([1, 2],), jit_names=("f", "helper")),
]

SUBSCR_CASES = [
    C("subscr-list", "def f(a, i):\n    return a[i], a[-1], a[-i]\n", ([1, 2, 3], 1)),
    C("subscr-dict", "def f(d, k):\n    return d[k], d[(1, 2)]\n", ({"a": 1, (1, 2): "t"}, "a")),
    C("subscr-str", "def f(s):\n    return s[0], s[-1], s[1:3], s[::-1], s[::2]\n", ("héllo",)),
    C("subscr-tuple", "def f(t):\n    return t[1], t[-2:], t[:1]\n", ((1, 2, 3),)),
    C("subscr-slices", """
        def f(a, i, j):
            return a[i:j], a[i:], a[:j], a[::2], a[j:i:-1], a[-3:], a[:-3], a[100:], a[i:j:0 or 1]
        """, (list(range(10)), 2, 7)),
    C("subscr-zero-step", "def f(a):\n    return a[::0]\n", ([1, 2],)),
    C("store-subscr-list", "def f(a):\n    a[0] = 9\n    a[-1] = 8\n    return a\n", ([1, 2, 3],)),
    C("store-subscr-dict", "def f(d):\n    d['x'] = 1\n    d[2] = d.get(2, 0) + 1\n    return d\n", ({},)),
    C("store-subscr-slice", "def f(a):\n    a[1:3] = ['x']\n    a[::2] = [0] * len(a[::2])\n    return a\n", ([1, 2, 3, 4, 5],)),
    C("store-subscr-str-error", "def f(s):\n    s[0] = 'x'\n", ("abc",)),
    C("store-subscr-tuple-error", "def f(t):\n    t[0] = 1\n", ((1,),)),
    C("index-error", """
        def f(a):
            total = 0
            for i in range(10):
                total += a[i]
            return total
        """, ([1, 2, 3],)),
    C("index-error-negative", "def f(a):\n    return a[-4]\n", ([1, 2, 3],)),
    C("key-error", "def f(d):\n    return d['missing']\n", ({"a": 1},)),
    C("key-error-tuple-key", "def f(d):\n    return d[(1, 2)]\n", ({},)),
    C("subscr-type-error", "def f(a):\n    return a['x']\n", ([1],)),
    C("subscr-unsubscriptable", "def f(a):\n    return a[0]\n", (5,)),
    C("subscr-bigint-index", "def f(a):\n    return a[2**70]\n", ([1],)),
    C("subscr-augmented", """
        def f(grid, i, j):
            grid[i][j] += 1
            grid[i][j] *= 10
            grid[-1][0] -= 1
            return grid
        """, ([[0, 0], [0, 0]], 0, 1)),
    C("subscr-counting-dict", """
        def f(words):
            counts = {}
            for w in words:
                counts[w] = counts.get(w, 0) + 1
            return counts
        """, ("the cat the dog the end".split(),)),
    C("subscr-custom-getitem", """
        class G:
            def __getitem__(self, k):
                return ("got", k)
            def __setitem__(self, k, v):
                raise KeyError(("set", k, v))
        def f(g):
            a = g[1:2]
            b = g[1, 2]
            g["x"] = a
            return a, b
        """, "G()"),
]

BUILD_CASES = [
    C("build-tuple-list", "def f(a, b):\n    return (a, b), [a, b], [], (), [a], (a,)\n", (1, "x")),
    C("build-set", "def f(a, b):\n    return {a, b}, {a, b, a}\n", (1, 2)),
    C("build-set-unhashable", "def f(a, b):\n    return {a, b}\n", (1, [2])),
    C("build-map", "def f(a, b):\n    return {a: b, b: a}, {}\n", ("k", "v")),
    C("build-const-key-map", "def f(a, b):\n    return {'x': a, 'y': b, 'z': a + b}\n", (1, 2)),
    C("build-map-unhashable", "def f(a):\n    return {a: 1}\n", ([1],)),
    C("build-map-duplicate-keys", "def f(a):\n    return {1: a, 1.0: 'b', True: 'c'}\n", ("a",)),
    C("build-const-list-set", "def f():\n    return [1, 2, 3, 4], {1, 2, 3, 4}, (1, 2, 3)\n"),
    C("list-extend-star", "def f(a, b):\n    return [*a, *b], [0, *a, 9]\n", ([1, 2], (3, 4))),
    C("list-extend-star-str", "def f(a, b):\n    return [*a, *b]\n", ("ab", range(2))),
    C("list-extend-not-iterable", "def f(a, b):\n    return [*a, *b]\n", ([1], 2)),
    C("set-update-star", "def f(a, b):\n    return {*a}, {*a, *b}, {0, *b}\n", ([1, 1, 2], "xy")),
    C("build-big-list", "def f(x):\n    return [x, x + 1, x + 2, x + 3, x + 4, x + 5, x + 6, x + 7, x + 8, x + 9, x + 10, x + 11, x + 12, x + 13, x + 14, x + 15, x + 16, x + 17]\n", (1,)),
]

UNPACK_CASES = [
    C("unpack-tuple", "def f(t):\n    a, b = t\n    return b, a\n", ((1, 2),)),
    C("unpack-list-3", "def f(t):\n    a, b, c = t\n    return c, b, a\n", ([1, 2, 3],)),
    C("unpack-str", "def f(s):\n    a, b, c = s\n    return c + b + a\n", ("xyz",)),
    C("unpack-generator", """
        def gen():
            yield 1
            yield 2
        def f():
            a, b = gen()
            return a, b
        """),
    C("unpack-nested", "def f(t):\n    (a, b), c = t\n    return a, b, c\n", (((1, 2), 3),)),
    C("unpack-swap", "def f(a, b, c):\n    a, b = b, a\n    a, b, c = c, a, b\n    return a, b, c\n", (1, 2, 3)),
    C("unpack-too-many", "def f(t):\n    a, b = t\n    return a\n", ((1, 2, 3),)),
    C("unpack-too-few", "def f(t):\n    a, b, c = t\n    return a\n", ([1],)),
    C("unpack-non-iterable", "def f(t):\n    a, b = t\n    return a\n", (5,)),
    C("unpack-dict-keys", "def f(d):\n    a, b = d\n    return a, b\n", ({"x": 1, "y": 2},)),
    C("unpack-in-for", "def f(ps):\n    s = 0\n    for a, b in ps:\n        s += a * b\n    return s\n", ([(1, 2), (3, 4)],)),
    C("unpack-in-for-error", "def f(ps):\n    s = 0\n    for a, b in ps:\n        s += a * b\n    return s\n", ([(1, 2), (3, 4, 5)],)),
    C("unpack-tuple-subclass-and-fresh-tuples", """
        import collections
        P = collections.namedtuple("P", "x y")
        class T(tuple):
            def __iter__(self):
                return iter(("from", "__iter__"))
        def make(i):
            return ([i], {i: i})
        def f(n):
            out = []
            for i in range(n):
                a, b = make(i)       # the tuple's last reference goes; its items live on
                x, y = P(i, -i)
                u, v = T((1, 2))
                out.append((a, b, x, y, u, v))
            return out[-1], len(out)
        """, (20,)),
    # Four items or more: the function's shared unpacking routine.
    C("unpack-4-tuple-list-and-others", """
        def f(n):
            out = []
            for i in range(n):
                a, b, c, d = (i, -i, str(i), [i])
                e, g, h, k, m = [i, i + 1, None, (), "x"]
                try:
                    p, q, r, s = (1, 2, 3)
                except ValueError as exc:
                    p = q = r = s = str(exc)
                try:
                    p, q, r, s = [1, 2, 3, 4, 5]
                except ValueError as exc:
                    p = str(exc)
                w, x, y, z = (j * j for j in range(4))
                t1, t2, t3, t4 = "abcd"
                out.append((a, b, c, d, e, g, h, k, m, p, q, r, s, w, x, y, z, t1, t2, t3, t4))
            return out[-1], len(out)
        """, (30,)),
    C("unpack-4-release-order-and-lines", """
        import sys
        log = []
        class D:
            def __init__(self, tag):
                self.tag = tag
            def __del__(self):
                frame = sys._getframe(1)
                log.append((self.tag, frame.f_code.co_name, frame.f_lineno))
        def f():
            a, b, c, d = D("a0"), D("b0"), 1, D("d0")
            a, b, c, d = (
                D("a1"),
                2,
                D("c1"),
                3,
            )
            t = [D("t0"), D("t1"), D("t2"), D("t3")]
            a, b, c, d = t
            del t
            a, b, c, d = (D("x0"), D("x1"), D("x2"), D("x3"))
            a = b = c = d = None
            return log
        """),
    C("unpack-list-changes-size", """
        def f(n):
            xs = [1, 2]
            out = []
            for i in range(n):
                try:
                    a, b = xs
                    out.append(a + b)
                except ValueError as e:
                    out.append(str(e))
                xs.append(i) if i % 2 else xs.pop()
            return out
        """, (10,)),
    # The same sequence unpacked again into the locals that hold its items: only the
    # sequence is released. Any item that differs (first, middle, last), a local still
    # unbound, a repeated target or a list changed in place takes the full path.
    C("unpack-same-sequence-again", """
        def f(n):
            t = (1, "x", None, 2.5)
            xs = [object(), (), "y", 7]
            out = []
            for i in range(n):
                a, b, c, d = t
                e, g, h, k = xs
                p, p, q, r = t
                if i % 3 == 0:
                    xs[i % 4] = i
                if i == 5:
                    t = (1, "x", None, 3.5)
                if i == 7:
                    t = (0, "x", None, 3.5)
                if i == 9:
                    t = (0, "z", None, 3.5)
                out.append((a, b, c, d, type(e).__name__, g, h, k, p, q, r))
            return out
        """, (12,)),
    # The sequence read in place from its local, which is also a target: the local's
    # reference to it goes while its items are still being stored.
    C("unpack-into-its-own-local", """
        class D:
            log = []
            def __init__(self, tag):
                self.tag = tag
            def __del__(self):
                D.log.append(self.tag)
        def f(n):
            t = None
            for i in range(n):
                t = (D(i), t)
            out = []
            while t is not None:
                a, t = t
                out.append(a.tag)
            xs = [0, None]
            xs[1] = xs
            for _ in range(3):
                a, xs = xs
            xs[1] = None
            ys = [1, 2]
            for _ in range(3):
                ys, b = ys, ys[1]
            a = None
            return out, sorted(D.log), a, xs, ys, b
        """, (6,)),
]

COMPREHENSION_CASES = [
    C("listcomp", "def f(xs):\n    return [x * x for x in xs if x % 2]\n", (list(range(10)),)),
    C("setcomp", "def f(xs):\n    return {x % 3 for x in xs}\n", (list(range(10)),)),
    C("dictcomp", "def f(xs):\n    return {x: str(x) for x in xs}\n", ([3, 1, 2],)),
    # Comprehensions that read f's locals make them cells (closures): see DECLINED_CASES.
    C("nested-comp", "def f(n):\n    return [[j * 2 for j in range(k)] for k in range(n)]\n", (4,)),
    C("genexpr-sum", "def f(xs):\n    return sum(x * x for x in xs), any(x > 2 for x in xs), all(xs)\n", ([1, 2, 3],)),
    C("comp-raises", "def f(xs):\n    return [1 / x for x in xs]\n", ([1, 2, 0, 3],)),
    C("lambda-sort-key", "def f(ps):\n    return sorted(ps, key=lambda p: (-p[1], p[0]))\n", ([("a", 2), ("b", 3), ("c", 2)],)),
    C("lambda-map-filter", "def f(xs):\n    return list(map(lambda x: x + 1, filter(lambda x: x > 1, xs)))\n", ([0, 1, 2, 3],)),
    C("lambda-returned-and-called", "def f(k):\n    g = lambda x: x * 2\n    return g(k), g('ab')\n", (21,)),
    C("lambda-default", "def f(k):\n    g = lambda x, y=5: x + y\n    return g(k), g(k, k)\n", (1,)),
    C("lambda-raises", "def f(xs):\n    return list(map(lambda x: 10 // x, xs))\n", ([5, 0],)),
]

FSTRING_CASES = [
    C("fstring-plain", "def f(x, y):\n    return f'{x}-{y}'\n", (1, "a")),
    C("fstring-conversions", "def f(x):\n    return f'{x!r}|{x!s}|{x!a}'\n", ("héllo\n",)),
    C("fstring-spec", "def f(x, w):\n    return f'{x:>10}|{x:<6.2f}|{x:+.3e}|{x:{w}.1f}|{x:,.2f}'\n", (12345.678, 12)),
    C("fstring-int-spec", "def f(n):\n    return f'{n:08b}|{n:x}|{n:#o}|{n:_}|{n!r:>5}'\n", (255,)),
    C("fstring-bad-spec", "def f(s):\n    return f'{s:d}'\n", ("text",)),
    C("fstring-custom-format", """
        class F:
            def __format__(self, spec):
                return "F<" + spec + ">"
            def __repr__(self):
                return "F()"
        def f(o):
            return f"{o}|{o:abc}|{o!r}"
        """, "F()"),
    C("fstring-format-raises", """
        class F:
            def __format__(self, spec):
                raise RuntimeError("no format")
        def f(o):
            return f"x{o}y"
        """, "F()"),
    C("fstring-many-parts", "def f(a, b, c):\n    return f'a={a} b={b!r} c={c:.2f} sum={a + c}'\n", (1, "b", 2.5)),
    C("fstring-in-loop", "def f(n):\n    return ','.join([f'{i}:{i * i}' for i in range(n)]) + f'{n}'\n", (5,)),
]

EXCEPTION_CASES = [
    C("zerodiv-line-3", """
        def f(a):
            b = a + 1
            return b / (a - a)
        """, (1,)),
    C("callee-two-levels", """
        def h(x):
            return x["key"]
        def g(x):
            y = [x]
            return h(y[0]) + 1
        def f(x):
            z = g(x)
            return z
        """, ({},)),
    C("callee-two-levels-marked", """
        def h(x):
            return x.attr
        def g(x):
            return h(x) + 1
        def f(x):
            return g(x)
        """, (1,), jit_names=("f", "g", "h")),
    C("raise-in-helper", """
        def check(x):
            if x > 2:
                raise ValueError(f"too big: {x}")
            return x
        def f(xs):
            out = []
            for x in xs:
                out.append(check(x))
            return out
        """, ([1, 2, 3, 4],)),
    C("unbound-local", """
        def f(c):
            if c:
                x = 1
            return x
        """, (False,)),
    C("unbound-local-after-del", """
        def f(a):
            x = a
            del x
            return x
        """, (1,)),
    C("delete-fast-ok", """
        def f(a):
            x = a * 2
            y = x
            del x
            x = 3
            return x + y
        """, (4,)),
    C("exception-mid-loop-line", """
        def f(xs):
            total = 0
            for x in xs:
                total += 100 // x
            return total
        """, ([5, 4, 0, 2],)),
    C("multiline-expression-positions", """
        def f(a, b):
            return (a +
                    b *
                    2)
        """, ("x", 3)),
    C("type-error-message", "def f(a, b):\n    return a + b\n", (1, "2")),
    C("exception-from-builtin-in-expression", """
        def f(xs):
            return max(xs) + min(xs) + len(xs[5])
        """, ([3, 4],)),
    C("exception-in-comprehension", """
        def f(ks):
            return [int(k) for k in ks]
        """, (["1", "b"],)),
    C("recursion-marked-200-deep", """
        def f(n):
            if n == 0:
                return 0
            return 1 + f(n - 1)
        """, (200,)),
    C("exception-after-side-effects", """
        def f(a):
            a.append(1)
            a.append(2)
            return a[5]
        """, ([],)),
    C("stop-iteration-from-next", "def f(it):\n    return next(it), next(it)\n", lambda: (iter([1]),)),
]

PROGRAM_CASES = [
    # Functions made in a loop (MAKE_FUNCTION: the globals' __name__ and __builtins__
    # remembered while the globals' version stands): every attribute as the
    # interpreter makes it, also after __name__ or __builtins__ change or go away
    # between iterations, with a docstring, defaults, a closure and annotations.
    C("functions-made-in-a-loop-see-the-globals-change", """
        import builtins
        def f(n):
            g = globals()
            out = []
            saved_name, saved_builtins = g["__name__"], g["__builtins__"]
            try:
                for i in range(n):
                    def h(a, b=i, *, c=i + 1) -> int:
                        "doc"
                        return a + b + c + i
                    k = lambda: i
                    gen = (x * i for x in range(3))
                    out.append((h.__module__, h.__doc__, h.__name__, h.__qualname__, h.__defaults__,
                                h.__kwdefaults__, h.__annotations__, h.__builtins__ is builtins.__dict__,
                                h.__globals__ is g, h(1), k.__module__, k.__doc__, k(), list(gen),
                                len(h.__closure__), h.__dict__))
                    if i == 1:
                        g["__name__"] = "renamed"
                    elif i == 2:
                        del g["__name__"]
                    elif i == 3:
                        g["__builtins__"] = {"len": len}
                    elif i == 4:
                        g["__builtins__"] = builtins
                    elif i == 5:
                        g["__name__"] = 42
            finally:
                g["__name__"], g["__builtins__"] = saved_name, saved_builtins
            return out
        """, (8,)),
    C("bubble-sort", """
        def f(a):
            n = len(a)
            for i in range(n):
                for j in range(n - 1 - i):
                    if a[j] > a[j + 1]:
                        a[j], a[j + 1] = a[j + 1], a[j]
            return a
        """, ([5, 2, 9, 1, 5, 6, -3, 0],)),
    C("sieve", """
        def f(n):
            flags = [True] * (n + 1)
            flags[0] = flags[1] = False
            i = 2
            while i * i <= n:
                if flags[i]:
                    for j in range(i * i, n + 1, i):
                        flags[j] = False
                i += 1
            primes = []
            for i in range(n + 1):
                if flags[i]:
                    primes.append(i)
            return primes
        """, (500,)),
    C("fib-iterative-bigint", """
        def f(n):
            a, b = 0, 1
            for _ in range(n):
                a, b = b, a + b
            return a
        """, (300,)),
    C("matrix-multiply", """
        def f(a, b):
            n = len(a)
            m = len(b[0])
            k = len(b)
            c = []
            for _ in range(n):
                c.append([0] * m)
            for i in range(n):
                for j in range(m):
                    s = 0
                    for t in range(k):
                        s += a[i][t] * b[t][j]
                    c[i][j] = s
            return c
        """, ([[1, 2], [3, 4], [5, 6]], [[7, 8, 9], [10, 11, 12]])),
    C("nbody-ish-floats", """
        def f(steps):
            xs = [0.0, 1.0, -1.0]
            vs = [0.0, 0.5, -0.5]
            dt = 0.01
            for _ in range(steps):
                for i in range(3):
                    acc = 0.0
                    for j in range(3):
                        if i != j:
                            d = xs[j] - xs[i]
                            acc += d / (abs(d) ** 3 + 0.01)
                    vs[i] += acc * dt
                for i in range(3):
                    xs[i] += vs[i] * dt
            return xs, vs
        """, (200,)),
    C("word-frequencies", """
        def f(text):
            counts = {}
            for word in text.lower().split():
                word = word.strip(".,!?")
                if not word:
                    continue
                counts[word] = counts.get(word, 0) + 1
            top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            return top[:3], len(counts)
        """, ("The cat sat. The cat ran! A dog? The end.",)),
    C("string-building", """
        def f(n):
            parts = []
            for i in range(n):
                if i % 15 == 0:
                    parts.append("FizzBuzz")
                elif i % 3 == 0:
                    parts.append("Fizz")
                elif i % 5 == 0:
                    parts.append("Buzz")
                else:
                    parts.append(str(i))
            return " ".join(parts)
        """, (40,)),
    C("binary-search", """
        def f(a, x):
            lo, hi = 0, len(a)
            while lo < hi:
                mid = (lo + hi) // 2
                if a[mid] < x:
                    lo = mid + 1
                else:
                    hi = mid
            return lo
        """, (list(range(0, 1000, 3)), 500)),
    C("many-locals", """
        def f(a):
            b = a + 1; c = b + 1; d = c + 1; e = d + 1; g = e + 1; h = g + 1; i = h + 1
            j = i + 1; k = j + 1; l = k + 1; m = l + 1; n = m + 1; o = n + 1; p = o + 1
            return a + b + c + d + e + g + h + i + j + k + l + m + n + o + p
        """, (1,)),
    C("copy-swap-heavy", """
        def f(a, b, c, d):
            for _ in range(10):
                a, b, c, d = d, a, b, c
            return a, b, c, d
        """, (1, 2, 3, 4)),
]

# A temporary operand (refcount 1) of BINARY_OP's result type takes the result in
# place of a new object. Values around the small-int cache and the one-digit limit;
# shared operands (locals, list items) must come out untouched.
_TEMP_INTS = [-2**30, -2**30 + 1, -1000, -6, -5, -1, 0, 1, 255, 256, 257, 2**30 - 1, 2**30, 2**31, 10**20, True]
_TEMP_FLOATS = [0.5, -0.0, 1e308, NAN, INF, 3, -7]
TEMPORARY_CASES = [
    C("temporary-int-results", """
        CACHED = [256, -5, 257]
        def f(xs):
            out = []
            s, m, big = CACHED
            for a in xs:
                for b in xs:
                    out.append(((a + b) * 1, (a - b) + 0, 0 + (a * b), (a + 0) - (b + 0),
                                (a & 7) | (b + 1), -(a + b), (a + b) + (a + b),
                                (a + b) is s, (a - 1) is m, (a + 1) is big))
            return out
        """, (_TEMP_INTS,)),
    C("temporary-int-divisions", """
        def f(xs):
            out = []
            for a in xs:
                for b in xs:
                    if b:
                        out.append(((a + 0) // (b + 0), (a * 1) % (b * 1), (a + 1) / (b + 0)))
            return out
        """, (_TEMP_INTS,)),
    C("temporary-float-results", """
        def f(xs):
            out = []
            for a in xs:
                for b in xs:
                    out.append(((a * b) + 1.0, 1.0 + (a * b), (a - b) * (a + b), (a * 1.0) / 2.0, 2 * (a + 0.5)))
            return out
        """, (_TEMP_FLOATS,)),
    C("temporary-shared-operands-untouched", """
        def f(a, b, xs):
            t = a + b
            u = t + 1
            v = xs[0] + 1.5
            w = (xs[1] * 2) + t
            return t, u, v, w, xs
        """, (100000, 23456, [2.5, 7])),
    C("borrowed-locals-never-reused", """
        def f(a, b):
            t = a * 1.5
            u = t * 2.0
            v = 2.0 * t
            w = t - t
            k = b + 100000
            m = k * 3
            n = 3 - k
            return t, u, v, w, k, m, n
        """, (3.0, 70000)),
    C("borrowed-operands-errors-unwind", """
        class O:
            pass
        def f(a, b):
            o = O()
            out = []
            for v in (1, "s", None, 2.5):
                try:
                    out.append(a + v)
                except TypeError as e:
                    out.append(str(e))
                try:
                    out.append(v < a)
                except TypeError as e:
                    out.append(str(e))
                try:
                    out.append(o.missing)
                except AttributeError as e:
                    out.append(str(e))
                try:
                    out.append(b[v])
                except (TypeError, IndexError) as e:
                    out.append(str(e))
                try:
                    out.append(1 / (v * 0) if v != "s" else v * 2)
                except (TypeError, ZeroDivisionError) as e:
                    out.append(str(e))
            return out
        """, (7, [10, 20])),
    C("borrowed-owner-store-attr", """
        class S:
            __slots__ = ("a",)
        class P:
            @property
            def ro(self):
                return 1
        class D:
            pass
        def f(n):
            s, p, d, k = S(), P(), D(), 5
            d.__dict__["z"] = 0
            out = []
            for i in range(n):
                s.a = i
                d.z = i
                d.y = -i
                for target in (s, p, k):
                    try:
                        target.b = i
                    except AttributeError as e:
                        out.append(str(e))
                    try:
                        target.ro = i
                    except AttributeError as e:
                        out.append(str(e))
            return out, s.a, vars(d)
        """, (4,)),
    C("temporary-float-int-mix", """
        def f(n):
            acc = 0.0
            k = 0
            for i in range(n):
                acc = (acc + i * 0.5) * 0.99
                k = (k * 31 + i) % 1000003
            return acc, k
        """, (2000,)),
]

# BINARY_OP compiles the STORE_FAST after it: an exact float or int (not a cached
# small int) that only the target local and the operands hold takes the result in
# place. Every other holder of the old value must see it unchanged.
LOCAL_STORE_CASES = [
    C("local-store-float-kept-elsewhere", """
        def f(n):
            x = 1.0
            kept = []
            for i in range(n):
                kept.append(x)
                x = x * 1.5
                y = x - 0.25
                kept.append(y)
                y = y + y
            return kept, x, y
        """, (20,)),
    C("local-store-float-shared-then-updated", """
        def f(n):
            s = 0.5
            out = []
            for i in range(n):
                t = s
                s += 1.25
                out.append((t, s, t is s))
                d = s - t
                d = d * 2.0
                out.append(d)
            return out
        """, (10,)),
    C("local-store-int-kept-and-identity", """
        def f(n):
            i = 250
            total = 100000
            kept = []
            for _ in range(n):
                before = i
                i = i + 1
                kept.append((before, i, before is i))
                total = total + i * 3 - 7
                if total > 100500:
                    total = total - 499
                kept.append(total)
            return kept
        """, (30,)),
    C("local-store-small-int-singletons-untouched", """
        TOP, BOTTOM = 256, -5
        def f(n):
            m = 256
            k = -5
            for _ in range(n):
                m = m + 1
                k = k - 1
                m = 256
                k = -5
            return m, k, 256 + 0, -5 + 0, m is TOP, k is BOTTOM, [x for x in range(250, 260)]
        """, (5,)),
    C("local-store-unbound-and-deleted", """
        def f(a, b):
            out = []
            for i in range(3):
                if i:
                    del x
                x = a + b
                out.append(x)
                x = x + 0.5
                out.append(x)
            return out
        """, (1.25, 2)),
    C("local-store-same-local-both-operands", """
        def f(n):
            x = 1.5
            k = 3000
            out = []
            for _ in range(n):
                x = x + x
                k = k * k % 1000003
                out.append((x, k))
            return out
        """, (8,)),
    C("local-store-float-subclass-becomes-float", """
        class F(float):
            pass
        class I(int):
            pass
        def f(n):
            x = F(1.5)
            k = I(100000)
            out = []
            for _ in range(n):
                x = x + 1.0
                k = k + 1
                out.append((x, type(x).__name__, k, type(k).__name__))
            return out
        """, (3,)),
    C("local-store-locals-snapshot-untouched", """
        import sys
        def f(n):
            x = 2.5
            k = 5000
            snaps = []
            for _ in range(n):
                snap = dict(locals())
                x = x * 3.0
                k = k + 7
                snaps.append((snap["x"], snap["k"], sys._getframe().f_locals["x"]))
            return snaps, x, k
        """, (4,)),
    C("local-store-errors-leave-old-value", """
        def f(vals):
            x = 1.5
            k = 7000
            out = []
            for v in vals:
                try:
                    x = x / v
                except ZeroDivisionError as e:
                    out.append(("zero", x, str(e)))
                try:
                    k = k // v
                except (ZeroDivisionError, TypeError) as e:
                    out.append(("int", k, type(e).__name__))
                out.append((x, k))
            return out
        """, ([2, 0.0, 0, 4.0, 1],)),
    C("local-store-bools-and-mixed", """
        def f(n):
            x = 0.5
            k = 1000
            out = []
            for i in range(n):
                x = x + True
                k = k + True
                x = x - i
                k = k * 1.0 if i == 2 else k - i
                out.append((x, k))
            return out
        """, (5,)),
    C("local-store-in-generator", """
        def g(n):
            x = 1.0
            k = 1000
            for i in range(n):
                yield x, k
                x = x * 2.0
                k = k + 1000
        def f(n):
            held = list(g(n))
            return held
        """, (6,)),
]

# FOR_ITER steps range iterators inline and compiles the STORE_FAST after it; the
# loop variable's int object takes the next value in place when only the local
# holds it. Anything that keeps a reference to it must see its value unchanged.
RANGE_LOOP_CASES = [
    # Loop variables that are not plain locals (no fused STORE_FAST): past the small
    # ints, each value is a new int (found by CPython's test_itertools).
    C("range-loop-into-cell", "def f(n):\n    out = []\n    for i in range(250, n):\n        out.append((lambda: i)())\n    return out\n", (300,)),
    C("range-loop-into-listcomp-cell", "def f(xs, n):\n    return [[x + i for x in xs] for i in range(250, n)]\n", ([1, 2], 300)),
    C("range-loop-into-subscript", "def f(n):\n    a = [0]\n    seen = []\n    for a[0] in range(250, n):\n        seen.append(a[0])\n    return seen\n", (300,)),
    C("range-values-kept-elsewhere", """
        def f(start, stop, step):
            kept = []
            total = 0
            for i in range(start, stop, step):
                total += i
                if i % 7 == 0:
                    kept.append(i)
            return total, kept, i
        """, (2**30 - 40, 2**30 + 40, 3)),
    C("range-negative-step-across-cache", """
        def f(n):
            out = []
            for i in range(n, -n, -7):
                out.append(i * 1)
            last = None
            for j in range(300, 200, -1):
                last = j
            return out, last, j
        """, (400,)),
    C("range-large-values", """
        def f(n):
            total = 0
            for i in range(2**62 - n, 2**62):
                total += i & 0xFFFF
            for k in range(-2**40, -2**40 + n):
                total += k % 1000
            return total, i, k
        """, (50,)),
    C("range-variable-rebound-and-deleted", """
        def f(n):
            out = []
            for i in range(1000, 1000 + n):
                out.append(i)
                if i % 3 == 0:
                    i = "text"
                    out.append(i)
                if i == 1004:
                    del i
            return out
        """, (10,)),
    C("range-empty-and-huge", """
        def f(n):
            out = []
            for i in range(n, n):
                out.append(i)
            for i in range(2**64, 2**64 + 3):
                out.append(i)
            for i in range(len(out)):
                out[i] = out[i] - 1
            return out, i
        """, (5,)),
    C("range-loop-variable-seen-by-locals", """
        def f(n):
            snaps = []
            for i in range(500, 500 + n):
                snaps.append(dict(locals()))
            return [s["i"] for s in snaps]
        """, (5,)),
    C("for-store-fast-other-iterators", """
        def gen(n):
            for k in range(n):
                yield k * 1000
        def f(n):
            out = []
            for x in [3, 1, 2]:
                out.append(x)
            for x in gen(n):
                out.append(x)
            for x in {"a": 1, "b": 2}:
                out.append(x)
            for x in iter(range(n)):
                out.append(x)
            for a, b in zip(range(n), range(n, 0, -1)):
                out.append(a - b)
            return out
        """, (4,)),
]

# len(x) of an exact list, tuple or dict is read inline when the callable is
# builtins.len itself; everything else is a regular call.
LEN_CASES = [
    C("len-inline-and-not", """
        class L(list):
            def __len__(self):
                return 99
        class Big:
            def __init__(self, n=2**40):
                self.n = n
            def __len__(self):
                return self.n
        class Neg:
            def __len__(self):
                return -1
        class Raises:
            def __len__(self):
                raise KeyError("len")
        def f(n):
            out = []
            for i in range(n):
                out.append((len([0] * i), len(tuple(range(i * 40))), len({k: k for k in range(i)}),
                            len("abc" * i), len(L([1])), len(set(range(i))), len(range(i)),
                            len(frozenset(range(i))), len("\u00e9\U0001f600" * i), len(b"ab" * i),
                            len(Big()) if i == 3 else 0))
            for bad in (Neg(), Raises(), Big(2**70)):
                try:
                    out.append(len(bad))
                except Exception as e:
                    out.append((type(e).__name__, str(e)))
            try:
                len(5)
            except TypeError as e:
                out.append(str(e))
            try:
                len()
            except TypeError as e:
                out.append(str(e))
            return out
        """, (12,)),
    C("len-shadowed", """
        def f(n):
            len = lambda x: "mine"
            return [len([1, 2]) for _ in range(n)], len(())
        """, (3,)),
    C("len-global-rebound", """
        import builtins
        def f(n):
            out = []
            for i in range(n):
                out.append(len([1, 2, 3]))
                if i == 2:
                    builtins.len, saved = (lambda x: -1), builtins.len
            builtins.len = saved
            return out
        """, (5,)),
]

# list.append(x) with room left stores x inline (the descriptor of list.append
# itself, an exact list); a resize, a subclass, another append go the regular way.
APPEND_CASES = [
    C("append-inline-and-not", """
        class L(list):
            def append(self, x):
                super().append(("sub", x))
        class M(list):
            pass
        def f(n):
            a, b, c = [], L(), M()
            objs = []
            for i in range(n):
                a.append(i)
                a.append(None)
                b.append(i)
                c.append(-i)
                o = object()
                a.append(o)
                objs.append(o)
            app = a.append
            app("bound")
            try:
                a.append()
            except TypeError as e:
                a.append(str(e))
            try:
                a.append(1, 2)
            except TypeError as e:
                a.append(str(e))
            import sys
            return a[:9], len(a), b[:3], c[:3], [sys.getrefcount(o) for o in objs[:3]]
        """, (300,)),
]

_BOUND_IN_LOOP_BODY = """
    def f(n):
        for i in range(n):
            y = i
        return y
    """
_BOUND_IF_IN_LOOP = """
    def f(xs):
        for x in xs:
            if x > 0:
                last = x
        return last
    """

# The compiler drops LOAD_FAST's unbound test where a "definitely assigned" analysis
# proves the local bound; these probe the analysis at its edges.
BOUND_LOCAL_CASES = [
    C("bound-argument-deleted", """
        def f(x):
            del x
            return x
        """, (1,)),
    C("bound-argument-deleted-in-loop", """
        def f(x, n):
            out = []
            for i in range(n):
                out.append(x)
                if i == 1:
                    del x
            return out
        """, (7, 4)),
    C("bound-argument-deleted-then-rebound", """
        def f(x, n):
            out = []
            for i in range(n):
                out.append(x)
                del x
                x = i
            return out, x
        """, (7, 4)),
    C("bound-loop-body-only-empty", _BOUND_IN_LOOP_BODY, (0,)),
    C("bound-loop-body-only", _BOUND_IN_LOOP_BODY, (3,)),
    C("bound-conditional-in-loop", _BOUND_IF_IN_LOOP, ([-1, -3],)),
    C("bound-conditional-in-loop-set", _BOUND_IF_IN_LOOP, ([-1, 2, -3],)),
    C("bound-try-assignment-raised", """
        def f(d):
            try:
                v = d["k"]
            except KeyError:
                return v
            return v
        """, ({},)),
    C("bound-except-as-deleted", """
        def f():
            try:
                1 / 0
            except ZeroDivisionError as e:
                pass
            return e
        """),
    C("bound-while-break", """
        def f(n):
            while n > 0:
                if n == 2:
                    found = n
                    break
                n -= 1
            return found
        """, (1,)),
    C("bound-kwonly-varargs", """
        def f(a, *args, k=1, **kw):
            return a, args, k, kw
        """, (1, 2, 3), {"k": 4, "z": 5}),
    C("bound-varargs-deleted", """
        def f(*args, **kw):
            del kw
            return args, kw
        """, (1,)),
]

# STORE_FAST, POP_TOP and UNPACK_SEQUENCE set prev_instr only on their way to a
# deallocation: a destructor still sees the frame's line.
RELEASE_LINE_CASES = [
    C("release-line-store-pop-unpack", """
        import sys
        lines = []
        class D:
            def __del__(self):
                frame = sys._getframe(1)
                lines.append((frame.f_code.co_name, frame.f_lineno))
        def f():
            x = D()
            x = None
            D()
            a, b = D(), 1
            a = 0
            t = (D(), 2)
            a, b = t
            del t
            a = 0
            for i in range(2):
                y = D()
            y = 1
            return lines
        """),
]

ALL_COMPILED = (
    BINARY_CASES + MATMUL_CASES + ARITH_CASES + UNARY_CASES + COMPARE_CASES + IS_CONTAINS_CASES
    + CONTROL_CASES + ITER_CASES + GLOBAL_CASES + ATTR_CASES + CALL_CASES + SUBSCR_CASES
    + BUILD_CASES + UNPACK_CASES + COMPREHENSION_CASES + FSTRING_CASES + EXCEPTION_CASES + PROGRAM_CASES
    + BOUND_LOCAL_CASES + RELEASE_LINE_CASES + TEMPORARY_CASES + LOCAL_STORE_CASES + RANGE_LOOP_CASES + LEN_CASES + APPEND_CASES
    + SLICE_CASES
)


@pytest.mark.parametrize("src, args, kwargs, opts", ALL_COMPILED)
def test_compiled_matches_interpreter(src: str, args: Any, kwargs: dict[str, Any] | None, opts: dict[str, Any]) -> None:
    run_diff(src, args, kwargs, **opts)


def test_matmul_augmented_g_compiles() -> None:
    run_diff(MATMUL_SRC, "N(5), M(2)", entry="g", jit_names=("g",))


def test_traceback_line_numbers_exact() -> None:
    """Beyond matching the interpreter: the failing line is the one written."""
    src = textwrap.dedent("""
        def f(a):
            b = a + 1
            return b / (a - a)
        """)
    out = run_diff(src, (1,))
    assert out.kind == "raise"
    name, message, frames = out.value
    assert name == "ZeroDivisionError"
    assert frames[-1][:2] == ("f", 4)  # line 4 of the dedented source (line 1 is blank)


def test_kwargs_passed_in() -> None:
    run_diff("def f(a, *, b=2, c):\n    return a, b, c\n", (1,), {"c": 3})


def test_many_calls_stay_correct() -> None:
    """Hundreds of calls through the compiled entry, results all equal."""
    pair = DiffPair("def f(a, b):\n    return a * b - (a // (b or 1))\n")
    for a in range(-20, 20, 3):
        for b in (-3, 0, 7, 2**40):
            pair.check((a, b), calls=1)
    pair.assert_compiled()


# ---------------------------------------------------------------------------
# Property-based: random operands through the compiled arithmetic

_PAIRS: dict[str, DiffPair] = {}


def _pair(src: str) -> DiffPair:
    if src not in _PAIRS:
        _PAIRS[src] = DiffPair(src)
    return _PAIRS[src]


ints = st.one_of(st.integers(min_value=-(2**64), max_value=2**64), st.sampled_from([0, 1, -1, 2**63 - 1, -(2**63), 2**62]))
floats = st.floats(allow_nan=True, allow_infinity=True)
numbers = st.one_of(ints, floats, st.booleans())
HYP = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@HYP
@given(a=numbers, b=numbers, op=st.sampled_from(["+", "-", "*", "/", "//", "%"]))
def test_hypothesis_arith(a: Any, b: Any, op: str) -> None:
    pair = _pair(f"def f(a, b):\n    x = a {op} b\n    a {op}= b\n    return x, a\n")
    pair.check((a, b), calls=1)
    pair.assert_compiled()


@HYP
@given(a=ints, b=st.integers(min_value=-70, max_value=70), op=st.sampled_from(["<<", ">>", "&", "|", "^", "**"]))
def test_hypothesis_int_bits(a: int, b: int, op: str) -> None:
    if op == "**":
        a = a % 1000
    pair = _pair(f"def f(a, b):\n    return a {op} b\n")
    pair.check((a, b), calls=1)
    pair.assert_compiled()


@HYP
@given(a=numbers, b=numbers)
def test_hypothesis_compare(a: Any, b: Any) -> None:
    pair = _pair("def f(a, b):\n    return a < b, a <= b, a == b, a != b, a > b, a >= b, (1 if a < b else 2)\n")
    pair.check((a, b), calls=1)
    pair.assert_compiled()


@HYP
@given(a=numbers)
def test_hypothesis_unary(a: Any) -> None:
    pair = _pair("def f(a):\n    r = -a, +a, not a\n    if type(a) is not float:\n        r = r + (~a,)\n    return r\n")
    pair.check((a,), calls=1)
    pair.assert_compiled()


@HYP
@given(xs=st.lists(ints, max_size=30), i=st.integers(min_value=-35, max_value=35))
def test_hypothesis_list_ops(xs: list[int], i: int) -> None:
    pair = _pair(textwrap.dedent("""
        def f(xs, i):
            t = 0
            for x in xs:
                if x > 0 and x % 3 != 1:
                    t += x
            ys = sorted(xs)
            return t, xs[i:], xs[::-1][:3], xs[i], ys
        """))
    pair.check((xs, i), calls=1)
    pair.assert_compiled()


@HYP
@given(s=st.text(max_size=20), x=st.one_of(ints, floats, st.text(max_size=5)))
def test_hypothesis_strings(s: str, x: Any) -> None:
    pair = _pair("def f(s, x):\n    return f'{s}{x!r}{x!s:>4}', s[1:], s * 2, s in 'abc', len(s)\n")
    pair.check((s, x), calls=1)
    pair.assert_compiled()


# ---------------------------------------------------------------------------
# Declined for now, but still correct. When the compiler learns one of these,
# move the case up and add its opcodes to difftest.COMPILED_OPCODES.

# Compiled: closures, with, star-calls and star-unpacking, imports, globals, class
# statements, asserts and match, raises and exception handlers, all as machine code
# (PATTERN_CASES and EXCEPT_STAR_CASES below also check that nothing leaves for the
# interpreter mid-frame).
EXCEPTION_PATH_CASES = [
    C("with-statement", """
        class Ctx:
            def __init__(self):
                self.log = []
            def __enter__(self):
                self.log.append("enter")
                return self
            def __exit__(self, *exc):
                self.log.append("exit")
                return False
        def f(c):
            with c as inner:
                inner.log.append("body")
            return c.log
        """, "Ctx()"),
    C("closure", """
        def f(x):
            def inner(y):
                return x + y
            return inner(1)
        """, (41,)),
    C("import-in-function", "def f(x):\n    import math\n    return math.floor(x)\n", (2.5,)),
    C("global-statement", "N = 0\ndef f():\n    global N\n    N += 1\n    return N\n"),
    C("class-body", "def f(v):\n    class K:\n        a = v\n    return K.a\n", (3,)),
    C("call-function-ex-kwargs", "def g(**kw):\n    return sorted(kw)\ndef f(d):\n    return g(**d)\n", ({"b": 1, "a": 2},)),
    C("call-function-ex-args", "def g(*a):\n    return a\ndef f(xs):\n    return g(*xs)\n", ([1, 2],)),
    C("star-unpack", "def f(t):\n    a, *b = t\n    return a, b\n", ((1, 2, 3),)),
    C("assert-statement", "def f(x):\n    assert x > 0, 'positive'\n    return x\n", (-1,)),
    C("comprehension-reads-local", "def f(xs, k):\n    return [x * k for x in xs]\n", ([1, 2], 3)),
    C("try-except", """
        def f(x):
            try:
                return 1 / x
            except ZeroDivisionError:
                return "div"
        """, (0,)),
    C("try-finally", """
        def f(log):
            try:
                log.append("body")
                return len(log)
            finally:
                log.append("finally")
        """, ([],)),
    C("del-subscript", "def f(a):\n    del a[0]\n    return a\n", ([1, 2, 3],)),
    C("raise-statement", "def f(x):\n    if x:\n        raise ValueError(x)\n    return 0\n", (5,)),
    C("dict-unpack", "def f(a, b):\n    return {**a, **b}\n", ({"x": 1}, {"y": 2})),
    C("try-except-no-exception", """
        def f(x):
            try:
                y = 10 // x
            except ZeroDivisionError:
                y = -1
            return y + 1
        """, (3,)),
    C("raise-in-loop-caught-by-caller", """
        def g(i):
            if i == 3:
                raise KeyError(i)
            return i
        def f(n):
            total = 0
            for i in range(n):
                total += g(i)
            return total
        """, (5,)),
    C("bare-raise-traceback", """
        def f(x):
            try:
                return 1 // x
            except ZeroDivisionError:
                raise
        """, (0,)),
]


@pytest.mark.parametrize("src, args, kwargs, opts", EXCEPTION_PATH_CASES)
def test_exception_paths_compiled(src: str, args: Any, kwargs: dict[str, Any] | None, opts: dict[str, Any]) -> None:
    run_diff(src, args, kwargs, **opts)


def test_case_count() -> None:
    """The brief asks for 150+ compiled differential cases."""
    assert len(ALL_COMPILED) >= 150


# ---------------------------------------------------------------------------
# The rest of the language: each family compiled and compared with the interpreter.

LANGUAGE_CASES = [
    C("closure-read", "def f(x):\n    def inner(y):\n        return x + y\n    return inner(1)\n", (41,)),
    C("closure-nonlocal", "def f(x):\n    def inner():\n        nonlocal x\n        x += 1\n        return x\n    inner()\n    inner()\n    return x\n", (1,)),
    C("closure-cell-argument", "def f(a, b):\n    g = lambda: a * b\n    a = a + 1\n    return g()\n", (3, 4)),
    C("closure-unbound-cell", "def f(flag):\n    def g():\n        return v\n    if flag:\n        v = 1\n    return g()\n", (False,)),
    C("closure-delete-deref", "def f():\n    x = 1\n    def g():\n        return x\n    del x\n    return g()\n"),
    C("comprehension-closure", "def f(xs, k):\n    return [x * k for x in xs], {x: k for x in xs}, {k + x for x in xs}\n", ([1, 2, 3], 3)),
    C("with-returns-enter", """
        class C:
            def __init__(self):
                self.log = []
            def __enter__(self):
                self.log.append("enter")
                return 5
            def __exit__(self, *exc):
                self.log.append(("exit", exc[0]))
                return False
        def f(c):
            with c as v:
                r = v + 1
            return r, c.log
        """, "C()"),
    C("with-suppresses", """
        class C:
            def __enter__(self):
                return self
            def __exit__(self, *exc):
                return True
        def f():
            with C():
                1 / 0
            return "after"
        """),
    C("with-propagates", """
        class C:
            def __enter__(self):
                return self
            def __exit__(self, *exc):
                return False
        def f():
            with C():
                return [][1]
        """),
    C("with-not-a-manager", "def f():\n    with 5:\n        pass\n"),
    C("with-enter-raises", """
        class C:
            def __enter__(self):
                raise KeyError("enter")
            def __exit__(self, *exc):
                return True
        def f():
            with C():
                return 1
        """),
    C("star-call", "def g(*a, **k):\n    return a, sorted(k.items())\ndef f(xs, d):\n    return g(*xs, **d), g(1, *xs), g(*(1, 2)), g(**d, z=1)\n", ([1, 2], {"b": 1})),
    C("star-call-iterator", "def g(*a):\n    return a\ndef f(n):\n    return g(*(i * i for i in range(n)))\n", (4,)),
    C("star-call-not-iterable", "def g(*a):\n    return a\ndef f():\n    return g(*5)\n"),
    C("star-call-not-mapping", "def g(**k):\n    return k\ndef f():\n    return g(**[1])\n"),
    C("star-call-duplicate-keyword", "def g(**k):\n    return k\ndef f(d):\n    return g(a=1, **d)\n", ({"a": 2},)),
    C("star-unpack-middle", "def f(t):\n    a, *b, c = t\n    return a, b, c\n", ((1, 2, 3, 4),)),
    C("star-unpack-short", "def f(t):\n    a, b, *c = t\n    return a, b, c\n", ((1,),)),
    C("star-unpack-iterator", "def f(n):\n    *a, b = iter(range(n))\n    return a, b\n", (5,)),
    C("star-unpack-not-iterable", "def f():\n    a, *b = 3\n    return a\n"),
    C("import-module", "def f(x):\n    import math\n    return math.floor(x)\n", (2.5,)),
    C("import-from", "def f():\n    from os import path, sep\n    return path.join('a', 'b'), sep\n"),
    C("import-from-missing", "def f():\n    from os import no_such_name\n    return no_such_name\n"),
    C("import-missing-module", "def f():\n    import no_such_module_pyjion\n"),
    C("global-store-delete", "N = 0\ndef f():\n    global N\n    N += 1\n    del N\n    N = 5\n    return N\n"),
    C("global-delete-missing", "def f():\n    global MISSING_GLOBAL\n    del MISSING_GLOBAL\n"),
    C("assert-fails", "def f(x):\n    assert x > 0, 'positive'\n    return x\n", (-1,)),
    C("assert-passes", "def f(x):\n    assert x > 0\n    return x\n", (3,)),
    C("class-statement", "def f(v):\n    class K:\n        a = v\n        def m(self):\n            return self.a * 2\n    return K().m()\n", (3,)),
    C("match-sequence", "def f(v):\n    match v:\n        case [a, b]:\n            return a + b\n        case [a, *rest]:\n            return a, rest\n        case _:\n            return None\n", ([1, 2, 3],)),
    C("match-mapping", "def f(v):\n    match v:\n        case {'k': x, **rest}:\n            return x, rest\n        case _:\n            return None\n", ({"k": 1, "j": 2},)),
    C("match-class", "def f(v):\n    match v:\n        case int(x) if x > 2:\n            return 'big'\n        case int():\n            return 'int'\n        case str() | bytes():\n            return 'text'\n    return 'other'\n", (7,)),
    C("match-literal", "def f(v):\n    match v:\n        case 1 | 2:\n            return 'small'\n        case None:\n            return 'none'\n        case 'a':\n            return 'a'\n    return 'other'\n", ("a",)),
    C("delete-attribute", "class O:\n    pass\ndef f():\n    o = O()\n    o.a = 1\n    del o.a\n    try:\n        del o.a\n    except AttributeError as e:\n        return str(e), hasattr(o, 'a')\n"),
    C("annotated-inner-function", "def f():\n    def g(a: int, b: 'str' = 'x') -> list:\n        return a\n    return g.__annotations__, g(1)\n"),
    C("try-finally-return", "def f(log):\n    for i in range(3):\n        try:\n            if i == 1:\n                continue\n            log.append(i)\n        finally:\n            log.append('f')\n    return log\n", ([],)),
    C("exception-handler-then-loop", "def f(xs):\n    total = 0\n    for x in xs:\n        try:\n            total += 10 // x\n        except ZeroDivisionError:\n            total -= 1\n    return total\n", ([1, 0, 2, 0, 5],)),
]


@pytest.mark.parametrize("src, args, kwargs, opts", LANGUAGE_CASES)
def test_language_compiled(src: str, args: Any, kwargs: dict[str, Any] | None, opts: dict[str, Any]) -> None:
    run_diff(src, args, kwargs, **opts)


# Code run with its own locals mapping: class bodies, exec with separate locals, and
# interactive code compile too (module bodies, which run once, stay in the evaluator).
NAMESPACE_SOURCES = {
    "class-body": """
        X = 10
        def make(v):
            class K:
                a = v
                b = a + X
                c: int = 3
                def m(self):
                    return __class__.__name__ + str(self.a)
                del b
                try:
                    b
                except NameError as e:
                    err = str(e)
            return K
        def f(v):
            K = make(v)
            return K.a, K().m(), K.__annotations__, K.err, hasattr(K, 'b')
        """,
    "class-deref": """
        def f(x):
            class C:
                y = x
                def g(self):
                    return x
            return C.y, C().g()
        """,
}


@pytest.mark.parametrize("name", sorted(NAMESPACE_SOURCES))
def test_namespace_code_compiled(name: str) -> None:
    import textwrap
    import types as _types

    source = textwrap.dedent(NAMESPACE_SOURCES[name])
    results = []
    for jit in (False, True):
        ns: dict = {}
        exec(compile(source, f"<{name}>", "exec"), ns)
        bodies = []
        if jit:
            for value in list(ns.values()):
                if isinstance(value, _types.FunctionType):
                    pyjion.jit(value)
                    bodies += [c for c in value.__code__.co_consts if isinstance(c, _types.CodeType)]
            for body in bodies:
                pyjion._pyjion.mark_jit(body)
        results.append([ns["f"](v) for v in (1, 2)])
        for body in bodies:
            assert pyjion.info(body).compiled, (body.co_name, pyjion.info(body))
    assert results[0] == results[1]


def test_exec_with_own_locals_and_interactive_code() -> None:
    import io
    import contextlib

    source = "a = 1\nb = a + 2\ndel a\nc = [b * 2, b * 3]\n"
    code = compile(source, "<exec-locals>", "exec")
    interactive = compile("b * 7\n", "<single>", "single")
    pyjion._pyjion.mark_jit(code)
    pyjion._pyjion.mark_jit(interactive)
    interpreted: dict = {}
    exec(compile(source, "<exec-locals>", "exec"), {}, interpreted)
    compiled: dict = {}
    exec(code, {}, compiled)
    assert compiled == interpreted and pyjion.info(code).compiled
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(interactive, {}, compiled)
    assert out.getvalue() == "21\n" and pyjion.info(interactive).compiled


# ---------------------------------------------------------------------------
# Mapping and class patterns (MATCH_KEYS, MATCH_CLASS) and except* (CHECK_EG_MATCH,
# PREP_RERAISE_STAR) run as machine code: each case must be compiled and must run to
# the end without leaving for the interpreter mid-frame.

PATTERN_CASES = [
    # -- mapping patterns
    C("map-rest", "def f(v):\n    match v:\n        case {'k': x, **rest}:\n            return x, rest\n    return None\n", ({"k": 1, "j": 2, 3: 4},)),
    C("map-several-keys", "def f(v):\n    match v:\n        case {'a': a, 'b': [b, *_], 3: c}:\n            return a, b, c\n        case {'a': a}:\n            return a\n    return 'none'\n", ({"a": 1, "b": [2, 5], 3: "c"},)),
    C("map-missing-key", "def f(v):\n    match v:\n        case {'a': 1, 'zz': z}:\n            return z\n        case {'a': a}:\n            return 'only a', a\n    return 'none'\n", ({"a": 1, "b": 2},)),
    C("map-value-mismatch", "def f(v):\n    match v:\n        case {'a': 2}:\n            return 'two'\n        case {'a': 1, **r}:\n            return r\n    return 'none'\n", ({"a": 1, "b": 2},)),
    C("map-empty-pattern-and-rest", "def f(v):\n    match v:\n        case {**r} if r:\n            return sorted(r)\n        case {}:\n            return 'empty'\n    return 'none'\n", ({"b": 1, "a": 2},)),
    C("map-not-a-mapping", "def f(v):\n    match v:\n        case {'a': x}:\n            return x\n    return 'none'\n", ([("a", 1)],)),
    C("map-in-loop", """
        def f(rows):
            out = []
            for r in rows:
                match r:
                    case {'op': 'add', 'x': x, 'y': y}:
                        out.append(x + y)
                    case {'op': 'neg', 'x': x}:
                        out.append(-x)
                    case {'op': op, **rest}:
                        out.append((op, sorted(rest)))
                    case _:
                        out.append(None)
            return out
        """, ([{"op": "add", "x": 1, "y": 2}, {"op": "neg", "x": 5}, {"op": "mul", "q": 1}, {"x": 1}, 7] * 3,)),
    C("map-duplicate-key", """
        class K:
            a = 'x'
            b = 'x'
        def f(v):
            match v:
                case {K.a: 1, K.b: 2}:
                    return 'matched'
            return 'none'
        """, ({"x": 1, "y": 2},)),
    C("map-duplicate-key-equal-values", """
        class K:
            a = 1
            b = 1.0
        def f(v):
            match v:
                case {K.a: _, K.b: _}:
                    return 'matched'
            return 'none'
        """, ({1: 1, 2: 2},)),
    C("map-unhashable-key", """
        class K:
            a = []
        def f(v):
            match v:
                case {K.a: 1}:
                    return 'matched'
            return 'none'
        """, ({"x": 1},)),
    C("map-custom-get", """
        import collections.abc
        class M(collections.abc.Mapping):
            def __init__(self, d):
                self.d = d
                self.log = []
            def __getitem__(self, k):
                self.log.append(('getitem', k))
                return self.d[k]
            def __iter__(self):
                return iter(self.d)
            def __len__(self):
                return len(self.d)
            def get(self, k, default=None):
                self.log.append(('get', k, type(default).__name__))
                return self.d.get(k, default)
        def f(m):
            match m:
                case {'a': 1, 'b': b, **rest}:
                    return b, rest, m.log
            return m.log
        """, "M({'a': 1, 'b': 2, 'c': 3})"),
    C("map-get-instance-attribute", """
        import collections.abc
        class M(collections.abc.Mapping):
            def __init__(self, d):
                self.d = d
                self.get = lambda k, default: ('instance', self.d.get(k, default))[1]
            def __getitem__(self, k):
                return self.d[k]
            def __iter__(self):
                return iter(self.d)
            def __len__(self):
                return len(self.d)
        def f(m):
            match m:
                case {'a': a, 'b': b}:
                    return a, b
            return 'none'
        """, "M({'a': 1, 'b': 2})"),
    C("map-get-raises", """
        import collections.abc
        class M(collections.abc.Mapping):
            def __getitem__(self, k):
                raise KeyError(k)
            def __iter__(self):
                return iter(())
            def __len__(self):
                return 3
            def get(self, k, default=None):
                raise RuntimeError('get failed for ' + repr(k))
        def f(m):
            match m:
                case {'a': a}:
                    return a
            return 'none'
        """, "M()"),
    C("map-registered-without-get", """
        import collections.abc
        class M:
            def __len__(self):
                return 1
        collections.abc.Mapping.register(M)
        def f(m):
            match m:
                case {'a': a}:
                    return a
            return 'none'
        """, "M()"),
    C("map-defaultdict-no-insert", """
        import collections
        def f(d):
            match d:
                case {'missing': x}:
                    return x
                case {'a': a}:
                    return a, sorted(d)
            return 'none'
        """, lambda: (__import__("collections").defaultdict(list, a=1),)),
    C("map-dict-subclass-get", """
        class D(dict):
            def get(self, k, default=None):
                return 'always'
        def f(d):
            match d:
                case {'x': x, 'y': y}:
                    return x, y
            return 'none'
        """, "D(x=1, z=2)"),
    C("map-missing-dunder", """
        class D(dict):
            def __missing__(self, k):
                return 'made'
        def f(d):
            match d:
                case {'x': x}:
                    return x
                case {}:
                    return 'fell through', dict(d)
        """, "D(y=1)"),
    # -- class patterns
    C("class-positional-and-keyword", """
        class P:
            __match_args__ = ('x', 'y')
            def __init__(self, x, y):
                self.x, self.y = x, y
        def f(vs):
            out = []
            for v in vs:
                match v:
                    case P(0, 0):
                        out.append('origin')
                    case P(x, 0):
                        out.append(('x-axis', x))
                    case P(x=0, y=y):
                        out.append(('y-axis', y))
                    case P(x, y=y) if x == y:
                        out.append(('diagonal', x))
                    case P(a, b):
                        out.append((a, b))
                    case _:
                        out.append('other')
            return out
        """, "[P(0, 0), P(3, 0), P(0, 4), P(5, 5), P(1, 2), 7, 'P']"),
    C("class-keyword-only", """
        class Q:
            def __init__(self):
                self.a = 1
                self.b = [2, 3]
        def f(v):
            match v:
                case Q(a=1, b=[x, y]):
                    return x + y
            return 'none'
        """, "Q()"),
    C("class-missing-attribute", """
        class Q:
            a = 1
        def f(v):
            match v:
                case Q(nope=1):
                    return 'impossible'
                case Q(a=a):
                    return a
            return 'none'
        """, "Q()"),
    C("class-too-many-positional", """
        class P:
            __match_args__ = ('x', 'y')
            x = y = 0
        def f(v):
            match v:
                case P(a, b, c):
                    return 'three'
            return 'none'
        """, "P()"),
    C("class-one-positional-allowed", """
        class P:
            __match_args__ = ('x',)
            x = 0
        def f(v):
            match v:
                case P(a, b):
                    return 'two'
            return 'none'
        """, "P()"),
    C("class-no-match-args", """
        class P:
            pass
        def f(v):
            match v:
                case P(a):
                    return a
            return 'none'
        """, "P()"),
    C("class-match-args-not-tuple", """
        class P:
            __match_args__ = ['x']
            x = 1
        def f(v):
            match v:
                case P(a):
                    return a
            return 'none'
        """, "P()"),
    C("class-match-args-element-not-str", """
        class P:
            __match_args__ = ('x', 3)
            x = 1
        def f(v):
            match v:
                case P(a, b):
                    return a
            return 'none'
        """, "P()"),
    C("class-duplicate-attribute", """
        class P:
            __match_args__ = ('x',)
            x = 1
        def f(v):
            match v:
                case P(a, x=b):
                    return a, b
            return 'none'
        """, "P()"),
    C("class-not-a-type", """
        class NS:
            not_a_type = len
        def f(v):
            match v:
                case NS.not_a_type():
                    return 'matched'
            return 'none'
        """, (5,)),
    C("class-not-a-type-no-match-first", """
        class NS:
            thing = 5
        def f(v):
            match v:
                case int():
                    return 'int'
                case NS.thing(a=1):
                    return 'matched'
            return 'none'
        """, ("s",)),
    C("class-builtins-match-self", """
        def f(vs):
            out = []
            for v in vs:
                match v:
                    case bool(b):
                        out.append(('bool', b))
                    case int(i):
                        out.append(('int', i))
                    case float(x):
                        out.append(('float', x))
                    case str(s):
                        out.append(('str', s))
                    case bytes(b) | bytearray(b):
                        out.append(('bytes', b))
                    case list([a, *_]) | tuple((a, *_)):
                        out.append(('seq', a))
                    case dict(d) | frozenset(d) | set(d):
                        out.append(('coll', type(d).__name__, len(d)))
                    case _:
                        out.append(('other', type(v).__name__))
            return out
        """, ([True, 3, 2.5, "s", b"b", bytearray(b"c"), [1, 2], (3,), {1: 2}, frozenset({1}), {4, 5}, None, 1j],)),
    C("class-builtin-too-many", "def f(v):\n    match v:\n        case int(a, b):\n            return a\n    return 'none'\n", (3,)),
    C("class-builtin-keyword", "def f(v):\n    match v:\n        case int(real=r, imag=i):\n            return r, i\n    return 'none'\n", (3,)),
    C("class-int-subclass-with-match-args", """
        class MyInt(int):
            __match_args__ = ('real',)
        def f(v):
            match v:
                case MyInt(r):
                    return 'real', r
            return 'none'
        """, "MyInt(4)"),
    C("class-int-subclass-self", """
        class MyInt(int):
            pass
        def f(v):
            match v:
                case MyInt(r):
                    return type(r).__name__, r
            return 'none'
        """, "MyInt(4)"),
    C("class-attribute-raises", """
        class P:
            __match_args__ = ('x',)
            @property
            def x(self):
                raise ValueError('no x')
        def f(v):
            match v:
                case P(1):
                    return 'one'
            return 'none'
        """, "P()"),
    C("class-attribute-raises-attributeerror", """
        class P:
            __match_args__ = ('x',)
            @property
            def x(self):
                raise AttributeError('x is hidden')
        def f(v):
            match v:
                case P(a):
                    return a
                case P():
                    return 'bare'
            return 'none'
        """, "P()"),
    C("class-instancecheck", """
        class Meta(type):
            def __instancecheck__(cls, obj):
                return obj == 'yes'
        class Fake(metaclass=Meta):
            pass
        def f(vs):
            out = []
            for v in vs:
                match v:
                    case Fake(upper=u):
                        out.append(u())
                    case _:
                        out.append('no')
            return out
        """, (["yes", "no", 3],)),
    C("class-instancecheck-raises", """
        class Meta(type):
            def __instancecheck__(cls, obj):
                raise TypeError('refuse ' + repr(obj))
        class Fake(metaclass=Meta):
            pass
        def f(v):
            match v:
                case Fake():
                    return 'matched'
            return 'none'
        """, (1,)),
    C("class-match-args-lookup-raises", """
        class Meta(type):
            @property
            def __match_args__(cls):
                raise RuntimeError('no args for you')
        class P(metaclass=Meta):
            pass
        def f(v):
            match v:
                case P(a):
                    return a
            return 'none'
        """, "P()"),
    C("class-namedtuple", """
        from collections import namedtuple
        Pt = namedtuple('Pt', 'x y', defaults=(0,))
        def f(vs):
            out = []
            for v in vs:
                match v:
                    case Pt(0, y):
                        out.append(('on y', y))
                    case Pt(x, y=0):
                        out.append(('on x', x))
                    case Pt(x, y):
                        out.append((x, y))
            return out
        """, "[Pt(0, 3), Pt(2), Pt(4, 5)]"),
    C("class-nested-in-mapping", """
        class P:
            __match_args__ = ('v',)
            def __init__(self, v):
                self.v = v
        def f(d):
            match d:
                case {'p': P(P(x)), **rest}:
                    return x, rest
            return 'none'
        """, "{'p': P(P(7)), 'q': 1}"),
]


@pytest.mark.parametrize("src, args, kwargs, opts", PATTERN_CASES)
def test_patterns_compiled_without_exits(src: str, args: Any, kwargs: dict[str, Any] | None, opts: dict[str, Any]) -> None:
    run_diff(src, args, kwargs, no_exits=True, **opts)


# except*: f raises, catches and re-raises exception groups; main (interpreted)
# describes what comes out of f, nesting, notes, tracebacks, causes and contexts
# included, so the whole structure is compared with the interpreter's.
DESCRIBE = """
import sys

def describe(e, depth=0):
    if e is None or depth > 4:
        return None
    tb = []
    t = e.__traceback__
    while t is not None:
        tb.append((t.tb_frame.f_code.co_name, t.tb_lineno))
        t = t.tb_next
    out = [type(e).__name__, str(e), getattr(e, '__notes__', None), tb,
           describe(e.__cause__, depth + 1), describe(e.__context__, depth + 1), e.__suppress_context__]
    if isinstance(e, BaseExceptionGroup):
        out.append([describe(x, depth + 1) for x in e.exceptions])
    return out

def main(*args):
    try:
        return ('returned', f(*args), sys.exc_info())
    except BaseException as e:
        return ('raised', describe(e), sys.exc_info()[0].__name__)
"""


def XS(id: str, src: str, args: Any = (), **opts: Any) -> Any:
    """An except* case: ``f`` compiled, ``main`` (from DESCRIBE) the entry point."""
    return C(id, textwrap.dedent(DESCRIBE) + textwrap.dedent(src), args, entry="main", **opts)


EXCEPT_STAR_CASES = [
    XS("full-match", """
        def f():
            try:
                raise ExceptionGroup('eg', [TypeError(1), TypeError(2)])
            except* TypeError as e:
                r = describe(e), describe(sys.exc_info()[1])
            return r
        """),
    XS("handler-falls-through", """
        def f(eg):
            r = []
            try:
                raise eg
            except* TypeError as e:
                r.append(describe(e))
            except* ValueError as e:
                r.append(describe(e))
            r.append(sys.exc_info())
            return r
        """, "ExceptionGroup('eg', [TypeError(1), ValueError(2), TypeError(3)])"),
    XS("no-match-propagates", """
        def f(eg):
            r = 'not caught'
            try:
                raise eg
            except* KeyError:
                r = 'caught'
            return r
        """, "ExceptionGroup('eg', [TypeError(1), ValueError(2)])"),
    XS("partial-split", """
        def f(eg):
            seen = []
            try:
                raise eg
            except* TypeError as e:
                seen.append(describe(e))
            return seen
        """, "ExceptionGroup('eg', [TypeError(1), ValueError(2), TypeError(3)])"),
    XS("nested-groups-reraised", """
        def f():
            inner = ExceptionGroup('inner', [TypeError('t'), ValueError('v1')])
            try:
                raise ExceptionGroup('outer', [ValueError('v2'), inner, KeyError('k')])
            except* ValueError as e:
                raise
            except* TypeError:
                pass
        """),
    XS("reraise-keeps-notes-and-traceback", """
        def g():
            eg = ExceptionGroup('eg', [ValueError(1), TypeError(2)])
            eg.add_note('first note')
            raise eg
        def f():
            try:
                g()
            except* ValueError as e:
                e.add_note('added in handler')
                raise
        """),
    XS("raise-new-in-handler", """
        def f():
            try:
                raise ExceptionGroup('eg', [ValueError(1), TypeError(2), OSError(3)])
            except* ValueError:
                raise KeyError('new')
            except* TypeError as e:
                raise RuntimeError('from handler') from e
        """),
    XS("raise-new-and-reraise", """
        def f():
            try:
                raise ExceptionGroup('eg', [ValueError(1), TypeError(2)])
            except* ValueError:
                raise
            except* TypeError:
                raise KeyError('k')
        """),
    XS("naked-exception-wrapped", """
        def f(exc):
            try:
                raise exc
            except* ValueError as e:
                r = describe(e), type(sys.exc_info()[1]).__name__
            return r
        """, "ValueError('naked')"),
    XS("naked-exception-reraised", """
        def f(exc):
            try:
                raise exc
            except* ValueError:
                raise
        """, "ValueError('naked')"),
    XS("naked-exception-replaced", """
        def f(exc):
            try:
                raise exc
            except* ValueError:
                raise TypeError('replacement')
        """, "ValueError('naked')"),
    XS("naked-exception-no-match", """
        def f(exc):
            try:
                raise exc
            except* TypeError:
                pass
            return 'no'
        """, "ValueError('naked')"),
    XS("no-exception", """
        def f(x):
            try:
                y = x * 2
            except* ValueError:
                y = -1
            return y
        """, (21,)),
    XS("except-star-exceptiongroup-invalid", """
        def f(t):
            try:
                raise ExceptionGroup('eg', [ValueError(1)])
            except* t:
                pass
            return 'caught'
        """, "ExceptionGroup"),
    XS("except-star-tuple-with-group-invalid", """
        def f(t):
            try:
                raise ValueError(1)
            except* t:
                pass
            return 'caught'
        """, "(ValueError, BaseExceptionGroup)"),
    XS("except-star-not-an-exception-class", """
        def f(t):
            try:
                raise ExceptionGroup('eg', [ValueError(1)])
            except* t:
                pass
            return 'caught'
        """, "int"),
    XS("except-star-tuple-non-class", """
        def f(t):
            try:
                raise ExceptionGroup('eg', [ValueError(1)])
            except* t:
                pass
            return 'caught'
        """, "(ValueError, 5)"),
    XS("except-star-type-expression-raises", """
        def f(types):
            try:
                raise ExceptionGroup('eg', [ValueError(1)])
            except* types['missing']:
                pass
            return 'caught'
        """, ({},)),
    XS("except-star-tuple", """
        def f():
            try:
                raise ExceptionGroup('eg', [ValueError(1), TypeError(2), KeyError(3)])
            except* (ValueError, KeyError) as e:
                r = describe(e)
            return r
        """),
    XS("handler-raises-then-others-run", """
        def f(log):
            try:
                raise ExceptionGroup('eg', [ValueError(1), TypeError(2), OSError(3)])
            except* ValueError:
                log.append('v')
                1 / 0
            except* TypeError:
                log.append('t')
            except* OSError as e:
                log.append(describe(e))
        """, ([],)),
    XS("in-loop", """
        def f(n):
            out = []
            for i in range(n):
                try:
                    if i % 3 == 0:
                        raise ExceptionGroup('a', [ValueError(i)])
                    elif i % 3 == 1:
                        raise ExceptionGroup('b', [TypeError(i), ValueError(-i)])
                    out.append(i)
                except* ValueError as e:
                    out.append(('v', [x.args for x in e.exceptions]))
                except* TypeError as e:
                    out.append(('t', [x.args for x in e.exceptions]))
            return out
        """, (9,)),
    XS("nested-try-star", """
        def f():
            try:
                try:
                    raise ExceptionGroup('inner', [ValueError(1), TypeError(2)])
                except* ValueError:
                    raise KeyError('from inner handler')
            except* KeyError as e:
                r = describe(e)
            return r
        """),
    XS("unhashable-leaves", """
        class U(ValueError):
            __hash__ = None
        class Eq(TypeError):
            def __eq__(self, other):
                return True
            __hash__ = None
        def f():
            try:
                raise ExceptionGroup('eg', [U(1), Eq(2), KeyError(3)])
            except* ValueError:
                raise
            except* TypeError:
                raise
        """),
    XS("subclass-derive", """
        class MyEG(ExceptionGroup):
            derived = 0
            def derive(self, excs):
                MyEG.derived += 1
                return MyEG(self.message + '+', excs)
        def f():
            try:
                raise MyEG('mine', [ValueError(1), TypeError(2), KeyError(3)])
            except* ValueError:
                raise
            except* TypeError:
                pass
        """),
    XS("subclass-derive-not-a-group", """
        class BadEG(ExceptionGroup):
            def derive(self, excs):
                return 42
        def f():
            try:
                raise BadEG('bad', [ValueError(1), TypeError(2)])
            except* ValueError:
                pass
            return 'caught'
        """),
    XS("subclass-split-raises", """
        class SplitEG(ExceptionGroup):
            def split(self, t):
                raise RuntimeError('no splitting')
        def f():
            try:
                raise SplitEG('s', [ValueError(1), TypeError(2)])
            except* ValueError:
                pass
            return 'caught'
        """),
    XS("base-exception-group", """
        def f():
            try:
                raise BaseExceptionGroup('beg', [KeyboardInterrupt(), ValueError(1)])
            except* KeyboardInterrupt as e:
                r = describe(e)
            return r
        """),
    XS("exc-info-restored-after", """
        def f():
            try:
                raise KeyError('outer')
            except KeyError:
                try:
                    raise ExceptionGroup('eg', [ValueError(1)])
                except* ValueError:
                    inside = describe(sys.exc_info()[1])
                after = describe(sys.exc_info()[1])
            return inside, after, sys.exc_info()
        """),
    XS("raise-in-handler-traceback-lines", """
        def helper(e):
            raise OSError('helper') from None
        def f():
            try:
                raise ExceptionGroup('eg', [ValueError(1), ValueError(2)])
            except* ValueError as e:
                helper(e)
        """),
    XS("finally-around-except-star", """
        def f(log):
            try:
                try:
                    raise ExceptionGroup('eg', [ValueError(1), TypeError(2)])
                except* ValueError:
                    log.append('handled v')
            finally:
                log.append('finally')
        """, ([],)),
]


@pytest.mark.parametrize("src, args, kwargs, opts", EXCEPT_STAR_CASES)
def test_except_star_compiled_without_exits(src: str, args: Any, kwargs: dict[str, Any] | None, opts: dict[str, Any]) -> None:
    run_diff(src, args, kwargs, no_exits=True, **opts)


# ---------------------------------------------------------------------------
# CALL_FUNCTION_EX with every argument shape: the interpreter's conversions and
# messages, with no exit to the evaluator.

STAR_CALL_CASES = [
    C("star-call-iterator-args", """
        def g(*a, **k):
            return a, k
        def f(n):
            return g(*iter(range(n))), g(*(x * 2 for x in range(n))), g(*"ab"), g(*range(n))
        """, (3,)),
    C("star-call-mapping-kwargs", """
        class M:
            def keys(self):
                return ["a", "b"]
            def __getitem__(self, k):
                return k * 2
        def g(*a, **k):
            return a, sorted(k.items())
        def f():
            import collections
            return g(**M()), g(1, **collections.OrderedDict(x=1)), g(*[1], **M())
        """),
    C("star-call-not-iterable", """
        def g(*a):
            return a
        def f(x):
            return g(*x)
        """, (5,)),
    C("star-call-not-a-mapping", """
        def g(**k):
            return k
        def f(x):
            return g(**x)
        """, (5,)),
    C("star-call-duplicate-keyword-from-mapping", """
        class M:
            def keys(self):
                return ["a"]
            def __getitem__(self, k):
                return 1
        def g(**k):
            return k
        def f():
            return g(a=1, **M())
        """),
    C("star-call-iterator-raises", """
        def gen():
            yield 1
            raise ValueError("in the middle")
        def g(*a):
            return a
        def f():
            return g(*gen())
        """),
    C("star-call-keys-raises", """
        class M:
            def keys(self):
                raise KeyError("from keys")
        def g(**k):
            return k
        def f():
            return g(**M())
        """),
    C("star-call-builtin-and-method", """
        class A:
            def m(self, *a, **k):
                return a, k
        def f(xs):
            return max(*iter(xs)), A().m(*iter(xs), **dict(z=1)), dict(**{"a": 1})
        """, ([3, 1, 2],)),
]


@pytest.mark.parametrize("src, args, kwargs, opts", STAR_CALL_CASES)
def test_star_call_shapes(src: str, args: Any, kwargs: dict[str, Any] | None, opts: dict[str, Any]) -> None:
    run_diff(src, args, kwargs, no_exits=True, **opts)


# ---------------------------------------------------------------------------
# Calling a class: instances of object.__new__ classes with a compiled __init__ are
# made directly (type_call's steps); every other shape goes through type_call.

CLASS_CALL_CASES = [
    C("class-call-plain", """
        class V:
            def __init__(self, x, y):
                self.x = x
                self.y = y
        class I(V):
            pass
        init = V.__init__
        def f(n):
            vs = [V(i, -i) for i in range(3)]
            total = 0
            for i in range(n):
                v = V(i, i * 2)
                w = I(v.x, v.y)
                total += w.x + w.y
            return total, type(w).__name__, vars(vs[2])
        """, (30,), jit_names=("f", "init")),
    C("class-call-init-returns-value", """
        class V:
            def __init__(self, x):
                self.x = x
                return x
        def f(n):
            for i in range(n):
                V(None)
            return V(5)
        """, (30,)),
    C("class-call-init-raises", """
        class V:
            def __init__(self, x):
                self.x = 10 // x
        def f(n):
            for i in range(1, n):
                V(i)
            return V(0)
        """, (30,)),
    C("class-call-shapes-through-type-call", """
        class WithNew:
            def __new__(cls, x):
                o = super().__new__(cls)
                o.made = "by __new__"
                return o
            def __init__(self, x):
                self.x = x
        class Defaults:
            def __init__(self, x, y=2):
                self.s = x + y
        class Meta(type):
            def __call__(cls, *a):
                return ("meta", a)
        class WithMeta(metaclass=Meta):
            def __init__(self, x):
                self.x = x
        class ListChild(list):
            def __init__(self, x):
                super().__init__([x])
        class CallableInit:
            class Init:
                def __call__(self, obj, x):
                    obj.x = x
            __init__ = Init()
        import abc
        class Abstract(abc.ABC):
            @abc.abstractmethod
            def m(self):
                pass
            def __init__(self):
                pass
        def f(n):
            out = []
            for i in range(n):
                out = [vars(WithNew(i)), Defaults(i).s, Defaults(i, 5).s, WithMeta(i), ListChild(i)]
            try:
                Abstract()
            except TypeError as e:
                out.append(str(e))
            try:
                Defaults()
            except TypeError as e:
                out.append(str(e))
            try:
                CallableInit(1)
            except TypeError as e:
                out.append(str(e))
            return out
        """, (20,)),
    C("class-call-init-replaced", """
        class V:
            def __init__(self, x):
                self.x = x
        def other(self, x):
            self.x = -x
        def f(n):
            out = []
            for i in range(n):
                out.append(V(i).x)
                if i == n // 2:
                    V.__init__ = other
            return out
        """, (20,)),
    C("class-call-recursive-init", """
        class Node:
            def __init__(self, depth):
                self.child = Node(depth - 1) if depth else None
        init = Node.__init__
        def f(n):
            node = Node(n)
            d = 0
            while node.child is not None:
                node = node.child
                d += 1
            return d
        """, (50,), jit_names=("f", "init")),
    C("class-call-init-sees-caller-frame", """
        import sys
        class V:
            def __init__(self):
                self.caller = sys._getframe(1).f_code.co_name
        init = V.__init__
        def f(n):
            return [V().caller for i in range(2)] + [V().caller]
        """, (3,), jit_names=("f", "init")),
]


@pytest.mark.parametrize("src, args, kwargs, opts", CLASS_CALL_CASES)
def test_class_calls(src: str, args: Any, kwargs: dict[str, Any] | None, opts: dict[str, Any]) -> None:
    run_diff(src, args, kwargs, **opts)


# ---------------------------------------------------------------------------
# LOAD_GLOBAL when the module updates its globals: the cache finds names in the
# globals by their keys object and index, whatever the version tag says.

GLOBAL_UPDATE_CASES = [
    C("global-updated-in-loop", """
        COUNTER = 0
        def bump():
            global COUNTER
            COUNTER += 1
        def f(n):
            seen = []
            for i in range(n):
                bump()
                seen.append(COUNTER)
                seen.append(len(seen))
            return seen[-4:], COUNTER
        """, (50,)),
    C("global-deleted-then-readded", """
        X = 1
        def f(n):
            g = globals()
            out = []
            for i in range(n):
                out.append(X)
                if i == n // 3:
                    del g["X"]
                    g["X"] = "readded"
                if i == n // 2:
                    g["X"] = "rebound"
            del g["X"]
            try:
                return out[-3:], X
            except NameError as e:
                g["X"] = 1
                return out[-3:], str(e)
        """, (30,)),
    C("global-dict-resized", """
        Y = "y"
        def f(n):
            g = globals()
            out = []
            for i in range(n):
                out.append(Y)
                g["filler_%d" % i] = i   # grows the globals: a new keys object
            for i in range(n):
                del g["filler_%d" % i]
            return out[-3:], Y
        """, (200,)),
    C("global-shadows-builtin-later", """
        def f(n):
            g = globals()
            out = []
            for i in range(n):
                out.append(len("abc"))
                if i == n // 2:
                    g["len"] = lambda s: -1
            del g["len"]
            return out[-2:], len("abc")
        """, (30,)),
]


@pytest.mark.parametrize("src, args, kwargs, opts", GLOBAL_UPDATE_CASES)
def test_global_updates(src: str, args: Any, kwargs: dict[str, Any] | None, opts: dict[str, Any]) -> None:
    run_diff(src, args, kwargs, **opts)


# ---------------------------------------------------------------------------
# FOR_ITER over a list takes the next item inline (listiter_next's steps).

LIST_ITERATION_CASES = [
    C("for-list-mutated-while-iterating", """
        def f(n):
            xs = list(range(n))
            out = []
            for x in xs:
                out.append(x)
                if x > 0 and x % 3 == 0:
                    xs.append(-x)
                if x == 5:
                    del xs[0]
            return out, xs[-3:]
        """, (12,)),
    C("for-list-cleared-and-exhausted-iterator", """
        def f(n):
            xs = list(range(n))
            out = []
            for x in xs:
                out.append(x)
                if x == 2:
                    xs.clear()
            it = iter([1, 2])
            out.append([v for v in it])
            out.append(list(it))
            ys = [1]
            it = iter(ys)
            for v in it:
                out.append(v)
            ys.append(2)             # an exhausted list iterator stays exhausted
            for v in it:
                out.append(v)
            return out
        """, (6,)),
    C("for-list-items-freed-as-list-shrinks", """
        class Box:
            def __init__(self, v):
                self.v = v
        def f(n):
            xs = [Box(i) for i in range(n)]
            total = 0
            for b in xs:
                total += b.v
                if xs:
                    xs.pop()         # the popped box lives on while the loop holds it
            return total
        """, (10,)),
]


@pytest.mark.parametrize("src, args, kwargs, opts", LIST_ITERATION_CASES)
def test_list_iteration(src: str, args: Any, kwargs: dict[str, Any] | None, opts: dict[str, Any]) -> None:
    run_diff(src, args, kwargs, **opts)


# ---------------------------------------------------------------------------
# Direct calls bind arguments as initialize_locals does: defaults, keyword
# arguments, keyword-only parameters and their defaults; every irregular call
# (missing, repeated or unknown arguments, positional-only by keyword) goes the
# regular way and raises the interpreter's error. Callees are compiled too.

_BINDING_CALLEES = """
    def pos(a, b, c=3, d=4):
        return (a, b, c, d)
    def kwonly(a, *, k, m=9):
        return (a, k, m)
    def posonly(a, b=2, /, c=3):
        return (a, b, c)
    def many(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15,
             a16, a17, a18, a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31,
             a32, a33=33):
        return a0 + a33
    class Obj:
        def __init__(self, x, y=2, *, z=3):
            self.v = (x, y, z)
        def meth(self, p, q=8, *, r=7):
            return (p, q, r)
    init = Obj.__init__
    meth = Obj.meth
"""
_BINDING_NAMES = ("f", "pos", "kwonly", "posonly", "many", "init", "meth")

def _attempts(body: str) -> str:
    lines = [line.strip() for line in textwrap.dedent(body).strip().splitlines()]
    calls = "\n".join(f"""            try:
                out.append({line})
            except TypeError as e:
                out.append(("TypeError", str(e)))""" for line in lines)
    return _BINDING_CALLEES + f"""
    def f(n):
        out = []
        for i in range(n):
{calls}
        return out
"""

ARGUMENT_BINDING_CASES = [
    C("bind-defaults-and-keywords", _attempts("""
        pos(1, 2)
        pos(1, 2, 5)
        pos(1, b=i)
        pos(b=1, a=2, d=i)
        pos(1, 2, d=0, c=9)
        kwonly(1, k=2)
        kwonly(a=1, m=i, k=0)
        posonly(1)
        posonly(1, 5, c=i)
        many(*range(33))
        many(*range(34))
        Obj(1).v
        Obj(1, z=i).v
        Obj(y=5, x=i).v
        Obj(1).meth(i)
        Obj(1).meth(q=1, p=2, r=i)
    """), (20,), jit_names=_BINDING_NAMES),
    C("bind-errors-take-the-regular-path", _attempts("""
        pos(1)
        pos(1, 2, a=3)
        pos(1, 2, e=3)
        pos(1, 2, 3, 4, 5)
        kwonly(1)
        kwonly(1, 2)
        kwonly(1, k=1, k2=3)
        posonly(a=1)
        posonly(1, b=2)
        Obj().v
        Obj(1, w=2).v
        Obj(1).meth()
        (pos(1, 2), kwonly(1, k=1), posonly(1), Obj(1).meth(1))
    """), (5,), jit_names=_BINDING_NAMES[:4] + _BINDING_NAMES[5:]),
    C("bind-defaults-replaced", _BINDING_CALLEES + """
    def f(n):
        out = []
        for i in range(n):
            out.append((pos(1, 2), kwonly(1, k=0), Obj(1).v))
            if i == n // 2:
                pos.__defaults__ = (30, 40)
                kwonly.__kwdefaults__ = {"m": -1}
                Obj.__init__.__kwdefaults__ = None
        return out
    """, (10,), jit_names=("f", "pos", "kwonly", "init")),
    C("bind-keyword-str-subclass", _BINDING_CALLEES + """
    class S(str):
        pass
    def f(n):
        out = []
        for i in range(n):
            out.append(pos(1, **{S("b"): i}))
            out.append(pos(1, **{"".join(["c"]): i, "b": 0}))
        return out
    """, (10,), jit_names=("f", "pos")),
    C("bind-defaults-own-references", _BINDING_CALLEES + """
    def grow(a, acc=[]):
        acc.append(a)
        return len(acc)
    def f(n):
        out = []
        for i in range(n):
            out.append(grow(i))
        del grow.__defaults__
        try:
            grow(1)
        except TypeError as e:
            out.append(str(e))
        return out
    """, (10,), jit_names=("f", "grow")),
]


@pytest.mark.parametrize("src, args, kwargs, opts", ARGUMENT_BINDING_CASES)
def test_argument_binding(src: str, args: Any, kwargs: dict[str, Any] | None, opts: dict[str, Any]) -> None:
    run_diff(src, args, kwargs, **opts)
