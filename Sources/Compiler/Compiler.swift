import CPython
import Bytecode
import X64
import Runtime

/// Compiles code objects to machine code.
public enum Compiler {
    /// Assembles a code object; throws `CompileError` for code it declines.
    /// `data` is the function's inline-cache memory from an earlier compile (a listing
    /// must embed the same addresses); a new one is made when nil.
    /// `withLineNumbers` records the listing (instruction texts and comments, with each
    /// instruction's source line); without it the result's listing is empty.
    /// `globals` (borrowed, may be nil) is the dict of a frame about to run the code:
    /// what call sites' global names are bound to there chooses their call paths (a
    /// hint recorded in `data`, so that a listing made later chooses the same).
    public static func assemble(
        _ view: CodeObjectView, data: RuntimeData? = nil, globals: UnsafeMutablePointer<PyObject>? = nil,
        withLineNumbers: Bool = false
    ) throws -> CompiledFunction {
        let decoded: DecodedCode
        do {
            decoded = try decode(code: view.code, exceptionTable: view.exceptionTable)
        } catch {
            throw CompileError.malformedBytecode(String(describing: error))
        }
        let globalSites = decoded.instructions.filter { $0.opcode == .loadGlobal }.count
        let attributeSites = decoded.instructions.filter { [.loadAttr, .storeAttr, .loadMethod].contains($0.opcode) }.count
        let callSites = RuntimeData.CallSiteRole.allCases.count * decoded.instructions.filter { $0.opcode == .call }.count
        let operatorSites = decoded.instructions.filter {
            $0.opcode == .binarySubscr || ($0.opcode == .binaryOp && ArithmeticKind(binaryOparg: $0.oparg)?.hasFloatPath == true)
        }.count
        let data = data ?? RuntimeData(globalCacheEntries: globalSites, attributeCacheEntries: attributeSites,
                                       callSiteEntries: callSites, operatorSiteEntries: operatorSites)
        let compiler = FunctionCompiler(view: view, decoded: decoded, data: data, globals: globals,
                                        withLineNumbers: withLineNumbers)
        let code = try compiler.compile()
        return CompiledFunction(code: code, data: data, directEntryOffset: compiler.directEntry.map { code.offset(of: $0) },
                                directEntryKind: compiler.directEntryKind)
    }

    /// True if the bytecode has a backward jump: such code compiles at its first call,
    /// since 3.11's hook cannot replace a running frame (no on-stack replacement).
    public static func hasLoop(_ code: [UInt8]) -> Bool {
        var index = 0
        while index + 1 < code.count {
            if let opcode = Opcode(rawValue: code[index]), opcode.jump == .backward { return true }
            index += 2
        }
        return false
    }
}

/// What a call site's callable (a global name) was bound to at compile time: which
/// inline call paths the site gets. Only a hint: each path checks what it calls.
enum CalleeKind {
    /// A Python function: the direct call.
    case function
    /// A class: the class-instantiation path for a Python class, the type's own
    /// vectorcall for a builtin one.
    case heapType, builtinType
    /// `int`, a builtin class without a vectorcall: its own path for `int(x)` too.
    case intClass
    /// A builtin function, method descriptor or other C callable.
    case builtin
    /// Not a global name, or unbound when compiled: decided by the name's looks.
    case unknown
}

/// What compiling a code object made.
public struct CompiledFunction {
    public let code: AssembledCode
    public let data: RuntimeData
    /// Where the entry for direct calls from machine code starts (`PyjCodeEntry`'s
    /// `directEntry`), or nil for code that is only entered through the hook.
    public let directEntryOffset: Int?
    /// What that entry does.
    public let directEntryKind: DirectEntryKind
}

/// The entry a compiled function has for direct calls from machine code.
public enum DirectEntryKind: String, Sendable {
    /// None: the code is only entered through the hook (generators, *args, **kwargs,
    /// keyword-only parameters).
    case none
    /// The frame set up and linked, the body run, the frame popped.
    case full
    /// `return <argument>` or `return <constant>`: the result, the frame popped unlinked.
    case trivial
    /// A read-only leaf body run unlinked on borrowed values, else the full entry.
    case leaf
}

/// Writable memory a compiled function owns beside its code (code pages are never
/// writable): LOAD_GLOBAL, attribute and call-site cache entries. Freed with the
/// function's code.
public final class RuntimeData {
    public let globalCache: UnsafeMutablePointer<GlobalCacheEntry>
    public let globalCacheEntries: Int
    public let attributeCache: UnsafeMutablePointer<AttributeCacheEntry>
    public let attributeCacheEntries: Int
    /// RESUMEs and JUMP_BACKWARDs run in machine code: the warm-up CPython's evaluator
    /// would have counted toward quickening (co_warmup) had it run them.
    public let warmup: UnsafeMutablePointer<Int64>
    /// Calls a leaf direct entry started over through the full entry (a type, a cache
    /// miss or a value its fast paths do not take).
    public let leafStartOvers: UnsafeMutablePointer<Int64>
    /// Non-zero once the leaf entry is turned off (it started over on most runs).
    public let leafOff: UnsafeMutablePointer<Int64>
    /// One per CALL: the compiled callee it calls directly (holding its code object).
    public let callSites: UnsafeMutablePointer<PyjCallSite>
    public let callSiteEntries: Int
    /// One per BINARY_SUBSCR and per BINARY_OP of + - * / (and their in-place forms): the
    /// Python method (__getitem__, __add__...) of the operands' class the site calls
    /// directly, in the class fields (see pyj_fill_method_site).
    public let operatorSites: UnsafeMutablePointer<PyjCallSite>
    public let operatorSiteEntries: Int
    /// Per CALL, what its callable was bound to when the code first compiled (nil: not
    /// decided yet); see `CalleeKind`.
    var calleeKinds: [CalleeKind?]
    /// Per attribute site, whether its owner was a global name bound to a class when the
    /// code first compiled (nil: not decided yet): the class path then comes first.
    var ownerIsClass: [Bool?]
    /// Per LOAD_METHOD site whose owner is such a class, whether the name was a
    /// classmethod of it then: the call's predicted shape.
    var classMethodOnClass: [Bool?]

    /// Each CALL has an entry per role: the call as the stack holds it, and the call of
    /// a bound method's function with self first (see emitBoundMethodCall).
    public enum CallSiteRole: Int, CaseIterable {
        case main, boundMethod
    }

    static func callSiteIndex(call: Int, role: CallSiteRole) -> Int {
        call * CallSiteRole.allCases.count + role.rawValue
    }

    /// The CALL instructions of the code.
    public var callCount: Int { callSiteEntries / CallSiteRole.allCases.count }

    /// The CALLs that have called a compiled function directly (from any of their entries).
    public var directCallCount: Int {
        (0..<callCount).filter { call in
            CallSiteRole.allCases.contains { !callSites[RuntimeData.callSiteIndex(call: call, role: $0)].callees.isEmpty }
        }.count
    }
    /// The operator sites whose cache names a class's method to call directly.
    public var directOperatorSiteCount: Int {
        (0..<operatorSiteEntries).filter { operatorSites[$0].`init`.code != nil }.count
    }
    /// Read-only tables machine code passes to helpers (fused UNPACK_SEQUENCE stores).
    private var tables: [UnsafeMutablePointer<Int32>] = []

    /// A table that lives as long as this data.
    func table(_ values: [Int32]) -> UnsafeMutablePointer<Int32> {
        let table = UnsafeMutablePointer<Int32>.allocate(capacity: values.count)
        table.initialize(from: values, count: values.count)
        tables.append(table)
        return table
    }

    init(globalCacheEntries: Int, attributeCacheEntries: Int, callSiteEntries: Int, operatorSiteEntries: Int) {
        self.callSiteEntries = callSiteEntries
        calleeKinds = Array(repeating: nil, count: callSiteEntries / CallSiteRole.allCases.count)
        callSites = .allocate(capacity: max(callSiteEntries, 1))
        let empty = PyjCallTarget(code: nil, record: nil, frameBytes: 0, defaulted: 0)
        let emptySite = PyjCallSite(targets: (empty, empty, empty, empty), methodShape: 0, classVersion: .max,
                                    initFunction: nil, init: empty)
        callSites.initialize(repeating: emptySite, count: max(callSiteEntries, 1))
        self.operatorSiteEntries = operatorSiteEntries
        operatorSites = .allocate(capacity: max(operatorSiteEntries, 1))
        operatorSites.initialize(repeating: emptySite, count: max(operatorSiteEntries, 1))
        self.globalCacheEntries = globalCacheEntries
        self.attributeCacheEntries = attributeCacheEntries
        ownerIsClass = Array(repeating: nil, count: attributeCacheEntries)
        classMethodOnClass = Array(repeating: nil, count: attributeCacheEntries)
        warmup = .allocate(capacity: 1)
        warmup.initialize(to: 0)
        leafStartOvers = .allocate(capacity: 1)
        leafStartOvers.initialize(to: 0)
        leafOff = .allocate(capacity: 1)
        leafOff.initialize(to: 0)
        // Each site has `AttributeCacheEntry.ways` entries (a polymorphic cache).
        let entries = max(attributeCacheEntries, 1) * AttributeCacheEntry.ways
        attributeCache = .allocate(capacity: entries)
        attributeCache.initialize(repeating: AttributeCacheEntry(), count: entries)
        globalCache = .allocate(capacity: max(globalCacheEntries, 1))
        // Version 0 is never a dict's tag, so a fresh entry always misses.
        globalCache.initialize(repeating: GlobalCacheEntry(globalsVersion: 0, builtinsVersion: 0, value: nil),
                               count: max(globalCacheEntries, 1))
    }

    deinit {
        // Runs with the GIL held: the owning code object is dying, or a recompile
        // replaced this data.
        for site in 0..<callSiteEntries {
            for code in callSites[site].callees { Py_DecRef(code) }
        }
        callSites.deallocate()
        for site in 0..<operatorSiteEntries {
            for code in operatorSites[site].callees { Py_DecRef(code) }
        }
        operatorSites.deallocate()
        for table in tables { table.deallocate() }
        globalCache.deallocate()
        attributeCache.deallocate()
        warmup.deallocate()
        leafStartOvers.deallocate()
        leafOff.deallocate()
    }

    public var byteCount: Int {
        globalCacheEntries * MemoryLayout<GlobalCacheEntry>.stride
            + attributeCacheEntries * AttributeCacheEntry.ways * MemoryLayout<AttributeCacheEntry>.stride
            + (callSiteEntries + operatorSiteEntries) * MemoryLayout<PyjCallSite>.stride
    }
}

extension CompileError {
    /// A short key for tallying reasons across functions and processes.
    public var category: String {
        switch self {
        case let .unsupportedOpcode(name, _, _): return "opcode \(name)"
        case .unsupportedCode(let why): return why
        case .malformedBytecode: return "bytecode not understood"
        case .assembler: return "assembler error"
        case .codeMemory: return "code memory"
        case .pythonError: return "python error"
        }
    }
}

extension PyjCallSite {
    /// The code objects this site holds (its targets' and its class's __init__).
    public var callees: [UnsafeMutablePointer<PyObject>] {
        [targets.0.code, targets.1.code, targets.2.code, targets.3.code, `init`.code].compactMap { $0 }
    }
}
