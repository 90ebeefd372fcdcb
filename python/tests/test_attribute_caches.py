"""Attribute inline caches of every kind, against the interpreter.

LOAD_ATTR, STORE_ATTR and LOAD_METHOD cache what the interpreter's own
specializations cache: an instance's values array (kind 0), a ``__slots__`` member
(kind 1), an instance whose attributes live in a real ``__dict__`` (kind 2, with a
hint into the dict's entries), attributes of a class itself (kind 3: ``C.X``,
``C.static()``, guarded by the class's own version tag), attributes of a module
(kind 4: ``math.sqrt``, by the module dict's keys object and index), and methods found on the type when the instance (with
or without a real dict) does not shadow them. Each case runs ``f`` many times so the
caches fill, then changes what they assumed (the type, the instance's dict, a slot's
contents) and checks that compiled code notices, exactly as the interpreter does.
"""
from __future__ import annotations

import sys
import textwrap
from typing import Any

import pytest

from difftest import run_diff
from support import fresh
import pyjion


def C(id: str, src: str, args: Any = (), **opts: Any) -> Any:
    return pytest.param(textwrap.dedent(src), args, opts, id=id)


CASES = [
    C("slots-load-store", """
        class P:
            __slots__ = ("x", "y")
            def __init__(self, x):
                self.x = x
                self.y = x * 2
        def f(n):
            total = 0
            ps = [P(i) for i in range(n)]
            for p in ps:
                p.x = p.x + p.y
                total += p.x
            return total, [p.x for p in ps[:3]]
        """, (50,)),
    C("slots-unset-raises", """
        class P:
            __slots__ = ("x", "y")
        def f(n):
            out = []
            for i in range(n):
                p = P()
                p.x = i
                out.append(p.x)
            q = P()
            return out, q.y
        """, (30,)),
    C("slots-deleted-then-read", """
        class P:
            __slots__ = ("x",)
        def f(n):
            p = P()
            for i in range(n):
                p.x = i
                v = p.x
            del p.x
            return v, p.x
        """, (30,)),
    C("slots-readonly-member", """
        class P:
            __slots__ = ("x",)
        def f(n):
            out = []
            for i in range(n):
                out.append(P.x.__get__(None, P) is P.x)
            c = complex(1, 2)
            for i in range(n):
                out.append(c.real)
            c.real = 5.0
        """, (20,)),
    C("slots-type-changes-under-cache", """
        class P:
            __slots__ = ("x",)
        def f(n):
            p = P()
            out = []
            for i in range(n):
                p.x = i
                out.append(p.x)
            P.x = property(lambda self: "property now")
            out.append(p.x)
            try:
                p.x = 1
            except AttributeError as e:
                out.append(str(e))
            return out
        """, (30,)),
    C("slots-polymorphic-site", """
        class A:
            __slots__ = ("v",)
            def __init__(self, v):
                self.v = v
        class B:
            __slots__ = ("w", "v")
            def __init__(self, v):
                self.w = None
                self.v = v
        class D:
            def __init__(self, v):
                self.v = v
        def f(n):
            objs = [A(1), B(2), D(3)] * n
            total = 0
            for o in objs:
                total += o.v
                o.v = o.v + 1
            return total
        """, (20,)),
    C("instance-dict-load-store", """
        class Many:
            pass
        def f(n):
            objs = []
            for i in range(n):
                o = Many()
                for k in range(40):
                    setattr(o, "a%d" % k, k)   # past the shared keys: a real dict
                objs.append(o)
            total = 0
            for o in objs:
                o.a5 = o.a5 + o.a39
                o.a39 += 1
                total += o.a5 + o.a39
            return total, objs[0].a5, objs[-1].a39
        """, (30,)),
    C("instance-dict-materialized-by-dunder-dict", """
        class K:
            def __init__(self, v):
                self.v = v
                self.w = v
        def f(n):
            objs = [K(i) for i in range(n)]
            for o in objs:
                o.__dict__        # materializes the dict
            total = 0
            for o in objs:
                total += o.v
                o.w = o.v * 3
            objs[0].__dict__.clear()
            try:
                objs[0].v
            except AttributeError as e:
                return total, str(e), objs[1].w
        """, (30,)),
    C("instance-dict-key-deleted-and-readded", """
        class K:
            pass
        def f(n):
            o = K()
            for k in range(40):
                setattr(o, "a%d" % k, k)
            out = []
            for i in range(n):
                out.append(o.a3)
                if i == n // 2:
                    del o.a3
                    o.a3 = "again"
            return out[-3:]
        """, (30,)),
    C("instance-dict-shadows-class-attribute-later", """
        class K:
            def __init__(self):
                self.__dict__["x"] = 1
        def f(n):
            o = K()
            out = []
            for i in range(n):
                out.append(o.x)
            K.x = property(lambda self: "class property wins")
            out.append(o.x)
            return out[-2:]
        """, (30,)),
    C("values-insertion-order-of-new-attributes", """
        class P:
            pass
        def f(n):
            out = []
            for i in range(n):
                p = P()
                if i % 2:
                    p.b = i
                    p.a = -i
                else:
                    p.a = i
                    p.b = -i
                p.c = i * 2
                out.append((list(vars(p)), p.a, p.b, p.c))
            return out
        """, (30,)),
    C("method-on-instance-with-real-dict", """
        class M:
            def __init__(self):
                for k in range(40):
                    setattr(self, "a%d" % k, k)
            def get(self):
                return self.a1
        def f(n):
            objs = [M() for _ in range(3)]
            total = 0
            for i in range(n):
                for o in objs:
                    total += o.get()
            objs[1].get = lambda: 1000   # the instance now shadows the method
            for o in objs:
                total += o.get()
            return total
        """, (30,)),
    C("method-shadowed-in-values-instance", """
        class M:
            def get(self):
                return 1
        def f(n):
            a, b = M(), M()
            total = 0
            for i in range(n):
                total += a.get() + b.get()
            b.get = lambda: 100
            for i in range(n):
                total += a.get() + b.get()
            return total
        """, (30,)),
    C("method-replaced-on-class", """
        class M:
            def get(self):
                return 1
        def f(n):
            m = M()
            total = 0
            for i in range(n):
                total += m.get()
                if i == n // 2:
                    M.get = lambda self: 10
            return total
        """, (30,)),
]


CLASS_ATTRIBUTE_CASES = [
    C("class-attribute-reassigned", """
        class C:
            X = 1
        def f(n):
            out = []
            for i in range(n):
                out.append(C.X)
                if i == n // 2:
                    C.X = "changed"
            return out
        """, (40,)),
    C("class-attribute-base-changed", """
        class B:
            X = 1
        class D(B):
            pass
        def f(n):
            out = []
            for i in range(n):
                out.append(D.X)
                if i == 10:
                    B.X = 2
                if i == 20:
                    D.X = 3
                if i == 30:
                    del D.X
            return out
        """, (40,)),
    C("class-attribute-deleted-raises", """
        class C:
            X = 1
        def f(n):
            out = []
            for i in range(n):
                out.append(C.X)
                if i == n - 2:
                    del C.X
            return out
        """, (30,)),
    C("class-staticmethod-call-and-reinit", """
        class C:
            @staticmethod
            def s(a):
                return a + 1
        def other(a):
            return a * 10
        def f(n):
            out = []
            for i in range(n):
                out.append(C.s(i))
                out.append(C.s)
                if i == n // 2:
                    C.__dict__["s"].__init__(other)
            return out
        """, (30,)),
    C("class-function-and-classmethod", """
        class C:
            def m(self, a):
                return a * 2
            @classmethod
            def k(cls, a):
                return (cls.__name__, a)
        class D(C):
            pass
        def f(n):
            out = []
            for i in range(n):
                out.append(C.m(None, i))
                out.append(D.k(i))
                out.append(C.m is C.__dict__["m"])
            return out
        """, (30,)),
    C("class-attribute-mixed-owners", """
        class C:
            X = 1
            def __init__(self):
                self.X = 2
        class D:
            X = 3
        class Meta(type):
            @property
            def X(cls):
                return "meta"
        class E(metaclass=Meta):
            X = 4
        def f(n):
            out = []
            owners = [C, C(), D, E, E(), type, int]
            for i in range(n):
                for o in owners:
                    out.append(getattr(o, "X", None) if o in (type, int) else o.X)
            return out
        """, (20,)),
    C("class-attribute-names-of-type", """
        class C:
            pass
        def f(n):
            out = []
            for i in range(n):
                out.append((C.__name__, C.__qualname__, C.__mro__, C.__doc__, C.mro()))
                if i == 10:
                    C.__name__ = "Renamed"
            return out
        """, (20,)),
    C("class-uninitialized-staticmethod", """
        class C:
            pass
        C.s = staticmethod.__new__(staticmethod)
        def f(n):
            out = []
            for i in range(n):
                try:
                    out.append(C.s)
                except RuntimeError as e:
                    out.append(str(e))
            return out
        """, (20,)),
]


MODULE_ATTRIBUTE_CASES = [
    C("module-attribute-and-method", """
        import math, types
        m = types.ModuleType("m")
        m.k = 3
        m.g = lambda x: x * 2
        def f(n):
            out = []
            for i in range(n):
                out.append((math.sqrt(i), m.k, m.g(i), math.pi))
            return out
        """, (20,)),
    C("module-attribute-rebound-deleted-resized", """
        import types
        m = types.ModuleType("m")
        m.k = 1
        m.g = abs
        def f(n):
            out = []
            for i in range(n):
                try:
                    out.append((m.k, m.g(-i)))
                except AttributeError as e:
                    out.append(str(e))
                if i == 5:
                    m.k = "rebound"
                    m.g = str
                if i == 10:
                    for j in range(100):
                        setattr(m, "filler%d" % j, j)
                if i == 15:
                    del m.k
                if i == 18:
                    m.k = 42
            return out
        """, (25,)),
    C("module-getattr-and-type-names", """
        import types
        m = types.ModuleType("m")
        m.__getattr__ = lambda name: "dynamic " + name
        class Sub(types.ModuleType):
            pass
        s = Sub("s")
        s.k = 7
        def f(n):
            out = []
            for i in range(n):
                out.append((m.missing, m.__name__, type(m.__dict__).__name__, s.k))
                if i == 4:
                    m.missing = "now real"
                    s.k = 8
            return out
        """, (10,)),
]


@pytest.mark.parametrize("src, args, opts", CASES + CLASS_ATTRIBUTE_CASES + MODULE_ATTRIBUTE_CASES)
def test_attribute_caches(src: str, args: Any, opts: dict[str, Any]) -> None:
    run_diff(src, args, calls=3, **opts)


def test_instance_dict_store_gives_the_dict_a_new_version() -> None:
    """STORE_ATTR into an instance dict (the hint kind) writes the entry in place and
    gives the dict a new PEP 509 version, as STORE_ATTR_WITH_HINT does: a compiled
    LOAD_GLOBAL cached on the dict's version (the instance's __dict__ is a module's
    globals here) sees every store."""
    src = """
    X = 0
    class O:
        pass
    def reader():
        return X
    def writer(o, v):
        o.X = v
    """
    pyjion.config(threshold=0)
    pyjion.enable()
    try:
        reader = fresh(src, "reader")
        g = reader.__globals__
        writer = g["writer"]
        o = g["O"]()
        o.__dict__ = g
        seen = []
        for v in range(1, 8):
            writer(o, v)
            seen.append(reader())
        assert seen == list(range(1, 8))
        assert pyjion.info(writer).compiled and pyjion.info(reader).compiled
    finally:
        pyjion.disable()


def test_method_lookup_on_instances_with_dicts() -> None:
    """LOAD_METHOD on an instance with a real dict probes the dict for the method's
    name inline: absent (the method runs), present (the instance's own attribute is
    called), deleted entries, many keys (wide indices: the helper decides), and a key
    equal to the name but another str object (the helper decides)."""
    src = """
    class K:
        def method_m(self):
            return "method"
    def make(extra):
        k = K()
        for i in range(extra):
            setattr(k, f"a{i}", i)
        return k
    def call(k):
        return k.method_m()
    """
    pyjion.config(threshold=0)
    pyjion.enable()
    try:
        call = fresh(src, "call")
        make = call.__globals__["make"]
        results = []
        for extra in (0, 3, 40, 300):
            k = make(extra)
            k.__dict__  # materialize the dict
            results.append(call(k))
            k.method_m = lambda: "own"
            results.append(call(k))
            del k.method_m
            results.append(call(k))
            name = "".join(["method", "_m"])  # equal to the name, another str object
            assert name == "method_m" and name is not sys.intern(name)
            k.__dict__[name] = lambda: "equal key"
            results.append(call(k))
            del k.__dict__[name]
            results.append(call(k))
        assert results == ["method", "own", "method", "equal key", "method"] * 4
        assert pyjion.info(call).compiled
    finally:
        pyjion.disable()
