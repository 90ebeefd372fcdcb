// The only C in pyjion. Py_BUILD_CORE lets us see the interpreter's internal
// structs; we export their layout as offsets so Swift never includes them.
#define Py_BUILD_CORE 1
#define NEED_OPCODE_TABLES 1
#include "pyjion_shim.h"
#include <stdbool.h>
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
#include "internal/pycore_pyerrors.h"
#include "internal/pycore_call.h"
#include "internal/pycore_moduleobject.h"
#include "internal/pycore_pymem.h"

// listiterobject, as Objects/listobject.c defines it (in no 3.11 header).
typedef struct {
    PyObject_HEAD
    Py_ssize_t it_index;
    PyListObject *it_seq;  // NULL once exhausted
} PyjListIter;

// rangeiterobject, as Objects/rangeobject.c defines it (in no 3.11 header); used
// only while PyRangeIter_Type's basic size agrees (pyj_range_iter_type).
typedef struct {
    PyObject_HEAD
    long index;
    long start;
    long step;
    long len;
} PyjRangeIter;

PyTypeObject *pyj_range_iter_type(void) {
    return PyRangeIter_Type.tp_basicsize == (Py_ssize_t)sizeof(PyjRangeIter) ? &PyRangeIter_Type : NULL;
}

uint8_t pyj_jit_mode = 0;
void *pyj_jit_hook = NULL;
void *pyj_direct_eval_frame = (void *)1;

void pyj_update_direct_calls(void) {
    pyj_direct_eval_frame = pyj_jit_mode == 2 && pyj_jit_hook != NULL ? pyj_jit_hook : (void *)1;
}
Py_ssize_t pyj_extra_index = -1;

// GET_AWAITABLE reads a coroutine's frame state where a generator's is, and tests it
// against FRAME_CREATED (FunctionCompiler.visitGetAwaitable).
_Static_assert(offsetof(PyCoroObject, cr_frame_state) == offsetof(PyGenObject, gi_frame_state), "frame state");
_Static_assert(FRAME_CREATED == -2, "FRAME_CREATED");
// Compiled code keeps a mark in the padding after use_tracing in its own cframe (and
// stores use_tracing as a dword to clear it).
_Static_assert(offsetof(_PyCFrame, use_tracing) == 0 && sizeof(((_PyCFrame *)0)->use_tracing) == 1 &&
               offsetof(_PyCFrame, current_frame) >= 4, "cframe padding after use_tracing");
// len() reads a str's length where a list's ob_size is (FunctionCompiler.visitCall).
_Static_assert(offsetof(PyASCIIObject, length) == offsetof(PyVarObject, ob_size), "str length offset");

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
    .tstate_datastack_top = offsetof(PyThreadState, datastack_top),
    .tstate_datastack_limit = offsetof(PyThreadState, datastack_limit),
    .function_globals = offsetof(PyFunctionObject, func_globals),
    .function_builtins = offsetof(PyFunctionObject, func_builtins),
    .gc_next_from_object = (int32_t)(offsetof(PyGC_Head, _gc_next) - sizeof(PyGC_Head)),
    .keys_log2_size = offsetof(PyDictKeysObject, dk_log2_size),
    .unicode_hash = offsetof(PyASCIIObject, hash),
    .cfunction_method_def = offsetof(PyCFunctionObject, m_ml),
    .cfunction_self = offsetof(PyCFunctionObject, m_self),
    .method_descriptor_type = offsetof(PyMethodDescrObject, d_common.d_type),
    .method_descriptor_method_def = offsetof(PyMethodDescrObject, d_method),
    .method_def_function = offsetof(PyMethodDef, ml_meth),
    .method_def_flags = offsetof(PyMethodDef, ml_flags),
    .interp_eval_breaker = offsetof(PyInterpreterState, ceval.eval_breaker),
    .interp_eval_frame = offsetof(PyInterpreterState, eval_frame),
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
    .type_richcompare = offsetof(PyTypeObject, tp_richcompare),
    .type_as_number = offsetof(PyTypeObject, tp_as_number),
    .type_as_mapping = offsetof(PyTypeObject, tp_as_mapping),
    .type_as_sequence = offsetof(PyTypeObject, tp_as_sequence),
    .number_bool = offsetof(PyNumberMethods, nb_bool),
    .mapping_length = offsetof(PyMappingMethods, mp_length),
    .sequence_length = offsetof(PySequenceMethods, sq_length),
    .type_vectorcall = offsetof(PyTypeObject, tp_vectorcall),
    .type_base = offsetof(PyTypeObject, tp_base),
    .heaptype_cached_keys = offsetof(PyHeapTypeObject, ht_cached_keys),
    .keys_nentries = offsetof(PyDictKeysObject, dk_nentries),
    .dict_keys = offsetof(PyDictObject, ma_keys),
    .dict_values = offsetof(PyDictObject, ma_values),
    .keys_kind = offsetof(PyDictKeysObject, dk_kind),
    .keys_log2_index_bytes = offsetof(PyDictKeysObject, dk_log2_index_bytes),
    .keys_header_size = sizeof(PyDictKeysObject),
    .listiter_index = offsetof(PyjListIter, it_index),
    .listiter_seq = offsetof(PyjListIter, it_seq),
    .module_dict = offsetof(PyModuleObject, md_dict),
    .dict_used = offsetof(PyDictObject, ma_used),
    .set_used = offsetof(PySetObject, used),
    .bound_method_function = offsetof(PyMethodObject, im_func),
    .bound_method_self = offsetof(PyMethodObject, im_self),
    .function_defaults = offsetof(PyFunctionObject, func_defaults),
    .gen_frame_state = offsetof(PyGenObject, gi_frame_state),
    .gen_code = offsetof(PyGenObject, gi_code),
    .gen_iframe = offsetof(PyGenObject, gi_iframe),
    .gen_exc_state = offsetof(PyGenObject, gi_exc_state),
    .gen_exc_previous_item = offsetof(PyGenObject, gi_exc_state) + offsetof(_PyErr_StackItem, previous_item),
    .tstate_exc_info = offsetof(PyThreadState, exc_info),
    .code_extra_size = offsetof(PyjCodeExtra, ce_size),
    .code_extra_items = offsetof(PyjCodeExtra, ce_extras),
    .list_allocated = offsetof(PyListObject, allocated),
#if PyFloat_MAXFREELIST > 0
    .interp_float_free_list = offsetof(PyInterpreterState, float_state.free_list),
    .interp_float_numfree = offsetof(PyInterpreterState, float_state.numfree),
    .float_max_free_list = PyFloat_MAXFREELIST,
#else
    .interp_float_free_list = -1,
    .interp_float_numfree = -1,
    .float_max_free_list = 0,
#endif
    .rangeiter_index = offsetof(PyjRangeIter, index),
    .rangeiter_start = offsetof(PyjRangeIter, start),
    .rangeiter_step = offsetof(PyjRangeIter, step),
    .rangeiter_len = offsetof(PyjRangeIter, len),
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

// The PEP 523 function pyjion installs. Its common case, compiled code that may run
// (a generator resumed by C code, a call from the interpreter or a C caller), is
// handled here in C; everything else (errors, throw(), tracing, code not compiled
// yet, the compile policy) goes to the Swift hook it was given.
static _PyFrameEvalFunction pyj_hook_slow_path = NULL;

void pyj_set_hook_slow_path(_PyFrameEvalFunction slow) { pyj_hook_slow_path = slow; }

PyObject *pyj_frame_eval_hook(PyThreadState *tstate, struct _PyInterpreterFrame *frame, int throwflag) {
    if (throwflag == 0 && frame->f_globals != NULL && pyj_c_stack_ok() && !tstate->cframe->use_tracing) {
        PyjCodeEntry *record = pyj_code_entry((PyObject *)frame->f_code);
        if (record != NULL && record->entry != NULL && pyj_may_run(record)) {
            record->runCount++;
            return record->entry(tstate, frame);
        }
    }
    return pyj_hook_slow_path(tstate, frame, throwflag);
}

int pyj_frame_is_incomplete(struct _PyInterpreterFrame *frame) { return _PyFrame_IsIncomplete(frame); }
int pyj_frame_lasti(struct _PyInterpreterFrame *frame) { return _PyInterpreterFrame_LASTI(frame); }

// The C stack guard. With a frame-evaluation hook installed every Python call nests
// C frames, so deep recursion under a high recursion limit would overflow the C
// stack; the hook refuses to go deeper than this bound and raises RecursionError.
#include <pthread.h>
__thread uintptr_t pyj_stack_floor __attribute__((tls_model("initial-exec"))) = 0;

void pyj_unpack_store_tail(_PyInterpreterFrame *frame, PyObject *sequence, PyObject *dying, int k,
                           const int32_t *table) {
    int n = table[0];
    PyObject *items[PYJ_MAX_FUSED_UNPACK];
    PyObject **source = PyTuple_CheckExact(sequence) ? &PyTuple_GET_ITEM(sequence, 0) : ((PyListObject *)sequence)->ob_item;
    for (int j = k + 1; j < n; j++) {
        items[j] = source[j];  // machine code took a reference to each
    }
    Py_DECREF(sequence);
    _Py_CODEUNIT *first = _PyCode_CODE(frame->f_code);
    frame->prev_instr = first + table[2 + 2 * k];
    _Py_Dealloc(dying);
    for (int j = k + 1; j < n; j++) {
        frame->prev_instr = first + table[2 + 2 * j];
        PyObject *old = frame->localsplus[table[1 + 2 * j]];
        frame->localsplus[table[1 + 2 * j]] = items[j];
        Py_XDECREF(old);
    }
}

// PySlice_Unpack's steps for parts that are None or exact ints (no __index__ to call):
// 1 with the unpacked values, or 0 for anything else (nothing raised).
// An exact int slice part as a Py_ssize_t, clamped as _PyEval_SliceIndex clamps it:
// compact ints (at most one 30-bit digit) read directly, others through it.
// An exact int of at most one 30-bit digit as its value (1), or 0 for a larger one.
static inline int pyj_compact_int_value(PyObject *v, Py_ssize_t *out) {
    Py_ssize_t size = Py_SIZE(v);
    if (size < -1 || size > 1) {
        return 0;
    }
    *out = size * (Py_ssize_t)((PyLongObject *)v)->ob_digit[0];
    return 1;
}

// PySequence_Contains, with list_contains's (and tuplecontains's) loop run here for an
// exact list or tuple and an exact int of at most one digit: items that are exact ints
// compare by value, without PyObject_RichCompare and long_richcompare (which run no
// code; an int of more digits never equals one of one digit), and any other item
// through PyObject_RichCompareBool, the size and items read again after each such
// call as list_contains reads them. `x in (1, 2, 3)`, hexiom's `v in cells[i]`.
int pyj_sequence_contains(PyObject *container, PyObject *value) {
    int is_list = PyList_CheckExact(container);
    Py_ssize_t wanted;
    if (!(is_list || PyTuple_CheckExact(container)) || !PyLong_CheckExact(value) ||
        !pyj_compact_int_value(value, &wanted)) {
        return PySequence_Contains(container, value);
    }
    for (Py_ssize_t i = 0; i < Py_SIZE(container); i++) {
        PyObject *item = is_list ? PyList_GET_ITEM(container, i) : PyTuple_GET_ITEM(container, i);
        if (item == value) {
            return 1;
        }
        Py_ssize_t other;
        if (PyLong_CheckExact(item)) {
            if (pyj_compact_int_value(item, &other) && other == wanted) {
                return 1;
            }
            continue;
        }
        Py_INCREF(item);
        int found = PyObject_RichCompareBool(item, value, Py_EQ);
        Py_DECREF(item);
        if (found != 0) {
            return found;
        }
    }
    return 0;
}

static inline int pyj_slice_index(PyObject *v, Py_ssize_t *out) {
    return pyj_compact_int_value(v, out) || _PyEval_SliceIndex(v, out);
}

static inline __attribute__((always_inline)) int pyj_unpack_slice_parts(PyObject *start, PyObject *stop, PyObject *step,
                                                                         Py_ssize_t *pstart, Py_ssize_t *pstop,
                                                                         Py_ssize_t *pstep) {
    if ((start != Py_None && !PyLong_CheckExact(start)) || (stop != Py_None && !PyLong_CheckExact(stop)) ||
        (step != NULL && step != Py_None && !PyLong_CheckExact(step))) {
        return 0;
    }
    if (step == NULL || step == Py_None) {
        *pstep = 1;
    } else {
        if (!pyj_slice_index(step, pstep)) {
            PyErr_Clear();
            return 0;
        }
        if (*pstep == 0) {
            return 0;  // the regular path raises "slice step cannot be zero"
        }
        if (*pstep < -PY_SSIZE_T_MAX) {
            *pstep = -PY_SSIZE_T_MAX;
        }
    }
    if (start == Py_None) {
        *pstart = *pstep < 0 ? PY_SSIZE_T_MAX : 0;
    } else if (!pyj_slice_index(start, pstart)) {
        PyErr_Clear();
        return 0;
    }
    if (stop == Py_None) {
        *pstop = *pstep < 0 ? PY_SSIZE_T_MIN : PY_SSIZE_T_MAX;
    } else if (!pyj_slice_index(stop, pstop)) {
        PyErr_Clear();
        return 0;
    }
    return 1;
}

// PySlice_AdjustIndices (sliceobject.c), inline, without its division for steps of 1
// and -1 (a 64-bit division on every `x[a:b]` and `x[::-1]`).
static inline Py_ssize_t pyj_adjust_indices(Py_ssize_t length, Py_ssize_t *start, Py_ssize_t *stop, Py_ssize_t step) {
    if (*start < 0) {
        *start += length;
        if (*start < 0) {
            *start = (step < 0) ? -1 : 0;
        }
    } else if (*start >= length) {
        *start = (step < 0) ? length - 1 : length;
    }
    if (*stop < 0) {
        *stop += length;
        if (*stop < 0) {
            *stop = (step < 0) ? -1 : 0;
        }
    } else if (*stop >= length) {
        *stop = (step < 0) ? length - 1 : length;
    }
    if (step < 0) {
        if (*stop < *start) {
            return step == -1 ? *start - *stop : (*start - *stop - 1) / (-step) + 1;
        }
    } else if (*start < *stop) {
        return step == 1 ? *stop - *start : (*stop - *start - 1) / step + 1;
    }
    return 0;
}

// A new list of `length` items whose item array is not zeroed (PyList_New callocs it):
// the caller stores every item before anything can run or look at the list.
PyObject *pyj_list_to_fill(Py_ssize_t length) {
    PyObject *list = PyList_New(0);
    if (list == NULL || length == 0) {
        return list;
    }
    PyObject **items = length <= PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(PyObject *)
                           ? (PyObject **)PyMem_Malloc(length * sizeof(PyObject *))
                           : NULL;
    if (items == NULL) {
        Py_DECREF(list);
        return PyErr_NoMemory();
    }
    ((PyListObject *)list)->ob_item = items;
    ((PyListObject *)list)->allocated = length;
    Py_SET_SIZE(list, length);
    return list;
}

PyObject *pyj_subscript_slice(PyObject *container, PyObject *start, PyObject *stop, PyObject *step) {
    Py_ssize_t lo, hi, by;
    int is_list = PyList_CheckExact(container);
    if ((is_list || PyTuple_CheckExact(container)) && pyj_unpack_slice_parts(start, stop, step, &lo, &hi, &by)) {
        Py_ssize_t length = pyj_adjust_indices(Py_SIZE(container), &lo, &hi, by);
        if (by == 1 && !is_list) {
            return PyTuple_GetSlice(container, lo, hi);
        }
        PyObject **items = is_list ? ((PyListObject *)container)->ob_item : ((PyTupleObject *)container)->ob_item;
        PyObject *result = is_list ? pyj_list_to_fill(length > 0 ? length : 0) : PyTuple_New(length > 0 ? length : 0);
        if (result == NULL) {
            return NULL;
        }
        PyObject **out = is_list ? ((PyListObject *)result)->ob_item : ((PyTupleObject *)result)->ob_item;
        for (Py_ssize_t i = 0, at = lo; i < length; i++, at += by) {
            out[i] = Py_NewRef(items[at]);
        }
        return result;
    }
    PyObject *slice = PySlice_New(start, stop, step);
    if (slice == NULL) {
        return NULL;
    }
    PyObject *result = PyObject_GetItem(container, slice);
    Py_DECREF(slice);
    return result;
}

// list_ass_slice's steps when an exact list's slice [lo, hi) (adjusted, so 0 <= lo <=
// size and hi <= size) gets as many items from an exact list or tuple that is not
// the container itself: each item takes its new reference in place, then the old
// items are released last to first, as list_ass_slice releases them, with no copy of
// the value (PySequence_Fast), no buffer for the old items and no memmove.
// `perm[:k + 1] = perm[k::-1]`, `a[i:j] = b[i:j]`. 0 when the case is another (nothing done).
#define PYJ_SAME_LENGTH_SLICE_MAX 64
static inline int pyj_store_same_length_slice(PyObject *container, Py_ssize_t lo, Py_ssize_t hi, PyObject *value) {
    if (value == container || (!PyList_CheckExact(value) && !PyTuple_CheckExact(value))) {
        return 0;
    }
    Py_ssize_t n = Py_SIZE(value);
    if (n <= 0 || n > PYJ_SAME_LENGTH_SLICE_MAX || hi - lo != n) {
        return 0;
    }
    PyObject **source = PyList_CheckExact(value) ? ((PyListObject *)value)->ob_item : ((PyTupleObject *)value)->ob_item;
    PyObject **target = ((PyListObject *)container)->ob_item + lo;
    PyObject *old[PYJ_SAME_LENGTH_SLICE_MAX];
    for (Py_ssize_t k = 0; k < n; k++) {
        old[k] = target[k];
        target[k] = Py_NewRef(source[k]);
    }
    for (Py_ssize_t k = n - 1; k >= 0; k--) {
        Py_XDECREF(old[k]);
    }
    return 1;
}

int pyj_store_subscript_slice(PyObject *container, PyObject *start, PyObject *stop, PyObject *step, PyObject *value) {
    Py_ssize_t lo, hi, by;
    if (PyList_CheckExact(container) && pyj_unpack_slice_parts(start, stop, step, &lo, &hi, &by) && by == 1) {
        pyj_adjust_indices(Py_SIZE(container), &lo, &hi, by);
        if (pyj_store_same_length_slice(container, lo, hi, value)) {
            return 0;
        }
        return PyList_SetSlice(container, lo, hi, value);
    }
    PyObject *slice = PySlice_New(start, stop, step);
    if (slice == NULL) {
        return -1;
    }
    int status = PyObject_SetItem(container, slice, value);
    Py_DECREF(slice);
    return status;
}

uint64_t pyj_dict_version_counter = (uint64_t)1 << 63;

int64_t pyj_stack_floor_tls_offset(void) {
    return (int64_t)((uintptr_t)&pyj_stack_floor - (uintptr_t)__builtin_thread_pointer());
}

int pyj_c_stack_init_and_check(void) {
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
// (not exported). These are the same steps, for the shapes compiled code calls
// directly: arguments bound as initialize_locals binds them without *args or
// **kwargs (pyj_bind_arguments), no cells to set up by the caller.

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
#include "structmember.h"

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

// A `__slots__` member (LOAD_ATTR_SLOT, STORE_ATTR_SLOT): the entry holds the byte
// offset of the object's slot, and kind 1 in its last word.
static int object_slot(PyObject *owner, PyObject *name, int store, uint64_t *entry) {
    PyTypeObject *tp = Py_TYPE(owner);
    if (store ? tp->tp_setattro != PyObject_GenericSetAttr : tp->tp_getattro != PyObject_GenericGetAttr) return 0;
    PyObject *descr = _PyType_Lookup(tp, name);
    if (descr == NULL || Py_TYPE(descr) != &PyMemberDescr_Type) return 0;
    PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
    if (member->type != T_OBJECT_EX || member->offset <= 0) return 0;
    if (member->flags & PY_AUDIT_READ) return 0;
    if (store && (member->flags & READONLY)) return 0;
    if (!has_valid_version(tp)) return 0;
    entry[0] = tp->tp_version_tag;
    entry[1] = (uint64_t)member->offset;
    entry[3] = 1;
    return 1;
}

// An instance whose attributes moved into a real dict (LOAD_ATTR_WITH_HINT,
// STORE_ATTR_WITH_HINT): the entry holds the name's index among the dict's entries,
// and kind 2.
static int instance_dict_hint(PyObject *owner, PyObject *name, int store, uint64_t *entry) {
    PyTypeObject *tp = Py_TYPE(owner);
    if (!(tp->tp_flags & Py_TPFLAGS_MANAGED_DICT)) return 0;
    if (store ? tp->tp_setattro != PyObject_GenericSetAttr : tp->tp_getattro != PyObject_GenericGetAttr) return 0;
    if (_PyType_Lookup(tp, name) != NULL) return 0;
    if (!has_valid_version(tp)) return 0;
    if (*_PyObject_ValuesPointer(owner) != NULL) return 0;
    PyDictObject *dict = *(PyDictObject **)_PyObject_ManagedDictPointer(owner);
    if (dict == NULL || !PyDict_CheckExact(dict) || dict->ma_values != NULL) return 0;
    PyDictKeysObject *keys = dict->ma_keys;
    if (keys->dk_kind == DICT_KEYS_GENERAL) return 0;
    PyDictUnicodeEntry *entries = DK_UNICODE_ENTRIES(keys);
    Py_ssize_t hint = -1;
    for (Py_ssize_t i = 0; i < keys->dk_nentries; i++) {
        if (entries[i].me_key == name) {
            hint = i;
            break;
        }
    }
    if (hint < 0) return 0;
    entry[0] = tp->tp_version_tag;
    entry[1] = (uint64_t)hint;
    entry[3] = 2;
    return 1;
}

// STORE_ATTR through a kind-2 entry (the type version already checked): 0 stored,
// 1 a miss (nothing done), -1 an error.
// LOAD_METHOD through a cached entry, for an instance with a real dict: 1 if the
// dict does not shadow the method, 0 if it does (a miss).
int pyj_method_dict_check(PyObject *owner, PyObject *name) {
    PyObject *dict = *(PyObject **)_PyObject_ManagedDictPointer(owner);
    if (dict == NULL) return 1;
    if (!PyDict_CheckExact(dict)) return 0;
    PyObject *found = PyDict_GetItemWithError(dict, name);
    if (found == NULL && PyErr_Occurred()) {
        PyErr_Clear();  // the generic path raises it again
        return 0;
    }
    return found == NULL;
}

int pyj_attr_cache_fill_load(PyObject *owner, PyObject *name, uint64_t *entry) {
    entry[3] = 0;
    return instance_value_slot(owner, name, 0, entry) || object_slot(owner, name, 0, entry)
        || instance_dict_hint(owner, name, 0, entry) || pyj_class_attr_cache_fill(owner, name, 0, entry)
        || pyj_module_attr_cache_fill(owner, name, entry);
}

int pyj_attr_cache_fill_store(PyObject *owner, PyObject *name, uint64_t *entry) {
    entry[3] = 0;
    return instance_value_slot(owner, name, 1, entry) || object_slot(owner, name, 1, entry)
        || instance_dict_hint(owner, name, 1, entry);
}

// staticmethod's layout (funcobject.c); used only while its basic size agrees.
typedef struct {
    PyObject_HEAD
    PyObject *sm_callable;
    PyObject *sm_dict;
} pyj_staticmethod;

int32_t pyj_staticmethod_callable_offset(void) { return (int32_t)offsetof(pyj_staticmethod, sm_callable); }

int pyj_class_attr_cache_fill(PyObject *owner, PyObject *name, int for_method, uint64_t *entry) {
    // type_getattro with the metatype exactly `type`: an attribute of `type` itself
    // (a data descriptor would win) is not cached; else the class's MRO decides, and
    // its version tag changes with any assignment to the class or its bases.
    if (Py_TYPE(owner) != &PyType_Type || !PyUnicode_CheckExact(name)) return 0;
    PyTypeObject *tp = (PyTypeObject *)owner;
    if (_PyType_Lookup(&PyType_Type, name) != NULL) return 0;
    PyObject *attr = _PyType_Lookup(tp, name);
    if (attr == NULL || !has_valid_version(tp)) return 0;
    uint64_t how;
    descrgetfunc get = Py_TYPE(attr)->tp_descr_get;
    if (get == NULL || PyFunction_Check(attr)) {
        how = 0;  // a plain value; a function's __get__ with no instance returns it
    } else if (Py_TYPE(attr) == &PyStaticMethod_Type
               && PyStaticMethod_Type.tp_basicsize == (Py_ssize_t)sizeof(pyj_staticmethod)) {
        how = 1;  // read at each use: staticmethod.__init__ may replace the callable
    } else if (for_method && Py_TYPE(attr) == &PyClassMethod_Type
               && PyClassMethod_Type.tp_basicsize == (Py_ssize_t)sizeof(pyj_staticmethod)) {
        // cm_descr_get with a plain function inside binds it to the class: LOAD_METHOD
        // leaves [function, class] instead of a bound method (the function's type is
        // checked at each use, the callable read then too).
        how = 2;
    } else {
        return 0;
    }
    entry[0] = (uint64_t)tp->tp_version_tag | PYJ_CLASS_ATTRIBUTE_TAG;
    entry[1] = how;
    entry[2] = (uint64_t)(uintptr_t)attr;
    entry[3] = 3;
    return 1;
}

int pyj_is_classmethod_of(PyObject *cls, PyObject *name) {
    if (Py_TYPE(cls) != &PyType_Type || !PyUnicode_CheckExact(name)) return 0;
    PyObject *attr = _PyType_Lookup((PyTypeObject *)cls, name);
    return attr != NULL && Py_TYPE(attr) == &PyClassMethod_Type;
}

Py_ssize_t pyj_dict_unicode_index(PyObject *dict, PyObject *name);

int pyj_module_attr_cache_fill(PyObject *owner, PyObject *name, uint64_t *entry) {
    // module_getattro: generic attribute lookup first, so a name ModuleType itself
    // has (`__dict__`, `__class__`) is not cached; then the module's dict.
    if (Py_TYPE(owner) != &PyModule_Type || !PyUnicode_CheckExact(name)) return 0;
    if (_PyType_Lookup(&PyModule_Type, name) != NULL) return 0;
    PyObject *dict = ((PyModuleObject *)owner)->md_dict;
    if (dict == NULL || !PyDict_CheckExact(dict)) return 0;
    Py_ssize_t index = pyj_dict_unicode_index(dict, name);
    if (index < 0) return 0;
    entry[0] = (uint64_t)(uintptr_t)((PyDictObject *)dict)->ma_keys | PYJ_MODULE_ATTRIBUTE_TAG;
    entry[1] = (uint64_t)index;
    entry[2] = 0;
    entry[3] = 4;
    return 1;
}

int pyj_plain_attr_cache_fill(PyObject *owner, PyObject *name, uint64_t *entry) {
    return pyj_class_attr_cache_fill(owner, name, 1, entry) || pyj_module_attr_cache_fill(owner, name, entry);
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
        // An instance with a real dict is checked at each use (pyj_method_dict_check);
        // _PyObject_GetMethod found no such attribute in it just now.
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

// ---- Exceptions: the evaluator's error:, exception_unwind: and do_raise --------
// Compiled code unwinds its own frame exactly as _PyEval_EvalFrameDefault does, so a
// handler can run as machine code and a tracer sees the same events.

// The frame object of the current frame (compiled code's frame is current and complete).
static PyFrameObject *current_frame_object(PyThreadState *tstate, _PyInterpreterFrame *frame) {
    if (tstate->cframe->current_frame != frame || _PyFrame_IsIncomplete(frame)) return NULL;
    return PyThreadState_GetFrame(tstate);  // new reference
}

// call_trace (ceval.c).
static int pyj_call_trace(Py_tracefunc func, PyObject *obj, PyThreadState *tstate,
                          _PyInterpreterFrame *frame, int what, PyObject *arg) {
    if (tstate->tracing) return 0;
    PyFrameObject *f = current_frame_object(tstate, frame);
    if (f == NULL) return -1;
    int old_what = tstate->tracing_what;
    tstate->tracing_what = what;
    PyThreadState_EnterTracing(tstate);
    f->f_lineno = PyCode_Addr2Line(frame->f_code, _PyInterpreterFrame_LASTI(frame) * (int)sizeof(_Py_CODEUNIT));
    int result = func(obj, f, what, arg);
    f->f_lineno = 0;
    PyThreadState_LeaveTracing(tstate);
    tstate->tracing_what = old_what;
    Py_DECREF(f);
    return result;
}

// call_trace_protected (ceval.c).
static int pyj_call_trace_protected(Py_tracefunc func, PyObject *obj, PyThreadState *tstate,
                                    _PyInterpreterFrame *frame, int what, PyObject *arg) {
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    int err = pyj_call_trace(func, obj, tstate, frame, what, arg);
    if (err == 0) {
        PyErr_Restore(type, value, traceback);
        return 0;
    }
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(traceback);
    return -1;
}

// call_exc_trace (ceval.c): the "exception" event.
static void pyj_call_exc_trace(PyThreadState *tstate, _PyInterpreterFrame *frame) {
    PyObject *type, *value, *orig_traceback;
    PyErr_Fetch(&type, &value, &orig_traceback);
    if (value == NULL) {
        value = Py_None;
        Py_INCREF(value);
    }
    PyErr_NormalizeException(&type, &value, &orig_traceback);
    PyObject *traceback = (orig_traceback != NULL) ? orig_traceback : Py_None;
    PyObject *arg = PyTuple_Pack(3, type, value, traceback);
    if (arg == NULL) {
        PyErr_Restore(type, value, orig_traceback);
        return;
    }
    int err = pyj_call_trace(tstate->c_tracefunc, tstate->c_traceobj, tstate, frame, PyTrace_EXCEPTION, arg);
    Py_DECREF(arg);
    if (err == 0) {
        PyErr_Restore(type, value, orig_traceback);
    } else {
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(orig_traceback);
    }
}

// get_exception_handler (ceval.c), linear: our tables are small and this is the slow path.
static int pyj_exception_handler(PyCodeObject *code, int index, int *level, int *handler, int *lasti) {
    unsigned char *scan = (unsigned char *)PyBytes_AS_STRING(code->co_exceptiontable);
    unsigned char *end = scan + PyBytes_GET_SIZE(code->co_exceptiontable);
    while (scan < end) {
        int start_offset, size;
        scan = parse_varint(scan, &start_offset);
        if (start_offset > index) break;
        scan = parse_varint(scan, &size);
        if (start_offset + size > index) {
            scan = parse_varint(scan, handler);
            int depth_and_lasti;
            parse_varint(scan, &depth_and_lasti);
            *level = depth_and_lasti >> 1;
            *lasti = depth_and_lasti & 1;
            return 1;
        }
        while (scan < end && (scan[0] & 128) == 0) scan++;
    }
    return 0;
}

int pyj_unwind(PyThreadState *tstate, _PyInterpreterFrame *frame, int add_traceback) {
    return pyj_unwind_at(tstate, frame, add_traceback, _PyInterpreterFrame_LASTI(frame));
}

// The evaluator looks the handler up at the instruction it is running (INSTR_OFFSET()-1),
// which is prev_instr except after RERAISE with a saved lasti.
int pyj_unwind_at(PyThreadState *tstate, _PyInterpreterFrame *frame, int add_traceback, int index) {
    if (add_traceback) {
        // error: log the traceback entry, then the tracer's "exception" event.
        PyFrameObject *f = current_frame_object(tstate, frame);
        if (f != NULL) {
            PyTraceBack_Here(f);
            Py_DECREF(f);
        }
        if (tstate->c_tracefunc != NULL) {
            pyj_call_exc_trace(tstate, frame);
        }
    }
    for (;;) {
        // exception_unwind: the handler covering the failing instruction.
        int offset = index;
        int level, handler, lasti;
        PyObject **stack_pointer = _PyFrame_GetStackPointer(frame);
        PyObject **stackbase = _PyFrame_Stackbase(frame);
        if (!pyj_exception_handler(frame->f_code, offset, &level, &handler, &lasti)) {
            while (stack_pointer > stackbase) {
                PyObject *o = *--stack_pointer;
                Py_XDECREF(o);
            }
            _PyFrame_SetStackPointer(frame, stack_pointer);
            if (tstate->cframe->use_tracing) {
                // TRACE_FUNCTION_UNWIND: a "return" event with no value.
                if (tstate->c_tracefunc) {
                    pyj_call_trace_protected(tstate->c_tracefunc, tstate->c_traceobj, tstate, frame, PyTrace_RETURN, NULL);
                }
                if (tstate->c_profilefunc) {
                    pyj_call_trace_protected(tstate->c_profilefunc, tstate->c_profileobj, tstate, frame, PyTrace_RETURN, NULL);
                }
            }
            return -1;
        }
        PyObject **new_top = stackbase + level;
        while (stack_pointer > new_top) {
            PyObject *v = *--stack_pointer;
            Py_XDECREF(v);
        }
        _PyFrame_SetStackPointer(frame, stack_pointer);
        if (lasti) {
            PyObject *lasti_value = PyLong_FromLong(_PyInterpreterFrame_LASTI(frame));
            if (lasti_value == NULL) continue;  // unwind the MemoryError instead
            *stack_pointer++ = lasti_value;
        }
        PyObject *exc, *val, *tb;
        PyErr_Fetch(&exc, &val, &tb);
        PyErr_NormalizeException(&exc, &val, &tb);
        PyException_SetTraceback(val, tb != NULL ? tb : Py_None);
        Py_XDECREF(tb);
        Py_XDECREF(exc);
        *stack_pointer++ = val;
        _PyFrame_SetStackPointer(frame, stack_pointer);
        return handler;
    }
}

// do_raise (ceval.c): 0 when an exception was raised (the error: path, with a
// traceback entry), 1 for a bare re-raise (straight to unwinding, no new entry).
static int pyj_do_raise(PyThreadState *tstate, PyObject *exc, PyObject *cause) {
    PyObject *type = NULL, *value = NULL;
    if (exc == NULL) {
        _PyErr_StackItem *exc_info = _PyErr_GetTopmostException(tstate);
        value = exc_info->exc_value;
        if (Py_IsNone(value) || value == NULL) {
            PyErr_SetString(PyExc_RuntimeError, "No active exception to reraise");
            return 0;
        }
        type = PyExceptionInstance_Class(value);
        Py_XINCREF(type);
        Py_XINCREF(value);
        PyObject *tb = PyException_GetTraceback(value);
        PyErr_Restore(type, value, tb);
        return 1;
    }
    if (PyExceptionClass_Check(exc)) {
        type = exc;
        value = PyObject_CallNoArgs(exc);
        if (value == NULL) goto raise_error;
        if (!PyExceptionInstance_Check(value)) {
            PyErr_Format(PyExc_TypeError, "calling %R should have returned an instance of BaseException, not %R",
                         type, Py_TYPE(value));
            goto raise_error;
        }
    } else if (PyExceptionInstance_Check(exc)) {
        value = exc;
        type = PyExceptionInstance_Class(exc);
        Py_INCREF(type);
    } else {
        Py_DECREF(exc);
        PyErr_SetString(PyExc_TypeError, "exceptions must derive from BaseException");
        goto raise_error;
    }
    if (cause) {
        PyObject *fixed_cause;
        if (PyExceptionClass_Check(cause)) {
            fixed_cause = PyObject_CallNoArgs(cause);
            if (fixed_cause == NULL) goto raise_error;
            Py_DECREF(cause);
        } else if (PyExceptionInstance_Check(cause)) {
            fixed_cause = cause;
        } else if (Py_IsNone(cause)) {
            Py_DECREF(cause);
            fixed_cause = NULL;
        } else {
            PyErr_SetString(PyExc_TypeError, "exception causes must derive from BaseException");
            goto raise_error;
        }
        PyException_SetCause(value, fixed_cause);
    }
    PyErr_SetObject(type, value);
    Py_DECREF(value);
    Py_DECREF(type);
    return 0;
raise_error:
    Py_XDECREF(value);
    Py_XDECREF(type);
    Py_XDECREF(cause);
    return 0;
}

// RAISE_VARARGS oparg with `depth` values on the stack (prev_instr set): raises and
// unwinds; returns the handler index or -1, like pyj_unwind.
int pyj_raise_varargs(PyThreadState *tstate, _PyInterpreterFrame *frame, int depth, int oparg) {
    PyObject **stack = _PyFrame_Stackbase(frame);
    PyObject *cause = NULL, *exc = NULL;
    switch (oparg) {
    case 2: cause = stack[--depth];  /* fall through */
    case 1: exc = stack[--depth];  /* fall through */
    default: break;
    }
    frame->stacktop = frame->f_code->co_nlocalsplus + depth;  // the operands' references are do_raise's now
    int bare = pyj_do_raise(tstate, exc, cause);
    return pyj_unwind(tstate, frame, !bare);
}

// RERAISE oparg with `depth` values on the stack: restores the exception on top (and,
// with oparg, prev_instr from the saved lasti) and unwinds without a new traceback entry.
int pyj_reraise(PyThreadState *tstate, _PyInterpreterFrame *frame, int depth, int oparg) {
    int index = _PyInterpreterFrame_LASTI(frame);  // the RERAISE itself
    PyObject **stack = _PyFrame_Stackbase(frame);
    if (oparg) {
        PyObject *lasti = stack[depth - 1 - oparg];
        if (PyLong_Check(lasti)) {
            frame->prev_instr = _PyCode_CODE(frame->f_code) + PyLong_AsLong(lasti);
        } else {
            frame->stacktop = frame->f_code->co_nlocalsplus + depth;
            PyErr_SetString(PyExc_SystemError, "lasti is not an int");
            return pyj_unwind_at(tstate, frame, 1, index);
        }
    }
    PyObject *val = stack[--depth];
    frame->stacktop = frame->f_code->co_nlocalsplus + depth;
    PyObject *exc = Py_NewRef(PyExceptionInstance_Class(val));
    PyObject *tb = PyException_GetTraceback(val);
    PyErr_Restore(exc, val, tb);
    return pyj_unwind_at(tstate, frame, 0, index);
}

// CHECK_EXC_MATCH's type check (check_except_type_valid) and match: 1, 0, or -1.
int pyj_check_exc_match(PyObject *left, PyObject *right) {
    if (PyTuple_Check(right)) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(right); i++) {
            if (!PyExceptionClass_Check(PyTuple_GET_ITEM(right, i))) goto invalid;
        }
    } else if (!PyExceptionClass_Check(right)) {
        goto invalid;
    }
    return PyErr_GivenExceptionMatches(left, right);
invalid:
    PyErr_SetString(PyExc_TypeError, "catching classes that do not inherit from BaseException is not allowed");
    return -1;
}

// PUSH_EXC_INFO: [e] -> [previous or None, e], and e becomes the handled exception.
void pyj_push_exc_info(PyThreadState *tstate, PyObject **top) {
    PyObject *value = top[0];
    _PyErr_StackItem *exc_info = tstate->exc_info;
    if (exc_info->exc_value != NULL) {
        top[0] = exc_info->exc_value;
    } else {
        Py_INCREF(Py_None);
        top[0] = Py_None;
    }
    Py_INCREF(value);
    top[1] = value;
    exc_info->exc_value = value;
}

// POP_EXCEPT: restores the handled exception from the top of the stack.
void pyj_pop_except(PyThreadState *tstate, PyObject *saved) {
    _PyErr_StackItem *exc_info = tstate->exc_info;
    PyObject *value = exc_info->exc_value;
    exc_info->exc_value = saved;
    Py_XDECREF(value);
}

// WITH_EXCEPT_START: calls exit(type(val), val, tb) for the stack [exit, lasti, prev, val].
PyObject *pyj_with_except_start(PyObject *exit_func, PyObject *val) {
    PyObject *exc = PyExceptionInstance_Class(val);
    PyObject *tb = PyException_GetTraceback(val);
    Py_XDECREF(tb);
    PyObject *stack[4] = {NULL, exc, val, tb};
    return PyObject_Vectorcall(exit_func, stack + 1, 3 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
}

// ---- Pattern matching: MATCH_KEYS and MATCH_CLASS ---------------------------------
// Ports of the static helpers of CPython 3.11's Python/ceval.c, messages included.

// match_keys (ceval.c): a tuple of the values for `keys`, None when one is missing,
// NULL with an exception set on error.
static PyObject *match_keys(PyThreadState *tstate, PyObject *map, PyObject *keys) {
    assert(PyTuple_CheckExact(keys));
    Py_ssize_t nkeys = PyTuple_GET_SIZE(keys);
    if (!nkeys) {
        // No keys means no items.
        return PyTuple_New(0);
    }
    PyObject *seen = NULL;
    PyObject *dummy = NULL;
    PyObject *values = NULL;
    PyObject *get = NULL;
    // map.get(key, dummy): checks for a key and gets its value at once, without
    // creating keys in dict subclasses that define __missing__.
    int meth_found = _PyObject_GetMethod(map, &_Py_ID(get), &get);
    if (get == NULL) {
        goto fail;
    }
    seen = PySet_New(NULL);
    if (seen == NULL) {
        goto fail;
    }
    // dummy = object()
    dummy = _PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type);
    if (dummy == NULL) {
        goto fail;
    }
    values = PyTuple_New(nkeys);
    if (values == NULL) {
        goto fail;
    }
    for (Py_ssize_t i = 0; i < nkeys; i++) {
        PyObject *key = PyTuple_GET_ITEM(keys, i);
        if (PySet_Contains(seen, key) || PySet_Add(seen, key)) {
            if (!_PyErr_Occurred(tstate)) {
                // Seen it before!
                _PyErr_Format(tstate, PyExc_ValueError,
                              "mapping pattern checks duplicate key (%R)", key);
            }
            goto fail;
        }
        PyObject *args[] = { map, key, dummy };
        PyObject *value = NULL;
        if (meth_found) {
            value = PyObject_Vectorcall(get, args, 3, NULL);
        }
        else {
            value = PyObject_Vectorcall(get, &args[1], 2, NULL);
        }
        if (value == NULL) {
            goto fail;
        }
        if (value == dummy) {
            // key not in map!
            Py_DECREF(value);
            Py_DECREF(values);
            // Return None:
            Py_INCREF(Py_None);
            values = Py_None;
            goto done;
        }
        PyTuple_SET_ITEM(values, i, value);
    }
    // Success:
done:
    Py_DECREF(get);
    Py_DECREF(seen);
    Py_DECREF(dummy);
    return values;
fail:
    Py_XDECREF(get);
    Py_XDECREF(seen);
    Py_XDECREF(dummy);
    Py_XDECREF(values);
    return NULL;
}

PyObject *pyj_match_keys(PyThreadState *tstate, PyObject *subject, PyObject *keys) {
    return match_keys(tstate, subject, keys);
}

// match_class_attr (ceval.c): the attribute, or NULL (with no error set when it is
// missing; _PyErr_Occurred tells them apart).
static PyObject *match_class_attr(PyThreadState *tstate, PyObject *subject, PyObject *type,
                                  PyObject *name, PyObject *seen) {
    assert(PyUnicode_CheckExact(name));
    assert(PySet_CheckExact(seen));
    if (PySet_Contains(seen, name) || PySet_Add(seen, name)) {
        if (!_PyErr_Occurred(tstate)) {
            // Seen it before!
            _PyErr_Format(tstate, PyExc_TypeError,
                          "%s() got multiple sub-patterns for attribute %R",
                          ((PyTypeObject*)type)->tp_name, name);
        }
        return NULL;
    }
    PyObject *attr = PyObject_GetAttr(subject, name);
    if (attr == NULL && _PyErr_ExceptionMatches(tstate, PyExc_AttributeError)) {
        _PyErr_Clear(tstate);
    }
    return attr;
}

// match_class (ceval.c): a tuple of the extracted attributes on a match; NULL on no
// match (no error set) or on error.
static PyObject *match_class(PyThreadState *tstate, PyObject *subject, PyObject *type,
                             Py_ssize_t nargs, PyObject *kwargs) {
    if (!PyType_Check(type)) {
        const char *e = "called match pattern must be a type";
        _PyErr_Format(tstate, PyExc_TypeError, e);
        return NULL;
    }
    assert(PyTuple_CheckExact(kwargs));
    // First, an isinstance check:
    if (PyObject_IsInstance(subject, type) <= 0) {
        return NULL;
    }
    // So far so good:
    PyObject *seen = PySet_New(NULL);
    if (seen == NULL) {
        return NULL;
    }
    PyObject *attrs = PyList_New(0);
    if (attrs == NULL) {
        Py_DECREF(seen);
        return NULL;
    }
    // NOTE: From this point on, goto fail on failure:
    PyObject *match_args = NULL;
    // First, the positional subpatterns:
    if (nargs) {
        int match_self = 0;
        match_args = PyObject_GetAttrString(type, "__match_args__");
        if (match_args) {
            if (!PyTuple_CheckExact(match_args)) {
                const char *e = "%s.__match_args__ must be a tuple (got %s)";
                _PyErr_Format(tstate, PyExc_TypeError, e,
                              ((PyTypeObject *)type)->tp_name,
                              Py_TYPE(match_args)->tp_name);
                goto fail;
            }
        }
        else if (_PyErr_ExceptionMatches(tstate, PyExc_AttributeError)) {
            _PyErr_Clear(tstate);
            // _Py_TPFLAGS_MATCH_SELF counts only for a type without __match_args__.
            match_args = PyTuple_New(0);
            match_self = PyType_HasFeature((PyTypeObject*)type,
                                            _Py_TPFLAGS_MATCH_SELF);
        }
        else {
            goto fail;
        }
        assert(PyTuple_CheckExact(match_args));
        Py_ssize_t allowed = match_self ? 1 : PyTuple_GET_SIZE(match_args);
        if (allowed < nargs) {
            const char *plural = (allowed == 1) ? "" : "s";
            _PyErr_Format(tstate, PyExc_TypeError,
                          "%s() accepts %d positional sub-pattern%s (%d given)",
                          ((PyTypeObject*)type)->tp_name,
                          (int)allowed, plural, (int)nargs);
            goto fail;
        }
        if (match_self) {
            // Easy. Copy the subject itself, and move on to kwargs.
            PyList_Append(attrs, subject);
        }
        else {
            for (Py_ssize_t i = 0; i < nargs; i++) {
                PyObject *name = PyTuple_GET_ITEM(match_args, i);
                if (!PyUnicode_CheckExact(name)) {
                    _PyErr_Format(tstate, PyExc_TypeError,
                                  "__match_args__ elements must be strings "
                                  "(got %s)", Py_TYPE(name)->tp_name);
                    goto fail;
                }
                PyObject *attr = match_class_attr(tstate, subject, type, name,
                                                  seen);
                if (attr == NULL) {
                    goto fail;
                }
                PyList_Append(attrs, attr);
                Py_DECREF(attr);
            }
        }
        Py_CLEAR(match_args);
    }
    // Finally, the keyword subpatterns:
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(kwargs); i++) {
        PyObject *name = PyTuple_GET_ITEM(kwargs, i);
        PyObject *attr = match_class_attr(tstate, subject, type, name, seen);
        if (attr == NULL) {
            goto fail;
        }
        PyList_Append(attrs, attr);
        Py_DECREF(attr);
    }
    Py_SETREF(attrs, PyList_AsTuple(attrs));
    Py_DECREF(seen);
    return attrs;
fail:
    // Whether an error was raised or not is the caller's problem.
    Py_XDECREF(match_args);
    Py_DECREF(seen);
    Py_DECREF(attrs);
    return NULL;
}

// TARGET(MATCH_CLASS)'s use of match_class: the attributes on a match, None on no
// match, NULL on error. The caller releases the type and names in both cases.
PyObject *pyj_match_class(PyThreadState *tstate, PyObject *subject, PyObject *type,
                          Py_ssize_t nargs, PyObject *names) {
    assert(PyTuple_CheckExact(names));
    PyObject *attrs = match_class(tstate, subject, type, nargs, names);
    if (attrs) {
        assert(PyTuple_CheckExact(attrs));
        return attrs;
    }
    if (_PyErr_Occurred(tstate)) {
        return NULL;
    }
    return Py_NewRef(Py_None);
}

// ---- except*: CHECK_EG_MATCH and PREP_RERAISE_STAR ---------------------------------
// Ports of CPython 3.11: ceval.c's check_except_star_type_valid, exception_group_match
// and TARGET(CHECK_EG_MATCH); Objects/exceptions.c's _PyExc_CreateExceptionGroup and
// _PyExc_PrepReraiseStar with the static helpers they use. None are exported.

#define CANNOT_CATCH_MSG "catching classes that do not inherit from "\
                         "BaseException is not allowed"

#define CANNOT_EXCEPT_STAR_EG "catching ExceptionGroup with except* "\
                              "is not allowed. Use except instead."

// check_except_type_valid (ceval.c).
static int check_except_type_valid(PyThreadState *tstate, PyObject* right) {
    if (PyTuple_Check(right)) {
        Py_ssize_t i, length;
        length = PyTuple_GET_SIZE(right);
        for (i = 0; i < length; i++) {
            PyObject *exc = PyTuple_GET_ITEM(right, i);
            if (!PyExceptionClass_Check(exc)) {
                _PyErr_SetString(tstate, PyExc_TypeError,
                    CANNOT_CATCH_MSG);
                return -1;
            }
        }
    }
    else {
        if (!PyExceptionClass_Check(right)) {
            _PyErr_SetString(tstate, PyExc_TypeError,
                CANNOT_CATCH_MSG);
            return -1;
        }
    }
    return 0;
}

// check_except_star_type_valid (ceval.c).
static int check_except_star_type_valid(PyThreadState *tstate, PyObject* right) {
    if (check_except_type_valid(tstate, right) < 0) {
        return -1;
    }

    /* reject except *ExceptionGroup */

    int is_subclass = 0;
    if (PyTuple_Check(right)) {
        Py_ssize_t length = PyTuple_GET_SIZE(right);
        for (Py_ssize_t i = 0; i < length; i++) {
            PyObject *exc = PyTuple_GET_ITEM(right, i);
            is_subclass = PyObject_IsSubclass(exc, PyExc_BaseExceptionGroup);
            if (is_subclass < 0) {
                return -1;
            }
            if (is_subclass) {
                break;
            }
        }
    }
    else {
        is_subclass = PyObject_IsSubclass(right, PyExc_BaseExceptionGroup);
        if (is_subclass < 0) {
            return -1;
        }
    }
    if (is_subclass) {
        _PyErr_SetString(tstate, PyExc_TypeError,
            CANNOT_EXCEPT_STAR_EG);
            return -1;
    }
    return 0;
}

// _PyExc_CreateExceptionGroup (exceptions.c).
static PyObject *create_exception_group(const char *msg_str, PyObject *excs) {
    PyObject *msg = PyUnicode_FromString(msg_str);
    if (!msg) {
        return NULL;
    }
    PyObject *args = PyTuple_Pack(2, msg, excs);
    Py_DECREF(msg);
    if (!args) {
        return NULL;
    }
    PyObject *result = PyObject_CallObject(PyExc_BaseExceptionGroup, args);
    Py_DECREF(args);
    return result;
}

// exception_group_match (ceval.c).
static int exception_group_match(PyObject* exc_value, PyObject *match_type,
                                 PyObject **match, PyObject **rest) {
    if (Py_IsNone(exc_value)) {
        *match = Py_NewRef(Py_None);
        *rest = Py_NewRef(Py_None);
        return 0;
    }
    assert(PyExceptionInstance_Check(exc_value));

    if (PyErr_GivenExceptionMatches(exc_value, match_type)) {
        /* Full match of exc itself */
        int is_eg = _PyBaseExceptionGroup_Check(exc_value);
        if (is_eg) {
            *match = Py_NewRef(exc_value);
        }
        else {
            /* naked exception - wrap it */
            PyObject *excs = PyTuple_Pack(1, exc_value);
            if (excs == NULL) {
                return -1;
            }
            PyObject *wrapped = create_exception_group("", excs);
            Py_DECREF(excs);
            if (wrapped == NULL) {
                return -1;
            }
            *match = wrapped;
        }
        *rest = Py_NewRef(Py_None);
        return 0;
    }

    /* exc_value does not match match_type.
     * Check for partial match if it's an exception group.
     */
    if (_PyBaseExceptionGroup_Check(exc_value)) {
        PyObject *pair = PyObject_CallMethod(exc_value, "split", "(O)",
                                             match_type);
        if (pair == NULL) {
            return -1;
        }
        assert(PyTuple_CheckExact(pair));
        assert(PyTuple_GET_SIZE(pair) == 2);
        *match = Py_NewRef(PyTuple_GET_ITEM(pair, 0));
        *rest = Py_NewRef(PyTuple_GET_ITEM(pair, 1));
        Py_DECREF(pair);
        return 0;
    }
    /* no match */
    *match = Py_NewRef(Py_None);
    *rest = Py_NewRef(Py_None);
    return 0;
}

// TARGET(CHECK_EG_MATCH) on the stack slots top[0] = exc_value, top[1] = match_type:
// [exc, type] -> [exc, None] on no match, [rest, match] on a (partial) match, with
// match the handled exception. 0, or -1 with an exception set and only top[0] left
// on the stack (match_type released), as the evaluator leaves it.
int pyj_check_eg_match(PyThreadState *tstate, PyObject **top) {
    PyObject *match_type = top[1];
    if (check_except_star_type_valid(tstate, match_type) < 0) {
        Py_DECREF(match_type);
        return -1;
    }

    PyObject *exc_value = top[0];
    PyObject *match = NULL, *rest = NULL;
    int res = exception_group_match(exc_value, match_type,
                                    &match, &rest);
    Py_DECREF(match_type);
    if (res < 0) {
        return -1;
    }

    if (match == NULL || rest == NULL) {
        assert(match == NULL);
        assert(rest == NULL);
        return -1;
    }
    if (Py_IsNone(match)) {
        top[1] = match;
        Py_XDECREF(rest);
    }
    else {
        /* Total or partial match - update the stack from [val] to [rest, match]
         * (rest can be Py_None)
         */
        top[0] = rest;
        top[1] = match;
        PyErr_SetExcInfo(NULL, Py_NewRef(match), NULL);
        Py_DECREF(exc_value);
    }
    return 0;
}

// exceptiongroup_subset (exceptions.c): *result is a group made by orig.derive(excs),
// with orig's traceback, context, cause and (copied) notes; NULL when excs is empty.
static int exceptiongroup_subset(PyBaseExceptionGroupObject *_orig, PyObject *excs, PyObject **result) {
    PyObject *orig = (PyObject *)_orig;

    *result = NULL;
    Py_ssize_t num_excs = PySequence_Size(excs);
    if (num_excs < 0) {
        return -1;
    }
    else if (num_excs == 0) {
        return 0;
    }

    PyObject *eg = PyObject_CallMethod(
        orig, "derive", "(O)", excs);
    if (!eg) {
        return -1;
    }

    if (!_PyBaseExceptionGroup_Check(eg)) {
        PyErr_SetString(PyExc_TypeError,
            "derive must return an instance of BaseExceptionGroup");
        goto error;
    }

    /* Now we hold a reference to the new eg */

    PyObject *tb = PyException_GetTraceback(orig);
    if (tb) {
        int res = PyException_SetTraceback(eg, tb);
        Py_DECREF(tb);
        if (res < 0) {
            goto error;
        }
    }
    PyException_SetContext(eg, PyException_GetContext(orig));
    PyException_SetCause(eg, PyException_GetCause(orig));

    PyObject *notes;
    if (_PyObject_LookupAttr(orig, &_Py_ID(__notes__), &notes) < 0) {
        goto error;
    }
    if (notes) {
        if (PySequence_Check(notes)) {
            /* Make a copy so the parts have independent notes lists. */
            PyObject *notes_copy = PySequence_List(notes);
            Py_DECREF(notes);
            if (notes_copy == NULL) {
                goto error;
            }
            int res = PyObject_SetAttr(eg, &_Py_ID(__notes__), notes_copy);
            Py_DECREF(notes_copy);
            if (res < 0) {
                goto error;
            }
        }
        else {
            /* __notes__ is supposed to be a list; notes of another type are ignored. */
            Py_DECREF(notes);
        }
    }

    *result = eg;
    return 0;
error:
    Py_DECREF(eg);
    return -1;
}

// exceptiongroup_split_check_match (exceptions.c), for the only matcher the
// interpreter itself uses, EXCEPTION_GROUP_MATCH_INSTANCE_IDS: a set of the ids of
// the leaf exceptions to keep.
static int exceptiongroup_split_check_match_instance_ids(PyObject *exc, PyObject *matcher_value) {
    assert(PySet_Check(matcher_value));
    if (!_PyBaseExceptionGroup_Check(exc)) {
        PyObject *exc_id = PyLong_FromVoidPtr(exc);
        if (exc_id == NULL) {
            return -1;
        }
        int res = PySet_Contains(matcher_value, exc_id);
        Py_DECREF(exc_id);
        return res;
    }
    return 0;
}

typedef struct {
    PyObject *match;
    PyObject *rest;
} _exceptiongroup_split_result;

// exceptiongroup_split_recursive (exceptions.c), with the instance-ids matcher.
static int exceptiongroup_split_recursive(PyObject *exc, PyObject *matcher_value, bool construct_rest,
                                          _exceptiongroup_split_result *result) {
    result->match = NULL;
    result->rest = NULL;

    int is_match = exceptiongroup_split_check_match_instance_ids(exc, matcher_value);
    if (is_match < 0) {
        return -1;
    }

    if (is_match) {
        /* Full match */
        result->match = Py_NewRef(exc);
        return 0;
    }
    else if (!_PyBaseExceptionGroup_Check(exc)) {
        /* Leaf exception and no match */
        if (construct_rest) {
            result->rest = Py_NewRef(exc);
        }
        return 0;
    }

    /* Partial match */

    PyBaseExceptionGroupObject *eg = (PyBaseExceptionGroupObject *)exc;
    assert(PyTuple_CheckExact(eg->excs));
    Py_ssize_t num_excs = PyTuple_Size(eg->excs);
    if (num_excs < 0) {
        return -1;
    }
    assert(num_excs > 0); /* checked in constructor, and excs is read-only */

    int retval = -1;
    PyObject *match_list = PyList_New(0);
    if (!match_list) {
        return -1;
    }

    PyObject *rest_list = NULL;
    if (construct_rest) {
        rest_list = PyList_New(0);
        if (!rest_list) {
            goto done;
        }
    }
    /* recursive calls */
    for (Py_ssize_t i = 0; i < num_excs; i++) {
        PyObject *e = PyTuple_GET_ITEM(eg->excs, i);
        _exceptiongroup_split_result rec_result;
        if (_Py_EnterRecursiveCall(" in exceptiongroup_split_recursive")) {
            goto done;
        }
        if (exceptiongroup_split_recursive(e, matcher_value, construct_rest, &rec_result) < 0) {
            assert(!rec_result.match);
            assert(!rec_result.rest);
            _Py_LeaveRecursiveCall();
            goto done;
        }
        _Py_LeaveRecursiveCall();
        if (rec_result.match) {
            assert(PyList_CheckExact(match_list));
            if (PyList_Append(match_list, rec_result.match) < 0) {
                Py_DECREF(rec_result.match);
                Py_XDECREF(rec_result.rest);
                goto done;
            }
            Py_DECREF(rec_result.match);
        }
        if (rec_result.rest) {
            assert(construct_rest);
            assert(PyList_CheckExact(rest_list));
            if (PyList_Append(rest_list, rec_result.rest) < 0) {
                Py_DECREF(rec_result.rest);
                goto done;
            }
            Py_DECREF(rec_result.rest);
        }
    }

    /* construct result */
    if (exceptiongroup_subset(eg, match_list, &result->match) < 0) {
        goto done;
    }

    if (construct_rest) {
        assert(PyList_CheckExact(rest_list));
        if (exceptiongroup_subset(eg, rest_list, &result->rest) < 0) {
            Py_CLEAR(result->match);
            goto done;
        }
    }
    retval = 0;
done:
    Py_DECREF(match_list);
    Py_XDECREF(rest_list);
    if (retval < 0) {
        Py_CLEAR(result->match);
        Py_CLEAR(result->rest);
    }
    return retval;
}

// collect_exception_group_leaf_ids (exceptions.c): adds the ids of exc's leaves.
static int collect_exception_group_leaf_ids(PyObject *exc, PyObject *leaf_ids) {
    if (Py_IsNone(exc)) {
        return 0;
    }

    assert(PyExceptionInstance_Check(exc));
    assert(PySet_Check(leaf_ids));

    /* Add IDs of all leaf exceptions in exc to the leaf_ids set */

    if (!_PyBaseExceptionGroup_Check(exc)) {
        PyObject *exc_id = PyLong_FromVoidPtr(exc);
        if (exc_id == NULL) {
            return -1;
        }
        int res = PySet_Add(leaf_ids, exc_id);
        Py_DECREF(exc_id);
        return res;
    }
    PyBaseExceptionGroupObject *eg = (PyBaseExceptionGroupObject *)exc;
    Py_ssize_t num_excs = PyTuple_GET_SIZE(eg->excs);
    /* recursive calls */
    for (Py_ssize_t i = 0; i < num_excs; i++) {
        PyObject *e = PyTuple_GET_ITEM(eg->excs, i);
        if (_Py_EnterRecursiveCall(" in collect_exception_group_leaf_ids")) {
            return -1;
        }
        int res = collect_exception_group_leaf_ids(e, leaf_ids);
        _Py_LeaveRecursiveCall();
        if (res < 0) {
            return -1;
        }
    }
    return 0;
}

// exception_group_projection (exceptions.c): the part of eg holding the leaves of
// the groups in keep, with eg's nesting and metadata; None if there are none.
static PyObject *exception_group_projection(PyObject *eg, PyObject *keep) {
    assert(_PyBaseExceptionGroup_Check(eg));
    assert(PyList_CheckExact(keep));

    PyObject *leaf_ids = PySet_New(NULL);
    if (!leaf_ids) {
        return NULL;
    }

    Py_ssize_t n = PyList_GET_SIZE(keep);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *e = PyList_GET_ITEM(keep, i);
        assert(e != NULL);
        assert(_PyBaseExceptionGroup_Check(e));
        if (collect_exception_group_leaf_ids(e, leaf_ids) < 0) {
            Py_DECREF(leaf_ids);
            return NULL;
        }
    }

    _exceptiongroup_split_result split_result;
    bool construct_rest = false;
    int err = exceptiongroup_split_recursive(eg, leaf_ids, construct_rest, &split_result);
    Py_DECREF(leaf_ids);
    if (err < 0) {
        return NULL;
    }

    PyObject *result = split_result.match ?
        split_result.match : Py_NewRef(Py_None);
    assert(split_result.rest == NULL);
    return result;
}

// is_same_exception_metadata (exceptions.c).
static bool is_same_exception_metadata(PyObject *exc1, PyObject *exc2) {
    assert(PyExceptionInstance_Check(exc1));
    assert(PyExceptionInstance_Check(exc2));

    PyBaseExceptionObject *e1 = (PyBaseExceptionObject *)exc1;
    PyBaseExceptionObject *e2 = (PyBaseExceptionObject *)exc2;

    return (e1->notes == e2->notes &&
            e1->traceback == e2->traceback &&
            e1->cause == e2->cause &&
            e1->context == e2->context);
}

// _PyExc_PrepReraiseStar (exceptions.c): the exception to raise at the end of a
// try-except* (or None), from the caught orig and the list excs of exceptions the
// except* clauses raised or re-raised. Re-raised ones keep orig's nesting; raised
// ones are siblings in a new group.
PyObject *pyj_prep_reraise_star(PyObject *orig, PyObject *excs) {
    assert(PyExceptionInstance_Check(orig));
    assert(PyList_Check(excs));

    Py_ssize_t numexcs = PyList_GET_SIZE(excs);

    if (numexcs == 0) {
        return Py_NewRef(Py_None);
    }

    if (!_PyBaseExceptionGroup_Check(orig)) {
        /* a naked exception was caught and wrapped. Only one except* clause
         * could have executed, so there is at most one exception to raise.
         */

        assert(numexcs == 1 || (numexcs == 2 && PyList_GET_ITEM(excs, 1) == Py_None));

        PyObject *e = PyList_GET_ITEM(excs, 0);
        assert(e != NULL);
        return Py_NewRef(e);
    }

    PyObject *raised_list = PyList_New(0);
    if (raised_list == NULL) {
        return NULL;
    }
    PyObject* reraised_list = PyList_New(0);
    if (reraised_list == NULL) {
        Py_DECREF(raised_list);
        return NULL;
    }

    /* Now we are holding refs to raised_list and reraised_list */

    PyObject *result = NULL;

    /* Split excs into raised and reraised by comparing metadata with orig */
    for (Py_ssize_t i = 0; i < numexcs; i++) {
        PyObject *e = PyList_GET_ITEM(excs, i);
        assert(e != NULL);
        if (Py_IsNone(e)) {
            continue;
        }
        bool is_reraise = is_same_exception_metadata(e, orig);
        PyObject *append_list = is_reraise ? reraised_list : raised_list;
        if (PyList_Append(append_list, e) < 0) {
            goto done;
        }
    }

    PyObject *reraised_eg = exception_group_projection(orig, reraised_list);
    if (reraised_eg == NULL) {
        goto done;
    }

    if (!Py_IsNone(reraised_eg)) {
        assert(is_same_exception_metadata(reraised_eg, orig));
    }
    Py_ssize_t num_raised = PyList_GET_SIZE(raised_list);
    if (num_raised == 0) {
        result = reraised_eg;
    }
    else if (num_raised > 0) {
        int res = 0;
        if (!Py_IsNone(reraised_eg)) {
            res = PyList_Append(raised_list, reraised_eg);
        }
        Py_DECREF(reraised_eg);
        if (res < 0) {
            goto done;
        }
        if (PyList_GET_SIZE(raised_list) > 1) {
            result = create_exception_group("", raised_list);
        }
        else {
            result = Py_NewRef(PyList_GetItem(raised_list, 0));
        }
        if (result == NULL) {
            goto done;
        }
    }

done:
    Py_XDECREF(raised_list);
    Py_XDECREF(reraised_list);
    return result;
}

// ---- Builtin calls, as the specialized interpreter makes them -------------------
// PRECALL_NO_KW_BUILTIN_FAST, PRECALL_BUILTIN_FAST_WITH_KEYWORDS and
// PRECALL_NO_KW_METHOD_DESCRIPTOR_FAST call METH_FASTCALL C functions directly, with
// no recursion check: so must compiled code, or recursion depths differ from a warmed-up
// interpreter's. *handled is 0 (and nothing happened) for other callables.
// builtins.min and builtins.max (see pyj_find_builtins).
static PyObject *pyj_builtin_min, *pyj_builtin_max;

PyObject *pyj_call_builtin_fast(PyObject *callable, PyObject *const *args, Py_ssize_t nargs,
                                PyObject *kwnames, int *handled) {
    *handled = 0;
    if (Py_IS_TYPE(callable, &PyCFunction_Type)) {
        int flags = PyCFunction_GET_FLAGS(callable);
        PyObject *self = PyCFunction_GET_SELF(callable);
        if (flags == METH_FASTCALL && kwnames == NULL) {
            *handled = 1;
            PyObject *result = ((_PyCFunctionFast)(void(*)(void))PyCFunction_GET_FUNCTION(callable))(self, args, nargs);
            return _Py_CheckFunctionResult(_PyThreadState_GET(), callable, result, NULL);
        }
        if (flags == (METH_FASTCALL | METH_KEYWORDS)) {
            *handled = 1;
            Py_ssize_t positional = nargs - (kwnames ? PyTuple_GET_SIZE(kwnames) : 0);
            PyObject *result = ((_PyCFunctionFastWithKeywords)(void(*)(void))PyCFunction_GET_FUNCTION(callable))(
                self, args, positional, kwnames);
            return _Py_CheckFunctionResult(_PyThreadState_GET(), callable, result, NULL);
        }
    } else if (Py_IS_TYPE(callable, &PyMethodDescr_Type) && kwnames == NULL && nargs >= 1) {
        // self of the descriptor's type or a subclass of it (descr_check), as the
        // method_vectorcall_* functions call them; a list subclass's append, say.
        PyMethodDescrObject *descr = (PyMethodDescrObject *)callable;
        PyMethodDef *meth = descr->d_method;
        if (!PyObject_TypeCheck(args[0], descr->d_common.d_type)) {
            return NULL;
        }
        PyObject *result;
        if (meth->ml_flags == METH_FASTCALL) {
            result = ((_PyCFunctionFast)(void(*)(void))meth->ml_meth)(args[0], args + 1, nargs - 1);
        } else if ((meth->ml_flags == METH_O && nargs == 2) || (meth->ml_flags == METH_NOARGS && nargs == 1)) {
            if (Py_EnterRecursiveCall(" while calling a Python object")) {
                *handled = 1;
                return NULL;
            }
            result = meth->ml_meth(args[0], nargs == 2 ? args[1] : NULL);
            Py_LeaveRecursiveCall();
        } else {
            return NULL;
        }
        *handled = 1;
        return _Py_CheckFunctionResult(_PyThreadState_GET(), callable, result, NULL);
    } else if (kwnames == NULL && nargs == 2 && callable != NULL &&
               (callable == pyj_builtin_min || callable == pyj_builtin_max)) {
        // min(a, b) and max(a, b): min_max's loop over two items, b replacing a when
        // b < a (min) or b > a (max).
        *handled = 1;
        int replaces = PyObject_RichCompareBool(args[1], args[0], callable == pyj_builtin_min ? Py_LT : Py_GT);
        if (replaces < 0) {
            return NULL;
        }
        return Py_NewRef(replaces ? args[1] : args[0]);
    } else if (kwnames == NULL && nargs == 1 && (callable == (PyObject *)&PyLong_Type ||
                                                 callable == (PyObject *)&PyUnicode_Type)) {
        // int(x) and str(x): what type_call, long_new_impl and unicode_new_impl come to
        // for one positional argument (the two builtin classes without a vectorcall).
        *handled = 1;
        return callable == (PyObject *)&PyLong_Type ? PyNumber_Long(args[0]) : PyObject_Str(args[0]);
    }
    return NULL;
}

// ---- Generators, coroutines and async generators ------------------------------
// Ports of what 3.11's evaluator does for them, since _Py_MakeCoro, _PyFrame_Copy,
// _PyCoro_GetAwaitableIter, _PyGen_yf and _PyAsyncGenValueWrapperNew are not exported.
#include "internal/pycore_genobject.h"

const int32_t pyj_gen_frame_state_from_frame =
    (int32_t)(offsetof(PyGenObject, gi_frame_state) - offsetof(PyGenObject, gi_iframe));

// compute_cr_origin (genobject.c): the coroutine's creation stack, for
// sys.set_coroutine_origin_tracking_depth.
static PyObject *pyj_compute_cr_origin(int origin_depth, _PyInterpreterFrame *current_frame) {
    _PyInterpreterFrame *frame = current_frame;
    int frame_count = 0;
    for (; frame && frame_count < origin_depth; ++frame_count) {
        frame = frame->previous;
    }
    PyObject *cr_origin = PyTuple_New(frame_count);
    if (cr_origin == NULL) {
        return NULL;
    }
    frame = current_frame;
    for (int i = 0; i < frame_count; ++i) {
        PyCodeObject *code = frame->f_code;
        PyObject *frameinfo = Py_BuildValue("OiO", code->co_filename,
            PyCode_Addr2Line(frame->f_code, _PyInterpreterFrame_LASTI(frame) * sizeof(_Py_CODEUNIT)),
            code->co_name);
        if (!frameinfo) {
            Py_DECREF(cr_origin);
            return NULL;
        }
        PyTuple_SET_ITEM(cr_origin, i, frameinfo);
        frame = frame->previous;
    }
    return cr_origin;
}

// ---- A free list of one-digit ints ------------------------------------------------
// CPython 3.11 keeps floats that die on a free list but not ints. Machine code does for
// exact ints of at most one digit (a 32-byte block each) what it does for floats: one
// whose count reaches 0 in machine code goes on this list (linked through ob_type,
// at most PYJ_INT_FREE_MAX), and an int result that needs a new object takes one from
// it, inline (not while tracemalloc traces). `i * j + k` in a loop then allocates and
// frees nothing. Ints that die in C go back to the allocator as usual.
static PyjIntFreeList pyj_int_free_list = {NULL, 0};
PyjIntFreeList *pyj_int_free_list_address(void) { return &pyj_int_free_list; }

// Returns the kept ints to the allocator (pyjion.disable()).
static void pyj_int_free_list_clear(void) {
    PyObject *o = pyj_int_free_list.first;
    while (o != NULL) {
        PyObject *next = (PyObject *)Py_TYPE(o);
        PyObject_Free(o);
        o = next;
    }
    pyj_int_free_list.first = NULL;
    pyj_int_free_list.count = 0;
}

// ---- Free lists of finished generators and coroutines ------------------------
// A generator or coroutine that finished and that machine code releases for the last
// time (pyj_free_finished_gen) keeps its memory here, by kind and by size (its frame's
// slots), instead of going back to the allocator, and pyj_make_gen takes it again
// for the next one of that kind and size: a coroutine or generator made and finished
// in a loop (an `await f()` per call, a generator per tree node) skips malloc, free
// and the GC's link and unlink, as CPython's own free lists (tuples, floats) do.
// Nothing can tell: the objects here are untracked, unreferenced and hold no
// references. Not used while tracemalloc traces (it would miss the allocations).
#define PYJ_GEN_FREE_SIZES 64
#define PYJ_GEN_FREE_DEPTH 16
typedef struct {
    PyGenObject *first[PYJ_GEN_FREE_SIZES];  // linked through gi_code
    int count[PYJ_GEN_FREE_SIZES];
} PyjGenFreeList;
static PyjGenFreeList pyj_gen_free_lists[2];  // 0: generators, 1: coroutines

static inline PyjGenFreeList *pyj_gen_free_list(PyTypeObject *type) {
    return type == &PyGen_Type ? &pyj_gen_free_lists[0] : type == &PyCoro_Type ? &pyj_gen_free_lists[1] : NULL;
}

// Keeps `gen` (untracked, its references released) for reuse: 1, or 0 when its list
// is full (nothing done).
// (A generator has no ob_size: its frame's slots are its code's, passed in.)
static inline int pyj_gen_free_list_push(PyGenObject *gen, int slots) {
    PyjGenFreeList *list = pyj_gen_free_list(Py_TYPE(gen));
    if (list == NULL || slots >= PYJ_GEN_FREE_SIZES || list->count[slots] >= PYJ_GEN_FREE_DEPTH ||
        _Py_tracemalloc_config.tracing) {
        return 0;
    }
    gen->gi_code = (PyCodeObject *)list->first[slots];
    list->first[slots] = gen;
    list->count[slots]++;
    return 1;
}

// A kept object of `type` with `slots` frame slots, as PyObject_GC_NewVar leaves a new
// one (count 1, untracked, GC flags clear), or NULL when there is none.
static inline PyGenObject *pyj_gen_free_list_pop(PyTypeObject *type, int slots) {
    PyjGenFreeList *list = pyj_gen_free_list(type);
    if (list == NULL || slots >= PYJ_GEN_FREE_SIZES || list->first[slots] == NULL ||
        _Py_tracemalloc_config.tracing) {
        return NULL;
    }
    PyGenObject *gen = list->first[slots];
    list->first[slots] = (PyGenObject *)gen->gi_code;
    list->count[slots]--;
    // A finalized flag left from an earlier life would skip this one's finalizer.
    PyGC_Head *head = _Py_AS_GC((PyObject *)gen);
    head->_gc_next = 0;
    head->_gc_prev = 0;
    _Py_NewReference((PyObject *)gen);
    return gen;
}

// Returns every kept object to the allocator (pyjion.disable()): generators,
// coroutines and ints.
void pyj_free_lists_clear(void) {
    pyj_int_free_list_clear();
    for (int kind = 0; kind < 2; kind++) {
        for (int slots = 0; slots < PYJ_GEN_FREE_SIZES; slots++) {
            PyGenObject *gen = pyj_gen_free_lists[kind].first[slots];
            while (gen != NULL) {
                PyGenObject *next = (PyGenObject *)gen->gi_code;
                PyObject_GC_Del(gen);
                gen = next;
            }
            pyj_gen_free_lists[kind].first[slots] = NULL;
            pyj_gen_free_lists[kind].count[slots] = 0;
        }
    }
}

// make_gen (genobject.c), with a kept object when there is one.
static PyObject *pyj_make_gen(PyTypeObject *type, PyFunctionObject *func) {
    PyCodeObject *code = (PyCodeObject *)func->func_code;
    int slots = code->co_nlocalsplus + code->co_stacksize;
    PyGenObject *gen = pyj_gen_free_list_pop(type, slots);
    if (gen == NULL) {
        gen = PyObject_GC_NewVar(PyGenObject, type, slots);
    }
    if (gen == NULL) {
        return NULL;
    }
    gen->gi_frame_state = FRAME_CLEARED;
    gen->gi_code = (PyCodeObject *)Py_NewRef(func->func_code);
    gen->gi_weakreflist = NULL;
    gen->gi_exc_state.exc_value = NULL;
    gen->gi_exc_state.previous_item = NULL;
    gen->gi_name = Py_NewRef(func->func_name);
    gen->gi_qualname = Py_NewRef(func->func_qualname);
    _PyObject_GC_TRACK(gen);
    return (PyObject *)gen;
}

// _Py_MakeCoro (genobject.c).
static PyObject *pyj_make_coro(PyThreadState *tstate, PyFunctionObject *func) {
    int coro_flags = ((PyCodeObject *)func->func_code)->co_flags &
        (CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR);
    if (coro_flags == CO_GENERATOR) {
        return pyj_make_gen(&PyGen_Type, func);
    }
    if (coro_flags == CO_ASYNC_GENERATOR) {
        PyAsyncGenObject *o = (PyAsyncGenObject *)pyj_make_gen(&PyAsyncGen_Type, func);
        if (o == NULL) {
            return NULL;
        }
        o->ag_origin_or_finalizer = NULL;
        o->ag_closed = 0;
        o->ag_hooks_inited = 0;
        o->ag_running_async = 0;
        return (PyObject *)o;
    }
    PyObject *coro = pyj_make_gen(&PyCoro_Type, func);
    if (!coro) {
        return NULL;
    }
    int origin_depth = tstate->coroutine_origin_tracking_depth;
    if (origin_depth == 0) {
        ((PyCoroObject *)coro)->cr_origin_or_finalizer = NULL;
    } else {
        PyObject *cr_origin = pyj_compute_cr_origin(origin_depth, tstate->cframe->current_frame->previous);
        ((PyCoroObject *)coro)->cr_origin_or_finalizer = cr_origin;
        if (!cr_origin) {
            Py_DECREF(coro);
            return NULL;
        }
    }
    return coro;
}

// RETURN_GENERATOR on an entry frame with an empty stack: the generator object takes a
// copy of the frame (and its references), and the calling frame is left for its owner
// to clear. prev_instr is at the RETURN_GENERATOR. New reference, or NULL.
PyObject *pyj_return_generator(PyThreadState *tstate, _PyInterpreterFrame *frame) {
    PyGenObject *gen = (PyGenObject *)pyj_make_coro(tstate, frame->f_func);
    if (gen == NULL) {
        return NULL;
    }
    frame->stacktop = frame->f_code->co_nlocalsplus;
    _PyInterpreterFrame *gen_frame = (_PyInterpreterFrame *)gen->gi_iframe;
    // _PyFrame_Copy
    Py_ssize_t size = ((char *)&frame->localsplus[frame->stacktop]) - (char *)frame;
    memcpy(gen_frame, frame, size);
    gen->gi_frame_state = FRAME_CREATED;
    gen_frame->owner = FRAME_OWNED_BY_GENERATOR;
    // Not running: no caller (gi_frame.f_back is None until it runs).
    gen_frame->previous = NULL;
    // As the evaluator leaves an entry frame: its references went to the copy.
    frame->stacktop = 0;
    frame->f_locals = NULL;
    Py_INCREF(frame->f_func);
    Py_INCREF(frame->f_code);
    return (PyObject *)gen;
}

// _PyFrame_Clear (frame.c) for a frame nobody runs any more.
static void pyj_frame_clear(PyThreadState *tstate, _PyInterpreterFrame *frame) {
    if (frame->frame_obj) {
        PyFrameObject *f = frame->frame_obj;
        frame->frame_obj = NULL;
        if (Py_REFCNT(f) > 1) {
            pyj_take_ownership(tstate, f, frame);
            Py_DECREF(f);
            return;
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
}

// gen_send_ex2's end for a frame that returned `result` or raised (NULL), after the
// frame state, exc_info and frame->previous are restored (by pyj_gen_send_compiled or
// by machine code): StopIteration raised inside becomes RuntimeError, and the frame is
// released, since the generator cannot run again.
static void pyj_gen_finished(PyThreadState *tstate, PyGenObject *gen, PyObject *result) {
    if (result == NULL) {
        if (PyErr_ExceptionMatches(PyExc_StopIteration)) {
            const char *msg = "generator raised StopIteration";
            if (PyCoro_CheckExact(gen)) {
                msg = "coroutine raised StopIteration";
            } else if (PyAsyncGen_CheckExact(gen)) {
                msg = "async generator raised StopIteration";
            }
            _PyErr_FormatFromCause(PyExc_RuntimeError, "%s", msg);
        } else if (PyAsyncGen_CheckExact(gen) && PyErr_ExceptionMatches(PyExc_StopAsyncIteration)) {
            _PyErr_FormatFromCause(PyExc_RuntimeError, "%s", "async generator raised StopAsyncIteration");
        }
    }
    Py_CLEAR(gen->gi_exc_state.exc_value);
    gen->gi_frame_state = FRAME_CLEARED;
    pyj_frame_clear(tstate, (_PyInterpreterFrame *)gen->gi_iframe);
}

// gen_send_ex2 (genobject.c) without throw or close, for a generator or coroutine
// whose code has machine code that may run now: the frame runs `entry` directly,
// where the interpreter would call _PyEval_EvalFrame and so the hook. `arg` NULL is
// next() (gen_iternext).
static inline __attribute__((always_inline)) PySendResult pyj_gen_send_compiled(PyThreadState *tstate, PyGenObject *gen, PyObject *arg,
                                   PyjNativeEntry entry, PyObject **presult) {
    _PyInterpreterFrame *frame = (_PyInterpreterFrame *)gen->gi_iframe;
    PyObject *result;
    *presult = NULL;
    if (gen->gi_frame_state == FRAME_CREATED && arg && arg != Py_None) {
        const char *msg = "can't send non-None value to a just-started generator";
        if (PyCoro_CheckExact(gen)) {
            msg = "can't send non-None value to a just-started coroutine";
        } else if (PyAsyncGen_CheckExact(gen)) {
            msg = "can't send non-None value to a just-started async generator";
        }
        PyErr_SetString(PyExc_TypeError, msg);
        return PYGEN_ERROR;
    }
    if (gen->gi_frame_state == FRAME_EXECUTING) {
        const char *msg = "generator already executing";
        if (PyCoro_CheckExact(gen)) {
            msg = "coroutine already executing";
        } else if (PyAsyncGen_CheckExact(gen)) {
            msg = "async generator already executing";
        }
        PyErr_SetString(PyExc_ValueError, msg);
        return PYGEN_ERROR;
    }
    if (gen->gi_frame_state >= FRAME_COMPLETED) {
        if (PyCoro_CheckExact(gen)) {
            PyErr_SetString(PyExc_RuntimeError, "cannot reuse already awaited coroutine");
        } else if (arg) {
            *presult = Py_NewRef(Py_None);
            return PYGEN_RETURN;
        }
        return PYGEN_ERROR;
    }
    result = arg ? arg : Py_None;
    Py_INCREF(result);
    _PyFrame_StackPush(frame, result);
    frame->previous = tstate->cframe->current_frame;
    gen->gi_exc_state.previous_item = tstate->exc_info;
    tstate->exc_info = &gen->gi_exc_state;
    gen->gi_frame_state = FRAME_EXECUTING;
    result = entry(tstate, frame);
    if (gen->gi_frame_state == FRAME_EXECUTING) {
        gen->gi_frame_state = FRAME_COMPLETED;
    }
    tstate->exc_info = gen->gi_exc_state.previous_item;
    gen->gi_exc_state.previous_item = NULL;
    frame->previous = NULL;
    if (result) {
        if (gen->gi_frame_state == FRAME_SUSPENDED) {
            *presult = result;
            return PYGEN_NEXT;
        }
        if (result == Py_None && !PyAsyncGen_CheckExact(gen) && !arg) {
            Py_CLEAR(result);
        }
    }
    pyj_gen_finished(tstate, gen, result);
    *presult = result;
    return result ? PYGEN_RETURN : PYGEN_ERROR;
}

// The machine code to resume `receiver` with directly, as the hook would run it: an
// exact generator or coroutine whose code is compiled and may run now, while pyjion's
// hook is the installed one, nothing traces and the C stack has room. Counts the run.
static inline PyjNativeEntry pyj_resume_entry(PyThreadState *tstate, PyObject *receiver) {
    if (!PyGen_CheckExact(receiver) && !PyCoro_CheckExact(receiver)) {
        return NULL;
    }
    PyjCodeEntry *record = pyj_code_entry((PyObject *)((PyGenObject *)receiver)->gi_code);
    if (record == NULL || record->entry == NULL || !pyj_may_run(record)) {
        return NULL;
    }
    if ((void *)tstate->interp->eval_frame != pyj_jit_hook || pyj_jit_hook == NULL ||
        tstate->cframe->use_tracing || !pyj_c_stack_ok()) {
        return NULL;
    }
    record->runCount++;
    return record->entry;
}

// FOR_ITER's tp_iternext for an exact generator: a compiled one resumes directly.
PyObject *pyj_gen_iternext(PyThreadState *tstate, PyObject *gen) {
    PyjNativeEntry entry = pyj_resume_entry(tstate, gen);
    if (entry == NULL) {
        return Py_TYPE(gen)->tp_iternext(gen);
    }
    PyObject *result;
    if (pyj_gen_send_compiled(tstate, (PyGenObject *)gen, NULL, entry, &result) == PYGEN_RETURN) {
        if (result != Py_None) {
            _PyGen_SetStopIterationValue(result);
        }
        Py_CLEAR(result);
    }
    return result;
}

// Frees `o` (its count just reached 0) the lean way when it is an exact generator or
// coroutine whose frame is already cleared, without weak references: gen_dealloc's
// steps that do something for it. Its finalizer (_PyGen_Finalize) would return at
// once for a finished frame, so the GC untrack/track/untrack around calling it is
// skipped. 0 for anything else (nothing done).
static inline int pyj_free_finished_gen(PyObject *o) {
    PyGenObject *gen = (PyGenObject *)o;
    if ((!PyGen_CheckExact(o) && !PyCoro_CheckExact(o)) || gen->gi_weakreflist != NULL ||
        gen->gi_frame_state != FRAME_CLEARED) {
        return 0;
    }
    _PyObject_GC_UNTRACK(gen);
    int slots = gen->gi_code->co_nlocalsplus + gen->gi_code->co_stacksize;
    if (((PyCodeObject *)gen->gi_code)->co_flags & CO_COROUTINE) {
        Py_CLEAR(((PyCoroObject *)gen)->cr_origin_or_finalizer);
    }
    Py_CLEAR(gen->gi_code);
    Py_CLEAR(gen->gi_name);
    Py_CLEAR(gen->gi_qualname);
    Py_CLEAR(gen->gi_exc_state.exc_value);
    if (!pyj_gen_free_list_push(gen, slots)) {
        PyObject_GC_Del(gen);
    }
    return 1;
}

// Machine code's deallocation of a generator or coroutine (MacroAssembler.emitDeallocRoutine).
void pyj_dealloc(PyObject *o) {
    if (!pyj_free_finished_gen(o)) {
        _Py_Dealloc(o);
    }
}

// SEND with [receiver, value] at `top[-2..-1]`: 0 = yielded (the value's slot holds
// what was yielded), 1 = returned (the receiver's slot holds the result, the stack is
// one shorter: jump), -1 = error (the value's slot is empty: one value less).
int pyj_send(PyThreadState *tstate, PyObject **top) {
    PyObject *v = top[-1];
    PyObject *receiver = top[-2];
    PySendResult gen_status;
    PyObject *retval;
    if (tstate->c_tracefunc == NULL) {
        PyjNativeEntry entry = pyj_resume_entry(tstate, receiver);
        if (entry != NULL) {
            gen_status = pyj_gen_send_compiled(tstate, (PyGenObject *)receiver, v, entry, &retval);
        } else {
            gen_status = PyIter_Send(receiver, v, &retval);
        }
    } else {
        if (Py_IsNone(v) && PyIter_Check(receiver)) {
            retval = Py_TYPE(receiver)->tp_iternext(receiver);
        } else {
            retval = PyObject_CallMethodOneArg(receiver, &_Py_ID(send), v);
        }
        if (retval == NULL) {
            if (_PyGen_FetchStopIterationValue(&retval) == 0) {
                gen_status = PYGEN_RETURN;
            } else {
                gen_status = PYGEN_ERROR;
            }
        } else {
            gen_status = PYGEN_NEXT;
        }
    }
    top[-1] = NULL;
    Py_DECREF(v);
    if (gen_status == PYGEN_ERROR) {
        return -1;
    }
    if (gen_status == PYGEN_RETURN) {
        if (--receiver->ob_refcnt == 0) {
            pyj_dealloc(receiver);  // a finished delegate: the lean way
        }
        top[-2] = retval;
        return 1;
    }
    top[-1] = retval;
    return 0;
}

PyObject *pyj_gen_next_finish(PyThreadState *tstate, PyObject *gen, PyObject *result) {
    pyj_gen_finished(tstate, (PyGenObject *)gen, result);
    Py_XDECREF(result);
    return NULL;
}

int pyj_send_finish(PyThreadState *tstate, PyObject **top, PyObject *result) {
    // pyj_gen_send_compiled's end, then pyj_send's.
    PyGenObject *gen = (PyGenObject *)top[-2];
    pyj_gen_finished(tstate, gen, result);
    if (result == NULL) {
        return -1;
    }
    if (--((PyObject *)gen)->ob_refcnt == 0) {
        pyj_dealloc((PyObject *)gen);  // a finished delegate: the lean way
    }
    top[-2] = result;
    return 1;
}

// gen_is_coroutine (genobject.c).
static int pyj_gen_is_coroutine(PyObject *o) {
    if (PyGen_CheckExact(o)) {
        PyCodeObject *code = (PyCodeObject *)((PyGenObject *)o)->gi_code;
        if (code->co_flags & CO_ITERABLE_COROUTINE) {
            return 1;
        }
    }
    return 0;
}

// _PyCoro_GetAwaitableIter (genobject.c).
static PyObject *pyj_coro_get_awaitable_iter(PyObject *o) {
    if (PyCoro_CheckExact(o) || pyj_gen_is_coroutine(o)) {
        return Py_NewRef(o);
    }
    PyTypeObject *ot = Py_TYPE(o);
    unaryfunc getter = NULL;
    if (ot->tp_as_async != NULL) {
        getter = ot->tp_as_async->am_await;
    }
    if (getter != NULL) {
        PyObject *res = (*getter)(o);
        if (res != NULL) {
            if (PyCoro_CheckExact(res) || pyj_gen_is_coroutine(res)) {
                PyErr_SetString(PyExc_TypeError, "__await__() returned a coroutine");
                Py_CLEAR(res);
            } else if (!PyIter_Check(res)) {
                PyErr_Format(PyExc_TypeError, "__await__() returned non-iterator of type '%.100s'",
                             Py_TYPE(res)->tp_name);
                Py_CLEAR(res);
            }
        }
        return res;
    }
    PyErr_Format(PyExc_TypeError, "object %.100s can't be used in 'await' expression", ot->tp_name);
    return NULL;
}

// _PyGen_yf (genobject.c): the object a suspended generator delegates to, or NULL.
static PyObject *pyj_gen_yf(PyGenObject *gen) {
    if (gen->gi_frame_state < FRAME_CLEARED) {
        _PyInterpreterFrame *frame = (_PyInterpreterFrame *)gen->gi_iframe;
        if (gen->gi_frame_state == FRAME_CREATED) {
            return NULL;
        }
        _Py_CODEUNIT next = frame->prev_instr[1];
        if (_PyOpcode_Deopt[_Py_OPCODE(next)] != RESUME || _Py_OPARG(next) < 2) {
            return NULL;
        }
        return Py_NewRef(_PyFrame_StackPeek(frame));
    }
    return NULL;
}

// GET_AWAITABLE oparg on the top slot: replaces it with the awaitable's iterator
// (NULL on error, as the evaluator leaves it). 0 or -1.
int pyj_get_awaitable(PyThreadState *tstate, PyObject **slot, int oparg) {
    PyObject *iterable = *slot;
    PyObject *iter = pyj_coro_get_awaitable_iter(iterable);
    if (iter == NULL) {
        // format_awaitable_error (ceval.c)
        PyTypeObject *type = Py_TYPE(iterable);
        if (type->tp_as_async == NULL || type->tp_as_async->am_await == NULL) {
            if (oparg == 1) {
                PyErr_Format(PyExc_TypeError,
                              "'async with' received an object from __aenter__ "
                              "that does not implement __await__: %.100s", type->tp_name);
            } else if (oparg == 2) {
                PyErr_Format(PyExc_TypeError,
                              "'async with' received an object from __aexit__ "
                              "that does not implement __await__: %.100s", type->tp_name);
            }
        }
    }
    Py_DECREF(iterable);
    if (iter != NULL && PyCoro_CheckExact(iter)) {
        PyObject *yf = pyj_gen_yf((PyGenObject *)iter);
        if (yf != NULL) {
            Py_DECREF(yf);
            Py_CLEAR(iter);
            PyErr_SetString(PyExc_RuntimeError, "coroutine is being awaited already");
        }
    }
    *slot = iter;
    return iter == NULL ? -1 : 0;
}

// GET_AITER on the top slot (NULL on error, as the evaluator leaves it). 0 or -1.
int pyj_get_aiter(PyThreadState *tstate, PyObject **slot) {
    unaryfunc getter = NULL;
    PyObject *iter = NULL;
    PyObject *obj = *slot;
    PyTypeObject *type = Py_TYPE(obj);
    if (type->tp_as_async != NULL) {
        getter = type->tp_as_async->am_aiter;
    }
    if (getter != NULL) {
        iter = (*getter)(obj);
        Py_DECREF(obj);
        if (iter == NULL) {
            *slot = NULL;
            return -1;
        }
    } else {
        *slot = NULL;
        PyErr_Format(PyExc_TypeError,
                      "'async for' requires an object with __aiter__ method, got %.100s", type->tp_name);
        Py_DECREF(obj);
        return -1;
    }
    if (Py_TYPE(iter)->tp_as_async == NULL || Py_TYPE(iter)->tp_as_async->am_anext == NULL) {
        *slot = NULL;
        PyErr_Format(PyExc_TypeError,
                      "'async for' received an object from __aiter__ that does not implement __anext__: %.100s",
                      Py_TYPE(iter)->tp_name);
        Py_DECREF(iter);
        return -1;
    }
    *slot = iter;
    return 0;
}

// GET_ANEXT: the awaitable to push for the async iterator `aiter`; new reference or NULL.
PyObject *pyj_get_anext(PyThreadState *tstate, PyObject *aiter) {
    unaryfunc getter = NULL;
    PyObject *next_iter = NULL;
    PyObject *awaitable = NULL;
    PyTypeObject *type = Py_TYPE(aiter);
    if (PyAsyncGen_CheckExact(aiter)) {
        return type->tp_as_async->am_anext(aiter);
    }
    if (type->tp_as_async != NULL) {
        getter = type->tp_as_async->am_anext;
    }
    if (getter != NULL) {
        next_iter = (*getter)(aiter);
        if (next_iter == NULL) {
            return NULL;
        }
    } else {
        PyErr_Format(PyExc_TypeError,
                      "'async for' requires an iterator with __anext__ method, got %.100s", type->tp_name);
        return NULL;
    }
    awaitable = pyj_coro_get_awaitable_iter(next_iter);
    if (awaitable == NULL) {
        _PyErr_FormatFromCause(PyExc_TypeError,
                               "'async for' received an invalid object from __anext__: %.100s",
                               Py_TYPE(next_iter)->tp_name);
    }
    Py_DECREF(next_iter);
    return awaitable;
}

// GET_YIELD_FROM_ITER on the top slot (NULL on the coroutine error, as the evaluator
// leaves it). 0 or -1.
int pyj_get_yield_from_iter(PyThreadState *tstate, PyObject **slot, int code_flags) {
    PyObject *iterable = *slot;
    if (PyCoro_CheckExact(iterable)) {
        if (!(code_flags & (CO_COROUTINE | CO_ITERABLE_COROUTINE))) {
            Py_DECREF(iterable);
            *slot = NULL;
            PyErr_SetString(PyExc_TypeError,
                             "cannot 'yield from' a coroutine object in a non-coroutine generator");
            return -1;
        }
    } else if (!PyGen_CheckExact(iterable)) {
        PyObject *iter = PyObject_GetIter(iterable);
        if (iter == NULL) {
            return -1;
        }
        Py_DECREF(iterable);
        *slot = iter;
    }
    return 0;
}

// BEFORE_ASYNC_WITH: [mgr] -> [__aexit__, __aenter__()]. 0 or -1 (the stack as the
// evaluator leaves it: one value, mgr or __aexit__).
int pyj_before_async_with(PyThreadState *tstate, PyObject **slot) {
    PyObject *mgr = slot[0];
    PyObject *enter = _PyObject_LookupSpecial(mgr, &_Py_ID(__aenter__));
    if (enter == NULL) {
        if (!PyErr_Occurred()) {
            PyErr_Format(PyExc_TypeError,
                          "'%.200s' object does not support the asynchronous context manager protocol",
                          Py_TYPE(mgr)->tp_name);
        }
        return -1;
    }
    PyObject *exit = _PyObject_LookupSpecial(mgr, &_Py_ID(__aexit__));
    if (exit == NULL) {
        if (!PyErr_Occurred()) {
            PyErr_Format(PyExc_TypeError,
                          "'%.200s' object does not support the asynchronous context manager protocol "
                          "(missed __aexit__ method)", Py_TYPE(mgr)->tp_name);
        }
        Py_DECREF(enter);
        return -1;
    }
    slot[0] = exit;
    Py_DECREF(mgr);
    PyObject *res = PyObject_CallNoArgs(enter);
    Py_DECREF(enter);
    if (res == NULL) {
        return -1;
    }
    slot[1] = res;
    return 0;
}

// END_ASYNC_FOR with [aiter, exc] on top of `depth` values: StopAsyncIteration ends
// the loop (-2: both popped, continue); any other exception is re-raised without a
// new traceback entry, and the result is the unwinder's (handler index or -1).
int pyj_end_async_for(PyThreadState *tstate, _PyInterpreterFrame *frame, int depth) {
    PyObject **stack = _PyFrame_Stackbase(frame);
    PyObject *val = stack[depth - 1];
    if (PyErr_GivenExceptionMatches(val, PyExc_StopAsyncIteration)) {
        Py_DECREF(val);
        Py_DECREF(stack[depth - 2]);
        return -2;
    }
    frame->stacktop = frame->f_code->co_nlocalsplus + depth - 1;
    PyObject *exc = Py_NewRef(PyExceptionInstance_Class(val));
    PyObject *tb = PyException_GetTraceback(val);
    PyErr_Restore(exc, val, tb);
    return pyj_unwind(tstate, frame, 0);
}

// ASYNC_GEN_WRAP: _PyAsyncGenValueWrapperNew (genobject.c), sharing the interpreter's
// free list. New reference, or NULL.
typedef struct {
    PyObject_HEAD
    PyObject *agw_val;
} PyjAsyncGenWrappedValue;

PyObject *pyj_async_gen_wrap(PyObject *val) {
    PyjAsyncGenWrappedValue *o;
#if _PyAsyncGen_MAXFREELIST > 0
    struct _Py_async_gen_state *state = &_PyInterpreterState_GET()->async_gen;
    if (state->value_numfree) {
        state->value_numfree--;
        o = (PyjAsyncGenWrappedValue *)state->value_freelist[state->value_numfree];
        _Py_NewReference((PyObject *)o);
    } else
#endif
    {
        o = PyObject_GC_New(PyjAsyncGenWrappedValue, &_PyAsyncGenWrappedValue_Type);
        if (o == NULL) {
            return NULL;
        }
    }
    o->agw_val = Py_NewRef(val);
    _PyObject_GC_TRACK((PyObject *)o);
    return (PyObject *)o;
}

// A frame's size on the data stack, in slots (_PyFrame_NumSlotsForCodeObject).
static inline size_t pyj_frame_slots(PyCodeObject *code) {
    return code->co_nlocalsplus + code->co_stacksize + FRAME_SPECIALS_SIZE;
}

// ---- CALL ------------------------------------------------------------------------
// PRECALL + CALL with `[NULL or method, callable or self, args...]` at `base`: a
// bound method in callable position is unpacked in place (as PRECALL does), a compiled
// Python function called with exact positional arguments is entered directly (its
// frame pushed and popped here, no hook), METH_FASTCALL builtins are called directly,
// anything else through vectorcall. On success every slot is released and the result
// returned (the caller stores it at base[0]); on failure NULL, and the slots still hold
// what the unwinder releases (arguments moved into a direct callee's frame are NULL).
// The machine code of a Python function `func` that may be entered directly now
// (pyjion's hook installed, nothing tracing, room on the C stack and in the data
// stack's chunk), or NULL. Its arguments are bound by pyj_bind_arguments.
static inline PyjCodeEntry *pyj_direct_entry(PyThreadState *tstate, PyFunctionObject *func) {
    PyCodeObject *code = (PyCodeObject *)func->func_code;
    PyjCodeEntry *record = pyj_code_entry((PyObject *)code);
    if (record == NULL || record->entry == NULL || !pyj_may_run(record) ||
        (code->co_flags & (CO_VARARGS | CO_VARKEYWORDS)) ||
        (void *)tstate->interp->eval_frame != pyj_jit_hook || pyj_jit_hook == NULL ||
        tstate->cframe->use_tracing || !pyj_c_stack_ok()) {
        return NULL;
    }
    size_t size = pyj_frame_slots(code);
    PyObject **top = tstate->datastack_top;
    if (top == NULL || top + size >= tstate->datastack_limit) {
        return NULL;
    }
    return record;
}

// The most parameters pyj_bind_arguments binds (a C array on the stack).
#define PYJ_MAX_BOUND_PARAMETERS 32

// initialize_locals' regular cases, for a function without *args or **kwargs: the
// `total` arguments at `args` (the last ones named by `kwnames`) and the defaults fill
// the co_argcount + co_kwonlyargcount parameters in `bound` (borrowed references).
// Returns the parameter count, or -1 when the call is anything else (too many or
// missing arguments, an unknown or repeated keyword, a positional-only parameter by
// keyword): nothing is done, and the regular call path raises the interpreter's error.
static inline int pyj_bind_arguments(PyFunctionObject *func, PyObject *const *args, Py_ssize_t total,
                                     PyObject *kwnames, PyObject **bound, int *exact) {
    PyCodeObject *code = (PyCodeObject *)func->func_code;
    int parameters = code->co_argcount + code->co_kwonlyargcount;
    Py_ssize_t keywords = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    Py_ssize_t positional = total - keywords;
    *exact = positional == code->co_argcount && keywords == 0 && code->co_kwonlyargcount == 0;
    if (*exact) {
        return parameters;  // the common case: exactly the positional parameters, in order
    }
    if (parameters > PYJ_MAX_BOUND_PARAMETERS || positional > code->co_argcount) {
        return -1;
    }
    for (int i = 0; i < parameters; i++) {
        bound[i] = i < positional ? args[i] : NULL;
    }
    PyObject *names = code->co_localsplusnames;
    for (Py_ssize_t k = 0; k < keywords; k++) {
        PyObject *keyword = PyTuple_GET_ITEM(kwnames, k);
        int index = -1;
        for (int i = code->co_posonlyargcount; i < parameters; i++) {
            if (PyTuple_GET_ITEM(names, i) == keyword) {
                index = i;
                break;
            }
        }
        // Keyword names are interned str; a name not found by identity (a str
        // subclass, an uninterned name) takes the regular path.
        if (index < 0 || bound[index] != NULL) {
            return -1;
        }
        bound[index] = args[positional + k];
    }
    PyObject *defaults = func->func_defaults;
    Py_ssize_t default_count = defaults == NULL ? 0 : PyTuple_GET_SIZE(defaults);
    Py_ssize_t first_default = code->co_argcount - default_count;
    for (int i = (int)positional; i < code->co_argcount; i++) {
        if (bound[i] == NULL) {
            if (i < first_default) {
                return -1;  // missing
            }
            bound[i] = PyTuple_GET_ITEM(defaults, i - first_default);
        }
    }
    for (int i = code->co_argcount; i < parameters; i++) {
        if (bound[i] == NULL) {
            PyObject *kwdefaults = func->func_kwdefaults;
            PyObject *value = kwdefaults == NULL ? NULL : PyDict_GetItemWithError(kwdefaults, PyTuple_GET_ITEM(names, i));
            if (value == NULL) {
                PyErr_Clear();
                return -1;
            }
            bound[i] = value;  // borrowed: kwdefaults holds it until the frame takes a reference
        }
    }
    return parameters;
}

// Pushes `func`'s frame with `bound` as its parameters (or, when `exact`, the
// arguments themselves): the call's `total` arguments at `args` move into it (their
// slots become NULL), defaults get new references.
static inline _PyInterpreterFrame *pyj_push_bound_frame(PyThreadState *tstate, PyFunctionObject *func,
                                                         PyObject **bound, int parameters, int exact,
                                                         PyObject **args, Py_ssize_t total) {
    PyCodeObject *code = (PyCodeObject *)func->func_code;
    size_t size = pyj_frame_slots(code);
    _PyInterpreterFrame *frame = (_PyInterpreterFrame *)tstate->datastack_top;
    tstate->datastack_top += size;
    Py_INCREF(func);
    _PyFrame_InitializeSpecials(frame, func, NULL, code->co_nlocalsplus);
    if (exact) {
        for (int i = 0; i < parameters; i++) {
            frame->localsplus[i] = args[i];  // exactly the positional parameters: moved
            args[i] = NULL;
        }
    } else {
        for (int i = 0; i < parameters; i++) {
            frame->localsplus[i] = Py_NewRef(bound[i]);
        }
        for (Py_ssize_t i = 0; i < total; i++) {
            Py_DECREF(args[i]);  // never the last reference: each is bound, the frame holds one
            args[i] = NULL;
        }
    }
    for (int i = parameters; i < code->co_nlocalsplus; i++) {
        frame->localsplus[i] = NULL;
    }
    return frame;
}

// Calling a class whose instances come from object.__new__ and whose __init__ is a
// compiled Python function taking exactly the arguments given: type_call's steps
// (object_new through tp_new, then __init__, which must return None) with __init__
// entered directly. `base[1]` is the class; arguments follow. Returns 0 when the call
// is not of that shape (nothing done), else 1 with *result the instance or NULL.
PyObject *pyj_builtins_dict(void) {
    PyObject *builtins = PyImport_GetModule(&_Py_ID(builtins));
    if (builtins == NULL) {
        PyErr_Clear();
        return NULL;
    }
    PyObject *dict = PyModule_GetDict(builtins);
    Py_DECREF(builtins);  // sys.modules and the interpreter keep it
    return dict;
}

PyObject *pyj_check_call_result(PyThreadState *tstate, PyObject **base, PyObject *result) {
    PyObject *callable = base[0] != NULL ? base[0] : base[1];
    return _Py_CheckFunctionResult(tstate, callable, result, NULL);
}

PyObject *pyj_new_instance(PyTypeObject *type) {
    static PyObject *no_arguments = NULL;
    if (no_arguments == NULL && (no_arguments = PyTuple_New(0)) == NULL) {
        return NULL;
    }
    return type->tp_new(type, no_arguments, NULL);
}

PyObject *pyj_construct_rest(PyTypeObject *type, PyObject *self, PyObject *const *args, Py_ssize_t argc) {
    if (!PyObject_TypeCheck(self, type)) {
        return self;
    }
    initproc init = Py_TYPE(self)->tp_init;
    if (init != NULL) {
        PyObject *tuple = PyTuple_New(argc);
        if (tuple == NULL) {
            Py_DECREF(self);
            return NULL;
        }
        for (Py_ssize_t i = 0; i < argc; i++) {
            PyTuple_SET_ITEM(tuple, i, Py_NewRef(args[i]));
        }
        int status = init(self, tuple, NULL);
        Py_DECREF(tuple);
        if (status < 0) {
            Py_DECREF(self);
            return NULL;
        }
    }
    return self;
}

void pyj_init_returned_not_none(PyObject *result) {
    PyErr_Format(PyExc_TypeError, "__init__() should return None, not '%.200s'", Py_TYPE(result)->tp_name);
    Py_DECREF(result);
}

static int pyj_call_class(PyThreadState *tstate, PyObject **base, Py_ssize_t argc, PyObject *kwnames,
                          PyjCallSite *site, PyObject **result) {
    PyTypeObject *tp = (PyTypeObject *)base[1];
    if (!(tp->tp_flags & Py_TPFLAGS_HEAPTYPE) || tp->tp_new != PyBaseObject_Type.tp_new ||
        (tp->tp_flags & Py_TPFLAGS_IS_ABSTRACT)) {
        return 0;
    }
    PyObject *init = _PyType_Lookup(tp, &_Py_ID(__init__));
    if (init == NULL || !Py_IS_TYPE(init, &PyFunction_Type)) {
        return 0;
    }
    PyjCodeEntry *record = pyj_direct_entry(tstate, (PyFunctionObject *)init);
    PyObject *bound[PYJ_MAX_BOUND_PARAMETERS];
    // __init__'s arguments: self (stands in the class's slot, base[1]), then the call's.
    int exact = 0;
    int parameters = record == NULL ? -1
        : pyj_bind_arguments((PyFunctionObject *)init, base + 1, argc + 1, kwnames, bound, &exact);
    if (parameters < 0) {
        return 0;
    }
    if (site != NULL && site->init.code == NULL && exact && kwnames == NULL && record->directEntry != NULL &&
        (tp->tp_flags & Py_TPFLAGS_VALID_VERSION_TAG) && tp->tp_version_tag != 0) {
        // The site's machine code instantiates this class directly from now on.
        PyCodeObject *code = (PyCodeObject *)((PyFunctionObject *)init)->func_code;
        site->init.code = Py_NewRef((PyObject *)code);
        site->init.record = record;
        site->init.frameBytes = (int64_t)(pyj_frame_slots(code) * sizeof(PyObject *));
        site->classVersion = tp->tp_version_tag;
        site->initFunction = init;
    }
    // _PyObject_MakeTpCall's recursion check.
    if (tstate->recursion_remaining-- <= 0 && _Py_CheckRecursiveCall(tstate, " while calling a Python object")) {
        *result = NULL;
        return 1;
    }
    Py_INCREF(init);  // the lookup's reference is borrowed: allocation may run finalizers
    PyObject *self = pyj_new_instance(tp);
    if (self == NULL) {
        Py_DECREF(init);
        tstate->recursion_remaining++;
        *result = NULL;
        return 1;
    }
    // __init__'s arguments: self in the class's slot, then the call's arguments; the
    // frame takes those references (the class's stays with us meanwhile).
    base[1] = Py_NewRef(self);  // moves into the frame; `self` stays ours
    bound[0] = self;
    _PyInterpreterFrame *frame = pyj_push_bound_frame(tstate, (PyFunctionObject *)init, bound, parameters, exact,
                                                      base + 1, argc + 1);
    base[1] = (PyObject *)tp;  // the class's reference, still ours
    record->runCount++;
    PyObject *returned = record->entry(tstate, frame);
    pyj_clear_and_pop_frame(tstate, frame);
    Py_DECREF(init);
    tstate->recursion_remaining++;
    if (returned == NULL) {
        Py_DECREF(self);
        *result = NULL;
        return 1;
    }
    if (returned != Py_None) {
        PyErr_Format(PyExc_TypeError, "__init__() should return None, not '%.200s'", Py_TYPE(returned)->tp_name);
        Py_DECREF(returned);
        Py_DECREF(self);
        *result = NULL;
        return 1;
    }
    Py_DECREF(returned);
    *result = self;
    return 1;
}

// The releases after a frame pushed by a direct call returns, in the common case:
// no frame object, no f_locals; _PyFrame_Clear's steps otherwise (the full version).
__attribute__((always_inline))
static inline void pyj_pop_direct_frame(PyThreadState *tstate, _PyInterpreterFrame *frame) {
    if (frame->frame_obj != NULL || frame->f_locals != NULL) {
        pyj_clear_and_pop_frame(tstate, frame);
        return;
    }
    tstate->recursion_remaining--;  // as _PyEvalFrameClearAndPop: releases may recurse
    PyObject **locals = frame->localsplus;
#pragma clang loop vectorize(disable) interleave(disable) unroll(disable)
    for (int i = 0; i < frame->stacktop; i++) {
        Py_XDECREF(locals[i]);
    }
    Py_DECREF(frame->f_func);
    Py_DECREF(frame->f_code);
    tstate->recursion_remaining++;
    tstate->datastack_top = (PyObject **)frame;
}

// A compiled Python function called with exactly its positional parameters and no
// keywords, the most common call, without the general path's branches: 1 with
// *result set (the callee's return value, or NULL on an error), or 0 when the call
// is not of that shape or may not be made directly now (nothing done).
// (no_builtin: clang would turn the few-slot NULL loop into a call to memset.)
// The call's `total` arguments at `args` move into `frame`'s first locals (the frame
// takes the caller's references; their slots become NULL), and the other locals start
// NULL. A few items each: plain loops (vectorized ones cost more in set-up than they
// save). (no_builtin: clang would turn the NULL loop into a call to memset.)
__attribute__((no_builtin("memset")))
static inline void pyj_move_arguments(_PyInterpreterFrame *frame, PyObject **args, int total, int nlocalsplus) {
#pragma clang loop vectorize(disable) interleave(disable) unroll(disable)
    for (int i = 0; i < total; i++) {
        frame->localsplus[i] = args[i];
        args[i] = NULL;
    }
#pragma clang loop vectorize(disable) interleave(disable) unroll(disable)
    for (int i = total; i < nlocalsplus; i++) {
        frame->localsplus[i] = NULL;
    }
}

// The last `defaulted` positional parameters, after the `total` passed, bound to the
// last of the function's defaults (as _PyEval_MakeFrameVector's positional defaults).
static inline void pyj_fill_defaults(_PyInterpreterFrame *frame, PyFunctionObject *func, int total, int defaulted) {
    if (defaulted == 0) {
        return;
    }
    Py_ssize_t first = PyTuple_GET_SIZE(func->func_defaults) - defaulted;
    for (int i = 0; i < defaulted; i++) {
        frame->localsplus[total + i] = Py_NewRef(PyTuple_GET_ITEM(func->func_defaults, first + i));
    }
}

// Whether keyword arguments named `kwnames`, after `positional` positional ones, are
// exactly the parameters that follow those, in order (`f(a, b=1)` for `def f(a, b)`):
// then the call binds as if all were positional. Not for positional-only parameters,
// which keywords cannot name.
static inline int pyj_keywords_in_order(PyCodeObject *code, int positional, PyObject *kwnames) {
    Py_ssize_t count = PyTuple_GET_SIZE(kwnames);
    if (positional < code->co_posonlyargcount || positional + count > code->co_argcount) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, i);
        PyObject *parameter = PyTuple_GET_ITEM(code->co_localsplusnames, positional + i);
        if (name != parameter && !(PyUnicode_CheckExact(name) && _PyUnicode_EQ(name, parameter))) {
            return 0;
        }
    }
    return 1;
}

// (Always inlined: an outlined copy cost coroutine creation 8% in bm_coroutines.)
__attribute__((no_builtin("memset"), always_inline))
static inline int pyj_call_exact(PyThreadState *tstate, PyObject **base, int oparg, PyObject *kwnames,
                                 PyjCallSite *site, PyObject **result) {
    int is_method = base[0] != NULL;
    PyObject *function = base[1 - is_method];
    if (!Py_IS_TYPE(function, &PyFunction_Type)) {
        return 0;
    }
    PyFunctionObject *func = (PyFunctionObject *)function;
    PyCodeObject *code = (PyCodeObject *)func->func_code;
    int total = oparg + is_method;
    if (kwnames != NULL && !pyj_keywords_in_order(code, total - (int)PyTuple_GET_SIZE(kwnames), kwnames)) {
        return 0;
    }
    // Positional parameters left out take their defaults (only positional ones).
    int defaulted = code->co_argcount - total;
    if (defaulted < 0 || code->co_kwonlyargcount != 0 || (code->co_flags & (CO_VARARGS | CO_VARKEYWORDS)) ||
        (defaulted > 0 && (func->func_defaults == NULL || PyTuple_GET_SIZE(func->func_defaults) < defaulted))) {
        return 0;
    }
    PyjCodeEntry *record = pyj_code_entry((PyObject *)code);
    if (record == NULL || record->entry == NULL || !pyj_may_run(record) ||
        (void *)tstate->interp->eval_frame != pyj_jit_hook || pyj_jit_hook == NULL ||
        tstate->cframe->use_tracing || !pyj_c_stack_ok()) {
        return 0;
    }
    // A generator function that starts with RETURN_GENERATOR (after COPY_FREE_VARS for
    // a closure, as generator expressions do): the generator is made with its frame as
    // RETURN_GENERATOR would copy it (arguments, free variables, NULL locals,
    // prev_instr at the RETURN_GENERATOR), without running the frame.
    int free_vars = code->co_nfreevars;
    _Py_CODEUNIT *first = _PyCode_CODE(code);
    _Py_CODEUNIT *return_generator = free_vars == 0 ? first : first + 1;
    if ((code->co_flags & (CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR)) && code->co_ncellvars == 0 &&
        (free_vars == 0 || (_Py_OPCODE(first[0]) == COPY_FREE_VARS && _Py_OPARG(first[0]) == free_vars &&
                            func->func_closure != NULL && PyTuple_GET_SIZE(func->func_closure) == free_vars)) &&
        _Py_OPCODE(*return_generator) == RETURN_GENERATOR &&
        tstate->recursion_remaining > 0 && tstate->coroutine_origin_tracking_depth == 0) {
        PyGenObject *gen = (PyGenObject *)pyj_make_coro(tstate, func);
        if (gen == NULL) {
            *result = NULL;
            return 1;
        }
        _PyInterpreterFrame *frame = (_PyInterpreterFrame *)gen->gi_iframe;
        Py_INCREF(func);
        _PyFrame_InitializeSpecials(frame, func, NULL, code->co_nlocalsplus);
        frame->prev_instr = return_generator;
        frame->owner = FRAME_OWNED_BY_GENERATOR;
        frame->previous = NULL;
        pyj_move_arguments(frame, base + 2 - is_method, total, code->co_nlocalsplus);
        pyj_fill_defaults(frame, func, total, defaulted);
        for (int i = 0; i < free_vars; i++) {  // COPY_FREE_VARS
            frame->localsplus[code->co_nlocals + i] = Py_NewRef(PyTuple_GET_ITEM(func->func_closure, i));
        }
        gen->gi_frame_state = FRAME_CREATED;
        record->runCount++;
        Py_XDECREF(base[0]);
        Py_XDECREF(base[1]);
        *result = (PyObject *)gen;
        return 1;
    }
    int nlocalsplus = code->co_nlocalsplus;
    PyObject **top = tstate->datastack_top;
    size_t size = pyj_frame_slots(code);
    if (top == NULL || top + size >= tstate->datastack_limit) {
        return 0;
    }
    if (site != NULL && record->directEntry != NULL && site->methodShape == is_method) {
        // The site's machine code calls this callee directly from now on (in the first
        // empty way; a site that has seen more callees calls the others through here).
        for (int way = 0; way < PYJ_CALL_SITE_WAYS; way++) {
            PyjCallTarget *target = &site->targets[way];
            if (target->code == (PyObject *)code) {
                break;
            }
            if (target->code == NULL) {
                target->record = record;
                target->frameBytes = (int64_t)(size * sizeof(PyObject *));
                target->defaulted = defaulted;
                target->code = Py_NewRef((PyObject *)code);
                break;
            }
        }
    }
    tstate->datastack_top = top + size;
    _PyInterpreterFrame *frame = (_PyInterpreterFrame *)top;
    Py_INCREF(func);
    _PyFrame_InitializeSpecials(frame, func, NULL, nlocalsplus);
    pyj_move_arguments(frame, base + 2 - is_method, total, nlocalsplus);
    pyj_fill_defaults(frame, func, total, defaulted);
    record->runCount++;
    PyObject *returned = record->entry(tstate, frame);
    pyj_pop_direct_frame(tstate, frame);
    if (returned != NULL) {
        // What is left of the call's slots: the callable, and NULL or the method.
        Py_XDECREF(base[0]);
        Py_XDECREF(base[1]);
    }
    *result = returned;
    return 1;
}

static PyObject *pyj_call_general(PyThreadState *tstate, PyObject **base, int oparg, PyObject *kwnames,
                                  PyjCallSite *site) __attribute__((noinline));

// An instance of a Python class with a __call__ function (slot_tp_call): that function
// called with the instance first, one recursion level deeper as _PyObject_MakeTpCall
// makes it. (Out of pyj_call, which stays small for the common calls.)
__attribute__((noinline))
static PyObject *pyj_call_instance(PyThreadState *tstate, PyObject **base, int oparg, PyObject *kwnames,
                                   PyjCallSite *site, PyObject *call) {
    base[0] = Py_NewRef(call);
    if (_Py_EnterRecursiveCallTstate(tstate, " while calling a Python object")) {
        return NULL;
    }
    PyObject *result;
    if (!pyj_call_exact(tstate, base, oparg, kwnames, site, &result)) {
        result = pyj_call_general(tstate, base, oparg, kwnames, site);
    }
    _Py_LeaveRecursiveCallTstate(tstate);
    return result;
}

__attribute__((no_builtin("memset")))
PyObject *pyj_call(PyThreadState *tstate, PyObject **base, int oparg, PyObject *kwnames, PyjCallSite *site) {
    PyObject *fast;
    if (base[0] == NULL && Py_IS_TYPE(base[1], &PyMethod_Type)) {
        // A bound method: its function called with self first (PRECALL_BOUND_METHOD).
        PyObject *method = base[1];
        base[0] = Py_NewRef(PyMethod_GET_FUNCTION(method));
        base[1] = Py_NewRef(PyMethod_GET_SELF(method));
        Py_DECREF(method);
    } else if (base[0] == NULL && (Py_TYPE(base[1])->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
        PyObject *call = _PyType_Lookup(Py_TYPE(base[1]), &_Py_ID(__call__));
        if (call != NULL && Py_IS_TYPE(call, &PyFunction_Type)) {
            return pyj_call_instance(tstate, base, oparg, kwnames, site, call);
        }
    }
    if (pyj_call_exact(tstate, base, oparg, kwnames, site, &fast)) {
        return fast;
    }
    return pyj_call_general(tstate, base, oparg, kwnames, site);
}

// A Python function called with two arguments from C (a dunder method for an
// operator or a subscript): through its compiled code as pyj_call_exact calls it
// when it can, else by vectorcall.
static PyObject *pyj_call_function2(PyThreadState *tstate, PyObject *func, PyObject *a, PyObject *b) {
    // [function, self, argument]: the method shape, one argument after self.
    PyObject *slots[3] = {Py_NewRef(func), Py_NewRef(a), Py_NewRef(b)};
    PyObject *result;
    if (pyj_call_exact(tstate, slots, 1, NULL, NULL, &result)) {
        if (result == NULL) {  // what the call did not take or release
            for (int i = 0; i < 3; i++) {
                Py_XDECREF(slots[i]);
            }
        }
        return result;
    }
    for (int i = 0; i < 3; i++) {
        Py_DECREF(slots[i]);
    }
    PyObject *args[2] = {a, b};
    return PyObject_Vectorcall(func, args, 2, NULL);
}

// The Python function a heap type's MRO has for `name`, or NULL (borrowed).
static inline PyObject *pyj_python_method(PyTypeObject *type, PyObject *name) {
    if (!(type->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
        return NULL;
    }
    PyObject *method = _PyType_Lookup(type, name);
    return method != NULL && Py_IS_TYPE(method, &PyFunction_Type) ? method : NULL;
}

// ---- MAKE_FUNCTION -------------------------------------------------------------
// PyFunction_New's two lookups in the globals (__name__ for __module__, and
// __builtins__: _PyEval_BuiltinsFromGlobals), remembered for one globals dict while
// its PEP 509 version stands (any change to the dict gives it a new version, and no
// two dicts ever share one): a closure or generator expression made in a loop skips
// them. Borrowed: the dict holds both while its version stands. Builtins that come
// from the running frame (no __builtins__ in the globals) are not remembered.
static PyObject *pyj_function_globals = NULL;
static uint64_t pyj_function_globals_version = 0;
static PyObject *pyj_function_module = NULL;
static PyObject *pyj_function_builtins = NULL;

// PyFunction_New(code, globals) (PyFunction_NewWithQualName with the code's qualname),
// field for field, with the lookups above: a new function, or NULL with an exception.
PyObject *pyj_function_new(PyObject *code_object, PyObject *globals) {
    PyThreadState *tstate = _PyThreadState_GET();
    PyCodeObject *code = (PyCodeObject *)code_object;
    PyObject *module, *builtins;
    uint64_t version = ((PyDictObject *)globals)->ma_version_tag;
    if (globals == pyj_function_globals && version == pyj_function_globals_version) {
        module = pyj_function_module;
        builtins = pyj_function_builtins;
    } else {
        module = PyDict_GetItemWithError(globals, &_Py_ID(__name__));
        if (module == NULL && _PyErr_Occurred(tstate)) {
            return NULL;
        }
        // _PyEval_BuiltinsFromGlobals
        builtins = PyDict_GetItemWithError(globals, &_Py_ID(__builtins__));
        int from_globals = builtins != NULL;
        if (builtins != NULL) {
            if (PyModule_Check(builtins)) {
                builtins = _PyModule_GetDict(builtins);
            }
        } else {
            if (PyErr_Occurred()) {
                return NULL;
            }
            _PyInterpreterFrame *frame = tstate->cframe->current_frame;  // _PyEval_GetBuiltins
            builtins = frame != NULL ? frame->f_builtins : tstate->interp->builtins;
        }
        if (builtins == NULL) {
            return NULL;
        }
        // The lookups ran no code (str keys), so the version read above still stands.
        if (from_globals) {
            pyj_function_globals = globals;
            pyj_function_globals_version = version;
            pyj_function_module = module;
            pyj_function_builtins = builtins;
        } else {
            pyj_function_globals = NULL;
        }
    }
    PyObject *doc = Py_None;
    if (PyTuple_GET_SIZE(code->co_consts) >= 1) {
        doc = PyTuple_GET_ITEM(code->co_consts, 0);
        if (!PyUnicode_Check(doc)) {
            doc = Py_None;
        }
    }
    PyFunctionObject *op = PyObject_GC_New(PyFunctionObject, &PyFunction_Type);
    if (op == NULL) {
        return NULL;
    }
    op->func_globals = Py_NewRef(globals);
    op->func_builtins = Py_NewRef(builtins);
    op->func_name = Py_NewRef(code->co_name);
    op->func_qualname = Py_NewRef(code->co_qualname);
    op->func_code = Py_NewRef(code_object);
    op->func_defaults = NULL;
    op->func_kwdefaults = NULL;
    op->func_closure = NULL;
    op->func_doc = Py_NewRef(doc);
    op->func_dict = NULL;
    op->func_weakreflist = NULL;
    op->func_module = Py_XNewRef(module);
    op->func_annotations = NULL;
    op->vectorcall = _PyFunction_Vectorcall;
    op->func_version = 0;
    _PyObject_GC_TRACK(op);
    return (PyObject *)op;
}

// An operator's or a subscript's Python method, `method` of `type`: the site's
// machine code calls it directly from now on (BINARY_OP and BINARY_SUBSCR keep the
// type's version tag, the method, and its compiled code as a PyjCallSite's class
// fields), when its code is compiled with a direct entry and takes exactly the two
// operands as positional parameters. A site that sees another type or method is
// refilled. Borrowed `method`: the type holds it while its version tag stands.
static void pyj_fill_method_site(PyjCallSite *site, PyTypeObject *type, PyObject *method) {
    if (site == NULL || !(type->tp_flags & Py_TPFLAGS_VALID_VERSION_TAG) || type->tp_version_tag == 0) {
        return;
    }
    PyCodeObject *code = (PyCodeObject *)((PyFunctionObject *)method)->func_code;
    if (site->classVersion == type->tp_version_tag && site->initFunction == method &&
        site->init.code == (PyObject *)code) {
        return;
    }
    if (code->co_argcount != 2 || code->co_kwonlyargcount != 0 ||
        (code->co_flags & (CO_VARARGS | CO_VARKEYWORDS | CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR))) {
        return;
    }
    PyjCodeEntry *record = pyj_code_entry((PyObject *)code);
    if (record == NULL || record->directEntry == NULL) {
        return;
    }
    PyObject *old = site->init.code;
    site->init.code = Py_NewRef((PyObject *)code);
    site->init.record = record;
    site->init.frameBytes = (int64_t)(pyj_frame_slots(code) * sizeof(PyObject *));
    site->init.defaulted = 0;
    site->classVersion = type->tp_version_tag;
    site->initFunction = method;
    Py_XDECREF(old);
}

// binary_op1's TypeError for two operands of one type whose method returned
// NotImplemented (binop_type_error): NULL.
PyObject *pyj_same_class_operator_error(PyObject *v, int op) {
    const char *symbol;
    switch (op) {
    case NB_ADD: symbol = "+"; break;
    case NB_SUBTRACT: symbol = "-"; break;
    case NB_MULTIPLY: symbol = "*"; break;
    case NB_TRUE_DIVIDE: symbol = "/"; break;
    case NB_INPLACE_ADD: symbol = "+="; break;
    case NB_INPLACE_SUBTRACT: symbol = "-="; break;
    case NB_INPLACE_MULTIPLY: symbol = "*="; break;
    case NB_INPLACE_TRUE_DIVIDE: symbol = "/="; break;
    default: symbol = "?"; break;
    }
    const char *name = Py_TYPE(v)->tp_name;
    PyErr_Format(PyExc_TypeError, "unsupported operand type(s) for %.100s: '%.100s' and '%.100s'", symbol, name, name);
    return NULL;
}

PyObject *pyj_binary_op_same_class(PyObject *v, PyObject *w, int op, PyjCallSite *site, int *handled) {
    *handled = 0;
    PyTypeObject *type = Py_TYPE(v);
    if (op == NB_ADD && type == &PyList_Type && Py_IS_TYPE(w, &PyList_Type)) {
        // list_concat, its new list not zeroed before the items are stored.
        *handled = 1;
        Py_ssize_t left = Py_SIZE(v), right = Py_SIZE(w);
        if (left > PY_SSIZE_T_MAX - right) {
            return PyErr_NoMemory();
        }
        PyObject *result = pyj_list_to_fill(left + right);
        if (result == NULL) {
            return NULL;
        }
        PyObject **out = ((PyListObject *)result)->ob_item;
        for (Py_ssize_t i = 0; i < left; i++) {
            out[i] = Py_NewRef(((PyListObject *)v)->ob_item[i]);
        }
        for (Py_ssize_t i = 0; i < right; i++) {
            out[left + i] = Py_NewRef(((PyListObject *)w)->ob_item[i]);
        }
        return result;
    }
    if (!Py_IS_TYPE(w, type) || !(type->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
        return NULL;
    }
    PyObject *name, *inplace = NULL;
    switch (op) {
    case NB_ADD: name = &_Py_ID(__add__); break;
    case NB_SUBTRACT: name = &_Py_ID(__sub__); break;
    case NB_MULTIPLY: name = &_Py_ID(__mul__); break;
    case NB_TRUE_DIVIDE: name = &_Py_ID(__truediv__); break;
    case NB_INPLACE_ADD: name = &_Py_ID(__add__); inplace = &_Py_ID(__iadd__); break;
    case NB_INPLACE_SUBTRACT: name = &_Py_ID(__sub__); inplace = &_Py_ID(__isub__); break;
    case NB_INPLACE_MULTIPLY: name = &_Py_ID(__mul__); inplace = &_Py_ID(__imul__); break;
    case NB_INPLACE_TRUE_DIVIDE: name = &_Py_ID(__truediv__); inplace = &_Py_ID(__itruediv__); break;
    default: return NULL;
    }
    // An in-place operator of a class without the in-place method is the plain one
    // (binary_iop1 finds no nb_inplace_* slot and falls back to binary_op1).
    if (inplace != NULL && _PyType_Lookup(type, inplace) != NULL) {
        return NULL;
    }
    // + and * fall back to a sequence's concat or repeat after NotImplemented
    // (PyNumber_Add, PyNumber_Multiply): not for classes that inherit those.
    PySequenceMethods *sequence = type->tp_as_sequence;
    if (sequence != NULL && (sequence->sq_concat != NULL || sequence->sq_repeat != NULL ||
                             sequence->sq_inplace_concat != NULL || sequence->sq_inplace_repeat != NULL)) {
        return NULL;
    }
    PyObject *method = pyj_python_method(type, name);
    if (method == NULL) {
        return NULL;
    }
    *handled = 1;
    pyj_fill_method_site(site, type, method);
    PyObject *result = pyj_call_function2(_PyThreadState_GET(), method, v, w);
    if (result == Py_NotImplemented) {
        // The same type has no reflected method to try (binary_op1): binop_type_error.
        Py_DECREF(result);
        return pyj_same_class_operator_error(v, op);
    }
    return result;
}

PyObject *pyj_get_item(PyObject *container, PyObject *key, PyjCallSite *site) {
    PyTypeObject *type = Py_TYPE(container);
    // An instance of a Python class with a __getitem__ function: slot_mp_subscript
    // calls just that.
    PyObject *method = pyj_python_method(type, &_Py_ID(__getitem__));
    if (method != NULL && type->tp_as_mapping != NULL && type->tp_as_mapping->mp_subscript != NULL) {
        pyj_fill_method_site(site, type, method);
        return pyj_call_function2(_PyThreadState_GET(), method, container, key);
    }
    // A list subclass that keeps list's subscript, with a compact int in range.
    if (PyList_Check(container) && PyLong_CheckExact(key) && type->tp_as_mapping != NULL &&
        type->tp_as_mapping->mp_subscript == PyList_Type.tp_as_mapping->mp_subscript) {
        Py_ssize_t index;
        if (pyj_compact_int_value(key, &index)) {
            if (index < 0) {
                index += PyList_GET_SIZE(container);
            }
            if (index >= 0 && index < PyList_GET_SIZE(container)) {
                return Py_NewRef(PyList_GET_ITEM(container, index));
            }
        }
    }
    return PyObject_GetItem(container, key);
}

// Every other call shape (see pyj_call).
static PyObject *pyj_call_general(PyThreadState *tstate, PyObject **base, int oparg, PyObject *kwnames,
                                  PyjCallSite *site) {
    // (A bound method was unpacked by pyj_call, its only caller besides pyj_call_instance.)
    int is_method = base[0] != NULL;
    Py_ssize_t total = oparg + is_method;
    PyObject *function = base[is_method ? 0 : 1];
    PyObject **args = base + (is_method ? 1 : 2);
    PyObject *result;
    if (Py_IS_TYPE(function, &PyFunction_Type)) {
        PyFunctionObject *func = (PyFunctionObject *)function;
        PyjCodeEntry *record = pyj_direct_entry(tstate, func);
        PyObject *bound[PYJ_MAX_BOUND_PARAMETERS];
        int exact = 0;
        int parameters = record == NULL ? -1 : pyj_bind_arguments(func, args, total, kwnames, bound, &exact);
        if (parameters >= 0) {
            _PyInterpreterFrame *frame = pyj_push_bound_frame(tstate, func, bound, parameters, exact, args, total);
            record->runCount++;
            result = record->entry(tstate, frame);
            pyj_clear_and_pop_frame(tstate, frame);
            goto done;
        }
    } else if (!is_method && Py_IS_TYPE(function, &PyType_Type)) {
        if (pyj_call_class(tstate, base, total, kwnames, site, &result)) {
            goto done;
        }
    }
    {
        int handled = 0;
        result = pyj_call_builtin_fast(function, args, total, kwnames, &handled);
        if (!handled) {
            Py_ssize_t positional = total - (kwnames ? PyTuple_GET_SIZE(kwnames) : 0);
            result = PyObject_Vectorcall(function, args, positional | PY_VECTORCALL_ARGUMENTS_OFFSET, kwnames);
        }
    }
done:
    if (result == NULL) {
        return NULL;
    }
    for (int i = 0; i < oparg + 2; i++) {
        Py_XDECREF(base[i]);
    }
    return result;
}

// ---- LOAD_GLOBAL by the globals' keys ------------------------------------------
// The index of `name` (by identity) among a combined str-keyed dict's entries, or -1.
Py_ssize_t pyj_dict_unicode_index(PyObject *dict, PyObject *name) {
    PyDictObject *d = (PyDictObject *)dict;
    if (d->ma_values != NULL || d->ma_keys->dk_kind == DICT_KEYS_GENERAL) return -1;
    PyDictUnicodeEntry *entries = DK_UNICODE_ENTRIES(d->ma_keys);
    for (Py_ssize_t i = 0; i < d->ma_keys->dk_nentries; i++) {
        if (entries[i].me_key == name) return i;
    }
    return -1;
}

void *pyj_dict_keys(PyObject *dict) { return ((PyDictObject *)dict)->ma_keys; }

// LOAD_GLOBAL for a name a cache entry found in the globals (words 3 and 4: their
// keys object and the name's index): while the dict keeps that keys object and the
// entry at the index still holds the name, its value is the binding (as
// LOAD_GLOBAL_MODULE's keys-version guard). Borrowed, or NULL (not known this way).
PyObject *pyj_load_global_by_keys(PyObject *globals, const uint64_t *entry, PyObject *name) {
    PyDictObject *d = (PyDictObject *)globals;
    PyDictKeysObject *keys = d->ma_keys;
    if (entry[3] == 0 || (uint64_t)(uintptr_t)keys != entry[3] || d->ma_values != NULL) return NULL;
    Py_ssize_t ix = (Py_ssize_t)entry[4];
    if (ix < 0 || ix >= keys->dk_nentries || keys->dk_kind == DICT_KEYS_GENERAL) return NULL;
    PyDictUnicodeEntry *ep = DK_UNICODE_ENTRIES(keys) + ix;
    return ep->me_key == name ? ep->me_value : NULL;
}

PyObject *pyj_small_ints(void) { return (PyObject *)&_PyRuntime.global_objects.singletons.small_ints[0]; }
size_t pyj_long_object_size(void) { return sizeof(PyLongObject); }
const int *pyj_tracemalloc_tracing(void) { return &_Py_tracemalloc_config.tracing; }

PyObject *pyj_list_append_descriptor(void) {
    PyObject *append = PyDict_GetItemString(PyList_Type.tp_dict, "append");  // borrowed; the type keeps it
    return append != NULL && Py_IS_TYPE(append, &PyMethodDescr_Type) ? append : NULL;
}

// A builtin C function by name, held for good (NULL if it is not a C function).
static PyObject *pyj_builtin_named(const char *name) {
    PyObject *builtins = PyImport_ImportModule("builtins");
    if (builtins == NULL) {
        PyErr_Clear();
        return NULL;
    }
    PyObject *function = PyObject_GetAttrString(builtins, name);
    Py_DECREF(builtins);
    if (function == NULL || !PyCFunction_Check(function)) {
        Py_XDECREF(function);
        PyErr_Clear();
        return NULL;
    }
    return function;
}

void pyj_find_builtins(void) {
    if (pyj_builtin_min == NULL) {
        pyj_builtin_min = pyj_builtin_named("min");
    }
    if (pyj_builtin_max == NULL) {
        pyj_builtin_max = pyj_builtin_named("max");
    }
}

PyObject *pyj_builtin_len(void) {
    static PyObject *len = NULL;
    if (len == NULL) {
        PyObject *builtins = PyImport_ImportModule("builtins");
        if (builtins == NULL) {
            PyErr_Clear();
            return NULL;
        }
        len = PyObject_GetAttrString(builtins, "len");  // kept for good
        Py_DECREF(builtins);
        if (len == NULL || !PyCFunction_Check(len)) {
            Py_CLEAR(len);
            PyErr_Clear();
        }
    }
    return len;
}
