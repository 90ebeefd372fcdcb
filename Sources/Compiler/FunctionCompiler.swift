import CPython
import X64
import Bytecode
import Runtime

/// Compiles one code object in a single pass: one visit function per opcode, fast
/// paths inline and slow paths (errors, exits to the interpreter) out of line.
final class FunctionCompiler {
    let view: CodeObjectView
    let decoded: DecodedCode
    let masm: MacroAssembler
    var asm: Assembler { masm.asm }

    /// One label per instruction (by position in `decoded.instructions`).
    private var instructionLabels: [Label] = []
    /// Code unit (an instruction's own index or its first EXTENDED_ARG) to position.
    private var positionOfCodeUnit: [Int: Int] = [:]
    /// Instructions reached by normal control flow. Exception handlers are reached only
    /// through the exception table, and those run in the interpreter.
    private var reachable: [Bool] = []
    private var boundLocals: [UInt64] = []
    private var slowPaths: [() -> Void] = []
    private var errorLabels: [Int: Label] = [:]
    private struct ExitKey: Hashable { let resumeAt: Int; let depth: Int; let reason: ExitReason }
    private var exitLabels: [ExitKey: Label] = [:]
    private let returnLabel: Label
    /// The start of the prologue: the entry the hook and C callers use.
    private let instructionEntry: Label
    private let exitLabel: Label
    /// After the way out's shared steps: the registers restored and returned.
    private let registersRestored: Label
    /// Where the regular and the direct entry meet: the first instruction's code.
    private let bodyStart: Label
    private let leaveLabel: Label
    private var pendingKeywordNames: Obj?
    /// Code units of the exception handlers compiled code may dispatch to.
    private var handlerTargets: [Int] = []
    /// eax holds what an unwinder returned: a handler's code unit, or -1.
    private let handlerDispatch: Label

    private var instruction: Instruction!
    private var position = 0
    private var depth = 0
    /// Instructions up to this position compiled with an earlier one (FOR_ITER and its
    /// STORE_FAST): their labels are bound, their visits skipped.
    private var skipThrough = -1
    /// The STORE_FAST compiled with the current BINARY_OP (see `guardLocalsOwnObject`).
    private struct FusedLocalStore {
        let local: Int
        let position: Int
        /// Where the code continues once the local holds the result.
        let stored: Label
    }
    private var fusedLocalStore: FusedLocalStore?
    /// The call shape the last LOAD_METHOD on a global class predicts (true: [function,
    /// class] for a classmethod), for `trackLoadedNames`; nil for other LOAD_METHODs.
    private var loadMethodPredictsMethodShape: Bool?
    /// Values at the top of the stack whose LOAD_FAST or LOAD_CONST was deferred to the
    /// next instruction, which reads them where they live (bottom first): see `Operand`.
    private var deferred: [Operand] = []
    /// Bound after the next instruction: the end of a COMPARE_OP fused with its jump.
    private var fusedCompareEnd: Label?

    private let data: RuntimeData
    private var nextGlobalCacheEntry = 0
    private var nextAttributeCacheEntry = 0
    /// Each LOAD_ATTR's and LOAD_GLOBAL's cache entry, by instruction position (for
    /// the leaf entry).
    private var attributeEntryAt: [Int: UInt64] = [:]
    private var globalEntryAt: [Int: UInt64] = [:]
    /// The ordinal of the CALL being compiled among the code's CALLs (from 0).
    private var callIndex = -1
    private var nextOperatorSite = 0
    /// Stack slots that may be a CALL's first slot, by depth: false for PUSH_NULL's and
    /// LOAD_GLOBAL's NULL and LOAD_METHOD's on a class ([NULL, callable, ...] expected),
    /// true for LOAD_METHOD's method; a slot another instruction wrote has no entry.
    private var callShapeAt: [Int: Bool] = [:]
    /// The name a stack slot's value was loaded under (LOAD_GLOBAL, LOAD_ATTR or
    /// LOAD_METHOD), by depth; an instruction that writes the slot forgets it (those
    /// that rearrange deeper slots, SWAP, may leave it stale: it is only a hint). A
    /// CALL's callable under a capitalized name gets the class-instantiation path, one
    /// LOAD_GLOBAL loaded gets the builtin or the function path by its name, and
    /// LOAD_METHOD on a capitalized global (a class) predicts the [NULL, function] shape.
    private var loadedNameAt: [Int: LoadedName] = [:]
    private struct LoadedName {
        let name: Obj
        let isGlobal: Bool
    }
    /// The entry for direct calls from machine code (`PyjCodeEntry.directEntry`), when
    /// this code can be called that way.
    private(set) var directEntry: Label?
    /// What the direct entry does (`pyjion.info(f).direct_entry`).
    private(set) var directEntryKind = DirectEntryKind.none
    /// The globals of a frame about to run this code (borrowed; only during compile).
    private let globals: Obj?

    /// A listing is wanted (dis_native, PYJION_DUMP): the assembler keeps instruction
    /// texts and comments, which name each instruction's source line. Compiling only to
    /// run skips all of it.
    private let withLineNumbers: Bool

    init(view: CodeObjectView, decoded: DecodedCode, data: RuntimeData, globals: Obj?, withLineNumbers: Bool) {
        self.withLineNumbers = withLineNumbers
        self.globals = globals
        self.view = view
        self.decoded = decoded
        self.data = data
        masm = MacroAssembler(localsPlusCount: view.localsPlusCount, recordsListing: withLineNumbers)
        returnLabel = masm.asm.newLabel()
        instructionEntry = masm.asm.newLabel()
        exitLabel = masm.asm.newLabel()
        registersRestored = masm.asm.newLabel()
        bodyStart = masm.asm.newLabel()
        leaveLabel = masm.asm.newLabel()
        handlerDispatch = masm.asm.newLabel()
    }

    // MARK: Driver

    func compile() throws -> AssembledCode {
        // Slow-path closures capture this compiler: drop them on every way out, or the
        // compiler (and all its buffers) would keep itself alive.
        defer {
            slowPaths.removeAll()
            masm.emitOutOfLine = { $0() }
        }
        masm.emitOutOfLine = { [unowned self] code in outOfLine(code) }
        let instructions = decoded.instructions
        for (position, instruction) in instructions.enumerated() {
            positionOfCodeUnit[instruction.index] = position
            positionOfCodeUnit[instruction.prefixStart] = position
        }
        instructionLabels = instructions.map { _ in asm.newLabel() }
        reachable = try findReachable()
        boundLocals = findBoundLocals()
        for (position, instruction) in instructions.enumerated() where reachable[position] {
            guard FunctionCompiler.isSupported(instruction.opcode) else {
                throw CompileError.unsupportedOpcode(
                    name: instruction.opcode.name, byteOffset: instruction.byteOffset,
                    line: view.line(atByteOffset: instruction.byteOffset))
            }
            guard decoded.stackDepthAtStart[position] != nil else {
                throw CompileError.malformedBytecode("no stack depth at offset \(instruction.byteOffset)")
            }
        }
        emitPrologue()
        for (position, instruction) in instructions.enumerated() {
            asm.bind(instructionLabels[position])
            guard reachable[position], position > skipThrough else { continue }
            self.instruction = instruction
            self.position = position
            depth = decoded.stackDepthAtStart[position]!
            asm.comment(describe(instruction))
            let endOfFusedCompare = fusedCompareEnd
            fusedCompareEnd = nil
            if !deferred.isEmpty && !FunctionCompiler.takesDeferredOperands.contains(instruction.opcode) {
                materializeDeferred()
            }
            let startDepth = depth
            try visit(instruction)
            trackLoadedNames(instruction, depth: startDepth)
            masm.lazyPrevInstr = nil
            precondition(deferred.isEmpty || [.loadFast, .loadConst].contains(instruction.opcode),
                         "\(instruction.opcode.name) left deferred operands")
            if let endOfFusedCompare { asm.bind(endOfFusedCompare) }
        }
        asm.comment("out-of-line paths")
        emitSlowPaths()
        emitEpilogue()
        emitDirectEntry()
        emitSlowPaths()
        masm.emitDeallocRoutine(floatType: TypeAddress.float)
        masm.emitHelperAddressPool()
        do {
            return try asm.finalize()
        } catch {
            throw CompileError.assembler(String(describing: error))
        }
    }

    /// Call-shape predictions and `loadedNameAt` after an instruction that started at
    /// `depth`, for the instructions after it.
    private func trackLoadedNames(_ instruction: Instruction, depth: Int) {
        let owner = loadedNameAt[depth - 1]
        // Forget what the instruction writes: slots from the one below its result up.
        // (PRECALL writes nothing: dis charges it with popping CALL's arguments.)
        if instruction.opcode != .precall {
            let after = position + 1 < decoded.instructions.count ? decoded.stackDepthAtStart[position + 1] : nil
            loadedNameAt = loadedNameAt.filter { $0.key < (after ?? 0) - 1 }
            callShapeAt = callShapeAt.filter { $0.key < (after ?? 0) - 1 }
        }
        let oparg = instruction.oparg
        switch instruction.opcode {
        case .pushNull: callShapeAt[depth] = false
        case .loadGlobal:
            if oparg & 1 != 0 { callShapeAt[depth] = false }
            loadedNameAt[depth + (oparg & 1)] = LoadedName(name: view.names[oparg >> 1], isGlobal: true)
        case .loadAttr:
            loadedNameAt[depth - 1] = LoadedName(name: view.names[oparg], isGlobal: false)
        case .loadMethod:
            // On a class (`Base.__init__(self)`), LOAD_METHOD leaves [NULL, function], but
            // [function, class] for a classmethod (`Strength.stronger(a, b)`).
            let onClass = owner.map { $0.isGlobal && FunctionCompiler.looksLikeClass($0.name) } ?? false
            callShapeAt[depth - 1] = loadMethodPredictsMethodShape ?? !onClass
            loadedNameAt[depth - 1] = LoadedName(name: view.names[oparg], isGlobal: false)
        default: break
        }
    }

    /// Code emitted after the function body. It runs with the lazy `prev_instr` of the
    /// instruction that asked for it (see `MacroAssembler.lazyPrevInstr`), or `nil` for
    /// code shared between instructions.
    private func outOfLine(_ body: @escaping () -> Void) {
        outOfLine(lazyPrevInstr: masm.lazyPrevInstr, body)
    }

    private func outOfLine(lazyPrevInstr unit: Int?, _ body: @escaping () -> Void) {
        slowPaths.append { [unowned self] in masm.withLazyPrevInstr(unit, body) }
    }

    /// This instruction stores `prev_instr` only on its way into a call.
    private func setPrevInstrLazily() { masm.lazyPrevInstr = instruction.index }

    private func emitSlowPaths() {
        var index = 0
        while index < slowPaths.count {  // slow paths may add slow paths
            slowPaths[index]()
            index += 1
        }
        slowPaths.removeAll()
    }

    private func describe(_ instruction: Instruction) -> String {
        var text = "\(instruction.byteOffset) \(instruction.opcode.name)"
        if instruction.opcode.hasArgument { text += " \(instruction.oparg)" }
        // PyCode_Addr2Line scans the line table from its start: only for listings.
        if withLineNumbers { text += "  (line \(view.line(atByteOffset: instruction.byteOffset)))" }
        return text + "  (depth \(depth))"
    }

    private func position(ofCodeUnit unit: Int) throws -> Int {
        guard let position = positionOfCodeUnit[unit] else {
            throw CompileError.malformedBytecode("jump to code unit \(unit)")
        }
        return position
    }

    private static let endsBlock: Set<Opcode> = [
        .returnValue, .raiseVarargs, .reraise, .jumpForward, .jumpBackward, .jumpBackwardNoInterrupt,
    ]

    /// Instructions reached by normal control flow, and handlers whose protected range
    /// holds reachable code (the exception table's edges).
    private func findReachable() throws -> [Bool] {
        let instructions = decoded.instructions
        var seen = [Bool](repeating: false, count: instructions.count)
        var work = instructions.isEmpty ? [] : [0]
        var handlersAdded = Set<Int>()
        repeat {
            while let position = work.popLast() {
                if seen[position] { continue }
                seen[position] = true
                let instruction = instructions[position]
                if let target = instruction.jumpTarget { work.append(try self.position(ofCodeUnit: target)) }
                if !FunctionCompiler.endsBlock.contains(instruction.opcode), position + 1 < instructions.count {
                    work.append(position + 1)
                }
            }
            for entry in decoded.exceptionTable where !handlersAdded.contains(entry.target) {
                // Walk only the entry's own range: instructions are in code-unit order.
                var position = firstPosition(atOrAfter: entry.start)
                while position < instructions.count, instructions[position].index < entry.end {
                    if seen[position] {
                        handlersAdded.insert(entry.target)
                        work.append(try self.position(ofCodeUnit: entry.target))
                        break
                    }
                    position += 1
                }
            }
        } while !work.isEmpty
        handlerTargets = handlersAdded.sorted()
        return seen
    }

    /// Locals (index < 64) surely bound when each instruction starts, as a bit set: a
    /// forward "definitely assigned" analysis. STORE_FAST and a LOAD_FAST that went on
    /// (an unbound one leaves compiled code) bind; DELETE_FAST unbinds. Code entered
    /// other than by falling through (the start, exception handlers, generator resume
    /// points) assumes only the arguments no DELETE_FAST touches; generator code assumes
    /// nothing, as a debugger may delete a local through `f_locals` while the frame is
    /// suspended or traced in the evaluator, and the frame may come back here after.
    private func findBoundLocals() -> [UInt64] {
        let instructions = decoded.instructions
        var deleted: UInt64 = 0
        for instruction in instructions where instruction.opcode == .deleteFast && instruction.oparg < 64 {
            deleted |= 1 << UInt64(instruction.oparg)
        }
        let arguments = min(view.argumentCount, 64)
        let argumentBits: UInt64 = arguments == 64 ? ~0 : (1 << UInt64(arguments)) - 1
        let entry: UInt64 = isGeneratorLike ? 0 : argumentBits & ~deleted
        // nil: not reached yet (the top of the lattice).
        var state = [UInt64?](repeating: nil, count: instructions.count)
        var work: [Int] = []
        func flow(_ bits: UInt64, into position: Int) {
            guard position < instructions.count else { return }
            let merged = state[position].map { $0 & bits } ?? bits
            if merged != state[position] {
                state[position] = merged
                work.append(position)
            }
        }
        var entries = [0]
        entries += handlerTargets.compactMap { positionOfCodeUnit[$0] }
        if isGeneratorLike { entries += resumePoints().map(\.position) }
        for position in entries { flow(entry, into: position) }
        while let position = work.popLast() {
            let instruction = instructions[position]
            var bits = state[position]!
            let local = instruction.oparg < 64 ? UInt64(1) << UInt64(instruction.oparg) : 0
            switch instruction.opcode {
            case .storeFast, .loadFast: bits |= local
            case .deleteFast: bits &= ~local
            default: break
            }
            if let target = instruction.jumpTarget, let targetPosition = positionOfCodeUnit[target] {
                flow(bits, into: targetPosition)
            }
            if !FunctionCompiler.endsBlock.contains(instruction.opcode) { flow(bits, into: position + 1) }
        }
        return state.map { $0 ?? 0 }
    }

    /// Whether local `index` is surely bound when the current instruction starts.
    private func isBound(_ index: Int) -> Bool { isBound(index, at: position) }
    private func isBound(_ index: Int, at position: Int) -> Bool {
        index < 64 && boundLocals[position] & (1 << UInt64(index)) != 0
    }

    /// The first instruction whose code unit is at or after `unit` (binary search).
    private func firstPosition(atOrAfter unit: Int) -> Int {
        let instructions = decoded.instructions
        var low = 0
        var high = instructions.count
        while low < high {
            let middle = (low + high) / 2
            if instructions[middle].index < unit { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private func label(forCodeUnit unit: Int) throws -> Label {
        instructionLabels[try position(ofCodeUnit: unit)]
    }

    // MARK: Prologue and epilogue: the frame protocol of _PyEval_EvalFrameDefault

    private static let emptyCString = UInt64(UInt(bitPattern: StaticString("").utf8Start))
    private static let callingPythonObject = UInt64(UInt(bitPattern: StaticString(" while calling a Python object").utf8Start))

    private func emitPrologue() {
        asm.comment("prologue: save registers, recursion check, link the cframe")
        asm.bind(instructionEntry)
        emitFrameEntry(direct: false)
        asm.bind(bodyStart)
        if isGeneratorLike { emitResumeDispatch() }
        // While running, stacktop is -1 so nobody reads stale slots.
        asm.mov(masm.stackTop, imm: -1)
    }

    /// The machine-stack frame and the interpreter's entry protocol, shared by the
    /// regular entry and the direct one: registers saved, the recursion count taken,
    /// this code's cframe linked. A direct entry marks its cframe (`directCallMark`),
    /// so that the exit pops the frame its caller pushed.
    private func emitFrameEntry(direct: Bool) {
        asm.push(.rbp)
        asm.mov(.rbp, .rsp)
        if direct {
            // r12 (the thread state) and r13 (the eval breaker's address): the caller's.
            for register in FrameLayout.directSavedRegisters { asm.push(register) }
            asm.sub(.rsp, imm: FrameLayout.directCframeSpace)
        } else {
            for register in FrameLayout.savedRegisters { asm.push(register) }
            asm.sub(.rsp, imm: FrameLayout.cframeSize)
            asm.mov(FrameLayout.threadState, .rdi)
        }
        asm.mov(FrameLayout.frame, .rsi)
        if direct {
            asm.mov(FrameLayout.directCallMark, imm: 1)
            emitDirectFrameSetup()
        }

        // if (tstate->recursion_remaining-- <= 0 && _Py_CheckRecursiveCall(tstate, "")) return NULL;
        let recursionChecked = asm.newLabel()
        let recursionSlow = asm.newLabel()
        asm.sub(.dword(FrameLayout.threadState, offsets.tstate_recursion_remaining), imm: 1)
        asm.jcc(.less, recursionSlow)
        asm.bind(recursionChecked)
        outOfLine { [self] in
            asm.bind(recursionSlow)
            masm.callHelper(.checkRecursiveCall, [.threadState, .immediate(Int64(FunctionCompiler.emptyCString))])
            asm.test(.eax, .eax)
            asm.jcc(.equal, recursionChecked)
            // The check restored the counter; nothing is linked yet (a direct entry
            // still pops its frame).
            asm.xor(.eax, .eax)
            asm.jmp(direct ? exitLabel : registersRestored)
        }

        // cframe.use_tracing = prev->use_tracing; cframe.previous = prev; tstate->cframe = &cframe;
        asm.mov(.rax, .qword(FrameLayout.threadState, offsets.tstate_cframe))
        asm.movzx(.ecx, .byte(.rax, offsets.cframe_use_tracing))
        if direct {
            asm.mov(FrameLayout.cframeUseTracing, .cl)
        } else {
            // A dword store: use_tracing and a clear direct-call mark (padding after it).
            asm.mov(.dword(.rsp, offsets.cframe_use_tracing), .ecx)
        }
        asm.mov(FrameLayout.cframePrevious, .rax)
        asm.mov(.qword(FrameLayout.threadState, offsets.tstate_cframe), .rsp)
        // frame->is_entry = true; frame->previous = prev->current_frame; cframe.current_frame = frame;
        asm.mov(.byte(FrameLayout.frame, offsets.frame_is_entry), imm: 1)
        asm.mov(.rcx, .qword(.rax, offsets.cframe_current_frame))
        asm.mov(.qword(FrameLayout.frame, offsets.frame_previous), .rcx)
        asm.mov(FrameLayout.cframeCurrentFrame, FrameLayout.frame)
        // The eval breaker's address and the instruction base stay in registers.
        if !direct {
            asm.mov(FrameLayout.evalBreaker, .qword(FrameLayout.threadState, offsets.tstate_interp))
            asm.lea(FrameLayout.evalBreaker, .qword(FrameLayout.evalBreaker, offsets.interp_eval_breaker))
        }
        masm.loadAddress(FrameLayout.firstInstruction, view.firstInstruction)
    }

    private func emitEpilogue() {
        asm.comment("return: unlink the cframe (copying use_tracing back), leave the recursion count")
        asm.bind(returnLabel)
        asm.mov(.rcx, FrameLayout.cframePrevious)
        asm.mov(.qword(FrameLayout.threadState, offsets.tstate_cframe), .rcx)
        asm.movzx(.edx, FrameLayout.cframeUseTracing)
        asm.mov(.byte(.rcx, offsets.cframe_use_tracing), .dl)
        asm.add(.dword(FrameLayout.threadState, offsets.tstate_recursion_remaining), imm: 1)
        asm.bind(exitLabel)
        if takesDirectCalls {
            // Most runs of such code are direct calls: their frame pop falls through,
            // then the direct entry's registers come back.
            asm.cmp(FrameLayout.directCallMark, imm: 0)
            asm.jcc(.equal, registersRestored)
            emitDirectFramePop()
            asm.add(.rsp, imm: FrameLayout.directCframeSpace)
            for register in FrameLayout.directSavedRegisters.reversed() { asm.pop(register) }
            asm.pop(.rbp)
            asm.ret()
        }
        asm.bind(registersRestored)
        asm.add(.rsp, imm: FrameLayout.cframeSize)
        for register in FrameLayout.savedRegisters.reversed() { asm.pop(register) }
        asm.pop(.rbp)
        asm.ret()

        emitHandlerDispatch()

        asm.comment("leave to the interpreter: ecx = reason; prev_instr and stacktop are set")
        asm.bind(leaveLabel)
        asm.mov(.rdi, FrameLayout.threadState)
        asm.mov(.rsi, FrameLayout.frame)
        asm.mov(.rdx, .rsp)
        masm.callPrepared(.leaveToInterpreter)
        asm.jmp(exitLabel)
    }

    /// Code a caller's machine code may call directly: no generator (the frame must
    /// stay where the caller put it), and only positional parameters, as a direct call
    /// binds them.
    private var takesDirectCalls: Bool {
        !isGeneratorLike && view.flags & (0x04 | 0x08) == 0 && view.keywordOnlyArgumentCount == 0
    }

    /// The entry for direct calls (see `PyjCodeEntry.directEntry`): rdi = thread
    /// state, rsi = a frame reserved at datastack_top whose f_func (a reference),
    /// f_globals, f_builtins and arguments the caller set. The regular entry's
    /// protocol with the frame set up first; on every way out (`exitLabel` sees the
    /// mark), _PyEvalFrameClearAndPop's steps, the locals' count known here.
    private func emitDirectEntry() {
        guard takesDirectCalls else { return }
        let entry = asm.newLabel()
        directEntry = entry
        directEntryKind = .full
        if let result = trivialResult {
            directEntryKind = .trivial
            emitTrivialDirectEntry(entry, result)
        } else if let region = leafRegion {
            directEntryKind = .leaf
            emitLeafDirectEntry(entry, region: region)
        }
        asm.comment("direct entry: set up the frame a caller's machine code reserved, run, pop it")
        asm.bind(entry)
        emitFrameEntry(direct: true)
        asm.jmp(bodyStart)
    }

    /// What a body of `return <argument>` or `return <constant>` returns
    /// (`def must_be_vector(self): return self`, `def is_point(self): return True`).
    private enum TrivialResult {
        case argument(Int)
        case constant(UInt64)
    }

    /// The result of code that is exactly RESUME 0; LOAD_FAST of an argument or
    /// LOAD_CONST; RETURN_VALUE, with no locals but its arguments.
    private var trivialResult: TrivialResult? {
        let instructions = decoded.instructions
        guard instructions.count == 3, instructions[0].opcode == .resume, instructions[0].oparg == 0,
              instructions[2].opcode == .returnValue,
              view.localsPlusCount == view.positionalArgumentCount else { return nil }
        switch instructions[1].opcode {
        case .loadFast where instructions[1].oparg < view.positionalArgumentCount:
            return .argument(instructions[1].oparg)
        case .loadConst:
            return .constant(UInt64(UInt(bitPattern: constant(instructions[1].oparg))))
        default:
            return nil
        }
    }

    /// The direct entry of a body that only returns an argument or a constant: the
    /// result taken and the frame the caller pushed popped as `_PyEvalFrameClearAndPop`
    /// would pop it, without linking it, since nothing runs that could see it (no
    /// line, no call, no instruction that can fail; a tracer or profiler keeps calls
    /// out of the direct path). At the recursion limit, where the call would check
    /// the recursion, the full entry `entry` runs. rsi = the frame; r12 = the thread
    /// state. Then as `emitDirectFramePop`: the arguments and f_func released (f_code
    /// was never set), a deallocation charged one recursion level.
    private func emitTrivialDirectEntry(_ entry: Label, _ result: TrivialResult) {
        asm.comment("direct entry of `return \(result)`: the result, the frame popped unlinked")
        let trivialEntry = asm.newLabel()
        directEntry = trivialEntry
        asm.bind(trivialEntry)
        emitUnlinkedEntry(fullEntry: entry)
        switch result {
        case .argument(let index): asm.mov(.rax, masm.local(index))
        case .constant(let address): masm.loadAddress(.rax, address)
        }
        emitUnlinkedReturn()
    }

    /// The start of a direct entry that runs without linking its frame (trivial and
    /// leaf bodies): at the recursion limit, where the call would check the recursion,
    /// the full entry `fullEntry` runs instead. Then rbx = the frame (rsi), saved.
    private func emitUnlinkedEntry(fullEntry: Label) {
        asm.cmp(.dword(FrameLayout.threadState, offsets.tstate_recursion_remaining), imm: 0)
        asm.jcc(.lessOrEqual, fullEntry)
        asm.push(.rbx)
        asm.sub(.rsp, imm: 16)  // the result's home across a deallocation; rsp 16-aligned
        asm.mov(.rbx, .rsi)
    }

    /// The way out of an unlinked direct entry, rax = a borrowed result: a reference
    /// taken to it, then the frame the caller pushed popped as `_PyEvalFrameClearAndPop`
    /// would pop it (the arguments and f_func released; f_code was never set), a
    /// deallocation charged one recursion level.
    private func emitUnlinkedReturn() {
        masm.incref(.rax)
        var deallocations: [(Label, Label)] = []
        for slot in (0..<view.positionalArgumentCount).map({ masm.local($0) }) + [.qword(.rbx, offsets.frame_func)] {
            let dies = asm.newLabel()
            let next = asm.newLabel()
            asm.mov(.rdi, slot)
            asm.dec(.qword(.rdi, offsets.object_refcnt))
            asm.jcc(.equal, dies)
            asm.bind(next)
            deallocations.append((dies, next))
        }
        asm.mov(.qword(FrameLayout.threadState, offsets.tstate_datastack_top), .rbx)
        asm.add(.rsp, imm: 16)
        asm.pop(.rbx)
        asm.ret()
        outOfLine(lazyPrevInstr: nil) { [self] in
            for (dies, next) in deallocations {
                asm.bind(dies)
                asm.mov(.qword(.rsp), .rax)
                asm.sub(.dword(FrameLayout.threadState, offsets.tstate_recursion_remaining), imm: 1)
                asm.call(masm.deallocRoutine)
                asm.add(.dword(FrameLayout.threadState, offsets.tstate_recursion_remaining), imm: 1)
                asm.mov(.rax, .qword(.rsp))
                asm.jmp(next)
            }
        }
    }

    // MARK: Leaf bodies

    /// Opcodes a read-only leaf body may hold: they read arguments, constants, globals,
    /// instance and class attributes, take `len()`, compare, test and branch forward,
    /// and return.
    /// (Attribute stores, buffered until the return, were tried: __init__ and setters
    /// ran no faster, the buffering costing what the frame saved.)
    private static let leafOpcodes: Set<Opcode> = [
        .resume, .nop, .loadFast, .storeFast, .loadConst, .loadGlobal, .loadAttr, .binarySubscr, .compareOp, .isOp,
        .unaryNot, .precall, .call,
        .popJumpForwardIfTrue, .popJumpForwardIfFalse, .popJumpForwardIfNone, .popJumpForwardIfNotNone,
        .jumpIfTrueOrPop, .jumpIfFalseOrPop, .jumpForward, .returnValue,
    ]

    /// Whether `instruction` (at `position`) has a leaf form: one of leafOpcodes, on
    /// the locals a leaf may use (arguments read; other locals, which a leaf keeps
    /// borrowed values in, read and written), with the caches its leaf form reads.
    private func hasLeafForm(_ instruction: Instruction, at position: Int) -> Bool {
        guard FunctionCompiler.leafOpcodes.contains(instruction.opcode) else { return false }
        switch instruction.opcode {
        case .resume: return instruction.oparg == 0
        case .loadFast: return instruction.oparg < view.localsPlusCount
        case .storeFast: return instruction.oparg >= view.positionalArgumentCount && instruction.oparg < view.localsPlusCount
        case .loadAttr: return attributeEntryAt[position] != nil
        case .loadGlobal: return globalEntryAt[position] != nil
        case .compareOp: return Condition(richCompare: instruction.oparg) != nil
        case .precall, .call:
            // `len(x)`: one argument, no keywords (KW_NAMES is not a leaf opcode).
            return instruction.oparg == 1 && FunctionCompiler.builtinLen != nil
        default: return true
        }
    }

    /// The instructions a leaf entry runs: those reached from the start through
    /// instructions with a leaf form (the first one without, where a path leaves the
    /// leaf, starts the call over), when a return is among them and at most 48 are,
    /// in code without loops.
    /// (`return self.holding or ...`, `return len(self.cells[i]) == 1`, and the common
    /// path of `ref = self.ref; if ref.pos != self.pos: <call, store>; return ref`.)
    private var leafRegion: Set<Int>? {
        let instructions = decoded.instructions
        // Code with a loop: a leaf would cover only its early ways out (count_primes'
        // `while n < limit` not entered), a second copy of code that mostly starts over.
        guard !instructions.contains(where: { $0.opcode.jump == .backward }) else { return nil }
        var region: Set<Int> = []
        var work = [0]
        var returns = false
        while let position = work.popLast() {
            guard position < instructions.count, region.insert(position).inserted else { continue }
            let instruction = instructions[position]
            guard hasLeafForm(instruction, at: position) else { continue }  // starts over
            if instruction.opcode == .returnValue { returns = true }
            if let target = instruction.jumpTarget, let targetPosition = positionOfCodeUnit[target] {
                work.append(targetPosition)  // forward: code with a backward jump has no leaf
            }
            if !FunctionCompiler.endsBlock.contains(instruction.opcode) { work.append(position + 1) }
        }
        return returns && region.count <= 48 ? region : nil
    }

    /// The direct entry of a read-only leaf body: the body runs in the frame the caller
    /// pushed, without linking it, on borrowed values (arguments, constants, globals,
    /// attributes, list and tuple items), with only each instruction's fast path (for
    /// bools, None, one-digit ints and floats), as nothing it does can run code or
    /// fail; any other case starts the call over through the full direct entry
    /// (nothing has happened yet: the arguments are in place and no reference was
    /// taken). A return takes a reference to its value and pops the frame.
    private func emitLeafDirectEntry(_ entry: Label, region: Set<Int>) {
        asm.comment("direct entry of a read-only leaf body: run unlinked on borrowed values, else the full entry")
        let leafEntry = asm.newLabel()
        let startOver = asm.newLabel()
        directEntry = leafEntry
        let instructions = decoded.instructions
        asm.bind(leafEntry)
        // A leaf that mostly starts over is turned off (see startOver below).
        masm.loadAddress(.rax, UInt64(UInt(bitPattern: data.leafOff)))
        asm.cmp(.qword(.rax), imm: 0)
        asm.jcc(.notEqual, entry)
        emitUnlinkedEntry(fullEntry: entry)
        // Other locals hold borrowed values while the leaf runs; none is bound yet.
        if view.localsPlusCount > view.positionalArgumentCount {
            asm.xor(.eax, .eax)
            for index in view.positionalArgumentCount..<view.localsPlusCount { asm.mov(masm.local(index), .rax) }
        }
        let labels = instructions.map { _ in asm.newLabel() }
        func target(_ instruction: Instruction) -> Label { labels[positionOfCodeUnit[instruction.jumpTarget!]!] }
        let trueObject = FunctionCompiler.trueObject
        let falseObject = FunctionCompiler.falseObject
        let noneObject = FunctionCompiler.noneObject
        /// Branches to `ifTrue` or `ifFalse` on the truth of the object in rax (True,
        /// False or None); anything else starts over.
        func truth(ifTrue: Label, ifFalse: Label) {
            masm.compareWithConstant(.rax, trueObject)
            asm.jcc(.equal, ifTrue)
            masm.compareWithConstant(.rax, falseObject)
            asm.jcc(.equal, ifFalse)
            masm.compareWithConstant(.rax, noneObject)
            asm.jcc(.equal, ifFalse)
            asm.jmp(startOver)
        }
        /// rax = True where control comes to `isTrue`, False where it comes to (or
        /// falls through into) `isFalse`.
        func selectBoolean(isTrue: Label, isFalse: Label) {
            let done = asm.newLabel()
            asm.bind(isFalse)
            masm.loadAddress(.rax, falseObject)
            asm.jmp(done)
            asm.bind(isTrue)
            masm.loadAddress(.rax, trueObject)
            asm.bind(done)
        }
        /// rax = True or False by the condition flags; `unordered` (a float compare
        /// with a NaN, parity set) gives its own answer.
        func boolean(_ condition: Condition, unordered: Bool? = nil) {
            let isTrue = asm.newLabel()
            let isFalse = asm.newLabel()
            if let unordered { asm.jcc(.parity, unordered ? isTrue : isFalse) }
            asm.jcc(condition, isTrue)
            selectBoolean(isTrue: isTrue, isFalse: isFalse)
        }
        for (position, instruction) in instructions.enumerated() {
            asm.bind(labels[position])
            guard region.contains(position) else { continue }
            let depth = decoded.stackDepthAtStart[position]!
            let oparg = instruction.oparg
            asm.comment("leaf: \(instruction.byteOffset) \(instruction.opcode.name) \(oparg)")
            guard hasLeafForm(instruction, at: position) else {
                asm.jmp(startOver)  // the leaf ends here: the full entry runs the call
                continue
            }
            switch instruction.opcode {
            case .resume, .nop:
                break
            case .loadFast:
                asm.mov(.rax, masm.local(oparg))
                if oparg >= view.positionalArgumentCount {
                    asm.test(.rax, .rax)
                    asm.jcc(.equal, startOver)  // unbound: the full entry raises
                }
                asm.mov(stack(depth), .rax)
            case .storeFast:
                // A borrowed value into a local that is not an argument (the full entry
                // clears those again, and the leaf's return releases only arguments).
                asm.mov(.rax, stack(depth - 1))
                asm.mov(masm.local(oparg), .rax)
            case .loadConst:
                masm.loadAddress(.rax, UInt64(UInt(bitPattern: constant(oparg))))
                asm.mov(stack(depth), .rax)
            case .loadAttr:
                // The site's cache entry for the owner's type (any way, as a method's
                // self may be of several subclasses): an instance's value or member;
                // or, for a class, a plain class attribute (`Direction.FORWARD`).
                let isClass = asm.newLabel()
                let haveValue = asm.newLabel()
                let entry = attributeEntryAt[position]!
                asm.mov(.rdi, stack(depth - 1))
                asm.mov(.rax, .qword(.rdi, offsets.object_type))
                masm.compareWithConstant(.rax, TypeAddress.type)
                asm.jcc(.equal, isClass)
                // The slot: a value in the instance's values, a `__slots__` member or
                // the entry at the hint in a real instance dict (reads only).
                instanceValueSlot(.rdi, entry: entry, startOver, name: name(oparg))
                asm.mov(.rax, .qword(.rax))
                asm.test(.rax, .rax)
                asm.jcc(.equal, startOver)
                asm.bind(haveValue)
                asm.mov(stack(depth - 1), .rax)
                outOfLine { [self] in
                    asm.bind(isClass)
                    asm.mov(.eax, .dword(.rdi, offsets.type_version_tag))
                    asm.or(.rax, .qword(rip: masm.constantLabel(FunctionCompiler.classAttributeTag)))
                    findSiteEntry(tagged: .rax, entry: entry, startOver)
                    asm.cmp(.qword(.rcx, AttributeCacheEntry.indexOffset), imm: 0)  // a plain value
                    asm.jcc(.notEqual, startOver)
                    asm.mov(.rax, .qword(.rcx, AttributeCacheEntry.objectOffset))
                    asm.jmp(haveValue)
                }
            case .loadGlobal:
                // The site's entry while the globals' and builtins' versions stand (the
                // globals hold the value meanwhile).
                loadGlobalByVersions(entry: globalEntryAt[position]!, otherwise: startOver)
                if oparg & 1 != 0 {
                    asm.mov(stack(depth), imm: 0)  // the NULL before a callable
                    asm.mov(stack(depth + 1), .rax)
                } else {
                    asm.mov(stack(depth), .rax)
                }
            case .precall:
                break
            case .call:
                // [NULL, builtins.len, x]: an exact list's, tuple's, str's, dict's, set's
                // or frozenset's size, as CPython's cached int (0...256).
                // (dis charges PRECALL with popping the argument: CALL starts at [NULL, len].)
                let base = depth - 2
                asm.cmp(stack(base), imm: 0)
                asm.jcc(.notEqual, startOver)
                asm.mov(.rax, stack(base + 1))
                asm.cmp(.rax, .qword(rip: masm.constantLabel(FunctionCompiler.builtinLen!)))
                asm.jcc(.notEqual, startOver)
                asm.mov(.rdi, stack(base + 2))
                loadExactSize(of: .rdi, otherwise: startOver)
                asm.cmp(.rcx, imm: Int32(SmallInts.range.upperBound))
                asm.jcc(.above, startOver)
                asm.imul(.rax, .rcx, imm: Int32(SmallInts.stride))
                asm.add(.rax, .qword(rip: masm.constantLabel(SmallInts.zero)))
                asm.mov(stack(base), .rax)
            case .binarySubscr:
                // An exact list's or tuple's item at a non-negative one-digit index.
                let isTuple = asm.newLabel()
                let haveItem = asm.newLabel()
                let checkIndex = asm.newLabel()
                asm.mov(.rdi, stack(depth - 2))
                asm.mov(.rsi, stack(depth - 1))
                asm.mov(.rax, .qword(.rdi, offsets.object_type))
                masm.jump(ifType: .rax, isOneOf: [TypeAddress.list, TypeAddress.tuple], to: checkIndex)
                asm.jmp(startOver)
                asm.bind(checkIndex)
                masm.guardType(.rsi, TypeAddress.long, startOver)
                masm.loadCompactIndex(.rsi, into: .rdx, startOver)
                asm.cmp(.rdx, .qword(.rdi, offsets.var_size))
                asm.jcc(.aboveOrEqual, startOver)
                asm.mov(.rax, .qword(.rdi, offsets.object_type))
                masm.compareWithConstant(.rax, TypeAddress.tuple)
                asm.jcc(.equal, isTuple)
                asm.mov(.rax, .qword(.rdi, offsets.list_items))
                asm.mov(.rax, .qword(.rax, index: .rdx, scale: .x8))
                asm.jmp(haveItem)
                asm.bind(isTuple)
                asm.mov(.rax, .qword(.rdi, index: .rdx, scale: .x8, offsets.tuple_items))
                asm.bind(haveItem)
                asm.mov(stack(depth - 2), .rax)
            case .compareOp:
                // Two one-digit ints, or two floats (a NaN compares as float_richcompare
                // has it: only != is true).
                let floats = asm.newLabel()
                let compared = asm.newLabel()
                let condition = Condition(richCompare: oparg)!
                asm.mov(.rdi, stack(depth - 2))
                asm.mov(.rsi, stack(depth - 1))
                masm.guardType(.rdi, TypeAddress.long, floats)
                masm.guardType(.rsi, TypeAddress.long, startOver)
                masm.loadCompactInt(.rdi, into: .rdx, startOver)
                masm.loadCompactInt(.rsi, into: .r8, startOver)
                asm.cmp(.rdx, .r8)
                boolean(condition)
                asm.bind(compared)
                asm.mov(stack(depth - 2), .rax)
                outOfLine { [self] in
                    asm.bind(floats)
                    masm.guardType(.rdi, TypeAddress.float, startOver)
                    masm.guardType(.rsi, TypeAddress.float, startOver)
                    // a < b as b > a, so that an unordered result reads as false.
                    let swapped = condition == .less || condition == .lessOrEqual
                    asm.movsd(.xmm0, .qword(swapped ? .rsi : .rdi, offsets.float_value))
                    asm.movsd(.xmm1, .qword(swapped ? .rdi : .rsi, offsets.float_value))
                    asm.ucomisd(.xmm0, .xmm1)
                    switch condition {
                    case .less, .greater: boolean(.above, unordered: false)
                    case .lessOrEqual, .greaterOrEqual: boolean(.aboveOrEqual, unordered: false)
                    case .equal: boolean(.equal, unordered: false)
                    default: boolean(.notEqual, unordered: true)
                    }
                    asm.jmp(compared)
                }
            case .isOp:
                asm.mov(.rdx, stack(depth - 2))
                asm.cmp(.rdx, stack(depth - 1))
                boolean(oparg == 0 ? .equal : .notEqual)
                asm.mov(stack(depth - 2), .rax)
            case .unaryNot:
                let isFalse = asm.newLabel()
                let isTrue = asm.newLabel()
                asm.mov(.rax, stack(depth - 1))
                truth(ifTrue: isFalse, ifFalse: isTrue)
                selectBoolean(isTrue: isTrue, isFalse: isFalse)
                asm.mov(stack(depth - 1), .rax)
            case .popJumpForwardIfTrue, .popJumpForwardIfFalse, .jumpIfTrueOrPop, .jumpIfFalseOrPop:
                // Values are borrowed, so a pop is only the depth the next instruction
                // starts at (JUMP_IF_*_OR_POP leave the value for their target).
                let next = labels[position + 1]
                asm.mov(.rax, stack(depth - 1))
                if [.popJumpForwardIfTrue, .jumpIfTrueOrPop].contains(instruction.opcode) {
                    truth(ifTrue: target(instruction), ifFalse: next)
                } else {
                    truth(ifTrue: next, ifFalse: target(instruction))
                }
            case .popJumpForwardIfNone, .popJumpForwardIfNotNone:
                asm.mov(.rax, stack(depth - 1))
                masm.compareWithConstant(.rax, noneObject)
                asm.jcc(instruction.opcode == .popJumpForwardIfNone ? .equal : .notEqual, target(instruction))
            case .jumpForward:
                asm.jmp(target(instruction))
            case .returnValue:
                asm.mov(.rax, stack(depth - 1))
                emitUnlinkedReturn()
            default:
                preconditionFailure("\(instruction.opcode.name) in a leaf body")
            }
        }
        asm.bind(startOver)
        // Counted; past 512, a leaf that started over on more than half of its runs
        // (the record's count, reached through f_func's code) is turned off (leafOff,
        // which the leaf entry checks first).
        let keepOn = asm.newLabel()
        masm.loadAddress(.rax, UInt64(UInt(bitPattern: data.leafStartOvers)))
        asm.inc(.qword(.rax))
        asm.mov(.rcx, .qword(.rax))
        asm.cmp(.rcx, imm: 512)
        asm.jcc(.less, keepOn)
        asm.mov(.rdx, .qword(FrameLayout.frame, offsets.frame_func))
        asm.mov(.rdx, .qword(.rdx, offsets.function_code))
        asm.mov(.rdx, .qword(.rdx, offsets.code_extra))
        asm.mov(.rdx, .qword(.rdx, offsets.code_extra_items + 8 * Int32(pyj_extra_index)))
        // startOvers * 2 > runs: more than half started over. (At 60%, go's
        // Square.find ran 1% slower as a leaf: what its leaf did before starting over
        // cost what the others saved.)
        asm.add(.rcx, .rcx)
        asm.cmp(.rcx, .qword(.rdx, FunctionCompiler.runCountOffset))
        asm.jcc(.lessOrEqual, keepOn)
        masm.loadAddress(.rax, UInt64(UInt(bitPattern: data.leafOff)))
        asm.mov(.qword(.rax), imm: 1)
        asm.bind(keepOn)
        asm.mov(.rsi, .rbx)
        asm.add(.rsp, imm: 16)
        asm.pop(.rbx)
        asm.mov(.rdi, FrameLayout.threadState)
        asm.jmp(entry)
    }

    /// What _PyFrame_InitializeSpecials and the NULLing of the other locals would do,
    /// with this code's constants (rbx = the frame).
    private func emitDirectFrameSetup() {
        masm.loadAddress(.rax, UInt64(UInt(bitPattern: view.address)))
        masm.incref(.rax)
        asm.mov(.qword(.rbx, offsets.frame_code), .rax)
        asm.xor(.ecx, .ecx)
        asm.mov(.qword(.rbx, offsets.frame_locals), .rcx)
        asm.mov(.qword(.rbx, offsets.frame_frame_obj), .rcx)
        // stacktop and is_entry: the entry protocol sets them (nothing sees the frame before).
        masm.loadAddress(.rax, view.firstInstruction &- 2)
        asm.mov(masm.prevInstr, .rax)
        asm.mov(.byte(.rbx, offsets.frame_owner), imm: 0)  // FRAME_OWNED_BY_THREAD
        for index in view.positionalArgumentCount..<max(view.positionalArgumentCount, view.localsPlusCount) {
            asm.mov(masm.local(index), .rcx)
        }
    }

    /// A direct call's way out, rax = the result or NULL, the cframe unlinked: the
    /// frame's references released and the frame popped, then the registers restored.
    private func emitDirectFramePop() {
        // The result's home while deallocations run (the cframe is unlinked by now).
        let savedResult = Mem.qword(.rsp, offsets.cframe_previous)
        // A frame object or f_locals: the full clear.
        let fullClear = asm.newLabel()
        let popped = asm.newLabel()
        asm.mov(.rcx, .qword(.rbx, offsets.frame_frame_obj))
        asm.or(.rcx, .qword(.rbx, offsets.frame_locals))
        asm.jcc(.notEqual, fullClear)
        var deallocations: [(Label, Label)] = []
        func release(_ slot: Mem, mayBeNull: Bool) {
            let next = asm.newLabel()
            let dies = asm.newLabel()
            asm.mov(.rdi, slot)
            if mayBeNull {
                asm.test(.rdi, .rdi)
                asm.jcc(.equal, next)
            }
            asm.dec(.qword(.rdi, offsets.object_refcnt))
            asm.jcc(.equal, dies)
            asm.bind(next)
            deallocations.append((dies, next))
        }
        for index in 0..<view.localsPlusCount { release(masm.local(index), mayBeNull: true) }
        release(.qword(.rbx, offsets.frame_func), mayBeNull: false)
        release(.qword(.rbx, offsets.frame_code), mayBeNull: false)
        asm.mov(.qword(.r12, offsets.tstate_datastack_top), .rbx)
        asm.bind(popped)
        outOfLine(lazyPrevInstr: nil) { [self] in
            // A deallocation may run Python code: the recursion count is charged
            // meanwhile, as _PyEvalFrameClearAndPop does.
            for (dies, next) in deallocations {
                asm.bind(dies)
                asm.mov(savedResult, .rax)
                asm.sub(.dword(.r12, offsets.tstate_recursion_remaining), imm: 1)
                asm.call(masm.deallocRoutine)  // a float to the free list, a generator the lean way
                asm.add(.dword(.r12, offsets.tstate_recursion_remaining), imm: 1)
                asm.mov(.rax, savedResult)
                asm.jmp(next)
            }
            asm.bind(fullClear)
            asm.mov(savedResult, .rax)
            asm.mov(.rdi, .r12)
            asm.mov(.rsi, .rbx)
            masm.callPrepared(.clearAndPopFrame)
            asm.mov(.rax, savedResult)
            asm.jmp(popped)
        }
    }

    // MARK: Exceptions

    /// After an unwinder: eax = -1 means the exception leaves the frame (its stack is
    /// released): return NULL. Otherwise eax is the handler's code unit, with the stack
    /// set up for it: continue in its compiled code.
    private func emitHandlerDispatch() {
        asm.comment("exception handler dispatch: eax = handler code unit, or -1")
        asm.bind(handlerDispatch)
        let leaves = asm.newLabel()
        let inEvaluator = asm.newLabel()
        asm.test(.eax, .eax)
        asm.jcc(.sign, leaves)
        // A tracer switched on mid-frame sees the handler run in the evaluator.
        asm.cmp(FrameLayout.cframeUseTracing, imm: 0)
        asm.jcc(.notEqual, inEvaluator)
        for target in handlerTargets {
            asm.cmp(.eax, imm: Int32(target))
            if let label = try? label(forCodeUnit: target) { asm.jcc(.equal, label) }
        }
        // A handler machine code does not have: continue in the evaluator.
        asm.bind(inEvaluator)
        asm.movsxd(.rax, .eax)
        asm.lea(.rax, .qword(FrameLayout.firstInstruction, index: .rax, scale: .x2, -2))
        asm.mov(masm.prevInstr, .rax)
        asm.mov(.ecx, imm: ExitReason.error.rawValue)
        asm.jmp(leaveLabel)
        asm.bind(leaves)
        asm.xor(.eax, .eax)
        asm.jmp(returnLabel)
    }

    private func visitRaise(_ oparg: Int, reraise: Bool) {
        setPrevInstr()
        masm.callHelper(reraise ? .reraise : .raiseVarargs, [
            .threadState, .frame, .immediate(Int64(depth)), .immediate(Int64(oparg)),
        ])
        asm.jmp(handlerDispatch)
    }

    private func visitPushExcInfo() {
        masm.callHelper(.pushExcInfo, [.threadState, .stackAddress(depth - 1)])
    }

    private func visitPopExcept() {
        // The saved exception moves from the stack into exc_info.
        setPrevInstr()
        masm.callHelper(.popExcept, [.threadState, .stackValue(depth - 1)])
    }

    private func visitCheckExcMatch() {
        callAnswerHelper(.checkExcMatch, [.stackValue(depth - 2), .stackValue(depth - 1)], releasing: 1)
        boolFromAnswer(trueWhenNonzero: true)
        asm.mov(stack(depth - 1), FrameLayout.scratch)
    }

    /// Calls a helper that answers 1, 0, or -1 with an exception set (the top values
    /// still on the stack for the unwinder); leaves the answer in r14d and releases the
    /// top `count` values.
    private func callAnswerHelper(_ helper: Helper, _ arguments: [HelperArgument], releasing count: Int) {
        setPrevInstr()
        masm.callHelper(helper, arguments)
        asm.test(.eax, .eax)
        asm.jcc(.sign, errorLabel(depth: depth))
        asm.mov(.r14d, .eax)
        for offset in 1...count { masm.decrefStackSlot(depth - offset) }
    }

    /// r14d = an answer (0 or not): True or False (a new reference) in the scratch
    /// register, True for a nonzero answer when `trueWhenNonzero`.
    private func boolFromAnswer(trueWhenNonzero: Bool) {
        masm.loadAddress(.rax, trueWhenNonzero ? FunctionCompiler.falseObject : FunctionCompiler.trueObject)
        masm.loadAddress(.rcx, trueWhenNonzero ? FunctionCompiler.trueObject : FunctionCompiler.falseObject)
        asm.test(.r14d, .r14d)
        asm.cmovcc(.notEqual, .rax, .rcx)
        asm.mov(FrameLayout.scratch, .rax)  // r14: the answer is used up
        masm.incref(FrameLayout.scratch)
    }

    // MARK: Exits

    /// An exception is set at the current instruction, with `depth` values on the stack.
    private func errorLabel(depth: Int) -> Label {
        if let label = errorLabels[depth] { return label }
        let label = asm.newLabel()
        errorLabels[depth] = label
        // Shared by every instruction at this depth: each stored prev_instr before the
        // call that failed (or eagerly).
        outOfLine(lazyPrevInstr: nil) { [self] in
            asm.bind(label)
            masm.setStackDepth(depth)
            masm.callHelper(.unwind, [.threadState, .frame, .immediate(1)])
            asm.jmp(handlerDispatch)
        }
        return label
    }

    /// Continues in the interpreter at code unit `unit` with `depth` values on the stack.
    private func exitLabel(resumeAt unit: Int, depth: Int, reason: ExitReason) -> Label {
        let key = ExitKey(resumeAt: unit, depth: depth, reason: reason)
        if let label = exitLabels[key] { return label }
        let label = asm.newLabel()
        exitLabels[key] = label
        outOfLine(lazyPrevInstr: nil) { [self] in
            asm.bind(label)
            masm.setPrevInstr(codeUnit: unit - 1)
            masm.setStackDepth(depth)
            asm.mov(.ecx, imm: reason.rawValue)
            asm.jmp(leaveLabel)
        }
        return label
    }

    /// The interpreter runs the current instruction itself, and the rest of the frame.
    private func exitBefore(_ reason: ExitReason) -> Label {
        exitLabel(resumeAt: instruction.prefixStart, depth: depth, reason: reason)
    }

    /// Checks the eval breaker and the tracing flag; `tracingExit` is taken when tracing
    /// was switched on, `errorDepth` is the stack depth if the breaker raises.
    private func checkEvalBreaker(errorDepth: Int, tracingExit: Label) {
        let slow = asm.newLabel()
        let resume = asm.newLabel()
        asm.movzx(.eax, FrameLayout.cframeUseTracing)
        asm.or(.eax, .dword(FrameLayout.evalBreaker))
        asm.jcc(.notEqual, slow)
        asm.bind(resume)
        let unit = instruction.index
        outOfLine { [self] in
            asm.bind(slow)
            let noBreaker = asm.newLabel()
            asm.cmp(.dword(FrameLayout.evalBreaker), imm: 0)
            asm.jcc(.equal, noBreaker)
            masm.setPrevInstr(codeUnit: unit)
            masm.callHelper(.handleEvalBreaker, [.threadState])
            asm.test(.eax, .eax)
            asm.jcc(.notEqual, errorLabel(depth: errorDepth))
            asm.bind(noBreaker)
            asm.cmp(FrameLayout.cframeUseTracing, imm: 0)
            asm.jcc(.notEqual, tracingExit)
            asm.jmp(resume)
        }
    }

    // MARK: Common instruction shapes

    private func stack(_ depth: Int) -> Mem { masm.stackSlot(depth) }
    private func setPrevInstr() { masm.setPrevInstr(codeUnit: instruction.index) }

    /// rax holds a helper's object result: NULL is an error at the current instruction.
    private func checkObjectResult() {
        asm.test(.rax, .rax)
        asm.jcc(.equal, errorLabel(depth: ownedDepth))
    }

    /// eax holds a helper's status: non-zero is an error at the current instruction.
    private func checkStatusResult() {
        asm.test(.eax, .eax)
        asm.jcc(.notEqual, errorLabel(depth: depth))
    }

    /// Calls an object-returning helper on the top `inputs` values, releases them, and
    /// pushes the result in their place.
    private func replaceTop(_ inputs: Int, with helper: Helper, _ arguments: [HelperArgument]) {
        setPrevInstr()
        masm.callHelper(helper, arguments)
        checkObjectResult()
        asm.mov(FrameLayout.scratch, .rax)
        for offset in (1...inputs).reversed() { masm.decrefStackSlot(depth - offset) }
        asm.mov(stack(depth - inputs), FrameLayout.scratch)
    }

    /// Calls a status-returning helper, then releases the top `inputs` values.
    private func consumeTop(_ inputs: Int, with helper: Helper, _ arguments: [HelperArgument]) {
        setPrevInstr()
        masm.callHelper(helper, arguments)
        checkStatusResult()
        for offset in (1...inputs).reversed() { masm.decrefStackSlot(depth - offset) }
    }

    /// rcx = len(x) of the object in `object` when it is an exact list, tuple, str,
    /// dict, set or frozenset (PRECALL_NO_KW_LEN's types); else jumps to `otherwise`.
    /// Clobbers rax.
    private func loadExactSize(of object: Reg64, otherwise: Label) {
        let size = asm.newLabel()
        let haveSize = asm.newLabel()
        let notDict = asm.newLabel()
        let setSize = asm.newLabel()
        asm.mov(.rax, .qword(object, offsets.object_type))
        // A str's length sits where a list's or tuple's ob_size does.
        masm.jump(ifType: .rax, isOneOf: [TypeAddress.list, TypeAddress.tuple, FunctionCompiler.unicodeType], to: size)
        masm.compareWithConstant(.rax, FunctionCompiler.dictType)
        asm.jcc(.notEqual, notDict)
        asm.mov(.rcx, .qword(object, offsets.dict_used))
        asm.jmp(haveSize)
        asm.bind(notDict)
        masm.jump(ifType: .rax, isOneOf: [FunctionCompiler.setType, FunctionCompiler.frozensetType], to: setSize)
        asm.jmp(otherwise)
        asm.bind(setSize)
        asm.mov(.rcx, .qword(object, offsets.set_used))
        asm.jmp(haveSize)
        asm.bind(size)
        asm.mov(.rcx, .qword(object, offsets.var_size))
        asm.bind(haveSize)
    }

    /// LIST_APPEND (a list comprehension's list, always an exact list): with room left,
    /// the item goes into the next slot, taking the stack's reference, as
    /// `_PyList_AppendTakeRef` does; a full list grows in `PyList_Append`, out of line.
    private func visitListAppend(_ oparg: Int) {
        let grow = asm.newLabel()
        let done = asm.newLabel()
        let depth = self.depth
        asm.mov(.rdi, stack(depth - 1 - oparg))
        asm.mov(.rcx, .qword(.rdi, offsets.var_size))
        asm.cmp(.rcx, .qword(.rdi, offsets.list_allocated))
        asm.jcc(.greaterOrEqual, grow)
        asm.mov(.rdx, .qword(.rdi, offsets.list_items))
        asm.mov(.rax, stack(depth - 1))
        asm.mov(.qword(.rdx, index: .rcx, scale: .x8), .rax)
        asm.inc(.rcx)
        asm.mov(.qword(.rdi, offsets.var_size), .rcx)
        asm.bind(done)
        let unit = instruction.index
        outOfLine(lazyPrevInstr: nil) { [self] in
            asm.bind(grow)
            masm.setPrevInstr(codeUnit: unit)
            masm.callHelper(.listAppend, [.stackValue(depth - 1 - oparg), .stackValue(depth - 1)])
            asm.test(.eax, .eax)
            asm.jcc(.notEqual, errorLabel(depth: depth))
            masm.decrefStackSlot(depth - 1)
            asm.jmp(done)
        }
    }

    /// Calls a helper that consumes `inputs` values on success and returns an object
    /// that takes the lowest of their slots.
    private func buildFromTop(_ inputs: Int, with helper: Helper, _ extra: [HelperArgument]) {
        setPrevInstr()
        masm.callHelper(helper, [.stackAddress(depth - inputs)] + extra)
        checkObjectResult()
        asm.mov(stack(depth - inputs), .rax)
    }

    private func name(_ index: Int) -> Int64 { Int64(Int(bitPattern: view.names[index])) }
    private func constant(_ index: Int) -> Obj { view.constants[index] }

    private static let trueObject = UInt64(UInt(bitPattern: pyj_true_borrowed()))
    private static let falseObject = UInt64(UInt(bitPattern: pyj_false_borrowed()))
    private static let noneObject = UInt64(UInt(bitPattern: pyj_none_borrowed()))
    private static let generatorType = UInt64(UInt(bitPattern: pyj_gen_type()))
    private static let tupleType = UInt64(UInt(bitPattern: pyj_tuple_type()))
    private static let listIteratorType = UInt64(UInt(bitPattern: pyj_list_iter_type()))
    private static let rangeIteratorType: UInt64? = pyj_range_iter_type().map { UInt64(UInt(bitPattern: $0)) }
    private static let listType = UInt64(UInt(bitPattern: pyj_list_type()))

    /// Evaluates the truth of the value at `slot` into r14d (0 or 1) without popping it.
    /// True, False and None are decided inline.
    private func truthOfStackValue(_ slot: Int, errorDepth: Int) {
        let decided = asm.newLabel()
        let isTrue = asm.newLabel()
        let isFalse = asm.newLabel()
        asm.mov(.rdi, stack(slot))
        masm.loadAddress(.rax, FunctionCompiler.trueObject)
        asm.cmp(.rdi, .rax)
        asm.jcc(.equal, isTrue)
        masm.loadAddress(.rax, FunctionCompiler.falseObject)
        asm.cmp(.rdi, .rax)
        asm.jcc(.equal, isFalse)
        masm.loadAddress(.rax, FunctionCompiler.noneObject)
        asm.cmp(.rdi, .rax)
        asm.jcc(.equal, isFalse)
        // An exact int, list or tuple is true when its ob_size is not 0.
        let bySize = asm.newLabel()
        let general = asm.newLabel()
        asm.mov(.rax, .qword(.rdi, offsets.object_type))
        masm.jump(ifType: .rax, isOneOf: [TypeAddress.long, TypeAddress.list, TypeAddress.tuple], to: bySize)
        asm.jmp(general)
        asm.bind(bySize)
        asm.cmp(.qword(.rdi, offsets.var_size), imm: 0)
        asm.setcc(.notEqual, .r14b)
        asm.movzx(.r14d, .r14b)
        asm.jmp(decided)
        asm.bind(general)
        // No nb_bool, mp_length or sq_length (a plain instance): true, as PyObject_IsTrue
        // decides it.
        let callIsTrue = asm.newLabel()
        for (table, entry) in [(offsets.type_as_number, offsets.number_bool),
                              (offsets.type_as_mapping, offsets.mapping_length),
                              (offsets.type_as_sequence, offsets.sequence_length)] {
            let noTable = asm.newLabel()
            asm.mov(.rcx, .qword(.rax, table))
            asm.test(.rcx, .rcx)
            asm.jcc(.equal, noTable)
            asm.cmp(.qword(.rcx, entry), imm: 0)
            asm.jcc(.notEqual, callIsTrue)
            asm.bind(noTable)
        }
        asm.jmp(isTrue)
        asm.bind(callIsTrue)
        setPrevInstrLazily()
        masm.callHelper(.isTrue, [.stackValue(slot)])
        asm.test(.eax, .eax)
        asm.jcc(.sign, errorLabel(depth: errorDepth))
        asm.mov(.r14d, .eax)
        asm.jmp(decided)
        asm.bind(isTrue)
        asm.mov(.r14d, imm: 1)
        asm.jmp(decided)
        asm.bind(isFalse)
        asm.mov(.r14d, imm: 0)
        asm.bind(decided)
    }

    /// POP_JUMP_*_IF_TRUE / _IF_FALSE.
    private func popJumpIfTruth(_ jumpWhenTrue: Bool) throws {
        let target = try label(forCodeUnit: instruction.jumpTarget!)
        setPrevInstrLazily()
        truthOfStackValue(depth - 1, errorDepth: depth)
        masm.decrefStackSlot(depth - 1)
        asm.test(.r14d, .r14d)
        try jumpTo(target, when: jumpWhenTrue ? .notEqual : .equal, depthAtTarget: depth - 1)
    }

    /// Jumps to `target` on `condition`; backward jumps check the eval breaker first.
    private func jumpTo(_ target: Label, when condition: Condition?, depthAtTarget: Int) throws {
        guard instruction.opcode.jump == .backward else {
            if let condition { asm.jcc(condition, target) } else { asm.jmp(target) }
            return
        }
        let notTaken = asm.newLabel()
        if let condition { asm.jcc(condition.inverted, notTaken) }
        let targetUnit = instruction.jumpTarget!
        checkEvalBreaker(
            errorDepth: depthAtTarget,
            tracingExit: exitLabel(resumeAt: targetUnit, depth: depthAtTarget, reason: .tracing))
        asm.jmp(target)
        asm.bind(notTaken)
    }

    // MARK: Visits

    static func isSupported(_ opcode: Opcode) -> Bool { supported.contains(opcode) }

    private static let supported: Set<Opcode> = [
        .resume, .nop, .loadFast, .storeFast, .deleteFast, .loadConst, .popTop, .pushNull, .copy, .swap,
        .binaryOp, .unaryPositive, .unaryNegative, .unaryInvert, .unaryNot, .compareOp, .isOp, .containsOp,
        .jumpForward, .jumpBackward, .jumpBackwardNoInterrupt,
        .popJumpForwardIfTrue, .popJumpForwardIfFalse, .popJumpBackwardIfTrue, .popJumpBackwardIfFalse,
        .popJumpForwardIfNone, .popJumpForwardIfNotNone, .popJumpBackwardIfNone, .popJumpBackwardIfNotNone,
        .jumpIfTrueOrPop, .jumpIfFalseOrPop, .getIter, .forIter,
        .loadGlobal, .loadAttr, .storeAttr, .deleteAttr, .loadMethod, .precall, .kwNames, .call,
        .binarySubscr, .storeSubscr, .deleteSubscr, .buildTuple, .buildList, .listExtend, .buildSet, .setUpdate,
        .buildMap, .buildConstKeyMap, .buildSlice, .listAppend, .setAdd, .mapAdd, .listToTuple, .dictUpdate,
        .unpackSequence, .returnValue, .makeFunction, .formatValue, .buildString,
        .raiseVarargs, .reraise, .pushExcInfo, .popExcept, .checkExcMatch, .withExceptStart,
        .checkEgMatch, .prepReraiseStar,
        .makeCell, .copyFreeVars, .loadClosure, .loadDeref, .storeDeref, .deleteDeref,
        .beforeWith, .callFunctionEx, .dictMerge, .unpackEx,
        .importName, .importFrom, .storeGlobal, .deleteGlobal, .loadAssertionError, .loadBuildClass,
        .getLen, .matchMapping, .matchSequence, .matchKeys, .matchClass,
        .loadName, .storeName, .deleteName, .loadClassderef, .setupAnnotations, .printExpr,
        .returnGenerator, .yieldValue, .send, .getAwaitable, .getAiter, .getAnext, .endAsyncFor,
        .asyncGenWrap, .getYieldFromIter, .beforeAsyncWith,
    ]

    private func visit(_ instruction: Instruction) throws {
        let oparg = instruction.oparg
        switch instruction.opcode {
        case .nop, .precall:
            break
        case .resume: visitResume(oparg)
        case .loadFast: visitLoadFast(oparg)
        case .storeFast: visitStoreFast(oparg)
        case .deleteFast: visitDeleteFast(oparg)
        case .loadConst: visitLoadConst(oparg)
        case .popTop:
            releaseOnly { masm.decrefStackSlot(depth - 1) }
        case .pushNull:
            asm.mov(stack(depth), imm: 0)
        case .copy:
            asm.mov(.rax, stack(depth - oparg))
            masm.incref(.rax)
            asm.mov(stack(depth), .rax)
        case .swap:
            asm.mov(.rax, stack(depth - 1))
            asm.mov(.rcx, stack(depth - oparg))
            asm.mov(stack(depth - 1), .rcx)
            asm.mov(stack(depth - oparg), .rax)
        case .binaryOp: visitBinaryOp(oparg)
        case .unaryPositive: replaceTop(1, with: .unaryOp, [.stackValue(depth - 1), .immediate(0)])
        case .unaryNegative: visitUnaryNegative()
        case .unaryInvert: replaceTop(1, with: .unaryOp, [.stackValue(depth - 1), .immediate(2)])
        case .unaryNot: visitUnaryNot()
        case .compareOp: try visitCompareOp(oparg)
        case .isOp: visitIsOp(invert: oparg != 0)
        case .containsOp: try visitContainsOp(invert: oparg != 0)
        case .jumpForward, .jumpBackwardNoInterrupt:
            asm.jmp(try label(forCodeUnit: instruction.jumpTarget!))
        case .jumpBackward:
            // prev_instr is set only on the eval breaker's slow path, which calls out.
            countWarmup()
            checkEvalBreaker(errorDepth: depth, tracingExit: exitBefore(.tracing))
            asm.jmp(try label(forCodeUnit: instruction.jumpTarget!))
        case .popJumpForwardIfTrue, .popJumpBackwardIfTrue: try popJumpIfTruth(true)
        case .popJumpForwardIfFalse, .popJumpBackwardIfFalse: try popJumpIfTruth(false)
        case .popJumpForwardIfNone, .popJumpBackwardIfNone: try popJumpIfNone(jumpWhenNone: true)
        case .popJumpForwardIfNotNone, .popJumpBackwardIfNotNone: try popJumpIfNone(jumpWhenNone: false)
        case .jumpIfTrueOrPop: try jumpOrPop(jumpWhenTrue: true)
        case .jumpIfFalseOrPop: try jumpOrPop(jumpWhenTrue: false)
        case .getIter: replaceTop(1, with: .getIter, [.stackValue(depth - 1)])
        case .forIter: try visitForIter()
        case .loadGlobal: visitLoadGlobal(oparg)
        case .loadAttr: visitLoadAttr(oparg)
        case .storeAttr: visitStoreAttr(oparg)
        case .deleteAttr: consumeTop(1, with: .deleteAttr, [.stackValue(depth - 1), .immediate(name(oparg))])
        case .loadMethod: visitLoadMethod(oparg)
        case .kwNames:
            pendingKeywordNames = constant(oparg)
        case .call: visitCall(oparg)
        case .binarySubscr: visitBinarySubscr()
        case .storeSubscr: visitStoreSubscr()
        case .deleteSubscr:
            consumeTop(2, with: .deleteSubscr, [.stackValue(depth - 2), .stackValue(depth - 1)])
        case .buildTuple: buildFromTop(oparg, with: .buildTuple, [.immediate(Int64(oparg))])
        case .buildList: buildFromTop(oparg, with: .buildList, [.immediate(Int64(oparg))])
        case .buildSet: buildFromTop(oparg, with: .buildSet, [.immediate(Int64(oparg))])
        case .buildMap: buildFromTop(2 * oparg, with: .buildMap, [.immediate(Int64(oparg))])
        case .buildConstKeyMap: buildFromTop(oparg + 1, with: .buildConstKeyMap, [.immediate(Int64(oparg))])
        case .buildSlice:
            let step: HelperArgument = oparg == 3 ? .stackValue(depth - 1) : .immediate(0)
            if let access = fusedSubscript() {
                visitSliceSubscript(oparg, access, step: step)
            } else {
                replaceTop(oparg, with: .buildSlice, [.stackValue(depth - oparg), .stackValue(depth - oparg + 1), step])
            }
        case .listExtend: consumeTop(1, with: .listExtend, [.stackValue(depth - 1 - oparg), .stackValue(depth - 1)])
        case .setUpdate: consumeTop(1, with: .setUpdate, [.stackValue(depth - 1 - oparg), .stackValue(depth - 1)])
        case .dictUpdate: consumeTop(1, with: .dictUpdate, [.stackValue(depth - 1 - oparg), .stackValue(depth - 1)])
        case .listAppend: visitListAppend(oparg)
        case .setAdd: consumeTop(1, with: .setAdd, [.stackValue(depth - 1 - oparg), .stackValue(depth - 1)])
        case .mapAdd:
            consumeTop(2, with: .mapAdd, [.stackValue(depth - 2 - oparg), .stackValue(depth - 2), .stackValue(depth - 1)])
        case .listToTuple: replaceTop(1, with: .listToTuple, [.stackValue(depth - 1)])
        case .unpackSequence: visitUnpackSequence(oparg)
        case .returnValue:
            // A frame object that outlives the call reports the line of prev_instr,
            // which the interpreter leaves at the RETURN_VALUE.
            let value = operand(depth - 1)
            setPrevInstr()
            load(.rax, value)
            if value.isBorrowed { masm.incref(.rax) }  // `return x`, `return None`: a new reference
            masm.setStackDepth(0)
            deferred = []
            asm.jmp(returnLabel)
        case .makeFunction:
            let inputs = (oparg & 0xF).nonzeroBitCount + 1
            buildFromTop(inputs, with: .makeFunction, [.immediate(Int64(oparg)), .frameField(offsets.frame_globals)])
        case .formatValue:
            let hasSpec = oparg & 4 != 0
            let inputs = hasSpec ? 2 : 1
            let spec: HelperArgument = hasSpec ? .stackValue(depth - 1) : .immediate(0)
            replaceTop(inputs, with: .formatValue, [.stackValue(depth - inputs), spec, .immediate(Int64(oparg & 3))])
        case .buildString:
            if oparg == 0 {
                // An empty f-string never reaches here in practice; keep the general path.
                replaceTopWithBuildString(0)
            } else {
                replaceTopWithBuildString(oparg)
            }
        case .makeCell:
            setPrevInstr()
            masm.callHelper(.makeCell, [.localAddress(oparg)])
            checkStatusResult()
        case .copyFreeVars:
            masm.callHelper(.copyFreeVars, [
                .frameField(offsets.frame_func), .localAddress(view.localsPlusCount - oparg), .immediate(Int64(oparg)),
            ])
        case .loadClosure: visitLoadFast(oparg)
        case .loadDeref: visitLoadDeref(oparg)
        case .storeDeref: visitStoreDeref(oparg)
        case .deleteDeref: visitDeleteDeref(oparg)
        case .beforeWith:
            setPrevInstr()
            masm.callHelper(.beforeWith, [.stackAddress(depth - 1)])
            checkStatusResult()
        case .callFunctionEx: visitCallFunctionEx(oparg)
        case .dictMerge:
            consumeTop(1, with: .dictMerge, [.stackValue(depth - 1 - oparg), .stackValue(depth - 1), .stackValue(depth - 3 - oparg)])
        case .unpackEx:
            setPrevInstr()
            masm.callHelper(.unpackEx, [.stackAddress(depth - 1), .immediate(Int64(oparg & 0xFF)), .immediate(Int64(oparg >> 8))])
            checkStatusResult()
        case .importName:
            replaceTop(2, with: .importName, [
                .frameField(offsets.frame_builtins), .frameField(offsets.frame_globals), .immediate(name(oparg)),
                .stackValue(depth - 1), .stackValue(depth - 2),
            ])
        case .importFrom:
            setPrevInstr()
            masm.callHelper(.importFrom, [.stackValue(depth - 1), .immediate(name(oparg))])
            pushObjectOrExit(.importFromMiss)
        case .storeGlobal:
            consumeTop(1, with: .storeGlobal, [.frameField(offsets.frame_globals), .immediate(name(oparg)), .stackValue(depth - 1)])
        case .deleteGlobal:
            setPrevInstr()
            masm.callHelper(.deleteGlobal, [.frameField(offsets.frame_globals), .immediate(name(oparg))])
            asm.cmp(.eax, imm: 0)
            asm.jcc(.less, errorLabel(depth: depth))
            asm.jcc(.greater, exitBefore(.globalMiss))
        case .loadAssertionError:
            masm.loadAddress(.rax, UInt64(UInt(bitPattern: PyExc_AssertionError!)))
            masm.incref(.rax)
            asm.mov(stack(depth), .rax)
        case .loadBuildClass:
            setPrevInstr()
            masm.callHelper(.loadBuildClass, [.frameField(offsets.frame_builtins)])
            pushObjectOrExit(.globalMiss)
        case .getLen:
            setPrevInstr()
            masm.callHelper(.getLength, [.stackValue(depth - 1)])
            checkObjectResult()
            asm.mov(stack(depth), .rax)
        case .loadName:
            setPrevInstr()
            masm.callHelper(.loadName, [
                .frameField(offsets.frame_locals), .frameField(offsets.frame_globals),
                .frameField(offsets.frame_builtins), .immediate(name(oparg)),
            ])
            checkObjectResult()
            asm.mov(stack(depth), .rax)
        case .storeName:
            consumeTop(1, with: .storeName, [.frameField(offsets.frame_locals), .immediate(name(oparg)), .stackValue(depth - 1)])
        case .deleteName:
            setPrevInstr()
            masm.callHelper(.deleteName, [.frameField(offsets.frame_locals), .immediate(name(oparg))])
            checkStatusResult()
        case .loadClassderef:
            setPrevInstr()
            asm.mov(FrameLayout.scratch, masm.local(oparg))
            masm.callHelper(.loadClassDeref, [
                .frameField(offsets.frame_locals), .immediate(Int64(Int(bitPattern: view.localNames[oparg]))), .register(.r14),
            ])
            pushObjectOrExit(.unboundLocal)
        case .printExpr: consumeTop(1, with: .printExpression, [.stackValue(depth - 1)])
        case .setupAnnotations:
            setPrevInstr()
            masm.callHelper(.setupAnnotations, [.frameField(offsets.frame_locals)])
            checkStatusResult()
        case .matchMapping: visitMatchTypeFlag(1 << 6)
        case .matchSequence: visitMatchTypeFlag(1 << 5)
        case .matchKeys:
            // [subject, keys] -> [subject, keys, values or None]
            setPrevInstr()
            masm.callHelper(.matchKeys, [.threadState, .stackValue(depth - 2), .stackValue(depth - 1)])
            checkObjectResult()
            asm.mov(stack(depth), .rax)
        case .matchClass: visitMatchClass(oparg)
        case .raiseVarargs: visitRaise(oparg, reraise: false)
        case .reraise: visitRaise(oparg, reraise: true)
        case .pushExcInfo: visitPushExcInfo()
        case .popExcept: visitPopExcept()
        case .checkExcMatch: visitCheckExcMatch()
        case .withExceptStart:
            setPrevInstr()
            masm.callHelper(.withExceptStart, [.stackValue(depth - 4), .stackValue(depth - 1)])
            checkObjectResult()
            asm.mov(stack(depth), .rax)
        case .checkEgMatch:
            // [exception, type] -> [exception, None] or [rest, match]: the helper rewrites
            // the two slots. On an error the type is released and the exception stays.
            setPrevInstr()
            masm.callHelper(.checkEgMatch, [.threadState, .stackAddress(depth - 2)])
            asm.test(.eax, .eax)
            asm.jcc(.notEqual, errorLabel(depth: depth - 1))
        case .prepReraiseStar: visitPrepReraiseStar()
        case .returnGenerator: visitReturnGenerator()
        case .yieldValue: visitYieldValue()
        case .send: try visitSend()
        case .getAwaitable: visitGetAwaitable(oparg)
        case .getAiter:
            setPrevInstr()
            masm.callHelper(.getAiter, [.threadState, .stackAddress(depth - 1)])
            checkStatusResult()
        case .getAnext:
            setPrevInstr()
            masm.callHelper(.getAnext, [.threadState, .stackValue(depth - 1)])
            checkObjectResult()
            asm.mov(stack(depth), .rax)
        case .getYieldFromIter:
            setPrevInstr()
            masm.callHelper(.getYieldFromIter, [.threadState, .stackAddress(depth - 1), .immediate(Int64(view.flags))])
            checkStatusResult()
        case .beforeAsyncWith:
            setPrevInstr()
            masm.callHelper(.beforeAsyncWith, [.threadState, .stackAddress(depth - 1)])
            checkStatusResult()
        case .endAsyncFor:
            // Reached as an exception handler: StopAsyncIteration ends the loop, anything
            // else is re-raised.
            setPrevInstr()
            masm.callHelper(.endAsyncFor, [.threadState, .frame, .immediate(Int64(depth))])
            asm.cmp(.eax, imm: -2)
            asm.jcc(.notEqual, handlerDispatch)
        case .asyncGenWrap: replaceTop(1, with: .asyncGenWrap, [.stackValue(depth - 1)])
        default:
            throw CompileError.unsupportedOpcode(
                name: instruction.opcode.name, byteOffset: instruction.byteOffset,
                line: view.line(atByteOffset: instruction.byteOffset))
        }
    }


    // MARK: Deferred pushes

    /// Where a value of the stack lives. A LOAD_FAST of a surely bound local, or a
    /// LOAD_CONST, right before an instruction that only reads its operands (BINARY_OP,
    /// COMPARE_OP, BINARY_SUBSCR, LOAD_ATTR, STORE_ATTR's owner, RETURN_VALUE) is not
    /// pushed: that instruction reads the local or the constant itself, a borrowed
    /// reference, and skips the store, the reload and the incref/decref pair (RETURN_VALUE
    /// increfs what it returns). Nothing can unbind a local while
    /// one instruction runs (a debugger writes locals only to frames the evaluator runs),
    /// and co_consts keeps constants alive.
    private enum Operand: Equatable {
        case slot(Int)
        case local(Int)
        case constant(UInt64)

        var isBorrowed: Bool { if case .slot = self { return false } else { return true } }
    }

    static let takesDeferredOperands: Set<Opcode> = [
        .loadFast, .loadConst, .binaryOp, .compareOp, .binarySubscr, .loadAttr, .storeAttr, .returnValue,
        .unpackSequence,
    ]

    /// Values really in the frame's stack now: the unwinder's depth on an error.
    private var ownedDepth: Int { depth - deferred.count }

    /// Where the value at stack index `index` (0 = bottom) lives now.
    private func operand(_ index: Int) -> Operand {
        let firstDeferred = depth - deferred.count
        return index >= firstDeferred ? deferred[index - firstDeferred] : .slot(index)
    }

    private func load(_ register: Reg64, _ operand: Operand) {
        switch operand {
        case .slot(let index): asm.mov(register, stack(index))
        case .local(let index): asm.mov(register, masm.local(index))
        case .constant(let address): masm.loadAddress(register, address)
        }
    }

    private func argument(_ operand: Operand) -> HelperArgument {
        switch operand {
        case .slot(let index): return .stackValue(index)
        case .local(let index): return .localValue(index)
        case .constant(let address): return .immediate(Int64(bitPattern: address))
        }
    }

    /// Releases an operand the instruction consumed: a borrowed one needs nothing.
    private func release(_ operand: Operand) {
        if case .slot(let index) = operand { masm.decrefStackSlot(index) }
    }

    /// Pushes the deferred values for real (an instruction that does not take them).
    private func materializeDeferred() {
        let first = depth - deferred.count
        for (offset, operand) in deferred.enumerated() {
            load(.rax, operand)
            masm.incref(.rax)
            asm.mov(stack(first + offset), .rax)
        }
        deferred = []
    }

    /// Whether the push at the current LOAD_FAST or LOAD_CONST can be left to the next
    /// instruction: it (or, for a first operand, the push after it and then it) reads
    /// its operands only, and nothing jumps in between.
    private func mayDefer(isLocal: Bool) -> Bool {
        let instructions = decoded.instructions
        func plain(_ p: Int) -> Instruction? {
            guard p < instructions.count, reachable[p] else { return nil }
            let unit = instructions[p].prefixStart
            guard !decoded.jumpTargets.contains(unit), !handlerTargets.contains(unit) else { return nil }
            return instructions[p]
        }
        func twoOperandReader(_ instruction: Instruction) -> Bool {
            switch instruction.opcode {
            case .binaryOp: return ArithmeticKind(binaryOparg: instruction.oparg) != nil
            case .compareOp: return Condition(richCompare: instruction.oparg) != nil
            case .binarySubscr: return true
            default: return false
            }
        }
        guard let next = plain(position + 1) else { return false }
        if twoOperandReader(next) { return true }
        if next.opcode == .loadAttr || next.opcode == .storeAttr { return isLocal && deferred.isEmpty }
        if next.opcode == .returnValue { return deferred.isEmpty }
        // `a, b = t` stored straight into locals: the sequence is read in place.
        if next.opcode == .unpackSequence {
            return isLocal && deferred.isEmpty && fusedStoreFasts(next.oparg, unpackAt: position + 1) != nil
        }
        // The first of two operands: the second must defer too (a bound local or a constant).
        guard deferred.isEmpty, let after = plain(position + 2), twoOperandReader(after) else { return false }
        switch next.opcode {
        case .loadConst: return true
        case .loadFast: return next.oparg < 64 && boundLocals[position + 1] & (1 << UInt64(next.oparg)) != 0
        default: return false
        }
    }

    // MARK: Typed fast paths

    /// rax holds the result of the two top values' operation (or NULL): releases the
    /// inputs and pushes the result in their place. Ends the use of deferred operands.
    private func finishBinary(_ haveResult: Label) {
        asm.bind(haveResult)
        checkObjectResult()
        asm.mov(FrameLayout.scratch, .rax)
        release(operand(depth - 2))
        release(operand(depth - 1))
        asm.mov(stack(depth - 2), FrameLayout.scratch)
        deferred = []
    }

    /// The generic helper, out of line, continuing at `haveResult` with rax.
    private func genericBinary(_ entry: Label, _ haveResult: Label, _ helper: Helper, _ extra: [HelperArgument]) {
        let arguments = [argument(operand(depth - 2)), argument(operand(depth - 1))] + extra
        outOfLine { [self] in
            asm.bind(entry)
            masm.callHelper(helper, arguments)
            asm.jmp(haveResult)
        }
    }

    /// rdi, rsi = the top two values; rax, rdx = their values when both are compact
    /// ints. Jumps to `notInt` when either is not an exact int, to `generic` when an int
    /// is too big for the inline paths.
    private func loadTopTwoAsCompactInts(notInt: Label, generic: Label) {
        load(.rdi, operand(depth - 2))
        load(.rsi, operand(depth - 1))
        masm.guardType(.rdi, TypeAddress.long, notInt)
        masm.guardType(.rsi, TypeAddress.long, notInt)
        masm.loadCompactInt(.rdi, into: .rax, generic)
        masm.loadCompactInt(.rsi, into: .rdx, generic)
    }

    private func visitBinaryOp(_ oparg: Int) {
        guard let kind = ArithmeticKind(binaryOparg: oparg) else {
            materializeDeferred()
            replaceTop(2, with: .binaryOp, [.stackValue(depth - 2), .stackValue(depth - 1), .immediate(Int64(oparg)), .immediate(0)])
            return
        }
        let generic = asm.newLabel()
        let notInt = asm.newLabel()
        let haveResult = asm.newLabel()
        let done = asm.newLabel()
        let stored = asm.newLabel()
        // `x = a - b`: the STORE_FAST after it compiles with it, so that a float result
        // can go into the local's own float when only the local holds that.
        let store = fusableStoreFast(at: position + 1)
        fusedLocalStore = store.map { FusedLocalStore(local: $0.instruction.oparg, position: $0.position, stored: stored) }
        defer { fusedLocalStore = nil }
        setPrevInstrLazily()
        // int op int, both compact (one 30-bit digit): no 64-bit overflow below.
        loadTopTwoAsCompactInts(notInt: notInt, generic: generic)
        emitIntArithmetic(kind, generic: generic, haveResult: haveResult, done: done)
        asm.bind(notInt)
        if kind.hasFloatPath {
            // float op float, float op int, int op float.
            masm.loadNumberAsDouble(.rdi, into: .xmm0, generic)
            masm.loadNumberAsDouble(.rsi, into: .xmm1, generic)
            emitFloatArithmetic(kind, generic: generic)
            if let fused = fusedLocalStore {
                let notOwn = asm.newLabel()
                guardLocalsOwnObject(fused, type: TypeAddress.float, notOwn: notOwn)
                asm.movsd(.qword(.rdi, offsets.float_value), .xmm0)
                finishStoreIntoLocalsOwn(fused)
                asm.bind(notOwn)
            }
            reuseTemporary(type: TypeAddress.float, done: done, haveResult: haveResult,
                           store: { [self] object in asm.movsd(.qword(object, offsets.float_value), .xmm0) },
                           box: { [self] in allocateFloat() })
        } else {
            asm.jmp(generic)
        }
        if kind.hasFloatPath {
            // + - * / of two instances of one class: its Python method, called directly.
            let site = nextOperatorSiteAddress()
            let helper = asm.newLabel()
            emitOperatorMethodCall(site: site, binaryOparg: oparg, at: generic, otherwise: helper, haveResult: haveResult)
            genericBinary(helper, haveResult, .binaryOp, [.immediate(Int64(oparg)), .immediate(Int64(bitPattern: site))])
        } else {
            genericBinary(generic, haveResult, .binaryOp, [.immediate(Int64(oparg)), .immediate(0)])
        }
        finishBinary(haveResult)
        asm.bind(done)
        if let store {
            // The fused STORE_FAST: the local takes the result; its old value is released.
            let local = store.instruction.oparg
            asm.mov(.rax, stack(depth - 2))
            asm.mov(.rdi, masm.local(local))
            asm.mov(masm.local(local), .rax)
            masm.withLazyPrevInstr(store.instruction.index) {
                if isBound(local, at: store.position) { masm.decrefArgumentRegister() } else { masm.xdecrefArgumentRegister() }
            }
            asm.bind(stored)
            skipThrough = store.position
        }
    }

    /// The STORE_FAST at `position` if it can compile with the instruction before it:
    /// reachable, and nothing jumps to it.
    private func fusableStoreFast(at position: Int) -> (position: Int, instruction: Instruction)? {
        let instructions = decoded.instructions
        guard position < instructions.count, reachable[position], instructions[position].opcode == .storeFast else { return nil }
        let unit = instructions[position].prefixStart
        guard !decoded.jumpTargets.contains(unit), !handlerTargets.contains(unit) else { return nil }
        return (position, instructions[position])
    }

    /// A float or int result whose STORE_FAST into `local` follows can go into the
    /// local's own object when that is of the result's exact type and nothing references
    /// it but the local and this operation's operands (its count is 1 plus the operand
    /// slots holding it): no allocation for the result, no deallocation of the old value
    /// (`x = a - b`, `s += t`, `i = i + 1` in a loop). Nobody can tell: no other
    /// reference sees the object change. Jumps to `notOwn` otherwise; leaves the object
    /// in rdi. Clobbers rax and rdx.
    private func guardLocalsOwnObject(_ store: FusedLocalStore, type: UInt64, notOwn: Label) {
        asm.mov(.rdi, masm.local(store.local))
        if !isBound(store.local, at: store.position) {
            asm.test(.rdi, .rdi)
            asm.jcc(.equal, notOwn)
        }
        asm.mov(.rax, .qword(.rdi, offsets.object_type))
        masm.compareWithConstant(.rax, type)
        asm.jcc(.notEqual, notOwn)
        asm.mov(.rdx, .qword(.rdi, offsets.object_refcnt))
        for index in [depth - 2, depth - 1] {
            guard case .slot = operand(index) else { continue }
            let other = asm.newLabel()
            asm.cmp(.rdi, stack(index))
            asm.jcc(.notEqual, other)
            asm.sub(.rdx, imm: 1)
            asm.bind(other)
        }
        asm.cmp(.rdx, imm: 1)
        asm.jcc(.notEqual, notOwn)
    }

    /// The local's own object (rdi) took the result: the operands are released (exact
    /// floats and ints: that runs no code) and the fused store is done.
    private func finishStoreIntoLocalsOwn(_ store: FusedLocalStore) {
        release(operand(depth - 2))
        release(operand(depth - 1))
        asm.jmp(store.stored)
    }

    /// The result of the top two values' operation becomes one of them when that one
    /// is a temporary (refcount 1: only the stack holds it) of the result's type: `store`
    /// writes the value into it, and the other operand is released. Saves an allocation
    /// and a deallocation per operation in chains like `a * b + c`. Otherwise `box`
    /// leaves a new object in rax for `haveResult`. Tries the left operand inline, the
    /// right one out of line. Clobbers rax, rdi, rsi before `store`.
    private func reuseTemporary(type: UInt64?, done: Label, haveResult: Label,
                                store: @escaping (Reg64) -> Void, box: @escaping () -> Void) {
        let tryRight = asm.newLabel()
        let depth = self.depth
        let left = operand(depth - 2)
        let right = operand(depth - 1)
        // A borrowed operand (a deferred local or constant) is never a temporary.
        if left.isBorrowed && right.isBorrowed {
            box()
            asm.jmp(haveResult)
            return
        }
        if left.isBorrowed {
            asm.jmp(tryRight)
        } else {
            asm.mov(.rdi, stack(depth - 2))
            guardTemporary(.rdi, type: type, otherwise: tryRight)
            store(.rdi)
            release(right)  // the left operand stays in its slot as the result
            asm.jmp(done)
        }
        outOfLine { [self] in
            let allocate = asm.newLabel()
            asm.bind(tryRight)
            if !right.isBorrowed {
                asm.mov(.rsi, stack(depth - 1))
                guardTemporary(.rsi, type: type, otherwise: allocate)
                store(.rsi)
                if left.isBorrowed {
                    asm.mov(stack(depth - 2), .rsi)
                } else {
                    asm.mov(.rdi, stack(depth - 2))
                    asm.mov(stack(depth - 2), .rsi)
                    masm.decrefArgumentRegister()
                }
                asm.jmp(done)
            }
            asm.bind(allocate)
            box()
            asm.jmp(haveResult)
        }
    }

    /// Jumps to `otherwise` unless `object` has refcount 1 and (when given) exactly the
    /// type at `type`. Clobbers rax.
    private func guardTemporary(_ object: Reg64, type: UInt64?, otherwise: Label) {
        asm.cmp(.qword(object, offsets.object_refcnt), imm: 1)
        asm.jcc(.notEqual, otherwise)
        if let type {
            asm.mov(.rax, .qword(object, offsets.object_type))
            masm.compareWithConstant(.rax, type)
            asm.jcc(.notEqual, otherwise)
        }
    }

    /// rax = an int result of two compact ints (|rax| < 2**62): the cached object for a
    /// small int, a temporary operand when the result fits one digit, else a new int.
    private func boxIntResult(haveResult: Label, done: Label) {
        let notSmall = asm.newLabel()
        let allocate = asm.newLabel()
        masm.cachedSmallInt(.rax, into: .rcx, notSmall: notSmall)
        asm.mov(.rax, .rcx)
        asm.jmp(haveResult)
        asm.bind(notSmall)
        // r10 = the value, r11 = its ob_size (-1 or 1), rcx = its magnitude.
        asm.mov(.r10, .rax)
        masm.splitOneDigit(.rax, magnitude: .rcx, size: .r11, tooBig: allocate)
        if let fused = fusedLocalStore {
            // Not one of the shared small ints, which hold their own values.
            let notOwn = asm.newLabel()
            guardLocalsOwnObject(fused, type: TypeAddress.long, notOwn: notOwn)
            asm.mov(.rax, .rdi)
            asm.sub(.rax, .qword(rip: masm.constantLabel(SmallInts.zero)))
            asm.add(.rax, imm: Int32(-SmallInts.range.lowerBound * SmallInts.stride))
            asm.cmp(.rax, imm: Int32(SmallInts.range.count * SmallInts.stride))
            asm.jcc(.below, notOwn)
            asm.mov(.dword(.rdi, offsets.long_digits), .ecx)
            asm.mov(.qword(.rdi, offsets.var_size), .r11)
            finishStoreIntoLocalsOwn(fused)
            asm.bind(notOwn)
        }
        let allocateOneDigit = asm.newLabel()
        reuseTemporary(type: nil, done: done, haveResult: haveResult,
                       store: { [self] object in
                           asm.mov(.dword(object, offsets.long_digits), .ecx)
                           asm.mov(.qword(object, offsets.var_size), .r11)
                       },
                       box: { [self] in asm.jmp(allocateOneDigit) })
        // A one-digit int from pyjion's free list (MacroAssembler.emitDeallocRoutine
        // keeps the ones that die in machine code), as the float path takes floats.
        asm.bind(allocateOneDigit)
        masm.loadAddress(.rdx, MacroAssembler.intFreeList)
        masm.takeFromFreeList(head: .qword(.rdx, MacroAssembler.intFreeListFirst),
                              count: .qword(.rdx, MacroAssembler.intFreeListCount), type: TypeAddress.long,
                              scratch: .rsi, empty: allocate)
        asm.mov(.qword(.rax, offsets.var_size), .r11)
        asm.mov(.dword(.rax, offsets.long_digits), .ecx)
        asm.jmp(haveResult)
        asm.bind(allocate)
        masm.callHelper(.longFromSsize, [.register(.r10)])
        asm.jmp(haveResult)
    }

    /// rax = a, rdx = b (compact ints). Leaves the boxed result in rax and jumps to
    /// `haveResult` (or, having reused an operand, to `done`), or jumps to `generic`
    /// for operands the inline code does not take.
    private func emitIntArithmetic(_ kind: ArithmeticKind, generic: Label, haveResult: Label, done: Label) {
        switch kind {
        case .add: asm.add(.rax, .rdx)
        case .subtract: asm.sub(.rax, .rdx)
        case .multiply: asm.imul(.rax, .rdx)
        case .and: asm.and(.rax, .rdx)
        case .or: asm.or(.rax, .rdx)
        case .xor: asm.xor(.rax, .rdx)
        case .floorDivide, .remainder:
            // Truncating division, then Python's floor adjustment.
            let exact = asm.newLabel()
            asm.test(.rdx, .rdx)
            asm.jcc(.equal, generic)  // ZeroDivisionError
            asm.mov(.rcx, .rdx)
            asm.cqo()
            asm.idiv(.rcx)
            asm.test(.rdx, .rdx)
            asm.jcc(.equal, exact)
            asm.mov(.rsi, .rdx)
            asm.xor(.rsi, .rcx)
            asm.jcc(.notSign, exact)
            asm.sub(.rax, imm: 1)
            asm.add(.rdx, .rcx)
            asm.bind(exact)
            if kind == .remainder { asm.mov(.rax, .rdx) }
        case .leftShift:
            // |a| < 2**30 and 0 <= b <= 32 keeps the result within 62 bits.
            asm.cmp(.rdx, imm: 32)
            asm.jcc(.above, generic)  // also negative counts (ValueError)
            asm.mov(.rcx, .rdx)
            asm.shlCL(.rax)
        case .rightShift:
            asm.cmp(.rdx, imm: 63)
            asm.jcc(.above, generic)
            asm.mov(.rcx, .rdx)
            asm.sarCL(.rax)
        case .trueDivide:
            // Both exact as doubles, so one IEEE division rounds correctly.
            asm.test(.rdx, .rdx)
            asm.jcc(.equal, generic)
            asm.cvtsi2sd(.xmm0, .rax)
            asm.cvtsi2sd(.xmm1, .rdx)
            asm.divsd(.xmm0, .xmm1)
            allocateFloat()
            asm.jmp(haveResult)
            return
        }
        boxIntResult(haveResult: haveResult, done: done)
    }

    /// xmm0 = a, xmm1 = b: leaves the double result in xmm0.
    private func emitFloatArithmetic(_ kind: ArithmeticKind, generic: Label) {
        switch kind {
        case .add: asm.addsd(.xmm0, .xmm1)
        case .subtract: asm.subsd(.xmm0, .xmm1)
        case .multiply: asm.mulsd(.xmm0, .xmm1)
        case .trueDivide:
            // A zero (or NaN) divisor takes the generic path, which raises ZeroDivisionError.
            asm.xorpd(.xmm2, .xmm2)
            asm.ucomisd(.xmm1, .xmm2)
            asm.jcc(.equal, generic)
            asm.divsd(.xmm0, .xmm1)
        default:
            preconditionFailure("no float path for \(kind)")
        }
    }

    /// rax = a new float holding xmm0 (or NULL with an exception set): PyFloat_FromDouble's
    /// steps inline when the interpreter's float free list has one and tracemalloc is
    /// not tracing; the call otherwise. Clobbers rax, rcx, rdx and (on the call) the
    /// caller-saved registers.
    private func allocateFloat() {
        let call = asm.newLabel()
        let done = asm.newLabel()
        guard offsets.interp_float_free_list >= 0 else {
            masm.callPrepared(.floatFromDouble)
            return
        }
        asm.mov(.rcx, .qword(FrameLayout.threadState, offsets.tstate_interp))
        masm.takeFromFreeList(head: .qword(.rcx, offsets.interp_float_free_list),
                              count: .dword(.rcx, offsets.interp_float_numfree), type: TypeAddress.float,
                              scratch: .rdx, empty: call)
        asm.movsd(.qword(.rax, offsets.float_value), .xmm0)
        asm.bind(done)
        outOfLine { [self] in
            asm.bind(call)
            masm.callPrepared(.floatFromDouble)
            asm.jmp(done)
        }
    }

    private static let builtinLen: UInt64? = pyj_builtin_len().map { UInt64(UInt(bitPattern: $0)) }
    private static let dictType = UInt64(UInt(bitPattern: pyj_dict_type()))
    private static let setType = UInt64(UInt(bitPattern: pyj_set_type()))
    private static let frozensetType = UInt64(UInt(bitPattern: pyj_frozenset_type()))
    private static let unicodeType = UInt64(UInt(bitPattern: pyj_unicode_type()))
    private static let listAppend: UInt64? = pyj_list_append_descriptor().map { UInt64(UInt(bitPattern: $0)) }
    /// Py_TPFLAGS_LIST_SUBCLASS: PyList_Check's test.
    private static let listSubclassFlag = Int32(1 << 25)

    /// UNARY_NEGATIVE with inline paths for compact ints and floats.
    private func visitUnaryNegative() {
        let generic = asm.newLabel()
        let notInt = asm.newLabel()
        let haveResult = asm.newLabel()
        setPrevInstrLazily()
        asm.mov(.rdi, stack(depth - 1))
        masm.guardType(.rdi, TypeAddress.long, notInt)
        masm.loadCompactInt(.rdi, into: .rax, generic)
        asm.neg(.rax)
        masm.callHelper(.longFromSsize, [.register(.rax)])
        asm.jmp(haveResult)
        asm.bind(notInt)
        masm.guardType(.rdi, TypeAddress.float, generic)
        // Flip the sign bit: -(0.0) is -0.0, which 0.0 - x would not give.
        asm.mov(.rax, .qword(.rdi, offsets.float_value))
        asm.mov(.rcx, imm: Int64.min)
        asm.xor(.rax, .rcx)
        asm.movq(.xmm0, .rax)
        allocateFloat()
        let depth = self.depth
        outOfLine { [self] in
            asm.bind(generic)
            masm.callHelper(.unaryOp, [.stackValue(depth - 1), .immediate(1)])
            asm.jmp(haveResult)
        }
        asm.bind(haveResult)
        checkObjectResult()
        asm.mov(FrameLayout.scratch, .rax)
        masm.decrefStackSlot(depth - 1)
        asm.mov(stack(depth - 1), FrameLayout.scratch)
    }

    private func visitBinarySubscr() {
        let generic = asm.newLabel()
        let notList = asm.newLabel()
        let haveResult = asm.newLabel()
        setPrevInstrLazily()
        load(.rdi, operand(depth - 2))
        load(.rsi, operand(depth - 1))
        masm.guardType(.rsi, TypeAddress.long, generic)
        masm.loadCompactIndex(.rsi, into: .rdx, generic)
        // list[i] with 0 <= i < len
        masm.guardType(.rdi, TypeAddress.list, notList)
        asm.cmp(.rdx, .qword(.rdi, offsets.var_size))
        asm.jcc(.aboveOrEqual, generic)
        asm.mov(.rax, .qword(.rdi, offsets.list_items))
        asm.mov(.rax, .qword(.rax, index: .rdx, scale: .x8))
        masm.incref(.rax)
        asm.jmp(haveResult)
        // tuple[i] with 0 <= i < len
        asm.bind(notList)
        masm.guardType(.rdi, TypeAddress.tuple, generic)
        asm.cmp(.rdx, .qword(.rdi, offsets.var_size))
        asm.jcc(.aboveOrEqual, generic)
        asm.mov(.rax, .qword(.rdi, index: .rdx, scale: .x8, offsets.tuple_items))
        masm.incref(.rax)
        let site = nextOperatorSiteAddress()
        let helper = asm.newLabel()
        emitOperatorMethodCall(site: site, binaryOparg: nil, at: generic, otherwise: helper, haveResult: haveResult)
        genericBinary(helper, haveResult, .binarySubscr, [.immediate(Int64(bitPattern: site))])
        finishBinary(haveResult)
    }

    /// The next BINARY_OP or BINARY_SUBSCR cache (a PyjCallSite's class fields).
    private func nextOperatorSiteAddress() -> UInt64 {
        precondition(nextOperatorSite < data.operatorSiteEntries)
        defer { nextOperatorSite += 1 }
        return UInt64(UInt(bitPattern: data.operatorSites + nextOperatorSite))
    }

    /// Out of line at `entry`, for the top two values of BINARY_OP (`binaryOparg`: + - * /
    /// or an in-place form, on two instances of one class) or BINARY_SUBSCR (nil: the
    /// container's class): the class's Python method that the site's cache names
    /// (pyj_fill_method_site: the class's version tag still the cached one, the method
    /// still of the cached code, compiled with a direct entry), called directly with the
    /// two values, as slot_nb_* and slot_mp_subscript call it from C. The values stay
    /// the instruction's (the frame takes references of its own), so NotImplemented
    /// from an operator's method can still name their class in binary_op1's TypeError.
    /// Continues at `haveResult` with the result or NULL; anything else goes to
    /// `otherwise` with nothing done.
    private func emitOperatorMethodCall(site: UInt64, binaryOparg: Int?, at entry: Label, otherwise helper: Label,
                                        haveResult: Label) {
        let values = [operand(depth - 2), operand(depth - 1)]
        outOfLine { [self] in
            let notImplemented = asm.newLabel()
            asm.bind(entry)
            load(.rdi, values[0])
            asm.mov(.rax, .qword(.rdi, offsets.object_type))
            if binaryOparg != nil {
                load(.rsi, values[1])
                asm.cmp(.rax, .qword(.rsi, offsets.object_type))
                asm.jcc(.notEqual, helper)
            }
            asm.mov(.ecx, .dword(.rax, offsets.type_version_tag))
            loadSiteClassMethod(site: site, otherwise: helper)
            masm.storeLazyPrevInstr()
            emitDirectFramePush(frameBytes: .qword(.rdx, FunctionCompiler.siteFrameBytesOffset), fail: helper)
            masm.incref(.rax)  // f_func's reference to the method
            for (index, value) in values.enumerated() {
                load(.r9, value)
                masm.incref(.r9)
                asm.mov(.qword(.rsi, offsets.frame_localsplus + Int32(8 * index)), .r9)
            }
            asm.inc(.qword(.r10, FunctionCompiler.runCountOffset))
            asm.mov(.rdi, FrameLayout.threadState)
            asm.call(.r8)
            if let binaryOparg {
                masm.compareWithConstant(.rax, FunctionCompiler.notImplementedObject)
                asm.jcc(.equal, notImplemented)
                asm.jmp(haveResult)
                // The class has no reflected method to try (binary_op1): binop_type_error.
                asm.bind(notImplemented)
                asm.dec(.qword(.rax, offsets.object_refcnt))  // NotImplemented's count never reaches 0
                masm.callHelper(.sameClassOperatorError, [argument(values[0]), .immediate(Int64(binaryOparg))])
            }
            asm.jmp(haveResult)
        }
    }

    /// With ecx the version tag of a class: whether the site's class fields (filled by
    /// pyj_call_class for an instantiation, pyj_fill_method_site for an operator) still
    /// name that class, and a method of the cached code with its direct entry. Then
    /// rax = the method (borrowed: the class holds it while its tag stands), rdx = the
    /// site, r10 = the code's record and r8 = its direct entry; else jumps to `otherwise`.
    private func loadSiteClassMethod(site: UInt64, otherwise: Label) {
        masm.loadAddress(.rdx, site)
        asm.cmp(.rcx, .qword(.rdx, FunctionCompiler.siteClassVersionOffset))
        asm.jcc(.notEqual, otherwise)
        asm.mov(.rax, .qword(.rdx, FunctionCompiler.siteInitFunctionOffset))
        asm.mov(.rcx, .qword(.rax, offsets.function_code))
        asm.cmp(.rcx, .qword(.rdx, FunctionCompiler.siteInitCodeOffset))
        asm.jcc(.notEqual, otherwise)
        asm.mov(.r10, .qword(.rdx, FunctionCompiler.siteRecordOffset))
        asm.mov(.r8, .qword(.r10, FunctionCompiler.directEntryOffset))
        asm.test(.r8, .r8)
        asm.jcc(.equal, otherwise)
    }

    private static let notImplementedObject = UInt64(UInt(bitPattern: pyj_not_implemented_borrowed()))

    private func visitStoreSubscr() {
        // Stack: [v, container, sub].
        let generic = asm.newLabel()
        let done = asm.newLabel()
        setPrevInstrLazily()
        asm.mov(.rdi, stack(depth - 2))
        asm.mov(.rsi, stack(depth - 1))
        masm.guardType(.rdi, TypeAddress.list, generic)
        masm.guardType(.rsi, TypeAddress.long, generic)
        masm.loadCompactIndex(.rsi, into: .rdx, generic)
        asm.cmp(.rdx, .qword(.rdi, offsets.var_size))
        asm.jcc(.aboveOrEqual, generic)
        // list[i] = v: the list takes v's reference; the old item is released after.
        asm.mov(.rax, .qword(.rdi, offsets.list_items))
        asm.mov(.rcx, stack(depth - 3))
        asm.mov(.rdi, .qword(.rax, index: .rdx, scale: .x8))
        asm.mov(.qword(.rax, index: .rdx, scale: .x8), .rcx)
        masm.decrefArgumentRegister()
        masm.decrefStackSlot(depth - 2)
        masm.decrefStackSlot(depth - 1)
        asm.bind(done)
        let depth = self.depth
        outOfLine { [self] in
            asm.bind(generic)
            masm.callHelper(.storeSubscr, [.stackValue(depth - 2), .stackValue(depth - 1), .stackValue(depth - 3)])
            asm.test(.eax, .eax)
            asm.jcc(.notEqual, errorLabel(depth: depth))
            for offset in [3, 2, 1] { masm.decrefStackSlot(depth - offset) }
            asm.jmp(done)
        }
    }

    /// COMPARE_OP; fused with a following POP_JUMP_*_IF_TRUE/FALSE when nothing else
    /// jumps to that instruction: int and float comparisons then branch directly.
    private func visitCompareOp(_ oparg: Int) throws {
        let next = position + 1
        guard let condition = Condition(richCompare: oparg) else {
            materializeDeferred()
            replaceTop(2, with: .compareOp, [.stackValue(depth - 2), .stackValue(depth - 1), .immediate(Int64(oparg))])
            return
        }
        guard let jumpWhenTrue = fusableJump(at: next) else {
            visitCompareValue(oparg, condition)
            return
        }
        let left = operand(depth - 2)
        let right = operand(depth - 1)
        let errorDepth = ownedDepth
        let generic = asm.newLabel()
        let end = asm.newLabel()
        setPrevInstrLazily()
        compareInline(oparg, condition, into: .r14b, generic: generic)
        release(left)
        release(right)
        deferred = []
        asm.test(.r14b, .r14b)
        try emitFusedJump(at: next, when: jumpWhenTrue ? .notEqual : .equal)
        asm.jmp(end)
        // Generic: a real COMPARE_OP, then the next instruction's own code tests the result.
        let nextLabel = instructionLabels[next]
        genericCompare(oparg, generic, left, right, resultSlot: depth - 2, errorDepth: errorDepth,
                       continueAt: nextLabel)
        fusedCompareEnd = end
    }

    /// The top two values compared inline, the outcome (0 or 1) left in `outcome`: compact
    /// ints, and ordered comparisons of floats; anything else jumps to `generic`.
    private func compareInline(_ oparg: Int, _ condition: Condition, into outcome: Reg8, generic: Label) {
        let notInt = asm.newLabel()
        let decided = asm.newLabel()
        loadTopTwoAsCompactInts(notInt: notInt, generic: generic)
        asm.cmp(.rax, .rdx)
        asm.setcc(condition, outcome)
        asm.jmp(decided)
        asm.bind(notInt)
        switch oparg {
        case 0, 1, 4, 5:
            // Ordered comparisons of floats, or of a float and a compact int (exact as a
            // double, as float_richcompare compares them); NaN compares false, as
            // `above` is false when unordered.
            masm.loadNumberAsDouble(.rdi, into: .xmm0, generic)
            masm.loadNumberAsDouble(.rsi, into: .xmm1, generic)
            if oparg >= 4 { asm.ucomisd(.xmm0, .xmm1) } else { asm.ucomisd(.xmm1, .xmm0) }
            asm.setcc(oparg == 0 || oparg == 4 ? .above : .aboveOrEqual, outcome)
        case 2, 3:
            // == and != of floats, or of a float and a compact int; unordered (a NaN)
            // is unequal.
            let notFloat = asm.newLabel()
            let unordered = asm.newLabel()
            masm.loadNumberAsDouble(.rdi, into: .xmm0, notFloat)
            masm.loadNumberAsDouble(.rsi, into: .xmm1, generic)
            asm.ucomisd(.xmm0, .xmm1)
            asm.jcc(.parity, unordered)
            asm.setcc(condition, outcome)
            asm.jmp(decided)
            asm.bind(unordered)
            asm.setcc(oparg == 2 ? .noParity : .parity, outcome)  // PF is 1: 0 for ==, 1 for !=
            asm.jmp(decided)
            // Two objects whose types both use object's rich comparison (no __eq__ or
            // __ne__ anywhere but object): == is identity and != its negation.
            asm.bind(notFloat)
            masm.loadAddress(.rax, FunctionCompiler.objectRichCompare)
            asm.mov(.rcx, .qword(.rdi, offsets.object_type))
            asm.cmp(.rax, .qword(.rcx, offsets.type_richcompare))
            asm.jcc(.notEqual, generic)
            asm.mov(.rcx, .qword(.rsi, offsets.object_type))
            asm.cmp(.rax, .qword(.rcx, offsets.type_richcompare))
            asm.jcc(.notEqual, generic)
            asm.cmp(.rdi, .rsi)
            asm.setcc(condition, outcome)
        default:
            asm.jmp(generic)
        }
        asm.bind(decided)
    }

    /// COMPARE_OP whose result is a value (`return a == b`, `x = a < b`): ints and
    /// ordered float comparisons inline, giving True or False; anything else through
    /// the generic helper.
    private func visitCompareValue(_ oparg: Int, _ condition: Condition) {
        let generic = asm.newLabel()
        let done = asm.newLabel()
        let left = operand(depth - 2)
        let right = operand(depth - 1)
        let errorDepth = ownedDepth
        let depth = self.depth
        setPrevInstrLazily()
        compareInline(oparg, condition, into: .cl, generic: generic)
        masm.loadAddress(FrameLayout.scratch, FunctionCompiler.falseObject)
        masm.loadAddress(.rax, FunctionCompiler.trueObject)
        asm.test(.cl, .cl)
        asm.cmovcc(.notEqual, FrameLayout.scratch, .rax)
        masm.incref(FrameLayout.scratch)
        release(left)
        release(right)
        asm.mov(stack(depth - 2), FrameLayout.scratch)
        deferred = []
        asm.bind(done)
        genericCompare(oparg, generic, left, right, resultSlot: depth - 2, errorDepth: errorDepth, continueAt: done)
    }

    /// Out of line at `generic`: a real COMPARE_OP, its result stored in `resultSlot`.
    private func genericCompare(_ oparg: Int, _ generic: Label, _ left: Operand, _ right: Operand,
                                resultSlot: Int, errorDepth: Int, continueAt: Label) {
        outOfLine { [self] in
            asm.bind(generic)
            masm.callHelper(.compareOp, [argument(left), argument(right), .immediate(Int64(oparg))])
            asm.test(.rax, .rax)
            asm.jcc(.equal, errorLabel(depth: errorDepth))
            asm.mov(FrameLayout.scratch, .rax)
            release(left)
            release(right)
            asm.mov(stack(resultSlot), FrameLayout.scratch)
            asm.jmp(continueAt)
        }
    }

    /// The conditional jump of the POP_JUMP at `next`, compiled with the instruction
    /// before it: it belongs to that POP_JUMP (its target, its eval-breaker check).
    private func emitFusedJump(at next: Int, when condition: Condition) throws {
        let current = instruction!
        let currentDepth = depth
        defer {
            instruction = current
            depth = currentDepth
        }
        instruction = decoded.instructions[next]
        depth = decoded.stackDepthAtStart[next]!
        try jumpTo(try label(forCodeUnit: instruction.jumpTarget!), when: condition, depthAtTarget: depth - 1)
    }

    /// For the instruction at `position` if it is a POP_JUMP_IF_TRUE/FALSE that can
    /// compile with the one before it (reachable, and nothing jumps to it): whether it
    /// jumps on true.
    private func fusableJump(at position: Int) -> Bool? {
        let instructions = decoded.instructions
        guard position < instructions.count, reachable[position],
              !decoded.jumpTargets.contains(instructions[position].prefixStart) else { return nil }
        return FunctionCompiler.popJumpTruth(instructions[position].opcode)
    }

    private static func popJumpTruth(_ opcode: Opcode) -> Bool? {
        switch opcode {
        case .popJumpForwardIfTrue, .popJumpBackwardIfTrue: return true
        case .popJumpForwardIfFalse, .popJumpBackwardIfFalse: return false
        default: return nil
        }
    }

    // MARK: Attribute inline caches

    private func nextAttributeEntry() -> UInt64 {
        precondition(nextAttributeCacheEntry < data.attributeCacheEntries)
        defer { nextAttributeCacheEntry += 1 }
        return UInt64(UInt(bitPattern: data.attributeCache + nextAttributeCacheEntry * AttributeCacheEntry.ways))
    }

    /// Jumps to `miss` unless the type of the object in `object` has the version of one
    /// of the site's entries; leaves that entry's address in rcx. Clobbers rax; leaves
    /// the type in rsi.
    private func guardTypeVersion(_ object: Reg64, entry: UInt64, _ miss: Label) {
        // The first way falls through; the others are scanned out of line (a site that
        // sees one class, the common case, takes no branch).
        let hit = asm.newLabel()
        let otherWays = asm.newLabel()
        masm.loadAddress(.rcx, entry)
        asm.mov(.rsi, .qword(object, offsets.object_type))
        asm.mov(.eax, .dword(.rsi, offsets.type_version_tag))
        asm.cmp(.rax, .qword(.rcx, AttributeCacheEntry.typeVersionOffset))
        asm.jcc(.notEqual, otherWays)
        asm.bind(hit)
        outOfLine { [self] in
            asm.bind(otherWays)
            masm.scanWays(1..<AttributeCacheEntry.ways, for: .rax, in: .rcx, stride: AttributeCacheEntry.stride,
                          keyOffset: AttributeCacheEntry.typeVersionOffset, found: hit, otherwise: miss)
        }
    }

    /// Leaves in rax the address of the cached attribute's slot: in the object's values
    /// array (an empty one is a miss for stores, which would need the insertion order)
    /// or a `__slots__` member's slot in the object itself (kind 1); or jumps to `miss`
    /// (other type version, or no values array). rcx = entry.
    private func instanceValueSlot(_ object: Reg64, entry: UInt64, _ miss: Label, forStore: Bool = false,
                                   emptyValue: Label? = nil, name: Int64) {
        let memberSlot = asm.newLabel()
        let found = asm.newLabel()
        guardTypeVersion(object, entry: entry, miss)
        asm.mov(.rdx, .qword(.rcx, AttributeCacheEntry.indexOffset))
        asm.cmp(.qword(.rcx, AttributeCacheEntry.keysEntriesOffset), imm: 0)
        asm.jcc(.notEqual, memberSlot)
        asm.mov(.r8, .qword(object, offsets.object_values))
        asm.test(.r8, .r8)
        asm.jcc(.equal, miss)
        asm.lea(.rax, .qword(.r8, index: .rdx, scale: .x8))
        if forStore {
            // An empty value (r8 = values, rdx = index) also joins the insertion order.
            asm.cmp(.qword(.rax), imm: 0)
            asm.jcc(.equal, emptyValue ?? miss)
        }
        asm.bind(found)
        // The other kinds out of line, back at `found` (the values array falls through).
        outOfLine { [self] in
            asm.bind(memberSlot)
            otherInstanceSlots(object, miss: miss, found: found, forStore: forStore, name: name)
        }
    }

    /// instanceValueSlot's kinds other than the values array: rcx = the entry, rdx = its
    /// index; leaves the slot's address in rax and jumps to `found`, or to `miss`.
    private func otherInstanceSlots(_ object: Reg64, miss: Label, found: Label, forStore: Bool, name: Int64) {
        // Kind 2, an instance dict: its entry at the hint, if it still holds the name,
        // has the value (LOAD_ATTR_WITH_HINT, STORE_ATTR_WITH_HINT).
        let member = asm.newLabel()
        asm.cmp(.qword(.rcx, AttributeCacheEntry.keysEntriesOffset), imm: 2)
        asm.jcc(.notEqual, member)
        asm.mov(.r9, .qword(object, offsets.object_managed_dict))
        asm.test(.r9, .r9)
        asm.jcc(.equal, miss)
        asm.cmp(.qword(.r9, offsets.dict_values), imm: 0)
        asm.jcc(.notEqual, miss)
        if forStore {
            // An untracked dict may need tracking for the new value: the helper's case.
            asm.cmp(.qword(.r9, offsets.gc_next_from_object), imm: 0)
            asm.jcc(.equal, miss)
        }
        asm.mov(.rax, .qword(.r9, offsets.dict_keys))
        unicodeEntry(keys: .rax, index: .rdx, holding: name, into: .r8, miss)
        asm.lea(.rax, .qword(.r8, 8))  // its value
        if forStore {
            asm.cmp(.qword(.rax), imm: 0)
            asm.jcc(.equal, miss)
            // The dict changes: a new PEP 509 version (see pyj_dict_version_counter).
            masm.loadAddress(.r10, FunctionCompiler.dictVersionCounter)
            asm.mov(.rcx, .qword(.r10))
            asm.inc(.rcx)
            asm.mov(.qword(.r10), .rcx)
            asm.mov(.qword(.r9, offsets.dict_version), .rcx)
        }
        asm.jmp(found)
        asm.bind(member)
        asm.lea(.rax, .qword(object, index: .rdx, scale: .x1))
        asm.jmp(found)
    }

    private static let dictVersionCounter = UInt64(UInt(bitPattern: pyj_dict_version_counter_address()))
    private static let objectRichCompare = UInt64(UInt(bitPattern: pyj_object_richcompare()))

    /// With `keys` a dict's keys object and `index` an entry index (taken unsigned),
    /// leaves in `entry` the address of that `PyDictUnicodeEntry` (key, then value) if
    /// it holds `name` (by identity); jumps to `miss` if the index is out of range, the
    /// keys are not str-keyed, or the entry holds another key. Clobbers rcx, rdx and
    /// `index`; `entry` must not be rcx or rdx.
    private func unicodeEntry(keys: Reg64, index: Reg64, holding name: Int64, into entry: Reg64, _ miss: Label) {
        asm.cmp(index, .qword(keys, offsets.keys_nentries))
        asm.jcc(.aboveOrEqual, miss)
        asm.cmp(.byte(keys, offsets.keys_kind), imm: 0)  // DICT_KEYS_GENERAL
        asm.jcc(.equal, miss)
        // entries = keys + header + (1 << dk_log2_index_bytes); 16 bytes each
        asm.movzx(.ecx, .byte(keys, offsets.keys_log2_index_bytes))
        asm.mov(entry, imm: 1)
        asm.shlCL(entry)
        asm.add(entry, keys)
        asm.shl(index, imm: 4)
        asm.add(entry, index)
        asm.add(entry, imm: offsets.keys_header_size)
        masm.loadAddress(.rdx, UInt64(UInt(bitPattern: Int(name))))
        asm.cmp(.rdx, .qword(entry))
        asm.jcc(.notEqual, miss)
    }

    /// For a cache miss, out of line: an owner that is a class whose metatype is exactly
    /// `type`, with one of the site's class-attribute entries (kind 3, tagged with
    /// PYJ_CLASS_ATTRIBUTE_TAG), leaves the attribute (a new reference) in rax and jumps
    /// to `hit`; anything else falls through to the helper. Clobbers rax, rcx, rdi.
    private func classAttribute(_ owner: Operand, entry: UInt64, hit: Label, boundToClass: Label? = nil) {
        let notFound = asm.newLabel()
        let plain = asm.newLabel()
        let classMethod = asm.newLabel()
        load(.rdi, owner)
        asm.mov(.rax, .qword(.rdi, offsets.object_type))
        masm.compareWithConstant(.rax, TypeAddress.type)
        asm.jcc(.notEqual, notFound)
        asm.mov(.eax, .dword(.rdi, offsets.type_version_tag))
        asm.or(.rax, .qword(rip: masm.constantLabel(FunctionCompiler.classAttributeTag)))
        findSiteEntry(tagged: .rax, entry: entry, notFound)
        asm.mov(.rax, .qword(.rcx, AttributeCacheEntry.objectOffset))
        asm.cmp(.qword(.rcx, AttributeCacheEntry.indexOffset), imm: 0)
        asm.jcc(.equal, plain)
        asm.cmp(.qword(.rcx, AttributeCacheEntry.indexOffset), imm: 2)
        asm.jcc(.equal, boundToClass == nil ? notFound : classMethod)
        // The callable of a staticmethod or classmethod, read now.
        asm.mov(.rax, .qword(.rax, pyj_staticmethod_callable_offset()))
        asm.test(.rax, .rax)
        asm.jcc(.equal, notFound)  // an uninitialized one: the helper raises
        asm.bind(plain)
        masm.incref(.rax)
        asm.jmp(hit)
        if let boundToClass {
            // A classmethod around a plain function: that function, the class its first
            // argument (anything else inside binds its own way: the helper's path).
            asm.bind(classMethod)
            asm.mov(.rax, .qword(.rax, pyj_staticmethod_callable_offset()))
            asm.test(.rax, .rax)
            asm.jcc(.equal, notFound)
            asm.mov(.rdx, .qword(.rax, offsets.object_type))
            masm.compareWithConstant(.rdx, FunctionCompiler.functionType)
            asm.jcc(.notEqual, notFound)
            masm.incref(.rax)
            asm.jmp(boundToClass)
        }
        asm.bind(notFound)
    }

    /// For a cache miss, out of line: an owner that is a module (exactly ModuleType)
    /// whose dict still has the keys object of one of the site's module entries (kind 4,
    /// tagged with PYJ_MODULE_ATTRIBUTE_TAG), with the name at the entry's index and a
    /// value there, leaves that value (a new reference) in rax and jumps to `hit`, as
    /// LOAD_ATTR_MODULE does; anything else falls through. Clobbers rax, rcx, rdx, rdi, r8.
    private func moduleAttribute(_ owner: Operand, entry: UInt64, name: Int64, hit: Label) {
        let notFound = asm.newLabel()
        load(.rdi, owner)
        asm.mov(.rax, .qword(.rdi, offsets.object_type))
        masm.compareWithConstant(.rax, FunctionCompiler.moduleType)
        asm.jcc(.notEqual, notFound)
        asm.mov(.rax, .qword(.rdi, offsets.module_dict))
        asm.test(.rax, .rax)
        asm.jcc(.equal, notFound)
        asm.cmp(.qword(.rax, offsets.dict_values), imm: 0)
        asm.jcc(.notEqual, notFound)
        asm.mov(.rax, .qword(.rax, offsets.dict_keys))
        asm.mov(.rdx, .rax)
        asm.or(.rdx, .qword(rip: masm.constantLabel(FunctionCompiler.moduleAttributeTag)))
        findSiteEntry(tagged: .rdx, entry: entry, notFound)
        asm.mov(.rdx, .qword(.rcx, AttributeCacheEntry.indexOffset))
        unicodeEntryValue(keys: .rax, index: .rdx, holding: name, entry: .r8, notFound)
        asm.jmp(hit)
        asm.bind(notFound)
    }

    static let moduleAttributeTag = UInt64(1) << 63
    private static let moduleType = UInt64(UInt(bitPattern: pyj_module_type()))
    /// Leaves in rcx the site's entry whose first word is `tagged` (a tagged class
    /// version or module keys object), or jumps to `notFound`.
    private func findSiteEntry(tagged: Reg64, entry: UInt64, _ notFound: Label) {
        // The first way falls through; the others are scanned out of line.
        let found = asm.newLabel()
        let otherWays = asm.newLabel()
        masm.loadAddress(.rcx, entry)
        asm.cmp(tagged, .qword(.rcx, AttributeCacheEntry.typeVersionOffset))
        asm.jcc(.notEqual, otherWays)
        asm.bind(found)
        outOfLine { [self] in
            asm.bind(otherWays)
            masm.scanWays(1..<AttributeCacheEntry.ways, for: tagged, in: .rcx, stride: AttributeCacheEntry.stride,
                          keyOffset: AttributeCacheEntry.typeVersionOffset, found: found, otherwise: notFound)
        }
    }

    static let classAttributeTag = UInt64(1) << 32

    /// `unicodeEntry`, then its value, a new reference in rax; jumps to `miss` also
    /// when the entry holds no value.
    private func unicodeEntryValue(keys: Reg64, index: Reg64, holding name: Int64, entry: Reg64, _ miss: Label) {
        unicodeEntry(keys: keys, index: index, holding: name, into: entry, miss)
        asm.mov(.rax, .qword(entry, 8))  // its value
        asm.test(.rax, .rax)
        asm.jcc(.equal, miss)
        masm.incref(.rax)
    }

    /// LOAD_ATTR of an instance attribute kept in the object's values array, as the
    /// interpreter's LOAD_ATTR_INSTANCE_VALUE does; anything else through the helper.
    private func visitLoadAttr(_ oparg: Int) {
        let site = nextAttributeCacheEntry
        let entry = nextAttributeEntry()
        attributeEntryAt[position] = entry
        let miss = asm.newLabel()
        let haveResult = asm.newLabel()
        let owner = operand(depth - 1)
        setPrevInstrLazily()
        if ownerIsClass(site: site, owner: loadedNameAt[depth - 1]) {
            // A global name that was a class when the code compiled (`Direction.FORWARD`):
            // the class-attribute entries inline; an instance, a module or a miss through
            // the helper.
            classAttribute(owner, entry: entry, hit: haveResult)
            asm.jmp(miss)
            finishLoadAttr(oparg, owner: owner, entry: entry, haveResult: haveResult, miss: miss,
                           otherKinds: false)
            return
        }
        load(.rdi, owner)
        instanceValueSlot(.rdi, entry: entry, miss, name: name(oparg))
        asm.mov(.rax, .qword(.rax))
        asm.test(.rax, .rax)
        asm.jcc(.equal, miss)
        masm.incref(.rax)
        finishLoadAttr(oparg, owner: owner, entry: entry, haveResult: haveResult, miss: miss, otherKinds: true)
    }

    /// LOAD_ATTR's end: at `haveResult` (rax, a new reference), the owner released and
    /// the result in its slot; out of line at `miss`, the module and class entries
    /// (`otherKinds`) and then the helper.
    private func finishLoadAttr(_ oparg: Int, owner: Operand, entry: UInt64, haveResult: Label, miss: Label,
                                otherKinds: Bool) {
        asm.bind(haveResult)
        if owner.isBorrowed {
            asm.mov(stack(depth - 1), .rax)
        } else {
            asm.mov(FrameLayout.scratch, .rax)
            release(owner)
            asm.mov(stack(depth - 1), FrameLayout.scratch)
        }
        let error = errorLabel(depth: ownedDepth)
        deferred = []
        let nameObject = name(oparg)
        outOfLine { [self] in
            asm.bind(miss)
            if otherKinds {
                moduleAttribute(owner, entry: entry, name: nameObject, hit: haveResult)
                classAttribute(owner, entry: entry, hit: haveResult)
            }
            masm.callHelper(.loadAttrCached, [argument(owner), .immediate(nameObject), .immediate(Int64(bitPattern: entry))])
            asm.test(.rax, .rax)
            asm.jcc(.equal, error)
            asm.jmp(haveResult)
        }
    }

    /// Whether the global class `owner` names had a classmethod `name` when the code first
    /// compiled (recorded): a hint for the call's shape.
    private func classMethodOnClass(site: Int, owner: LoadedName, name: Int64) -> Bool {
        if let recorded = data.classMethodOnClass[site] { return recorded }
        var isClassMethod = false
        if let value = globalValue(owner), let nameObject = UnsafeMutablePointer<PyObject>(bitPattern: Int(name)) {
            isClassMethod = pyj_is_classmethod_of(value, nameObject) != 0
        }
        data.classMethodOnClass[site] = isClassMethod
        return isClassMethod
    }

    /// Whether attribute site `site`'s owner is a global name that was bound to a class
    /// (a type whose metatype is exactly `type`) when the code first compiled (recorded).
    private func ownerIsClass(site: Int, owner: LoadedName?) -> Bool {
        if let recorded = data.ownerIsClass[site] { return recorded }
        var isClass = false
        if let owner, let value = globalValue(owner) {
            isClass = UInt64(UInt(bitPattern: value.pointee.ob_type)) == TypeAddress.type
        }
        data.ownerIsClass[site] = isClass
        return isClass
    }

    /// STORE_ATTR into an existing instance attribute slot (STORE_ATTR_INSTANCE_VALUE).
    private func visitStoreAttr(_ oparg: Int) {
        // Stack: [v, owner]; the owner may be a deferred local.
        let entry = nextAttributeEntry()
        let miss = asm.newLabel()
        let done = asm.newLabel()
        let owner = operand(depth - 1)
        let errorDepth = ownedDepth
        setPrevInstrLazily()
        load(.rdi, owner)
        let emptyValue = asm.newLabel()
        instanceValueSlot(.rdi, entry: entry, miss, forStore: true, emptyValue: emptyValue, name: name(oparg))
        asm.mov(.rdx, stack(depth - 2))
        asm.mov(.rdi, .qword(.rax))
        asm.mov(.qword(.rax), .rdx)  // the slot takes v's reference
        masm.xdecrefArgumentRegister()
        release(owner)
        asm.bind(done)
        deferred = []
        let depth = self.depth
        let nameObject = name(oparg)
        outOfLine { [self] in
            // An empty value: store it and append its index to the values' insertion
            // order (_PyDictValues_AddToInsertionOrder: the count is the byte at
            // values[-2], the order bytes run down from values[-3]).
            asm.bind(emptyValue)
            asm.mov(.rcx, stack(depth - 2))
            asm.mov(.qword(.rax), .rcx)  // the slot takes v's reference
            asm.movzx(.ecx, .byte(.r8, -2))
            asm.inc(.ecx)
            asm.mov(.byte(.r8, -2), .cl)
            asm.neg(.rcx)
            asm.mov(.byte(.r8, index: .rcx, scale: .x1, -2), .dl)
            release(owner)
            asm.jmp(done)
        }
        outOfLine { [self] in
            asm.bind(miss)
            masm.callHelper(.storeAttrCached, [
                argument(owner), .immediate(nameObject), .stackValue(depth - 2), .immediate(Int64(bitPattern: entry)),
            ])
            asm.test(.eax, .eax)
            asm.jcc(.notEqual, errorLabel(depth: errorDepth))
            masm.decrefStackSlot(depth - 2)
            release(owner)
            asm.jmp(done)
        }
    }

    /// LOAD_METHOD of a method found on the type, when the instance cannot shadow it
    /// (LOAD_METHOD_WITH_VALUES and LOAD_METHOD_NO_DICT).
    private func visitLoadMethod(_ oparg: Int) {
        let site = nextAttributeCacheEntry
        let entry = nextAttributeEntry()
        let miss = asm.newLabel()
        let noDict = asm.newLabel()
        let done = asm.newLabel()
        setPrevInstrLazily()
        let owner = loadedNameAt[depth - 1]
        if ownerIsClass(site: site, owner: owner) {
            // A global name that was a class when the code compiled (`Strength.stronger(a,
            // b)`, `Base.__init__(self)`): its class-attribute entries first, inline.
            loadMethodPredictsMethodShape = classMethodOnClass(site: site, owner: owner!, name: name(oparg))
            let classHit = asm.newLabel()
            let classMethodHit = asm.newLabel()
            classAttribute(.slot(depth - 1), entry: entry, hit: classHit, boundToClass: classMethodHit)
            asm.jmp(miss)
            let depth = self.depth
            outOfLine { [self] in
                asm.bind(classHit)
                finishClassAttributeForCall(depth: depth, done: done)
                asm.bind(miss)
                loadMethodThroughHelper(depth: depth, name: name(oparg), entry: entry, done: done)
            }
            asm.bind(classMethodHit)
            finishClassMethodForCall(depth: depth, done: nil)
            asm.bind(done)
            return
        }
        loadMethodPredictsMethodShape = nil
        asm.mov(.rdi, stack(depth - 1))
        guardTypeVersion(.rdi, entry: entry, miss)
        asm.mov(.rax, .qword(.rcx, AttributeCacheEntry.keysEntriesOffset))
        asm.test(.rax, .rax)
        asm.jcc(.sign, noDict)
        let instanceDict = asm.newLabel()
        asm.cmp(.qword(.rdi, offsets.object_managed_dict), imm: 0)
        asm.jcc(.notEqual, instanceDict)
        asm.mov(.rdx, .qword(.rsi, offsets.heaptype_cached_keys))
        asm.cmp(.rax, .qword(.rdx, offsets.keys_nentries))
        asm.jcc(.notEqual, miss)
        asm.bind(noDict)
        asm.mov(.rax, .qword(.rcx, AttributeCacheEntry.objectOffset))
        masm.incref(.rax)
        asm.mov(stack(depth - 1), .rax)
        asm.mov(stack(depth), .rdi)  // self moves up
        asm.bind(done)
        let depth = self.depth
        let nameObject = name(oparg)
        let dictCheck = asm.newLabel()
        outOfLine { [self] in
            // An instance with a real dict: the method stands unless the dict has the
            // name. Its str-keyed table with one-byte indices is probed here, as
            // unicodekeys_lookup_unicode does; anything else asks pyj_method_dict_check.
            asm.bind(instanceDict)
            probeForAbsentName(owner: .rdi, name: nameObject, absent: noDict, present: miss, unsure: dictCheck)
            asm.bind(dictCheck)
            asm.mov(FrameLayout.scratch, .rcx)  // the entry that matched
            masm.callHelper(.methodDictCheck, [.stackValue(depth - 1), .immediate(nameObject)])
            asm.mov(.rdi, stack(depth - 1))
            asm.mov(.rcx, FrameLayout.scratch)
            asm.test(.eax, .eax)
            asm.jcc(.notEqual, noDict)
            asm.bind(miss)
            let classHit = asm.newLabel()
            let notClass = asm.newLabel()
            let classMethodHit = asm.newLabel()
            moduleAttribute(.slot(depth - 1), entry: entry, name: nameObject, hit: classHit)
            classAttribute(.slot(depth - 1), entry: entry, hit: classHit, boundToClass: classMethodHit)
            asm.jmp(notClass)
            asm.bind(classMethodHit)
            finishClassMethodForCall(depth: depth, done: done)
            asm.bind(classHit)
            finishClassAttributeForCall(depth: depth, done: done)
            asm.bind(notClass)
            loadMethodThroughHelper(depth: depth, name: nameObject, entry: entry, done: done)
        }
    }

    /// LOAD_METHOD's [function, class] for a classmethod on its class (rax = the
    /// function, a new reference; rdi = the class, whose reference moves up); then
    /// `done`, or the code that follows.
    private func finishClassMethodForCall(depth: Int, done: Label?) {
        asm.mov(stack(depth - 1), .rax)
        asm.mov(stack(depth), .rdi)
        if let done { asm.jmp(done) }
    }

    /// LOAD_METHOD's [NULL, attribute] for any other attribute of a class (rax, a new
    /// reference): called without self, as _PyObject_GetMethod leaves it.
    private func finishClassAttributeForCall(depth: Int, done: Label) {
        asm.mov(FrameLayout.scratch, .rax)
        masm.decrefStackSlot(depth - 1)
        asm.mov(stack(depth - 1), imm: 0)
        asm.mov(stack(depth), FrameLayout.scratch)
        asm.jmp(done)
    }

    /// LOAD_METHOD by the helper (which fills the site's entries), then `done`.
    private func loadMethodThroughHelper(depth: Int, name: Int64, entry: UInt64, done: Label) {
        masm.callHelper(.loadMethodCached, [.stackAddress(depth - 1), .immediate(name), .immediate(Int64(bitPattern: entry))])
        asm.test(.eax, .eax)
        asm.jcc(.notEqual, errorLabel(depth: depth))
        asm.jmp(done)
    }

    /// Whether `owner`'s instance dict holds `name`: jumps to `absent` or `present`, or
    /// to `unsure` for a dict this cannot tell (a split table, general keys, indices
    /// wider than a byte, a different str of the same hash). Probes as
    /// unicodekeys_lookup_unicode, from the hash `name` caches. Keeps rdi and rcx;
    /// clobbers rax, rdx, rsi and r8 to r11.
    private func probeForAbsentName(owner: Reg64, name: Int64, absent: Label, present: Label, unsure: Label) {
        let nameObject = UnsafeMutablePointer<PyObject>(bitPattern: Int(name))!
        let hash = PyObject_Hash(nameObject)
        guard hash != -1 else {
            PyErr_Clear()
            asm.jmp(unsure)
            return
        }
        let probe = asm.newLabel()
        let notEntry = asm.newLabel()
        let advance = asm.newLabel()
        asm.mov(.r9, .qword(owner, offsets.object_managed_dict))
        asm.cmp(.qword(.r9, offsets.dict_values), imm: 0)
        asm.jcc(.notEqual, unsure)
        asm.mov(.rax, .qword(.r9, offsets.dict_keys))
        asm.cmp(.byte(.rax, offsets.keys_kind), imm: 0)  // DICT_KEYS_GENERAL
        asm.jcc(.equal, unsure)
        // One-byte indices: fewer than 256 slots, so the index table is 2**dk_log2_size bytes.
        asm.movzx(.r10, .byte(.rax, offsets.keys_log2_size))
        asm.cmp(.r10, imm: 8)
        asm.jcc(.aboveOrEqual, unsure)
        asm.mov(.r11, .rcx)
        asm.mov(.rcx, .r10)
        asm.mov(.r10, imm: 1)
        asm.shlCL(.r10)
        asm.lea(.rsi, .qword(.rax, index: .r10, scale: .x1, offsets.keys_header_size))  // the entries
        asm.mov(.rcx, .r11)
        asm.dec(.r10)  // the mask
        asm.mov(.r8, imm: Int64(hash))  // perturb
        asm.mov(.rdx, .r8)
        asm.and(.rdx, .r10)  // i
        asm.bind(probe)
        asm.movsx(.r11, .byte(.rax, index: .rdx, scale: .x1, offsets.keys_header_size))
        asm.test(.r11, .r11)
        asm.jcc(.sign, notEntry)  // DKIX_EMPTY (-1) or DKIX_DUMMY (-2)
        asm.shl(.r11, imm: 4)
        asm.mov(.r11, .qword(.rsi, index: .r11, scale: .x1))  // its key
        masm.compareWithConstant(.r11, UInt64(UInt(bitPattern: Int(name))))
        asm.jcc(.equal, present)
        asm.mov(.r11, .qword(.r11, offsets.unicode_hash))
        masm.compareWithConstant(.r11, UInt64(bitPattern: Int64(hash)))
        asm.jcc(.equal, unsure)  // an equal str may be a different object
        asm.jmp(advance)
        asm.bind(notEntry)
        asm.cmp(.r11, imm: -1)
        asm.jcc(.equal, absent)
        asm.bind(advance)
        asm.shr(.r8, imm: 5)
        asm.lea(.rdx, .qword(.rdx, index: .rdx, scale: .x4, 1))
        asm.add(.rdx, .r8)
        asm.and(.rdx, .r10)
        asm.jmp(probe)
    }

    // MARK: Closures, star-calls, patterns

    /// The out-of-line end of an "object or miss" helper call that returned NULL: an
    /// exception set is an error; none means the evaluator redoes this instruction.
    private func missOrError(_ miss: Label, _ reason: ExitReason) {
        let error = errorLabel(depth: depth)
        let redo = exitBefore(reason)
        outOfLine { [self] in
            asm.bind(miss)
            asm.cmp(.qword(FrameLayout.threadState, offsets.tstate_curexc_type), imm: 0)
            asm.jcc(.notEqual, error)
            asm.jmp(redo)
        }
    }

    /// rax holds an "object or miss" result: push it, or raise, or let the interpreter
    /// run this instruction (no side effect has happened).
    private func pushObjectOrExit(_ reason: ExitReason) {
        let miss = asm.newLabel()
        asm.test(.rax, .rax)
        asm.jcc(.equal, miss)
        asm.mov(stack(depth), .rax)
        missOrError(miss, reason)
    }

    private func visitLoadDeref(_ index: Int) {
        asm.mov(.rax, masm.local(index))
        asm.mov(.rax, .qword(.rax, offsets.cell_ref))
        asm.test(.rax, .rax)
        asm.jcc(.equal, exitBefore(.unboundLocal))
        masm.incref(.rax)
        asm.mov(stack(depth), .rax)
    }

    private func visitStoreDeref(_ index: Int) {
        setPrevInstr()
        asm.mov(.rax, stack(depth - 1))
        asm.mov(.rcx, masm.local(index))
        asm.mov(.rdi, .qword(.rcx, offsets.cell_ref))
        asm.mov(.qword(.rcx, offsets.cell_ref), .rax)
        masm.xdecrefArgumentRegister()
    }

    private func visitDeleteDeref(_ index: Int) {
        asm.mov(.rcx, masm.local(index))
        asm.mov(.rdi, .qword(.rcx, offsets.cell_ref))
        asm.test(.rdi, .rdi)
        asm.jcc(.equal, exitBefore(.unboundLocal))
        asm.mov(.qword(.rcx, offsets.cell_ref), imm: 0)
        setPrevInstr()
        masm.decrefArgumentRegister()
    }

    private func visitCallFunctionEx(_ oparg: Int) {
        let inputs = 3 + (oparg & 1)
        let base = depth - inputs
        setPrevInstr()
        masm.callHelper(.callFunctionEx, [.stackAddress(base), .immediate(Int64(oparg & 1))])
        checkObjectResult()
        asm.mov(stack(base), .rax)
        checkEvalBreaker(
            errorDepth: base + 1,
            tracingExit: exitLabel(resumeAt: instruction.nextIndex, depth: base + 1, reason: .tracing))
    }

    /// UNPACK_SEQUENCE n: an exact tuple or list of n items is unpacked inline, as
    /// UNPACK_SEQUENCE_TUPLE/_LIST do (item 0 ends on top); anything else through the
    /// helper (iteration, the interpreter's messages).
    /// UNPACK_SEQUENCE: exact tuples and lists of the right size inline (their items
    /// pushed in reverse), anything else through the generic helper. Storing a tuple's
    /// items straight into the STORE_FASTs' locals was tried and measured slower
    /// (unpack_sequence 7.9 -> 14.8 ns per unpacking).
    /// The `count` STORE_FASTs right after the current instruction, when nothing else
    /// jumps to them (`a, b = t`).
    private func fusedStoreFasts(_ count: Int, unpackAt unpack: Int) -> [(position: Int, instruction: Instruction)]? {
        let instructions = decoded.instructions
        guard count >= 1, count <= Int(PYJ_MAX_FUSED_UNPACK), unpack + count < instructions.count else { return nil }
        var stores: [(position: Int, instruction: Instruction)] = []
        for next in (unpack + 1)...(unpack + count) {
            let store = instructions[next]
            guard reachable[next], store.opcode == .storeFast, !decoded.jumpTargets.contains(store.prefixStart),
                  !handlerTargets.contains(store.prefixStart) else { return nil }
            stores.append((next, store))
        }
        return stores
    }

    /// UNPACK_SEQUENCE of an exact tuple or list of `count` items straight into the
    /// locals of the STORE_FASTs that follow: item k goes to store k's local (new
    /// reference), the old value is released. Nothing can run until an old value dies;
    /// from then on pyj_unpack_store_tail keeps the evaluator's order. Anything else
    /// unpacks to the stack and stores as the evaluator does.
    private func visitFusedUnpackSequence(_ count: Int, _ stores: [(position: Int, instruction: Instruction)]) {
        let haveItems = asm.newLabel()
        let done = asm.newLabel()
        let tail = asm.newLabel()
        let depth = self.depth
        let unit = instruction.index
        var tableValues: [Int32] = [Int32(count)]
        for store in stores { tableValues += [Int32(store.instruction.oparg), Int32(store.instruction.index)] }
        let table = UInt64(UInt(bitPattern: data.table(tableValues)))
        // A sequence read from its local in place (LOAD_FAST deferred) is borrowed until
        // a path needs the stack's reference: every path but the one that finds the
        // items already in their locals takes it first (`takeReference`).
        let sequence = operand(depth - 1)
        let borrowed = sequence.isBorrowed
        deferred = []
        let takeReference = { [self] in
            if borrowed {
                masm.incref(.r9)
                asm.mov(stack(depth - 1), .r9)
            }
        }
        let notTupleOrList = asm.newLabel()
        load(.r9, sequence)
        // Both kinds inline: each site's own out-of-line code is far away.
        asm.cmp(.qword(.r9, offsets.var_size), imm: Int32(count))
        asm.jcc(.notEqual, notTupleOrList)
        asm.mov(.rax, .qword(.r9, offsets.object_type))
        asm.lea(.rsi, .qword(.r9, offsets.tuple_items))
        masm.compareWithConstant(.rax, FunctionCompiler.tupleType)
        asm.jcc(.equal, haveItems)
        masm.compareWithConstant(.rax, FunctionCompiler.listType)
        asm.jcc(.notEqual, notTupleOrList)
        asm.mov(.rsi, .qword(.r9, offsets.list_items))
        asm.bind(haveItems)
        // Every item already in its store's local (the same sequence unpacked again):
        // each store would take a new reference and drop an old one to the same object,
        // so only the sequence is released. One differing item takes the full path.
        let itemsDiffer = asm.newLabel()
        for (k, store) in stores.enumerated() {
            asm.mov(.rax, .qword(.rsi, Int32(8 * k)))
            asm.cmp(.rax, masm.local(store.instruction.oparg))
            asm.jcc(.notEqual, itemsDiffer)
        }
        let sequenceDies = asm.newLabel()
        let releaseSequence = asm.newLabel()
        asm.jmp(borrowed ? done : releaseSequence)
        asm.bind(itemsDiffer)
        takeReference()
        // New references to every item first, as UNPACK_SEQUENCE takes them.
        for k in 0..<count {
            asm.mov(.rax, .qword(.rsi, Int32(8 * k)))
            masm.incref(.rax)
        }
        var dying: [Label] = []
        for (k, store) in stores.enumerated() {
            let local = store.instruction.oparg
            let next = asm.newLabel()
            let dies = asm.newLabel()
            asm.mov(.rax, .qword(.rsi, Int32(8 * k)))
            asm.mov(.rdi, masm.local(local))
            asm.mov(masm.local(local), .rax)
            if !isBound(local, at: store.position) {
                asm.test(.rdi, .rdi)
                asm.jcc(.equal, next)
            }
            asm.dec(.qword(.rdi, offsets.object_refcnt))
            asm.jcc(.equal, dies)
            asm.bind(next)
            dying.append(dies)
        }
        asm.bind(releaseSequence)
        asm.dec(.qword(.r9, offsets.object_refcnt))
        asm.jcc(.equal, sequenceDies)
        asm.bind(done)
        let lastStore = stores[stores.count - 1].instruction.index
        outOfLine { [self] in
            // Old value k dies (rdi): the rest in the evaluator's order.
            for (k, dies) in dying.enumerated() {
                asm.bind(dies)
                asm.mov(.ecx, imm: Int32(k))
                asm.jmp(tail)
            }
            asm.bind(tail)
            asm.mov(.rdx, .rdi)
            asm.mov(.rsi, .r9)
            asm.mov(.rdi, FrameLayout.frame)
            masm.loadAddress(.r8, table)
            masm.callPrepared(.unpackStoreTail)
            asm.jmp(done)
            asm.bind(sequenceDies)
            masm.setPrevInstr(codeUnit: lastStore)
            asm.mov(.rdi, .r9)
            masm.callPrepared(.dealloc)
            asm.jmp(done)
            // Any other sequence: unpacked onto the stack, then stored one by one.
            asm.bind(notTupleOrList)
            takeReference()
            unpackOntoStack(count, unit: unit, depth: depth)
            for (k, store) in stores.enumerated() {
                let local = store.instruction.oparg
                asm.mov(.rax, stack(depth - 1 + count - 1 - k))
                asm.mov(.rdi, masm.local(local))
                asm.mov(masm.local(local), .rax)
                masm.withLazyPrevInstr(store.instruction.index) { masm.xdecrefArgumentRegister() }
            }
            asm.jmp(done)
        }
        skipThrough = stores[stores.count - 1].position
    }

    /// UNPACK_SEQUENCE's general case: the helper leaves the items on the stack in the
    /// evaluator's order, or raises (the sequence still in its slot).
    private func unpackOntoStack(_ count: Int, unit: Int, depth: Int) {
        masm.setPrevInstr(codeUnit: unit)
        masm.callHelper(.unpackSequence, [.stackAddress(depth - 1), .immediate(Int64(count))])
        asm.test(.eax, .eax)
        asm.jcc(.notEqual, errorLabel(depth: depth))
    }

    private func visitUnpackSequence(_ count: Int) {
        if let stores = fusedStoreFasts(count, unpackAt: position) {
            visitFusedUnpackSequence(count, stores)
            return
        }
        let generic = asm.newLabel()
        let notTuple = asm.newLabel()
        let haveItems = asm.newLabel()
        let done = asm.newLabel()
        let depth = self.depth
        let unit = instruction.index
        // The inline path calls out only to deallocate the sequence.
        releaseOnly {
            asm.mov(.rdi, stack(depth - 1))
            asm.mov(.rax, .qword(.rdi, offsets.object_type))
            masm.compareWithConstant(.rax, FunctionCompiler.tupleType)
            asm.jcc(.notEqual, notTuple)
            asm.cmp(.qword(.rdi, offsets.var_size), imm: Int32(count))
            asm.jcc(.notEqual, generic)
            asm.lea(.rsi, .qword(.rdi, offsets.tuple_items))
            asm.bind(haveItems)
            for k in 0..<count {
                asm.mov(.rax, .qword(.rsi, Int32(8 * (count - 1 - k))))
                masm.incref(.rax)
                asm.mov(stack(depth - 1 + k), .rax)
            }
            masm.decrefArgumentRegister()  // the sequence, still in rdi
        }
        asm.bind(done)
        outOfLine { [self] in
            asm.bind(notTuple)
            masm.compareWithConstant(.rax, FunctionCompiler.listType)
            asm.jcc(.notEqual, generic)
            asm.cmp(.qword(.rdi, offsets.var_size), imm: Int32(count))
            asm.jcc(.notEqual, generic)
            asm.mov(.rsi, .qword(.rdi, offsets.list_items))
            asm.jmp(haveItems)
            asm.bind(generic)
            unpackOntoStack(count, unit: unit, depth: depth)
            asm.jmp(done)
        }
    }

    // MARK: Generators, coroutines and async generators

    /// CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR.
    static let generatorLikeFlags: Int32 = 0x0020 | 0x0080 | 0x0200
    private var isGeneratorLike: Bool { view.flags & FunctionCompiler.generatorLikeFlags != 0 }

    /// Where a suspended generator frame can continue: after RETURN_GENERATOR and each
    /// YIELD_VALUE, and at SEND targets (where `throw()` moves a frame whose delegate
    /// finished). Positions, with the stack depth the frame then holds.
    private func resumePoints() -> [(position: Int, depth: Int)] {
        var points: [(position: Int, depth: Int)] = []
        var seen = Set<Int>()
        for (position, instruction) in decoded.instructions.enumerated() where reachable[position] {
            var target: Int?
            switch instruction.opcode {
            case .returnGenerator, .yieldValue: target = position + 1
            case .send: target = instruction.jumpTarget.flatMap { positionOfCodeUnit[$0] }
            default: break
            }
            guard let target, target < decoded.instructions.count, reachable[target],
                  let depth = decoded.stackDepthAtStart[target], seen.insert(target).inserted else { continue }
            points.append((target, depth))
        }
        return points
    }

    /// A generator's frame enters at its start (prev_instr just before the first
    /// instruction) or is resumed after `prev_instr`, with the value sent on its stack:
    /// jump to that instruction's machine code. A point without machine code, or a stack
    /// not of the depth compiled code expects there, continues in the evaluator.
    private func emitResumeDispatch() {
        asm.comment("generator: enter at prev_instr + 1")
        let start = asm.newLabel()
        let elsewhere = asm.newLabel()
        asm.mov(.rax, masm.prevInstr)
        asm.sub(.rax, FrameLayout.firstInstruction)
        asm.sar(.rax, imm: 1)
        asm.add(.rax, imm: 1)
        asm.test(.eax, .eax)
        asm.jcc(.equal, start)
        var stubs: [(Label, Int, Int)] = []
        for (position, depth) in resumePoints() {
            let stub = asm.newLabel()
            asm.cmp(.eax, imm: Int32(decoded.instructions[position].prefixStart))
            asm.jcc(.equal, stub)
            stubs.append((stub, position, depth))
        }
        asm.bind(elsewhere)
        asm.mov(.ecx, imm: ExitReason.generatorResume.rawValue)
        asm.jmp(leaveLabel)
        for (stub, position, depth) in stubs {
            asm.bind(stub)
            asm.cmp(masm.stackTop, imm: Int32(view.localsPlusCount + depth))
            asm.jcc(.notEqual, elsewhere)
            asm.mov(masm.stackTop, imm: -1)
            asm.jmp(instructionLabels[position])
        }
        asm.bind(start)
    }

    /// RETURN_GENERATOR: the generator takes the frame; this call returns it.
    private func visitReturnGenerator() {
        setPrevInstr()
        masm.callHelper(.returnGenerator, [.threadState, .frame])
        checkObjectResult()
        asm.jmp(returnLabel)
    }

    /// YIELD_VALUE: suspend (the frame keeps the stack below the value and prev_instr
    /// at this instruction) and return the value, as the evaluator does.
    private func visitYieldValue() {
        setPrevInstr()  // uses rax
        asm.mov(.rax, stack(depth - 1))
        asm.mov(.byte(FrameLayout.frame, pyj_gen_frame_state_from_frame), imm: -1)  // FRAME_SUSPENDED
        masm.setStackDepth(depth - 1)
        asm.jmp(returnLabel)
    }

    /// SEND: [receiver, value] → [receiver, yielded], or jump with [result].
    private func visitSend() throws {
        let target = try label(forCodeUnit: instruction.jumpTarget!)
        setPrevInstr()
        let general = asm.newLabel()
        let yielded = asm.newLabel()
        if pyj_extra_index >= 0 {
            emitSendToCompiledDelegate(general: general, yielded: yielded, returned: target)
        } else {
            asm.jmp(general)
        }
        let depth = self.depth
        outOfLine { [self] in
            asm.bind(general)
            masm.callHelper(.send, [.threadState, .stackAddress(depth)])
            asm.test(.eax, .eax)
            asm.jcc(.sign, errorLabel(depth: depth - 1))
            asm.jcc(.notEqual, target)
            asm.jmp(yielded)
        }
        asm.bind(yielded)
    }

    /// SEND to an exact generator or coroutine whose code is compiled, while everything
    /// compiled may run and nothing traces: pyj_send and pyj_gen_send_compiled inline
    /// (gen_send_ex2's steps), the delegate's machine code called directly. A yield
    /// leaves its value in the sent value's slot (then `yielded`); a return or an error
    /// ends in pyj_send_finish (then `returned`, or the error path). Anything else goes
    /// to `general` with nothing done.
    private func emitSendToCompiledDelegate(general: Label, yielded: Label, returned: Label) {
        let value = stack(depth - 1)
        let hasYielded = asm.newLabel()
        let finish = asm.newLabel()
        emitCompiledGeneratorResume(receiver: stack(depth - 2), sent: value, general: general, yielded: hasYielded,
                                    finished: finish)
        asm.bind(hasYielded)
        asm.mov(value, .rax)
        asm.jmp(yielded)
        let depth = self.depth
        outOfLine { [self] in
            asm.bind(finish)
            masm.callHelper(.sendFinish, [.threadState, .stackAddress(depth), .register(.rax)])
            asm.test(.eax, .eax)
            asm.jcc(.sign, errorLabel(depth: depth - 1))
            asm.jmp(returned)
        }
    }

    /// gen_send_ex2's steps in machine code for an exact generator or coroutine (loaded
    /// from `receiver`) whose code is compiled, while everything compiled may run with
    /// pyjion's hook installed, nothing traces and the C stack has room: the value in
    /// `sent` (its reference; the slot is cleared) or None (nil: next()) pushed onto its
    /// stack, the exception state chained, its machine code called, the state and
    /// exc_info restored. Then rax = the yielded value at `yielded`, or rax = what the
    /// frame returned (NULL: it raised) at `finished` with the generator in
    /// FrameLayout.scratch. A generator that is running, finished, or not started and
    /// sent something else than None goes to `general` with nothing done, as does any
    /// other receiver.
    private func emitCompiledGeneratorResume(receiver: Mem, sent: Mem?, general: Label, yielded: Label,
                                             finished: Label) {
        let isGenerator = asm.newLabel()
        let resumable = asm.newLabel()
        let stillExecuting = asm.newLabel()
        let gen = FrameLayout.scratch  // across its machine code's call
        let frameState = offsets.gen_iframe + pyj_gen_frame_state_from_frame
        asm.mov(.rdi, receiver)
        asm.mov(.rax, .qword(.rdi, offsets.object_type))
        masm.compareWithConstant(.rax, TypeAddress.generator)
        asm.jcc(.equal, isGenerator)
        masm.compareWithConstant(.rax, TypeAddress.coroutine)
        asm.jcc(.notEqual, general)
        asm.bind(isGenerator)
        // pyj_resume_entry's conditions (and pyj_send's: no trace function), then
        // compiled code.
        guardDirectRun(fail: general)
        asm.cmp(.qword(FrameLayout.threadState, offsets.tstate_c_tracefunc), imm: 0)
        asm.jcc(.notEqual, general)
        // The record in the code's co_extra (pyj_code_entry), and its machine code.
        let index = Int32(pyj_extra_index)
        asm.mov(.rcx, .qword(.rdi, offsets.gen_code))
        asm.mov(.rcx, .qword(.rcx, offsets.code_extra))
        asm.test(.rcx, .rcx)
        asm.jcc(.equal, general)
        asm.cmp(.qword(.rcx, offsets.code_extra_size), imm: index)
        asm.jcc(.lessOrEqual, general)
        asm.mov(.r10, .qword(.rcx, offsets.code_extra_items + 8 * index))
        asm.test(.r10, .r10)
        asm.jcc(.equal, general)
        asm.mov(.r8, .qword(.r10, FunctionCompiler.recordEntryOffset))
        asm.test(.r8, .r8)
        asm.jcc(.equal, general)
        // Suspended, or not started yet and sent None (anything else raises: the helper).
        asm.cmp(.byte(.rdi, frameState), imm: -1)  // FRAME_SUSPENDED
        asm.jcc(.equal, resumable)
        asm.cmp(.byte(.rdi, frameState), imm: -2)  // FRAME_CREATED
        asm.jcc(.notEqual, general)
        if let sent {
            asm.mov(.rax, sent)
            masm.compareWithConstant(.rax, FunctionCompiler.noneObject)
            asm.jcc(.notEqual, general)
        }
        asm.bind(resumable)
        // The sent value moves onto the generator's stack (_PyFrame_StackPush).
        asm.lea(.rsi, .qword(.rdi, offsets.gen_iframe))
        asm.movsxd(.rax, .dword(.rsi, offsets.frame_stacktop))
        if let sent {
            asm.mov(.rdx, sent)
            asm.mov(sent, imm: 0)
        } else {
            masm.loadAddress(.rdx, FunctionCompiler.noneObject)
            masm.incref(.rdx)
        }
        asm.mov(.qword(.rsi, index: .rax, scale: .x8, offsets.frame_localsplus), .rdx)
        asm.inc(.dword(.rsi, offsets.frame_stacktop))
        // The exception state chained; executing. (frame->previous: the generator's
        // entry links it to the cframe's current frame, this one.)
        asm.mov(.rax, .qword(FrameLayout.threadState, offsets.tstate_exc_info))
        asm.mov(.qword(.rdi, offsets.gen_exc_previous_item), .rax)
        asm.lea(.rax, .qword(.rdi, offsets.gen_exc_state))
        asm.mov(.qword(FrameLayout.threadState, offsets.tstate_exc_info), .rax)
        asm.mov(.byte(.rdi, frameState), imm: 0)  // FRAME_EXECUTING
        asm.inc(.qword(.r10, FunctionCompiler.runCountOffset))
        asm.mov(gen, .rdi)
        asm.mov(.rdi, FrameLayout.threadState)
        asm.call(.r8)
        // Back: a frame that did not yield is completed; the exception state and
        // frame->previous restored.
        asm.mov(.rdi, gen)
        asm.cmp(.byte(.rdi, frameState), imm: 0)
        asm.jcc(.notEqual, stillExecuting)
        asm.mov(.byte(.rdi, frameState), imm: 1)  // FRAME_COMPLETED
        asm.bind(stillExecuting)
        asm.mov(.rcx, .qword(.rdi, offsets.gen_exc_previous_item))
        asm.mov(.qword(FrameLayout.threadState, offsets.tstate_exc_info), .rcx)
        asm.mov(.qword(.rdi, offsets.gen_exc_previous_item), imm: 0)
        asm.mov(.qword(.rdi, offsets.gen_iframe + offsets.frame_previous), imm: 0)
        asm.test(.rax, .rax)
        asm.jcc(.equal, finished)
        asm.cmp(.byte(.rdi, frameState), imm: -1)  // FRAME_SUSPENDED: it yielded
        asm.jcc(.notEqual, finished)
        asm.jmp(yielded)
    }

    private static let recordEntryOffset = Int32(MemoryLayout<PyjCodeEntry>.offset(of: \PyjCodeEntry.entry)!)

    /// MATCH_CLASS: [subject, type, names] -> [attributes or None]. As the evaluator does,
    /// the type and names are released before the error check, so an error leaves only
    /// the subject on the stack.
    private func visitMatchClass(_ oparg: Int) {
        setPrevInstr()
        masm.callHelper(.matchClass, [
            .threadState, .stackValue(depth - 3), .stackValue(depth - 2), .immediate(Int64(oparg)), .stackValue(depth - 1),
        ])
        asm.mov(FrameLayout.scratch, .rax)
        masm.decrefStackSlot(depth - 1)
        masm.decrefStackSlot(depth - 2)
        asm.test(FrameLayout.scratch, FrameLayout.scratch)
        asm.jcc(.equal, errorLabel(depth: depth - 2))
        masm.decrefStackSlot(depth - 3)
        asm.mov(stack(depth - 3), FrameLayout.scratch)
    }

    /// PREP_RERAISE_STAR: [original, raised list] -> [exception to re-raise or None]. Both
    /// inputs are released before the error check, as in the evaluator.
    private func visitPrepReraiseStar() {
        setPrevInstr()
        masm.callHelper(.prepReraiseStar, [.stackValue(depth - 2), .stackValue(depth - 1)])
        asm.mov(FrameLayout.scratch, .rax)
        masm.decrefStackSlot(depth - 1)
        masm.decrefStackSlot(depth - 2)
        asm.test(FrameLayout.scratch, FrameLayout.scratch)
        asm.jcc(.equal, errorLabel(depth: depth - 2))
        asm.mov(stack(depth - 2), FrameLayout.scratch)
    }

    /// MATCH_MAPPING / MATCH_SEQUENCE: push whether the subject's type has the flag.
    private func visitMatchTypeFlag(_ flag: Int32) {
        asm.mov(.rax, stack(depth - 1))
        asm.mov(.rax, .qword(.rax, offsets.object_type))
        asm.test(.qword(.rax, offsets.type_flags), imm: flag)
        masm.loadAddress(FrameLayout.scratch, FunctionCompiler.trueObject)
        masm.loadAddress(.rax, FunctionCompiler.falseObject)
        asm.cmovcc(.equal, FrameLayout.scratch, .rax)
        masm.incref(FrameLayout.scratch)
        asm.mov(stack(depth), FrameLayout.scratch)
    }

    private func replaceTopWithBuildString(_ count: Int) {
        setPrevInstr()
        masm.callHelper(.buildString, [.stackAddress(depth - count), .immediate(Int64(count))])
        checkObjectResult()
        asm.mov(FrameLayout.scratch, .rax)
        for offset in stride(from: count, through: 1, by: -1) { masm.decrefStackSlot(depth - offset) }
        asm.mov(stack(depth - count), FrameLayout.scratch)
    }

    /// Counts one step of CPython's warm-up (RESUME, JUMP_BACKWARD), which decides when
    /// the evaluator would have quickened this code (see unboundLocalExit).
    /// Counts what the interpreter's warm-up counter would count (calls and backward
    /// jumps), which only an unbound-local report at the second half of a quickened
    /// pair reads (see `unboundLocalExit`): code without such a LOAD_FAST skips it.
    private func countWarmup() {
        guard needsWarmupCount else { return }
        masm.loadAddress(.rax, UInt64(UInt(bitPattern: data.warmup)))
        asm.inc(.qword(.rax))
    }

    private lazy var needsWarmupCount: Bool = {
        decoded.instructions.indices.contains { position in
            let instruction = decoded.instructions[position]
            return reachable[position] && instruction.opcode == .loadFast && secondHalvesOfPairs.contains(position)
                && !(instruction.oparg < 64 && boundLocals[position] & (1 << UInt64(instruction.oparg)) != 0)
        }
    }()

    private func visitResume(_ oparg: Int) {
        // No prev_instr here: the eval breaker's slow path sets it, and every later
        // instruction that can call out sets its own.
        if oparg == 0 { countWarmup() }
        guard oparg < 2 else { return }
        let after = exitLabel(resumeAt: instruction.nextIndex, depth: depth, reason: .tracing)
        checkEvalBreaker(errorDepth: depth, tracingExit: after)
    }

    private func visitLoadFast(_ index: Int) {
        if isBound(index) && mayDefer(isLocal: true) {
            deferred.append(.local(index))
            return
        }
        materializeDeferred()
        asm.mov(.rax, masm.local(index))
        if !isBound(index) {
            asm.test(.rax, .rax)
            asm.jcc(.equal, unboundLocalExit(index))
        }
        masm.incref(.rax)
        asm.mov(stack(depth), .rax)
    }

    // MARK: Unbound locals and CPython's superinstructions

    /// Once CPython has quickened a code object, pairs like `LOAD_FAST x; LOAD_FAST y`
    /// run as one superinstruction, and an unbound `y` is reported at `x`'s position
    /// (its traceback columns). Quickening pairs instructions the same way every time,
    /// so which positions run as the second half of a pair is known here; whether the
    /// code has been quickened is read from the live instruction byte at run time.
    private static let superinstructionPairs: [Opcode: [Opcode: UInt8]] = {
        func byte(_ name: String) -> UInt8 { UInt8((0...255).first { quickenedOpcodeName(UInt8($0)) == name }!) }
        return [
            .loadFast: [.loadFast: byte("LOAD_FAST__LOAD_FAST"), .loadConst: byte("LOAD_FAST__LOAD_CONST")],
            .storeFast: [.loadFast: byte("STORE_FAST__LOAD_FAST"), .storeFast: byte("STORE_FAST__STORE_FAST")],
            .loadConst: [.loadFast: byte("LOAD_CONST__LOAD_FAST")],
        ]
    }()

    /// Positions CPython's quickened dispatch runs as the second half of a pair.
    private lazy var secondHalvesOfPairs: Set<Int> = {
        let instructions = decoded.instructions
        var seconds = Set<Int>()
        var position = 0
        while position + 1 < instructions.count {
            let first = instructions[position]
            let second = instructions[position + 1]
            let adjacent = first.nextIndex == second.index && first.prefixStart == first.index
            if adjacent, FunctionCompiler.superinstructionPairs[first.opcode]?[second.opcode] != nil,
               !decoded.jumpTargets.contains(second.prefixStart) {
                seconds.insert(position + 1)
                position += 2
            } else {
                position += 1
            }
        }
        return seconds
    }()

    /// Where an unbound LOAD_FAST goes: the interpreter redoes the instruction, unless
    /// it runs as the second half of a quickened pair, where it reports the first half.
    private func unboundLocalExit(_ index: Int) -> Label {
        let redo = exitBefore(.unboundLocal)
        guard instruction.opcode == .loadFast, secondHalvesOfPairs.contains(position) else { return redo }
        let previous = decoded.instructions[position - 1]
        guard let pairByte = FunctionCompiler.superinstructionPairs[previous.opcode]?[instruction.opcode] else { return redo }
        let label = asm.newLabel()
        let depth = self.depth
        let name = Int64(Int(bitPattern: view.localNames[index]))
        let reportAtPair = asm.newLabel()
        let warmup = UInt64(UInt(bitPattern: data.warmup))
        let codeObject = UInt64(UInt(bitPattern: view.address))
        outOfLine { [self] in
            asm.bind(label)
            // Quickened already (the evaluator ran this code enough)...
            asm.cmp(.byte(FrameLayout.firstInstruction, Int32(2 * previous.index)), imm: Int32(pairByte))
            asm.jcc(.equal, reportAtPair)
            // ...or would have been, counting the warm-up machine code did: co_warmup
            // (a 16-bit count up from -8, quickening at 0) plus our own count.
            masm.loadAddress(.rcx, codeObject)
            asm.mov(.eax, .dword(.rcx, offsets.code_warmup))
            asm.shl(.rax, imm: 48)
            asm.sar(.rax, imm: 48)
            masm.loadAddress(.rcx, warmup)
            asm.add(.rax, .qword(.rcx))
            asm.jcc(.sign, redo)
            asm.bind(reportAtPair)
            masm.setPrevInstr(codeUnit: previous.index)
            masm.callHelper(.raiseUnboundLocal, [.immediate(name)])
            asm.jmp(errorLabel(depth: depth))
        }
        return label
    }

    private func visitStoreFast(_ index: Int) {
        // Store first, release the old value after: its destructor may look at the frame.
        releaseOnly {
            asm.mov(.rax, stack(depth - 1))
            asm.mov(.rdi, masm.local(index))
            asm.mov(masm.local(index), .rax)
            if isBound(index) { masm.decrefArgumentRegister() } else { masm.xdecrefArgumentRegister() }
        }
    }

    /// Code whose only call out is deallocating what it releases: `prev_instr` is set on
    /// the way to the deallocation, not on the hot path.
    private func releaseOnly(_ body: () -> Void) {
        masm.withLazyPrevInstr(instruction.index, body)
    }

    private func visitDeleteFast(_ index: Int) {
        asm.mov(.rdi, masm.local(index))
        asm.test(.rdi, .rdi)
        asm.jcc(.equal, exitBefore(.unboundLocal))
        setPrevInstr()
        asm.mov(masm.local(index), imm: 0)
        masm.decrefArgumentRegister()
    }

    private func visitLoadConst(_ index: Int) {
        if mayDefer(isLocal: false) {
            deferred.append(.constant(UInt64(UInt(bitPattern: constant(index)))))
            return
        }
        materializeDeferred()
        masm.loadObject(.rax, constant(index))
        masm.incref(.rax)
        asm.mov(stack(depth), .rax)
    }

    private func visitIsOp(invert: Bool) {
        setPrevInstrLazily()
        asm.mov(.rcx, stack(depth - 1))
        asm.cmp(.rcx, stack(depth - 2))
        masm.loadAddress(FrameLayout.scratch, invert ? FunctionCompiler.falseObject : FunctionCompiler.trueObject)
        masm.loadAddress(.rax, invert ? FunctionCompiler.trueObject : FunctionCompiler.falseObject)
        asm.cmovcc(.notEqual, FrameLayout.scratch, .rax)
        masm.incref(FrameLayout.scratch)
        masm.decrefStackSlot(depth - 1)
        masm.decrefStackSlot(depth - 2)
        asm.mov(stack(depth - 2), FrameLayout.scratch)
    }

    /// GET_AWAITABLE. A coroutine that has not started (`await f()`) is its own
    /// awaitable and awaits nothing yet (_PyGen_yf is NULL): the value stays, inline.
    /// Anything else: _PyCoro_GetAwaitableIter's and the interpreter's checks.
    private func visitGetAwaitable(_ oparg: Int) {
        let slow = asm.newLabel()
        let done = asm.newLabel()
        asm.mov(.rdi, stack(depth - 1))
        asm.mov(.rax, .qword(.rdi, offsets.object_type))
        masm.compareWithConstant(.rax, FunctionCompiler.coroutineType)
        asm.jcc(.notEqual, slow)
        asm.cmp(.byte(.rdi, offsets.gen_frame_state), imm: -2)  // FRAME_CREATED
        asm.jcc(.notEqual, slow)
        asm.bind(done)
        let depth = self.depth
        let unit = instruction.index
        outOfLine { [self] in
            asm.bind(slow)
            masm.setPrevInstr(codeUnit: unit)
            masm.callHelper(.getAwaitable, [.threadState, .stackAddress(depth - 1), .immediate(Int64(oparg))])
            asm.test(.eax, .eax)
            asm.jcc(.notEqual, errorLabel(depth: depth))  // the slot holds NULL then
            asm.jmp(done)
        }
    }

    private static let coroutineType = UInt64(UInt(bitPattern: pyj_coroutine_type()))

    /// CONTAINS_OP: PySequence_Contains's answer, then a bool; or, when a POP_JUMP_IF_*
    /// that nothing else jumps to follows, a branch on it (that instruction compiles
    /// here and is skipped): no bool is made.
    private func visitContainsOp(invert: Bool) throws {
        let next = position + 1
        callAnswerHelper(.containsOp, [.stackValue(depth - 1), .stackValue(depth - 2)], releasing: 2)
        if let jumpWhenTrue = fusableJump(at: next) {
            // r14d = 1 when the item is in the container; `not in` inverts the test.
            asm.test(.r14d, .r14d)
            try emitFusedJump(at: next, when: jumpWhenTrue != invert ? .notEqual : .equal)
            skipThrough = next
            return
        }
        boolFromAnswer(trueWhenNonzero: !invert)
        asm.mov(stack(depth - 2), FrameLayout.scratch)
    }

    /// UNARY_NOT: the value's truth as POP_JUMP_IF_* tests it (True, False, None, ints
    /// and containers inline, else PyObject_IsTrue), then False or True.
    private func visitUnaryNot() {
        setPrevInstrLazily()
        truthOfStackValue(depth - 1, errorDepth: depth)
        boolFromAnswer(trueWhenNonzero: false)
        masm.decrefStackSlot(depth - 1)
        asm.mov(stack(depth - 1), FrameLayout.scratch)
    }

    private func popJumpIfNone(jumpWhenNone: Bool) throws {
        let target = try label(forCodeUnit: instruction.jumpTarget!)
        setPrevInstrLazily()
        masm.loadAddress(.rax, FunctionCompiler.noneObject)
        asm.cmp(.rax, stack(depth - 1))
        asm.setcc(.equal, .r14b)
        masm.decrefStackSlot(depth - 1)
        asm.test(.r14b, .r14b)
        try jumpTo(target, when: jumpWhenNone ? .notEqual : .equal, depthAtTarget: depth - 1)
    }

    private func jumpOrPop(jumpWhenTrue: Bool) throws {
        let target = try label(forCodeUnit: instruction.jumpTarget!)
        setPrevInstrLazily()
        truthOfStackValue(depth - 1, errorDepth: depth)
        asm.test(.r14d, .r14d)
        asm.jcc(jumpWhenTrue ? .notEqual : .equal, target)
        masm.decrefStackSlot(depth - 1)
    }

    /// FOR_ITER. Range iterators are stepped inline (no FOR_ITER specialization in 3.11
    /// does this), list iterators out of line, generators resume directly, others
    /// through tp_iternext. When the item goes straight to a STORE_FAST (`for i in ...`),
    /// that store compiles here, and a range's next int is written into the local's own
    /// int object when only the local holds it (refcount 1), as 3.12's FOR_ITER_RANGE
    /// does through _PyLong_AssignValue: no allocation per iteration.
    private func visitForIter() throws {
        let target = try label(forCodeUnit: instruction.jumpTarget!)
        let exhausted = asm.newLabel()
        let generator = asm.newLabel()
        let haveNext = asm.newLabel()
        let notRange = asm.newLabel()
        let notList = asm.newLabel()
        let callIterNext = asm.newLabel()
        let stored = asm.newLabel()
        let store = fusedStoreFast()
        setPrevInstrLazily()
        asm.mov(.rdi, stack(depth - 1))
        asm.mov(.rax, .qword(.rdi, offsets.object_type))
        // Range and list iterators inline (a loop takes its path on every iteration, and
        // an out-of-line path is far away in a large function); generators out of line.
        if let rangeType = FunctionCompiler.rangeIteratorType {
            // rangeiter_next: start + index * step while index < len; rdi = iterator.
            let notSmall = asm.newLabel()
            let allocate = asm.newLabel()
            masm.compareWithConstant(.rax, rangeType)
            asm.jcc(.notEqual, notRange)
            asm.mov(.rcx, .qword(.rdi, offsets.rangeiter_index))
            asm.cmp(.rcx, .qword(.rdi, offsets.rangeiter_len))
            asm.jcc(.greaterOrEqual, callIterNext)  // exhausted: tp_iternext says so
            asm.imul(.rcx, .qword(.rdi, offsets.rangeiter_step))
            asm.add(.rcx, .qword(.rdi, offsets.rangeiter_start))
            asm.inc(.qword(.rdi, offsets.rangeiter_index))
            // A small int: the cached object.
            masm.cachedSmallInt(.rcx, into: .rax, notSmall: notSmall)
            asm.jmp(haveNext)
            asm.bind(notSmall)
            if let store {
                // The local's int, if only the local holds it, takes the value.
                asm.mov(.rdx, masm.local(store.instruction.oparg))
                asm.test(.rdx, .rdx)
                asm.jcc(.equal, allocate)
                guardTemporary(.rdx, type: TypeAddress.long, otherwise: allocate)
                // r11 = ob_size (-1 or 1), rax = magnitude, which must fit one digit.
                masm.splitOneDigit(.rcx, magnitude: .rax, size: .r11, tooBig: allocate)
                asm.mov(.dword(.rdx, offsets.long_digits), .eax)
                asm.mov(.qword(.rdx, offsets.var_size), .r11)
                asm.jmp(stored)
            } else {
                asm.jmp(allocate)
            }
            outOfLine { [self] in
                asm.bind(allocate)
                asm.mov(.rdi, .rcx)
                masm.callPrepared(.longFromSsize)
                asm.jmp(haveNext)  // NULL (no memory) goes on as an error at `exhausted`
            }
            asm.bind(notRange)
        }
        // A list iterator with items left: the next item inline, as listiter_next; an
        // exhausted one goes through tp_iternext, which also releases the list.
        masm.compareWithConstant(.rax, FunctionCompiler.listIteratorType)
        asm.jcc(.notEqual, notList)
        asm.mov(.rcx, .qword(.rdi, offsets.listiter_seq))
        asm.test(.rcx, .rcx)
        asm.jcc(.equal, callIterNext)
        asm.mov(.rdx, .qword(.rdi, offsets.listiter_index))
        asm.cmp(.rdx, .qword(.rcx, offsets.var_size))
        asm.jcc(.greaterOrEqual, callIterNext)
        asm.mov(.rcx, .qword(.rcx, offsets.list_items))
        asm.mov(.rax, .qword(.rcx, index: .rdx, scale: .x8))
        asm.inc(.qword(.rdi, offsets.listiter_index))
        masm.incref(.rax)
        asm.jmp(haveNext)
        asm.bind(notList)
        masm.compareWithConstant(.rax, FunctionCompiler.generatorType)
        asm.jcc(.equal, generator)
        asm.bind(callIterNext)
        asm.mov(.rax, .qword(.rdi, offsets.object_type))
        masm.storeLazyPrevInstr()
        asm.call(.qword(.rax, offsets.type_iternext))
        asm.bind(haveNext)
        asm.test(.rax, .rax)
        asm.jcc(.equal, exhausted)
        if let store {
            // STORE_FAST: the local takes the item; its old value is released.
            asm.mov(.rdi, masm.local(store.instruction.oparg))
            asm.mov(masm.local(store.instruction.oparg), .rax)
            masm.withLazyPrevInstr(store.instruction.index) {
                if isBound(store.instruction.oparg, at: store.position) {
                    masm.decrefArgumentRegister()
                } else {
                    masm.xdecrefArgumentRegister()
                }
            }
            skipThrough = store.position
        } else {
            asm.mov(stack(depth), .rax)
        }
        asm.bind(stored)
        let depth = self.depth
        outOfLine { [self] in
            // A generator: a compiled one resumes in machine code, or through
            // pyj_gen_iternext without the hook; one that finished ends the loop (its
            // return value goes, as gen_iternext's StopIteration would).
            let throughHelper = asm.newLabel()
            let finished = asm.newLabel()
            asm.bind(generator)
            if pyj_extra_index >= 0 {
                emitCompiledGeneratorResume(receiver: stack(depth - 1), sent: nil, general: throughHelper,
                                            yielded: haveNext, finished: finished)
                asm.bind(finished)
                masm.callHelper(.generatorNextFinish, [.threadState, .register(FrameLayout.scratch), .register(.rax)])
                asm.jmp(haveNext)
            }
            asm.bind(throughHelper)
            masm.callHelper(.generatorIterNext, [.threadState, .stackValue(depth - 1)])
            asm.jmp(haveNext)
        }
        outOfLine { [self] in
            asm.bind(exhausted)
            masm.callHelper(.forIterEnded, [])
            asm.test(.eax, .eax)
            asm.jcc(.notEqual, errorLabel(depth: depth))
            masm.decrefStackSlot(depth - 1)
            asm.jmp(target)
        }
    }

    /// The BINARY_SUBSCR or STORE_SUBSCR right after BUILD_SLICE, when nothing else
    /// jumps to it: `x[a:b]`, `x[a:b:c] = v`.
    private func fusedSubscript() -> (position: Int, instruction: Instruction)? {
        let next = position + 1
        let instructions = decoded.instructions
        guard next < instructions.count, reachable[next],
              [.binarySubscr, .storeSubscr].contains(instructions[next].opcode) else { return nil }
        let unit = instructions[next].prefixStart
        guard !decoded.jumpTargets.contains(unit), !handlerTargets.contains(unit) else { return nil }
        return (next, instructions[next])
    }

    /// BUILD_SLICE with its subscript: the slice parts go straight to a helper that
    /// slices an exact list or tuple without making the slice object (see
    /// pyj_subscript_slice). The subscript's prev_instr: its errors are its own.
    private func visitSliceSubscript(_ parts: Int, _ access: (position: Int, instruction: Instruction),
                                     step: HelperArgument) {
        let container = depth - parts - 1
        masm.setPrevInstr(codeUnit: access.instruction.index)
        if access.instruction.opcode == .binarySubscr {
            masm.callHelper(.subscriptSlice, [
                .stackValue(container), .stackValue(container + 1), .stackValue(container + 2), step,
            ])
            checkObjectResult()
            asm.mov(FrameLayout.scratch, .rax)
            for slot in (container..<depth).reversed() { masm.decrefStackSlot(slot) }
            asm.mov(stack(container), FrameLayout.scratch)
        } else {
            // Stack: [value, container, start, stop(, step)].
            masm.callHelper(.storeSubscriptSlice, [
                .stackValue(container), .stackValue(container + 1), .stackValue(container + 2), step,
                .stackValue(container - 1),
            ])
            checkStatusResult()
            for slot in ((container - 1)..<depth).reversed() { masm.decrefStackSlot(slot) }
        }
        skipThrough = access.position
    }

    /// The STORE_FAST right after the current instruction, when nothing else jumps to
    /// it: it then compiles with this one, and the driver skips it (`skipThrough`).
    private func fusedStoreFast() -> (position: Int, instruction: Instruction)? {
        let next = position + 1
        let instructions = decoded.instructions
        guard next < instructions.count, reachable[next], instructions[next].opcode == .storeFast else { return nil }
        let unit = instructions[next].prefixStart
        guard !decoded.jumpTargets.contains(unit), !handlerTargets.contains(unit) else { return nil }
        return (next, instructions[next])
    }

    /// LOAD_GLOBAL through an inline cache guarded by the globals' and builtins' dict
    /// version tags; a miss looks the name up and refills the entry.
    /// rax = the value a LOAD_GLOBAL cache entry holds (borrowed: the globals hold it
    /// while their version stands), rcx = the entry, while the frame's globals and
    /// builtins still have the versions it was filled at; else jumps to `otherwise`
    /// (rcx = the entry). Clobbers rdx.
    private func loadGlobalByVersions(entry: UInt64, otherwise: Label) {
        masm.loadAddress(.rcx, entry)
        asm.mov(.rax, .qword(FrameLayout.frame, offsets.frame_globals))
        asm.mov(.rdx, .qword(.rax, offsets.dict_version))
        asm.cmp(.rdx, .qword(.rcx, GlobalCacheEntry.globalsVersionOffset))
        asm.jcc(.notEqual, otherwise)
        asm.mov(.rax, .qword(FrameLayout.frame, offsets.frame_builtins))
        asm.mov(.rdx, .qword(.rax, offsets.dict_version))
        asm.cmp(.rdx, .qword(.rcx, GlobalCacheEntry.builtinsVersionOffset))
        asm.jcc(.notEqual, otherwise)
        asm.mov(.rax, .qword(.rcx, GlobalCacheEntry.valueOffset))
    }

    private func visitLoadGlobal(_ oparg: Int) {
        precondition(nextGlobalCacheEntry < data.globalCacheEntries)
        let entry = UInt64(UInt(bitPattern: data.globalCache + nextGlobalCacheEntry))
        nextGlobalCacheEntry += 1
        globalEntryAt[position] = entry
        let miss = asm.newLabel()
        let found = asm.newLabel()
        setPrevInstrLazily()
        loadGlobalByVersions(entry: entry, otherwise: miss)
        masm.incref(.rax)
        asm.bind(found)
        if oparg & 1 != 0 {
            asm.mov(stack(depth), imm: 0)
            asm.mov(stack(depth + 1), .rax)
        } else {
            asm.mov(stack(depth), .rax)
        }
        let unit = instruction.index
        let nameObject = name(oparg >> 1)
        let missed = asm.newLabel()
        let generic = asm.newLabel()
        outOfLine { [self] in
            // A name found in the globals stays where the entry saw it while the dict
            // keeps the same keys object: the entry at that index, if it still holds the
            // name, has the binding (LOAD_GLOBAL_MODULE's guard is the keys version).
            // rcx = entry.
            asm.bind(miss)
            asm.mov(.rax, .qword(FrameLayout.frame, offsets.frame_globals))
            asm.mov(.rdx, .qword(.rax, offsets.dict_keys))
            asm.cmp(.rdx, .qword(.rcx, GlobalCacheEntry.globalsKeysOffset))
            asm.jcc(.notEqual, generic)
            asm.mov(.r8, .qword(.rcx, GlobalCacheEntry.keysIndexOffset))  // -1: none
            unicodeEntryValue(keys: .rdx, index: .r8, holding: nameObject, entry: .rax, generic)
            // The globals changed since the entry was filled (a module updating a global
            // changes their version on every store): the entry takes this binding
            // (borrowed, as loadGlobalCached leaves it: the globals hold it while their
            // version stands) and the current version, so later loads take the inline path.
            masm.loadAddress(.rcx, entry)
            asm.mov(.rdx, .qword(FrameLayout.frame, offsets.frame_globals))
            asm.mov(.rdx, .qword(.rdx, offsets.dict_version))
            asm.mov(.qword(.rcx, GlobalCacheEntry.globalsVersionOffset), .rdx)
            asm.mov(.rdx, .qword(FrameLayout.frame, offsets.frame_builtins))  // a global hides them
            asm.mov(.rdx, .qword(.rdx, offsets.dict_version))
            asm.mov(.qword(.rcx, GlobalCacheEntry.builtinsVersionOffset), .rdx)
            asm.mov(.qword(.rcx, GlobalCacheEntry.valueOffset), .rax)
            asm.jmp(found)
            asm.bind(generic)
            masm.setPrevInstr(codeUnit: unit)
            masm.callHelper(.loadGlobalCached, [
                .frameField(offsets.frame_globals), .frameField(offsets.frame_builtins), .immediate(nameObject),
                .immediate(Int64(bitPattern: entry)),
            ])
            asm.test(.rax, .rax)
            asm.jcc(.notEqual, found)
            asm.jmp(missed)
        }
        missOrError(missed, .globalMiss)
    }

    /// The end of an inline one-argument call that makes an int (`len(x)`, `int(x)`):
    /// rcx = the value, boxed (the cached small int, else a new one); the argument and
    /// the callable released; the result in rax at `called`.
    private func finishIntOfOneArgument(base: Int, called: Label) {
        let notSmall = asm.newLabel()
        let boxed = asm.newLabel()
        masm.cachedSmallInt(.rcx, into: .rax, notSmall: notSmall)
        asm.bind(boxed)
        asm.mov(FrameLayout.scratch, .rax)
        masm.decrefStackSlot(base + 2)
        masm.decrefStackSlot(base + 1)
        asm.mov(.rax, FrameLayout.scratch)
        asm.jmp(called)
        let callDepth = depth
        outOfLine { [self] in
            asm.bind(notSmall)
            asm.mov(.rdi, .rcx)
            masm.callPrepared(.longFromSsize)
            asm.test(.rax, .rax)
            asm.jcc(.notEqual, boxed)
            asm.jmp(errorLabel(depth: callDepth))  // no memory: the arguments are still on the stack
        }
    }

    private func visitCall(_ oparg: Int) {
        callIndex += 1
        let keywordNames = pendingKeywordNames.map { Int64(Int(bitPattern: $0)) } ?? 0
        pendingKeywordNames = nil
        // dis.stack_effect charges PRECALL with popping the arguments; at run time they
        // stay on the stack until CALL, so the real depth here is `oparg` deeper.
        depth += oparg
        let base = depth - oparg - 2
        setPrevInstr()
        let called = asm.newLabel()
        let general = asm.newLabel()
        let notLen = asm.newLabel()
        let notAppend = asm.newLabel()
        if oparg == 1 && keywordNames == 0, let len = FunctionCompiler.builtinLen {
            // len(x) of an exact list, tuple, str, dict, set or frozenset: its size, as
            // PRECALL_NO_KW_LEN (builtins.len is held by pyjion, so its address stays
            // its own). Any other x: the builtin path calls len's C function.
            asm.mov(.rax, stack(base + 1))
            asm.cmp(.rax, .qword(rip: masm.constantLabel(len)))
            asm.jcc(.notEqual, notLen)
            asm.cmp(stack(base), imm: 0)
            asm.jcc(.notEqual, notLen)
            asm.mov(.rdi, stack(base + 2))
            loadExactSize(of: .rdi, otherwise: notLen)
            finishIntOfOneArgument(base: base, called: called)
        }
        asm.bind(notLen)
        let notIntCall = asm.newLabel()
        if oparg == 1 && keywordNames == 0, callShapeAt[base] == false,
           calleeKind(call: callIndex, callable: loadedNameAt[base + 1]) == .intClass {
            // int(x) of an exact int (x itself) or of an exact float that truncates to a
            // 64-bit int (cvttsd2si; NaN, infinities and the rest give INT64_MIN): what
            // PyNumber_Long and PyLong_FromDouble make. Anything else: the regular call.
            let fromFloat = asm.newLabel()
            asm.mov(.rax, stack(base + 1))
            masm.compareWithConstant(.rax, TypeAddress.long)
            asm.jcc(.notEqual, notIntCall)
            asm.cmp(stack(base), imm: 0)
            asm.jcc(.notEqual, notIntCall)
            asm.mov(.rdi, stack(base + 2))
            asm.mov(.rax, .qword(.rdi, offsets.object_type))
            masm.compareWithConstant(.rax, TypeAddress.float)
            asm.jcc(.equal, fromFloat)
            masm.compareWithConstant(.rax, TypeAddress.long)
            asm.jcc(.notEqual, notIntCall)
            // An exact int: itself, the argument's reference becoming the result's.
            asm.mov(FrameLayout.scratch, .rdi)
            masm.decrefStackSlot(base + 1)
            asm.mov(.rax, FrameLayout.scratch)
            asm.jmp(called)
            asm.bind(fromFloat)
            asm.movsd(.xmm0, .qword(.rdi, offsets.float_value))
            asm.cvttsd2si(.rcx, .xmm0)
            asm.mov(.rax, imm: Int64.min)
            asm.cmp(.rcx, .rax)
            asm.jcc(.equal, notIntCall)
            finishIntOfOneArgument(base: base, called: called)
        }
        asm.bind(notIntCall)
        if oparg == 1 && keywordNames == 0, let append = FunctionCompiler.listAppend {
            // list.append(x) on a list or an instance of a subclass (PyList_Check) with
            // room left: x moves into the list, as PRECALL_NO_KW_LIST_APPEND and
            // _PyList_AppendTakeRef do.
            let appendHere = asm.newLabel()
            let exactList = asm.newLabel()
            asm.mov(.rax, stack(base))
            asm.cmp(.rax, .qword(rip: masm.constantLabel(append)))
            asm.jcc(.notEqual, notAppend)
            asm.mov(.rdi, stack(base + 1))
            asm.mov(.rax, .qword(.rdi, offsets.object_type))
            masm.compareWithConstant(.rax, TypeAddress.list)
            asm.jcc(.equal, exactList)
            asm.test(.dword(.rax, offsets.type_flags), imm: FunctionCompiler.listSubclassFlag)
            asm.jcc(.equal, general)
            asm.bind(exactList)
            asm.mov(.rcx, .qword(.rdi, offsets.var_size))
            asm.cmp(.rcx, .qword(.rdi, offsets.list_allocated))
            asm.jcc(.less, appendHere)
            asm.jmp(notAppend)  // a resize: the builtin path calls list.append's C function
            asm.bind(appendHere)
            asm.mov(.rdx, .qword(.rdi, offsets.list_items))
            asm.mov(.rax, stack(base + 2))
            asm.mov(.qword(.rdx, index: .rcx, scale: .x8), .rax)  // the list takes x's reference
            asm.inc(.rcx)
            asm.mov(.qword(.rdi, offsets.var_size), .rcx)
            masm.decrefStackSlot(base + 1)  // self
            masm.decrefStackSlot(base)  // the descriptor (the type keeps it)
            masm.loadAddress(.rax, FunctionCompiler.noneObject)
            masm.incref(.rax)
            asm.jmp(called)
        }
        asm.bind(notAppend)
        var site: UInt64 = 0
        let haveResult = asm.newLabel()
        // With keyword names, only the direct call: the site is filled for a callee whose
        // parameters the keywords name in order after the positional arguments (so the
        // arguments bind as positional ones; see pyj_keywords_in_order).
        if oparg <= FunctionCompiler.directCallMaxArguments {
            // Python functions first (the commonest callee), then classes, then builtins.
            // A callable LOAD_GLOBAL loaded by name gets only the paths its name makes
            // likely (a builtin's name: the builtin path; any other: not): less code.
            // A CALL's first slot holds NULL only where PUSH_NULL, LOAD_GLOBAL or
            // LOAD_METHOD put it; anything else there (a comprehension's function, a
            // decorator, a with block's __exit__) is the callable, with `self` after it.
            let plainShape = callShapeAt[base] == false
            let callable = plainShape ? loadedNameAt[base + 1] : nil
            let paths = callPaths(site: callIndex, callable: callable)
            let notFunction = asm.newLabel()
            site = callSiteEntry(callIndex, RuntimeData.CallSiteRole.main, methodShape: !plainShape)
            if paths.function {
                // A callable loaded as an attribute (a classmethod, a bound method kept
                // in an attribute) may be a bound method: out of line, its function is
                // called directly with self first, from a site entry of that shape.
                let boundMethod = plainShape && callable?.isGlobal != true
                let notPlainFunction = boundMethod ? asm.newLabel() : notFunction
                emitDirectCall(site: site, methodShape: !plainShape, base: base, oparg: oparg, general: general,
                               notFunction: notPlainFunction, haveResult: haveResult)
                if boundMethod {
                    emitBoundMethodCall(site: callSiteEntry(callIndex, .boundMethod, methodShape: true),
                                        base: base, oparg: oparg, keywordNames: keywordNames,
                                        at: notPlainFunction, notBoundMethod: notFunction, called: called,
                                        haveResult: haveResult)
                }
            }
            asm.bind(notFunction)
            if paths.pythonClass && keywordNames == 0 {
                let notClass = asm.newLabel()
                emitClassCall(site: site, base: base, oparg: oparg, general: general, notClass: notClass,
                              haveResult: haveResult)
                asm.bind(notClass)
            }
            if paths.builtin && keywordNames == 0 {
                emitBuiltinCall(base: base, oparg: oparg, general: general, notBuiltin: general, haveResult: haveResult)
            }
        }
        asm.bind(general)
        masm.callHelper(.call, [
            .threadState, .stackAddress(base), .immediate(Int64(oparg)), .immediate(keywordNames),
            .immediate(Int64(bitPattern: site)),
        ])
        asm.bind(called)
        checkObjectResult()
        asm.bind(haveResult)
        asm.mov(stack(base), .rax)
        let after = base + 1
        checkEvalBreaker(
            errorDepth: after,
            tracingExit: exitLabel(resumeAt: instruction.nextIndex, depth: after, reason: .tracing))
    }

    // MARK: Direct calls between compiled functions

    /// Arguments moved inline by a direct call (more go through pyj_call).
    static let directCallMaxArguments = 8
    private static let functionType = UInt64(UInt(bitPattern: pyj_function_type()))
    private static let directEvalFrameAddress = UInt64(UInt(bitPattern: pyj_direct_eval_frame_address()))
    private static let stackFloorOffset = Int32(truncatingIfNeeded: pyj_stack_floor_tls_offset())
    private static let directEntryOffset = Int32(MemoryLayout<PyjCodeEntry>.offset(of: \PyjCodeEntry.directEntry)!)
    private static let runCountOffset = Int32(MemoryLayout<PyjCodeEntry>.offset(of: \PyjCodeEntry.runCount)!)

    /// The address of CALL number `call`'s cache entry for `role`, set to `methodShape`.
    private func callSiteEntry(_ call: Int, _ role: RuntimeData.CallSiteRole, methodShape: Bool) -> UInt64 {
        let index = RuntimeData.callSiteIndex(call: call, role: role)
        precondition(index < data.callSiteEntries)
        data.callSites[index].methodShape = methodShape ? 1 : 0
        return UInt64(UInt(bitPattern: data.callSites + index))
    }

    /// CALL of the compiled function the site's cache names, with exactly its positional
    /// parameters: pyj_call_exact's checks and frame push inline, then the callee's
    /// direct entry (which pops the frame). Every slot of the call moves into the frame:
    /// the callable becomes f_func, the arguments its first locals. Anything else goes
    /// to `general` with nothing done.
    private func emitDirectCall(site: UInt64, methodShape: Bool, base: Int, oparg: Int, general: Label,
                                notFunction: Label, haveResult: Label) {
        let argumentCount = methodShape ? oparg + 1 : oparg
        let firstArgument = methodShape ? base + 1 : base + 2
        asm.comment("direct call of the site's compiled function")
        loadCallable(base: base, methodShape: methodShape, ofType: FunctionCompiler.functionType, otherwise: notFunction)
        // rdx = the target whose code is the function's (way 0 falls through).
        let otherWays = asm.newLabel()
        let target = asm.newLabel()
        masm.loadAddress(.rdx, site)
        asm.mov(.rcx, .qword(.rax, offsets.function_code))
        asm.cmp(.rcx, .qword(.rdx, FunctionCompiler.targetCodeOffset))
        asm.jcc(.notEqual, otherWays)
        asm.bind(target)
        asm.mov(.r10, .qword(.rdx, FunctionCompiler.targetRecordOffset))
        asm.mov(.r8, .qword(.r10, FunctionCompiler.directEntryOffset))
        asm.test(.r8, .r8)
        asm.jcc(.equal, general)
        // Parameters left to their defaults: the function must have enough of them.
        let checkDefaults = asm.newLabel()
        let defaultsChecked = asm.newLabel()
        let fillDefaults = asm.newLabel()
        let defaultsFilled = asm.newLabel()
        asm.cmp(.qword(.rdx, FunctionCompiler.targetDefaultedOffset), imm: 0)
        asm.jcc(.notEqual, checkDefaults)
        asm.bind(defaultsChecked)
        emitDirectFramePush(frameBytes: .qword(.rdx, FunctionCompiler.targetFrameBytesOffset), fail: general)
        // f_func took the callable's reference.
        for index in 0..<argumentCount {
            asm.mov(.r9, stack(firstArgument + index))
            asm.mov(.qword(.rsi, offsets.frame_localsplus + Int32(8 * index)), .r9)
        }
        asm.cmp(.qword(.rdx, FunctionCompiler.targetDefaultedOffset), imm: 0)
        asm.jcc(.notEqual, fillDefaults)
        asm.bind(defaultsFilled)
        asm.inc(.qword(.r10, FunctionCompiler.runCountOffset))
        asm.mov(.rdi, FrameLayout.threadState)
        asm.call(.r8)
        // The call's slots are gone: on an error none is left to release.
        asm.test(.rax, .rax)
        asm.jcc(.notEqual, haveResult)
        asm.jmp(errorLabel(depth: base))
        asm.bind(otherWays)
        masm.scanWays(1..<Int(PYJ_CALL_SITE_WAYS), for: .rcx, in: .rdx, stride: Int32(MemoryLayout<PyjCallTarget>.stride),
                      keyOffset: FunctionCompiler.targetCodeOffset, found: target, otherwise: general)
        outOfLine { [self] in
            // rax = the function, rdx = the target: __defaults__ has at least `defaulted`.
            asm.bind(checkDefaults)
            asm.mov(.r9, .qword(.rax, offsets.function_defaults))
            asm.test(.r9, .r9)
            asm.jcc(.equal, general)
            asm.mov(.rcx, .qword(.rdx, FunctionCompiler.targetDefaultedOffset))
            asm.cmp(.rcx, .qword(.r9, offsets.var_size))
            asm.jcc(.greater, general)
            asm.jmp(defaultsChecked)
            // rsi = the frame: locals argumentCount... take the last `defaulted` defaults
            // (new references), as pyj_fill_defaults. Clobbers r9, r11, rcx, rdi.
            let copy = asm.newLabel()
            asm.bind(fillDefaults)
            asm.mov(.r9, .qword(.rax, offsets.function_defaults))
            asm.mov(.rcx, .qword(.rdx, FunctionCompiler.targetDefaultedOffset))
            asm.mov(.r11, .qword(.r9, offsets.var_size))
            asm.sub(.r11, .rcx)
            asm.lea(.r9, .qword(.r9, index: .r11, scale: .x8, offsets.tuple_items))
            asm.lea(.rdi, .qword(.rsi, offsets.frame_localsplus + Int32(8 * argumentCount)))
            asm.bind(copy)
            asm.mov(.r11, .qword(.r9))
            masm.incref(.r11)
            asm.mov(.qword(.rdi), .r11)
            asm.add(.r9, imm: 8)
            asm.add(.rdi, imm: 8)
            asm.dec(.rcx)
            asm.jcc(.notEqual, copy)
            asm.jmp(defaultsFilled)
        }
    }

    /// Out of line at `entry`, for a plain-shaped CALL ([NULL, callable, args...]): a
    /// bound method becomes [function, self, args...] (PRECALL_BOUND_METHOD), then the
    /// method-shaped direct call from `site`, else pyj_call with that site. Any other
    /// callable goes to `notBoundMethod` with nothing done.
    private func emitBoundMethodCall(site: UInt64, base: Int, oparg: Int, keywordNames: Int64, at entry: Label,
                                     notBoundMethod: Label, called: Label, haveResult: Label) {
        outOfLine { [self] in
            let general = asm.newLabel()
            asm.bind(entry)
            asm.cmp(stack(base), imm: 0)
            asm.jcc(.notEqual, notBoundMethod)
            asm.mov(.rax, stack(base + 1))
            asm.mov(.rcx, .qword(.rax, offsets.object_type))
            masm.compareWithConstant(.rcx, FunctionCompiler.boundMethodType)
            asm.jcc(.notEqual, notBoundMethod)
            asm.mov(.rcx, .qword(.rax, offsets.bound_method_function))
            masm.incref(.rcx)
            asm.mov(stack(base), .rcx)
            asm.mov(.rcx, .qword(.rax, offsets.bound_method_self))
            masm.incref(.rcx)
            asm.mov(stack(base + 1), .rcx)
            masm.decref(.rax)  // the method (its function and self are held by the stack now)
            emitDirectCall(site: site, methodShape: true, base: base, oparg: oparg, general: general,
                           notFunction: general, haveResult: haveResult)
            asm.bind(general)
            masm.callHelper(.call, [
                .threadState, .stackAddress(base), .immediate(Int64(oparg)), .immediate(keywordNames),
                .immediate(Int64(bitPattern: site)),
            ])
            asm.jmp(called)
        }
    }

    private static let boundMethodType = UInt64(UInt(bitPattern: pyj_bound_method_type()))

    /// rax = the CALL's callable, of exactly `type`: the first slot for the method
    /// shape ([function, self, ...]), the second for the plain one ([NULL, callable,
    /// ...]). Anything else jumps to `otherwise`. Clobbers rcx.
    private func loadCallable(base: Int, methodShape: Bool, ofType type: UInt64, otherwise: Label) {
        if methodShape {
            asm.mov(.rax, stack(base))
            asm.test(.rax, .rax)
            asm.jcc(.equal, otherwise)
        } else {
            asm.cmp(stack(base), imm: 0)
            asm.jcc(.notEqual, otherwise)
            asm.mov(.rax, stack(base + 1))
        }
        asm.mov(.rcx, .qword(.rax, offsets.object_type))
        masm.compareWithConstant(.rcx, type)
        asm.jcc(.notEqual, otherwise)
    }

    private static let targetCodeOffset = Int32(MemoryLayout<PyjCallTarget>.offset(of: \PyjCallTarget.code)!)
    private static let targetRecordOffset = Int32(MemoryLayout<PyjCallTarget>.offset(of: \PyjCallTarget.record)!)
    private static let targetFrameBytesOffset = Int32(MemoryLayout<PyjCallTarget>.offset(of: \PyjCallTarget.frameBytes)!)
    private static let targetDefaultedOffset = Int32(MemoryLayout<PyjCallTarget>.offset(of: \PyjCallTarget.defaulted)!)

    // MARK: Builtin functions and method descriptors

    private static let cfunctionType = UInt64(UInt(bitPattern: pyj_cfunction_type()))
    private static let methodDescriptorType = UInt64(UInt(bitPattern: pyj_method_descriptor_type()))
    private static let methFastcall: Int32 = 0x0080
    private static let methKeywords: Int32 = 0x0002
    private static let methO: Int32 = 0x0008
    private static let methNoargs: Int32 = 0x0004

    /// CALL of a builtin function (`sqrt(x)`, `isinstance(a, b)`) or of a method
    /// descriptor on an object of exactly its type (`s.join(x)`) that takes METH_O,
    /// METH_NOARGS or METH_FASTCALL (with or without METH_KEYWORDS; no keywords passed):
    /// its C function called directly, as
    /// the specialized PRECALL_BUILTIN_* and PRECALL_NO_KW_METHOD_DESCRIPTOR_* do (the
    /// recursion check for METH_O and METH_NOARGS). Other callables go to `notBuiltin`,
    /// other flags or counts to `general`, with nothing done.
    private func emitBuiltinCall(base: Int, oparg: Int, general: Label, notBuiltin: Label, haveResult: Label) {
        let haveCallable = asm.newLabel()
        let cFunction = asm.newLabel()
        let notDescriptor = asm.newLabel()
        let dispatch = asm.newLabel()
        let called = asm.newLabel()
        let recursionLimit = asm.newLabel()
        let depth = self.depth
        let start = asm.newLabel()
        asm.comment("builtin function or method descriptor")
        // [callable or method, self or callable, arguments...]: rax = the callable,
        // rsi = its arguments, edx = their count.
        asm.bind(start)
        asm.mov(.rax, stack(base))
        asm.lea(.rsi, stack(base + 1))
        asm.mov(.edx, imm: Int32(oparg + 1))
        asm.test(.rax, .rax)
        asm.jcc(.notEqual, haveCallable)
        asm.mov(.rax, stack(base + 1))
        asm.lea(.rsi, stack(base + 2))
        asm.mov(.edx, imm: Int32(oparg))
        asm.bind(haveCallable)
        asm.mov(.rcx, .qword(.rax, offsets.object_type))
        masm.compareWithConstant(.rcx, FunctionCompiler.cfunctionType)
        asm.jcc(.equal, cFunction)
        masm.compareWithConstant(.rcx, FunctionCompiler.methodDescriptorType)
        asm.jcc(.notEqual, notDescriptor)
        // A method descriptor: self is the first argument, of exactly its type (or of a
        // subclass: `subclassSelf`).
        let subclassSelf = asm.newLabel()
        asm.test(.edx, .edx)
        asm.jcc(.equal, general)
        asm.mov(.rdi, .qword(.rsi))
        asm.mov(.rcx, .qword(.rdi, offsets.object_type))
        asm.cmp(.rcx, .qword(.rax, offsets.method_descriptor_type))
        asm.jcc(.notEqual, subclassSelf)
        asm.mov(.r8, .qword(.rax, offsets.method_descriptor_method_def))
        asm.add(.rsi, imm: 8)
        asm.dec(.edx)
        asm.jmp(dispatch)
        // A class whose metatype is `type` and that has its own vectorcall (range, int,
        // list, ...; Python classes have none): that called, as PRECALL_BUILTIN_CLASS.
        asm.bind(notDescriptor)
        masm.compareWithConstant(.rcx, TypeAddress.type)
        asm.jcc(.notEqual, notBuiltin)
        asm.mov(.r8, .qword(.rax, offsets.type_vectorcall))
        asm.test(.r8, .r8)
        asm.jcc(.equal, general)
        asm.mov(.rdi, .rax)
        asm.xor(.ecx, .ecx)  // no keywords; edx, the count, has no offset flag
        asm.call(.r8)
        asm.jmp(called)
        asm.bind(cFunction)
        asm.mov(.r8, .qword(.rax, offsets.cfunction_method_def))
        asm.mov(.rdi, .qword(.rax, offsets.cfunction_self))
        // rdi = self, rsi = arguments, edx = count, r8 = the PyMethodDef.
        asm.bind(dispatch)
        emitMethodDefCall(done: called, mismatch: general, countingOneOrNone: recursionLimit)
        // rax: the result, or NULL with every slot still there for the unwinder. A NULL
        // without an exception, or a result with one, is a SystemError (as the
        // generic call path's _Py_CheckFunctionResult makes it).
        let checkResult = asm.newLabel()
        let checked = asm.newLabel()
        asm.bind(called)
        asm.test(.rax, .rax)
        asm.jcc(.equal, checkResult)
        asm.cmp(.qword(FrameLayout.threadState, offsets.tstate_curexc_type), imm: 0)
        asm.jcc(.notEqual, checkResult)
        asm.bind(checked)
        asm.mov(FrameLayout.scratch, .rax)
        let noMethod = asm.newLabel()
        asm.cmp(stack(base), imm: 0)
        asm.jcc(.equal, noMethod)
        masm.decrefStackSlot(base)
        asm.bind(noMethod)
        for slot in (base + 1)..<depth { masm.decrefStackSlot(slot) }
        asm.mov(.rax, FrameLayout.scratch)
        asm.jmp(haveResult)
        outOfLine { [self] in
            asm.bind(checkResult)
            masm.callHelper(.checkCallResult, [.threadState, .stackAddress(base), .register(.rax)])
            asm.test(.rax, .rax)
            asm.jcc(.notEqual, checked)
            asm.jmp(errorLabel(depth: depth))
            // Too deep: the regular call raises RecursionError.
            asm.bind(recursionLimit)
            asm.add(.dword(FrameLayout.threadState, offsets.tstate_recursion_remaining), imm: 1)
            asm.jmp(general)
            emitSubclassMethodDescriptorCall(at: subclassSelf, general: general, called: called, start: start,
                                             error: errorLabel(depth: depth))
        }
    }

    /// Out of line at `entry`, for a method descriptor (rax) whose self (rdi; rcx its
    /// type) is not exactly of the descriptor's type: a class with that type among its
    /// first bases (`OrderedCollection(list)`'s append and pop) takes the call as the
    /// descriptor's vectorcall would make it (method_vectorcall_*: descr_check's
    /// isinstance, then the function inside the recursion count, for every flag);
    /// anything else goes to `general`. rsi = the arguments with self, edx = their count.
    /// At the recursion limit _Py_CheckRecursiveCall decides: RecursionError (to `error`,
    /// every slot still there), or a raised limit (the call again from `start`).
    private func emitSubclassMethodDescriptorCall(at entry: Label, general: Label, called: Label, start: Label,
                                                 error: Label) {
        let isSubclass = asm.newLabel()
        let returned = asm.newLabel()
        let unwind = asm.newLabel()
        let recursionLimit = asm.newLabel()
        asm.bind(entry)
        // tp_base, up to three levels: each is in the MRO, so a match is isinstance.
        for _ in 0..<3 {
            asm.mov(.rcx, .qword(.rcx, offsets.type_base))
            asm.test(.rcx, .rcx)
            asm.jcc(.equal, general)
            asm.cmp(.rcx, .qword(.rax, offsets.method_descriptor_type))
            asm.jcc(.equal, isSubclass)
        }
        asm.jmp(general)
        asm.bind(isSubclass)
        asm.mov(.r8, .qword(.rax, offsets.method_descriptor_method_def))
        asm.add(.rsi, imm: 8)
        asm.dec(.edx)
        if let append = FunctionCompiler.listAppend {
            // list.append on a list subclass's instance (a resize) outside the count, as
            // PRECALL_NO_KW_LIST_APPEND, which takes any PyList_Check self.
            let notAppend = asm.newLabel()
            asm.cmp(.rax, .qword(rip: masm.constantLabel(append)))
            asm.jcc(.notEqual, notAppend)
            asm.cmp(.edx, imm: 1)
            asm.jcc(.notEqual, general)
            asm.mov(.rsi, .qword(.rsi))
            asm.call(.qword(.r8, offsets.method_def_function))
            asm.jmp(called)
            asm.bind(notAppend)
        }
        asm.sub(.dword(FrameLayout.threadState, offsets.tstate_recursion_remaining), imm: 1)
        asm.jcc(.less, recursionLimit)
        emitMethodDefCall(done: returned, mismatch: unwind, countingOneOrNone: nil)
        asm.bind(returned)
        asm.add(.dword(FrameLayout.threadState, offsets.tstate_recursion_remaining), imm: 1)
        asm.jmp(called)
        // Arguments the function's flags do not take: the regular call raises what it
        // raises.
        asm.bind(unwind)
        asm.add(.dword(FrameLayout.threadState, offsets.tstate_recursion_remaining), imm: 1)
        asm.jmp(general)
        // Too deep (method_enter_call's count): RecursionError, or the limit was raised.
        asm.bind(recursionLimit)
        masm.callHelper(.checkRecursiveCall, [.threadState, .immediate(Int64(FunctionCompiler.callingPythonObject))])
        asm.test(.eax, .eax)
        asm.jcc(.notEqual, error)
        asm.add(.dword(FrameLayout.threadState, offsets.tstate_recursion_remaining), imm: 1)
        asm.jmp(start)
    }

    /// The call of a PyMethodDef's function (r8) as its flags take it, rdi = self, rsi =
    /// the arguments, edx = their count: METH_FASTCALL, METH_FASTCALL|METH_KEYWORDS (no
    /// keyword names), METH_O (one argument), METH_NOARGS (none); then `done` with the
    /// result in rax. Other flags or counts go to `mismatch` with nothing done. With
    /// `recursionLimit`, METH_O and METH_NOARGS calls (only those, as the evaluator's
    /// PRECALL_NO_KW_*_O and _NOARGS) run inside the recursion count, going there when
    /// it is used up.
    private func emitMethodDefCall(done: Label, mismatch: Label, countingOneOrNone recursionLimit: Label?) {
        let notFastcall = asm.newLabel()
        let notFastcallKeywords = asm.newLabel()
        let notO = asm.newLabel()
        let callOneOrNone = asm.newLabel()
        asm.mov(.ecx, .dword(.r8, offsets.method_def_flags))
        asm.cmp(.ecx, imm: FunctionCompiler.methFastcall)
        asm.jcc(.notEqual, notFastcall)
        asm.call(.qword(.r8, offsets.method_def_function))
        asm.jmp(done)
        asm.bind(notFastcall)
        // METH_FASTCALL | METH_KEYWORDS (sum, sorted, print, ...): no keyword names.
        asm.cmp(.ecx, imm: FunctionCompiler.methFastcall | FunctionCompiler.methKeywords)
        asm.jcc(.notEqual, notFastcallKeywords)
        asm.xor(.ecx, .ecx)
        asm.call(.qword(.r8, offsets.method_def_function))
        asm.jmp(done)
        asm.bind(notFastcallKeywords)
        asm.cmp(.ecx, imm: FunctionCompiler.methO)
        asm.jcc(.notEqual, notO)
        asm.cmp(.edx, imm: 1)
        asm.jcc(.notEqual, mismatch)
        asm.mov(.rsi, .qword(.rsi))
        asm.bind(callOneOrNone)
        if let recursionLimit {
            asm.sub(.dword(FrameLayout.threadState, offsets.tstate_recursion_remaining), imm: 1)
            asm.jcc(.less, recursionLimit)
            asm.call(.qword(.r8, offsets.method_def_function))
            asm.add(.dword(FrameLayout.threadState, offsets.tstate_recursion_remaining), imm: 1)
        } else {
            asm.call(.qword(.r8, offsets.method_def_function))
        }
        asm.jmp(done)
        asm.bind(notO)
        asm.cmp(.ecx, imm: FunctionCompiler.methNoargs)
        asm.jcc(.notEqual, mismatch)
        asm.test(.edx, .edx)
        asm.jcc(.notEqual, mismatch)
        asm.xor(.esi, .esi)
        asm.jmp(callOneOrNone)
    }

    /// pyj_call_exact's conditions for a direct call (everything compiled may run,
    /// pyjion's hook is the installed one, nothing traces, the C stack has room), then
    /// the frame reserved on the data stack's current chunk: rax = the function, rdx =
    /// the site (its frameBytes). Leaves rsi = the frame, with f_func = rax (the caller
    /// provides that reference), f_globals and f_builtins. Jumps to `fail` with nothing
    /// done. Clobbers r9 and r11.
    private func emitDirectFramePush(frameBytes: Mem, fail: Label) {
        guardDirectRun(fail: fail)
        asm.mov(.rsi, .qword(FrameLayout.threadState, offsets.tstate_datastack_top))
        asm.mov(.r9, frameBytes)
        asm.add(.r9, .rsi)
        asm.cmp(.r9, .qword(FrameLayout.threadState, offsets.tstate_datastack_limit))
        asm.jcc(.aboveOrEqual, fail)
        asm.mov(.qword(FrameLayout.threadState, offsets.tstate_datastack_top), .r9)
        asm.mov(.qword(.rsi, offsets.frame_func), .rax)
        asm.mov(.r9, .qword(.rax, offsets.function_globals))
        asm.mov(.qword(.rsi, offsets.frame_globals), .r9)
        asm.mov(.r9, .qword(.rax, offsets.function_builtins))
        asm.mov(.qword(.rsi, offsets.frame_builtins), .r9)
    }

    /// Whether compiled code may be entered directly from here (pyj_call_exact's and
    /// pyj_resume_entry's conditions): everything compiled may run with pyjion's hook
    /// installed, nothing traces, and the C stack has room; else jumps to `fail`.
    /// Clobbers r9 and r11.
    private func guardDirectRun(fail: Label) {
        asm.mov(.r9, .qword(FrameLayout.threadState, offsets.tstate_interp))
        asm.mov(.r9, .qword(.r9, offsets.interp_eval_frame))
        masm.loadAddress(.r11, FunctionCompiler.directEvalFrameAddress)  // mode 2 and the hook, in one
        asm.cmp(.r9, .qword(.r11, 0))
        asm.jcc(.notEqual, fail)
        asm.mov(.r9, .qword(FrameLayout.threadState, offsets.tstate_cframe))
        asm.cmp(.byte(.r9, offsets.cframe_use_tracing), imm: 0)
        asm.jcc(.notEqual, fail)
        asm.cmp(.rsp, .qword(threadLocal: FunctionCompiler.stackFloorOffset))
        asm.jcc(.belowOrEqual, fail)
    }

    private static let typeType = UInt64(UInt(bitPattern: pyj_type_type()))
    private static let siteInitOffset = Int32(MemoryLayout<PyjCallSite>.offset(of: \PyjCallSite.`init`)!)
    private static let siteFrameBytesOffset = siteInitOffset + targetFrameBytesOffset
    private static let siteRecordOffset = siteInitOffset + targetRecordOffset
    private static let siteInitCodeOffset = siteInitOffset + targetCodeOffset
    private static let siteClassVersionOffset = Int32(MemoryLayout<PyjCallSite>.offset(of: \PyjCallSite.classVersion)!)
    private static let siteInitFunctionOffset = Int32(MemoryLayout<PyjCallSite>.offset(of: \PyjCallSite.initFunction)!)

    /// The inline paths a call site gets. A global name bound when the code compiles
    /// (in the frame's globals, else the builtins) gets the path of what it is bound
    /// to; any other callable gets the paths its name makes likely: a builtin's name
    /// the builtin path only, other global names not that one, a capitalized name the
    /// class path too. Only the code's size depends on this: every path checks.
    private func callPaths(site: Int, callable: LoadedName?) -> (function: Bool, pythonClass: Bool, builtin: Bool) {
        switch calleeKind(call: site, callable: callable) {
        case .function: return (true, false, false)
        case .heapType: return (false, true, false)
        case .builtinType, .intClass, .builtin: return (false, false, true)
        case .unknown:
            let builtinName = callable.flatMap { $0.isGlobal ? FunctionCompiler.isBuiltinName($0.name) : nil }
            let looksLikeClass = callable.map { FunctionCompiler.looksLikeClass($0.name) } ?? false
            return (builtinName != true, looksLikeClass, builtinName != false)
        }
    }

    /// What a global name is bound to now, in the frame's globals or else the builtins
    /// (a borrowed look, no code runs: str keys); nil for other names.
    private func globalValue(_ callable: LoadedName) -> Obj? {
        // (An exception already set is not this look's to clear: no hint then.)
        guard callable.isGlobal, let globals, PyErr_Occurred() == nil else { return nil }
        var value = PyDict_GetItemWithError(globals, callable.name)
        if value == nil, PyErr_Occurred() == nil, let builtins = FunctionCompiler.builtinsDict {
            value = PyDict_GetItemWithError(builtins, callable.name)
        }
        if PyErr_Occurred() != nil { PyErr_Clear() }
        return value
    }

    /// What CALL number `call`'s callable was bound to when the code first compiled
    /// (recorded then, so that a later listing makes the same code).
    private func calleeKind(call: Int, callable: LoadedName?) -> CalleeKind {
        if let recorded = data.calleeKinds[call] { return recorded }
        let kind = callable.map { classifyCallee($0) } ?? .unknown
        data.calleeKinds[call] = kind
        return kind
    }

    /// What a global name is bound to now, as a kind of callee.
    private func classifyCallee(_ callable: LoadedName) -> CalleeKind {
        guard let value = globalValue(callable) else { return .unknown }
        if UInt64(UInt(bitPattern: value)) == TypeAddress.long { return .intClass }
        let type = UInt64(UInt(bitPattern: value.pointee.ob_type))
        switch type {
        case FunctionCompiler.functionType: return .function
        case FunctionCompiler.cfunctionType, FunctionCompiler.methodDescriptorType: return .builtin
        default:
            guard PyType_GetFlags(value.pointee.ob_type) & UInt(1 << 31) != 0 else { return .unknown }  // a type
            let flags = PyType_GetFlags(UnsafeMutablePointer(OpaquePointer(value)))
            return flags & UInt(1 << 9) != 0 ? .heapType : .builtinType  // Py_TPFLAGS_HEAPTYPE
        }
    }

    /// A name the builtins module has (`len`, `isinstance`), so probably a builtin.
    static func isBuiltinName(_ name: Obj) -> Bool {
        guard let builtins = FunctionCompiler.builtinsDict else { return true }
        return PyDict_GetItemWithError(builtins, name) != nil
    }
    private static let builtinsDict: Obj? = pyj_builtins_dict()

    /// A capitalized name (`Vector`, `Point`): probably a class, by convention. Only
    /// decides whether a call site gets the class path; the path itself checks.
    static func looksLikeClass(_ name: Obj) -> Bool {
        guard PyUnicode_GetLength(name) > 0 else { return false }
        let first = PyUnicode_ReadChar(name, 0)
        return first >= 0x41 && first <= 0x5A
    }

    /// CALL of the class the site's cache names (same tp_version_tag, so object.__new__
    /// and the same compiled __init__ taking exactly these arguments): pyj_call_class's
    /// steps inline. The instance is allocated first, which may run code (the GC); if
    /// anything the direct call relies on changed meanwhile, type_call's remaining steps
    /// run in pyj_construct_rest. The class slot is released after; the arguments move
    /// into __init__'s frame. Other callables go to `notClass` with nothing done.
    private func emitClassCall(site: UInt64, base: Int, oparg: Int, general: Label, notClass: Label,
                               haveResult: Label) {
        let depth = self.depth
        let recursionLimit = asm.newLabel()
        let allocationFailed = asm.newLabel()
        let changed = asm.newLabel()
        let initFailed = asm.newLabel()
        let notNone = asm.newLabel()
        asm.comment("instantiation of the site's class")
        loadCallable(base: base, methodShape: false, ofType: FunctionCompiler.typeType, otherwise: notClass)
        masm.loadAddress(.rdx, site)
        asm.mov(.ecx, .dword(.rax, offsets.type_version_tag))
        asm.cmp(.rcx, .qword(.rdx, FunctionCompiler.siteClassVersionOffset))
        asm.jcc(.notEqual, notClass)
        // _PyObject_MakeTpCall's recursion count, held until __init__ returns.
        asm.sub(.dword(FrameLayout.threadState, offsets.tstate_recursion_remaining), imm: 1)
        asm.jcc(.less, recursionLimit)
        asm.mov(.rdi, .rax)
        masm.callPrepared(.newInstance)
        asm.test(.rax, .rax)
        asm.jcc(.equal, allocationFailed)
        asm.mov(FrameLayout.scratch, .rax)  // self
        // Still the same class and __init__, and still callable directly?
        asm.mov(.rax, stack(base + 1))
        asm.mov(.ecx, .dword(.rax, offsets.type_version_tag))
        loadSiteClassMethod(site: site, otherwise: changed)
        emitDirectFramePush(frameBytes: .qword(.rdx, FunctionCompiler.siteFrameBytesOffset), fail: changed)
        masm.incref(.rax)  // f_func's reference to __init__
        asm.mov(.rax, FrameLayout.scratch)
        masm.incref(.rax)  // the frame's reference to self
        asm.mov(.qword(.rsi, offsets.frame_localsplus), .rax)
        for index in 0..<oparg {
            asm.mov(.r9, stack(base + 2 + index))
            asm.mov(.qword(.rsi, offsets.frame_localsplus + Int32(8 * (index + 1))), .r9)
        }
        asm.inc(.qword(.r10, FunctionCompiler.runCountOffset))
        asm.mov(.rdi, FrameLayout.threadState)
        asm.call(.r8)
        asm.add(.dword(FrameLayout.threadState, offsets.tstate_recursion_remaining), imm: 1)
        asm.test(.rax, .rax)
        asm.jcc(.equal, initFailed)
        masm.compareWithConstant(.rax, FunctionCompiler.noneObject)
        asm.jcc(.notEqual, notNone)
        asm.dec(.qword(.rax, offsets.object_refcnt))  // None's count never reaches 0
        masm.decrefStackSlot(base + 1)  // the class
        asm.mov(.rax, FrameLayout.scratch)
        asm.jmp(haveResult)
        outOfLine { [self] in
            asm.bind(recursionLimit)  // the regular call raises RecursionError
            asm.add(.dword(FrameLayout.threadState, offsets.tstate_recursion_remaining), imm: 1)
            asm.jmp(general)
            asm.bind(allocationFailed)  // every slot is still there
            asm.add(.dword(FrameLayout.threadState, offsets.tstate_recursion_remaining), imm: 1)
            asm.jmp(errorLabel(depth: depth))
            // The arguments moved into the frame: [NULL, class] are left.
            asm.bind(notNone)
            asm.mov(.rdi, .rax)
            masm.callPrepared(.initReturnedNotNone)
            asm.bind(initFailed)
            asm.mov(.rdi, FrameLayout.scratch)
            masm.decrefArgumentRegister()
            asm.jmp(errorLabel(depth: base + 2))
            // The class or the calling conditions changed while self was allocated.
            asm.bind(changed)
            asm.mov(.rdi, stack(base + 1))
            asm.mov(.rsi, FrameLayout.scratch)
            asm.lea(.rdx, stack(base + 2))
            asm.mov(.ecx, imm: Int32(oparg))
            masm.callPrepared(.constructRest)
            asm.add(.dword(FrameLayout.threadState, offsets.tstate_recursion_remaining), imm: 1)
            asm.test(.rax, .rax)
            asm.jcc(.equal, errorLabel(depth: depth))
            asm.mov(FrameLayout.scratch, .rax)
            for slot in (base + 1)..<depth { masm.decrefStackSlot(slot) }
            asm.mov(.rax, FrameLayout.scratch)
            asm.jmp(haveResult)
        }
    }
}
