/// Net value-stack effect of one instruction, identical to `dis.stack_effect(op, oparg, jump=jump)`
/// (CPython 3.11 `compile.c: stack_effect`). `jump` selects the taken edge of a branch; it only
/// matters for FOR_ITER, SEND and JUMP_IF_{TRUE,FALSE}_OR_POP. `oparg` is ignored by opcodes
/// without an argument.
public func stackEffect(_ op: Opcode, oparg: Int, jump: Bool) -> Int {
    switch op {
    case .cache, .nop, .extendedArg, .resume:
        return 0

    // Stack manipulation.
    case .popTop: return -1
    case .swap: return 0
    case .copy, .pushNull: return 1

    case .unaryPositive, .unaryNegative, .unaryNot, .unaryInvert: return 0

    case .setAdd, .listAppend: return -1
    case .mapAdd: return -2

    case .binarySubscr, .binaryOp: return -1
    case .storeSubscr: return -3
    case .deleteSubscr: return -2

    case .getIter: return 0
    case .printExpr: return -1
    case .loadBuildClass: return 1
    case .returnValue: return -1
    case .importStar: return -1
    case .setupAnnotations: return 0
    case .asyncGenWrap, .yieldValue: return 0
    case .popExcept: return -1

    case .storeName: return -1
    case .deleteName: return 0
    case .unpackSequence: return oparg - 1
    case .unpackEx: return (oparg & 0xFF) + (oparg >> 8)
    // Exhaustion pops the iterator and jumps; otherwise the next item is pushed.
    case .forIter: return jump ? -1 : 1
    case .send: return jump ? -1 : 0
    case .storeAttr: return -2
    case .deleteAttr: return -1
    case .storeGlobal: return -1
    case .deleteGlobal: return 0
    case .loadConst, .loadName: return 1
    case .buildTuple, .buildList, .buildSet, .buildString: return 1 - oparg
    case .buildMap: return 1 - 2 * oparg
    case .buildConstKeyMap: return -oparg
    case .loadAttr: return 0
    case .compareOp, .isOp, .containsOp: return -1
    case .checkExcMatch, .checkEgMatch: return 0
    case .importName: return -1
    case .importFrom: return 1

    // Jumps.
    case .jumpForward, .jumpBackward, .jumpBackwardNoInterrupt: return 0
    case .jumpIfTrueOrPop, .jumpIfFalseOrPop: return jump ? 0 : -1
    case .popJumpForwardIfNone, .popJumpForwardIfNotNone, .popJumpForwardIfTrue, .popJumpForwardIfFalse,
         .popJumpBackwardIfNone, .popJumpBackwardIfNotNone, .popJumpBackwardIfTrue, .popJumpBackwardIfFalse:
        return -1

    // Bit 0 of the oparg asks for a NULL below the global.
    case .loadGlobal: return (oparg & 1) + 1

    // Exception handling.
    case .prepReraiseStar: return -1
    case .reraise: return -1
    case .pushExcInfo: return 1
    case .withExceptStart: return 1

    case .loadFast: return 1
    case .storeFast: return -1
    case .deleteFast: return 0

    case .returnGenerator: return 0
    case .raiseVarargs: return -oparg

    // Calls.
    case .precall: return -oparg
    case .kwNames: return 0
    case .call: return -1
    case .callFunctionEx: return -2 - (oparg & 0x01 != 0 ? 1 : 0)
    case .makeFunction:
        // One extra operand per flag: defaults, kwdefaults, annotations, closure.
        return -((oparg & 0x01 != 0 ? 1 : 0) + (oparg & 0x02 != 0 ? 1 : 0)
            + (oparg & 0x04 != 0 ? 1 : 0) + (oparg & 0x08 != 0 ? 1 : 0))
    case .buildSlice: return oparg == 3 ? -2 : -1

    // Closures.
    case .makeCell, .copyFreeVars: return 0
    case .loadClosure, .loadDeref, .loadClassderef: return 1
    case .storeDeref: return -1
    case .deleteDeref: return 0

    // Iterators, generators, coroutines.
    case .getAwaitable: return 0
    case .beforeAsyncWith, .beforeWith: return 1
    case .getAiter: return 0
    case .getAnext: return 1
    case .getYieldFromIter: return 0
    case .endAsyncFor: return -2
    // FVS_MASK = 0x4, FVS_HAVE_SPEC = 0x4: a format spec is popped as well.
    case .formatValue: return (oparg & 0x4) == 0x4 ? -1 : 0
    case .loadMethod: return 1
    case .loadAssertionError: return 1
    case .listToTuple: return 0
    case .listExtend, .setUpdate, .dictMerge, .dictUpdate: return -1
    case .matchClass: return -2
    case .getLen, .matchMapping, .matchSequence, .matchKeys: return 1
    }
}
