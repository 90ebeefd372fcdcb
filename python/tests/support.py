"""Helpers for tests that start a child interpreter."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import dis
import textwrap
from types import ModuleType
from typing import Any

import pyjion


def child_env(**extra: str) -> dict[str, str]:
    """Environment for a child interpreter that imports this same pyjion."""
    env = dict(os.environ)
    here = os.path.dirname(os.path.dirname(os.path.abspath(pyjion.__file__)))
    env["PYTHONPATH"] = here + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("PYJION_STATS_FILE", None)
    env.update(extra)
    return env


def run_child(src: str, timeout: float = 120, **extra_env: str) -> subprocess.CompletedProcess[str]:
    """Run ``src`` in a fresh interpreter; return the completed process (text mode)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(src)],
        env=child_env(**extra_env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def popen_child(src: str, **kw: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-u", "-c", textwrap.dedent(src)],
        env=child_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


_fresh_counter = 0


def fresh(src: str, name: str = "f") -> Any:
    """A new function (with a new code object, so no JIT history) from ``src``."""
    global _fresh_counter
    _fresh_counter += 1
    ns: dict[str, Any] = {"__name__": "fresh"}
    exec(compile(textwrap.dedent(src), f"<fresh-{_fresh_counter}>", "exec"), ns)
    return ns[name]


def fresh_declined() -> Any:
    """A new function whose bytecode holds an opcode pyjion does not compile.

    Every opcode a compiler puts in a function body compiles, so this one is made as
    a bytecode rewriter would make it: ``import math`` whose STORE_FAST is replaced by
    IMPORT_STAR (both pop one value), which the interpreter runs through f's locals
    mapping. ``f(x)`` returns ``1 // x if x else 0``.
    """
    f = fresh("def f(x):\n    import math\n    return 1 // x if x else 0\n")
    code = bytearray(f.__code__.co_code)
    store = next(i for i in dis.get_instructions(f) if i.opname == "STORE_FAST")
    code[store.offset] = dis.opmap["IMPORT_STAR"]
    code[store.offset + 1] = 0
    f.__code__ = f.__code__.replace(co_code=bytes(code))
    return f


TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools")


def load_tool(filename: str, module_name: str) -> ModuleType:
    """A script from python/tools loaded as a module (it is not a package)."""
    spec = importlib.util.spec_from_file_location(module_name, os.path.join(TOOLS, filename))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up
    spec.loader.exec_module(module)
    return module
