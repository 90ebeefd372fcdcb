import CPython

/// The part of a code object's JIT state read on every call, by the hook, direct
/// calls and generator resumption (C and machine code too): `PyjCodeEntry` in the shim,
/// plain memory in the code object's `co_extra` slot.
public typealias CodeEntry = PyjCodeEntry

extension PyjCodeEntry {
    public init(owner: UnsafeMutableRawPointer?, code: UnsafeMutableRawPointer?) {
        self.init(entry: nil, runCount: 0, forced: false, owner: owner, code: code)
    }
}

public typealias NativeEntry = @convention(c) (UnsafeMutablePointer<PyThreadState>?, OpaquePointer?) -> UnsafeMutablePointer<PyObject>?

/// Which compiled code may run; set by the module (enable, disable, jit).
public enum JITMode: UInt8 {
    /// No hook: nothing runs compiled.
    case off = 0
    /// Only `@jit` functions run compiled.
    case optIn = 1
    /// Every compiled function runs compiled.
    case global = 2
}

/// Interpreter-wide switches that machine code, the shim and helpers consult (C
/// globals, so the shim's generator resumption reads the same ones).
public enum JITSwitches {
    public static var mode: JITMode {
        get { JITMode(rawValue: pyj_jit_mode) ?? .off }
        set { pyj_jit_mode = newValue.rawValue }
    }
    /// pyjion's frame-evaluation function. Direct calls skip it, so they happen only
    /// while it is the installed one (another tool may install its own).
    public static var hook: UnsafeRawPointer? {
        get { UnsafeRawPointer(pyj_jit_hook) }
        set { pyj_jit_hook = UnsafeMutableRawPointer(mutating: newValue) }
    }
    /// The `co_extra` index holding `CodeEntry` pointers, or -1.
    public static var extraIndex: Int {
        get { pyj_extra_index }
        set { pyj_extra_index = newValue }
    }

    /// The code object's entry, read straight from `co_extra`.
    @inline(__always)
    public static func codeEntry(_ code: UnsafeRawPointer) -> UnsafeMutablePointer<CodeEntry>? {
        pyj_code_entry(UnsafeMutablePointer(mutating: code.assumingMemoryBound(to: PyObject.self)))
    }

    /// Whether compiled code for this entry may run now.
    @inline(__always)
    public static func mayRun(_ entry: UnsafeMutablePointer<CodeEntry>) -> Bool {
        pyj_may_run(entry) != 0
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
    guard mayEnterDirectly(threadState) else { return nil }
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

/// Machine code may be entered without the hook: pyjion's hook is the installed one
/// (another tool may have replaced it), nothing traces (traced frames and a nearly
/// full C stack go through the hook, which handles both).
@inline(__always)
func mayEnterDirectly(_ threadState: UnsafeMutableRawPointer) -> Bool {
    let interpreter = UnsafeRawPointer(threadState).load(fromByteOffset: Int(pyj_offsets.tstate_interp), as: UnsafeRawPointer.self)
    guard interpreter.load(fromByteOffset: Int(pyj_offsets.interp_eval_frame), as: UnsafeRawPointer?.self) == JITSwitches.hook,
          JITSwitches.hook != nil else { return false }
    let cframe = UnsafeRawPointer(threadState).load(fromByteOffset: Int(pyj_offsets.tstate_cframe), as: UnsafeRawPointer.self)
    return cframe.load(fromByteOffset: Int(pyj_offsets.cframe_use_tracing), as: UInt8.self) == 0 && pyj_c_stack_ok() != 0
}
