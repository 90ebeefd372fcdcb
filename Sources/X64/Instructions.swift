// General-purpose instructions. Each public method picks opcode/operands and its llvm-mc text,
// then funnels into `encode` (Encoding.swift) through the small helpers at the bottom.

/// ALU operations sharing the classic encoding scheme: `op*8 + {0,1,2,3}` for register/memory
/// forms, `op*8 + 5` for rax/eax with imm32, and `/op` as the ModRM extension of 80/81/83.
enum ALUOperation: UInt8 {
    case add = 0, or = 1, adc = 2, sbb = 3, and = 4, sub = 5, xor = 6, cmp = 7

    var mnemonic: String { ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"][Int(rawValue)] }
    var storeOpcode: UInt8 { rawValue * 8 + 1 }       // op r/m, reg
    var loadOpcode: UInt8 { rawValue * 8 + 3 }        // op reg, r/m
    var accumulatorImm32Opcode: UInt8 { rawValue * 8 + 5 }
}

/// Group-3/4/5 unary operations: opcode extension and the byte/full-size opcodes.
enum UnaryOperation {
    case inc, dec, not, neg, idiv

    var mnemonic: String {
        switch self {
        case .inc: return "inc"
        case .dec: return "dec"
        case .not: return "not"
        case .neg: return "neg"
        case .idiv: return "idiv"
        }
    }
    var opcodeExtension: UInt8 {
        switch self {
        case .inc: return 0
        case .dec: return 1
        case .not: return 2
        case .neg: return 3
        case .idiv: return 7
        }
    }
    /// (byte opcode, dword/qword opcode)
    var opcodes: (byte: UInt8, full: UInt8) {
        switch self {
        case .inc, .dec: return (0xFE, 0xFF)
        case .not, .neg, .idiv: return (0xF6, 0xF7)
        }
    }
}

/// Shift operations: ModRM extension of C1/D1/D3.
enum ShiftOperation: UInt8 {
    case shl = 4, shr = 5, sar = 7
    var mnemonic: String {
        switch self {
        case .shl: return "shl"
        case .shr: return "shr"
        case .sar: return "sar"
        }
    }
}

extension Assembler {
    // MARK: mov

    public func mov(_ d: Reg64, _ s: Reg64) { registerForm("mov", w: true, opcode: 0x89, rm: d.rawValue, reg: s.rawValue, d.name, s.name) }
    public func mov(_ d: Reg32, _ s: Reg32) { registerForm("mov", w: false, opcode: 0x89, rm: d.rawValue, reg: s.rawValue, d.name, s.name) }
    public func mov(_ d: Reg8, _ s: Reg8) {
        registerForm("mov", w: false, forceREX: d.needsREX || s.needsREX, opcode: 0x88, rm: d.rawValue, reg: s.rawValue, d.name, s.name)
    }

    public func mov(_ d: Reg64, _ s: Mem) { loadForm("mov", .qword, w: true, opcode: [0x8B], reg: d.rawValue, d.name, s) }
    public func mov(_ d: Mem, _ s: Reg64) { storeForm("mov", .qword, w: true, opcode: [0x89], d, reg: s.rawValue, s.name) }
    public func mov(_ d: Reg32, _ s: Mem) { loadForm("mov", .dword, w: false, opcode: [0x8B], reg: d.rawValue, d.name, s) }
    public func mov(_ d: Mem, _ s: Reg32) { storeForm("mov", .dword, w: false, opcode: [0x89], d, reg: s.rawValue, s.name) }
    public func mov(_ d: Reg8, _ s: Mem) { loadForm("mov", .byte, w: false, forceREX: d.needsREX, opcode: [0x8A], reg: d.rawValue, d.name, s) }
    public func mov(_ d: Mem, _ s: Reg8) { storeForm("mov", .byte, w: false, forceREX: s.needsREX, opcode: [0x88], d, reg: s.rawValue, s.name) }

    /// Loads a 64-bit constant with the shortest correct encoding:
    /// `mov r32, imm32` (zero-extends) for 0...UInt32.max, `mov r64, simm32` for other values
    /// that fit a sign-extended Int32, and `movabs r64, imm64` otherwise. Never `xor`, so the
    /// flags are left alone.
    public func mov(_ d: Reg64, imm: Int64) {
        if imm >= 0 && imm <= Int64(UInt32.max) {
            emit(encodeOpcodeRegister(rexW: false, opcodeBase: 0xB8, register: d.rawValue,
                                      immediate: littleEndianBytes(UInt32(imm))),
                 "mov \(d.r32.name), \(imm)")
        } else if let imm32 = Int32(exactly: imm) {
            emit(encode(rexW: true, opcode: [0xC7], reg: 0, rm: .register(d.rawValue), immediate: littleEndianBytes(imm32)),
                 "mov \(d.name), \(imm)")
        } else {
            emit(encodeOpcodeRegister(rexW: true, opcodeBase: 0xB8, register: d.rawValue, immediate: littleEndianBytes(imm)),
                 "movabs \(d.name), \(imm)")
        }
    }

    public func mov(_ d: Reg32, imm: Int32) {
        emit(encodeOpcodeRegister(rexW: false, opcodeBase: 0xB8, register: d.rawValue, immediate: littleEndianBytes(imm)),
             "mov \(d.name), \(UInt32(bitPattern: imm))")
    }

    /// Stores an immediate; the width comes from `d`. A byte store takes -128...255, a qword
    /// store sign-extends the Int32.
    public func mov(_ d: Mem, imm: Int32) {
        switch d.size {
        case .byte:
            guard let imm8 = byteImmediate(imm, "mov") else { return }
            emit(encode(rexW: false, opcode: [0xC6], reg: 0, rm: .memory(d), immediate: [imm8]),
                 "mov \(d.text), \(Int8(bitPattern: imm8))")
        case .dword:
            emit(encode(rexW: false, opcode: [0xC7], reg: 0, rm: .memory(d), immediate: littleEndianBytes(imm)),
                 "mov \(d.text), \(UInt32(bitPattern: imm))")
        case .qword:
            emit(encode(rexW: true, opcode: [0xC7], reg: 0, rm: .memory(d), immediate: littleEndianBytes(imm)),
                 "mov \(d.text), \(imm)")
        }
    }

    // MARK: Extensions and lea

    public func movzx(_ d: Reg32, _ s: Reg8) {
        registerForm("movzx", w: false, forceREX: s.needsREX, opcode: [0x0F, 0xB6], reg: d.rawValue, rm: s.rawValue, d.name, s.name)
    }
    public func movzx(_ d: Reg64, _ s: Reg8) {
        registerForm("movzx", w: true, opcode: [0x0F, 0xB6], reg: d.rawValue, rm: s.rawValue, d.name, s.name)
    }
    public func movzx(_ d: Reg32, _ s: Mem) { loadForm("movzx", .byte, w: false, opcode: [0x0F, 0xB6], reg: d.rawValue, d.name, s) }
    public func movzx(_ d: Reg64, _ s: Mem) { loadForm("movzx", .byte, w: true, opcode: [0x0F, 0xB6], reg: d.rawValue, d.name, s) }
    public func movsx(_ d: Reg64, _ s: Reg8) {
        registerForm("movsx", w: true, opcode: [0x0F, 0xBE], reg: d.rawValue, rm: s.rawValue, d.name, s.name)
    }
    public func movsx(_ d: Reg64, _ s: Mem) { loadForm("movsx", .byte, w: true, opcode: [0x0F, 0xBE], reg: d.rawValue, d.name, s) }
    public func movsxd(_ d: Reg64, _ s: Reg32) {
        registerForm("movsxd", w: true, opcode: [0x63], reg: d.rawValue, rm: s.rawValue, d.name, s.name)
    }
    public func movsxd(_ d: Reg64, _ s: Mem) { loadForm("movsxd", .dword, w: true, opcode: [0x63], reg: d.rawValue, d.name, s) }

    /// Address computation; the width of `s` is irrelevant.
    public func lea(_ d: Reg64, _ s: Mem) {
        emit(encode(rexW: true, opcode: [0x8D], reg: d.rawValue, rm: .memory(s)), "lea \(d.name), \(s.addressText)")
    }

    // MARK: Stack

    public func push(_ r: Reg64) { emit(encodeOpcodeRegister(rexW: false, opcodeBase: 0x50, register: r.rawValue), "push \(r.name)") }
    public func pop(_ r: Reg64) { emit(encodeOpcodeRegister(rexW: false, opcodeBase: 0x58, register: r.rawValue), "pop \(r.name)") }
    /// Pushes the immediate sign-extended to 64 bits.
    public func push(imm: Int32) {
        let bytes: [UInt8] = imm.fitsInInt8 ? [0x6A, UInt8(bitPattern: Int8(imm))] : [0x68] + littleEndianBytes(imm)
        emit(EncodedInstruction(bytes: bytes, ripFixup: nil), "push \(imm)")
    }

    // MARK: ALU

    public func add(_ d: Reg64, _ s: Reg64) { alu(.add, d, s) }
    public func add(_ d: Reg64, _ s: Mem) { alu(.add, d, s) }
    public func add(_ d: Mem, _ s: Reg64) { alu(.add, d, s) }
    public func add(_ d: Reg64, imm: Int32) { alu(.add, d, imm: imm) }
    public func add(_ d: Mem, imm: Int32) { alu(.add, d, imm: imm) }
    public func add(_ d: Reg32, _ s: Reg32) { alu(.add, d, s) }
    public func add(_ d: Reg32, imm: Int32) { alu(.add, d, imm: imm) }
    public func add(_ d: Reg32, _ s: Mem) { alu(.add, d, s) }
    public func add(_ d: Mem, _ s: Reg32) { alu(.add, d, s) }

    public func sub(_ d: Reg64, _ s: Reg64) { alu(.sub, d, s) }
    public func sub(_ d: Reg64, _ s: Mem) { alu(.sub, d, s) }
    public func sub(_ d: Mem, _ s: Reg64) { alu(.sub, d, s) }
    public func sub(_ d: Reg64, imm: Int32) { alu(.sub, d, imm: imm) }
    public func sub(_ d: Mem, imm: Int32) { alu(.sub, d, imm: imm) }
    public func sub(_ d: Reg32, _ s: Reg32) { alu(.sub, d, s) }
    public func sub(_ d: Reg32, imm: Int32) { alu(.sub, d, imm: imm) }
    public func sub(_ d: Reg32, _ s: Mem) { alu(.sub, d, s) }
    public func sub(_ d: Mem, _ s: Reg32) { alu(.sub, d, s) }

    public func and(_ d: Reg64, _ s: Reg64) { alu(.and, d, s) }
    public func and(_ d: Reg64, _ s: Mem) { alu(.and, d, s) }
    public func and(_ d: Mem, _ s: Reg64) { alu(.and, d, s) }
    public func and(_ d: Reg64, imm: Int32) { alu(.and, d, imm: imm) }
    public func and(_ d: Mem, imm: Int32) { alu(.and, d, imm: imm) }
    public func and(_ d: Reg32, _ s: Reg32) { alu(.and, d, s) }
    public func and(_ d: Reg32, imm: Int32) { alu(.and, d, imm: imm) }
    public func and(_ d: Reg32, _ s: Mem) { alu(.and, d, s) }
    public func and(_ d: Mem, _ s: Reg32) { alu(.and, d, s) }

    public func or(_ d: Reg64, _ s: Reg64) { alu(.or, d, s) }
    public func or(_ d: Reg64, _ s: Mem) { alu(.or, d, s) }
    public func or(_ d: Mem, _ s: Reg64) { alu(.or, d, s) }
    public func or(_ d: Reg64, imm: Int32) { alu(.or, d, imm: imm) }
    public func or(_ d: Mem, imm: Int32) { alu(.or, d, imm: imm) }
    public func or(_ d: Reg32, _ s: Reg32) { alu(.or, d, s) }
    public func or(_ d: Reg32, imm: Int32) { alu(.or, d, imm: imm) }
    public func or(_ d: Reg32, _ s: Mem) { alu(.or, d, s) }
    public func or(_ d: Mem, _ s: Reg32) { alu(.or, d, s) }

    public func xor(_ d: Reg64, _ s: Reg64) { alu(.xor, d, s) }
    public func xor(_ d: Reg64, _ s: Mem) { alu(.xor, d, s) }
    public func xor(_ d: Mem, _ s: Reg64) { alu(.xor, d, s) }
    public func xor(_ d: Reg64, imm: Int32) { alu(.xor, d, imm: imm) }
    public func xor(_ d: Mem, imm: Int32) { alu(.xor, d, imm: imm) }
    public func xor(_ d: Reg32, _ s: Reg32) { alu(.xor, d, s) }
    public func xor(_ d: Reg32, imm: Int32) { alu(.xor, d, imm: imm) }
    public func xor(_ d: Reg32, _ s: Mem) { alu(.xor, d, s) }
    public func xor(_ d: Mem, _ s: Reg32) { alu(.xor, d, s) }

    public func cmp(_ d: Reg64, _ s: Reg64) { alu(.cmp, d, s) }
    public func cmp(_ d: Reg64, _ s: Mem) { alu(.cmp, d, s) }
    public func cmp(_ d: Mem, _ s: Reg64) { alu(.cmp, d, s) }
    public func cmp(_ d: Reg64, imm: Int32) { alu(.cmp, d, imm: imm) }
    public func cmp(_ d: Mem, imm: Int32) { alu(.cmp, d, imm: imm) }
    public func cmp(_ d: Reg32, _ s: Reg32) { alu(.cmp, d, s) }
    public func cmp(_ d: Reg32, imm: Int32) { alu(.cmp, d, imm: imm) }
    public func cmp(_ d: Reg32, _ s: Mem) { alu(.cmp, d, s) }
    public func cmp(_ d: Mem, _ s: Reg32) { alu(.cmp, d, s) }

    func alu(_ op: ALUOperation, _ d: Reg64, _ s: Reg64) {
        registerForm(op.mnemonic, w: true, opcode: op.storeOpcode, rm: d.rawValue, reg: s.rawValue, d.name, s.name)
    }
    func alu(_ op: ALUOperation, _ d: Reg32, _ s: Reg32) {
        registerForm(op.mnemonic, w: false, opcode: op.storeOpcode, rm: d.rawValue, reg: s.rawValue, d.name, s.name)
    }
    func alu(_ op: ALUOperation, _ d: Reg64, _ s: Mem) { loadForm(op.mnemonic, .qword, w: true, opcode: [op.loadOpcode], reg: d.rawValue, d.name, s) }
    func alu(_ op: ALUOperation, _ d: Reg32, _ s: Mem) { loadForm(op.mnemonic, .dword, w: false, opcode: [op.loadOpcode], reg: d.rawValue, d.name, s) }
    func alu(_ op: ALUOperation, _ d: Mem, _ s: Reg64) { storeForm(op.mnemonic, .qword, w: true, opcode: [op.storeOpcode], d, reg: s.rawValue, s.name) }
    func alu(_ op: ALUOperation, _ d: Mem, _ s: Reg32) { storeForm(op.mnemonic, .dword, w: false, opcode: [op.storeOpcode], d, reg: s.rawValue, s.name) }

    func alu(_ op: ALUOperation, _ d: Reg64, imm: Int32) {
        aluImmediate(op, w: true, rm: .register(d.rawValue), isAccumulator: d == .rax, operandText: d.name, imm: imm, imm32Text: "\(imm)")
    }
    func alu(_ op: ALUOperation, _ d: Reg32, imm: Int32) {
        aluImmediate(op, w: false, rm: .register(d.rawValue), isAccumulator: d == .eax, operandText: d.name, imm: imm,
                     imm32Text: "\(UInt32(bitPattern: imm))")
    }
    func alu(_ op: ALUOperation, _ d: Mem, imm: Int32) {
        switch d.size {
        case .byte:
            guard let imm8 = byteImmediate(imm, op.mnemonic) else { return }
            emit(encode(rexW: false, opcode: [0x80], reg: op.rawValue, rm: .memory(d), immediate: [imm8]),
                 "\(op.mnemonic) \(d.text), \(Int8(bitPattern: imm8))")
        case .dword:
            aluImmediate(op, w: false, rm: .memory(d), isAccumulator: false, operandText: d.text, imm: imm,
                         imm32Text: "\(UInt32(bitPattern: imm))")
        case .qword:
            aluImmediate(op, w: true, rm: .memory(d), isAccumulator: false, operandText: d.text, imm: imm, imm32Text: "\(imm)")
        }
    }

    /// 83 /op ib when the immediate fits Int8; otherwise the accumulator short form or 81 /op id.
    private func aluImmediate(_ op: ALUOperation, w: Bool, rm: RMOperand, isAccumulator: Bool,
                              operandText: String, imm: Int32, imm32Text: String) {
        if imm.fitsInInt8 {
            emit(encode(rexW: w, opcode: [0x83], reg: op.rawValue, rm: rm, immediate: [UInt8(bitPattern: Int8(imm))]),
                 "\(op.mnemonic) \(operandText), \(imm)")
        } else if isAccumulator {
            let bytes = (w ? [0x48] : []) + [op.accumulatorImm32Opcode] + littleEndianBytes(imm)
            emit(EncodedInstruction(bytes: bytes, ripFixup: nil), "\(op.mnemonic) \(operandText), \(imm32Text)")
        } else {
            emit(encode(rexW: w, opcode: [0x81], reg: op.rawValue, rm: rm, immediate: littleEndianBytes(imm)),
                 "\(op.mnemonic) \(operandText), \(imm32Text)")
        }
    }

    // MARK: test

    public func test(_ a: Reg64, _ b: Reg64) { registerForm("test", w: true, opcode: 0x85, rm: a.rawValue, reg: b.rawValue, a.name, b.name) }
    public func test(_ a: Reg32, _ b: Reg32) { registerForm("test", w: false, opcode: 0x85, rm: a.rawValue, reg: b.rawValue, a.name, b.name) }
    public func test(_ a: Reg8, _ b: Reg8) {
        registerForm("test", w: false, forceREX: a.needsREX || b.needsREX, opcode: 0x84, rm: a.rawValue, reg: b.rawValue, a.name, b.name)
    }
    /// Tests against the immediate sign-extended to 64 bits.
    public func test(_ a: Reg64, imm: Int32) {
        if a == .rax {
            emit(EncodedInstruction(bytes: [0x48, 0xA9] + littleEndianBytes(imm), ripFixup: nil), "test rax, \(imm)")
        } else {
            emit(encode(rexW: true, opcode: [0xF7], reg: 0, rm: .register(a.rawValue), immediate: littleEndianBytes(imm)),
                 "test \(a.name), \(imm)")
        }
    }
    public func test(_ a: Reg8, imm: UInt8) {
        let text = "test \(a.name), \(Int8(bitPattern: imm))"
        if a == .al {
            emit(EncodedInstruction(bytes: [0xA8, imm], ripFixup: nil), text)
        } else {
            emit(encode(rexW: false, forceREX: a.needsREX, opcode: [0xF6], reg: 0, rm: .register(a.rawValue), immediate: [imm]), text)
        }
    }
    /// Width from `a`; a byte test takes -128...255.
    public func test(_ a: Mem, imm: Int32) {
        switch a.size {
        case .byte:
            guard let imm8 = byteImmediate(imm, "test") else { return }
            emit(encode(rexW: false, opcode: [0xF6], reg: 0, rm: .memory(a), immediate: [imm8]),
                 "test \(a.text), \(Int8(bitPattern: imm8))")
        case .dword:
            emit(encode(rexW: false, opcode: [0xF7], reg: 0, rm: .memory(a), immediate: littleEndianBytes(imm)),
                 "test \(a.text), \(UInt32(bitPattern: imm))")
        case .qword:
            emit(encode(rexW: true, opcode: [0xF7], reg: 0, rm: .memory(a), immediate: littleEndianBytes(imm)),
                 "test \(a.text), \(imm)")
        }
    }

    // MARK: Unary

    public func inc(_ r: Reg64) { unary(.inc, r) }
    public func dec(_ r: Reg64) { unary(.dec, r) }
    public func neg(_ r: Reg64) { unary(.neg, r) }
    public func not(_ r: Reg64) { unary(.not, r) }
    public func inc(_ r: Reg32) { unary(.inc, r) }
    public func dec(_ r: Reg32) { unary(.dec, r) }
    /// Width from `m`.
    public func inc(_ m: Mem) { unary(.inc, m) }
    public func dec(_ m: Mem) { unary(.dec, m) }
    public func neg(_ m: Mem) { unary(.neg, m) }
    public func not(_ m: Mem) { unary(.not, m) }

    /// Signed divide rdx:rax by the operand (quotient in rax, remainder in rdx). Use `cqo` first.
    public func idiv(_ r: Reg64) { unary(.idiv, r) }
    /// Width from `m` (dword divides edx:eax).
    public func idiv(_ m: Mem) { unary(.idiv, m) }
    /// Sign-extends rax into rdx:rax.
    public func cqo() { emit(EncodedInstruction(bytes: [0x48, 0x99], ripFixup: nil), "cqo") }

    func unary(_ op: UnaryOperation, _ r: Reg64) {
        emit(encode(rexW: true, opcode: [op.opcodes.full], reg: op.opcodeExtension, rm: .register(r.rawValue)), "\(op.mnemonic) \(r.name)")
    }
    func unary(_ op: UnaryOperation, _ r: Reg32) {
        emit(encode(rexW: false, opcode: [op.opcodes.full], reg: op.opcodeExtension, rm: .register(r.rawValue)), "\(op.mnemonic) \(r.name)")
    }
    func unary(_ op: UnaryOperation, _ m: Mem) {
        let opcode = m.size == .byte ? op.opcodes.byte : op.opcodes.full
        emit(encode(rexW: m.size == .qword, opcode: [opcode], reg: op.opcodeExtension, rm: .memory(m)), "\(op.mnemonic) \(m.text)")
    }

    // MARK: imul

    public func imul(_ d: Reg64, _ s: Reg64) {
        registerForm("imul", w: true, opcode: [0x0F, 0xAF], reg: d.rawValue, rm: s.rawValue, d.name, s.name)
    }
    public func imul(_ d: Reg64, _ s: Mem) { loadForm("imul", .qword, w: true, opcode: [0x0F, 0xAF], reg: d.rawValue, d.name, s) }
    /// d = s * imm (6B ib when the immediate fits Int8, else 69 id).
    public func imul(_ d: Reg64, _ s: Reg64, imm: Int32) {
        let text = "imul \(d.name), \(s.name), \(imm)"
        if imm.fitsInInt8 {
            emit(encode(rexW: true, opcode: [0x6B], reg: d.rawValue, rm: .register(s.rawValue), immediate: [UInt8(bitPattern: Int8(imm))]), text)
        } else {
            emit(encode(rexW: true, opcode: [0x69], reg: d.rawValue, rm: .register(s.rawValue), immediate: littleEndianBytes(imm)), text)
        }
    }

    // MARK: Shifts

    /// Shift by a constant; a count of 1 uses the short D1 form. Counts are masked to 0...63 by
    /// the CPU.
    public func shl(_ r: Reg64, imm: UInt8) { shift(.shl, r, imm: imm) }
    public func shr(_ r: Reg64, imm: UInt8) { shift(.shr, r, imm: imm) }
    public func sar(_ r: Reg64, imm: UInt8) { shift(.sar, r, imm: imm) }
    /// Shift by cl.
    public func shlCL(_ r: Reg64) { shiftCL(.shl, r) }
    public func shrCL(_ r: Reg64) { shiftCL(.shr, r) }
    public func sarCL(_ r: Reg64) { shiftCL(.sar, r) }

    func shift(_ op: ShiftOperation, _ r: Reg64, imm: UInt8) {
        if imm == 1 {
            emit(encode(rexW: true, opcode: [0xD1], reg: op.rawValue, rm: .register(r.rawValue)), "\(op.mnemonic) \(r.name)")
        } else {
            emit(encode(rexW: true, opcode: [0xC1], reg: op.rawValue, rm: .register(r.rawValue), immediate: [imm]),
                 "\(op.mnemonic) \(r.name), \(imm)")
        }
    }
    func shiftCL(_ op: ShiftOperation, _ r: Reg64) {
        emit(encode(rexW: true, opcode: [0xD3], reg: op.rawValue, rm: .register(r.rawValue)), "\(op.mnemonic) \(r.name), cl")
    }

    // MARK: Control flow

    /// Near call, always rel32.
    public func call(_ label: Label) { emitBranch(.call, to: label) }
    public func call(_ r: Reg64) { emit(encode(rexW: false, opcode: [0xFF], reg: 2, rm: .register(r.rawValue)), "call \(r.name)") }
    public func call(_ m: Mem) { loadForm("call", .qword, w: false, opcode: [0xFF], reg: 2, nil, m) }
    /// rel8 or rel32, chosen in `finalize()`.
    public func jmp(_ label: Label) { emitBranch(.jmp, to: label) }
    public func jmp(_ r: Reg64) { emit(encode(rexW: false, opcode: [0xFF], reg: 4, rm: .register(r.rawValue)), "jmp \(r.name)") }
    public func jmp(_ m: Mem) { loadForm("jmp", .qword, w: false, opcode: [0xFF], reg: 4, nil, m) }
    /// rel8 or rel32, chosen in `finalize()`.
    public func jcc(_ c: Condition, _ label: Label) { emitBranch(.jcc(c), to: label) }

    public func setcc(_ c: Condition, _ d: Reg8) {
        emit(encode(rexW: false, forceREX: d.needsREX, opcode: [0x0F, 0x90 + c.rawValue], reg: 0, rm: .register(d.rawValue)),
             "set\(c.suffix) \(d.name)")
    }
    public func cmovcc(_ c: Condition, _ d: Reg64, _ s: Reg64) {
        registerForm("cmov" + c.suffix, w: true, opcode: [0x0F, 0x40 + c.rawValue], reg: d.rawValue, rm: s.rawValue, d.name, s.name)
    }
    public func cmovcc(_ c: Condition, _ d: Reg64, _ s: Mem) {
        loadForm("cmov" + c.suffix, .qword, w: true, opcode: [0x0F, 0x40 + c.rawValue], reg: d.rawValue, d.name, s)
    }

    public func ret() { emit(EncodedInstruction(bytes: [0xC3], ripFixup: nil), "ret") }
    public func int3() { emit(EncodedInstruction(bytes: [0xCC], ripFixup: nil), "int3") }
    public func nop() { emit(EncodedInstruction(bytes: [0x90], ripFixup: nil), "nop") }

    // MARK: Data

    /// Raw little-endian 64-bit data, e.g. a constant pool entry after the code.
    public func emitQuad(_ v: UInt64) {
        emit(EncodedInstruction(bytes: littleEndianBytes(v), ripFixup: nil), ".quad 0x\(hex(v, width: 16))")
    }
    public func emitBytes(_ b: [UInt8]) {
        guard !b.isEmpty else { return }
        emit(EncodedInstruction(bytes: b, ripFixup: nil), ".byte " + b.map { "0x" + hex($0, width: 2) }.joined(separator: ", "))
    }

    // MARK: Shared shapes

    /// `op r/m(register), reg` with a one-byte opcode.
    func registerForm(_ mnemonic: String, w: Bool, forceREX: Bool = false, opcode: UInt8, rm: UInt8, reg: UInt8,
                      _ first: String, _ second: String) {
        emit(encode(rexW: w, forceREX: forceREX, opcode: [opcode], reg: reg, rm: .register(rm)), "\(mnemonic) \(first), \(second)")
    }

    /// `op reg, r/m(register)`.
    func registerForm(_ mnemonic: String, w: Bool, forceREX: Bool = false, opcode: [UInt8], reg: UInt8, rm: UInt8,
                      _ first: String, _ second: String) {
        emit(encode(rexW: w, forceREX: forceREX, opcode: opcode, reg: reg, rm: .register(rm)), "\(mnemonic) \(first), \(second)")
    }

    /// `op reg, mem` (or `op mem` with an opcode extension when `regText` is nil).
    func loadForm(_ mnemonic: String, _ size: OperandSize, w: Bool, forceREX: Bool = false, opcode: [UInt8], reg: UInt8,
                  _ regText: String?, _ m: Mem) {
        guard requireSize(m, size, mnemonic) else { return }
        emit(encode(rexW: w, forceREX: forceREX, opcode: opcode, reg: reg, rm: .memory(m)),
             regText.map { "\(mnemonic) \($0), \(m.text)" } ?? "\(mnemonic) \(m.text)")
    }

    /// `op mem, reg`.
    func storeForm(_ mnemonic: String, _ size: OperandSize, w: Bool, forceREX: Bool = false, opcode: [UInt8],
                   _ m: Mem, reg: UInt8, _ regText: String) {
        guard requireSize(m, size, mnemonic) else { return }
        emit(encode(rexW: w, forceREX: forceREX, opcode: opcode, reg: reg, rm: .memory(m)), "\(mnemonic) \(m.text), \(regText)")
    }

    /// Records an error unless `m` has the width the instruction form accesses.
    func requireSize(_ m: Mem, _ size: OperandSize, _ mnemonic: String) -> Bool {
        if m.size == size { return true }
        record(.invalidOperand("\(mnemonic) needs a \(size.pointerKeyword) memory operand, got \(m.size.pointerKeyword)"))
        return false
    }

    /// An 8-bit immediate given as Int32: accepts -128...255 (signed or unsigned byte).
    func byteImmediate(_ imm: Int32, _ mnemonic: String) -> UInt8? {
        if imm >= -128 && imm <= 255 { return UInt8(truncatingIfNeeded: imm) }
        record(.invalidOperand("\(mnemonic): immediate \(imm) does not fit in a byte"))
        return nil
    }
}
