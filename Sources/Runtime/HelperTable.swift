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
    case binaryOp, unaryOp, compareOp, containsOp, isTrue
    case getIter, forIterEnded
    case deleteAttr
    case call
    case binarySubscr, storeSubscr, deleteSubscr, buildSlice
    case buildTuple, buildList, buildSet, buildMap, buildConstKeyMap
    case listExtend, setUpdate, listAppend, setAdd, mapAdd, listToTuple, dictUpdate
    case unpackSequence, makeFunction, formatValue, buildString
    case leaveToInterpreter, handleEvalBreaker
    case raiseUnboundLocal
    case unwind, raiseVarargs, reraise, checkExcMatch, pushExcInfo, popExcept, withExceptStart
    case matchKeys, matchClass, checkEgMatch, prepReraiseStar
    case loadGlobalCached, loadAttrCached, storeAttrCached, loadMethodCached
    case makeCell, copyFreeVars, beforeWith, callFunctionEx, dictMerge, unpackEx
    case loadName, storeName, deleteName, loadClassDeref, setupAnnotations, printExpression
    case importName, importFrom, storeGlobal, deleteGlobal, loadBuildClass, getLength
    case methodDictCheck
    case returnGenerator, send, sendFinish, generatorIterNext, generatorNextFinish, getAwaitable, getAiter, getAnext, getYieldFromIter
    case beforeAsyncWith, endAsyncFor, asyncGenWrap
    case clearAndPopFrame, unpackStoreTail
    case newInstance, constructRest, initReturnedNotNone, sameClassOperatorError
    case subscriptSlice, storeSubscriptSlice, checkCallResult
    // CPython's own exports.
    case dealloc, checkRecursiveCall, longFromSsize, floatFromDouble
    // A generator's or coroutine's deallocation (shim.c): a finished one the lean way.
    case deallocGenerator

    public var descriptor: HelperDescriptor { entryForSelf }

    // Addresses are taken with unsafeBitCast at each entry: passing a C function
    // pointer through a generic parameter would re-abstract it into a Swift closure.
    private static func entry(_ name: String, _ address: UInt64, _ arity: Int, _ result: HelperResult) -> HelperDescriptor {
        HelperDescriptor(name: name, address: address, argumentCount: arity, result: result)
    }

    private static let longFromSsizeFunction: @convention(c) (Int) -> Obj? = PyLong_FromSsize_t
    private static let floatFromDoubleFunction: @convention(c) (Double) -> Obj? = PyFloat_FromDouble
    private static let unwindFunction: @convention(c) (UnsafeMutablePointer<PyThreadState>?, OpaquePointer?, Int32) -> Int32 = pyj_unwind
    private static let raiseVarargsFunction: @convention(c) (UnsafeMutablePointer<PyThreadState>?, OpaquePointer?, Int32, Int32) -> Int32 = pyj_raise_varargs
    private static let reraiseFunction: @convention(c) (UnsafeMutablePointer<PyThreadState>?, OpaquePointer?, Int32, Int32) -> Int32 = pyj_reraise
    private static let checkExcMatchFunction: @convention(c) (Obj?, Obj?) -> Int32 = pyj_check_exc_match
    private static let pushExcInfoFunction: @convention(c) (UnsafeMutablePointer<PyThreadState>?, UnsafeMutablePointer<UnsafeMutablePointer<PyObject>?>?) -> Void = pyj_push_exc_info
    private static let popExceptFunction: @convention(c) (UnsafeMutablePointer<PyThreadState>?, Obj?) -> Void = pyj_pop_except
    private static let withExceptStartFunction: @convention(c) (Obj?, Obj?) -> Obj? = pyj_with_except_start
    private typealias ThreadState = UnsafeMutablePointer<PyThreadState>?
    private typealias Slot = UnsafeMutablePointer<UnsafeMutablePointer<PyObject>?>?
    private static let returnGeneratorFunction: @convention(c) (ThreadState, OpaquePointer?) -> Obj? = pyj_return_generator
    private static let methodDictCheckFunction: @convention(c) (Obj?, Obj?) -> Int32 = pyj_method_dict_check
    private static let callFunction: @convention(c) (ThreadState, Slot, Int32, Obj?, UnsafeMutablePointer<PyjCallSite>?) -> Obj? = pyj_call
    private static let clearAndPopFrameFunction: @convention(c) (ThreadState, OpaquePointer?) -> Void = pyj_clear_and_pop_frame
    private static let unpackStoreTailFunction: @convention(c) (OpaquePointer?, Obj?, Obj?, Int32, UnsafePointer<Int32>?) -> Void = pyj_unpack_store_tail
    private static let newInstanceFunction: @convention(c) (UnsafeMutablePointer<PyTypeObject>?) -> Obj? = pyj_new_instance
    private static let constructRestFunction: @convention(c) (UnsafeMutablePointer<PyTypeObject>?, Obj?, UnsafePointer<Obj?>?, Int) -> Obj? = pyj_construct_rest
    private static let initReturnedNotNoneFunction: @convention(c) (Obj?) -> Void = pyj_init_returned_not_none
    private static let sameClassOperatorErrorFunction: @convention(c) (Obj?, Int32) -> Obj? = pyj_same_class_operator_error
    private static let subscriptSliceFunction: @convention(c) (Obj?, Obj?, Obj?, Obj?) -> Obj? = pyj_subscript_slice
    private static let storeSubscriptSliceFunction: @convention(c) (Obj?, Obj?, Obj?, Obj?, Obj?) -> Int32 = pyj_store_subscript_slice
    private static let checkCallResultFunction: @convention(c) (ThreadState, Slot, Obj?) -> Obj? = pyj_check_call_result
    private static let sendFunction: @convention(c) (ThreadState, Slot) -> Int32 = pyj_send
    private static let sendFinishFunction: @convention(c) (ThreadState, Slot, Obj?) -> Int32 = pyj_send_finish
    private static let generatorNextFinishFunction: @convention(c) (ThreadState, Obj?, Obj?) -> Obj? = pyj_gen_next_finish
    private static let generatorIterNextFunction: @convention(c) (ThreadState, Obj?) -> Obj? = pyj_gen_iternext
    private static let getAwaitableFunction: @convention(c) (ThreadState, Slot, Int32) -> Int32 = pyj_get_awaitable
    private static let getAiterFunction: @convention(c) (ThreadState, Slot) -> Int32 = pyj_get_aiter
    private static let getAnextFunction: @convention(c) (ThreadState, Obj?) -> Obj? = pyj_get_anext
    private static let getYieldFromIterFunction: @convention(c) (ThreadState, Slot, Int32) -> Int32 = pyj_get_yield_from_iter
    private static let beforeAsyncWithFunction: @convention(c) (ThreadState, Slot) -> Int32 = pyj_before_async_with
    private static let endAsyncForFunction: @convention(c) (ThreadState, OpaquePointer?, Int32) -> Int32 = pyj_end_async_for
    private static let asyncGenWrapFunction: @convention(c) (Obj?) -> Obj? = pyj_async_gen_wrap
    private static let matchKeysFunction: @convention(c) (UnsafeMutablePointer<PyThreadState>?, Obj?, Obj?) -> Obj? = pyj_match_keys
    private static let matchClassFunction: @convention(c) (UnsafeMutablePointer<PyThreadState>?, Obj?, Obj?, Int, Obj?) -> Obj? = pyj_match_class
    private static let checkEgMatchFunction: @convention(c) (UnsafeMutablePointer<PyThreadState>?, UnsafeMutablePointer<UnsafeMutablePointer<PyObject>?>?) -> Int32 = pyj_check_eg_match
    private static let prepReraiseStarFunction: @convention(c) (Obj?, Obj?) -> Obj? = pyj_prep_reraise_star
    private static let deallocFunction: @convention(c) (Obj?) -> Void = _Py_Dealloc
    private static let deallocGeneratorFunction: @convention(c) (Obj?) -> Void = pyj_dealloc
    private static let containsFunction: @convention(c) (Obj?, Obj?) -> Int32 = pyj_sequence_contains
    private static let checkRecursiveCallFunction: @convention(c) (UnsafeMutablePointer<PyThreadState>?, UnsafePointer<CChar>?) -> Int32 = _Py_CheckRecursiveCall

    /// The table: an exhaustive switch, so every helper has exactly one entry.
    private var entryForSelf: HelperDescriptor {
        switch self {
        case .binaryOp: return Helper.entry("binaryOp", unsafeBitCast(Runtime.binaryOp, to: UInt64.self), 4, .object)
        case .unaryOp: return Helper.entry("unaryOp", unsafeBitCast(Runtime.unaryOp, to: UInt64.self), 2, .object)
        case .compareOp: return Helper.entry("compareOp", unsafeBitCast(Runtime.compareOp, to: UInt64.self), 3, .object)
        // CONTAINS_OP (container, item): 1, 0, or -1 with an exception set.
        case .containsOp: return Helper.entry("pyj_sequence_contains", unsafeBitCast(Helper.containsFunction, to: UInt64.self), 2, .none)
        case .isTrue: return Helper.entry("isTrue", unsafeBitCast(Runtime.isTrue, to: UInt64.self), 1, .none)
        case .getIter: return Helper.entry("getIter", unsafeBitCast(Runtime.getIter, to: UInt64.self), 1, .object)
        case .forIterEnded: return Helper.entry("forIterEnded", unsafeBitCast(Runtime.forIterEnded, to: UInt64.self), 0, .status)
        case .deleteAttr: return Helper.entry("deleteAttr", unsafeBitCast(Runtime.deleteAttr, to: UInt64.self), 2, .status)
        // PRECALL + CALL (shim.c): direct entry into compiled functions, builtins, vectorcall.
        case .call: return Helper.entry("pyj_call", unsafeBitCast(Helper.callFunction, to: UInt64.self), 5, .object)
        case .binarySubscr: return Helper.entry("binarySubscr", unsafeBitCast(Runtime.binarySubscr, to: UInt64.self), 3, .object)
        case .storeSubscr: return Helper.entry("storeSubscr", unsafeBitCast(Runtime.storeSubscr, to: UInt64.self), 3, .status)
        case .deleteSubscr: return Helper.entry("deleteSubscr", unsafeBitCast(Runtime.deleteSubscr, to: UInt64.self), 2, .status)
        case .buildSlice: return Helper.entry("buildSlice", unsafeBitCast(Runtime.buildSlice, to: UInt64.self), 3, .object)
        case .buildTuple: return Helper.entry("buildTuple", unsafeBitCast(Runtime.buildTuple, to: UInt64.self), 2, .object)
        case .buildList: return Helper.entry("buildList", unsafeBitCast(Runtime.buildList, to: UInt64.self), 2, .object)
        case .buildSet: return Helper.entry("buildSet", unsafeBitCast(Runtime.buildSet, to: UInt64.self), 2, .object)
        case .buildMap: return Helper.entry("buildMap", unsafeBitCast(Runtime.buildMap, to: UInt64.self), 2, .object)
        case .buildConstKeyMap: return Helper.entry("buildConstKeyMap", unsafeBitCast(Runtime.buildConstKeyMap, to: UInt64.self), 2, .object)
        case .listExtend: return Helper.entry("listExtend", unsafeBitCast(Runtime.listExtend, to: UInt64.self), 2, .status)
        case .setUpdate: return Helper.entry("setUpdate", unsafeBitCast(Runtime.setUpdate, to: UInt64.self), 2, .status)
        case .listAppend: return Helper.entry("listAppend", unsafeBitCast(Runtime.listAppend, to: UInt64.self), 2, .status)
        case .setAdd: return Helper.entry("setAdd", unsafeBitCast(Runtime.setAdd, to: UInt64.self), 2, .status)
        case .mapAdd: return Helper.entry("mapAdd", unsafeBitCast(Runtime.mapAdd, to: UInt64.self), 3, .status)
        case .listToTuple: return Helper.entry("listToTuple", unsafeBitCast(Runtime.listToTuple, to: UInt64.self), 1, .object)
        case .dictUpdate: return Helper.entry("dictUpdate", unsafeBitCast(Runtime.dictUpdate, to: UInt64.self), 2, .status)
        case .unpackSequence: return Helper.entry("unpackSequence", unsafeBitCast(Runtime.unpackSequence, to: UInt64.self), 2, .status)
        case .makeFunction: return Helper.entry("makeFunction", unsafeBitCast(Runtime.makeFunction, to: UInt64.self), 3, .object)
        case .formatValue: return Helper.entry("formatValue", unsafeBitCast(Runtime.formatValue, to: UInt64.self), 3, .object)
        case .buildString: return Helper.entry("buildString", unsafeBitCast(Runtime.buildString, to: UInt64.self), 2, .object)
        case .leaveToInterpreter: return Helper.entry("leaveToInterpreter", unsafeBitCast(Runtime.leaveToInterpreter, to: UInt64.self), 4, .none)
        case .handleEvalBreaker: return Helper.entry("handleEvalBreaker", unsafeBitCast(Runtime.handleEvalBreaker, to: UInt64.self), 1, .status)
        case .dealloc: return Helper.entry("_Py_Dealloc", unsafeBitCast(Helper.deallocFunction, to: UInt64.self), 1, .none)
        case .deallocGenerator: return Helper.entry("pyj_dealloc", unsafeBitCast(Helper.deallocGeneratorFunction, to: UInt64.self), 1, .none)
        case .loadGlobalCached: return Helper.entry("loadGlobalCached", unsafeBitCast(Runtime.loadGlobalCached, to: UInt64.self), 4, .objectOrMiss)
        case .loadAttrCached: return Helper.entry("loadAttrCached", unsafeBitCast(Runtime.loadAttrCached, to: UInt64.self), 3, .object)
        case .storeAttrCached: return Helper.entry("storeAttrCached", unsafeBitCast(Runtime.storeAttrCached, to: UInt64.self), 4, .status)
        case .loadMethodCached: return Helper.entry("loadMethodCached", unsafeBitCast(Runtime.loadMethodCached, to: UInt64.self), 3, .status)
        case .raiseUnboundLocal: return Helper.entry("raiseUnboundLocal", unsafeBitCast(Runtime.raiseUnboundLocal, to: UInt64.self), 1, .none)
        // The unwinders return a handler's code-unit index, or -1: the caller dispatches.
        case .unwind: return Helper.entry("pyj_unwind", unsafeBitCast(Helper.unwindFunction, to: UInt64.self), 3, .none)
        case .raiseVarargs: return Helper.entry("pyj_raise_varargs", unsafeBitCast(Helper.raiseVarargsFunction, to: UInt64.self), 4, .none)
        case .reraise: return Helper.entry("pyj_reraise", unsafeBitCast(Helper.reraiseFunction, to: UInt64.self), 4, .none)
        case .checkExcMatch: return Helper.entry("pyj_check_exc_match", unsafeBitCast(Helper.checkExcMatchFunction, to: UInt64.self), 2, .none)
        case .pushExcInfo: return Helper.entry("pyj_push_exc_info", unsafeBitCast(Helper.pushExcInfoFunction, to: UInt64.self), 2, .none)
        case .popExcept: return Helper.entry("pyj_pop_except", unsafeBitCast(Helper.popExceptFunction, to: UInt64.self), 2, .none)
        case .withExceptStart: return Helper.entry("pyj_with_except_start", unsafeBitCast(Helper.withExceptStartFunction, to: UInt64.self), 2, .object)
        case .matchKeys: return Helper.entry("pyj_match_keys", unsafeBitCast(Helper.matchKeysFunction, to: UInt64.self), 3, .object)
        // None on no match: NULL is always an error.
        case .matchClass: return Helper.entry("pyj_match_class", unsafeBitCast(Helper.matchClassFunction, to: UInt64.self), 5, .object)
        // Rewrites the top two stack slots itself.
        case .checkEgMatch: return Helper.entry("pyj_check_eg_match", unsafeBitCast(Helper.checkEgMatchFunction, to: UInt64.self), 2, .status)
        case .prepReraiseStar: return Helper.entry("pyj_prep_reraise_star", unsafeBitCast(Helper.prepReraiseStarFunction, to: UInt64.self), 2, .object)
        case .loadName: return Helper.entry("loadName", unsafeBitCast(Runtime.loadName, to: UInt64.self), 4, .object)
        case .storeName: return Helper.entry("storeName", unsafeBitCast(Runtime.storeName, to: UInt64.self), 3, .status)
        case .deleteName: return Helper.entry("deleteName", unsafeBitCast(Runtime.deleteName, to: UInt64.self), 2, .status)
        case .loadClassDeref: return Helper.entry("loadClassDeref", unsafeBitCast(Runtime.loadClassDeref, to: UInt64.self), 3, .objectOrMiss)
        case .setupAnnotations: return Helper.entry("setupAnnotations", unsafeBitCast(Runtime.setupAnnotations, to: UInt64.self), 1, .status)
        case .printExpression: return Helper.entry("printExpression", unsafeBitCast(Runtime.printExpression, to: UInt64.self), 1, .status)
        case .makeCell: return Helper.entry("makeCell", unsafeBitCast(Runtime.makeCell, to: UInt64.self), 1, .status)
        case .copyFreeVars: return Helper.entry("copyFreeVars", unsafeBitCast(Runtime.copyFreeVars, to: UInt64.self), 3, .none)
        case .beforeWith: return Helper.entry("beforeWith", unsafeBitCast(Runtime.beforeWith, to: UInt64.self), 1, .status)
        case .callFunctionEx: return Helper.entry("callFunctionEx", unsafeBitCast(Runtime.callFunctionEx, to: UInt64.self), 2, .object)
        case .dictMerge: return Helper.entry("dictMerge", unsafeBitCast(Runtime.dictMerge, to: UInt64.self), 3, .status)
        case .unpackEx: return Helper.entry("unpackEx", unsafeBitCast(Runtime.unpackEx, to: UInt64.self), 3, .status)
        case .importName: return Helper.entry("importName", unsafeBitCast(Runtime.importName, to: UInt64.self), 5, .object)
        case .importFrom: return Helper.entry("importFrom", unsafeBitCast(Runtime.importFrom, to: UInt64.self), 2, .objectOrMiss)
        case .storeGlobal: return Helper.entry("storeGlobal", unsafeBitCast(Runtime.storeGlobal, to: UInt64.self), 3, .status)
        case .deleteGlobal: return Helper.entry("deleteGlobal", unsafeBitCast(Runtime.deleteGlobal, to: UInt64.self), 2, .none)
        case .loadBuildClass: return Helper.entry("loadBuildClass", unsafeBitCast(Runtime.loadBuildClass, to: UInt64.self), 1, .objectOrMiss)
        case .getLength: return Helper.entry("getLength", unsafeBitCast(Runtime.getLength, to: UInt64.self), 1, .object)
        // Attribute caches of kind 2 (shim.c): an instance dict's LOAD_METHOD check.
        // 1: the instance's dict does not shadow the cached method; 0: a miss.
        case .methodDictCheck: return Helper.entry("pyj_method_dict_check", unsafeBitCast(Helper.methodDictCheckFunction, to: UInt64.self), 2, .none)
        // Generators (shim.c). SEND: 0 yielded, 1 returned (jump), -1 error.
        case .returnGenerator: return Helper.entry("pyj_return_generator", unsafeBitCast(Helper.returnGeneratorFunction, to: UInt64.self), 2, .object)
        case .send: return Helper.entry("pyj_send", unsafeBitCast(Helper.sendFunction, to: UInt64.self), 2, .none)
        // (tstate, top, result): 1 returned, -1 error, after machine code resumed a delegate that did not yield.
        case .sendFinish: return Helper.entry("pyj_send_finish", unsafeBitCast(Helper.sendFinishFunction, to: UInt64.self), 3, .none)
        // (tstate, generator, result): NULL, FOR_ITER's end after machine code resumed a generator that did not yield.
        case .generatorNextFinish: return Helper.entry("pyj_gen_next_finish", unsafeBitCast(Helper.generatorNextFinishFunction, to: UInt64.self), 3, .object)
        // tp_iternext's contract: NULL is exhaustion or an error.
        case .generatorIterNext: return Helper.entry("pyj_gen_iternext", unsafeBitCast(Helper.generatorIterNextFunction, to: UInt64.self), 2, .none)
        case .getAwaitable: return Helper.entry("pyj_get_awaitable", unsafeBitCast(Helper.getAwaitableFunction, to: UInt64.self), 3, .status)
        case .getAiter: return Helper.entry("pyj_get_aiter", unsafeBitCast(Helper.getAiterFunction, to: UInt64.self), 2, .status)
        case .getAnext: return Helper.entry("pyj_get_anext", unsafeBitCast(Helper.getAnextFunction, to: UInt64.self), 2, .object)
        case .getYieldFromIter: return Helper.entry("pyj_get_yield_from_iter", unsafeBitCast(Helper.getYieldFromIterFunction, to: UInt64.self), 3, .status)
        case .beforeAsyncWith: return Helper.entry("pyj_before_async_with", unsafeBitCast(Helper.beforeAsyncWithFunction, to: UInt64.self), 2, .status)
        // -2: the loop ended (both values popped); otherwise an unwinder's result.
        case .endAsyncFor: return Helper.entry("pyj_end_async_for", unsafeBitCast(Helper.endAsyncForFunction, to: UInt64.self), 3, .none)
        // A direct call's frame with a frame object or f_locals: _PyEvalFrameClearAndPop's steps.
        case .clearAndPopFrame: return Helper.entry("pyj_clear_and_pop_frame", unsafeBitCast(Helper.clearAndPopFrameFunction, to: UInt64.self), 2, .none)
        // Fused UNPACK_SEQUENCE + STORE_FASTs whose old value dies mid-way.
        case .unpackStoreTail: return Helper.entry("pyj_unpack_store_tail", unsafeBitCast(Helper.unpackStoreTailFunction, to: UInt64.self), 5, .none)
        // Class instantiation at a call site (shim.c): allocation, the rare generic rest,
        // and __init__'s non-None result.
        case .newInstance: return Helper.entry("pyj_new_instance", unsafeBitCast(Helper.newInstanceFunction, to: UInt64.self), 1, .object)
        case .constructRest: return Helper.entry("pyj_construct_rest", unsafeBitCast(Helper.constructRestFunction, to: UInt64.self), 4, .object)
        case .initReturnedNotNone: return Helper.entry("pyj_init_returned_not_none", unsafeBitCast(Helper.initReturnedNotNoneFunction, to: UInt64.self), 1, .none)
        // A same-class operator's method returned NotImplemented (v, op): NULL, TypeError set.
        case .sameClassOperatorError: return Helper.entry("pyj_same_class_operator_error", unsafeBitCast(Helper.sameClassOperatorErrorFunction, to: UInt64.self), 2, .object)
        // BUILD_SLICE with the subscript after it, without the slice object when it can.
        case .subscriptSlice: return Helper.entry("pyj_subscript_slice", unsafeBitCast(Helper.subscriptSliceFunction, to: UInt64.self), 4, .object)
        case .storeSubscriptSlice: return Helper.entry("pyj_store_subscript_slice", unsafeBitCast(Helper.storeSubscriptSliceFunction, to: UInt64.self), 5, .status)
        // A builtin's result against its exception state (_Py_CheckFunctionResult).
        case .checkCallResult: return Helper.entry("pyj_check_call_result", unsafeBitCast(Helper.checkCallResultFunction, to: UInt64.self), 3, .object)
        case .asyncGenWrap: return Helper.entry("pyj_async_gen_wrap", unsafeBitCast(Helper.asyncGenWrapFunction, to: UInt64.self), 1, .object)
        case .longFromSsize: return Helper.entry("PyLong_FromSsize_t", unsafeBitCast(Helper.longFromSsizeFunction, to: UInt64.self), 1, .object)
        // Takes its argument in xmm0: call it with callPrepared.
        case .floatFromDouble: return Helper.entry("PyFloat_FromDouble", unsafeBitCast(Helper.floatFromDoubleFunction, to: UInt64.self), 0, .object)
        case .checkRecursiveCall: return Helper.entry("_Py_CheckRecursiveCall", unsafeBitCast(Helper.checkRecursiveCallFunction, to: UInt64.self), 2, .status)
        }
    }

}

/// Why compiled code handed its frame to the interpreter mid-way.
public enum ExitReason: Int32, CaseIterable {
    /// An exception caught by a handler that runs in the evaluator.
    case error = 0
    /// Tracing or profiling was switched on while the frame ran.
    case tracing = 1
    /// LOAD_FAST / DELETE_FAST of an unbound local: the interpreter raises UnboundLocalError.
    case unboundLocal = 2
    /// LOAD_GLOBAL missed (NameError or an unusual namespace).
    case globalMiss = 3
    // 4 was `uncompiled_path`, never emitted: every reachable instruction compiles.
    // 5 was `except_star` (CHECK_EG_MATCH, PREP_RERAISE_STAR), now compiled.
    // 6 was `star_call_shape` (f(*x, **y) with other argument types), now compiled.
    /// `from m import x` where x is not an attribute (circular imports, errors).
    case importFromMiss = 7
    // 8 was `match_pattern` (MATCH_KEYS, MATCH_CLASS), now compiled.
    /// A generator resumed where its machine code has no entry (the evaluator moved it).
    case generatorResume = 9

    public var name: String {
        switch self {
        case .error: return "exception"
        case .tracing: return "tracing"
        case .unboundLocal: return "unbound_local"
        case .globalMiss: return "global_miss"
        case .importFromMiss: return "import_from_miss"
        case .generatorResume: return "generator_resume"
        }
    }
}

/// Process-wide count of exits to the interpreter, by reason.
public enum ExitCounters {
    // Only touched with the GIL held.
    /// Indexed by raw value; retired raw values leave unused slots.
    nonisolated(unsafe) public private(set) static var counts =
        [Int](repeating: 0, count: Int(ExitReason.allCases.map(\.rawValue).max()!) + 1)
    /// Set by the module to count exits per code object too.
    nonisolated(unsafe) public static var perCodeObject: ((UnsafeMutableRawPointer, ExitReason) -> Void)?

    public static func record(_ reason: ExitReason, code: UnsafeMutableRawPointer) {
        counts[Int(reason.rawValue)] += 1
        perCodeObject?(code, reason)
    }
}
