"""Differential harness: run the same source compiled by pyjion and interpreted by
CPython, and demand identical behaviour.

The source defines a function ``f`` (and possibly helpers). It is exec'd into two
fresh namespaces under a distinctive file name ``<difftest-N>``. In one namespace
``f`` is marked with :func:`pyjion.jit`; the other is left alone. The tests run in
opt-in mode, so unmarked code (helpers, module bodies, comprehensions' own code
objects) is interpreted either way.

Both versions are called with the same arguments and must give

* the same result: ``==`` and the same type, ``repr`` for floats (nan, -0.0),
  compared recursively through containers and instance ``__dict__``; or
* the same exception: type, ``str(exc)``, and the (function name, line, columns)
  of every traceback frame inside the test source;
* and leave their arguments in the same state.

Afterwards ``pyjion.info(f).compiled`` must be true (``expect_compiled=True``), or
for :func:`run_declined` ``failed`` must be true with a reason that names an
opcode ``f`` really contains.
"""
from __future__ import annotations

import builtins
import copy
import dis
import itertools
import re
import textwrap
import traceback
import types
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

import pyjion

# Opcodes of the first compiled subset. Anything else is declined for now. When
# the compiler grows, add opcodes here and move the matching cases in
# test_differential.py from DECLINED_CASES to the compiled lists.
COMPILED_OPCODES: frozenset[str] = frozenset(
    """
    CACHE EXTENDED_ARG RESUME NOP
    LOAD_FAST STORE_FAST DELETE_FAST LOAD_CONST POP_TOP PUSH_NULL COPY SWAP
    BINARY_OP UNARY_NEGATIVE UNARY_POSITIVE UNARY_INVERT UNARY_NOT
    COMPARE_OP IS_OP CONTAINS_OP
    JUMP_FORWARD JUMP_BACKWARD JUMP_BACKWARD_NO_INTERRUPT
    POP_JUMP_FORWARD_IF_FALSE POP_JUMP_FORWARD_IF_TRUE
    POP_JUMP_FORWARD_IF_NONE POP_JUMP_FORWARD_IF_NOT_NONE
    POP_JUMP_BACKWARD_IF_FALSE POP_JUMP_BACKWARD_IF_TRUE
    POP_JUMP_BACKWARD_IF_NONE POP_JUMP_BACKWARD_IF_NOT_NONE
    JUMP_IF_FALSE_OR_POP JUMP_IF_TRUE_OR_POP
    GET_ITER FOR_ITER
    LOAD_GLOBAL LOAD_ATTR STORE_ATTR LOAD_METHOD PRECALL CALL KW_NAMES
    BINARY_SUBSCR STORE_SUBSCR BUILD_SLICE
    BUILD_TUPLE BUILD_LIST BUILD_SET BUILD_MAP BUILD_CONST_KEY_MAP
    LIST_EXTEND SET_UPDATE LIST_APPEND SET_ADD MAP_ADD
    UNPACK_SEQUENCE RETURN_VALUE MAKE_FUNCTION
    FORMAT_VALUE BUILD_STRING
    DELETE_SUBSCR DELETE_ATTR LIST_TO_TUPLE DICT_UPDATE
    RAISE_VARARGS RERAISE
    PUSH_EXC_INFO POP_EXCEPT CHECK_EXC_MATCH
    MAKE_CELL COPY_FREE_VARS LOAD_CLOSURE LOAD_DEREF STORE_DEREF DELETE_DEREF
    BEFORE_WITH WITH_EXCEPT_START CALL_FUNCTION_EX DICT_MERGE UNPACK_EX
    IMPORT_NAME IMPORT_FROM STORE_GLOBAL DELETE_GLOBAL LOAD_ASSERTION_ERROR LOAD_BUILD_CLASS
    GET_LEN MATCH_MAPPING MATCH_SEQUENCE MATCH_KEYS MATCH_CLASS
    RETURN_GENERATOR YIELD_VALUE SEND GET_AWAITABLE GET_AITER GET_ANEXT END_ASYNC_FOR
    ASYNC_GEN_WRAP GET_YIELD_FROM_ITER BEFORE_ASYNC_WITH JUMP_BACKWARD_NO_INTERRUPT
    CHECK_EG_MATCH PREP_RERAISE_STAR
    """.split()
)

_counter = itertools.count()


def nested_code(code: types.CodeType) -> list[types.CodeType]:
    """The code objects defined inside ``code`` (comprehensions, generator
    expressions, inner functions), recursively."""
    out = []
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            out.append(const)
            out.extend(nested_code(const))
    return out


def opnames(code: types.CodeType) -> set[str]:
    return {i.opname for i in dis.get_instructions(code)}


@dataclass
class Outcome:
    kind: str  # "return" or "raise"
    value: Any  # normalized result or (type name, str, frames)
    args_after: Any  # normalized arguments after the call

    def describe(self) -> str:
        return f"{self.kind}: {self.value!r}; args after: {self.args_after!r}"


_ADDR = re.compile(r" at 0x[0-9a-fA-F]+")


def normalize(obj: Any, _depth: int = 0) -> Any:
    """A hashable, comparable picture of ``obj``: exact types, float reprs,
    containers element by element, instances by class name and ``__dict__``."""
    if _depth > 50:
        return ("<deep>",)
    d = _depth + 1
    t = type(obj)
    if obj is None or t in (bool, int, str, bytes):
        return (t.__name__, obj)
    if t in (float, complex):
        return (t.__name__, repr(obj))
    if t in (list, tuple):
        return (t.__name__, tuple(normalize(x, d) for x in obj))
    if t is dict:
        return ("dict", tuple((normalize(k, d), normalize(v, d)) for k, v in obj.items()))
    if t in (set, frozenset):
        return (t.__name__, frozenset(normalize(x, d) for x in obj))
    if t is range or t is slice:
        return (t.__name__, repr(obj))
    if t in (types.FunctionType, types.BuiltinFunctionType, types.MethodType):
        return (t.__name__, getattr(obj, "__qualname__", repr(obj)))
    if isinstance(obj, BaseException):
        return ("exception", t.__qualname__, str(obj))
    if isinstance(obj, type):
        return ("type", obj.__qualname__)
    if hasattr(obj, "__dict__") and not isinstance(obj, types.ModuleType):
        return ("instance", t.__qualname__, normalize(vars(obj), d))
    slots = [n for k in t.__mro__ for n in getattr(k, "__slots__", ()) if isinstance(n, str)]
    if slots:
        return ("instance", t.__qualname__, tuple((n, normalize(getattr(obj, n, "<unset>"), d)) for n in slots))
    return (t.__qualname__, _ADDR.sub("", repr(obj)))


def _frames(exc: BaseException, filename: str) -> tuple[tuple[Any, ...], ...]:
    out = []
    for fs in traceback.extract_tb(exc.__traceback__):
        if fs.filename == filename:
            out.append((fs.name, fs.lineno, fs.end_lineno, fs.colno, fs.end_colno))
    return tuple(out)


class Program:
    """One copy of the test source, exec'd in a fresh namespace."""

    def __init__(self, src: str, jit_names: Sequence[str], entry: str = "f", jit_nested: bool = False) -> None:
        self.jit_nested = jit_nested
        self.filename = f"<difftest-{next(_counter)}>"
        self.code = compile(src, self.filename, "exec")
        # One module name for both copies, so reprs of the source's classes agree.
        self.ns: dict[str, Any] = {"__name__": "difftest_src", "__builtins__": builtins}
        exec(self.code, self.ns)
        self.entry = self.ns[entry]  # what the test calls
        self.f = self.ns["f"]  # what info() is asked about
        self.jit_names = tuple(jit_names)
        self.mark()

    def mark(self) -> None:
        for name in self.jit_names:
            pyjion.jit(self.ns[name])
            if self.jit_nested:
                for code in nested_code(self.ns[name].__code__):
                    pyjion._pyjion.mark_jit(code)

    def make_args(self, args: Any, kwargs: dict[str, Any] | None) -> tuple[tuple[Any, ...], dict[str, Any]]:
        if isinstance(args, str):
            # An expression evaluated in this namespace: fresh objects of the source's own classes.
            made = eval(f"({args},)" if args.strip() else "()", self.ns)
        elif callable(args):
            made = tuple(args())
        else:
            made = copy.deepcopy(tuple(args))
        return made, copy.deepcopy(kwargs or {})

    def call(self, args: Any, kwargs: dict[str, Any] | None) -> Outcome:
        a, kw = self.make_args(args, kwargs)
        try:
            result = self.entry(*a, **kw)
        except Exception as exc:
            value = (type(exc).__qualname__, str(exc), _frames(exc, self.filename))
            return Outcome("raise", value, normalize((a, kw)))
        return Outcome("return", normalize(result), normalize((a, kw)))


class DiffPair:
    """The source twice: ``jitted`` with ``jit_names`` marked, ``plain`` untouched."""

    def __init__(self, src: str, jit_names: Sequence[str] = ("f",), entry: str = "f", jit_nested: bool = False) -> None:
        src = textwrap.dedent(src)
        self.src = src
        self.jitted = Program(src, jit_names, entry, jit_nested)
        self.plain = Program(src, (), entry)

    @property
    def f(self) -> Callable[..., Any]:
        return self.jitted.f

    def check(self, args: Any = (), kwargs: dict[str, Any] | None = None, calls: int = 2) -> Outcome:
        """Call both versions ``calls`` times; assert identical outcomes; return the last."""
        self.jitted.mark()  # a disable() in an earlier test turns opt-in mode off
        last = None
        for n in range(calls):
            got = self.jitted.call(args, kwargs)
            want = self.plain.call(args, kwargs)
            assert got == want, (
                f"call {n + 1}: pyjion and CPython differ\n"
                f"  pyjion : {got.describe()}\n  cpython: {want.describe()}\n"
                f"source:\n{self.src}\nargs: {args!r} kwargs: {kwargs!r}"
            )
            last = got
        assert last is not None
        return last

    def assert_compiled(self) -> None:
        for name in self.jitted.jit_names:
            i = pyjion.info(self.jitted.ns[name])
            assert i.compiled and not i.failed, f"expected {name} to be compiled; info: {i}\nsource:\n{self.src}"
            if self.jitted.jit_nested:
                for code in nested_code(self.jitted.ns[name].__code__):
                    i = pyjion.info(code)
                    if i.run_count:
                        assert i.compiled, f"expected {code.co_name} to be compiled; info: {i}\nsource:\n{self.src}"

    def assert_no_exits(self) -> None:
        for name in self.jitted.jit_names:
            exits = pyjion.info(self.jitted.ns[name]).exits
            assert not any(exits.values()), f"{name} left for the interpreter mid-frame: {exits}\nsource:\n{self.src}"

    def assert_declined(self, names: Iterable[str] | None = None) -> str:
        i = pyjion.info(self.f)
        assert i.failed and not i.compiled, f"expected f to be declined; info: {i}\nsource:\n{self.src}"
        assert i.reason, "a declined function must say why"
        assert_reason_names_opcode(i.reason, self.f.__code__, names)
        return i.reason


def assert_reason_names_opcode(reason: str, code: types.CodeType, names: Iterable[str] | None = None) -> None:
    """The reason names an opcode of ``code`` outside the first subset (or one of
    ``names``); if it also gives "offset N" and "line L", those must be right."""
    candidates = set(names) if names is not None else opnames(code) - COMPILED_OPCODES
    named = [c for c in candidates if re.search(rf"\b{c}\b", reason)]
    assert named, f"reason {reason!r} names none of {sorted(candidates)}"
    m = re.search(r"\b([A-Z][A-Z0-9_]+)\b.*?offset (\d+)", reason)
    if m:
        instrs = {i.offset: i for i in dis.get_instructions(code)}
        op, offset = m.group(1), int(m.group(2))
        assert offset in instrs, f"reason {reason!r}: no instruction at offset {offset}"
        assert instrs[offset].opname == op, f"reason {reason!r}: offset {offset} holds {instrs[offset].opname}"
        line = re.search(r"line (\d+)", reason)
        if line and instrs[offset].positions is not None and instrs[offset].positions.lineno is not None:
            assert int(line.group(1)) == instrs[offset].positions.lineno, f"reason {reason!r}: wrong line"


def run_diff(
    src: str,
    args: Any = (),
    kwargs: dict[str, Any] | None = None,
    *,
    expect_compiled: bool = True,
    jit_names: Sequence[str] = ("f",),
    entry: str = "f",
    calls: int = 2,
    jit_nested: bool = False,
    no_exits: bool = False,
) -> Outcome:
    """Differential check of ``src``'s ``f``; then assert it was compiled.

    ``entry`` names the function called (default ``f``); ``jit_names`` the
    functions marked (default just ``f``). ``info`` is always asked about ``f``.
    With ``no_exits``, the marked functions must also have run to the end as machine
    code: no mid-frame exit to the interpreter (``info(f).exits``, and the
    process-wide ``stats()["exits"]`` when only marked functions are compiled).

    ``args`` is a tuple (deep-copied for each call), a callable returning the
    arguments, or a string expression evaluated in each namespace.
    """
    pair = DiffPair(src, jit_names, entry, jit_nested)
    if expect_compiled:
        for name in jit_names:
            outside = opnames(pair.jitted.ns[name].__code__) - COMPILED_OPCODES
            assert not outside, f"test bug: {name} uses {sorted(outside)}, outside the first compiled subset"
    global_before = sum(pyjion.stats()["exits"].values())
    out = pair.check(args, kwargs, calls)
    global_after = sum(pyjion.stats()["exits"].values())
    if expect_compiled:
        pair.assert_compiled()
    if no_exits:
        pair.assert_no_exits()
        if not pyjion.is_enabled():  # opt-in mode: only the marked functions run compiled
            assert global_after == global_before, f"stats()['exits'] grew: {pyjion.stats()['exits']}\nsource:\n{pair.src}"
    return out


def run_declined(
    src: str,
    args: Any = (),
    kwargs: dict[str, Any] | None = None,
    *,
    opcodes: Iterable[str] | None = None,
    entry: str = "f",
    calls: int = 2,
) -> str:
    """``f`` must be declined (``failed`` with a reason naming an opcode) and still
    behave exactly like the interpreter. Returns the reason."""
    pair = DiffPair(src, ("f",), entry)
    pair.check(args, kwargs, calls)
    return pair.assert_declined(opcodes)
