"""pyjion: a just-in-time compiler for CPython 3.11 on x86-64 Linux.

``import pyjion; pyjion.enable()`` installs a PEP 523 frame-evaluation hook.
Hot code objects are compiled to x86-64 machine code; everything else runs in
CPython's own evaluator. Results, exceptions, tracebacks and line numbers are
the interpreter's; only the speed differs. Anything pyjion cannot compile runs
in CPython, and :func:`info` says why.
"""
from __future__ import annotations

import platform
import sys


def _platform_problem() -> str | None:
    """Describe this interpreter if pyjion cannot run on it, else None."""
    impl = sys.implementation.name
    version = "%d.%d.%d" % tuple(sys.version_info[:3])
    machine = platform.machine() or "unknown machine"
    system = sys.platform
    ok = (
        impl == "cpython"
        and tuple(sys.version_info[:2]) == (3, 11)
        and machine in ("x86_64", "AMD64")
        and system.startswith("linux")
    )
    if ok:
        return None
    names = {"cpython": "CPython", "pypy": "PyPy", "graalpy": "GraalPy"}
    return f"{names.get(impl, impl)} {version} on {machine} {system}"


_problem = _platform_problem()
if _problem is not None:
    # Checked before the native module is imported: loading it anywhere else
    # would crash or fail with an obscure linker error.
    raise ImportError(f"pyjion supports CPython 3.11 on x86-64 Linux; this is {_problem}")
del _problem

import atexit  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import types  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import IO, Any, Callable, TypeVar, overload  # noqa: E402

from . import _pyjion  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "JitInfo",
    "__version__",
    "config",
    "dis_native",
    "disable",
    "enable",
    "info",
    "is_enabled",
    "jit",
    "stats",
]

_F = TypeVar("_F", bound=Callable[..., Any])


# --------------------------------------------------------------------------
# Global mode


def enable() -> None:
    """Compile every hot function from now on (global mode). Calling it twice is harmless."""
    _pyjion.enable()


def disable() -> None:
    """Stop running compiled code anywhere, ``@jit`` functions included.

    Compiled code and history (:func:`info`, :func:`stats`) are kept. :func:`enable`
    or a new :func:`jit` turns the JIT back on. Calling it twice is harmless.
    """
    _pyjion.disable()


def is_enabled() -> bool:
    """True in global mode (after :func:`enable`, before :func:`disable`)."""
    return bool(_pyjion.is_enabled())


# --------------------------------------------------------------------------
# Configuration


class _Unset:
    def __repr__(self) -> str:
        return "<unset>"


_UNSET: Any = _Unset()


def _check_int(name: str, value: object) -> int:
    # bool is an int subclass; config(threshold=True) is almost surely a mistake.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value > sys.maxsize:
        raise ValueError(f"{name} must be at most {sys.maxsize}, not {value}")
    return int(value)


def config(
    threshold: int | None = None,
    max_code_bytes: int | None = _UNSET,
    hook_only: bool | None = None,
    perf_map: bool | None = None,
    **unknown: Any,
) -> dict[str, Any]:
    """Change settings and return all current settings as a dict.

    ``threshold``: calls a function runs interpreted before it is compiled
    (0 compiles at the first call). Functions containing loops compile at their
    first call whatever the threshold.
    ``max_code_bytes``: cap on the machine code kept, or None for no cap. When
    the cap is reached pyjion stops compiling (``stats()["max_code_bytes_reached"]``).
    ``hook_only``: install the hook but compile nothing (a baseline for measuring
    the hook's own cost and behaviour).
    ``perf_map``: write perf's map file ``/tmp/perf-<pid>.map`` (a line per function
    compiled from then on), so ``perf report`` names compiled functions. Also turned
    on by the environment variable ``PYJION_PERF_MAP=1`` at import.

    Every argument is validated before anything changes. Settings survive
    :func:`enable` and :func:`disable`.
    """
    if unknown:
        name = sorted(unknown)[0]
        raise TypeError(f"config() got an unexpected keyword argument {name!r}")
    changes: dict[str, Any] = {}
    if threshold is not None:
        value = _check_int("threshold", threshold)
        if value < 0:
            raise ValueError(f"threshold must be >= 0, not {value}")
        changes["threshold"] = value
    if max_code_bytes is not _UNSET:
        if max_code_bytes is None:
            changes["max_code_bytes"] = None
        else:
            value = _check_int("max_code_bytes", max_code_bytes)
            if value <= 0:
                raise ValueError(f"max_code_bytes must be > 0 or None, not {value}")
            changes["max_code_bytes"] = value
    if hook_only is not None:
        if not isinstance(hook_only, bool):
            raise TypeError(f"hook_only must be a bool, not {type(hook_only).__name__}")
        changes["hook_only"] = hook_only
    if perf_map is not None:
        if not isinstance(perf_map, bool):
            raise TypeError(f"perf_map must be a bool, not {type(perf_map).__name__}")
        changes["perf_map"] = perf_map
    if changes:
        settings = dict(_pyjion.get_config())
        settings.update(changes)
        _pyjion.set_config(settings)
    return dict(_pyjion.get_config())


# --------------------------------------------------------------------------
# Opt-in compilation


@overload
def jit(f: _F) -> _F: ...
@overload
def jit(f: None = None) -> Callable[[_F], _F]: ...


def jit(f: Any = None) -> Any:
    """Compile ``f`` at its first call, whatever the threshold.

    Usable as ``@jit`` or ``@jit()``; returns the same function object. If the
    JIT is not enabled this turns on opt-in mode, where only functions marked
    with ``jit`` compile.
    """
    if f is None:
        return _mark
    return _mark(f)


def _mark(f: _F) -> _F:
    if not isinstance(f, types.FunctionType):
        what = type(f).__name__
        hint = " (decorate the function itself, not a bound method)" if isinstance(f, types.MethodType) else ""
        raise TypeError(f"jit() expects a Python function, not {what}{hint}")
    _pyjion.mark_jit(f.__code__)
    return f


# --------------------------------------------------------------------------
# Introspection


@dataclass(frozen=True)
class JitInfo:
    """What pyjion did with one code object."""

    compiled: bool
    """A native entry exists."""
    failed: bool
    """Compilation was tried and declined; ``reason`` says why."""
    reason: str | None
    run_count: int
    """Calls the hook has seen."""
    compile_count: int
    code_size: int
    """Bytes of machine code."""
    compile_time_ns: int
    exits: dict[str, int]
    """Mid-frame exits to the interpreter, by reason."""
    call_sites: int = 0
    """CALL instructions in the compiled code."""
    direct_call_sites: int = 0
    """Of those, the sites whose machine code calls a compiled function directly (it
    was called there with exactly its positional parameters)."""
    operator_sites: int = 0
    """BINARY_SUBSCR and BINARY_OP (+ - * / and in-place forms) instructions."""
    direct_operator_sites: int = 0
    """Of those, the sites whose machine code calls a class's compiled Python method
    for the operator (``__add__``, ``__getitem__``...) directly."""
    direct_entry: str = "none"
    """What a direct call from compiled code enters: ``"full"`` (the frame set up and
    linked, as the interpreter would), ``"trivial"`` (``return <argument>`` or
    ``return <constant>``: the result, the frame popped unlinked), ``"leaf"`` (a body
    that only reads attributes, items and globals, compares and tests, run unlinked on
    borrowed values, else the full entry), or ``"none"`` (not compiled, or only entered
    through the hook: generators, ``*args``, ``**kwargs``, keyword-only parameters)."""
    leaf_start_overs: int = 0
    """Direct calls of a ``"leaf"`` that started over through the full entry (a type, a
    cache miss or a value its fast paths do not take): a leaf that mostly starts over
    costs more than a full entry would."""
    leaf_off: bool = False
    """The leaf entry was turned off: past 512 start overs, more than half of the runs
    had started over; direct calls enter the full entry since."""

    def __str__(self) -> str:
        if self.compiled:
            head = (
                f"compiled: {self.code_size} bytes of machine code, "
                f"compiled {self.compile_count}x in {self.compile_time_ns / 1e6:.3f} ms"
            )
        elif self.failed:
            head = f"not compiled: {self.reason}"
        else:
            head = f"not compiled yet (called {self.run_count} times)"
        parts = [head, f"runs: {self.run_count}"]
        if self.call_sites:
            parts.append(f"direct call sites: {self.direct_call_sites}/{self.call_sites}")
        if self.direct_operator_sites:
            parts.append(f"direct operator sites: {self.direct_operator_sites}/{self.operator_sites}")
        if self.direct_entry == "trivial":
            parts.append("direct entry: trivial")
        elif self.direct_entry == "leaf":
            state = ", turned off" if self.leaf_off else ""
            parts.append(f"direct entry: leaf ({self.leaf_start_overs} started over{state})")
        if self.exits:
            listed = ", ".join(f"{k}: {v}" for k, v in sorted(self.exits.items()))
            parts.append(f"exits to interpreter: {listed}")
        return "; ".join(parts)


def _code_of(obj: object, caller: str) -> types.CodeType:
    if isinstance(obj, types.CodeType):
        return obj
    if isinstance(obj, types.MethodType):
        obj = obj.__func__
    if isinstance(obj, types.FunctionType):
        return obj.__code__
    raise TypeError(f"{caller}() expects a function, bound method or code object, not {type(obj).__name__}")


def info(obj: object) -> JitInfo:
    """What pyjion did with a function, bound method or code object."""
    d = _pyjion.info(_code_of(obj, "info"))
    return JitInfo(
        compiled=bool(d["compiled"]),
        failed=bool(d["failed"]),
        reason=None if d["reason"] is None else str(d["reason"]),
        run_count=int(d["run_count"]),
        compile_count=int(d["compile_count"]),
        code_size=int(d["code_size"]),
        compile_time_ns=int(d["compile_time_ns"]),
        exits=dict(d["exits"]),
        call_sites=int(d["call_sites"]),
        direct_call_sites=int(d["direct_call_sites"]),
        operator_sites=int(d["operator_sites"]),
        direct_operator_sites=int(d["direct_operator_sites"]),
        direct_entry=str(d["direct_entry"]),
        leaf_start_overs=int(d["leaf_start_overs"]),
        leaf_off=bool(d["leaf_off"]),
    )


def stats() -> dict[str, Any]:
    """Process-wide counters: compiled, declined, decline_reasons, code_bytes, compile_time_ns, exits, ..."""
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in _pyjion.stats().items()}


def dis_native(f: object, file: IO[str] | None = None) -> None:
    """Print the machine code of a compiled function, each bytecode instruction
    as a comment above its code; for a function not compiled, print why."""
    code = _code_of(f, "dis_native")
    out = sys.stdout if file is None else file
    listing = _pyjion.dis_native(code)
    if listing is not None:
        print(listing, file=out, end="" if listing.endswith("\n") else "\n")
        return
    i = info(code)
    if i.failed:
        print(f"{code.co_qualname}: not compiled: {i.reason}", file=out)
    else:
        print(f"{code.co_qualname}: not compiled yet (called {i.run_count} times)", file=out)


# --------------------------------------------------------------------------
# PYJION_STATS_FILE: dump stats() as JSON at exit, so tools can add up
# figures across processes.


def _write_stats_file(path: str) -> None:
    try:
        data = json.dumps(stats(), sort_keys=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.write("\n")
        os.replace(tmp, path)
    except Exception as exc:  # at exit nobody can handle it; say so and go on
        print(f"pyjion: could not write PYJION_STATS_FILE {path!r}: {exc}", file=sys.stderr)


_stats_path = os.environ.get("PYJION_STATS_FILE")
if _stats_path:
    atexit.register(_write_stats_file, _stats_path)
del _stats_path

# PYJION_PERF_MAP=1: perf's map file from the start (see config()).
if os.environ.get("PYJION_PERF_MAP", "") not in ("", "0"):
    config(perf_map=True)
