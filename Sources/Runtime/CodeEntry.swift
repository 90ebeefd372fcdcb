import CPython

/// The part of a code object's JIT state read on every call, by the hook and by
/// direct calls from machine code: plain memory in the code object's `co_extra` slot.
public struct CodeEntry {
    /// The machine code, `PyObject *entry(PyThreadState *, _PyInterpreterFrame *)`, or nil.
    public var entry: NativeEntry?
    /// Calls seen (through the hook or direct calls).
    public var runCount: Int
    /// Marked with `@pyjion.jit`: runs compiled in opt-in mode too.
    public var forced: Bool
    /// The module's own state for this code object (retained; released by the free function).
    public var owner: UnsafeMutableRawPointer?
    /// The code object (borrowed: the record dies with it).
    public var code: UnsafeMutableRawPointer?

    public init(owner: UnsafeMutableRawPointer?, code: UnsafeMutableRawPointer?) {
        entry = nil
        runCount = 0
        forced = false
        self.owner = owner
        self.code = code
    }
}

public typealias NativeEntry = @convention(c) (UnsafeMutablePointer<PyThreadState>?, OpaquePointer?) -> UnsafeMutablePointer<PyObject>?

/// Which compiled code may run; set by the module (enable, disable, jit).
public enum JITMode: UInt8 {
    /// No hook: nothing runs compiled.
    case off
    /// Only `@jit` functions run compiled.
    case optIn
    /// Every compiled function runs compiled.
    case global
}

/// Interpreter-wide switches that machine code and helpers consult.
public enum JITSwitches {
    nonisolated(unsafe) public static var mode = JITMode.off
    /// pyjion's frame-evaluation function. Direct calls skip it, so they happen only
    /// while it is the installed one (another tool may install its own).
    nonisolated(unsafe) public static var hook: UnsafeRawPointer?
    /// The `co_extra` index holding `CodeEntry` pointers, or -1.
    nonisolated(unsafe) public static var extraIndex = -1

    /// The code object's entry, read straight from `co_extra` (`_PyCodeObjectExtra`:
    /// `ce_size`, then `ce_extras[]`).
    @inline(__always)
    public static func codeEntry(_ code: UnsafeRawPointer) -> UnsafeMutablePointer<CodeEntry>? {
        let index = extraIndex
        guard index >= 0,
              let extra = code.load(fromByteOffset: Int(pyj_offsets.code_extra), as: UnsafeRawPointer?.self),
              index < extra.load(as: Int.self) else { return nil }
        return extra.load(fromByteOffset: 8 + 8 * index, as: UnsafeMutablePointer<CodeEntry>?.self)
    }

    /// Whether compiled code for this entry may run now.
    @inline(__always)
    public static func mayRun(_ entry: UnsafeMutablePointer<CodeEntry>) -> Bool {
        mode == .global || (mode == .optIn && entry.pointee.forced)
    }
}

// Code flags (cpython/code.h).
private let coVarargs: Int32 = 0x0004
private let coVarkeywords: Int32 = 0x0008

/// Calls a compiled function directly: pushes its frame on the data stack, runs its
/// machine code and pops the frame, without the frame-evaluation hook. Returns nil
/// (having done nothing) when the call is not of that shape; otherwise the result,
/// whose NULL means an exception. On success or failure the `count` argument
/// references at `args` have moved into the callee's frame and those slots are NULL.
@inline(__always)
func callCompiledDirectly(
    _ threadState: UnsafeMutableRawPointer, _ function: Obj, _ args: StackPointer, _ count: Int
) -> Obj?? {
    guard pyj_function_check_exact(function) != 0 else { return nil }
    let code = UnsafeRawPointer(function).load(fromByteOffset: Int(pyj_offsets.function_code), as: UnsafeRawPointer.self)
    guard let codeEntry = JITSwitches.codeEntry(code), let entry = codeEntry.pointee.entry,
          JITSwitches.mayRun(codeEntry) else { return nil }
    let flags = code.load(fromByteOffset: Int(pyj_offsets.code_flags), as: Int32.self)
    guard flags & (coVarargs | coVarkeywords) == 0,
          code.load(fromByteOffset: Int(pyj_offsets.code_argcount), as: Int32.self) == count,
          code.load(fromByteOffset: Int(pyj_offsets.code_kwonlyargcount), as: Int32.self) == 0 else { return nil }
    // Traced frames and a nearly full C stack go through the hook, which handles both.
    let interpreter = UnsafeRawPointer(threadState).load(fromByteOffset: Int(pyj_offsets.tstate_interp), as: UnsafeRawPointer.self)
    guard interpreter.load(fromByteOffset: Int(pyj_offsets.interp_eval_frame), as: UnsafeRawPointer?.self) == JITSwitches.hook,
          JITSwitches.hook != nil else { return nil }
    let cframe = UnsafeRawPointer(threadState).load(fromByteOffset: Int(pyj_offsets.tstate_cframe), as: UnsafeRawPointer.self)
    guard cframe.load(fromByteOffset: Int(pyj_offsets.cframe_use_tracing), as: UInt8.self) == 0,
          pyj_c_stack_ok() != 0 else { return nil }
    let tstate = threadState.assumingMemoryBound(to: PyThreadState.self)
    let arguments = args.withMemoryRebound(to: Optional<UnsafeMutablePointer<PyObject>>.self, capacity: count) { $0 }
    guard let frame = function.withMemoryRebound(to: PyFunctionObject.self, capacity: 1, {
        pyj_push_frame(tstate, $0, arguments, Int32(count))
    }) else { return nil }
    for i in 0..<count { args[i] = nil }
    codeEntry.pointee.runCount += 1
    let result = entry(tstate, frame)
    pyj_clear_and_pop_frame(tstate, frame)
    return .some(result)
}
