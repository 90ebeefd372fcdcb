// The C side of pyjion: the Python C API as Swift sees it, plus the few things
// Swift cannot express (macros, internal struct offsets, _Atomic fields).
// Internal headers (Py_BUILD_CORE) stay inside shim.c; Swift sees offsets and functions.
#ifndef PYJION_SHIM_H
#define PYJION_SHIM_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>
#include <stdint.h>

// ---- Macros as functions -------------------------------------------------
static inline void pyj_incref(PyObject *o) { Py_INCREF(o); }
static inline void pyj_decref(PyObject *o) { Py_DECREF(o); }
static inline void pyj_xincref(PyObject *o) { Py_XINCREF(o); }
static inline void pyj_xdecref(PyObject *o) { Py_XDECREF(o); }
static inline PyObject *pyj_none(void) { Py_RETURN_NONE; }          // new reference
static inline PyObject *pyj_none_borrowed(void) { return Py_None; }
static inline PyObject *pyj_not_implemented_borrowed(void) { return Py_NotImplemented; }
static inline PyObject *pyj_true_borrowed(void) { return Py_True; }
static inline PyObject *pyj_false_borrowed(void) { return Py_False; }
static inline PyObject *pyj_notimplemented_borrowed(void) { return Py_NotImplemented; }
static inline PyObject *pyj_bool(int v) { if (v) Py_RETURN_TRUE; Py_RETURN_FALSE; }
static inline PyTypeObject *pyj_type(PyObject *o) { return Py_TYPE(o); }
static inline Py_ssize_t pyj_refcnt(PyObject *o) { return Py_REFCNT(o); }
static inline int pyj_tuple_check(PyObject *o) { return PyTuple_Check(o); }
static inline int pyj_tuple_check_exact(PyObject *o) { return PyTuple_CheckExact(o); }
static inline int pyj_list_check_exact(PyObject *o) { return PyList_CheckExact(o); }
static inline int pyj_dict_check(PyObject *o) { return PyDict_Check(o); }
static inline int pyj_dict_check_exact(PyObject *o) { return PyDict_CheckExact(o); }
static inline int pyj_unicode_check_exact(PyObject *o) { return PyUnicode_CheckExact(o); }
static inline int pyj_long_check(PyObject *o) { return PyLong_Check(o); }
static inline int pyj_code_check(PyObject *o) { return PyCode_Check(o); }
static inline int pyj_function_check(PyObject *o) { return PyFunction_Check(o); }
static inline int pyj_function_check_exact(PyObject *o) { return Py_IS_TYPE(o, &PyFunction_Type); }
static inline PyTypeObject *pyj_function_type(void) { return &PyFunction_Type; }
static inline PyTypeObject *pyj_cfunction_type(void) { return &PyCFunction_Type; }
static inline PyTypeObject *pyj_method_descriptor_type(void) { return &PyMethodDescr_Type; }
static inline int pyj_method_check(PyObject *o) { return PyMethod_Check(o); }
static inline PyObject *pyj_method_function(PyObject *m) { return PyMethod_GET_FUNCTION(m); }
static inline PyObject *pyj_method_self(PyObject *m) { return PyMethod_GET_SELF(m); }
static inline PyObject *pyj_function_code(PyObject *f) { return PyFunction_GET_CODE(f); }
static inline PyObject *pyj_tuple_get(PyObject *t, Py_ssize_t i) { return PyTuple_GET_ITEM(t, i); }
static inline void pyj_tuple_set(PyObject *t, Py_ssize_t i, PyObject *v) { PyTuple_SET_ITEM(t, i, v); }
static inline Py_ssize_t pyj_tuple_size(PyObject *t) { return PyTuple_GET_SIZE(t); }
static inline void pyj_list_set(PyObject *l, Py_ssize_t i, PyObject *v) { PyList_SET_ITEM(l, i, v); }
static inline PyObject *pyj_list_get(PyObject *l, Py_ssize_t i) { return PyList_GET_ITEM(l, i); }
static inline Py_ssize_t pyj_list_size(PyObject *l) { return PyList_GET_SIZE(l); }
static inline iternextfunc pyj_tp_iternext(PyObject *o) { return Py_TYPE(o)->tp_iternext; }
static inline unsigned long pyj_tp_flags(PyObject *o) { return Py_TYPE(o)->tp_flags; }
static inline int pyj_tp_iter_is_null(PyObject *o) { return Py_TYPE(o)->tp_iter == NULL; }
static inline const char *pyj_tp_name(PyObject *o) { return Py_TYPE(o)->tp_name; }
static inline PyObject *pyj_code_get_code(PyCodeObject *co) { return PyCode_GetCode(co); }

// Type objects, for guards in machine code.
static inline PyTypeObject *pyj_long_type(void) { return &PyLong_Type; }
static inline PyTypeObject *pyj_float_type(void) { return &PyFloat_Type; }
static inline PyTypeObject *pyj_list_type(void) { return &PyList_Type; }
static inline PyTypeObject *pyj_tuple_type(void) { return &PyTuple_Type; }
static inline PyTypeObject *pyj_type_type(void) { return &PyType_Type; }
/// object's tp_richcompare, which types without rich comparisons of their own inherit:
/// == and != between two such objects are identity (object_richcompare, do_richcompare).
static inline void *pyj_object_richcompare(void) { return (void *)PyBaseObject_Type.tp_richcompare; }

// The small-int cache (-5 ... 256), for boxing ints in machine code: the object for
// v is at pyj_small_ints() + (v + 5) * pyj_long_object_size().
PyObject *pyj_small_ints(void);
// builtins.len, with a reference pyjion keeps (its address stays unique), or NULL.
struct PyjCallSiteTag;
// MAKE_FUNCTION's PyFunction_New(code, globals), with globals['__name__'] and the
// builtins looked up once per globals version: a new function, or NULL.
PyObject *pyj_function_new(PyObject *code, PyObject *globals);
// BINARY_OP (+ - * / and their in-place forms) on two instances of one Python class
// whose method for it is a Python function: that called directly (*handled = 1), with
// binary_op1's TypeError for NotImplemented; else *handled = 0 and nothing done.
// `site` (may be NULL) is the instruction's cache, filled for machine code's direct
// call of the method (see pyj_fill_method_site).
PyObject *pyj_binary_op_same_class(PyObject *v, PyObject *w, int op, struct PyjCallSiteTag *site, int *handled);
// binary_op1's TypeError for two operands of `v`'s type whose method for `op`
// returned NotImplemented: NULL.
PyObject *pyj_same_class_operator_error(PyObject *v, int op);
// BINARY_SUBSCR: PyObject_GetItem, with a Python __getitem__ called directly (and the
// site, which may be NULL, filled as for pyj_binary_op_same_class) and list
// subclasses' int subscripts inline.
PyObject *pyj_get_item(PyObject *container, PyObject *key, struct PyjCallSiteTag *site);
PyObject *pyj_builtin_len(void);
// Finds the builtins some call paths recognize (min, max); at module import.
void pyj_find_builtins(void);
// list.append's method descriptor (kept by the type), or NULL.
PyObject *pyj_list_append_descriptor(void);
static inline PyTypeObject *pyj_dict_type(void) { return &PyDict_Type; }
static inline PyTypeObject *pyj_set_type(void) { return &PySet_Type; }
static inline PyTypeObject *pyj_coroutine_type(void) { return &PyCoro_Type; }
static inline PyTypeObject *pyj_bound_method_type(void) { return &PyMethod_Type; }
static inline PyTypeObject *pyj_frozenset_type(void) { return &PyFrozenSet_Type; }
static inline PyTypeObject *pyj_unicode_type(void) { return &PyUnicode_Type; }
// &_Py_tracemalloc_config.tracing: while tracemalloc traces, objects are made by
// PyFloat_FromDouble itself (its _Py_NewReference tells tracemalloc).
const int *pyj_tracemalloc_tracing(void);
size_t pyj_long_object_size(void);

// PyModuleDef_HEAD_INIT is a macro with a compound literal.
PyModuleDef *pyj_new_module_def(const char *name, const char *doc, PyMethodDef *methods);

// ---- Interpreter internals (filled by shim.c from the real headers) --------
typedef struct {
    // _PyInterpreterFrame
    int32_t frame_func, frame_globals, frame_builtins, frame_locals, frame_code,
            frame_frame_obj, frame_previous, frame_prev_instr, frame_stacktop,
            frame_is_entry, frame_owner, frame_localsplus;
    // _PyCFrame
    int32_t cframe_use_tracing, cframe_current_frame, cframe_previous, cframe_size;
    // PyThreadState
    int32_t tstate_interp, tstate_recursion_remaining, tstate_cframe,
            tstate_c_profilefunc, tstate_c_tracefunc, tstate_curexc_type,
            tstate_datastack_top, tstate_datastack_limit;
    // PyInterpreterState
    int32_t interp_eval_breaker, interp_eval_frame;
    // the interpreter's float free list (PyFloat_FromDouble's first choice)
    int32_t interp_float_free_list, interp_float_numfree;
    // PyCodeObject
    int32_t code_extra, code_kwonlyargcount, code_warmup, code_consts, code_names, code_exceptiontable, code_qualname, code_flags, code_nlocalsplus, code_nlocals,
            code_stacksize, code_firsttraceable, code_adaptive, code_localsplusnames,
            code_localspluskinds, code_argcount, code_nfreevars;
    // objects
    int32_t object_refcnt, object_type, var_size, list_items, tuple_items,
            float_value, long_digits, type_flags, type_iternext, dict_version, cell_ref, function_annotations, function_code,
            type_version_tag, heaptype_cached_keys, keys_nentries, object_values, object_managed_dict,
            type_richcompare, type_vectorcall, type_base;
    // PyObject_IsTrue's slots: the type's number, mapping and sequence tables and
    // their nb_bool, mp_length and sq_length
    int32_t type_as_number, type_as_mapping, type_as_sequence, number_bool, mapping_length, sequence_length;
    // PyDictObject's keys; PyDictKeysObject's kind and index size, and its header size
    // (the index table, then the entries, follow it)
    int32_t dict_keys, dict_values, keys_kind, keys_log2_index_bytes, keys_header_size;
    // listiterobject (FOR_ITER over a list)
    int32_t listiter_index, listiter_seq;
    // PyModuleObject's dict; PyDictObject's item count
    int32_t module_dict, dict_used;
    // PySetObject's item count; PyMethodObject's function and self
    int32_t set_used, bound_method_function, bound_method_self;
    // PyFunctionObject's positional defaults (a tuple, or NULL)
    int32_t function_defaults;
    // a generator's or coroutine's frame state (int8_t; FRAME_CREATED is -2), code,
    // embedded frame and exception state (and its previous_item); the thread state's
    // exc_info; a code object's co_extra block (_PyCodeObjectExtra: size, then items)
    int32_t gen_frame_state, gen_code, gen_iframe, gen_exc_state, gen_exc_previous_item, tstate_exc_info,
            code_extra_size, code_extra_items;
    // PyListObject's allocated slots
    int32_t list_allocated;
    // rangeiterobject (FOR_ITER over a range)
    int32_t rangeiter_index, rangeiter_start, rangeiter_step, rangeiter_len;
    // PyFunctionObject's globals and builtins (a direct call's frame takes them)
    int32_t function_globals, function_builtins;
    // The GC link before an object (_gc_next: 0 while untracked), relative to the object
    int32_t gc_next_from_object;
    // PyDictKeysObject's log2 of its size; a str's cached hash
    int32_t keys_log2_size, unicode_hash;
    // The float free list's capacity (PyFloat_MAXFREELIST; 0 without one)
    int32_t float_max_free_list;
    // Builtin functions and method descriptors, called directly by CALL
    int32_t cfunction_method_def, cfunction_self, method_descriptor_type, method_descriptor_method_def,
            method_def_function, method_def_flags;
} PyjOffsets;

extern const PyjOffsets pyj_offsets;

// Names and caches of the 3.11 opcodes from the interpreter's own tables
// (NEED_OPCODE_TABLES), for cross-checking our generated table.
int pyj_opcode_deopt(int opcode);
int pyj_opcode_caches(int opcode);

// The eval breaker, as the static eval_frame_handle_pending does it: signals,
// pending calls, the GIL drop request, async exceptions. 0, or -1 with an exception set.
int pyj_handle_eval_breaker(PyThreadState *tstate);

// The exported default evaluator and the hook installer (cpython/ceval.h, cpython/pystate.h).
PyObject *pyj_eval_default(PyThreadState *tstate, struct _PyInterpreterFrame *frame, int throwflag);
void pyj_set_eval_frame(_PyFrameEvalFunction fn);
_PyFrameEvalFunction pyj_get_eval_frame(void);
_PyFrameEvalFunction pyj_default_eval_frame(void);
// pyjion's frame-evaluation function: compiled code that may run is entered here;
// anything else goes to `slow` (set before installing it).
PyObject *pyj_frame_eval_hook(PyThreadState *tstate, struct _PyInterpreterFrame *frame, int throwflag);
void pyj_set_hook_slow_path(_PyFrameEvalFunction slow);

// A frame that is complete (past its first RESUME) has a frame object; new reference or NULL.
int pyj_frame_is_incomplete(struct _PyInterpreterFrame *frame);
int pyj_frame_lasti(struct _PyInterpreterFrame *frame);

// Exported by libpython but declared only in internal headers.
PyAPI_FUNC(int) _Py_CheckRecursiveCall(PyThreadState *tstate, const char *where);

// _PyObject_LookupSpecial(o, name): exported, declared only in internal headers.
PyObject *pyj_lookup_special(PyObject *o, PyObject *name);

// Direct calls (pyj_call) push a thread-owned frame for a compiled callee on the data
// stack; this clears it and pops it afterwards, as _PyEvalFrameClearAndPop does.
void pyj_clear_and_pop_frame(PyThreadState *tstate, struct _PyInterpreterFrame *frame);

// Attribute inline caches: fill a 4-word entry when the interpreter's own instance
// specializations would apply (see shim.c); 1 if filled.
int pyj_attr_cache_fill_load(PyObject *owner, PyObject *name, uint64_t *entry);
int pyj_attr_cache_fill_store(PyObject *owner, PyObject *name, uint64_t *entry);
int pyj_method_cache_fill(PyObject *owner, PyObject *name, PyObject *method, uint64_t *entry);
// Kind 3: an attribute of a class itself (`Direction.NONE`, `Strength.stronger`). The
// entry's version is the class's own tp_version_tag with PYJ_CLASS_ATTRIBUTE_TAG set,
// so it never matches an instance's type; entry[1] says how to get the value from
// entry[2] (0: itself, 1: a staticmethod's callable, 2: for LOAD_METHOD only, a
// classmethod's callable, called with the class as its first argument).
#define PYJ_CLASS_ATTRIBUTE_TAG (1ULL << 32)
int pyj_class_attr_cache_fill(PyObject *owner, PyObject *name, int for_method, uint64_t *entry);
// 1 if class `cls` (metatype exactly `type`) has a classmethod `name` through its MRO.
int pyj_is_classmethod_of(PyObject *cls, PyObject *name);
// Kind 4: an attribute of a module (`math.sqrt`, `random.random()`), as 3.11's
// LOAD_ATTR_MODULE / LOAD_METHOD_MODULE: entry[0] is the module dict's keys object
// with PYJ_MODULE_ATTRIBUTE_TAG set, entry[1] the name's index among its entries.
#define PYJ_MODULE_ATTRIBUTE_TAG (1ULL << 63)
int pyj_module_attr_cache_fill(PyObject *owner, PyObject *name, uint64_t *entry);
// Kind 3 or 4, for LOAD_METHOD's non-method results (classmethods of a class included).
int pyj_plain_attr_cache_fill(PyObject *owner, PyObject *name, uint64_t *entry);
static inline PyTypeObject *pyj_module_type(void) { return &PyModule_Type; }
// Offset of a staticmethod's or classmethod's callable (their layouts are private to
// funcobject.c, and the same).
int32_t pyj_staticmethod_callable_offset(void);
// Kind-2 entries (instances with a real __dict__) are read and stored by machine
// code; LOAD_METHOD asks whether the dict shadows the method: 1 if not, 0 if it does.
int pyj_method_dict_check(PyObject *owner, PyObject *name);
// LOAD_GLOBAL by the globals' keys object (see shim.c).
Py_ssize_t pyj_dict_unicode_index(PyObject *dict, PyObject *name);
void *pyj_dict_keys(PyObject *dict);
PyObject *pyj_load_global_by_keys(PyObject *globals, const uint64_t *entry, PyObject *name);

// Exceptions, as the evaluator handles them (see shim.c). The unwinders return the
// handler's code-unit index with the stack set up for it, or -1 when the exception
// leaves the frame (its stack released).
int pyj_unwind(PyThreadState *tstate, struct _PyInterpreterFrame *frame, int add_traceback);
int pyj_unwind_at(PyThreadState *tstate, struct _PyInterpreterFrame *frame, int add_traceback, int index);
int pyj_raise_varargs(PyThreadState *tstate, struct _PyInterpreterFrame *frame, int depth, int oparg);
int pyj_reraise(PyThreadState *tstate, struct _PyInterpreterFrame *frame, int depth, int oparg);
int pyj_check_exc_match(PyObject *left, PyObject *right);
void pyj_push_exc_info(PyThreadState *tstate, PyObject **top);
void pyj_pop_except(PyThreadState *tstate, PyObject *saved);
PyObject *pyj_with_except_start(PyObject *exit_func, PyObject *val);

// Pattern matching (ports of ceval.c's static match_keys and match_class).
// MATCH_KEYS: the values tuple, None if a key is missing, NULL on error.
PyObject *pyj_match_keys(PyThreadState *tstate, PyObject *subject, PyObject *keys);
// MATCH_CLASS: the attributes tuple, None on no match, NULL on error; takes no references.
PyObject *pyj_match_class(PyThreadState *tstate, PyObject *subject, PyObject *type,
                          Py_ssize_t nargs, PyObject *names);

// except* (ports of ceval.c's exception_group_match and exceptions.c's
// _PyExc_PrepReraiseStar, neither exported).
// CHECK_EG_MATCH on top[0] = exception, top[1] = type: 0 with the two slots
// updated, or -1 with only top[0] left on the stack.
int pyj_check_eg_match(PyThreadState *tstate, PyObject **top);
// PREP_RERAISE_STAR: the exception to re-raise or None (new reference), NULL on error;
// takes no references.
PyObject *pyj_prep_reraise_star(PyObject *orig, PyObject *excs);

// A compiled function a call site calls directly: its code object (a strong
// reference), or NULL for an empty way; its record (lives as long as the code object);
// its frame's size on the data stack, in bytes; how many of its last positional
// parameters the site leaves to their defaults (the function's __defaults__, checked
// at each call: a function of this code may have other defaults, or none).
typedef struct {
    PyObject *code;
    struct PyjCodeEntryTag *record;
    int64_t frameBytes;
    int64_t defaulted;
} PyjCallTarget;

// The compiled functions one site calls with exactly their positional parameters
// (a polymorphic site, `c.execute()` over several classes, keeps one way each).
#define PYJ_CALL_SITE_WAYS 4

// A CALL site's direct-call cache, which machine code reads: the compiled callees
// the site calls with exactly their positional parameters (filled by pyj_call at the
// first such call of each, then kept). `methodShape` is set at compile time: 1 when
// the site's slots are expected to hold [function, self, arguments...] (after
// LOAD_METHOD), 0 for [NULL, function, arguments...]; only a call of that shape
// fills a way.
typedef struct PyjCallSiteTag {
    PyjCallTarget targets[PYJ_CALL_SITE_WAYS];  // filled in order by pyj_call
    int64_t methodShape;
    // A class the site instantiates (object.__new__, then a compiled __init__ taking
    // exactly the arguments): its tp_version_tag (UINT64_MAX: none; no 32-bit tag
    // equals it), its __init__ (borrowed: the class holds it while the tag stands),
    // and __init__ as a target.
    uint64_t classVersion;
    PyObject *initFunction;
    PyjCallTarget init;
} PyjCallSite;

// After a builtin called directly returned `result` (NULL without an exception, or
// non-NULL with one set): _Py_CheckFunctionResult's SystemError, as the generic call
// path raises it. `base` is the CALL's first slot (the callable is base[0] or base[1]).
PyObject *pyj_check_call_result(PyThreadState *tstate, PyObject **base, PyObject *result);

// The builtins module's dict (borrowed: the interpreter keeps it), or NULL.
PyObject *pyj_builtins_dict(void);

// The call site's class, allocated as type_call does (tp_new with no arguments):
// a new reference, or NULL with an exception.
PyObject *pyj_new_instance(PyTypeObject *type);
// type_call's steps after tp_new, for a call whose class changed while `self` was
// allocated: tp_init with the call's `argc` arguments at `args` (borrowed). Returns
// `self`, or NULL (self released) with an exception.
PyObject *pyj_construct_rest(PyTypeObject *type, PyObject *self, PyObject *const *args, Py_ssize_t argc);
// __init__ returned `result` (a new reference, not None): releases it and raises
// the interpreter's TypeError.
void pyj_init_returned_not_none(PyObject *result);

// PRECALL + CALL (see shim.c): the result, or NULL with the slots left to the unwinder.
// `site` (or NULL) is the call site's cache, filled on a direct call of its shape.
PyObject *pyj_call(PyThreadState *tstate, PyObject **base, int oparg, PyObject *kwnames, PyjCallSite *site);

// UNPACK_SEQUENCE of an exact tuple or list fused with the STORE_FASTs after it:
// machine code stores items 0..k into their locals and finds the old value of local
// k dying (its count reached 0, not yet deallocated). From here on the evaluator's
// order: items k+1.. taken (new references, as the evaluator's stack holds them),
// the sequence released, the old value deallocated, then the remaining stores, each
// with prev_instr at its STORE_FAST. `table` is [n, target_0, unit_0, target_1, ...].
#define PYJ_MAX_FUSED_UNPACK 32
// _Py_Dealloc, except that a finished exact generator or coroutine without weak
// references is freed without calling its (no-op) finalizer (see shim.c). Machine
// code calls it for generators and coroutines.
void pyj_dealloc(PyObject *o);
void pyj_unpack_store_tail(struct _PyInterpreterFrame *frame, PyObject *sequence, PyObject *dying, int k,
                           const int32_t *table);

// PEP 509 versions for dicts machine code modifies in place (STORE_ATTR into an
// instance dict): CPython's own counter (_pydict_global_version) is not exported, so
// these come from a range its counter never reaches (from 2**63 up). Tags are only
// compared for equality, so the two sequences together stay unique.
extern uint64_t pyj_dict_version_counter;
static inline uint64_t *pyj_dict_version_counter_address(void) { return &pyj_dict_version_counter; }

// BUILD_SLICE fused with the BINARY_SUBSCR or STORE_SUBSCR after it: `step` is NULL
// for a two-part slice; all borrowed. An exact list or tuple with None or exact-int
// parts is sliced without making the slice object (PySlice_Unpack's and
// PySlice_AdjustIndices' steps, then list_subscript's or list_ass_subscript's);
// anything else makes the slice and subscripts as the evaluator does.
PyObject *pyj_subscript_slice(PyObject *container, PyObject *start, PyObject *stop, PyObject *step);
int pyj_store_subscript_slice(PyObject *container, PyObject *start, PyObject *stop, PyObject *step, PyObject *value);

// The offset of this thread's C-stack floor (see pyj_c_stack_ok) from the thread
// pointer: machine code compares rsp with fs:[offset] (initial-exec TLS, the same
// offset in every thread).
int64_t pyj_stack_floor_tls_offset(void);

// Calls a METH_FASTCALL builtin or method descriptor directly, as the specialized
// interpreter does (no recursion check); *handled = 0 for other callables.
PyObject *pyj_call_builtin_fast(PyObject *callable, PyObject *const *args, Py_ssize_t nargs,
                                PyObject *kwnames, int *handled);

// 1 while the C stack has room for another Python frame, 0 when it is nearly full.
// The bound is per thread (initial-exec TLS: one load, no __tls_get_addr call),
// computed at a thread's first check.
extern __thread uintptr_t pyj_stack_floor __attribute__((tls_model("initial-exec")));
int pyj_c_stack_init_and_check(void);
static inline int pyj_c_stack_ok(void) {
    uintptr_t floor = pyj_stack_floor;
    if (__builtin_expect(floor != 0, 1)) {
        return (uintptr_t)__builtin_frame_address(0) > floor;
    }
    return pyj_c_stack_init_and_check();
}

// Reads the current thread state without a function call into libpython.
static inline PyThreadState *pyj_tstate(void) { return PyThreadState_Get(); }

// ---- What machine code and the hook read on every call ---------------------
// Machine code's entry point: PyObject *entry(PyThreadState *, _PyInterpreterFrame *).
typedef PyObject *(*PyjNativeEntry)(PyThreadState *, struct _PyInterpreterFrame *);

// The part of a code object's JIT state read on every call, by the hook, direct calls
// and generator resumption: plain memory in the code object's co_extra slot.
typedef struct PyjCodeEntryTag {
    PyjNativeEntry entry;   // the machine code, or NULL
    Py_ssize_t runCount;    // calls seen (through the hook or directly)
    _Bool forced;           // marked with @pyjion.jit: runs compiled in opt-in mode too
    void *owner;            // the module's own state (retained; released when the code dies)
    void *code;             // the code object (borrowed: the record dies with it)
    // The machine code's entry for a direct call from machine code, or NULL: the
    // caller has reserved the frame at datastack_top and set f_func (a reference),
    // f_globals, f_builtins and the arguments; the callee sets up the rest, runs, and
    // pops the frame (clears it, datastack_top back to it) before it returns.
    PyjNativeEntry directEntry;
} PyjCodeEntry;

// Interpreter-wide switches, set by the module: what may run compiled
// (0 nothing, 1 @jit functions only, 2 everything compiled), pyjion's hook (direct
// entries happen only while it is the installed one), and the co_extra index.
extern uint8_t pyj_jit_mode;
extern void *pyj_jit_hook;
extern Py_ssize_t pyj_extra_index;
// What machine code compares the interpreter's eval_frame with before a direct call:
// pyjion's hook while everything compiled may run (mode 2), else a value no
// eval_frame holds. Kept by pyj_update_direct_calls when the mode or hook changes.
extern void *pyj_direct_eval_frame;
void pyj_update_direct_calls(void);
static inline void **pyj_direct_eval_frame_address(void) { return &pyj_direct_eval_frame; }

// _PyCodeObjectExtra, as Objects/codeobject.c defines it (in no header).
typedef struct {
    Py_ssize_t ce_size;
    void *ce_extras[1];
} PyjCodeExtra;

static inline PyjCodeEntry *pyj_code_entry(PyObject *code) {
    Py_ssize_t index = pyj_extra_index;
    PyjCodeExtra *extra = (PyjCodeExtra *)((PyCodeObject *)code)->co_extra;
    if (index < 0 || extra == NULL || index >= extra->ce_size) {
        return NULL;
    }
    return (PyjCodeEntry *)extra->ce_extras[index];
}

static inline int pyj_may_run(PyjCodeEntry *entry) {
    return pyj_jit_mode == 2 || (pyj_jit_mode == 1 && entry->forced);
}

// Generators, coroutines and async generators (see shim.c): ports of what the
// evaluator does for RETURN_GENERATOR, SEND, GET_AWAITABLE, GET_AITER, GET_ANEXT,
// GET_YIELD_FROM_ITER, BEFORE_ASYNC_WITH, END_ASYNC_FOR and ASYNC_GEN_WRAP.
// gi_frame_state's offset from the generator's embedded frame.
extern const int32_t pyj_gen_frame_state_from_frame;
PyObject *pyj_return_generator(PyThreadState *tstate, struct _PyInterpreterFrame *frame);
// SEND and FOR_ITER over an exact generator: a compiled generator or coroutine is
// resumed directly (gen_send_ex2's steps, then its machine code), without the hook.
int pyj_send(PyThreadState *tstate, PyObject **top);
PyObject *pyj_gen_iternext(PyThreadState *tstate, PyObject *gen);
// One-digit ints that died in machine code, kept for its next int results (shim.c).
typedef struct {
    PyObject *first;  // linked through ob_type
    int64_t count;
} PyjIntFreeList;
PyjIntFreeList *pyj_int_free_list_address(void);
#define PYJ_INT_FREE_MAX 128
// CONTAINS_OP: PySequence_Contains, exact lists and tuples searched for a one-digit
// int by value (shim.c).
int pyj_sequence_contains(PyObject *container, PyObject *value);
// A new list of `length` items whose item array is not zeroed: the caller stores every
// item before anything can run or look at the list (BUILD_LIST, slices, list + list).
PyObject *pyj_list_to_fill(Py_ssize_t length);
// Returns the generators, coroutines and ints kept for reuse to the allocator (pyjion.disable()).
void pyj_free_lists_clear(void);
// SEND's end in C after machine code resumed a compiled generator or coroutine
// (top[-2]) that did not yield: `result` is what its frame returned (NULL: it raised).
// As pyj_send: 1 = returned (the receiver's slot holds the result), -1 = error. The
// sent value has moved into the frame; its slot is NULL already.
int pyj_send_finish(PyThreadState *tstate, PyObject **top, PyObject *result);
// FOR_ITER's end in C after machine code resumed a compiled generator that did not
// yield: `result` is what its frame returned (NULL: it raised). NULL, with the
// exception set when it raised (gen_iternext's StopIteration for a return value is
// not made: the loop ends either way).
PyObject *pyj_gen_next_finish(PyThreadState *tstate, PyObject *gen, PyObject *result);
static inline PyTypeObject *pyj_gen_type(void) { return &PyGen_Type; }
static inline PyTypeObject *pyj_coro_type(void) { return &PyCoro_Type; }
static inline PyTypeObject *pyj_list_iter_type(void) { return &PyListIter_Type; }
// PyRangeIter_Type, or NULL if its layout is not the one pyjion reads inline.
PyTypeObject *pyj_range_iter_type(void);
int pyj_get_awaitable(PyThreadState *tstate, PyObject **slot, int oparg);
int pyj_get_aiter(PyThreadState *tstate, PyObject **slot);
PyObject *pyj_get_anext(PyThreadState *tstate, PyObject *aiter);
int pyj_get_yield_from_iter(PyThreadState *tstate, PyObject **slot, int code_flags);
int pyj_before_async_with(PyThreadState *tstate, PyObject **slot);
int pyj_end_async_for(PyThreadState *tstate, struct _PyInterpreterFrame *frame, int depth);
PyObject *pyj_async_gen_wrap(PyObject *val);

#endif
