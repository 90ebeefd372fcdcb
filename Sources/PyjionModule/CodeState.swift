import CPython
import Compiler
import ExecutableMemory
import Runtime
import Bytecode

/// What pyjion knows about one code object. The hot part (entry point, run count,
/// the `@jit` mark) is a `CodeEntry` in the code object's `co_extra` slot, which the
/// hook and direct calls read; the rest lives here. Both go when the code object dies.
final class CodeState {
    /// The `co_extra` record; owned by the slot (freed by the free function).
    let record: UnsafeMutablePointer<CodeEntry>
    var compileCount = 0
    var block: CodeBlock?
    /// Inline caches the machine code reads and writes.
    var data: RuntimeData?
    /// Compilation was tried and declined; `reason` says why.
    var failed = false
    var reason: String?
    var compileTimeNs = 0
    /// What the entry for direct calls does.
    var directEntryKind = DirectEntryKind.none
    /// Exits to the interpreter mid-frame, by reason.
    var exits: [ExitReason: Int] = [:]
    /// Has a loop: compiles at its first call (no on-stack replacement in 3.11).
    let hasLoop: Bool
    /// What the code object is, for the statistics.
    let kind: CodeKind

    init(hasLoop: Bool, kind: CodeKind, record: UnsafeMutablePointer<CodeEntry>) {
        self.hasLoop = hasLoop
        self.kind = kind
        self.record = record
    }

    var entry: NativeEntry? { record.pointee.entry }
    var runCount: Int { record.pointee.runCount }
    var forced: Bool {
        get { record.pointee.forced }
        set { record.pointee.forced = newValue }
    }

    deinit {
        if let block {
            JIT.shared.arena.free(block)
            JIT.shared.stats.freedFunctions += 1
        }
    }
}

/// What a code object is, as the statistics count it.
enum CodeKind {
    /// A plain function's code (CO_OPTIMIZED, not a generator).
    case function
    /// A generator's, coroutine's or async generator's code.
    case generator
    /// A class body or code run with its own locals mapping.
    case other

    init(flags: Int32) {
        if flags & generatorLikeFlags != 0 {
            self = .generator
        } else {
            self = flags & coOptimized != 0 ? .function : .other
        }
    }
}

/// Process-wide counters behind `pyjion.stats()`.
struct Statistics {
    var compiled = 0
    /// Distinct function code objects (CO_OPTIMIZED, not generators) the hook has run.
    var functionsSeen = 0
    /// Of those, compiled (class bodies and exec'd code compile too: `compiled` counts all).
    var functionsCompiled = 0
    /// Distinct generator, coroutine and async generator code objects run, and compiled.
    var generatorsSeen = 0
    var generatorsCompiled = 0
    var declined = 0
    var declineReasons: [String: Int] = [:]
    var compileTimeNs = 0
    var freedFunctions = 0
    var capReached = 0
}

/// Interpreter-global state: the only place that holds any.
final class JIT {
    nonisolated(unsafe) static let shared = JIT()

    let arena = CodeArena()
    var stats = Statistics()
    /// Calls before a function without loops is compiled.
    var threshold = JIT.defaultThreshold
    /// `enable()` was called: every eligible function may compile.
    var globalMode = false {
        didSet { updateMode() }
    }

    /// What may run compiled, for the hook and direct calls.
    func updateMode() {
        if !hookInstalled || hookOnly {
            JITSwitches.mode = .off
        } else {
            JITSwitches.mode = globalMode ? .global : .optIn
        }
    }
    /// The hook runs but compiles and runs nothing compiled: a baseline for the hook.
    var hookOnly = false
    /// perf's map file, while `config(perf_map=True)`.
    var perfMap: PerfMap?
    /// `enable()` was called (and not `disable()` since).
    var hookInstalled = false

    /// The default threshold; see the README for how it was chosen.
    static let defaultThreshold = 2

    func ensureExtraIndex() -> Bool {
        if JITSwitches.extraIndex >= 0 { return true }
        ExitCounters.perCodeObject = { code, reason in
            JIT.shared.state(of: code)?.exits[reason, default: 0] += 1
        }
        let index = _PyEval_RequestCodeExtraIndex(freeCodeState)
        guard index >= 0 else { return false }
        JITSwitches.extraIndex = index
        return true
    }

    /// The state of a code object, if it has one.
    func state(of code: UnsafeMutableRawPointer) -> CodeState? {
        guard let record = JITSwitches.codeEntry(code), let owner = record.pointee.owner else { return nil }
        return Unmanaged<CodeState>.fromOpaque(owner).takeUnretainedValue()
    }

    /// The state of a code object, created on first use.
    func stateCreating(for code: UnsafeMutableRawPointer) -> CodeState? {
        if let existing = state(of: code) { return existing }
        guard ensureExtraIndex() else { return nil }
        let view = code.assumingMemoryBound(to: PyCodeObject.self)
        var hasLoop = false
        if let bytes = pyj_code_get_code(view) {
            let count = PyBytes_Size(bytes)
            if let start = PyBytes_AsString(bytes) {
                hasLoop = start.withMemoryRebound(to: UInt8.self, capacity: count) {
                    Compiler.hasLoop(Array(UnsafeBufferPointer(start: $0, count: count)))
                }
            }
            pyj_decref(bytes)
        }
        let record = UnsafeMutablePointer<CodeEntry>.allocate(capacity: 1)
        let kind = CodeKind(flags: code.load(fromByteOffset: Int(pyj_offsets.code_flags), as: Int32.self))
        let state = CodeState(hasLoop: hasLoop, kind: kind, record: record)
        record.initialize(to: CodeEntry(owner: Unmanaged.passRetained(state).toOpaque(), code: code))
        if _PyCode_SetExtra(code.assumingMemoryBound(to: PyObject.self), JITSwitches.extraIndex, record) != 0 {
            freeRecord(record)
            PyErr_Clear()
            return nil
        }
        switch kind {
        case .function: stats.functionsSeen += 1
        case .generator: stats.generatorsSeen += 1
        case .other: break
        }
        return state
    }

    /// Compiles a code object into the arena; records the outcome in `state`.
    /// `globals`: the globals of the frame about to run it (borrowed; a hint for call sites).
    func compile(_ code: UnsafeMutableRawPointer, _ state: CodeState, globals: UnsafeMutablePointer<PyObject>?) {
        let started = monotonicNanoseconds()
        state.compileCount += 1
        defer {
            let elapsed = monotonicNanoseconds() - started
            state.compileTimeNs += elapsed
            stats.compileTimeNs += elapsed
        }
        do {
            let view = try CodeObjectView(code.assumingMemoryBound(to: PyCodeObject.self))
            let compiled = try Compiler.assemble(view, globals: globals, withLineNumbers: dumpListings)
            let assembled = compiled.code
            let block: CodeBlock
            do {
                block = try arena.allocate(copying: assembled.bytes)
            } catch CodeMemoryError.capacityExceeded {
                stats.capReached += 1
                throw CompileError.codeMemory("max_code_bytes reached")
            } catch {
                throw CompileError.codeMemory(String(describing: error))
            }
            if let perfMap {
                perfMap.record(address: UInt(bitPattern: block.address), size: assembled.bytes.count,
                               name: PerfMap.symbol(code: code, qualifiedName: view.qualifiedName))
            }
            if dumpListings {
                let listing = assembled.formattedListing(base: UInt64(UInt(bitPattern: block.address)))
                print("; \(view.qualifiedName)\n\(listing)")
            }
            state.block = block
            state.data = compiled.data
            state.directEntryKind = compiled.directEntryKind
            state.record.pointee.entry = unsafeBitCast(block.address, to: NativeEntry.self)
            state.record.pointee.directEntry = compiled.directEntryOffset.map {
                unsafeBitCast(block.address + $0, to: NativeEntry.self)
            }
            state.failed = false
            state.reason = nil
            stats.compiled += 1
            switch state.kind {
            case .function: stats.functionsCompiled += 1
            case .generator: stats.generatorsCompiled += 1
            case .other: break
            }
        } catch let error as CompileError {
            decline(state, error.description, category: error.category)
        } catch {
            decline(state, String(describing: error), category: "internal error")
        }
    }

    private func decline(_ state: CodeState, _ reason: String, category: String) {
        state.failed = true
        state.reason = reason
        stats.declined += 1
        stats.declineReasons[category, default: 0] += 1
        if PyErr_Occurred() != nil { PyErr_Clear() }
    }
}

/// `PYJION_DUMP=1` prints every listing at compile time (a debugging aid).
private let dumpListings = getenv("PYJION_DUMP") != nil

/// The `co_extra` free function: runs when a code object dies.
private let freeCodeState: @convention(c) (UnsafeMutableRawPointer?) -> Void = { extra in
    guard let extra else { return }
    freeRecord(extra.assumingMemoryBound(to: CodeEntry.self))
}

private func freeRecord(_ record: UnsafeMutablePointer<CodeEntry>) {
    let owner = record.pointee.owner
    if let code = record.pointee.code { stopEmptyFreeCalls(code) }
    retire(record)
    if let owner { Unmanaged<CodeState>.fromOpaque(owner).release() }
}

/// _PyCode_SetExtra sizes a code object's extras to every index registered so far,
/// and code_dealloc calls the free function of each, NULL or not. A free function
/// written in Python (test_code's, through ctypes) is then called for its own
/// half-deallocated code object, which crashes the interpreter; without pyjion's extra
/// that code object would have had no extras at all. So while the code object dies,
/// if no slot after pyjion's holds a value, the array is cut back to end at pyjion's
/// slot (code_dealloc re-reads the size on every step): only NULL calls are skipped.
private func stopEmptyFreeCalls(_ code: UnsafeMutableRawPointer) {
    let index = JITSwitches.extraIndex
    guard index >= 0,
          let extra = code.load(fromByteOffset: Int(pyj_offsets.code_extra), as: UnsafeMutableRawPointer?.self) else { return }
    let size = extra.load(as: Int.self)
    guard size > index + 1 else { return }
    for later in (index + 1)..<size where extra.load(fromByteOffset: 8 + 8 * later, as: UnsafeRawPointer?.self) != nil {
        return
    }
    extra.storeBytes(of: index + 1, as: Int.self)
}

/// Records whose code object died. The slot still points at the record while
/// code_dealloc runs the other co_extra free functions, and one of those may run Python
/// code (a ctypes callback), re-entering the hook with that very code object. So a
/// record is emptied (no entry, no owner: the hook then leaves the frame to the
/// evaluator) and its memory is reused only much later.
nonisolated(unsafe) private var retiredRecords: [UnsafeMutablePointer<CodeEntry>] = []

private func retire(_ record: UnsafeMutablePointer<CodeEntry>) {
    record.pointee.entry = nil
    record.pointee.directEntry = nil
    record.pointee.owner = nil
    retiredRecords.append(record)
    if retiredRecords.count >= 4096 {
        for old in retiredRecords.prefix(2048) {
            old.deinitialize(count: 1)
            old.deallocate()
        }
        retiredRecords.removeFirst(2048)
    }
}

import Glibc

func monotonicNanoseconds() -> Int {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return now.tv_sec * 1_000_000_000 + now.tv_nsec
}
