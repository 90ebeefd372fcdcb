import CPython

// Helpers called from machine code. Conventions, shared by all of them:
// - Arguments are borrowed unless the comment says "steals".
// - Inputs that do get consumed are consumed ONLY on success. On failure the helper
//   leaves the value stack exactly as the instruction found it, so the interpreter's
//   unwinding (which gets the frame on error) releases every value once.
// - "object": returns a new reference, or NULL with an exception set.
// - "status": returns 0, or -1 with an exception set.
// - "object or miss": returns a new reference; NULL with an exception set is an error,
//   NULL without one means "the fast path missed, let the interpreter redo the
//   instruction" (no side effect has happened).

public typealias StackPointer = UnsafeMutablePointer<Obj?>

// MARK: - Numbers and comparisons

/// BINARY_OP: object. `op` is the NB_* oparg (0...25); `site` (may be nil) the
/// instruction's cache for a Python method of the operands' class.
let binaryOp: @convention(c) (Obj, Obj, Int32, UnsafeMutablePointer<PyjCallSite>?) -> Obj? = { a, b, op, site in
    var handled: Int32 = 0
    let result = pyj_binary_op_same_class(a, b, op, site, &handled)
    if handled != 0 { return result }
    switch op {
    case 0: return PyNumber_Add(a, b)
    case 1: return PyNumber_And(a, b)
    case 2: return PyNumber_FloorDivide(a, b)
    case 3: return PyNumber_Lshift(a, b)
    case 4: return PyNumber_MatrixMultiply(a, b)
    case 5: return PyNumber_Multiply(a, b)
    case 6: return PyNumber_Remainder(a, b)
    case 7: return PyNumber_Or(a, b)
    case 8: return PyNumber_Power(a, b, pyj_none_borrowed())
    case 9: return PyNumber_Rshift(a, b)
    case 10: return PyNumber_Subtract(a, b)
    case 11: return PyNumber_TrueDivide(a, b)
    case 12: return PyNumber_Xor(a, b)
    case 13: return PyNumber_InPlaceAdd(a, b)
    case 14: return PyNumber_InPlaceAnd(a, b)
    case 15: return PyNumber_InPlaceFloorDivide(a, b)
    case 16: return PyNumber_InPlaceLshift(a, b)
    case 17: return PyNumber_InPlaceMatrixMultiply(a, b)
    case 18: return PyNumber_InPlaceMultiply(a, b)
    case 19: return PyNumber_InPlaceRemainder(a, b)
    case 20: return PyNumber_InPlaceOr(a, b)
    case 21: return PyNumber_InPlacePower(a, b, pyj_none_borrowed())
    case 22: return PyNumber_InPlaceRshift(a, b)
    case 23: return PyNumber_InPlaceSubtract(a, b)
    case 24: return PyNumber_InPlaceTrueDivide(a, b)
    case 25: return PyNumber_InPlaceXor(a, b)
    default:
        raise(PyExc_SystemError, "pyjion: bad BINARY_OP oparg \(op)")
        return nil
    }
}

/// UNARY_POSITIVE / NEGATIVE / INVERT: object. `kind` 0 positive, 1 negative, 2 invert.
let unaryOp: @convention(c) (Obj, Int32) -> Obj? = { v, kind in
    switch kind {
    case 0: return PyNumber_Positive(v)
    case 1: return PyNumber_Negative(v)
    default: return PyNumber_Invert(v)
    }
}

/// COMPARE_OP: object. `op` is Py_LT...Py_GE.
let compareOp: @convention(c) (Obj, Obj, Int32) -> Obj? = { a, b, op in
    PyObject_RichCompare(a, b, op)
}



/// Truth of a value for conditional jumps: 1, 0, or -1 with an exception set.
let isTrue: @convention(c) (Obj) -> Int32 = { v in PyObject_IsTrue(v) }

/// Raises UnboundLocalError for a local, with the interpreter's message.
let raiseUnboundLocal: @convention(c) (Obj) -> Void = { name in
    let text = PyUnicode_AsUTF8(name).map { String(cString: $0) } ?? "?"
    raise(PyExc_UnboundLocalError, "cannot access local variable '\(text)' where it is not associated with a value")
}

// MARK: - Iteration

/// GET_ITER: object.
let getIter: @convention(c) (Obj) -> Obj? = { v in PyObject_GetIter(v) }

/// FOR_ITER after tp_iternext returned NULL: 0 when the iterator is exhausted
/// (a StopIteration, if any, is cleared), -1 when a real exception is set.
let forIterEnded: @convention(c) () -> Int32 = {
    if PyErr_Occurred() != nil {
        if PyErr_ExceptionMatches(PyExc_StopIteration) == 0 { return -1 }
        PyErr_Clear()
    }
    return 0
}

// MARK: - Names and attributes

/// A LOAD_GLOBAL inline cache entry: valid while both dicts keep their PEP 509
/// version tags (unique across all dicts), so the borrowed value is still theirs.
public struct GlobalCacheEntry {
    public var globalsVersion: UInt64
    public var builtinsVersion: UInt64
    public var value: UnsafeMutableRawPointer?
    /// For a name found in the globals: their keys object and the name's index among
    /// its entries, which stay right while the keys object does, whatever values are
    /// stored (a module that updates a global changes its version tag on every store).
    public var globalsKeys: UnsafeMutableRawPointer?
    public var keysIndex: Int

    public init(globalsVersion: UInt64, builtinsVersion: UInt64, value: UnsafeMutableRawPointer?,
                globalsKeys: UnsafeMutableRawPointer? = nil, keysIndex: Int = -1) {
        self.globalsVersion = globalsVersion
        self.builtinsVersion = builtinsVersion
        self.value = value
        self.globalsKeys = globalsKeys
        self.keysIndex = keysIndex
    }

    public static let globalsVersionOffset: Int32 = 0
    public static let builtinsVersionOffset: Int32 = 8
    public static let valueOffset: Int32 = 16
    public static let globalsKeysOffset: Int32 = 24
    public static let keysIndexOffset: Int32 = 32
}

@inline(__always) private func dictVersion(_ dict: Obj) -> UInt64 {
    UnsafeRawPointer(dict).load(fromByteOffset: Int(offsets.dict_version), as: UInt64.self)
}

/// LOAD_GLOBAL's cache miss: object or miss, as loadGlobal, and refills `entry`.
let loadGlobalCached: @convention(c) (Obj, Obj, Obj, UnsafeMutableRawPointer) -> Obj? = { globals, builtins, name, rawEntry in
    let entry = rawEntry.assumingMemoryBound(to: GlobalCacheEntry.self)
    guard pyj_dict_check_exact(globals) != 0, pyj_dict_check_exact(builtins) != 0 else { return nil }
    if let value = pyj_load_global_by_keys(globals, rawEntry.assumingMemoryBound(to: UInt64.self), name) {
        incref(value)  // the globals' keys still hold the name where they did
        return value
    }
    var value = _PyDict_GetItemWithError(globals, name)
    var keys: UnsafeMutableRawPointer? = nil
    var index = -1
    if value == nil {
        if PyErr_Occurred() != nil { return nil }
        value = _PyDict_GetItemWithError(builtins, name)
    } else {
        index = pyj_dict_unicode_index(globals, name)
        if index >= 0 { keys = pyj_dict_keys(globals) }
    }
    guard let value else { return nil }
    entry.pointee = GlobalCacheEntry(
        globalsVersion: dictVersion(globals), builtinsVersion: dictVersion(builtins), value: UnsafeMutableRawPointer(value),
        globalsKeys: keys, keysIndex: index)
    incref(value)
    return value
}

/// An attribute inline-cache entry (see `pyj_attr_cache_fill_*` in the shim):
/// type version (UInt64.max: empty), value slot, cached method, shared-keys count.
public struct AttributeCacheEntry {
    public var typeVersion: UInt64 = .max
    public var index: UInt64 = 0
    public var object: UInt64 = 0
    public var keysEntries: UInt64 = 0
    public init() {}

    public static let typeVersionOffset: Int32 = 0
    public static let indexOffset: Int32 = 8
    public static let objectOffset: Int32 = 16
    public static let keysEntriesOffset: Int32 = 24
    /// Entries per site: a site that sees a few types (subclasses sharing code) keeps
    /// one entry for each, as a polymorphic inline cache.
    public static let ways = 4
    public static let stride: Int32 = 32

    /// Stores a freshly filled entry into a site's `ways` entries: over an entry of
    /// the same type version, else into the first empty one, else in front (the
    /// others move down one, the last is dropped).
    static func install(_ filled: AttributeCacheEntry, site: UnsafeMutableRawPointer) {
        let entries = site.assumingMemoryBound(to: AttributeCacheEntry.self)
        for way in 0..<ways where entries[way].typeVersion == filled.typeVersion || entries[way].typeVersion == .max {
            entries[way] = filled
            return
        }
        for way in Swift.stride(from: ways - 1, to: 0, by: -1) { entries[way] = entries[way - 1] }
        entries[0] = filled
    }

    /// Fills an entry with `fill` (a shim function that writes it only in part or not
    /// at all when it fails) and installs it in the site on success.
    static func fill(site: UnsafeMutableRawPointer, _ fill: (UnsafeMutablePointer<UInt64>) -> Int32) {
        var filled = AttributeCacheEntry()
        let ok = withUnsafeMutableBytes(of: &filled) { fill($0.baseAddress!.assumingMemoryBound(to: UInt64.self)) }
        if ok != 0 { install(filled, site: site) }
    }
}

/// LOAD_ATTR's cache miss: object; fills an entry for instance attributes.
let loadAttrCached: @convention(c) (Obj, Obj, UnsafeMutableRawPointer) -> Obj? = { owner, name, site in
    guard let result = PyObject_GetAttr(owner, name) else { return nil }
    AttributeCacheEntry.fill(site: site) { pyj_attr_cache_fill_load(owner, name, $0) }
    return result
}

/// STORE_ATTR's cache miss: status; fills an entry for instance attributes.
let storeAttrCached: @convention(c) (Obj, Obj, Obj, UnsafeMutableRawPointer) -> Int32 = { owner, name, value, site in
    let status = PyObject_SetAttr(owner, name, value)
    if status == 0 { AttributeCacheEntry.fill(site: site) { pyj_attr_cache_fill_store(owner, name, $0) } }
    return status
}

/// LOAD_METHOD's cache miss: status, as loadMethod; fills an entry for methods.
let loadMethodCached: @convention(c) (StackPointer, Obj, UnsafeMutableRawPointer) -> Int32 = { slot, name, site in
    let owner = slot[0]!
    var method: UnsafeMutablePointer<PyObject>? = nil
    let isUnbound = _PyObject_GetMethod(owner, name, &method)
    guard let method else { return -1 }
    if isUnbound != 0 {
        AttributeCacheEntry.fill(site: site) { pyj_method_cache_fill(owner, name, method, $0) }
        slot[0] = method
        slot[1] = owner
    } else {
        AttributeCacheEntry.fill(site: site) { pyj_plain_attr_cache_fill(owner, name, $0) }
        slot[0] = nil
        slot[1] = method
        decref(owner)
    }
    return 0
}

/// DELETE_ATTR: status.
let deleteAttr: @convention(c) (Obj, Obj) -> Int32 = { owner, name in PyObject_SetAttr(owner, name, nil) }

// MARK: - Calls

// MARK: - Subscripts and containers

/// BINARY_SUBSCR: object.
/// BINARY_SUBSCR: object. `site` (may be nil): the instruction's cache for a Python
/// __getitem__.
let binarySubscr: @convention(c) (Obj, Obj, UnsafeMutablePointer<PyjCallSite>?) -> Obj? = { container, sub, site in
    pyj_get_item(container, sub, site)
}

/// STORE_SUBSCR: status. Stack `[v, container, sub]`.
let storeSubscr: @convention(c) (Obj, Obj, Obj) -> Int32 = { container, sub, v in PyObject_SetItem(container, sub, v) }

/// DELETE_SUBSCR: status.
let deleteSubscr: @convention(c) (Obj, Obj) -> Int32 = { container, sub in PyObject_DelItem(container, sub) }

/// BUILD_SLICE: object. `step` may be NULL.
let buildSlice: @convention(c) (Obj, Obj, Obj?) -> Obj? = { start, stop, step in PySlice_New(start, stop, step) }

/// BUILD_TUPLE: object; steals the `n` items on success.
let buildTuple: @convention(c) (StackPointer, Int32) -> Obj? = { items, n in
    guard let t = PyTuple_New(Int(n)) else { return nil }
    for i in 0..<Int(n) { pyj_tuple_set(t, i, items[i]) }
    return t
}

/// BUILD_LIST: object; steals the `n` items on success.
let buildList: @convention(c) (StackPointer, Int32) -> Obj? = { items, n in
    guard let l = pyj_list_to_fill(Int(n)) else { return nil }
    for i in 0..<Int(n) { pyj_list_set(l, i, items[i]) }
    return l
}

/// BUILD_SET: object; releases the `n` items on success.
let buildSet: @convention(c) (StackPointer, Int32) -> Obj? = { items, n in
    guard let s = PySet_New(nil) else { return nil }
    for i in 0..<Int(n) where PySet_Add(s, items[i]) != 0 {
        decref(s)
        return nil
    }
    for item in slots(items, Int(n)) { xdecref(item) }
    return s
}

/// BUILD_MAP: object; `items` is `[k0, v0, k1, v1, ...]`, released on success.
let buildMap: @convention(c) (StackPointer, Int32) -> Obj? = { items, n in
    guard let d = _PyDict_NewPresized(Int(n)) else { return nil }
    for i in 0..<Int(n) where PyDict_SetItem(d, items[2 * i], items[2 * i + 1]) != 0 {
        decref(d)
        return nil
    }
    for item in slots(items, 2 * Int(n)) { xdecref(item) }
    return d
}

/// BUILD_CONST_KEY_MAP: object; `items` is `[v0, ..., v(n-1), keys]`, released on success.
let buildConstKeyMap: @convention(c) (StackPointer, Int32) -> Obj? = { items, n in
    let count = Int(n)
    let keys = items[count]!
    guard pyj_tuple_check_exact(keys) != 0, pyj_tuple_size(keys) == count else {
        raise(PyExc_SystemError, "bad BUILD_CONST_KEY_MAP keys argument")
        return nil
    }
    guard let d = _PyDict_NewPresized(count) else { return nil }
    for i in 0..<count where PyDict_SetItem(d, pyj_tuple_get(keys, i), items[i]) != 0 {
        decref(d)
        return nil
    }
    for item in slots(items, count + 1) { xdecref(item) }
    return d
}

/// Rewrites a TypeError from iterating a non-iterable, as the interpreter does for `*x`.
private func explainStarredTypeError(_ iterable: Obj, _ what: String) {
    let type = pyj_type(iterable)!
    if PyErr_ExceptionMatches(PyExc_TypeError) != 0, type.pointee.tp_iter == nil, PySequence_Check(iterable) == 0 {
        PyErr_Clear()
        raise(PyExc_TypeError, "\(what) must be an iterable, not \(typeName(iterable))")
    }
}

/// LIST_EXTEND: status.
let listExtend: @convention(c) (Obj, Obj) -> Int32 = { list, iterable in
    guard let none = list.withMemoryRebound(to: PyListObject.self, capacity: 1, { _PyList_Extend($0, iterable) }) else {
        explainStarredTypeError(iterable, "Value after *")
        return -1
    }
    decref(none)
    return 0
}

/// SET_UPDATE: status.
let setUpdate: @convention(c) (Obj, Obj) -> Int32 = { set, iterable in _PySet_Update(set, iterable) }

/// LIST_APPEND: status.
let listAppend: @convention(c) (Obj, Obj) -> Int32 = { list, v in PyList_Append(list, v) }

/// SET_ADD: status.
let setAdd: @convention(c) (Obj, Obj) -> Int32 = { set, v in PySet_Add(set, v) }

/// MAP_ADD: status.
let mapAdd: @convention(c) (Obj, Obj, Obj) -> Int32 = { dict, key, value in PyDict_SetItem(dict, key, value) }

/// LIST_TO_TUPLE: object.
let listToTuple: @convention(c) (Obj) -> Obj? = { list in PyList_AsTuple(list) }

/// DICT_UPDATE: status.
let dictUpdate: @convention(c) (Obj, Obj) -> Int32 = { dict, update in
    if PyDict_Update(dict, update) < 0 {
        if PyErr_ExceptionMatches(PyExc_AttributeError) != 0 {
            PyErr_Clear()
            raise(PyExc_TypeError, "'\(typeName(update))' object is not a mapping")
        }
        return -1
    }
    return 0
}

/// UNPACK_SEQUENCE: status. `slot` points at the sequence (TOS); on success the
/// sequence is released and `slot[0..<n]` holds the items, item 0 on top.
let unpackSequence: @convention(c) (StackPointer, Int32) -> Int32 = { slot, n in
    let count = Int(n)
    let seq = slot[0]!
    // Exact tuples and lists of the right length: no iteration protocol needed.
    if pyj_tuple_check_exact(seq) != 0, pyj_tuple_size(seq) == count {
        for i in 0..<count {
            let item = pyj_tuple_get(seq, i)!
            incref(item)
            slot[count - 1 - i] = item
        }
        decref(seq)
        return 0
    }
    if pyj_list_check_exact(seq) != 0, pyj_list_size(seq) == count {
        for i in 0..<count {
            let item = pyj_list_get(seq, i)!
            incref(item)
            slot[count - 1 - i] = item
        }
        decref(seq)
        return 0
    }
    guard let iterator = PyObject_GetIter(seq) else {
        let type = pyj_type(seq)!
        if PyErr_ExceptionMatches(PyExc_TypeError) != 0, type.pointee.tp_iter == nil, PySequence_Check(seq) == 0 {
            PyErr_Clear()
            raise(PyExc_TypeError, "cannot unpack non-iterable \(typeName(seq)) object")
        }
        return -1
    }
    defer { decref(iterator) }
    var items: [Obj] = []
    items.reserveCapacity(count)
    func fail() -> Int32 { items.forEach(decref); return -1 }
    while items.count < count {
        guard let item = PyIter_Next(iterator) else {
            if PyErr_Occurred() == nil {
                raise(PyExc_ValueError, "not enough values to unpack (expected \(count), got \(items.count))")
            }
            return fail()
        }
        items.append(item)
    }
    if let extra = PyIter_Next(iterator) {
        decref(extra)
        raise(PyExc_ValueError, "too many values to unpack (expected \(count))")
        return fail()
    }
    if PyErr_Occurred() != nil { return fail() }
    for (i, item) in items.enumerated() { slot[count - 1 - i] = item }
    decref(seq)
    return 0
}

// MARK: - Functions and strings

/// MAKE_FUNCTION without a closure: object. `base` points at the consumed slots in
/// stack order (`[defaults?, kwdefaults?, annotations?, code]`); released on success.
let makeFunction: @convention(c) (StackPointer, Int32, Obj) -> Obj? = { base, flags, globals in
    var index = 0
    func next() -> Obj { defer { index += 1 }; return base[index]! }
    let defaults = flags & 0x01 != 0 ? next() : nil
    let kwdefaults = flags & 0x02 != 0 ? next() : nil
    let annotations = flags & 0x04 != 0 ? next() : nil
    let closure = flags & 0x08 != 0 ? next() : nil
    let code = next()
    guard let function = pyj_function_new(code, globals) else { return nil }
    func failed() -> Obj? { decref(function); return nil }
    if let closure, PyFunction_SetClosure(function, closure) != 0 { return failed() }
    if let annotations {
        // 3.11 stores the (name, value, ...) tuple as is and makes the dict lazily;
        // PyFunction_SetAnnotations would insist on a dict.
        incref(annotations)
        UnsafeMutableRawPointer(function).storeBytes(
            of: annotations, toByteOffset: Int(offsets.function_annotations), as: Obj.self)
    }
    if let kwdefaults, PyFunction_SetKwDefaults(function, kwdefaults) != 0 { return failed() }
    if let defaults, PyFunction_SetDefaults(function, defaults) != 0 { return failed() }
    for slot in slots(base, index) { xdecref(slot) }
    return function
}

/// FORMAT_VALUE: object. `conversion` is oparg & 3; `spec` may be NULL.
let formatValue: @convention(c) (Obj, Obj?, Int32) -> Obj? = { value, spec, conversion in
    var converted: Obj
    switch conversion {
    case 1: guard let s = PyObject_Str(value) else { return nil }; converted = s
    case 2: guard let s = PyObject_Repr(value) else { return nil }; converted = s
    case 3: guard let s = PyObject_ASCII(value) else { return nil }; converted = s
    default: incref(value); converted = value
    }
    if pyj_unicode_check_exact(converted) != 0 && spec == nil { return converted }
    defer { decref(converted) }
    return PyObject_Format(converted, spec)
}

/// BUILD_STRING: object.
let buildString: @convention(c) (StackPointer, Int32) -> Obj? = { items, n in
    guard let empty = PyUnicode_FromStringAndSize(nil, 0) else { return nil }
    defer { decref(empty) }
    return items.withMemoryRebound(to: Optional<UnsafeMutablePointer<PyObject>>.self, capacity: Int(n)) {
        _PyUnicode_JoinArray(empty, $0, Int(n))
    }
}

// MARK: - Frame protocol

/// Hands a frame to CPython's evaluator at an instruction boundary. Unlinks the
/// compiled code's cframe (copying `use_tracing` back, as the interpreter does on exit),
/// gives back the recursion count the compiled code took, and continues at
/// `prev_instr + 1` with the stack the frame holds.
let leaveToInterpreter: @convention(c) (UnsafeMutableRawPointer, OpaquePointer, UnsafeMutableRawPointer, Int32) -> Obj? = { tstate, frame, cframe, reason in
    let previous = cframe.load(fromByteOffset: Int(offsets.cframe_previous), as: UnsafeMutableRawPointer.self)
    tstate.storeBytes(of: previous, toByteOffset: Int(offsets.tstate_cframe), as: UnsafeMutableRawPointer.self)
    let useTracing = cframe.load(fromByteOffset: Int(offsets.cframe_use_tracing), as: UInt8.self)
    previous.storeBytes(of: useTracing, toByteOffset: Int(offsets.cframe_use_tracing), as: UInt8.self)
    let remaining = tstate.load(fromByteOffset: Int(offsets.tstate_recursion_remaining), as: Int32.self)
    tstate.storeBytes(of: remaining + 1, toByteOffset: Int(offsets.tstate_recursion_remaining), as: Int32.self)
    let code = UnsafeMutableRawPointer(frame).load(fromByteOffset: Int(offsets.frame_code), as: UnsafeMutableRawPointer.self)
    ExitCounters.record(ExitReason(rawValue: reason) ?? .error, code: code)
    // Always at an instruction boundary with no exception pending: compiled code
    // unwinds exceptions itself (pyj_unwind) before it ever gets here.
    let ts = tstate.assumingMemoryBound(to: PyThreadState.self)
    return pyj_eval_default(ts, frame, 0)
}

/// The eval breaker (signals, pending calls, GIL drop requests, async exceptions): status.
let handleEvalBreaker: @convention(c) (UnsafeMutableRawPointer) -> Int32 = { tstate in
    pyj_handle_eval_breaker(tstate.assumingMemoryBound(to: PyThreadState.self))
}
