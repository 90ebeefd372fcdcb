/// Direction of a relative jump. Both are relative to the code unit after the jump
/// (jumps carry no CACHE units): forward to `next + oparg`, backward to `next - oparg`.
public enum JumpDirection: Sendable {
    case forward, backward
}

extension Opcode {
    /// Whether control can continue with the next instruction. False after unconditional jumps,
    /// returns and raises.
    public var fallsThrough: Bool {
        switch self {
        case .jumpForward, .jumpBackward, .jumpBackwardNoInterrupt,
             .returnValue, .raiseVarargs, .reraise:
            return false
        default:
            return true
        }
    }
}

/// One real instruction of a code object. EXTENDED_ARG prefixes are folded into `oparg` and
/// the trailing inline CACHE units are skipped; indices are in code units (2 bytes each).
public struct Instruction: Equatable, Hashable, Sendable {
    /// Code unit of the opcode itself, after any EXTENDED_ARG prefixes.
    public let index: Int
    /// Code unit of the first EXTENDED_ARG prefix; `index` if there is none. This is where
    /// control must enter the instruction (jumps land here).
    public let prefixStart: Int
    public let opcode: Opcode
    /// The argument with EXTENDED_ARG prefixes folded in (`oparg << 8 | next`). For opcodes without
    /// an argument this is whatever byte sits there (0 in compiler output).
    public let oparg: Int
    /// Code unit after the instruction and its CACHE units.
    public let nextIndex: Int
    /// Code unit a relative jump lands on (the `prefixStart` of the target instruction); nil if
    /// the opcode does not jump.
    public let jumpTarget: Int?

    public init(index: Int, prefixStart: Int, opcode: Opcode, oparg: Int, nextIndex: Int, jumpTarget: Int?) {
        self.index = index
        self.prefixStart = prefixStart
        self.opcode = opcode
        self.oparg = oparg
        self.nextIndex = nextIndex
        self.jumpTarget = jumpTarget
    }

    /// Byte offset of the opcode, as `dis` shows it (and as `frame->prev_instr` counts it).
    public var byteOffset: Int { index * 2 }
    /// Inline CACHE units: `index + 1 ..< nextIndex`.
    public var cacheRange: Range<Int> { (index + 1)..<nextIndex }
}
