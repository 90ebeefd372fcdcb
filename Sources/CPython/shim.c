// The only C in pyjion. Py_BUILD_CORE lets us see the interpreter's internal
// structs; we export their layout as offsets so Swift never includes them.
#define Py_BUILD_CORE 1
#define NEED_OPCODE_TABLES 1
#include "pyjion_shim.h"
#include <stddef.h>
#include "internal/pycore_frame.h"
#include "internal/pycore_interp.h"
#include "internal/pycore_runtime.h"
#include "internal/pycore_pystate.h"
#include "internal/pycore_ceval.h"
#include "internal/pycore_code.h"
#include "internal/pycore_opcode.h"
#include "internal/pycore_atomic.h"
#include "internal/pycore_object.h"

const PyjOffsets pyj_offsets = {
    .frame_func = offsetof(_PyInterpreterFrame, f_func),
    .frame_globals = offsetof(_PyInterpreterFrame, f_globals),
    .frame_builtins = offsetof(_PyInterpreterFrame, f_builtins),
    .frame_locals = offsetof(_PyInterpreterFrame, f_locals),
    .frame_code = offsetof(_PyInterpreterFrame, f_code),
    .frame_frame_obj = offsetof(_PyInterpreterFrame, frame_obj),
    .frame_previous = offsetof(_PyInterpreterFrame, previous),
    .frame_prev_instr = offsetof(_PyInterpreterFrame, prev_instr),
    .frame_stacktop = offsetof(_PyInterpreterFrame, stacktop),
    .frame_is_entry = offsetof(_PyInterpreterFrame, is_entry),
    .frame_owner = offsetof(_PyInterpreterFrame, owner),
    .frame_localsplus = offsetof(_PyInterpreterFrame, localsplus),
    .cframe_use_tracing = offsetof(_PyCFrame, use_tracing),
    .cframe_current_frame = offsetof(_PyCFrame, current_frame),
    .cframe_previous = offsetof(_PyCFrame, previous),
    .cframe_size = sizeof(_PyCFrame),
    .tstate_interp = offsetof(PyThreadState, interp),
    .tstate_recursion_remaining = offsetof(PyThreadState, recursion_remaining),
    .tstate_cframe = offsetof(PyThreadState, cframe),
    .tstate_c_profilefunc = offsetof(PyThreadState, c_profilefunc),
    .tstate_c_tracefunc = offsetof(PyThreadState, c_tracefunc),
    .tstate_curexc_type = offsetof(PyThreadState, curexc_type),
    .interp_eval_breaker = offsetof(PyInterpreterState, ceval.eval_breaker),
    .code_consts = offsetof(PyCodeObject, co_consts),
    .code_names = offsetof(PyCodeObject, co_names),
    .code_exceptiontable = offsetof(PyCodeObject, co_exceptiontable),
    .code_qualname = offsetof(PyCodeObject, co_qualname),
    .code_flags = offsetof(PyCodeObject, co_flags),
    .code_nlocalsplus = offsetof(PyCodeObject, co_nlocalsplus),
    .code_nlocals = offsetof(PyCodeObject, co_nlocals),
    .code_stacksize = offsetof(PyCodeObject, co_stacksize),
    .code_firsttraceable = offsetof(PyCodeObject, _co_firsttraceable),
    .code_adaptive = offsetof(PyCodeObject, co_code_adaptive),
    .code_localsplusnames = offsetof(PyCodeObject, co_localsplusnames),
    .code_localspluskinds = offsetof(PyCodeObject, co_localspluskinds),
    .code_argcount = offsetof(PyCodeObject, co_argcount),
    .code_nfreevars = offsetof(PyCodeObject, co_nfreevars),
    .object_refcnt = offsetof(PyObject, ob_refcnt),
    .object_type = offsetof(PyObject, ob_type),
    .var_size = offsetof(PyVarObject, ob_size),
    .list_items = offsetof(PyListObject, ob_item),
    .tuple_items = offsetof(PyTupleObject, ob_item),
    .float_value = offsetof(PyFloatObject, ob_fval),
    .long_digits = offsetof(PyLongObject, ob_digit),
    .type_flags = offsetof(PyTypeObject, tp_flags),
    .type_iternext = offsetof(PyTypeObject, tp_iternext),
    .dict_version = offsetof(PyDictObject, ma_version_tag),
    .cell_ref = offsetof(PyCellObject, ob_ref),
    .function_annotations = offsetof(PyFunctionObject, func_annotations),
};

PyModuleDef *pyj_new_module_def(const char *name, const char *doc, PyMethodDef *methods) {
    PyModuleDef *def = PyMem_RawCalloc(1, sizeof(PyModuleDef));
    if (def == NULL) return NULL;
    PyModuleDef init = { PyModuleDef_HEAD_INIT, name, doc, -1, methods, NULL, NULL, NULL, NULL };
    *def = init;
    return def;
}

int pyj_opcode_deopt(int opcode) { return (opcode >= 0 && opcode < 256) ? _PyOpcode_Deopt[opcode] : 0; }
int pyj_opcode_caches(int opcode) { return (opcode >= 0 && opcode < 256) ? _PyOpcode_Caches[opcode] : 0; }

// COMPUTE_EVAL_BREAKER from ceval.c (static there).
static void recompute_eval_breaker(PyInterpreterState *interp) {
    struct _ceval_runtime_state *ceval = &_PyRuntime.ceval;
    struct _ceval_state *ceval2 = &interp->ceval;
    _Py_atomic_store_relaxed(&ceval2->eval_breaker,
        _Py_atomic_load_relaxed(&ceval2->gil_drop_request)
        | (_Py_atomic_load_relaxed(&ceval->signals_pending) && _Py_ThreadCanHandleSignals(interp))
        | (_Py_atomic_load_relaxed(&ceval2->pending.calls_to_do) && _Py_ThreadCanHandlePendingCalls())
        | ceval2->pending.async_exc);
}

int pyj_handle_eval_breaker(PyThreadState *tstate) {
    PyInterpreterState *interp = tstate->interp;
    struct _ceval_state *ceval2 = &interp->ceval;
    // Signals and pending calls: Py_MakePendingCalls runs both (main thread only) and clears their flags.
    if (_Py_atomic_load_relaxed(&_PyRuntime.ceval.signals_pending)
        || _Py_atomic_load_relaxed(&ceval2->pending.calls_to_do)) {
        if (Py_MakePendingCalls() != 0) return -1;
    }
    // GIL drop request: drop_gil's FORCE_SWITCHING path resets the request and waits for a switch.
    if (_Py_atomic_load_relaxed(&ceval2->gil_drop_request)) {
        PyThreadState *saved = PyEval_SaveThread();
        PyEval_RestoreThread(saved);
    }
    // Asynchronous exception (PyThreadState_SetAsyncExc).
    if (tstate->async_exc != NULL) {
        PyObject *exc = tstate->async_exc;
        tstate->async_exc = NULL;
        ceval2->pending.async_exc = 0;
        recompute_eval_breaker(interp);
        PyErr_SetNone(exc);
        Py_DECREF(exc);
        return -1;
    }
    return 0;
}

PyObject *pyj_eval_default(PyThreadState *tstate, struct _PyInterpreterFrame *frame, int throwflag) {
    return _PyEval_EvalFrameDefault(tstate, frame, throwflag);
}
void pyj_set_eval_frame(_PyFrameEvalFunction fn) {
    _PyInterpreterState_SetEvalFrameFunc(PyInterpreterState_Get(), fn);
}
_PyFrameEvalFunction pyj_get_eval_frame(void) {
    return _PyInterpreterState_GetEvalFrameFunc(PyInterpreterState_Get());
}
_PyFrameEvalFunction pyj_default_eval_frame(void) { return _PyEval_EvalFrameDefault; }

int pyj_frame_is_incomplete(struct _PyInterpreterFrame *frame) { return _PyFrame_IsIncomplete(frame); }
int pyj_frame_lasti(struct _PyInterpreterFrame *frame) { return _PyInterpreterFrame_LASTI(frame); }

// The C stack guard. With a frame-evaluation hook installed every Python call nests
// C frames, so deep recursion under a high recursion limit would overflow the C
// stack; the hook refuses to go deeper than this bound and raises RecursionError.
#include <pthread.h>
static _Thread_local uintptr_t pyj_stack_floor = 0;

int pyj_c_stack_ok(void) {
    char here;
    uintptr_t sp = (uintptr_t)&here;
    if (pyj_stack_floor == 0) {
        pthread_attr_t attr;
        void *low = NULL;
        size_t size = 0;
        uintptr_t floor = 1;
        if (pthread_getattr_np(pthread_self(), &attr) == 0) {
            if (pthread_attr_getstack(&attr, &low, &size) == 0 && low != NULL) {
                // Keep a quarter of the stack, at most 1 MiB, for the C code below us.
                size_t reserve = size / 4 < (1u << 20) ? size / 4 : (1u << 20);
                floor = (uintptr_t)low + reserve;
            }
            pthread_attr_destroy(&attr);
        }
        pyj_stack_floor = floor;
    }
    return sp > pyj_stack_floor;
}

PyObject *pyj_lookup_special(PyObject *o, PyObject *name) { return _PyObject_LookupSpecial(o, name); }
