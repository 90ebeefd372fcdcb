import CPython

// Helpers for closures, `with`, star-calls and star-unpacking, imports and globals.
// The conventions of Helpers.swift apply: inputs consumed only on success, so the
// value stack an error leaves is the one the instruction started with (BEFORE_WITH
// documents its one difference, which mirrors the interpreter's).

/// Interned attribute names, created once.
private enum Names {
    nonisolated(unsafe) static let enter = PyUnicode_InternFromString("__enter__")!
    nonisolated(unsafe) static let exit = PyUnicode_InternFromString("__exit__")!
    nonisolated(unsafe) static let importFunction = PyUnicode_InternFromString("__import__")!
    nonisolated(unsafe) static let buildClass = PyUnicode_InternFromString("__build_class__")!
}

// MARK: - Closures

/// MAKE_CELL: status. Wraps the local's value (an argument, or NULL) in a new cell.
let makeCell: @convention(c) (StackPointer) -> Int32 = { local in
    guard let cell = PyCell_New(local[0]) else { return -1 }
    let old = local[0]
    local[0] = cell
    xdecref(old)
    return 0
}

/// COPY_FREE_VARS: copies the function's closure cells into the last `n` locals.
let copyFreeVars: @convention(c) (Obj, StackPointer, Int32) -> Void = { function, firstFree, n in
    let closure = PyFunction_GetClosure(function)!
    for i in 0..<Int(n) {
        let cell = pyj_tuple_get(closure, i)!
        incref(cell)
        firstFree[i] = cell
    }
}

// MARK: - with

/// BEFORE_WITH: status. `slot` holds the manager; on success `slot[0...1]` is
/// `[__exit__, __enter__()]`. If `__enter__()` itself fails, `slot[0]` already holds
/// `__exit__` (the manager released), exactly as the interpreter leaves it.
let beforeWith: @convention(c) (StackPointer) -> Int32 = { slot in
    let manager = slot[0]!
    guard let enter = pyj_lookup_special(manager, Names.enter) else {
        if PyErr_Occurred() == nil {
            raise(PyExc_TypeError, "'\(typeName(manager))' object does not support the context manager protocol")
        }
        return -1
    }
    guard let exit = pyj_lookup_special(manager, Names.exit) else {
        if PyErr_Occurred() == nil {
            raise(PyExc_TypeError,
                  "'\(typeName(manager))' object does not support the context manager protocol (missed __exit__ method)")
        }
        decref(enter)
        return -1
    }
    slot[0] = exit
    decref(manager)
    let result = PyObject_CallNoArgs(enter)
    decref(enter)
    guard let result else { return -1 }
    slot[1] = result
    return 0
}

// MARK: - Calls with * and **

private func functionDescription(_ function: Obj) -> String? {
    guard let text = _PyObject_FunctionStr(function) else { return nil }
    defer { decref(text) }
    return PyUnicode_AsUTF8(text).map { String(cString: $0) }
}

/// The interpreter's message for a failed `**` merge (format_kwargs_error).
private func explainKeywordMergeError(function: Obj, mapping: Obj) {
    if PyErr_ExceptionMatches(PyExc_AttributeError) != 0 {
        PyErr_Clear()
        guard let name = functionDescription(function) else { return }
        raise(PyExc_TypeError, "\(name) argument after ** must be a mapping, not \(typeName(mapping))")
    } else if PyErr_ExceptionMatches(PyExc_KeyError) != 0 {
        var type: UnsafeMutablePointer<PyObject>? = nil
        var value: UnsafeMutablePointer<PyObject>? = nil
        var traceback: UnsafeMutablePointer<PyObject>? = nil
        PyErr_Fetch(&type, &value, &traceback)
        if let value, pyj_tuple_check(value) != 0, pyj_tuple_size(value) == 1 {
            if let name = functionDescription(function),
               let key = PyObject_Str(pyj_tuple_get(value, 0)) {
                let keyText = PyUnicode_AsUTF8(key).map { String(cString: $0) } ?? "?"
                decref(key)
                raise(PyExc_TypeError, "\(name) got multiple values for keyword argument '\(keyText)'")
            }
            xdecref(type); xdecref(value); xdecref(traceback)
        } else {
            PyErr_Restore(type, value, traceback)
        }
    }
}

/// CALL_FUNCTION_EX: object. `base` points at `[NULL, func, args, kwargs?]`; on
/// success all are released. As the interpreter does: keywords that are not an exact
/// dict are merged into a new one, then arguments that are not an exact tuple are
/// turned into one (a list directly; anything iterable through PySequence_Tuple).
let callFunctionEx: @convention(c) (StackPointer, Int32) -> Obj? = { base, hasKeywords in
    let function = base[1]!
    let arguments = base[2]!
    var keywords = hasKeywords != 0 ? base[3] : nil
    var ownedKeywords: Obj? = nil
    defer { if let ownedKeywords { decref(ownedKeywords) } }
    if let mapping = keywords, pyj_dict_check_exact(mapping) == 0 {
        guard let merged = PyDict_New() else { return nil }
        ownedKeywords = merged
        if _PyDict_MergeEx(merged, mapping, 2) < 0 {
            explainKeywordMergeError(function: function, mapping: mapping)
            return nil
        }
        keywords = merged
    }
    let tuple: Obj
    if pyj_tuple_check_exact(arguments) != 0 {
        incref(arguments)
        tuple = arguments
    } else if pyj_list_check_exact(arguments) != 0 {
        guard let converted = PyList_AsTuple(arguments) else { return nil }
        tuple = converted
    } else {
        // check_args_iterable (ceval.c)
        if pyj_tp_iter_is_null(arguments) != 0 && PySequence_Check(arguments) == 0 {
            PyErr_Clear()
            guard let name = functionDescription(function) else { return nil }
            raise(PyExc_TypeError, "\(name) argument after * must be an iterable, not \(typeName(arguments))")
            return nil
        }
        guard let converted = PySequence_Tuple(arguments) else { return nil }
        tuple = converted
    }
    let result = PyObject_Call(function, tuple, keywords)
    decref(tuple)
    guard let result else { return nil }
    for slot in slots(base, hasKeywords != 0 ? 4 : 3) { xdecref(slot) }
    return result
}

/// DICT_MERGE: status. `function` is the callable being called, for messages.
let dictMerge: @convention(c) (Obj, Obj, Obj) -> Int32 = { dict, update, function in
    if _PyDict_MergeEx(dict, update, 2) < 0 {
        explainKeywordMergeError(function: function, mapping: update)
        return -1
    }
    return 0
}

// MARK: - Star-unpacking

/// UNPACK_EX: status. `slot` holds the iterable; on success it is released and
/// `slot[0 ..< before + 1 + after]` holds the values, the first one on top.
let unpackEx: @convention(c) (StackPointer, Int32, Int32) -> Int32 = { slot, beforeCount, afterCount in
    let before = Int(beforeCount)
    let after = Int(afterCount)
    let sequence = slot[0]!
    guard let iterator = PyObject_GetIter(sequence) else {
        let type = pyj_type(sequence)!
        if PyErr_ExceptionMatches(PyExc_TypeError) != 0, type.pointee.tp_iter == nil, PySequence_Check(sequence) == 0 {
            PyErr_Clear()
            raise(PyExc_TypeError, "cannot unpack non-iterable \(typeName(sequence)) object")
        }
        return -1
    }
    defer { decref(iterator) }
    var values: [Obj] = []
    func fail() -> Int32 { values.forEach(decref); return -1 }
    while values.count < before {
        guard let item = PyIter_Next(iterator) else {
            if PyErr_Occurred() == nil {
                raise(PyExc_ValueError,
                      "not enough values to unpack (expected at least \(before + after), got \(values.count))")
            }
            return fail()
        }
        values.append(item)
    }
    guard let rest = PySequence_List(iterator) else { return fail() }
    let restCount = pyj_list_size(rest)
    if restCount < after {
        decref(rest)
        raise(PyExc_ValueError,
              "not enough values to unpack (expected at least \(before + after), got \(before + restCount))")
        return fail()
    }
    // The last `after` items move out of the list, which keeps the rest.
    var tail: [Obj] = []
    for i in (restCount - after)..<restCount {
        let item = pyj_list_get(rest, i)!
        incref(item)
        tail.append(item)
    }
    if PyList_SetSlice(rest, restCount - after, restCount, nil) != 0 {
        tail.forEach(decref)
        decref(rest)
        return fail()
    }
    values.append(rest)
    values.append(contentsOf: tail)
    let total = values.count
    for (i, value) in values.enumerated() { slot[total - 1 - i] = value }
    decref(sequence)
    return 0
}

// MARK: - Imports and globals

/// IMPORT_NAME: object. Calls `builtins.__import__(name, globals, None, fromlist, level)`.
let importName: @convention(c) (Obj, Obj, Obj, Obj, Obj) -> Obj? = { builtins, globals, name, fromlist, level in
    guard let importFunction = _PyDict_GetItemWithError(builtins, Names.importFunction) else {
        if PyErr_Occurred() == nil { raise(PyExc_ImportError, "__import__ not found") }
        return nil
    }
    incref(importFunction)
    defer { decref(importFunction) }
    var arguments: [UnsafeMutablePointer<PyObject>?] = [name, globals, pyj_none_borrowed(), fromlist, level]
    return arguments.withUnsafeMutableBufferPointer {
        PyObject_Vectorcall(importFunction, $0.baseAddress, 5, nil)
    }
}

/// IMPORT_FROM: object or miss. An attribute of the module, or a miss (the
/// interpreter then tries sys.modules and builds its exact ImportError).
let importFrom: @convention(c) (Obj, Obj) -> Obj? = { module, name in
    var value: UnsafeMutablePointer<PyObject>? = nil
    if _PyObject_LookupAttr(module, name, &value) < 0 { return nil }
    return value
}

/// STORE_GLOBAL: status.
let storeGlobal: @convention(c) (Obj, Obj, Obj) -> Int32 = { globals, name, value in
    PyDict_SetItem(globals, name, value)
}

/// DELETE_GLOBAL: 0, -1 with an exception, or 1 when the name is missing (the
/// interpreter then raises its NameError).
let deleteGlobal: @convention(c) (Obj, Obj) -> Int32 = { globals, name in
    let present = PyDict_Contains(globals, name)
    if present < 0 { return -1 }
    if present == 0 { return 1 }
    return PyDict_DelItem(globals, name)
}

/// LOAD_BUILD_CLASS: object or miss.
let loadBuildClass: @convention(c) (Obj) -> Obj? = { builtins in
    guard pyj_dict_check_exact(builtins) != 0, let value = _PyDict_GetItemWithError(builtins, Names.buildClass) else {
        return nil
    }
    incref(value)
    return value
}

/// GET_LEN: object.
let getLength: @convention(c) (Obj) -> Obj? = { value in
    let length = PyObject_Length(value)
    if length < 0 { return nil }
    return PyLong_FromSsize_t(length)
}

// MARK: - Names (class bodies and other code run with a locals mapping)

private enum NamespaceNames {
    nonisolated(unsafe) static let annotations = PyUnicode_InternFromString("__annotations__")!
}

/// Raises NameError for `name` as format_exc_check_arg does, with its `name` attribute
/// set (the "Did you mean" suggestions read it).
private func raiseNameError(_ name: Obj) {
    let text = PyUnicode_AsUTF8(name).map { String(cString: $0) } ?? "?"
    guard let message = "name '\(text)' is not defined".withCString({ PyUnicode_FromString($0) }) else { return }
    defer { decref(message) }
    guard let error = PyObject_CallOneArg(PyExc_NameError, message) else { return }
    defer { decref(error) }
    if PyObject_SetAttrString(error, "name", name) != 0 { PyErr_Clear() }
    PyErr_SetObject(PyExc_NameError, error)
}

/// Looks `name` up in a locals mapping: new reference, or NULL with no exception when
/// absent (KeyError from a mapping swallowed), or NULL with an exception.
private func lookUpLocal(_ locals: Obj, _ name: Obj) -> Obj? {
    if pyj_dict_check_exact(locals) != 0 {
        guard let value = PyDict_GetItemWithError(locals, name) else { return nil }
        incref(value)
        return value
    }
    if let value = PyObject_GetItem(locals, name) { return value }
    if PyErr_ExceptionMatches(PyExc_KeyError) != 0 { PyErr_Clear() }
    return nil
}

/// LOAD_NAME: object. Locals, then globals, then builtins.
let loadName: @convention(c) (Obj, Obj, Obj, Obj) -> Obj? = { locals, globals, builtins, name in
    if let value = lookUpLocal(locals, name) { return value }
    if PyErr_Occurred() != nil { return nil }
    if let value = PyDict_GetItemWithError(globals, name) { incref(value); return value }
    if PyErr_Occurred() != nil { return nil }
    if pyj_dict_check_exact(builtins) != 0 {
        if let value = PyDict_GetItemWithError(builtins, name) { incref(value); return value }
        if PyErr_Occurred() == nil { raiseNameError(name) }
        return nil
    }
    if let value = PyObject_GetItem(builtins, name) { return value }
    if PyErr_ExceptionMatches(PyExc_KeyError) != 0 { raiseNameError(name) }
    return nil
}

/// STORE_NAME: status.
let storeName: @convention(c) (Obj, Obj, Obj) -> Int32 = { locals, name, value in
    pyj_dict_check_exact(locals) != 0 ? PyDict_SetItem(locals, name, value) : PyObject_SetItem(locals, name, value)
}

/// DELETE_NAME: status.
let deleteName: @convention(c) (Obj, Obj) -> Int32 = { locals, name in
    if PyObject_DelItem(locals, name) != 0 {
        raiseNameError(name)
        return -1
    }
    return 0
}

/// LOAD_CLASSDEREF: object or miss. The locals mapping, then the cell (a miss when
/// the cell is empty: the evaluator raises its message).
let loadClassDeref: @convention(c) (Obj, Obj, Obj) -> Obj? = { locals, name, cell in
    if let value = lookUpLocal(locals, name) { return value }
    if PyErr_Occurred() != nil { return nil }
    guard let value = PyCell_Get(cell) else { return nil }
    return value
}

/// SETUP_ANNOTATIONS: status. Makes sure the locals mapping has `__annotations__`.
let setupAnnotations: @convention(c) (Obj) -> Int32 = { locals in
    let key = NamespaceNames.annotations
    if let existing = lookUpLocal(locals, key) {
        decref(existing)
        return 0
    }
    if PyErr_Occurred() != nil { return -1 }
    guard let dict = PyDict_New() else { return -1 }
    defer { decref(dict) }
    return pyj_dict_check_exact(locals) != 0 ? PyDict_SetItem(locals, key, dict) : PyObject_SetItem(locals, key, dict)
}

/// PRINT_EXPR (interactive code): status. Calls sys.displayhook(value).
let printExpression: @convention(c) (Obj) -> Int32 = { value in
    guard let hook = PySys_GetObject("displayhook") else {
        raise(PyExc_RuntimeError, "lost sys.displayhook")
        return -1
    }
    guard let result = PyObject_CallOneArg(hook, value) else { return -1 }
    decref(result)
    return 0
}
