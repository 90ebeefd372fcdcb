#!/usr/bin/env bash
# The one test command: build pyjion from scratch and run every test.
#   bash python/tools/test-all.sh
# Steps: test dependencies, clean in-place build of pyjion._pyjion, Swift unit
# tests, the Python test suite, then a curated part of CPython's own test suite
# with the JIT (python/tools/regrtest.py). Exits non-zero on any failure.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."   # repository root
PY="${PYTHON:-python3}"

echo "== test dependencies"
if ! "$PY" -c "import pytest, hypothesis" 2>/dev/null; then
    "$PY" -m pip install -q pytest hypothesis
fi
# coverage.py for test_coverage.py (same line and branch data with the JIT); pinned,
# as its tracers are what the test exercises.
COVERAGE_VERSION=7.6.1
if ! "$PY" -c "import coverage, sys; sys.exit(coverage.__version__ != '$COVERAGE_VERSION')" 2>/dev/null; then
    "$PY" -m pip install -q "coverage==$COVERAGE_VERSION"
fi

echo "== build pyjion._pyjion in place"
rm -f python/pyjion/_pyjion*.so
"$PY" setup.py build_ext --inplace

echo "== Swift unit tests"
# The headers of this interpreter, as setup.py passes them.
mapfile -t XCC < <("$PY" - <<'PYEOF'
import sysconfig
seen = []
for key in ("include", "platinclude"):
    path = sysconfig.get_paths().get(key)
    if path and path not in seen:
        seen.append(path)
        print("-Xcc")
        print(f"-I{path}")
PYEOF
)
swift build --build-tests --scratch-path .build-test "${XCC[@]}"
swift test --skip-build --scratch-path .build-test "${XCC[@]}"

echo "== Python tests"
PYTHONPATH=python "$PY" -m pytest python/tests -q

echo "== CPython regression tests, curated subset: no hook vs JIT"
# Fails only for a module that fails or crashes with the JIT but passes without
# a hook; modules failing in both runs (test_threading here) do not count.
"$PY" python/tools/regrtest.py --curated --modes none,jit --fail-on-jit-only
