/// Why a byte string is not a well-formed CPython 3.11 code object. Offsets are in bytes, as `dis`
/// shows them.
public enum DecodeError: Error, Equatable, Sendable {
    /// Odd length, an EXTENDED_ARG at the very end, or CACHE units running past the end.
    case truncated
    /// A byte that is neither a 3.11 opcode nor a specialised form of one, or a CACHE (0) where an
    /// instruction belongs.
    case unknownOpcode(byteOffset: Int, opcode: UInt8)
    /// A jump (at `byteOffset`) whose target is not the start of an instruction; for exception
    /// handlers `byteOffset` is the handler target; for control running off the end it is the
    /// last instruction.
    case badJumpTarget(byteOffset: Int)
    /// Two paths reach the instruction at `byteOffset` with different stack depths.
    case inconsistentStackDepth(byteOffset: Int)
    /// The instruction at `byteOffset` would leave the stack below zero.
    case stackUnderflow(byteOffset: Int)
}

/// A decoded code object: instructions, exception table and the stack depth at each instruction.
public struct DecodedCode: Sendable {
    /// Real instructions in code order; EXTENDED_ARG and CACHE units are not instructions.
    public let instructions: [Instruction]
    public let exceptionTable: [ExceptionTableEntry]
    /// Code units that are targets of jumps or exception handlers.
    public let jumpTargets: Set<Int>
    /// Per instruction (same position as `instructions`): value-stack depth on entry, nil if
    /// unreachable.
    public let stackDepthAtStart: [Int?]
    /// Per instruction: the exception table entry covering it, if any (what CPython's
    /// `get_exception_handler` finds for that instruction).
    public let handlers: [ExceptionTableEntry?]
    /// The deepest the value stack gets on any reachable path; equals `co_stacksize` for compiler output.
    public let maxStackDepth: Int
    /// Length of `co_code` in code units.
    public let codeUnitCount: Int

    /// Maps both `index` and `prefixStart` of each instruction to its position.
    private let positionByCodeUnit: [Int: Int]

    fileprivate init(instructions: [Instruction], exceptionTable: [ExceptionTableEntry], jumpTargets: Set<Int>,
                     stackDepthAtStart: [Int?], handlers: [ExceptionTableEntry?], maxStackDepth: Int,
                     codeUnitCount: Int, positionByCodeUnit: [Int: Int]) {
        self.instructions = instructions
        self.exceptionTable = exceptionTable
        self.jumpTargets = jumpTargets
        self.stackDepthAtStart = stackDepthAtStart
        self.handlers = handlers
        self.maxStackDepth = maxStackDepth
        self.codeUnitCount = codeUnitCount
        self.positionByCodeUnit = positionByCodeUnit
    }

    /// Position in `instructions` of the instruction whose opcode or first EXTENDED_ARG prefix is at
    /// `codeUnit`; nil for CACHE units, inner prefixes and out-of-range indices.
    public func position(ofIndex codeUnit: Int) -> Int? {
        positionByCodeUnit[codeUnit]
    }

    /// The exception table entry covering `codeUnit`: the first entry with `start <= codeUnit < end`
    /// (the table is sorted, as CPython's lookup assumes).
    public func handler(forIndex codeUnit: Int) -> ExceptionTableEntry? {
        firstCoveringEntry(exceptionTable, codeUnit)
    }
}

private func firstCoveringEntry(_ table: [ExceptionTableEntry], _ codeUnit: Int) -> ExceptionTableEntry? {
    for entry in table {
        if entry.start > codeUnit { return nil }
        if entry.covers(codeUnit) { return entry }
    }
    return nil
}

/// Decodes `co_code` (the deoptimised copy). Quickened bytes from `co_code_adaptive` are accepted
/// too: every opcode byte is mapped through `baseOpcode(ofQuickened:)`, and CACHE contents are
/// skipped unread.
public func decode(code: [UInt8], exceptionTable: [UInt8] = []) throws -> DecodedCode {
    let (instructions, positionByCodeUnit, codeUnitCount) = try decodeInstructions(code)

    // Jumps must land on the start of an instruction (its first prefix), never inside one.
    func isInstructionStart(_ codeUnit: Int) -> Bool {
        guard let position = positionByCodeUnit[codeUnit] else { return false }
        return instructions[position].prefixStart == codeUnit
    }

    var jumpTargets = Set<Int>()
    for instruction in instructions {
        guard let target = instruction.jumpTarget else { continue }
        guard isInstructionStart(target) else { throw DecodeError.badJumpTarget(byteOffset: instruction.byteOffset) }
        jumpTargets.insert(target)
    }
    let table = parseExceptionTable(exceptionTable)
    for entry in table {
        guard isInstructionStart(entry.target) else { throw DecodeError.badJumpTarget(byteOffset: entry.target * 2) }
        jumpTargets.insert(entry.target)
    }

    let handlers = instructions.map { firstCoveringEntry(table, $0.index) }
    let (depths, maxDepth) = try analyseStackDepth(instructions, handlers: handlers, positionByCodeUnit: positionByCodeUnit)
    return DecodedCode(instructions: instructions, exceptionTable: table, jumpTargets: jumpTargets,
                       stackDepthAtStart: depths, handlers: handlers, maxStackDepth: maxDepth,
                       codeUnitCount: codeUnitCount, positionByCodeUnit: positionByCodeUnit)
}

private func decodeInstructions(_ code: [UInt8]) throws -> ([Instruction], [Int: Int], Int) {
    guard code.count % 2 == 0 else { throw DecodeError.truncated }
    let unitCount = code.count / 2
    var instructions: [Instruction] = []
    var positionByCodeUnit: [Int: Int] = [:]
    var prefixStart: Int? = nil
    // Like the interpreter's C int, the folded argument keeps 32 bits.
    var extendedArg: UInt32 = 0
    var unit = 0
    while unit < unitCount {
        let byte = code[2 * unit]
        let argByte = UInt32(code[2 * unit + 1])
        guard let opcode = baseOpcode(ofQuickened: byte), opcode != .cache else {
            throw DecodeError.unknownOpcode(byteOffset: 2 * unit, opcode: byte)
        }
        if opcode == .extendedArg {
            if prefixStart == nil { prefixStart = unit }
            extendedArg = (extendedArg &<< 8) | argByte
            unit += 1
            continue
        }
        let oparg = Int((extendedArg &<< 8) | argByte)
        let next = unit + 1 + opcode.cacheEntries
        guard next <= unitCount else { throw DecodeError.truncated }
        let jumpTarget: Int?
        switch opcode.jump {
        case .forward?: jumpTarget = next + oparg
        case .backward?: jumpTarget = next - oparg
        case nil: jumpTarget = nil
        }
        let start = prefixStart ?? unit
        positionByCodeUnit[unit] = instructions.count
        positionByCodeUnit[start] = instructions.count
        instructions.append(Instruction(index: unit, prefixStart: start, opcode: opcode, oparg: oparg,
                                        nextIndex: next, jumpTarget: jumpTarget))
        prefixStart = nil
        extendedArg = 0
        unit = next
    }
    // A trailing EXTENDED_ARG has nothing to extend.
    guard prefixStart == nil else { throw DecodeError.truncated }
    return (instructions, positionByCodeUnit, unitCount)
}

/// Stack effect for the depth analysis. Same as `stackEffect` except RETURN_GENERATOR: the
/// generator's first `send` pushes a value that the following POP_TOP discards, and the
/// compiler's `stack_effect` (0) does not model that.
private func analysisEffect(_ instruction: Instruction, jump: Bool) -> Int {
    if instruction.opcode == .returnGenerator { return 1 }
    return stackEffect(instruction.opcode, oparg: instruction.oparg, jump: jump)
}

/// Worklist over the control-flow graph from instruction 0 at depth 0: fallthrough edges,
/// jump edges and, for every reachable instruction covered by the exception table, an edge to
/// its handler at `depth (+1 for lasti) + 1`.
private func analyseStackDepth(_ instructions: [Instruction], handlers: [ExceptionTableEntry?],
                               positionByCodeUnit: [Int: Int]) throws -> ([Int?], Int) {
    var depths = [Int?](repeating: nil, count: instructions.count)
    guard !instructions.isEmpty else { return (depths, 0) }
    var maxDepth = 0
    var worklist: [Int] = []

    func reach(_ position: Int, depth: Int) throws {
        if let known = depths[position] {
            guard known == depth else {
                throw DecodeError.inconsistentStackDepth(byteOffset: instructions[position].byteOffset)
            }
            return
        }
        depths[position] = depth
        maxDepth = max(maxDepth, depth)
        worklist.append(position)
    }

    try reach(0, depth: 0)
    while let position = worklist.popLast() {
        let instruction = instructions[position]
        let depth = depths[position]!

        if let handler = handlers[position] {
            // Targets were validated by the caller.
            try reach(positionByCodeUnit[handler.target]!, depth: handler.handlerEntryDepth)
        }
        if let target = instruction.jumpTarget {
            let after = depth + analysisEffect(instruction, jump: true)
            guard after >= 0 else { throw DecodeError.stackUnderflow(byteOffset: instruction.byteOffset) }
            maxDepth = max(maxDepth, after)
            try reach(positionByCodeUnit[target]!, depth: after)
        }
        if instruction.opcode.fallsThrough {
            let after = depth + analysisEffect(instruction, jump: false)
            guard after >= 0 else { throw DecodeError.stackUnderflow(byteOffset: instruction.byteOffset) }
            maxDepth = max(maxDepth, after)
            // Running off the end of the code is as bad as jumping there.
            guard position + 1 < instructions.count else {
                throw DecodeError.badJumpTarget(byteOffset: instruction.byteOffset)
            }
            try reach(position + 1, depth: after)
        }
    }
    return (depths, maxDepth)
}
