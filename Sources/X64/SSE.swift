// SSE2 scalar-double instructions. All funnel into `encode` with their mandatory prefix.

extension Assembler {
    public func movsd(_ d: XMM, _ s: XMM) { sse(.repne, w: false, [0x0F, 0x10], "movsd", reg: d.rawValue, d.name, rm: s.rawValue, s.name) }
    public func movsd(_ d: XMM, _ s: Mem) { sseLoad(.repne, [0x0F, 0x10], "movsd", d, s) }
    public func movsd(_ d: Mem, _ s: XMM) {
        guard requireSize(d, .qword, "movsd") else { return }
        emit(encode(prefix: .repne, rexW: false, opcode: [0x0F, 0x11], reg: s.rawValue, rm: .memory(d)), "movsd \(d.text), \(s.name)")
    }

    /// Moves the 64-bit pattern between a general-purpose and an SSE register.
    public func movq(_ d: XMM, _ s: Reg64) { sse(.operandSize, w: true, [0x0F, 0x6E], "movq", reg: d.rawValue, d.name, rm: s.rawValue, s.name) }
    public func movq(_ d: Reg64, _ s: XMM) {
        emit(encode(prefix: .operandSize, rexW: true, opcode: [0x0F, 0x7E], reg: s.rawValue, rm: .register(d.rawValue)),
             "movq \(d.name), \(s.name)")
    }

    public func addsd(_ d: XMM, _ s: XMM) { sse(.repne, w: false, [0x0F, 0x58], "addsd", reg: d.rawValue, d.name, rm: s.rawValue, s.name) }
    public func mulsd(_ d: XMM, _ s: XMM) { sse(.repne, w: false, [0x0F, 0x59], "mulsd", reg: d.rawValue, d.name, rm: s.rawValue, s.name) }
    public func subsd(_ d: XMM, _ s: XMM) { sse(.repne, w: false, [0x0F, 0x5C], "subsd", reg: d.rawValue, d.name, rm: s.rawValue, s.name) }
    public func divsd(_ d: XMM, _ s: XMM) { sse(.repne, w: false, [0x0F, 0x5E], "divsd", reg: d.rawValue, d.name, rm: s.rawValue, s.name) }
    public func sqrtsd(_ d: XMM, _ s: XMM) { sse(.repne, w: false, [0x0F, 0x51], "sqrtsd", reg: d.rawValue, d.name, rm: s.rawValue, s.name) }
    public func addsd(_ d: XMM, _ s: Mem) { sseLoad(.repne, [0x0F, 0x58], "addsd", d, s) }
    public func mulsd(_ d: XMM, _ s: Mem) { sseLoad(.repne, [0x0F, 0x59], "mulsd", d, s) }
    public func subsd(_ d: XMM, _ s: Mem) { sseLoad(.repne, [0x0F, 0x5C], "subsd", d, s) }
    public func divsd(_ d: XMM, _ s: Mem) { sseLoad(.repne, [0x0F, 0x5E], "divsd", d, s) }
    public func sqrtsd(_ d: XMM, _ s: Mem) { sseLoad(.repne, [0x0F, 0x51], "sqrtsd", d, s) }

    /// Unordered compare: sets ZF/PF/CF (PF=1 when either is NaN); use `.below`/`.above` etc.
    public func ucomisd(_ d: XMM, _ s: XMM) { sse(.operandSize, w: false, [0x0F, 0x2E], "ucomisd", reg: d.rawValue, d.name, rm: s.rawValue, s.name) }
    public func ucomisd(_ d: XMM, _ s: Mem) { sseLoad(.operandSize, [0x0F, 0x2E], "ucomisd", d, s) }

    /// Int64 to double.
    public func cvtsi2sd(_ d: XMM, _ s: Reg64) { sse(.repne, w: true, [0x0F, 0x2A], "cvtsi2sd", reg: d.rawValue, d.name, rm: s.rawValue, s.name) }
    /// Double to Int64, truncating toward zero (0x8000000000000000 when out of range or NaN).
    public func cvttsd2si(_ d: Reg64, _ s: XMM) { sse(.repne, w: true, [0x0F, 0x2C], "cvttsd2si", reg: d.rawValue, d.name, rm: s.rawValue, s.name) }
    public func xorpd(_ d: XMM, _ s: XMM) { sse(.operandSize, w: false, [0x0F, 0x57], "xorpd", reg: d.rawValue, d.name, rm: s.rawValue, s.name) }

    private func sse(_ prefix: MandatoryPrefix, w: Bool, _ opcode: [UInt8], _ mnemonic: String,
                     reg: UInt8, _ regText: String, rm: UInt8, _ rmText: String) {
        emit(encode(prefix: prefix, rexW: w, opcode: opcode, reg: reg, rm: .register(rm)), "\(mnemonic) \(regText), \(rmText)")
    }

    private func sseLoad(_ prefix: MandatoryPrefix, _ opcode: [UInt8], _ mnemonic: String, _ d: XMM, _ s: Mem) {
        guard requireSize(s, .qword, mnemonic) else { return }
        emit(encode(prefix: prefix, rexW: false, opcode: opcode, reg: d.rawValue, rm: .memory(s)), "\(mnemonic) \(d.name), \(s.text)")
    }
}
