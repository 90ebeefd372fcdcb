import CPython
import X64
import Runtime

/// An argument for a helper call.
enum HelperArgument {
    case register(Reg64)
    case immediate(Int64)
    /// The value in a value-stack slot (0 = bottom of the stack).
    case stackValue(Int)
    /// The address of a value-stack slot.
    case stackAddress(Int)
    /// The address of a local (a `localsplus` slot).
    case localAddress(Int)
    /// The value in a local (borrowed).
    case localValue(Int)
    case threadState
    case frame
    case cframe
    /// A pointer-sized field of the frame (e.g. `f_globals`).
    case frameField(Int32)
}

/// The semantic layer between the compiler and the encoder: frame slots, helper
/// calls, reference counts. It knows the frame layout but not the opcodes.
final class MacroAssembler {
    let asm: Assembler
    let localsPlusCount: Int
    private var helperAddressLabels: [Helper: Label] = [:]
    private var helpersInPoolOrder: [Helper] = []
    private var constantLabels: [UInt64: Label] = [:]
    private var constantsInPoolOrder: [UInt64] = []

    /// Takes code to emit out of line, after the function body (set by the compiler).
    var emitOutOfLine: (@escaping () -> Void) -> Void = { $0() }
    /// The instruction whose `prev_instr` is stored only on the way into a call: every
    /// helper call and deallocation emitted while this is set stores it first (through
    /// r11, which no helper takes). Instructions whose hot paths do not call out
    /// (STORE_FAST, LOAD_ATTR, float arithmetic...) then skip the store; whatever runs
    /// during a call (a destructor, the GC, tracemalloc, an error's traceback) still
    /// sees the frame at this instruction. Nothing else reads prev_instr meanwhile.
    var lazyPrevInstr: Int?

    /// Emits `body` with `unit` as the lazy `prev_instr` (nil: none), then restores
    /// the one before.
    func withLazyPrevInstr(_ unit: Int?, _ body: () -> Void) {
        let outer = lazyPrevInstr
        lazyPrevInstr = unit
        body()
        lazyPrevInstr = outer
    }

    /// Stores `lazyPrevInstr`, if set, in `prev_instr` (right before a call).
    func storeLazyPrevInstr() {
        guard let unit = lazyPrevInstr else { return }
        asm.lea(.r11, .qword(FrameLayout.firstInstruction, Int32(2 * unit)))
        asm.mov(prevInstr, .r11)
    }

    init(localsPlusCount: Int, recordsListing: Bool) {
        self.localsPlusCount = localsPlusCount
        asm = Assembler(recordsListing: recordsListing)
    }

    // MARK: Slots

    func local(_ index: Int) -> Mem {
        .qword(FrameLayout.frame, Int32(Int(offsets.frame_localsplus) + 8 * index))
    }
    func stackSlot(_ depth: Int) -> Mem { local(localsPlusCount + depth) }
    var stackTop: Mem { .dword(FrameLayout.frame, offsets.frame_stacktop) }
    var prevInstr: Mem { .qword(FrameLayout.frame, offsets.frame_prev_instr) }

    /// `frame->stacktop = nlocalsplus + depth`: makes `depth` stack values visible.
    func setStackDepth(_ depth: Int) { asm.mov(stackTop, imm: Int32(localsPlusCount + depth)) }

    /// `frame->prev_instr = _PyCode_CODE(co) + index` (code units).
    func setPrevInstr(codeUnit index: Int) {
        asm.lea(.rax, .qword(FrameLayout.firstInstruction, Int32(2 * index)))
        asm.mov(prevInstr, .rax)
    }

    // MARK: Calls

    func callHelper(_ helper: Helper, _ arguments: [HelperArgument]) {
        let descriptor = helper.descriptor
        precondition(arguments.count == descriptor.argumentCount, "\(descriptor.name) takes \(descriptor.argumentCount) arguments")
        for (argument, target) in zip(arguments, FrameLayout.argumentRegisters) {
            switch argument {
            case .register(let source):
                precondition(!FrameLayout.argumentRegisters.contains(source), "argument sources must not be argument registers")
                asm.mov(target, source)
            case .immediate(let value): asm.mov(target, imm: value)
            case .stackValue(let depth): asm.mov(target, stackSlot(depth))
            case .stackAddress(let depth): asm.lea(target, stackSlot(depth))
            case .localAddress(let index): asm.lea(target, local(index))
            case .localValue(let index): asm.mov(target, local(index))
            case .threadState: asm.mov(target, FrameLayout.threadState)
            case .frame: asm.mov(target, FrameLayout.frame)
            case .cframe: asm.mov(target, .rsp)
            case .frameField(let offset): asm.mov(target, .qword(FrameLayout.frame, offset))
            }
        }
        storeLazyPrevInstr()
        asm.call(.qword(rip: addressLabel(of: helper)))
        asm.comment("  ^ \(descriptor.name)")
    }

    fileprivate func addressLabel(of helper: Helper) -> Label {
        if let label = helperAddressLabels[helper] { return label }
        let label = asm.newLabel()
        helperAddressLabels[helper] = label
        helpersInPoolOrder.append(helper)
        return label
    }

    /// This function's deallocation routine (see `emitDeallocRoutine`), called by every
    /// release whose object dies.
    private(set) lazy var deallocRoutine = asm.newLabel()

    /// rdi = an object whose count reached 0: a float goes on the interpreter's free
    /// list as float_dealloc would put it there (the commonest death in arithmetic), a
    /// one-digit int onto pyjion's int free list, a generator or coroutine to pyj_dealloc (a finished one freed the lean way),
    /// anything else to _Py_Dealloc (tail calls). Needs r12 = the thread state.
    func emitDeallocRoutine(floatType: UInt64) {
        asm.comment("deallocation: floats onto the free list, generators to pyj_dealloc, the rest to _Py_Dealloc")
        asm.bind(deallocRoutine)
        let notFloat = asm.newLabel()
        let generic = asm.newLabel()
        let generator = asm.newLabel()
        asm.mov(.rax, .qword(.rdi, offsets.object_type))
        if offsets.interp_float_free_list >= 0 && offsets.float_max_free_list > 0 {
            compareWithConstant(.rax, floatType)
            asm.jcc(.notEqual, notFloat)
            asm.mov(.rcx, .qword(FrameLayout.threadState, offsets.tstate_interp))
            pushOntoFreeList(head: .qword(.rcx, offsets.interp_float_free_list),
                             count: .dword(.rcx, offsets.interp_float_numfree),
                             limit: offsets.float_max_free_list, full: generic)
        }
        asm.bind(notFloat)
        // An exact int of at most one digit onto pyjion's free list (see
        // FunctionCompiler.boxIntResult), while it has room.
        let notInt = asm.newLabel()
        compareWithConstant(.rax, TypeAddress.long)
        asm.jcc(.notEqual, notInt)
        asm.mov(.rcx, .qword(.rdi, offsets.var_size))
        asm.add(.rcx, imm: 1)
        asm.cmp(.rcx, imm: 2)
        asm.jcc(.above, generic)
        loadAddress(.rcx, MacroAssembler.intFreeList)
        pushOntoFreeList(head: .qword(.rcx, MacroAssembler.intFreeListFirst),
                         count: .qword(.rcx, MacroAssembler.intFreeListCount),
                         limit: Int32(PYJ_INT_FREE_MAX), full: generic)
        asm.bind(notInt)
        compareWithConstant(.rax, TypeAddress.generator)
        asm.jcc(.equal, generator)
        compareWithConstant(.rax, TypeAddress.coroutine)
        asm.jcc(.equal, generator)
        asm.bind(generic)
        asm.jmp(.qword(rip: addressLabel(of: .dealloc)))
        asm.bind(generator)
        asm.jmp(.qword(rip: addressLabel(of: .deallocGenerator)))
    }

    /// rdi (a dead object) onto a free list that links through ob_type, its first
    /// object at `head` and its length at `count`, then returns; jumps to `full` when
    /// the list has `limit` objects already. Clobbers rax.
    private func pushOntoFreeList(head: Mem, count: Mem, limit: Int32, full: Label) {
        asm.cmp(count, imm: limit)
        asm.jcc(.greaterOrEqual, full)
        asm.inc(count)
        asm.mov(.rax, head)
        asm.mov(.qword(.rdi, offsets.object_type), .rax)
        asm.mov(head, .rdi)
        asm.ret()
    }

    /// rax = a new object of `type` (count 1, its other fields the caller's to set) taken
    /// off a free list that links through ob_type (`head`, with its length at `count`);
    /// jumps to `empty` when the list has none or tracemalloc traces (its allocations
    /// must go through the allocator to be traced). Clobbers `scratch`.
    func takeFromFreeList(head: Mem, count: Mem, type: UInt64, scratch: Reg64, empty: Label) {
        loadAddress(.rax, MacroAssembler.tracemallocTracing)
        asm.cmp(.dword(.rax), imm: 0)
        asm.jcc(.notEqual, empty)
        asm.mov(.rax, head)
        asm.test(.rax, .rax)
        asm.jcc(.equal, empty)
        asm.mov(scratch, .qword(.rax, offsets.object_type))
        asm.mov(head, scratch)
        asm.dec(count)
        asm.mov(scratch, .qword(rip: constantLabel(type)))
        asm.mov(.qword(.rax, offsets.object_type), scratch)
        asm.mov(.qword(.rax, offsets.object_refcnt), imm: 1)
    }

    static let tracemallocTracing = UInt64(UInt(bitPattern: pyj_tracemalloc_tracing()))

    /// pyjion's free list of one-digit ints (shim.c), and its fields' offsets.
    static let intFreeList = UInt64(UInt(bitPattern: pyj_int_free_list_address()))
    static let intFreeListFirst = Int32(MemoryLayout<PyjIntFreeList>.offset(of: \PyjIntFreeList.first)!)
    static let intFreeListCount = Int32(MemoryLayout<PyjIntFreeList>.offset(of: \PyjIntFreeList.count)!)

    /// The helpers' addresses, one quad each, after the code.
    func emitHelperAddressPool() {
        if !constantsInPoolOrder.isEmpty {
            asm.align(8)
            asm.comment("constants")
            for value in constantsInPoolOrder {
                asm.bind(constantLabels[value]!)
                asm.emitQuad(value)
            }
        }
        guard !helperAddressLabels.isEmpty else { return }
        asm.align(8)
        asm.comment("helper addresses")
        for helper in helpersInPoolOrder {
            asm.bind(helperAddressLabels[helper]!)
            asm.comment("  \(helper.descriptor.name)")
            asm.emitQuad(helper.descriptor.address)
        }
    }

    // MARK: Reference counts (3.11 has no immortal objects)

    func incref(_ register: Reg64) { asm.inc(.qword(register, offsets.object_refcnt)) }

    /// `Py_DECREF(register)`; clobbers caller-saved registers when the object dies.
    func decref(_ register: Reg64) {
        if register != .rdi { asm.mov(.rdi, register) }
        decrefArgumentRegister()
    }

    func decrefStackSlot(_ depth: Int) {
        asm.mov(.rdi, stackSlot(depth))
        decrefArgumentRegister()
    }

    /// Decrefs the object in rdi (dealloc takes it from there). The hot path is
    /// `dec; jz`; the deallocation call is out of line.
    func decrefArgumentRegister() {
        let dies = asm.newLabel()
        let alive = asm.newLabel()
        asm.dec(.qword(.rdi, offsets.object_refcnt))
        asm.jcc(.equal, dies)
        asm.bind(alive)
        let lazyUnit = lazyPrevInstr
        emitOutOfLine { [self] in
            asm.bind(dies)
            withLazyPrevInstr(lazyUnit) { storeLazyPrevInstr() }
            asm.call(deallocRoutine)
            asm.jmp(alive)
        }
    }

    func xdecrefArgumentRegister() {
        let done = asm.newLabel()
        asm.test(.rdi, .rdi)
        asm.jcc(.equal, done)
        decrefArgumentRegister()
        asm.bind(done)
    }

    /// A polymorphic cache's other ways: `table` points at way 0 of entries `stride`
    /// bytes apart; the first of `ways` whose key (at `keyOffset`) equals `key` leaves
    /// `table` pointing at it and jumps to `found`; none jumps to `otherwise`.
    func scanWays(_ ways: Range<Int>, for key: Reg64, in table: Reg64, stride: Int32, keyOffset: Int32,
                  found: Label, otherwise: Label) {
        for way in ways {
            let next = asm.newLabel()
            let offset = Int32(way) * stride
            asm.cmp(key, .qword(table, offset + keyOffset))
            asm.jcc(.notEqual, next)
            asm.add(table, imm: offset)
            asm.jmp(found)
            asm.bind(next)
        }
        asm.jmp(otherwise)
    }

    /// `cmp register, [rip + constant]`: 7 bytes where a 64-bit immediate load and a
    /// compare take 13. The constants sit in the pool after the code.
    func compareWithConstant(_ register: Reg64, _ value: UInt64) {
        asm.cmp(register, .qword(rip: constantLabel(value)))
    }

    func constantLabel(_ value: UInt64) -> Label {
        if let label = constantLabels[value] { return label }
        let label = asm.newLabel()
        constantLabels[value] = label
        constantsInPoolOrder.append(value)
        return label
    }

    /// Loads a 64-bit constant (an object address) into a register.
    func loadAddress(_ register: Reg64, _ address: UInt64) { asm.mov(register, imm: Int64(bitPattern: address)) }
    func loadObject(_ register: Reg64, _ object: Obj) { loadAddress(register, UInt64(UInt(bitPattern: object))) }
}

extension MacroAssembler {
    /// Calls a helper whose arguments the caller already placed in argument registers.
    func callPrepared(_ helper: Helper) {
        storeLazyPrevInstr()
        asm.call(.qword(rip: addressLabel(of: helper)))
        asm.comment("  ^ \(helper.descriptor.name)")
    }
}
