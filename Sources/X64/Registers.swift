// Register and operand-size vocabulary. Raw values are the hardware register numbers
// (0-15); bit 3 goes into a REX prefix bit, bits 0-2 into ModRM/SIB/opcode.

/// A 64-bit general-purpose register.
public enum Reg64: UInt8, CaseIterable, Sendable {
    case rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15
}

/// The low 32 bits of a general-purpose register. Writing one zero-extends into the full register.
public enum Reg32: UInt8, CaseIterable, Sendable {
    case eax, ecx, edx, ebx, esp, ebp, esi, edi, r8d, r9d, r10d, r11d, r12d, r13d, r14d, r15d
}

/// The low 8 bits of a general-purpose register. The legacy high-byte registers (ah, ch, dh, bh)
/// are deliberately absent, so no REX/high-byte conflict can be expressed.
public enum Reg8: UInt8, CaseIterable, Sendable {
    case al, cl, dl, bl, spl, bpl, sil, dil, r8b, r9b, r10b, r11b, r12b, r13b, r14b, r15b
}

/// An SSE register.
public enum XMM: UInt8, CaseIterable, Sendable {
    case xmm0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7
    case xmm8, xmm9, xmm10, xmm11, xmm12, xmm13, xmm14, xmm15
}

extension Reg64 {
    /// The same register viewed as 32 bits.
    public var r32: Reg32 { Reg32(rawValue: rawValue)! }
    /// The same register viewed as its low 8 bits.
    public var r8: Reg8 { Reg8(rawValue: rawValue)! }
    public var name: String { nameOf64[Int(rawValue)] }
}

extension Reg32 {
    public var r64: Reg64 { Reg64(rawValue: rawValue)! }
    public var name: String { nameOf32[Int(rawValue)] }
}

extension Reg8 {
    public var r64: Reg64 { Reg64(rawValue: rawValue)! }
    public var name: String { nameOf8[Int(rawValue)] }
    /// spl, bpl, sil and dil are only addressable with a REX prefix; without one the same
    /// numbers mean ah, ch, dh, bh.
    var needsREX: Bool { rawValue >= 4 && rawValue <= 7 }
}

extension XMM {
    public var name: String { "xmm\(rawValue)" }
}

private let nameOf64 = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]
private let nameOf32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
                        "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"]
private let nameOf8 = ["al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
                       "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b"]

/// Index scale factor in a memory operand; the raw value is the SIB `ss` field.
public enum Scale: UInt8, CaseIterable, Sendable {
    case x1, x2, x4, x8
    public var factor: Int { 1 << Int(rawValue) }
}

/// Width of a memory access.
public enum OperandSize: Sendable {
    case byte, dword, qword

    /// Intel-syntax size keyword as llvm-mc prints it ("qword ptr").
    var pointerKeyword: String {
        switch self {
        case .byte: return "byte ptr"
        case .dword: return "dword ptr"
        case .qword: return "qword ptr"
        }
    }
}
