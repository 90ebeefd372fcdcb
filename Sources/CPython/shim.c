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
#include "internal/pycore_dict.h"

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
    .code_extra = offsetof(PyCodeObject, co_extra),
    .code_warmup = offsetof(PyCodeObject, co_warmup),
    .code_kwonlyargcount = offsetof(PyCodeObject, co_kwonlyargcount),
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
    .function_code = offsetof(PyFunctionObject, func_code),
    .type_version_tag = offsetof(PyTypeObject, tp_version_tag),
    .heaptype_cached_keys = offsetof(PyHeapTypeObject, ht_cached_keys),
    .keys_nentries = offsetof(PyDictKeysObject, dk_nentries),
    // _PyObject_ValuesPointer and _PyObject_ManagedDictPointer: words before the object.
    .object_values = -4 * (int32_t)sizeof(PyObject *),
    .object_managed_dict = -3 * (int32_t)sizeof(PyObject *),
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

// ---- Direct calls between compiled functions --------------------------------
// CPython pushes a callee's frame in _PyEvalFramePushAndInit and clears it in
// _PyEvalFrameClearAndPop (both static), through _PyFrame_Clear and take_ownership
// (not exported). These are the same steps, for the one shape compiled code calls
// directly: exact positional arguments, no cells to set up by the caller.

_PyInterpreterFrame *pyj_push_frame(PyThreadState *tstate, PyFunctionObject *func, PyObject **args, int argc) {
    PyCodeObject *code = (PyCodeObject *)func->func_code;
    size_t size = code->co_nlocalsplus + code->co_stacksize + FRAME_SPECIALS_SIZE;
    PyObject **base = tstate->datastack_top;
    // Only within the current data-stack chunk; a new chunk is the slow path's job.
    if (base == NULL || base + size >= tstate->datastack_limit) {
        return NULL;
    }
    tstate->datastack_top = base + size;
    _PyInterpreterFrame *frame = (_PyInterpreterFrame *)base;
    Py_INCREF(func);
    _PyFrame_InitializeSpecials(frame, func, NULL, code->co_nlocalsplus);
    for (int i = 0; i < argc; i++) {
        frame->localsplus[i] = args[i];  // the frame takes the caller's references
    }
    for (int i = argc; i < code->co_nlocalsplus; i++) {
        frame->localsplus[i] = NULL;
    }
    return frame;
}

// take_ownership (frameobject.c): a frame object outlives its frame, so it gets a copy.
static void pyj_take_ownership(PyThreadState *tstate, PyFrameObject *f, _PyInterpreterFrame *frame) {
    Py_ssize_t size = ((char *)&frame->localsplus[frame->stacktop]) - (char *)frame;
    memcpy((_PyInterpreterFrame *)f->_f_frame_data, frame, size);
    frame = (_PyInterpreterFrame *)f->_f_frame_data;
    f->f_frame = frame;
    frame->owner = FRAME_OWNED_BY_FRAME_OBJECT;
    if (_PyFrame_IsIncomplete(frame)) {
        PyCodeObject *code = frame->f_code;
        frame->prev_instr = _PyCode_CODE(code) + code->_co_firsttraceable;
    }
    _PyInterpreterFrame *prev = frame->previous;
    while (prev && _PyFrame_IsIncomplete(prev)) {
        prev = prev->previous;
    }
    if (prev) {
        // The caller is the current frame (compiled code made this call), so the
        // exported PyThreadState_GetFrame gives its frame object.
        PyFrameObject *back = NULL;
        if (tstate->cframe->current_frame == prev) {
            back = PyThreadState_GetFrame(tstate);  // new reference
        }
        if (back == NULL) {
            PyErr_Clear();
        } else {
            f->f_back = back;
        }
        frame->previous = NULL;
    }
    if (!PyObject_GC_IsTracked((PyObject *)f)) {
        PyObject_GC_Track((PyObject *)f);
    }
}

void pyj_clear_and_pop_frame(PyThreadState *tstate, _PyInterpreterFrame *frame) {
    tstate->recursion_remaining--;
    if (frame->frame_obj) {
        PyFrameObject *f = frame->frame_obj;
        frame->frame_obj = NULL;
        if (Py_REFCNT(f) > 1) {
            pyj_take_ownership(tstate, f, frame);
            Py_DECREF(f);
            goto pop;
        }
        Py_DECREF(f);
    }
    for (int i = 0; i < frame->stacktop; i++) {
        Py_XDECREF(frame->localsplus[i]);
    }
    Py_XDECREF(frame->frame_obj);
    Py_XDECREF(frame->f_locals);
    Py_DECREF(frame->f_func);
    Py_DECREF(frame->f_code);
pop:
    tstate->recursion_remaining++;
    tstate->datastack_top = (PyObject **)frame;
}

// ---- Attribute inline caches -------------------------------------------------
// The same conditions as 3.11's LOAD_ATTR_INSTANCE_VALUE, STORE_ATTR_INSTANCE_VALUE,
// LOAD_METHOD_WITH_VALUES and LOAD_METHOD_NO_DICT specializations (specialize.c).
// An entry is four words: type version (UINT64_MAX = empty), value index, cached
// object (borrowed: the type's dict holds it while the version stands), and the
// shared keys' entry count (or -1 for types whose instances have no dict).

#include "internal/pycore_dict.h"

static int has_valid_version(PyTypeObject *tp) {
    return (tp->tp_flags & Py_TPFLAGS_VALID_VERSION_TAG) && tp->tp_version_tag != 0;
}

// The slot of `name` in a heap type's shared instance keys, or -1.
static Py_ssize_t shared_keys_index(PyTypeObject *tp, PyObject *name) {
    if (!(tp->tp_flags & Py_TPFLAGS_HEAPTYPE)) return -1;
    PyDictKeysObject *keys = ((PyHeapTypeObject *)tp)->ht_cached_keys;
    if (keys == NULL || keys->dk_kind != DICT_KEYS_SPLIT) return -1;
    PyDictUnicodeEntry *entries = DK_UNICODE_ENTRIES(keys);
    for (Py_ssize_t i = 0; i < keys->dk_nentries; i++) {
        if (entries[i].me_key == name) return i;
    }
    return -1;
}

static int instance_value_slot(PyObject *owner, PyObject *name, int store, uint64_t *entry) {
    PyTypeObject *tp = Py_TYPE(owner);
    if (!(tp->tp_flags & Py_TPFLAGS_MANAGED_DICT)) return 0;
    if (store ? tp->tp_setattro != PyObject_GenericSetAttr : tp->tp_getattro != PyObject_GenericGetAttr) return 0;
    if (_PyType_Lookup(tp, name) != NULL) return 0;  // a class attribute takes part: not a plain slot
    if (!has_valid_version(tp)) return 0;
    if (*_PyObject_ValuesPointer(owner) == NULL) return 0;
    Py_ssize_t index = shared_keys_index(tp, name);
    if (index < 0) return 0;
    entry[0] = tp->tp_version_tag;
    entry[1] = (uint64_t)index;
    return 1;
}

int pyj_attr_cache_fill_load(PyObject *owner, PyObject *name, uint64_t *entry) {
    return instance_value_slot(owner, name, 0, entry);
}

int pyj_attr_cache_fill_store(PyObject *owner, PyObject *name, uint64_t *entry) {
    return instance_value_slot(owner, name, 1, entry);
}

int pyj_method_cache_fill(PyObject *owner, PyObject *name, PyObject *method, uint64_t *entry) {
    PyTypeObject *tp = Py_TYPE(owner);
    if (tp->tp_getattro != PyObject_GenericGetAttr) return 0;
    PyObject *descr = _PyType_Lookup(tp, name);
    if (descr != method || !(Py_TYPE(descr)->tp_flags & Py_TPFLAGS_METHOD_DESCRIPTOR)) return 0;
    if (!has_valid_version(tp)) return 0;
    int64_t keys_entries;
    if (tp->tp_flags & Py_TPFLAGS_MANAGED_DICT) {
        // The instance must not shadow the method: no materialized dict, and the name
        // not among the shared keys (which only grow, so their count guards this).
        if (!(tp->tp_flags & Py_TPFLAGS_HEAPTYPE)) return 0;
        PyDictKeysObject *keys = ((PyHeapTypeObject *)tp)->ht_cached_keys;
        if (keys == NULL || keys->dk_kind != DICT_KEYS_SPLIT) return 0;
        if (*_PyObject_ManagedDictPointer(owner) != NULL) return 0;
        if (shared_keys_index(tp, name) >= 0) return 0;
        keys_entries = keys->dk_nentries;
    } else if (tp->tp_dictoffset == 0) {
        keys_entries = -1;  // instances have no dict at all
    } else {
        return 0;
    }
    entry[0] = tp->tp_version_tag;
    entry[2] = (uint64_t)(uintptr_t)descr;
    entry[3] = (uint64_t)keys_entries;
    return 1;
}
