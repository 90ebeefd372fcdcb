import CPython

/// What a helper returns, which decides the check machine code makes after the call.
public enum HelperResult {
    /// New reference, or NULL with an exception set.
    case object
    /// New reference; NULL with an exception is an error, NULL without one a miss.
    case objectOrMiss
    /// 0, or -1 with an exception set.
    case status
    /// Nothing to check.
    case none
}

/// One entry of the helper table: everything the compiler needs to call it.
public struct HelperDescriptor {
    public let name: String
    public let address: UInt64
    public let argumentCount: Int
    public let result: HelperResult
}

/// Every function that machine code calls. The table below is the only place that
/// pairs a helper with its address and signature.
public enum Helper: CaseIterable {
    case binaryOp, unaryOp, unaryNot, compareOp, containsOp, isTrue
    case getIter, forIterEnded
    case loadGlobal, loadAttr, storeAttr, loadMethod
    case call
    case binarySubscr, storeSubscr, deleteSubscr, buildSlice
    case buildTuple, buildList, buildSet, buildMap, buildConstKeyMap
    case listExtend, setUpdate, listAppend, setAdd, mapAdd, listToTuple, dictUpdate
    case unpackSequence, makeFunction, formatValue, buildString
    case leaveToInterpreter, handleEvalBreaker
    // CPython's own exports.
    case dealloc, checkRecursiveCall

    public var descriptor: HelperDescriptor { Helper.table[self]! }

    private static func entry<F>(_ name: String, _ f: F, _ arity: Int, _ result: HelperResult) -> HelperDescriptor {
        precondition(MemoryLayout<F>.size == 8, "helpers must be @convention(c) function pointers")
        return HelperDescriptor(name: name, address: unsafeBitCast(f, to: UInt64.self), argumentCount: arity, result: result)
    }

    private static let deallocFunction: @convention(c) (Obj?) -> Void = _Py_Dealloc
    private static let checkRecursiveCallFunction: @convention(c) (UnsafeMutablePointer<PyThreadState>?, UnsafePointer<CChar>?) -> Int32 = _Py_CheckRecursiveCall

    private static let table: [Helper: HelperDescriptor] = [
        .binaryOp: entry("binaryOp", binaryOp, 3, .object),
        .unaryOp: entry("unaryOp", unaryOp, 2, .object),
        .unaryNot: entry("unaryNot", unaryNot, 1, .object),
        .compareOp: entry("compareOp", compareOp, 3, .object),
        .containsOp: entry("containsOp", containsOp, 3, .object),
        .isTrue: entry("isTrue", isTrue, 1, .none),
        .getIter: entry("getIter", getIter, 1, .object),
        .forIterEnded: entry("forIterEnded", forIterEnded, 0, .status),
        .loadGlobal: entry("loadGlobal", loadGlobal, 3, .objectOrMiss),
        .loadAttr: entry("loadAttr", loadAttr, 2, .object),
        .storeAttr: entry("storeAttr", storeAttr, 3, .status),
        .loadMethod: entry("loadMethod", loadMethod, 2, .status),
        .call: entry("call", call, 3, .object),
        .binarySubscr: entry("binarySubscr", binarySubscr, 2, .object),
        .storeSubscr: entry("storeSubscr", storeSubscr, 3, .status),
        .deleteSubscr: entry("deleteSubscr", deleteSubscr, 2, .status),
        .buildSlice: entry("buildSlice", buildSlice, 3, .object),
        .buildTuple: entry("buildTuple", buildTuple, 2, .object),
        .buildList: entry("buildList", buildList, 2, .object),
        .buildSet: entry("buildSet", buildSet, 2, .object),
        .buildMap: entry("buildMap", buildMap, 2, .object),
        .buildConstKeyMap: entry("buildConstKeyMap", buildConstKeyMap, 2, .object),
        .listExtend: entry("listExtend", listExtend, 2, .status),
        .setUpdate: entry("setUpdate", setUpdate, 2, .status),
        .listAppend: entry("listAppend", listAppend, 2, .status),
        .setAdd: entry("setAdd", setAdd, 2, .status),
        .mapAdd: entry("mapAdd", mapAdd, 3, .status),
        .listToTuple: entry("listToTuple", listToTuple, 1, .object),
        .dictUpdate: entry("dictUpdate", dictUpdate, 2, .status),
        .unpackSequence: entry("unpackSequence", unpackSequence, 2, .status),
        .makeFunction: entry("makeFunction", makeFunction, 3, .object),
        .formatValue: entry("formatValue", formatValue, 3, .object),
        .buildString: entry("buildString", buildString, 2, .object),
        .leaveToInterpreter: entry("leaveToInterpreter", leaveToInterpreter, 4, .none),
        .handleEvalBreaker: entry("handleEvalBreaker", handleEvalBreaker, 1, .status),
        .dealloc: entry("_Py_Dealloc", deallocFunction, 1, .none),
        .checkRecursiveCall: entry("_Py_CheckRecursiveCall", checkRecursiveCallFunction, 2, .status),
    ]

    /// Finds the helper at an address, for listings.
    public static func named(at address: UInt64) -> String? {
        table.first(where: { $0.value.address == address })?.value.name
    }
}

/// Why compiled code handed its frame to the interpreter mid-way.
public enum ExitReason: Int32, CaseIterable {
    /// An exception: the interpreter adds the traceback entry and unwinds (throwflag 1).
    case error = 0
    /// Tracing or profiling was switched on while the frame ran.
    case tracing = 1
    /// LOAD_FAST / DELETE_FAST of an unbound local: the interpreter raises UnboundLocalError.
    case unboundLocal = 2
    /// LOAD_GLOBAL missed (NameError or an unusual namespace).
    case globalMiss = 3
    /// Code that machine code does not reach (exception handlers run in the interpreter).
    case uncompiledPath = 4
    /// `raise` and re-raise: the interpreter raises with its exact semantics and unwinds.
    case raise = 5

    public var name: String {
        switch self {
        case .error: return "exception"
        case .tracing: return "tracing"
        case .unboundLocal: return "unbound_local"
        case .globalMiss: return "global_miss"
        case .uncompiledPath: return "uncompiled_path"
        case .raise: return "raise"
        }
    }
}

/// Process-wide count of exits to the interpreter, by reason.
public enum ExitCounters {
    // Only touched with the GIL held.
    nonisolated(unsafe) public private(set) static var counts = [Int](repeating: 0, count: ExitReason.allCases.count)
    public static func record(_ reason: ExitReason) { counts[Int(reason.rawValue)] += 1 }
}
