"""Install pyjion in every process of a CPython regression-test run.

``python/tools/regrtest.py`` puts this directory (and the ``python/`` directory
that holds the ``pyjion`` package) on ``PYTHONPATH``. regrtest's worker
processes inherit the environment, so each of them imports this module at
start-up. It does nothing unless asked to:

``PYJION_REGRTEST_MODE``
    ``none`` or unset: do not import pyjion at all (the baseline).
    ``hook``: ``pyjion.config(hook_only=True); pyjion.enable()`` -- the frame
    evaluation hook is installed but nothing is compiled.
    ``jit``: ``pyjion.config(threshold=0); pyjion.enable()`` -- every function
    is compiled at its first call.
``PYJION_STATS_DIR``
    If set (and the mode is ``hook`` or ``jit``), ``pyjion.stats()`` is written
    at exit as JSON to ``$PYJION_STATS_DIR/<mode>-<pid>.json``, together with
    the process's role (``worker``, ``coordinator`` or ``other``) and, for a
    regrtest worker, the test module it ran. A process that crashes writes
    nothing; a forked child does not write the counters it inherited.
``PYJION_REGRTEST_SKIP_COORDINATOR``
    ``1``: leave the regrtest coordinator (``python -m test``) alone and enable
    pyjion only in the other processes. ``regrtest.py`` sets it for its ``-jN``
    runs, where the coordinator only schedules workers, so that a JIT crash
    cannot take the whole run down. Unset, pyjion is enabled there too, which
    is what a sequential rerun (``PYJION_REGRTEST_MODE=jit python -m test
    test_x -v``, no ``-j``) needs: it runs the tests in the coordinator.

Any other ``sitecustomize`` further along ``sys.path`` is run first, so this
module does not hide one.
"""
from __future__ import annotations

import os
import sys


def _chain_other_sitecustomize() -> None:
    """Run the next ``sitecustomize`` on sys.path, if there is one."""
    import importlib.machinery
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    path = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", path)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # site.py would print and go on; so do we
        print(f"Error in chained sitecustomize {spec.origin}: {exc!r}", file=sys.stderr)


def _role() -> tuple[str, str | None]:
    """What this process is in a regrtest run, and the test it runs (workers)."""
    argv = list(getattr(sys, "orig_argv", sys.argv))
    for i, arg in enumerate(argv[:-1]):
        if arg == "-m":
            target = argv[i + 1]
            if target == "test.libregrtest.worker":
                test = None
                try:
                    import json

                    tests = json.loads(argv[-1]).get("tests") or []
                    test = ",".join(str(t) for t in tests) or None  # as regrtest prints them
                except Exception:
                    pass
                return "worker", test
            if target in ("test", "test.regrtest", "test.__main__"):
                return "coordinator", None
            break
    return "other", None


def _install(mode: str) -> None:
    role, test = _role()
    if role == "coordinator" and os.environ.get("PYJION_REGRTEST_SKIP_COORDINATOR") == "1":
        return
    import pyjion

    if mode == "hook":
        pyjion.config(hook_only=True)
    else:
        pyjion.config(threshold=0)
    pyjion.enable()

    stats_dir = os.environ.get("PYJION_STATS_DIR")
    if not stats_dir:
        return
    import atexit

    pid = os.getpid()
    argv = [str(a) for a in getattr(sys, "orig_argv", sys.argv)]

    def write_stats() -> None:
        if os.getpid() != pid:  # forked child: its counters are mostly the parent's
            return
        try:
            import json

            record = {
                "mode": mode,
                "pid": pid,
                "role": role,
                "test": test,
                "argv": [a[:200] for a in argv[:6]],
                "stats": pyjion.stats(),
            }
            path = os.path.join(stats_dir, f"{mode}-{pid}.json")
            tmp = f"{path}.tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(record, fh, sort_keys=True)
            os.replace(tmp, path)
        except Exception as exc:  # at exit nobody can handle it; say so and go on
            print(f"pyjion regrtest_site: could not write stats: {exc!r}", file=sys.stderr)

    atexit.register(write_stats)


_chain_other_sitecustomize()

_mode = os.environ.get("PYJION_REGRTEST_MODE", "none").strip().lower()
if _mode in ("hook", "jit"):
    try:
        _install(_mode)
    except Exception as _exc:
        # Loud, so that a broken install is not mistaken for a clean run.
        print(f"pyjion regrtest_site: could not enable pyjion ({_mode}): {_exc!r}", file=sys.stderr)
        raise
elif _mode not in ("", "none"):
    raise RuntimeError(f"PYJION_REGRTEST_MODE must be none, hook or jit, not {_mode!r}")
del _mode

