import CPython
import Runtime

// Code flags (cpython/code.h).
let coOptimized: Int32 = 0x0001
let generatorLikeFlags: Int32 = 0x0020 | 0x0080 | 0x0100 | 0x0200

/// The slow path of the PEP 523 frame-evaluation function (`pyj_frame_eval_hook` in
/// the shim enters compiled code that may run, and calls this for anything else).
let frameEvaluationHook: _PyFrameEvalFunction = { tstate, frame, throwflag in
    guard pyj_c_stack_ok() != 0 else {
        PyErr_SetString(PyExc_RecursionError, "maximum recursion depth exceeded (C stack)")
        return nil
    }
    let raw = UnsafeMutableRawPointer(frame!)
    // A function called during its own deallocation (a co_extra free function written
    // in Python, called by code_dealloc for the slot pyjion's extra made it cover) has
    // its globals cleared already; no evaluator can run it.
    guard raw.load(fromByteOffset: Int(pyj_offsets.frame_globals), as: UnsafeRawPointer?.self) != nil else {
        PyErr_SetString(PyExc_SystemError, "function called during its own deallocation")
        return nil
    }
    guard throwflag == 0 else { return pyj_eval_default(tstate, frame, throwflag) }
    let code = raw.load(fromByteOffset: Int(pyj_offsets.frame_code), as: UnsafeMutableRawPointer.self)
    // The common case first: compiled code that may run.
    if let record = JITSwitches.codeEntry(code), let entry = record.pointee.entry, JITSwitches.mayRun(record) {
        record.pointee.runCount += 1
        if isTracing(tstate!) { return pyj_eval_default(tstate, frame, throwflag) }
        return entry(tstate, frame)
    }
    return evaluateUncompiled(tstate!, frame!, code)
}

/// A traced or profiled frame runs in the interpreter, which emits the events.
@inline(__always) private func isTracing(_ tstate: UnsafeMutablePointer<PyThreadState>) -> Bool {
    let cframe = UnsafeRawPointer(tstate).load(fromByteOffset: Int(pyj_offsets.tstate_cframe), as: UnsafeRawPointer.self)
    return cframe.load(fromByteOffset: Int(pyj_offsets.cframe_use_tracing), as: UInt8.self) != 0
}

/// The hook's slow path: code not compiled (yet), or not allowed to run compiled.
private func evaluateUncompiled(
    _ tstate: UnsafeMutablePointer<PyThreadState>, _ frame: OpaquePointer, _ code: UnsafeMutableRawPointer
) -> UnsafeMutablePointer<PyObject>? {
    let raw = UnsafeMutableRawPointer(frame)
    let flags = code.load(fromByteOffset: Int(pyj_offsets.code_flags), as: Int32.self)
    let jit = JIT.shared
    // Module code (its locals are its globals) runs once: it stays in the evaluator.
    // Class bodies and exec'd code with their own locals mapping compile like functions.
    let locals = raw.load(fromByteOffset: Int(pyj_offsets.frame_locals), as: UnsafeRawPointer?.self)
    if flags & coOptimized == 0 {
        guard let locals,
              locals != raw.load(fromByteOffset: Int(pyj_offsets.frame_globals), as: UnsafeRawPointer?.self) else {
            return pyj_eval_default(tstate, frame, 0)
        }
    }
    // A code object being deallocated (its record retired) runs in the evaluator.
    if let record = JITSwitches.codeEntry(code), record.pointee.owner == nil {
        return pyj_eval_default(tstate, frame, 0)
    }
    let state: CodeState
    if let existing = jit.state(of: code) {
        state = existing
    } else {
        guard JITSwitches.mode == .global,
              let created = jit.stateCreating(for: code) else {
            return pyj_eval_default(tstate, frame, 0)
        }
        state = created
    }
    guard JITSwitches.mayRun(state.record) else { return pyj_eval_default(tstate, frame, 0) }
    state.record.pointee.runCount += 1
    if !state.failed && (state.forced || state.hasLoop || state.runCount > jit.threshold) {
        let globals = UnsafeRawPointer(frame).load(fromByteOffset: Int(pyj_offsets.frame_globals),
                                                   as: UnsafeMutablePointer<PyObject>?.self)
        jit.compile(code, state, globals: globals)
    }
    // A traced or profiled frame runs in the evaluator, compiled or not.
    if let entry = state.entry, !isTracing(tstate) { return entry(tstate, frame) }
    return pyj_eval_default(tstate, frame, 0)
}

extension JIT {
    func installHook() {
        // The C function takes the common case; this file's hook is its slow path.
        pyj_set_hook_slow_path(frameEvaluationHook)
        let hook: _PyFrameEvalFunction = pyj_frame_eval_hook
        JITSwitches.hook = unsafeBitCast(hook, to: UnsafeRawPointer.self)
        pyj_set_eval_frame(hook)
        hookInstalled = true
        updateMode()
    }

    /// pyjion's hook is the interpreter's frame-evaluation function right now.
    var hookIsActive: Bool {
        unsafeBitCast(pyj_get_eval_frame(), to: UnsafeRawPointer?.self) == JITSwitches.hook && JITSwitches.hook != nil
    }

    func removeHook() {
        pyj_set_eval_frame(pyj_default_eval_frame())
        hookInstalled = false
        updateMode()
    }
}
