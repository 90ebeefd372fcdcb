import CPython

/// The part of a code object's JIT state read on every call, by the hook, direct
/// calls and generator resumption (C and machine code too): `PyjCodeEntry` in the shim,
/// plain memory in the code object's `co_extra` slot.
public typealias CodeEntry = PyjCodeEntry

extension PyjCodeEntry {
    public init(owner: UnsafeMutableRawPointer?, code: UnsafeMutableRawPointer?) {
        self.init(entry: nil, runCount: 0, forced: false, owner: owner, code: code, directEntry: nil)
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
        set {
            pyj_jit_mode = newValue.rawValue
            pyj_update_direct_calls()
        }
    }
    /// pyjion's frame-evaluation function. Direct calls skip it, so they happen only
    /// while it is the installed one (another tool may install its own).
    public static var hook: UnsafeRawPointer? {
        get { UnsafeRawPointer(pyj_jit_hook) }
        set {
            pyj_jit_hook = UnsafeMutableRawPointer(mutating: newValue)
            pyj_update_direct_calls()
        }
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
