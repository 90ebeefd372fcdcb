/// A position in the code of one `Assembler`, bound with `Assembler.bind(_:)`.
/// Labels are only meaningful in the assembler that created them.
public struct Label: Hashable, Sendable {
    let id: Int
}

/// A memory operand: `[base + index*scale + disp]`, or `[rip + label + disp]`.
/// The access width travels with the operand, so one `mov(_:_:)` overload covers all sizes.
public struct Mem: Hashable, Sendable {
    enum Base: Hashable, Sendable {
        case register(Reg64)
        /// RIP-relative: the displacement is resolved against a label at finalize time.
        case rip(Label)
        /// `fs:[disp32]`: a thread-local variable of the initial-exec TLS model, at a
        /// fixed offset from the thread pointer.
        case threadLocal
    }

    let base: Base
    let index: Reg64?
    let scale: Scale
    let disp: Int32
    public let size: OperandSize

    init(size: OperandSize, base: Base, index: Reg64? = nil, scale: Scale = .x1, disp: Int32 = 0) {
        self.size = size
        self.base = base
        self.index = index
        self.scale = scale
        self.disp = disp
    }

    /// The same address with a different access width.
    public func sized(_ size: OperandSize) -> Mem {
        Mem(size: size, base: base, index: index, scale: scale, disp: disp)
    }

    public static func qword(_ base: Reg64, _ disp: Int32 = 0) -> Mem {
        Mem(size: .qword, base: .register(base), disp: disp)
    }
    public static func qword(_ base: Reg64, index: Reg64, scale: Scale = .x1, _ disp: Int32 = 0) -> Mem {
        Mem(size: .qword, base: .register(base), index: index, scale: scale, disp: disp)
    }
    public static func qword(rip label: Label, _ disp: Int32 = 0) -> Mem {
        Mem(size: .qword, base: .rip(label), disp: disp)
    }

    /// `qword ptr fs:[offset]`: a thread-local variable at `offset` from the thread pointer.
    public static func qword(threadLocal offset: Int32) -> Mem {
        Mem(size: .qword, base: .threadLocal, disp: offset)
    }

    public static func dword(_ base: Reg64, _ disp: Int32 = 0) -> Mem {
        Mem(size: .dword, base: .register(base), disp: disp)
    }
    public static func dword(_ base: Reg64, index: Reg64, scale: Scale = .x1, _ disp: Int32 = 0) -> Mem {
        Mem(size: .dword, base: .register(base), index: index, scale: scale, disp: disp)
    }
    public static func dword(rip label: Label, _ disp: Int32 = 0) -> Mem {
        Mem(size: .dword, base: .rip(label), disp: disp)
    }

    public static func byte(_ base: Reg64, _ disp: Int32 = 0) -> Mem {
        Mem(size: .byte, base: .register(base), disp: disp)
    }
    public static func byte(_ base: Reg64, index: Reg64, scale: Scale = .x1, _ disp: Int32 = 0) -> Mem {
        Mem(size: .byte, base: .register(base), index: index, scale: scale, disp: disp)
    }
    public static func byte(rip label: Label, _ disp: Int32 = 0) -> Mem {
        Mem(size: .byte, base: .rip(label), disp: disp)
    }
}

/// A condition code; the raw value is the `cc` nibble of Jcc/SETcc/CMOVcc.
public enum Condition: UInt8, CaseIterable, Sendable {
    case overflow, noOverflow, below, aboveOrEqual, equal, notEqual, belowOrEqual, above
    case sign, notSign, parity, noParity, less, greaterOrEqual, lessOrEqual, greater

    /// The opposite condition. Hardware pairs them so that flipping bit 0 negates.
    public var inverted: Condition { Condition(rawValue: rawValue ^ 1)! }

    public static let zero = Condition.equal
    public static let notZero = Condition.notEqual
    public static let carry = Condition.below
    public static let notCarry = Condition.aboveOrEqual

    /// Mnemonic suffix as llvm-mc prints it (`jne`, `setne`, `cmovne`).
    var suffix: String {
        ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"][Int(rawValue)]
    }
}

/// Problems with the instructions given to an `Assembler`. The first one recorded is thrown
/// by `Assembler.finalize()`; the offending instruction emits no bytes.
public enum AssemblerError: Error, Equatable, Sendable {
    case invalidOperand(String)
    case unboundLabel
    case labelBoundTwice
}
