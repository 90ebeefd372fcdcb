"""Use-after-free: a code object run during its own deallocation crashes the hook.

Found by: python/tools/regrtest.py --all --modes jit: test_code
"worker non-zero exit code (Exit code -11 (SIGSEGV))" at interpreter exit
("Garbage-collecting ... test_code.py line 728 in myfree"). It crashes with
hook_only=True too (so: fails with the hook, not only with the JIT); it passes
without pyjion.

test_code registers a second co_extra index whose free function is a Python
function (a ctypes callback). code_dealloc calls *every* registered free
function for a code object whose co_extra array is that long, so once pyjion
has stored its state in myfree's own code object, deallocating that code
object calls pyjion's free function (index 0: the CodeState is released) and
then myfree (index 1). Running myfree enters pyjion's frame-evaluation hook
with the code object being deallocated; the hook reads the CodeState pointer
still sitting in co_extra slot 0 and touches the released object:

    #0 swift::RefCounts<...>::incrementSlow(...)            _pyjion.so
    #1 JIT.state(of:)          Sources/PyjionModule/CodeState.swift:86
    #2 frameEvaluationHook     Sources/PyjionModule/Hook.swift:27
    #3 _PyEval_EvalFrame / _PyEval_Vector (ceval.c:6434)
    #6 PyObject_Vectorcall
    #7 _CallPythonObject / closure_fcn (ctypes callbacks.c:310)
    #11 code_dealloc (co=myfree's code)  Objects/codeobject.c:1618
    #13 func_dealloc (myfree)            Objects/funcobject.c:715
    #15 CThunkObject_dealloc  ...  gc during finalize_modules (Py_FinalizeEx)

Expected (no pyjion): prints "myfree calls: []" and exits 0.
With pyjion (threshold=0, or hook_only=True): prints "myfree calls: [None]"
(pyjion's extra makes CPython call myfree(NULL) for every code object pyjion
touched -- CPython's behaviour, harmless), then SIGSEGV at exit (hook mode)
or SIGTRAP (jit mode) from the use-after-free above.

Possible fix: in the hook, run a code object whose refcount is 0 (being
deallocated) with the default evaluator without reading co_extra; or keep the
CodeState alive (marked dead) instead of releasing it in the free function.
Run: PYTHONPATH=python python3 python/tests/regressions/repro_co_extra_free_reenters_hook.py
"""
import ctypes

import pyjion

pyjion.config(threshold=0)  # hook_only=True crashes the same way
pyjion.enable()

freefunc = ctypes.CFUNCTYPE(None, ctypes.c_voidp)
RequestCodeExtraIndex = ctypes.pythonapi._PyEval_RequestCodeExtraIndex
RequestCodeExtraIndex.argtypes = (freefunc,)
RequestCodeExtraIndex.restype = ctypes.c_ssize_t

calls = []


def myfree(ptr):
    calls.append(ptr)


FREE_FUNC = freefunc(myfree)
FREE_INDEX = RequestCodeExtraIndex(FREE_FUNC)

f = eval("lambda: 42")
f()  # pyjion stores its state in f.__code__'s co_extra
del f  # code_dealloc calls every registered free function, myfree too
print("myfree calls:", calls)
# The crash comes at exit, when myfree's own function and code object die.
# As without pyjion: the Python free function is never called with NULL.
assert calls == [], calls
print("ok")
