#!/usr/bin/env bash
# Run a representative subset of the compiled-code tests under valgrind memcheck and
# report invalid reads/writes (and other memcheck errors) attributed to pyjion:
# an error whose stack has a frame in _pyjion*.so or in JIT code (shown as "???").
#
#   python/tools/valgrind.sh                      # default subset (~10 min)
#   python/tools/valgrind.sh python/tests/test_refleaks.py -q   # any pytest arguments
#
# Environment:
#   VALGRIND_SUPP  suppressions file; default: CPython's Misc/valgrind-python.supp if
#                  one is found (CPython source tree, pyenv cache), else none
#   VALGRIND_K     -k expression for the default subset
#   VALGRIND_LOG   where the full valgrind log goes (default /tmp/pyjion-valgrind.<pid>.log)
#
# Exit status: 0 if no memcheck error is attributed to pyjion, 1 if some are,
# 2 if the run itself failed (tests failed or valgrind crashed) without such errors.
# Needs the extension built in place (python3 setup.py build_ext --inplace). CI need not run it.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# the real interpreter binary, not a wrapper script (pyenv shims exec python, and
# valgrind does not follow exec without --trace-children)
PY=$("${PYTHON:-python3}" -c 'import sys; print(sys.executable)')
LOG=${VALGRIND_LOG:-/tmp/pyjion-valgrind.$$.log}
K=${VALGRIND_K:-"(arith or subscr or call) and not hypothesis"}

if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind.sh: valgrind is not installed" >&2
    exit 2
fi

SUPP=${VALGRIND_SUPP:-}
if [ -z "$SUPP" ]; then
    prefix=$("$PY" -c 'import sys; print(sys.base_prefix)')
    ver=$("$PY" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
    for cand in \
        "$prefix/../../sources/$ver/Python-$ver/Misc/valgrind-python.supp" \
        "$HOME/.pyenv/sources/$ver/Python-$ver/Misc/valgrind-python.supp" \
        "$HOME/.pyenv/cache/Python-$ver/Misc/valgrind-python.supp" \
        "/usr/src/python$ver/Misc/valgrind-python.supp" \
        "/usr/lib/valgrind/python3.supp" \
        "/usr/share/doc/python3-dev/valgrind-python.supp"; do
        if [ -f "$cand" ]; then SUPP=$cand; break; fi
    done
fi
SUPP_OPT=()
if [ -n "$SUPP" ]; then
    SUPP_OPT=(--suppressions="$SUPP")
    echo "valgrind.sh: suppressions: $SUPP"
else
    echo "valgrind.sh: no CPython valgrind-python.supp found; running without suppressions (PYTHONMALLOC=malloc avoids pymalloc's false positives)"
fi

if [ $# -gt 0 ]; then
    TESTS=("$@")
else
    TESTS=(python/tests/test_differential.py -k "$K" -x -q)
fi

# Valgrind 3.19 cannot read the DWARF 5 that the Swift toolchain emits for _pyjion
# ("unhandled dwarf2 abbrev form code 0x25 ... Giving up"). Run a copy of the package
# whose extension has its debug info stripped; the symbol table stays, so frames in
# _pyjion still show function names.
PKG_DIR=$(mktemp -d /tmp/pyjion-valgrind-pkg.XXXXXX)
trap 'rm -rf "$PKG_DIR"' EXIT
cp -r "$ROOT/python/pyjion" "$PKG_DIR/pyjion"
find "$PKG_DIR/pyjion" -name '__pycache__' -prune -exec rm -rf {} +
for so in "$PKG_DIR"/pyjion/_pyjion*.so; do
    objcopy --strip-debug "$so" 2>/dev/null || strip --strip-debug "$so" || {
        echo "valgrind.sh: could not strip debug info from $so; valgrind may give up reading it" >&2; }
done
echo "valgrind.sh: package copy with stripped extension: $PKG_DIR/pyjion"
echo "valgrind.sh: log: $LOG"
echo "valgrind.sh: running: pytest ${TESTS[*]}"
start=$(date +%s)
cd "$ROOT" || exit 2
PYTHONMALLOC=malloc PYTHONPATH="$PKG_DIR${PYTHONPATH:+:$PYTHONPATH}" \
    valgrind --tool=memcheck --smc-check=all --error-exitcode=99 --num-callers=40 \
    --track-origins=no --log-file="$LOG" "${SUPP_OPT[@]}" \
    "$PY" -m pytest -p no:cacheprovider --junitxml="$LOG.xml" "${TESTS[@]}"
rc=$?
end=$(date +%s)
echo "valgrind.sh: pytest under valgrind exited $rc after $((end - start)) s"

"$PY" - "$LOG" "$rc" <<'EOF'
import re, sys
import xml.etree.ElementTree as ET
from collections import Counter

log, rc = sys.argv[1], int(sys.argv[2])
# valgrind's --error-exitcode (99) replaces pytest's status whenever memcheck reported
# anything (CPython's own noise included), so the tests' outcome comes from pytest's
# junit report instead.
tests_ok = rc == 0
try:
    suites = ET.parse(log + ".xml").getroot()
    suite = suites if suites.tag == "testsuite" else suites.find("testsuite")
    failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    print(f"valgrind.sh: pytest: {suite.get('tests')} tests, {failed} failed or errors")
    tests_ok = failed == 0 and rc in (0, 99)
except (OSError, ET.ParseError, AttributeError) as e:
    print(f"valgrind.sh: no pytest report ({e}): the run did not finish")
    tests_ok = False
text = open(log, errors="replace").read()
blocks, cur = [], None
for line in text.splitlines():
    m = re.match(r"==\d+== (.*)$", line)
    if not m:
        continue
    body = m.group(1)
    if cur is None:
        if body and not body.startswith(" ") and re.match(
            r"(Invalid (read|write|free)|Conditional jump|Use of uninitialised|Syscall param|Mismatched free|"
            r"Source and destination overlap|Argument .* of function|Invalid .*)", body):
            cur = [body]
    else:
        if body.strip() == "":
            blocks.append(cur)
            cur = None
        else:
            cur.append(body)
if cur:
    blocks.append(cur)

def stack_of(block):
    """The error's own stack (not the "Address ... was alloc'd" stacks after it)."""
    stack = []
    for l in block[1:]:
        if re.match(r"\s+(at|by) 0x", l):
            stack.append(l)
        elif stack:
            break
    return stack

def is_ours(frame):
    return "_pyjion" in frame or "???" in frame

def strong(block):
    # innermost frames: in _pyjion or JIT code before any CPython/libc frame
    for l in stack_of(block)[:3]:
        if is_ours(l):
            return True
    return False

def weak(block):
    # pyjion somewhere on the stack: the PEP 523 hook is under nearly every Python
    # frame, so this alone says little
    return any(is_ours(l) for l in stack_of(block))

kinds = Counter(b[0].split(" of size")[0] for b in blocks)
mine = [b for b in blocks if strong(b)]
near = [b for b in blocks if weak(b) and not strong(b)]
summary = re.findall(r"ERROR SUMMARY: (\d+) errors from (\d+) contexts", text)
if not summary:
    print("valgrind.sh: no ERROR SUMMARY in the log: valgrind did not run the interpreter to the end")
    sys.exit(2)
print(f"valgrind.sh: {len(blocks)} memcheck error reports ({dict(kinds)}); "
      f"valgrind summary: {summary[-1] if summary else 'n/a'}")
print(f"valgrind.sh: attributed to pyjion (_pyjion or JIT code '???' among the 3 innermost frames): {len(mine)}")
for b in mine[:20]:
    print("----")
    print("\n".join(b[:25]))
print(f"valgrind.sh: other reports with pyjion deeper in the stack (usually just the frame-eval hook): {len(near)}")
for b in near[:5]:
    print("----")
    print("\n".join(stack_of(b)[:8] and [b[0]] + stack_of(b)[:8]))
if mine:
    sys.exit(1)
sys.exit(0 if tests_ok else 2)
EOF
