import CPython
import Runtime

// Code flags (cpython/code.h) for frames that always run in CPython's evaluator.
private let coOptimized: Int32 = 0x0001
let generatorLikeFlags: Int32 = 0x0020 | 0x0080 | 0x0100 | 0x0200

/// The PEP 523 frame-evaluation function. Every Python call passes through here, so
/// the common paths do as little as possible.
let frameEvaluationHook: _PyFrameEvalFunction = { tstate, frame, throwflag in
    guard pyj_c_stack_ok() != 0 else {
        PyErr_SetString(PyExc_RecursionError, "maximum recursion depth exceeded (C stack)")
        return nil
    }
    let raw = UnsafeMutableRawPointer(frame!)
    guard throwflag == 0 else { return pyj_eval_default(tstate, frame, throwflag) }
    let code = raw.load(fromByteOffset: Int(offsets.frame_code), as: UnsafeMutableRawPointer.self)
    let flags = code.load(fromByteOffset: Int(offsets.code_flags), as: Int32.self)
    // Generators, coroutines, and code that runs with a locals mapping (class bodies,
    // module code) stay in the interpreter.
    let jit = JIT.shared
    if flags & generatorLikeFlags != 0 {
        // Record the decline once, so info() and stats() say why.
        if jit.globalMode && !jit.hookOnly && jit.state(of: code) == nil { jit.declineGenerator(code) }
        return pyj_eval_default(tstate, frame, throwflag)
    }
    if flags & coOptimized == 0
        || raw.load(fromByteOffset: Int(offsets.frame_locals), as: UnsafeRawPointer?.self) != nil {
        return pyj_eval_default(tstate, frame, throwflag)
    }
    let state: CodeState
    if let existing = jit.state(of: code) {
        state = existing
    } else {
        guard jit.globalMode, let created = jit.stateCreating(for: code) else {
            return pyj_eval_default(tstate, frame, throwflag)
        }
        state = created
    }
    guard jit.globalMode || state.forced else { return pyj_eval_default(tstate, frame, throwflag) }
    state.runCount += 1
    // A traced or profiled frame runs in the interpreter, which emits the events.
    let cframe = UnsafeRawPointer(tstate!).load(fromByteOffset: Int(offsets.tstate_cframe), as: UnsafeRawPointer.self)
    if cframe.load(fromByteOffset: Int(offsets.cframe_use_tracing), as: UInt8.self) != 0 {
        return pyj_eval_default(tstate, frame, throwflag)
    }
    if let entry = state.entry { return entry(tstate, frame) }
    if !state.failed && !jit.hookOnly && (state.forced || state.hasLoop || state.runCount > jit.threshold) {
        // Compiling may run Python code (a failing repr, say) that must not see an
        // exception the caller did not set; none is pending on entry to the hook.
        jit.compile(code, state)
        if let entry = state.entry { return entry(tstate, frame) }
    }
    return pyj_eval_default(tstate, frame, throwflag)
}

extension JIT {
    func installHook() {
        pyj_set_eval_frame(frameEvaluationHook)
        hookInstalled = true
    }

    func removeHook() {
        pyj_set_eval_frame(pyj_default_eval_frame())
        hookInstalled = false
    }
}
