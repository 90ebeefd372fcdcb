"""Random but valid Python programs for differential fuzzing of pyjion.

``generate(seed)`` returns a :class:`FuzzCase`: the source of a module that
defines ``f`` (the function under test), a few helpers and a small context
manager class, plus argument tuples to call ``f`` with. The same seed always
gives the same program.

The generator is typed: every variable keeps one type (int, float, str, bool,
list of ints, tuple of ints, dict str->int, set of ints) so most programs run to
the end; a few expressions are deliberately ill-typed, out of range or divide by
zero so that exception paths are exercised too. Loops are bounded (at most a few
iterations, nesting at most 2) and, inside loops, only operations whose results
grow slowly are used, so no program runs long or allocates much.

``run_case(case)`` runs it through :mod:`difftest`: ``f`` and every code object
nested in the source (helpers, the context manager's methods, lambdas, closures,
comprehensions) are marked for compilation in one copy; the other copy runs
interpreted. Results / exceptions / tracebacks / argument state must agree, and
every marked code object that ran and uses only opcodes of
``difftest.COMPILED_OPCODES`` must be compiled.
"""
from __future__ import annotations

import math
import random
import types
from dataclasses import dataclass, field
from typing import Any

import pyjion
from pyjion import _pyjion

import difftest

INT_POOL = [
    0, 1, -1, 2, 3, 7, -7, 10, 255, 1000, -1000,
    2**30 - 1, 2**30, -(2**30), -(2**30) - 1,
    2**31 - 1, 2**31, -(2**31), -(2**31) - 1,
    2**62 - 1, 2**62, -(2**62), -(2**62) - 1,
    2**63 - 1, 2**63, -(2**63), -(2**63) - 1,
    2**64 - 1, 2**64, -(2**64), 10**20, -(10**20),
]
FLOAT_POOL = [0.0, -0.0, 0.5, 1.5, -2.25, 3.0, 1e308, -1e308, 1e-308, 5e-324, math.inf, -math.inf, math.nan, 1e16, 2.0**63]
STR_POOL = ["", "a", "ab", "hello", "x y z", "42", "-7", "ü€", "aaa", "A"]
DICT_KEYS = ["a", "b", "k", "hello", "", "42"]

INT_OPS = ["+", "-", "*", "//", "%", "&", "|", "^"]
FLOAT_OPS = ["+", "-", "*", "/", "//", "%"]
CMP_OPS = ["<", "<=", ">", ">=", "==", "!="]
EXC_NAMES = ["ZeroDivisionError", "IndexError", "KeyError", "TypeError", "ValueError",
             "OverflowError", "ArithmeticError", "LookupError", "Exception"]


def _lit(v: Any) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return "NAN"
        if math.isinf(v):
            return "INF" if v > 0 else "-INF"
        return repr(v)
    if isinstance(v, int) and not isinstance(v, bool):
        # keep the overflow edges readable in failure reports
        for base in (30, 31, 62, 63, 64):
            for off in (-1, 0):
                if v == 2**base + off:
                    return f"(2**{base}{off or ''})" if off else f"2**{base}"
                if v == -(2**base) + off:
                    return f"(-(2**{base}){off or ''})" if off else f"(-(2**{base}))"
        return repr(v) if v >= 0 else f"({v})"
    return repr(v)


@dataclass
class FuzzCase:
    seed: int
    src: str
    arg_sets: list[str] = field(default_factory=list)  # expressions evaluated in the source's namespace

    def describe(self) -> str:
        return f"# seed {self.seed}\n{self.src}\n# args: {self.arg_sets}"


class Gen:
    PARAMS = [("a", "int"), ("b", "int"), ("x", "float"), ("s", "str"), ("xs", "list"), ("t", "tuple"), ("d", "dict"), ("st", "set")]

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.r = random.Random(seed)
        self.vars: dict[str, str] = {}
        self.loop_depth = 0
        self.loop_vars: list[str] = []
        self.in_loop_body = False
        self.counter = 0
        self.allow_closures = self.r.random() < 0.25
        self.allow_with = self.r.random() < 0.25
        self.allow_try = self.r.random() < 0.5
        self.allow_comp = self.r.random() < 0.5
        self.cm_used = False
        self.in_helper = False  # helpers must not call themselves (unbounded recursion)

    # ------------------------------------------------------------ helpers
    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def var_of(self, ty: str) -> str | None:
        names = [n for n, t in self.vars.items() if t == ty]
        return self.r.choice(names) if names else None

    # ------------------------------------------------------------ expressions
    def expr(self, ty: str, depth: int = 0) -> str:
        leaf = depth >= 3 or self.chance(0.35 + 0.15 * depth)
        return getattr(self, f"e_{ty}")(depth, leaf)

    def e_int(self, depth: int, leaf: bool) -> str:
        r = self.r
        if leaf:
            v = self.var_of("int")
            if v and self.chance(0.7):
                return v
            return _lit(r.choice(INT_POOL))
        e = lambda: self.expr("int", depth + 1)  # noqa: E731
        k = r.randrange(17)
        if k < 5:
            op = r.choice(INT_OPS)
            if self.loop_depth and op == "*":
                return f"({e()} * {r.choice([2, 3, -1, 7])})"
            if op in ("//", "%") and self.chance(0.75):
                return f"({e()} {op} ({e()} or {r.choice([3, -3, 2**31, 7])}))"
            return f"({e()} {op} {e()})"
        if k == 5:
            if self.loop_depth:
                return f"({e()} >> ({e()} % 70))"
            return self.r.choice([f"({e()} ** {r.randint(0, 2)})", f"({e()} << ({e()} % 65))", f"({e()} >> ({e()} % 70))"])
        if k == 6:
            return f"{r.choice(['-', '~', '+', '-'])}{e()}"
        if k == 7:
            return f"len({self.expr(r.choice(['str', 'list', 'tuple', 'dict', 'set']), depth + 1)})"
        if k == 8:
            return r.choice([f"abs({e()})", f"min({e()}, {e()})", f"max({e()}, {e()}, {e()})", f"int({self.expr('float', depth + 1)})", f"round({self.expr('float', depth + 1)})", f"sum({self.expr('list', depth + 1)})"])
        if k == 9:
            seq = r.choice(["list", "tuple"])
            return f"{self.expr(seq, depth + 1)}[{e() if self.chance(0.3) else r.choice(['0', '-1', '1', '2', '-3'])}]"
        if k == 10:
            if self.chance(0.4):
                return f"{self.expr('dict', depth + 1)}[{self.expr('str', depth + 1)}]"
            return f"{self.expr('dict', depth + 1)}.get({self.expr('str', depth + 1)}, {e()})"
        if k == 11:
            return f"({e()} if {self.expr('bool', depth + 1)} else {e()})"
        if k == 12 and not self.in_helper:
            if self.chance(0.5):
                return f"h_int({e()}, q={e()})"
            return f"h_int({e()})"
        if k == 13:
            return r.choice([f"{self.expr('str', depth + 1)}.count({self.expr('str', depth + 1)})",
                             f"{self.expr('str', depth + 1)}.find({self.expr('str', depth + 1)})",
                             f"int({self.expr('str', depth + 1)})", f"int({self.expr('bool', depth + 1)})"])
        if k == 14 and self.allow_closures and not self.loop_depth:
            # a lambda capturing a local (makes a cell: outside the compiled subset)
            v = self.var_of("int") or "a"
            return f"(lambda z: z + {v})({e()})"
        if k == 15:
            return f"({e()} + {self.expr('bool', depth + 1)})"
        if k == 16 and self.loop_vars:
            return r.choice(self.loop_vars)
        return self.e_int(depth, True)

    def e_float(self, depth: int, leaf: bool) -> str:
        r = self.r
        if leaf:
            v = self.var_of("float")
            if v and self.chance(0.6):
                return v
            return _lit(r.choice(FLOAT_POOL))
        e = lambda: self.expr("float", depth + 1)  # noqa: E731
        k = r.randrange(9)
        if k < 3:
            op = r.choice(FLOAT_OPS)
            if op in ("/", "//", "%") and self.chance(0.7):
                return f"({e()} {op} ({e()} or 1.5))"
            return f"({e()} {op} {e()})"
        if k == 3:
            return f"float({self.expr('int', depth + 1)})"
        if k == 4:
            a, b = self.expr("int", depth + 1), self.expr("int", depth + 1)
            return f"({a} / {b})" if self.chance(0.4) else f"({a} / ({b} or 7))"
        if k == 5:
            return r.choice([f"({self.expr('int', depth + 1)} + {e()})", f"({e()} * {self.expr('int', depth + 1)})", f"({e()} - {self.expr('bool', depth + 1)})"])
        if k == 6:
            return r.choice([f"-{e()}", f"abs({e()})", f"min({e()}, {e()})", f"max({e()}, {e()})", f"({e()} ** {r.choice(['2', '0.5', '-1', '3'])})"])
        if k == 7:
            return f"({e()} if {self.expr('bool', depth + 1)} else {e()})"
        return f"float({self.expr('str', depth + 1)})" if self.chance(0.2) else self.e_float(depth, True)

    def e_str(self, depth: int, leaf: bool) -> str:
        r = self.r
        if leaf:
            v = self.var_of("str")
            if v and self.chance(0.6):
                return v
            return repr(r.choice(STR_POOL))
        e = lambda: self.expr("str", depth + 1)  # noqa: E731
        i = lambda: self.expr("int", depth + 1)  # noqa: E731
        k = r.randrange(10)
        if k == 0:
            if self.loop_depth:
                return f"({e()} + {r.choice(STR_POOL)!r})"
            return f"({e()} + {e()})"
        if k == 1 and not self.loop_depth:
            return f"({e()} * ({i()} % 4))"
        if k == 2:
            return f"{e()}[{i() if self.chance(0.3) else r.choice(['0', '-1', '1'])}]"
        if k == 3:
            return f"{e()}[{r.choice(['', '1', '-2', i()])}:{r.choice(['', '3', '-1', i()])}]"
        if k == 4:
            ty = r.choice(["int", "float", "bool", "str", "list", "tuple"])
            return f"str({self.expr(ty, depth + 1)})" if self.chance(0.7) else f"repr({self.expr(ty, depth + 1)})"
        if k == 5:
            parts = []
            for _ in range(r.randint(1, 3)):
                ty = r.choice(["int", "float", "str", "bool", "list"])
                conv = r.choice(["", "", "!r", "!s"])
                spec = ""
                if ty == "float" and self.chance(0.4):
                    spec = r.choice([":.3f", ":g", ":>8"])
                elif ty == "int" and self.chance(0.3):
                    spec = r.choice([":x", ":>6", ":,"])
                # leaves only: no nested f-strings or quotes of the same kind
                parts.append("{" + self.expr(ty, 3).replace("'", '"') + conv + spec + "}" + r.choice(["", "-", " "]))
            return "f'" + "".join(parts) + "'"
        if k == 6:
            return r.choice([f"{e()}.upper()", f"{e()}.replace('a', 'b')", f"{e()}.strip()",
                             f"','.join([{e()}, {e()}])", f"{e()}.lower()"])
        if k == 7:
            return f"({e()} if {self.expr('bool', depth + 1)} else {e()})"
        if k == 8 and not self.in_helper:
            return f"h_str({e()}, {i()})"
        return self.e_str(depth, True)

    def e_bool(self, depth: int, leaf: bool) -> str:
        r = self.r
        if leaf:
            v = self.var_of("bool")
            if v and self.chance(0.5):
                return v
            return r.choice(["True", "False"])
        k = r.randrange(9)
        if k < 3:
            ty = r.choice(["int", "int", "float", "str"])
            if self.chance(0.05):  # ill-typed comparison: TypeError
                return f"({self.expr('str', depth + 1)} < {self.expr('int', depth + 1)})"
            return f"({self.expr(ty, depth + 1)} {r.choice(CMP_OPS)} {self.expr(ty, depth + 1)})"
        if k == 3:  # chained
            ty = r.choice(["int", "float"])
            return f"({self.expr(ty, depth + 1)} {r.choice(CMP_OPS)} {self.expr(ty, depth + 1)} {r.choice(CMP_OPS)} {self.expr(ty, depth + 1)})"
        if k == 4:
            return f"({self.expr('int', depth + 1)} {r.choice(['in', 'not in'])} {self.expr(r.choice(['list', 'tuple', 'set']), depth + 1)})"
        if k == 5:
            return f"({self.expr('str', depth + 1)} {r.choice(['in', 'not in'])} {self.expr(r.choice(['dict', 'str']), depth + 1)})"
        if k == 6:
            return f"(not {self.expr(r.choice(['bool', 'int', 'list', 'str']), depth + 1)})"
        if k == 7:
            return f"({self.expr('bool', depth + 1)} {r.choice(['and', 'or'])} {self.expr('bool', depth + 1)})"
        return r.choice([f"({self.expr('list', 3)} is None)", f"isinstance({self.expr('int', depth + 1)}, int)",
                         f"({self.expr('list', depth + 1)} == {self.expr('list', depth + 1)})", f"bool({self.expr('float', depth + 1)})"])

    def e_list(self, depth: int, leaf: bool) -> str:
        r = self.r
        if leaf:
            v = self.var_of("list")
            if v and self.chance(0.6):
                return f"{v}[:]" if self.chance(0.2) else v
            return "[" + ", ".join(_lit(r.choice(INT_POOL)) for _ in range(r.randint(0, 4))) + "]"
        i = lambda: self.expr("int", depth + 1)  # noqa: E731
        e = lambda: self.expr("list", depth + 1)  # noqa: E731
        k = r.randrange(8)
        if k == 0:
            return "[" + ", ".join(i() for _ in range(r.randint(0, 3))) + "]"
        if k == 1 and not self.loop_depth:
            return f"({e()} + {e()})"
        if k == 2:
            return f"{e()}[{r.choice(['', '1', '-2', i()])}:{r.choice(['', '3', '-1', i()])}{r.choice(['', '', ':2', ':-1'])}]"
        if k == 3:
            return r.choice([f"sorted({e()})", f"list({self.expr('tuple', depth + 1)})", f"list(range({i()} % 6))"])
        if k == 4 and self.allow_comp:
            return r.choice([f"[y * 2 for y in {e()}]", f"[y for y in {e()} if y % 2]", f"[y + 1 for y in range(3)]"])
        if k == 5 and not self.loop_depth:
            return f"({e()} * ({i()} % 3))"
        return self.e_list(depth, True)

    def e_tuple(self, depth: int, leaf: bool) -> str:
        r = self.r
        if leaf:
            v = self.var_of("tuple")
            if v and self.chance(0.6):
                return v
            items = [_lit(r.choice(INT_POOL)) for _ in range(r.randint(0, 3))]
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        k = r.randrange(5)
        if k == 0:
            items = [self.expr("int", depth + 1) for _ in range(r.randint(1, 3))]
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        if k == 1:
            return f"tuple({self.expr('list', depth + 1)})"
        if k == 2 and not self.loop_depth:
            return f"({self.expr('tuple', depth + 1)} + {self.expr('tuple', depth + 1)})"
        if k == 3:
            return f"{self.expr('tuple', depth + 1)}[{r.choice(['', '1', '-1'])}:{r.choice(['', '2', self.expr('int', depth + 1)])}]"
        return self.e_tuple(depth, True)

    def e_dict(self, depth: int, leaf: bool) -> str:
        r = self.r
        if leaf:
            v = self.var_of("dict")
            if v and self.chance(0.7):
                return v
            return "{" + ", ".join(f"{r.choice(DICT_KEYS)!r}: {_lit(r.choice(INT_POOL))}" for _ in range(r.randint(0, 3))) + "}"
        k = r.randrange(4)
        if k == 0:
            return "{" + ", ".join(f"{self.expr('str', depth + 1)}: {self.expr('int', depth + 1)}" for _ in range(r.randint(0, 2))) + "}"
        if k == 1:
            return f"dict({self.expr('dict', depth + 1)})"
        if k == 2 and self.allow_comp:
            return f"{{kk: vv + 1 for kk, vv in {self.expr('dict', depth + 1)}.items()}}"
        return self.e_dict(depth, True)

    def e_set(self, depth: int, leaf: bool) -> str:
        r = self.r
        if leaf:
            v = self.var_of("set")
            if v and self.chance(0.7):
                return v
            return "{" + ", ".join(_lit(r.choice(INT_POOL)) for _ in range(r.randint(1, 3))) + "}"
        k = r.randrange(5)
        if k == 0:
            return "{" + ", ".join(self.expr("int", depth + 1) for _ in range(r.randint(1, 3))) + "}"
        if k == 1:
            return f"set({self.expr('list', depth + 1)})"
        if k == 2:
            return f"({self.expr('set', depth + 1)} {r.choice(['|', '&', '-', '^'])} {self.expr('set', depth + 1)})"
        if k == 3 and self.allow_comp:
            return f"{{y % 5 for y in {self.expr('list', depth + 1)}}}"
        return self.e_set(depth, True)

    # ------------------------------------------------------------ statements
    def block(self, indent: int, n: int) -> list[str]:
        out: list[str] = []
        for _ in range(n):
            out.extend(self.stmt(indent))
        return out or [" " * indent + "pass"]

    def stmt(self, ind: int) -> list[str]:
        r = self.r
        p = " " * ind
        k = r.randrange(24)
        nest_ok = ind < 16
        if k < 6:
            ty = r.choice(["int", "int", "int", "float", "str", "bool", "list", "tuple", "dict", "set"])
            v = self.var_of(ty)
            if v is None or v in self.loop_vars:
                return []
            return [f"{p}{v} = {self.expr(ty)}"]
        if k == 6:
            v = self.var_of("int")
            if v is None or v in self.loop_vars:
                return []
            op = r.choice(["+", "-", "^", "|", "&", "//", "%"] + ([] if self.loop_depth else ["*", "<<"]))
            rhs = self.expr("int", 1)
            if op == "<<":
                rhs = f"({rhs} % 40)"
            elif op in ("//", "%") and self.chance(0.7):
                rhs = f"({rhs} or 5)"
            return [f"{p}{v} {op}= {rhs}"]
        if k == 7:
            v = self.var_of("list")
            if v is None:
                return []
            return [r.choice([
                f"{p}{v}.append({self.expr('int', 1)})",
                f"{p}{v}[{self.expr('int', 2) if self.chance(0.3) else r.choice(['0', '-1', '1'])}] = {self.expr('int', 1)}",
                f"{p}del {v}[{r.choice(['0', '-1', '1:3', '::2'])}]",
                f"{p}{v}.pop()",
                f"{p}{v} += [{self.expr('int', 1)}]",
                f"{p}{v}.sort()",
            ])]
        if k == 8:
            v = self.var_of("dict")
            if v is None:
                return []
            return [r.choice([
                f"{p}{v}[{self.expr('str', 1)}] = {self.expr('int', 1)}",
                f"{p}{v}.pop({self.expr('str', 1)}, None)",
                f"{p}del {v}[{self.expr('str', 2)}]",
                f"{p}{v}.setdefault({self.expr('str', 1)}, {self.expr('int', 1)})",
            ])]
        if k == 9:
            v = self.var_of("set")
            if v is None:
                return []
            return [r.choice([f"{p}{v}.add({self.expr('int', 1)})", f"{p}{v}.discard({self.expr('int', 1)})", f"{p}{v} |= {self.expr('set', 1)}"])]
        if k in (10, 11) and nest_ok:
            out = [f"{p}if {self.expr('bool')}:"] + self.block(ind + 4, r.randint(1, 3))
            if self.chance(0.3):
                out += [f"{p}elif {self.expr('bool')}:"] + self.block(ind + 4, r.randint(1, 2))
            if self.chance(0.5):
                out += [f"{p}else:"] + self.block(ind + 4, r.randint(1, 2))
            return out
        if k in (12, 13) and nest_ok and self.loop_depth < 2:
            return self.loop(ind)
        if k == 14 and self.loop_depth:
            cond = self.expr("bool", 1)
            return [f"{p}if {cond}:", f"{p}    {r.choice(['break', 'continue'])}"]
        if k == 15 and self.allow_try and nest_ok:
            out = [f"{p}try:"] + self.block(ind + 4, r.randint(1, 3))
            n_except = r.randint(0, 2)
            for _ in range(n_except):
                names = r.sample(EXC_NAMES, r.randint(1, 2))
                out += [f"{p}except {names[0] if len(names) == 1 else '(' + ', '.join(names) + ')'}:"]
                out += self.block(ind + 4, r.randint(1, 2))
            if n_except and self.chance(0.3):
                out += [f"{p}else:"] + self.block(ind + 4, 1)
            if not n_except or self.chance(0.4):
                out += [f"{p}finally:"] + self.block(ind + 4, r.randint(1, 2))
            return out
        if k == 16 and self.allow_with and nest_ok:
            self.cm_used = True
            return [f"{p}with CM(log, {r.choice(['False', 'False', 'True'])}) as cm:"] + self.block(ind + 4, r.randint(1, 3))
        if k == 17 and self.allow_closures and nest_ok and not self.loop_depth:
            name = self.fresh("inner")
            cap = self.var_of("int") or "a"
            target = self.var_of("int") or "a"
            if target in self.loop_vars:
                return []
            return [f"{p}def {name}(z):", f"{p}    return z * 2 + {cap}", f"{p}{target} = {name}({self.expr('int', 1)})"]
        if k == 18:
            # tuple unpacking (sometimes of the wrong length)
            v1, v2 = self.var_of("int"), self.var_of("int")
            if not v1 or not v2 or v1 == v2 or v1 in self.loop_vars or v2 in self.loop_vars:
                return []
            rhs = r.choice([f"{v2}, {v1}", f"{self.expr('tuple', 1)}[:2]", f"({self.expr('int', 1)}, {self.expr('int', 1)})", f"{self.expr('list', 2)}[-2:]"])
            return [f"{p}{v1}, {v2} = {rhs}"]
        if k == 19 and ind > 4:
            return [f"{p}if {self.expr('bool', 1)}:", f"{p}    return {self.result_expr()}"]
        if k == 20 and ind > 4:
            return [f"{p}if {self.expr('bool', 1)}:", f"{p}    raise {r.choice(['ValueError', 'KeyError', 'RuntimeError'])}(f'boom {{{self.expr('int', 3)}}}')"]
        if k == 21:
            v = self.var_of("str")
            if v is None:
                return []
            return [f"{p}{v} += {self.expr('str', 1) if not self.loop_depth else repr(r.choice(STR_POOL))}"]
        if k == 22:
            v = self.var_of("float")
            if v is None:
                return []
            return [f"{p}{v} {r.choice(['+', '-', '*', '/'])}= {self.expr('float', 1)}"]
        v = self.var_of("int")
        if v is None or v in self.loop_vars:
            return []
        return [f"{p}{v} = h_int({self.expr('int', 1)}, q={self.expr('int', 1)})"]

    def loop(self, ind: int) -> list[str]:
        r = self.r
        p = " " * ind
        self.loop_depth += 1
        try:
            kind = r.randrange(5)
            if kind == 4:
                n = self.fresh("n")
                self.vars[n] = "int"
                self.loop_vars.append(n)  # not assigned in the body
                out = [f"{p}{n} = 0", f"{p}while {n} < {r.randint(1, 5)}:", f"{p}    {n} += 1"]
                out += self.block(ind + 4, r.randint(1, 3))
                self.loop_vars.remove(n)
                return out
            lv = self.fresh("i")
            if kind == 0:
                bound = r.choice(["3", "5", f"({self.expr('int', 1)}) % 5"])
                it, ty = f"range({r.choice(['', '-2, '])}{bound})", "int"
            elif kind == 1:
                it, ty = f"{self.expr('list', 1)}[:{r.randint(1, 5)}]", "int"
            elif kind == 2:
                it, ty = f"{self.expr('str', 1)}[:5]", "str"
            else:
                d = self.expr("dict", 1)
                it, ty = (f"list({d})" if self.chance(0.8) else d), "str"
            self.vars[lv] = ty
            self.loop_vars.append(lv)
            out = [f"{p}for {lv} in {it}:"] + self.block(ind + 4, r.randint(1, 3))
            self.loop_vars.remove(lv)
            if self.chance(0.2):
                self.loop_depth -= 1  # a loop's else clause is outside the loop
                out += [f"{p}else:"] + self.block(ind + 4, 1)
                self.loop_depth += 1
            del self.vars[lv]  # may be unbound after the loop: don't read it
            return out
        finally:
            self.loop_depth -= 1

    def result_expr(self) -> str:
        names = [n for n in self.vars if n not in self.loop_vars]
        return "(" + ", ".join(names) + (", log" if self.cm_used or self.allow_with else "") + ")"

    # ------------------------------------------------------------ program
    def helpers(self) -> list[str]:
        r = self.r
        self.in_helper = True
        saved, self.vars = self.vars, {"p": "int", "q": "int"}
        body_int = [f"    p = {self.expr('int', 1)}" for _ in range(r.randint(0, 2))]
        self.vars = {"p": "str", "n": "int"}
        body_str = f"    return {self.expr('str', 1)}"
        self.vars = saved
        self.in_helper = False
        return [
            "INF = float('inf')",
            "NAN = float('nan')",
            "",
            "def h_int(p, q=3):",
            *body_int,
            f"    return p {r.choice(['+', '-', '^', '|'])} q",
            "",
            "def h_str(p, n):",
            body_str,
            "",
            "class CM:",
            "    def __init__(self, log, swallow):",
            "        self.log = log",
            "        self.swallow = swallow",
            "    def __enter__(self):",
            "        self.log.append('enter')",
            "        return self",
            "    def __exit__(self, et, ev, tb):",
            "        self.log.append('exit' if et is None else 'exit ' + et.__name__)",
            "        return self.swallow",
            "",
        ]

    def program(self) -> FuzzCase:
        r = self.r
        head = self.helpers()
        self.vars = dict(self.PARAMS)
        body: list[str] = []
        if self.allow_with:
            body.append("    log = []")
        # a few extra locals, bound up front
        for ty in r.sample(["int", "int", "float", "str", "bool", "list", "dict", "set", "tuple"], r.randint(1, 4)):
            name = self.fresh("v")
            body.append(f"    {name} = {self.expr(ty)}")
            self.vars[name] = ty
        body += self.block(4, r.randint(3, 9))
        # while-loop counters start at 0 up front, so reading one after a loop that did
        # not run is not an UnboundLocalError (that family is covered by test_fuzz.py
        # regressions; without this it drowns everything else the fuzzer finds)
        counters = [n for n in self.vars if n.startswith("n") and n[1:].isdigit()]
        body[0:0] = [f"    {n} = 0" for n in counters]
        body.append(f"    return {self.result_expr()}")
        sig = ", ".join(n for n, _ in self.PARAMS)
        src = "\n".join(head + [f"def f({sig}):"] + body) + "\n"
        arg_sets = [self.args() for _ in range(2)]
        return FuzzCase(self.seed, src, arg_sets)

    def args(self) -> str:
        r = self.r
        a = _lit(r.choice(INT_POOL))
        b = _lit(r.choice(INT_POOL))
        x = _lit(r.choice(FLOAT_POOL))
        s = repr(r.choice(STR_POOL))
        xs = "[" + ", ".join(_lit(r.choice(INT_POOL)) for _ in range(r.randint(0, 5))) + "]"
        t = "(" + "".join(_lit(r.choice(INT_POOL)) + ", " for _ in range(r.randint(0, 4))) + ")"
        d = "{" + ", ".join(f"{k!r}: {_lit(r.choice(INT_POOL))}" for k in r.sample(DICT_KEYS, r.randint(0, 3))) + "}"
        st = "{" + ", ".join(_lit(r.choice(INT_POOL)) for _ in range(r.randint(1, 4))) + "}"
        return ", ".join([a, b, x, s, xs, t, d, st])


def generate(seed: int) -> FuzzCase:
    return Gen(seed).program()


# ---------------------------------------------------------------- running


def nested_codes(code: types.CodeType) -> list[types.CodeType]:
    out = []
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            out.append(c)
            out.extend(nested_codes(c))
    return out


def in_subset(code: types.CodeType) -> bool:
    return not (difftest.opnames(code) - difftest.COMPILED_OPCODES)


@dataclass
class RunResult:
    compiled_checked: int  # code objects that had to compile and did
    outside_subset: int  # code objects outside the subset (equality only)


def run_source(src: str, arg_sets: list[str], label: str = "") -> RunResult:
    """Differential run of one program; raises AssertionError on any difference."""
    pair = difftest.DiffPair(src, ("f",))
    codes = [c for c in nested_codes(pair.jitted.code) if c.co_name not in ("CM",)]

    def mark_all() -> None:
        for c in codes:
            _pyjion.mark_jit(c)

    mark_all()
    for args in arg_sets:
        mark_all()
        pair.check(args, calls=2)
    checked = outside = 0
    for c in codes:
        if not in_subset(c):
            outside += 1
            continue
        i = pyjion.info(c)
        if i.run_count == 0:
            continue
        assert i.compiled and not i.failed, (
            f"{label}{c.co_qualname} uses only compiled-subset opcodes but was not compiled: {i}\nsource:\n{src}"
        )
        checked += 1
    return RunResult(checked, outside)


def run_case(case: FuzzCase) -> RunResult:
    return run_source(case.src, case.arg_sets, f"seed {case.seed}: ")
