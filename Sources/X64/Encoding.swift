// The one place that turns operands into prefix/REX/opcode/ModRM/SIB/displacement/immediate
// bytes. Every instruction form in Instructions.swift funnels into `encode(...)` or
// `encodeOpcodeRegister(...)`.

/// The r/m side of a ModRM byte: a register number (0-15) or a memory operand.
enum RMOperand {
    case register(UInt8)
    case memory(Mem)
}

/// A RIP-relative displacement still waiting for its label's offset.
struct RIPFixup {
    let label: Label
    /// Where the disp32 sits inside the instruction's bytes.
    let dispPosition: Int
    /// Added to (label offset - end of instruction).
    let addend: Int32
}

/// One instruction's bytes; final except for a pending RIP-relative displacement.
struct EncodedInstruction {
    var bytes: [UInt8]
    var ripFixup: RIPFixup?
}

/// Mandatory SSE prefixes; they must precede REX.
enum MandatoryPrefix: UInt8 {
    case operandSize = 0x66
    case repne = 0xF2
}

extension Int32 {
    var fitsInInt8: Bool { self >= -128 && self <= 127 }
}

func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
}

/// Encodes `[prefix] [REX] opcode ModRM [SIB] [disp] [imm]`.
///
/// - Parameters:
///   - reg: the ModRM.reg field: a register number or an opcode extension (/0../7).
///   - forceREX: set when a byte register spl/bpl/sil/dil appears, which needs an empty REX.
func encode(
    prefix: MandatoryPrefix? = nil,
    rexW: Bool,
    forceREX: Bool = false,
    opcode: [UInt8],
    reg: UInt8,
    rm: RMOperand,
    immediate: [UInt8] = []
) -> Result<EncodedInstruction, AssemblerError> {
    let rexR: UInt8 = (reg >> 3) & 1
    var rexX: UInt8 = 0
    var rexB: UInt8 = 0
    var tail: [UInt8] = []   // ModRM, SIB, displacement
    var ripDispPosition: Int? = nil
    var ripLabel: Label? = nil
    var ripAddend: Int32 = 0
    var segmentPrefix: UInt8? = nil

    switch rm {
    case .register(let number):
        rexB = number >> 3
        tail.append(modRM(mod: 0b11, reg: reg, rm: number))

    case .memory(let mem):
        switch mem.base {
        case .rip(let label):
            guard mem.index == nil else {
                return .failure(.invalidOperand("rip-relative addressing cannot have an index register"))
            }
            // mod=00 rm=101 means [rip + disp32] in 64-bit mode.
            tail.append(modRM(mod: 0b00, reg: reg, rm: 0b101))
            ripDispPosition = tail.count
            ripLabel = label
            ripAddend = mem.disp
            tail += [0, 0, 0, 0]

        case .threadLocal:
            guard mem.index == nil else {
                return .failure(.invalidOperand("a thread-local operand cannot have an index register"))
            }
            // FS override; mod=00 rm=100 with SIB base=101 index=100: [disp32], no base.
            segmentPrefix = 0x64
            tail.append(modRM(mod: 0b00, reg: reg, rm: 0b100))
            tail.append(sib(scale: .x1, index: 0b100, base: 0b101))
            tail += littleEndianBytes(mem.disp)

        case .register(let base):
            if mem.index == .rsp {
                return .failure(.invalidOperand("rsp cannot be an index register"))
            }
            rexB = base.rawValue >> 3
            let baseLow = base.rawValue & 7
            // rbp/r13 with mod=00 would mean rip/disp32-only, so they need an explicit disp8 of 0.
            let mod: UInt8
            if mem.disp == 0 && baseLow != 0b101 {
                mod = 0b00
            } else if mem.disp.fitsInInt8 {
                mod = 0b01
            } else {
                mod = 0b10
            }
            // rsp/r12 as base (rm=100) is the SIB escape, so they always need a SIB byte.
            if let index = mem.index {
                rexX = index.rawValue >> 3
                tail.append(modRM(mod: mod, reg: reg, rm: 0b100))
                tail.append(sib(scale: mem.scale, index: index.rawValue, base: baseLow))
            } else if baseLow == 0b100 {
                tail.append(modRM(mod: mod, reg: reg, rm: 0b100))
                tail.append(sib(scale: .x1, index: 0b100, base: baseLow))   // index=100: none
            } else {
                tail.append(modRM(mod: mod, reg: reg, rm: baseLow))
            }
            switch mod {
            case 0b01: tail.append(UInt8(bitPattern: Int8(mem.disp)))
            case 0b10: tail += littleEndianBytes(mem.disp)
            default: break
            }
        }
    }

    var bytes: [UInt8] = []
    if let segmentPrefix { bytes.append(segmentPrefix) }
    if let prefix { bytes.append(prefix.rawValue) }
    let rex: UInt8 = 0x40 | (rexW ? 8 : 0) | (rexR << 2) | (rexX << 1) | rexB
    if rex != 0x40 || forceREX { bytes.append(rex) }
    bytes += opcode
    let tailStart = bytes.count
    bytes += tail
    bytes += immediate

    let fixup = ripLabel.map { RIPFixup(label: $0, dispPosition: tailStart + ripDispPosition!, addend: ripAddend) }
    return .success(EncodedInstruction(bytes: bytes, ripFixup: fixup))
}

/// Encodes forms that carry the register in the opcode's low 3 bits (push, pop, mov r, imm).
func encodeOpcodeRegister(rexW: Bool, opcodeBase: UInt8, register: UInt8, immediate: [UInt8] = []) -> EncodedInstruction {
    var bytes: [UInt8] = []
    let rex: UInt8 = 0x40 | (rexW ? 8 : 0) | (register >> 3)
    if rex != 0x40 { bytes.append(rex) }
    bytes.append(opcodeBase + (register & 7))
    return EncodedInstruction(bytes: bytes + immediate, ripFixup: nil)
}

@inline(__always)
private func modRM(mod: UInt8, reg: UInt8, rm: UInt8) -> UInt8 {
    (mod << 6) | ((reg & 7) << 3) | (rm & 7)
}

@inline(__always)
private func sib(scale: Scale, index: UInt8, base: UInt8) -> UInt8 {
    (scale.rawValue << 6) | ((index & 7) << 3) | (base & 7)
}

// MARK: - Intel-syntax text, spelled the way `llvm-mc -output-asm-variant=1` prints it.

/// Stands in for `rip ± disp` in listing text until the label's offset is known.
let ripPlaceholder = "\u{1}"

extension Mem {
    /// `qword ptr [r12 + 8*rcx - 16]`; for RIP-relative, the address part is `ripPlaceholder`.
    var text: String { "\(size.pointerKeyword) \(addressText)" }

    /// The bracketed address alone, as `lea` prints it.
    var addressText: String {
        switch base {
        case .rip:
            return "[\(ripPlaceholder)]"
        case .threadLocal:
            return "fs:[\(disp)]"
        case .register(let reg):
            var s = "[" + reg.name
            if let index {
                s += " + " + (scale == .x1 ? "" : "\(scale.factor)*") + index.name
            }
            return s + displacementText(Int64(disp)) + "]"
        }
    }
}

/// " + 16", " - 128", or "" for zero.
func displacementText(_ disp: Int64) -> String {
    if disp == 0 { return "" }
    return disp < 0 ? " - \(disp.magnitude)" : " + \(disp)"
}
