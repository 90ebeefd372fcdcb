import XCTest
@testable import X64

/// Generates the operand-form matrix, assembles every case on its own (so instruction
/// boundaries and expected text are known), disassembles everything with ONE llvm-mc run and
/// requires llvm-mc's text to equal our listing text, instruction by instruction.
final class OracleMatrixTests: XCTestCase {
    typealias Build = (Assembler) -> Void

    static let displacements: [Int32] = [0, 127, -128, 128, -129, .max]
    static let imm32Edges: [Int32] = [0, 1, -1, 127, -128, 128, -129, .max, .min]
    static let imm64Edges: [Int64] = [0, 1, -1, 127, 128, -128, -129, Int64(Int32.max), Int64(Int32.min),
                                      Int64(Int32.max) + 1, Int64(UInt32.max), Int64(UInt32.max) + 1,
                                      Int64(Int32.min) - 1, .max, .min]
    static let byteImmEdges: [Int32] = [-128, -1, 0, 1, 127, 128, 255]

    /// Every base × (no index + every valid index × every scale) × every displacement.
    static func fullAddressMatrix(_ size: OperandSize) -> [Mem] {
        var result: [Mem] = []
        for base in Reg64.allCases {
            for disp in displacements {
                result.append(Mem.qword(base, disp).sized(size))
                for index in Reg64.allCases where index != .rsp {
                    for scale in Scale.allCases {
                        result.append(Mem.qword(base, index: index, scale: scale, disp).sized(size))
                    }
                }
            }
        }
        return result
    }

    /// Every base × every displacement, plus index cases around the rsp/r12/rbp/r13 quirks.
    static func quirkAddresses(_ size: OperandSize) -> [Mem] {
        var result = Reg64.allCases.flatMap { base in displacements.map { Mem.qword(base, $0).sized(size) } }
        for (base, index) in [(Reg64.rsp, Reg64.r12), (.r12, .rbp), (.rbp, .r13), (.r13, .r12), (.rax, .r15), (.r15, .rax)] {
            for scale in Scale.allCases {
                for disp in [0, -129, 127] as [Int32] {
                    result.append(Mem.qword(base, index: index, scale: scale, disp).sized(size))
                }
            }
        }
        return result
    }

    static func registerPairs<A: CaseIterable, B: CaseIterable>(_: A.Type, _: B.Type) -> [(A, B)] {
        A.allCases.flatMap { a in B.allCases.map { (a, $0) } }
    }

    /// Builds the whole matrix: one closure per case.
    static func cases() -> [Build] {
        var cases: [Build] = []
        func add(_ build: @escaping Build) { cases.append(build) }

        // Full addressing matrix through the most common load, and through lea.
        for (i, m) in fullAddressMatrix(.qword).enumerated() {
            let reg = Reg64(rawValue: UInt8(i % 16))!
            add { $0.mov(reg, m) }
            add { $0.lea(reg, m) }
        }

        // Every memory form over the quirk addresses; the register field cycles through all 16.
        let q = quirkAddresses(.qword), d = quirkAddresses(.dword), b = quirkAddresses(.byte)
        for (i, m) in q.enumerated() {
            let r = Reg64(rawValue: UInt8(i % 16))!, x = XMM(rawValue: UInt8(i % 16))!
            let c = Condition(rawValue: UInt8(i % 16))!
            add { $0.mov(m, r) }
            add { $0.mov(m, imm: -1) }
            add { $0.mov(m, imm: 0x1234_5678) }
            add { $0.add(r, m) }; add { $0.add(m, r) }; add { $0.sub(r, m) }; add { $0.sub(m, r) }
            add { $0.and(r, m) }; add { $0.and(m, r) }; add { $0.or(r, m) }; add { $0.or(m, r) }
            add { $0.xor(r, m) }; add { $0.xor(m, r) }; add { $0.cmp(r, m) }; add { $0.cmp(m, r) }
            add { $0.add(m, imm: 1) }; add { $0.sub(m, imm: 1000) }; add { $0.and(m, imm: -8) }
            add { $0.or(m, imm: 128) }; add { $0.xor(m, imm: -129) }; add { $0.cmp(m, imm: 0) }
            add { $0.test(m, imm: 7) }; add { $0.test(m, imm: -1000) }
            add { $0.inc(m) }; add { $0.dec(m) }; add { $0.neg(m) }; add { $0.not(m) }; add { $0.idiv(m) }
            add { $0.imul(r, m) }; add { $0.cmovcc(c, r, m) }
            add { $0.call(m) }; add { $0.jmp(m) }
            add { $0.movsd(x, m) }; add { $0.movsd(m, x) }
            add { $0.addsd(x, m) }; add { $0.subsd(x, m) }; add { $0.mulsd(x, m) }; add { $0.divsd(x, m) }
            add { $0.sqrtsd(x, m) }; add { $0.ucomisd(x, m) }
        }
        for (i, m) in d.enumerated() {
            let r = Reg32(rawValue: UInt8(i % 16))!, r64 = Reg64(rawValue: UInt8(i % 16))!
            add { $0.mov(r, m) }; add { $0.mov(m, r) }
            add { $0.mov(m, imm: -1) }; add { $0.mov(m, imm: 7) }
            add { $0.movsxd(r64, m) }
            add { $0.add(r, m) }; add { $0.add(m, r) }; add { $0.sub(r, m) }; add { $0.sub(m, r) }
            add { $0.and(r, m) }; add { $0.and(m, r) }; add { $0.or(r, m) }; add { $0.or(m, r) }
            add { $0.xor(r, m) }; add { $0.xor(m, r) }; add { $0.cmp(r, m) }; add { $0.cmp(m, r) }
            add { $0.add(m, imm: -1) }; add { $0.cmp(m, imm: -1000) }; add { $0.and(m, imm: 0x7fff_ffff) }
            add { $0.test(m, imm: -2) }
            add { $0.inc(m) }; add { $0.dec(m) }; add { $0.neg(m) }; add { $0.not(m) }; add { $0.idiv(m) }
        }
        for (i, m) in b.enumerated() {
            let r8 = Reg8(rawValue: UInt8(i % 16))!, r32 = Reg32(rawValue: UInt8(i % 16))!, r64 = Reg64(rawValue: UInt8(i % 16))!
            add { $0.mov(r8, m) }; add { $0.mov(m, r8) }
            add { $0.movzx(r32, m) }; add { $0.movzx(r64, m) }; add { $0.movsx(r64, m) }
            add { $0.inc(m) }; add { $0.dec(m) }; add { $0.neg(m) }; add { $0.not(m) }
            for imm in byteImmEdges {
                add { $0.mov(m, imm: imm) }
                add { $0.cmp(m, imm: imm) }
                add { $0.test(m, imm: imm) }
            }
            add { $0.add(m, imm: 1) }; add { $0.sub(m, imm: 1) }; add { $0.and(m, imm: 1) }
            add { $0.or(m, imm: 1) }; add { $0.xor(m, imm: 1) }
        }

        // RIP-relative forms; the label is bound at offset 0 so the displacement is negative,
        // and forms with an immediate after the disp32 check the fixup's end-of-instruction math.
        for addend in [0, 100, -100] as [Int32] {
            func rip(_ size: OperandSize, _ build: @escaping (Assembler, Mem) -> Void) {
                add { a in
                    let l = a.newLabel()
                    a.bind(l)
                    build(a, Mem.qword(rip: l, addend).sized(size))
                }
            }
            rip(.qword) { $0.mov(.rax, $1) }; rip(.qword) { $0.mov(.r15, $1) }; rip(.qword) { $0.lea(.r9, $1) }
            rip(.qword) { $0.mov($1, imm: 5) }; rip(.byte) { $0.mov($1, imm: 5) }; rip(.dword) { $0.cmp($1, imm: 1000) }
            rip(.qword) { $0.movsd(.xmm3, $1) }; rip(.qword) { $0.ucomisd(.xmm12, $1) }; rip(.qword) { $0.call($1) }
            rip(.byte) { $0.test($1, imm: 1) }; rip(.dword) { $0.mov(.ecx, $1) }; rip(.byte) { $0.movzx(.eax, $1) }
        }

        // Register-register forms over all register pairs.
        for (d, s) in registerPairs(Reg64.self, Reg64.self) {
            add { $0.mov(d, s) }; add { $0.add(d, s) }; add { $0.sub(d, s) }; add { $0.and(d, s) }
            add { $0.or(d, s) }; add { $0.xor(d, s) }; add { $0.cmp(d, s) }; add { $0.test(d, s) }
            add { $0.imul(d, s) }
            add { $0.imul(d, s, imm: -3) }; add { $0.imul(d, s, imm: 1000) }
            let c = Condition(rawValue: (d.rawValue + s.rawValue) % 16)!
            add { $0.cmovcc(c, d, s) }
        }
        for (d, s) in registerPairs(Reg32.self, Reg32.self) {
            add { $0.mov(d, s) }; add { $0.add(d, s) }; add { $0.sub(d, s) }; add { $0.and(d, s) }
            add { $0.or(d, s) }; add { $0.xor(d, s) }; add { $0.cmp(d, s) }; add { $0.test(d, s) }
        }
        for (d, s) in registerPairs(Reg8.self, Reg8.self) {
            add { $0.mov(d, s) }; add { $0.test(d, s) }
        }
        for (d, s) in registerPairs(Reg32.self, Reg8.self) { add { $0.movzx(d, s) } }
        for (d, s) in registerPairs(Reg64.self, Reg8.self) { add { $0.movzx(d, s) }; add { $0.movsx(d, s) } }
        for (d, s) in registerPairs(Reg64.self, Reg32.self) { add { $0.movsxd(d, s) } }
        for (d, s) in registerPairs(XMM.self, XMM.self) {
            add { $0.movsd(d, s) }; add { $0.addsd(d, s) }; add { $0.subsd(d, s) }; add { $0.mulsd(d, s) }
            add { $0.divsd(d, s) }; add { $0.sqrtsd(d, s) }; add { $0.ucomisd(d, s) }; add { $0.xorpd(d, s) }
        }
        for (x, r) in registerPairs(XMM.self, Reg64.self) {
            add { $0.movq(x, r) }; add { $0.movq(r, x) }; add { $0.cvtsi2sd(x, r) }; add { $0.cvttsd2si(r, x) }
        }
        for c in Condition.allCases {
            for r in Reg8.allCases { add { $0.setcc(c, r) } }
        }

        // Single-register forms and immediates.
        for r in Reg64.allCases {
            add { $0.push(r) }; add { $0.pop(r) }; add { $0.inc(r) }; add { $0.dec(r) }; add { $0.neg(r) }
            add { $0.not(r) }; add { $0.idiv(r) }; add { $0.call(r) }; add { $0.jmp(r) }
            add { $0.shlCL(r) }; add { $0.shrCL(r) }; add { $0.sarCL(r) }
            for count in [0, 1, 2, 63, 255] as [UInt8] {
                add { $0.shl(r, imm: count) }; add { $0.shr(r, imm: count) }; add { $0.sar(r, imm: count) }
            }
            for imm in imm64Edges { add { $0.mov(r, imm: imm) } }
            for imm in imm32Edges {
                add { $0.add(r, imm: imm) }; add { $0.sub(r, imm: imm) }; add { $0.and(r, imm: imm) }
                add { $0.or(r, imm: imm) }; add { $0.xor(r, imm: imm) }; add { $0.cmp(r, imm: imm) }
                add { $0.test(r, imm: imm) }
                add { $0.add(r.r32, imm: imm) }; add { $0.sub(r.r32, imm: imm) }; add { $0.and(r.r32, imm: imm) }
                add { $0.or(r.r32, imm: imm) }; add { $0.xor(r.r32, imm: imm) }; add { $0.cmp(r.r32, imm: imm) }
                add { $0.mov(r.r32, imm: imm) }
                add { $0.imul(r, .rcx, imm: imm) }
            }
            add { $0.inc(r.r32) }; add { $0.dec(r.r32) }
            for imm in [0, 1, 127, 128, 255] as [UInt8] { add { $0.test(r.r8, imm: imm) } }
        }
        for imm in imm32Edges { add { $0.push(imm: imm) } }
        add { $0.cqo() }; add { $0.ret() }; add { $0.int3() }; add { $0.nop() }

        // Alignment padding of every length 1...15 (listed as several NOPs when longer than 9).
        for filler in 1...15 {
            add { a in
                a.emitBytes([UInt8](repeating: 0x90, count: 16 - filler))
                a.align(16)
            }
        }
        return cases
    }

    func testEveryFormAgreesWithLLVMDisassembler() throws {
        var lines: [ListingLine] = []
        for build in Self.cases() {
            let asm = Assembler()
            build(asm)
            let code = try asm.finalize()
            // Data lines (.byte, used as align filler) are not instructions; everything else is.
            lines += code.listing.filter { !$0.isComment && !$0.text.hasPrefix(".") }
        }
        let llvmTexts = try llvmDisassemble(lines.map(\.bytes))
        XCTAssertEqual(llvmTexts.count, lines.count, "llvm-mc decoded a different number of instructions")
        var mismatches = 0
        for (line, llvm) in zip(lines, llvmTexts) where line.text != llvm {
            mismatches += 1
            if mismatches <= 30 {
                XCTFail("\(hexString(line.bytes)): ours \"\(line.text)\" llvm-mc \"\(llvm)\"")
            }
        }
        XCTAssertEqual(mismatches, 0)
        print("llvm-mc oracle checked \(lines.count) instructions")
    }
}
