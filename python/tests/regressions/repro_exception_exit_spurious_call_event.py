"""An exception exit to the interpreter emits a spurious 'call' trace/profile event.

Found by: python/tools/regrtest.py --curated --modes none,jit (run with the
MAKE_FUNCTION annotations bug patched out of a scratch build):
test_sys_settrace fails only with the JIT in
TraceTestCase / SkipLineEventsTraceTestCase / TraceOpcodesTestCase
.test_09_settrace_and_raise:

    events did not match expectation:
    + (2, 'call')
      (2, 'exception')
      ...

A compiled frame (``caller``) calls a function that turns tracing (or
profiling) on and raises. The compiled code leaves to the interpreter with
the exception set, through leaveToInterpreter (Sources/Runtime/Helpers.swift),
which calls _PyEval_EvalFrameDefault(tstate, frame, throwflag=1). In 3.11 the
throwflag path is generator.throw()'s: with tracing on it runs
TRACE_FUNCTION_THROW_ENTRY, i.e. a 'call' event for a frame that was already
running. CPython itself reports no 'call' for ``caller`` here.

Expected (CPython, and pyjion with hook_only=True):
    trace:   [('caller', 'exception', 2), ('caller', 'line', 3), ('caller', 'line', 4), ('caller', 'return', 4)]
    profile: [('callee', 'return'), ('caller', 'return'), ('<module>', 'c_call')]
With pyjion.config(threshold=0); pyjion.enable(): an extra ('caller', 'call', 2)
first in the trace, and an extra ('caller', 'call') in the profile.
"""
import sys

import pyjion

pyjion.config(threshold=0)
pyjion.enable()

# --- sys.settrace --------------------------------------------------------
events = []


def tracer(frame, event, arg):
    events.append((frame.f_code.co_name, event, frame.f_lineno - frame.f_code.co_firstlineno))
    return tracer


def callee(t):
    sys.settrace(t)
    sys._getframe().f_back.f_trace = t
    raise RuntimeError


def caller(t):
    try:
        callee(t)
    except RuntimeError:
        pass


caller(tracer)
sys.settrace(None)
print("trace:  ", events)
assert events == [("caller", "exception", 2), ("caller", "line", 3), ("caller", "line", 4),
                  ("caller", "return", 4)], events

# --- sys.setprofile ------------------------------------------------------
pevents = []


def prof(frame, event, arg):
    pevents.append((frame.f_code.co_name, event))


def pcallee():
    sys.setprofile(prof)
    raise RuntimeError


def pcaller():
    try:
        pcallee()
    except RuntimeError:
        pass


pcaller()
sys.setprofile(None)
print("profile:", pevents)
assert pevents == [("pcallee", "return"), ("pcaller", "return"), ("<module>", "c_call")], pevents
print("ok")
