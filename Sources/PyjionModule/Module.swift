import CPython
import Compiler
import Runtime
import X64
import Bytecode

// MARK: - Small conversions between Swift values and Python objects (new references)

private func pyString(_ s: String) -> Obj? { s.withCString { PyUnicode_FromString($0) } }
private func pyInt(_ v: Int) -> Obj? { PyLong_FromSsize_t(v) }
private func pyBool(_ v: Bool) -> Obj? { pyj_bool(v ? 1 : 0) }
private func pyNone() -> Obj? { pyj_none() }

/// Builds a dict from (key, new reference) pairs; NULL (with the error) if any value is NULL.
private func pyDict(_ items: [(String, Obj?)]) -> Obj? {
    guard let dict = PyDict_New() else { items.forEach { if let v = $0.1 { pyj_decref(v) } }; return nil }
    var failed = false
    for (key, value) in items {
        guard !failed, let value else { failed = true; if let v = value { pyj_decref(v) }; continue }
        let status = key.withCString { PyDict_SetItemString(dict, $0, value) }
        pyj_decref(value)
        if status != 0 { failed = true }
    }
    if failed { pyj_decref(dict); return nil }
    return dict
}

private func pyCountDict(_ counts: [(String, Int)]) -> Obj? { pyDict(counts.map { ($0.0, pyInt($0.1)) }) }

private func requireCode(_ object: Obj?) -> UnsafeMutableRawPointer? {
    guard let object, pyj_code_check(object) != 0 else {
        PyErr_SetString(PyExc_TypeError, "expected a code object")
        return nil
    }
    return UnsafeMutableRawPointer(object)
}

// MARK: - Module functions

private typealias Method = @convention(c) (Obj?, Obj?) -> Obj?

private let enable: Method = { _, _ in
    let jit = JIT.shared
    guard jit.ensureExtraIndex() else { return nil }
    jit.globalMode = true
    jit.installHook()
    return pyNone()
}

private let disable: Method = { _, _ in
    let jit = JIT.shared
    jit.globalMode = false
    if jit.hookInstalled { jit.removeHook() }
    pyj_free_lists_clear()
    return pyNone()
}

private let isEnabled: Method = { _, _ in pyBool(JIT.shared.globalMode && JIT.shared.hookInstalled) }

private let getConfig: Method = { _, _ in
    let jit = JIT.shared
    let cap = jit.arena.maxBytes.map { pyInt($0) } ?? pyNone()
    return pyDict([("threshold", pyInt(jit.threshold)), ("max_code_bytes", cap), ("hook_only", pyBool(jit.hookOnly)),
                   ("perf_map", pyBool(jit.perfMap != nil))])
}

/// set_config(settings: dict) with every key of get_config(); the Python side validates.
private let setConfig: Method = { _, settings in
    guard let settings, pyj_dict_check(settings) != 0,
          let thresholdObject = PyDict_GetItemString(settings, "threshold"),
          let capObject = PyDict_GetItemString(settings, "max_code_bytes"),
          let hookOnlyObject = PyDict_GetItemString(settings, "hook_only"),
          let perfMapObject = PyDict_GetItemString(settings, "perf_map") else {
        PyErr_SetString(PyExc_TypeError, "set_config(settings) needs threshold, max_code_bytes, hook_only and perf_map")
        return nil
    }
    let threshold = PyLong_AsSsize_t(thresholdObject)
    if threshold == -1 && PyErr_Occurred() != nil { return nil }
    var cap: Int? = nil
    if capObject != pyj_none_borrowed() {
        let value = PyLong_AsSsize_t(capObject)
        if value == -1 && PyErr_Occurred() != nil { return nil }
        cap = value
    }
    let hookOnly = PyObject_IsTrue(hookOnlyObject)
    if hookOnly < 0 { return nil }
    let perfMap = PyObject_IsTrue(perfMapObject)
    if perfMap < 0 { return nil }
    guard threshold >= 0, (cap ?? 1) > 0 else {
        PyErr_SetString(PyExc_ValueError, "threshold must be >= 0 and max_code_bytes > 0")
        return nil
    }
    JIT.shared.threshold = threshold
    JIT.shared.arena.maxBytes = cap
    JIT.shared.hookOnly = hookOnly != 0
    if perfMap == 0 {
        JIT.shared.perfMap = nil
    } else if JIT.shared.perfMap == nil {
        JIT.shared.perfMap = PerfMap()
    }
    JIT.shared.updateMode()
    return pyNone()
}

private let markJit: Method = { _, object in
    guard let code = requireCode(object) else { return nil }
    let jit = JIT.shared
    guard let state = jit.stateCreating(for: code) else {
        if PyErr_Occurred() == nil { PyErr_SetString(PyExc_RuntimeError, "pyjion: no co_extra slot") }
        return nil
    }
    state.forced = true
    // Another tool may have replaced the hook (and set_eval_frame_default removes all).
    if !jit.hookIsActive { jit.installHook() }
    return pyNone()
}

private let info: Method = { _, object in
    guard let code = requireCode(object) else { return nil }
    let state = JIT.shared.state(of: code)
    return pyDict([
        ("compiled", pyBool(state?.entry != nil)),
        ("failed", pyBool(state?.failed ?? false)),
        ("reason", state?.reason.map(pyString) ?? pyNone()),
        ("run_count", pyInt(state?.runCount ?? 0)),
        ("compile_count", pyInt(state?.compileCount ?? 0)),
        ("code_size", pyInt(state?.block?.size ?? 0)),
        ("compile_time_ns", pyInt(state?.compileTimeNs ?? 0)),
        ("exits", pyCountDict((state?.exits ?? [:]).map { ($0.key.name, $0.value) }.sorted { $0.0 < $1.0 })),
        ("call_sites", pyInt(state?.data?.callCount ?? 0)),
        ("direct_call_sites", pyInt(state?.data?.directCallCount ?? 0)),
        ("operator_sites", pyInt(state?.data?.operatorSiteEntries ?? 0)),
        ("direct_operator_sites", pyInt(state?.data?.directOperatorSiteCount ?? 0)),
        ("direct_entry", pyString((state?.entry != nil ? state?.directEntryKind : nil)?.rawValue ?? "none")),
        ("leaf_start_overs", pyInt(Int(state?.data?.leafStartOvers.pointee ?? 0))),
        ("leaf_off", pyBool((state?.data?.leafOff.pointee ?? 0) != 0)),
    ])
}

private let stats: Method = { _, _ in
    let jit = JIT.shared
    let s = jit.stats
    let exits = ExitReason.allCases.map { ($0.name, ExitCounters.counts[Int($0.rawValue)]) }
    return pyDict([
        ("compiled", pyInt(s.compiled)),
        ("declined", pyInt(s.declined)),
        ("functions_seen", pyInt(s.functionsSeen)),
        ("functions_compiled", pyInt(s.functionsCompiled)),
        ("generators_seen", pyInt(s.generatorsSeen)),
        ("generators_compiled", pyInt(s.generatorsCompiled)),
        ("decline_reasons", pyCountDict(s.declineReasons.sorted { $0.key < $1.key })),
        ("code_bytes", pyInt(jit.arena.bytesInUse)),
        ("code_bytes_reserved", pyInt(jit.arena.bytesReserved)),
        ("compile_time_ns", pyInt(s.compileTimeNs)),
        ("freed", pyInt(s.freedFunctions)),
        ("max_code_bytes_reached", pyInt(s.capReached)),
        ("exits", pyCountDict(exits)),
    ])
}

/// The listing of a compiled function: recompiles it (compilation is deterministic)
/// and shows the assembler's own listing at the installed address.
private let disNative: Method = { _, object in
    guard let code = requireCode(object) else { return nil }
    guard let state = JIT.shared.state(of: code), let block = state.block else { return pyNone() }
    do {
        let view = try CodeObjectView(code.assumingMemoryBound(to: PyCodeObject.self))
        let assembled = try Compiler.assemble(view, data: state.data, withLineNumbers: true).code
        let header = "; \(view.qualifiedName): \(assembled.bytes.count) bytes at 0x\(String(UInt(bitPattern: block.address), radix: 16))\n"
        return pyString(header + assembled.formattedListing(base: UInt64(UInt(bitPattern: block.address))))
    } catch {
        return pyString("; listing unavailable: \(error)")
    }
}

// MARK: - Module definition

private func methodTable() -> UnsafeMutablePointer<PyMethodDef> {
    let entries: [(StaticString, Method, Int32, StaticString)] = [
        ("enable", enable, METH_NOARGS, "Compile eligible functions from now on."),
        ("disable", disable, METH_NOARGS, "Stop running compiled code (process-wide)."),
        ("is_enabled", isEnabled, METH_NOARGS, "True after enable() and before disable()."),
        ("get_config", getConfig, METH_NOARGS, "The current settings."),
        ("set_config", setConfig, METH_O, "set_config(settings: dict)."),
        ("mark_jit", markJit, METH_O, "Compile this code object at its first call."),
        ("info", info, METH_O, "What happened to a code object."),
        ("stats", stats, METH_NOARGS, "Process-wide counters."),
        ("dis_native", disNative, METH_O, "The machine code listing of a compiled code object, or None."),
    ]
    let table = UnsafeMutablePointer<PyMethodDef>.allocate(capacity: entries.count + 1)
    for (index, entry) in entries.enumerated() {
        table[index] = PyMethodDef(
            ml_name: cString(entry.0), ml_meth: unsafeBitCast(entry.1, to: PyCFunction.self),
            ml_flags: entry.2, ml_doc: cString(entry.3))
    }
    table[entries.count] = PyMethodDef(ml_name: nil, ml_meth: nil, ml_flags: 0, ml_doc: nil)
    return table
}

private func cString(_ s: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(s.utf8Start).assumingMemoryBound(to: CChar.self)
}

@_cdecl("PyInit__pyjion")
public func PyInit__pyjion() -> UnsafeMutablePointer<PyObject>? {
    // Allocated once and never freed: the module lives as long as the process.
    guard let definition = pyj_new_module_def(cString("pyjion._pyjion"), cString("pyjion's native core."), methodTable()) else {
        return PyErr_NoMemory()
    }
    pyj_find_builtins()
    return PyModule_Create2(definition, PYTHON_API_VERSION)
}
