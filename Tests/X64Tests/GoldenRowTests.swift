import XCTest
@testable import X64

/// A golden row: builder, expected bytes (checked against llvm-mc's own encoder when written),
/// expected llvm-mc Intel text.
struct GoldenRow {
    let build: (Assembler) -> Void
    let hex: String
    let text: String
    let line: UInt
}

func row(_ build: @escaping (Assembler) -> Void, _ hex: String, _ text: String, line: UInt = #line) -> GoldenRow {
    GoldenRow(build: build, hex: hex, text: text, line: line)
}

let goldenRows: [GoldenRow] = [
        row({ $0.mov(.rbx, .rax) }, "48 89 c3", "mov rbx, rax"),
        row({ $0.mov(.r8, .r15) }, "4d 89 f8", "mov r8, r15"),
        row({ $0.mov(.eax, .r9d) }, "44 89 c8", "mov eax, r9d"),
        row({ $0.mov(.sil, .dil) }, "40 88 fe", "mov sil, dil"),
        row({ $0.mov(.al, .r8b) }, "44 88 c0", "mov al, r8b"),
        row({ $0.mov(.spl, .al) }, "40 88 c4", "mov spl, al"),
        row({ $0.mov(.cl, .dl) }, "88 d1", "mov cl, dl"),
        row({ $0.mov(.rax, .qword(.r12, 16)) }, "49 8b 44 24 10", "mov rax, qword ptr [r12 + 16]"),
        row({ $0.mov(.rax, .qword(.rsp)) }, "48 8b 04 24", "mov rax, qword ptr [rsp]"),
        row({ $0.mov(.rax, .qword(.rbp)) }, "48 8b 45 00", "mov rax, qword ptr [rbp]"),
        row({ $0.mov(.rax, .qword(.r13)) }, "49 8b 45 00", "mov rax, qword ptr [r13]"),
        row({ $0.mov(.rax, .qword(.r12)) }, "49 8b 04 24", "mov rax, qword ptr [r12]"),
        row({ $0.mov(.rax, .qword(.r13, 8)) }, "49 8b 45 08", "mov rax, qword ptr [r13 + 8]"),
        row({ $0.mov(.rax, .qword(.rax, -128)) }, "48 8b 40 80", "mov rax, qword ptr [rax - 128]"),
        row({ $0.mov(.rax, .qword(.rax, 127)) }, "48 8b 40 7f", "mov rax, qword ptr [rax + 127]"),
        row({ $0.mov(.rax, .qword(.rax, 128)) }, "48 8b 80 80 00 00 00", "mov rax, qword ptr [rax + 128]"),
        row({ $0.mov(.rax, .qword(.rax, -129)) }, "48 8b 80 7f ff ff ff", "mov rax, qword ptr [rax - 129]"),
        row({ $0.mov(.rax, .qword(.rax, .max)) }, "48 8b 80 ff ff ff 7f", "mov rax, qword ptr [rax + 2147483647]"),
        row({ $0.mov(.rax, .qword(.rax, index: .rcx, scale: .x8, 16)) }, "48 8b 44 c8 10", "mov rax, qword ptr [rax + 8*rcx + 16]"),
        row({ $0.mov(.rax, .qword(.rbp, index: .r12, scale: .x4)) }, "4a 8b 44 a5 00", "mov rax, qword ptr [rbp + 4*r12]"),
        row({ $0.mov(.r9, .qword(.r13, index: .r13, scale: .x2, -1)) }, "4f 8b 4c 6d ff", "mov r9, qword ptr [r13 + 2*r13 - 1]"),
        row({ $0.mov(.rax, .qword(.rsp, index: .rbp)) }, "48 8b 04 2c", "mov rax, qword ptr [rsp + rbp]"),
        row({ $0.mov(.qword(.rsp, 8), .rdi) }, "48 89 7c 24 08", "mov qword ptr [rsp + 8], rdi"),
        row({ $0.cmp(.rsp, .qword(threadLocal: -1234)) }, "64 48 3b 24 25 2e fb ff ff", "cmp rsp, qword ptr fs:[-1234]"),
        row({ $0.mov(.rax, .qword(threadLocal: -64)) }, "64 48 8b 04 25 c0 ff ff ff", "mov rax, qword ptr fs:[-64]"),
        row({ $0.mov(.r9, .qword(threadLocal: 16)) }, "64 4c 8b 0c 25 10 00 00 00", "mov r9, qword ptr fs:[16]"),
        row({ $0.mov(.eax, .dword(.rdi, 4)) }, "8b 47 04", "mov eax, dword ptr [rdi + 4]"),
        row({ $0.mov(.dword(.r11), .ecx) }, "41 89 0b", "mov dword ptr [r11], ecx"),
        row({ $0.mov(.cl, .byte(.rax)) }, "8a 08", "mov cl, byte ptr [rax]"),
        row({ $0.mov(.byte(.rax), .sil) }, "40 88 30", "mov byte ptr [rax], sil"),
        row({ $0.mov(.dil, .byte(.r9, 1)) }, "41 8a 79 01", "mov dil, byte ptr [r9 + 1]"),
        row({ $0.mov(.rax, imm: 0) }, "b8 00 00 00 00", "mov eax, 0"),
        row({ $0.mov(.rax, imm: 4294967295) }, "b8 ff ff ff ff", "mov eax, 4294967295"),
        row({ $0.mov(.rax, imm: -1) }, "48 c7 c0 ff ff ff ff", "mov rax, -1"),
        row({ $0.mov(.rax, imm: Int64(Int32.min)) }, "48 c7 c0 00 00 00 80", "mov rax, -2147483648"),
        row({ $0.mov(.rax, imm: 0x123456789) }, "48 b8 89 67 45 23 01 00 00 00", "movabs rax, 4886718345"),
        row({ $0.mov(.r15, imm: 1) }, "41 bf 01 00 00 00", "mov r15d, 1"),
        row({ $0.mov(.r9, imm: -1) }, "49 c7 c1 ff ff ff ff", "mov r9, -1"),
        row({ $0.mov(.r10, imm: .min) }, "49 ba 00 00 00 00 00 00 00 80", "movabs r10, -9223372036854775808"),
        row({ $0.mov(.ecx, imm: -1) }, "b9 ff ff ff ff", "mov ecx, 4294967295"),
        row({ $0.mov(.r12d, imm: 7) }, "41 bc 07 00 00 00", "mov r12d, 7"),
        row({ $0.mov(.qword(.rax), imm: -1) }, "48 c7 00 ff ff ff ff", "mov qword ptr [rax], -1"),
        row({ $0.mov(.dword(.rax, 8), imm: 5) }, "c7 40 08 05 00 00 00", "mov dword ptr [rax + 8], 5"),
        row({ $0.mov(.byte(.rax), imm: 200) }, "c6 00 c8", "mov byte ptr [rax], -56"),
        row({ $0.movzx(.eax, .al) }, "0f b6 c0", "movzx eax, al"),
        row({ $0.movzx(.eax, .sil) }, "40 0f b6 c6", "movzx eax, sil"),
        row({ $0.movzx(.r8d, .r9b) }, "45 0f b6 c1", "movzx r8d, r9b"),
        row({ $0.movzx(.rax, .cl) }, "48 0f b6 c1", "movzx rax, cl"),
        row({ $0.movzx(.eax, .byte(.rdi)) }, "0f b6 07", "movzx eax, byte ptr [rdi]"),
        row({ $0.movzx(.rax, .byte(.rdi, 1)) }, "48 0f b6 47 01", "movzx rax, byte ptr [rdi + 1]"),
        row({ $0.movsx(.rax, .al) }, "48 0f be c0", "movsx rax, al"),
        row({ $0.movsx(.rax, .byte(.rsi)) }, "48 0f be 06", "movsx rax, byte ptr [rsi]"),
        row({ $0.movsxd(.rax, .ecx) }, "48 63 c1", "movsxd rax, ecx"),
        row({ $0.movsxd(.r8, .dword(.r9)) }, "4d 63 01", "movsxd r8, dword ptr [r9]"),
        row({ $0.lea(.rax, .qword(.rsp, 8)) }, "48 8d 44 24 08", "lea rax, [rsp + 8]"),
        row({ $0.lea(.r10, .qword(.rax, index: .rax, scale: .x2)) }, "4c 8d 14 40", "lea r10, [rax + 2*rax]"),
        row({ $0.push(.rbp) }, "55", "push rbp"),
        row({ $0.push(.r12) }, "41 54", "push r12"),
        row({ $0.pop(.r15) }, "41 5f", "pop r15"),
        row({ $0.pop(.rax) }, "58", "pop rax"),
        row({ $0.push(imm: -1) }, "6a ff", "push -1"),
        row({ $0.push(imm: 1000) }, "68 e8 03 00 00", "push 1000"),
        row({ $0.add(.rsp, imm: 24) }, "48 83 c4 18", "add rsp, 24"),
        row({ $0.add(.rax, imm: 128) }, "48 05 80 00 00 00", "add rax, 128"),
        row({ $0.add(.rcx, imm: -129) }, "48 81 c1 7f ff ff ff", "add rcx, -129"),
        row({ $0.add(.rcx, imm: 127) }, "48 83 c1 7f", "add rcx, 127"),
        row({ $0.sub(.rsp, imm: 8) }, "48 83 ec 08", "sub rsp, 8"),
        row({ $0.and(.rax, imm: -256) }, "48 25 00 ff ff ff", "and rax, -256"),
        row({ $0.or(.r8, .r9) }, "4d 09 c8", "or r8, r9"),
        row({ $0.xor(.eax, .eax) }, "31 c0", "xor eax, eax"),
        row({ $0.cmp(.rax, .qword(.rbx, 8)) }, "48 3b 43 08", "cmp rax, qword ptr [rbx + 8]"),
        row({ $0.cmp(.qword(.rbx), .rax) }, "48 39 03", "cmp qword ptr [rbx], rax"),
        row({ $0.cmp(.qword(.rbx, 8), imm: 0) }, "48 83 7b 08 00", "cmp qword ptr [rbx + 8], 0"),
        row({ $0.cmp(.byte(.rax), imm: -128) }, "80 38 80", "cmp byte ptr [rax], -128"),
        row({ $0.cmp(.dword(.rax), imm: -1000) }, "81 38 18 fc ff ff", "cmp dword ptr [rax], 4294966296"),
        row({ $0.add(.eax, imm: -1000) }, "05 18 fc ff ff", "add eax, 4294966296"),
        row({ $0.add(.ecx, imm: -1) }, "83 c1 ff", "add ecx, -1"),
        row({ $0.sub(.ecx, .dword(.rdx)) }, "2b 0a", "sub ecx, dword ptr [rdx]"),
        row({ $0.xor(.dword(.rdx), .ecx) }, "31 0a", "xor dword ptr [rdx], ecx"),
        row({ $0.cmp(.r12d, imm: 1) }, "41 83 fc 01", "cmp r12d, 1"),
        row({ $0.and(.qword(.rax), imm: 1000) }, "48 81 20 e8 03 00 00", "and qword ptr [rax], 1000"),
        row({ $0.sub(.r13, .r14) }, "4d 29 f5", "sub r13, r14"),
        row({ $0.test(.rax, .rax) }, "48 85 c0", "test rax, rax"),
        row({ $0.test(.eax, .ecx) }, "85 c8", "test eax, ecx"),
        row({ $0.test(.sil, .sil) }, "40 84 f6", "test sil, sil"),
        row({ $0.test(.rax, imm: 1) }, "48 a9 01 00 00 00", "test rax, 1"),
        row({ $0.test(.rcx, imm: -2) }, "48 f7 c1 fe ff ff ff", "test rcx, -2"),
        row({ $0.test(.al, imm: 1) }, "a8 01", "test al, 1"),
        row({ $0.test(.dil, imm: 0x80) }, "40 f6 c7 80", "test dil, -128"),
        row({ $0.test(.qword(.rax), imm: 5) }, "48 f7 00 05 00 00 00", "test qword ptr [rax], 5"),
        row({ $0.test(.byte(.rax, 1), imm: 1) }, "f6 40 01 01", "test byte ptr [rax + 1], 1"),
        row({ $0.test(.dword(.rax), imm: -2) }, "f7 00 fe ff ff ff", "test dword ptr [rax], 4294967294"),
        row({ $0.inc(.rax) }, "48 ff c0", "inc rax"),
        row({ $0.dec(.r11) }, "49 ff cb", "dec r11"),
        row({ $0.neg(.rcx) }, "48 f7 d9", "neg rcx"),
        row({ $0.not(.rdx) }, "48 f7 d2", "not rdx"),
        row({ $0.inc(.qword(.rax)) }, "48 ff 00", "inc qword ptr [rax]"),
        row({ $0.dec(.dword(.rax)) }, "ff 08", "dec dword ptr [rax]"),
        row({ $0.neg(.qword(.rsp)) }, "48 f7 1c 24", "neg qword ptr [rsp]"),
        row({ $0.not(.byte(.rax)) }, "f6 10", "not byte ptr [rax]"),
        row({ $0.inc(.eax) }, "ff c0", "inc eax"),
        row({ $0.dec(.r9d) }, "41 ff c9", "dec r9d"),
        row({ $0.imul(.rax, .rcx) }, "48 0f af c1", "imul rax, rcx"),
        row({ $0.imul(.rax, .qword(.rbp, -8)) }, "48 0f af 45 f8", "imul rax, qword ptr [rbp - 8]"),
        row({ $0.imul(.rax, .rcx, imm: -3) }, "48 6b c1 fd", "imul rax, rcx, -3"),
        row({ $0.imul(.r8, .r9, imm: 1000) }, "4d 69 c1 e8 03 00 00", "imul r8, r9, 1000"),
        row({ $0.cqo() }, "48 99", "cqo"),
        row({ $0.idiv(.rcx) }, "48 f7 f9", "idiv rcx"),
        row({ $0.idiv(.qword(.rsp, 8)) }, "48 f7 7c 24 08", "idiv qword ptr [rsp + 8]"),
        row({ $0.shl(.rax, imm: 1) }, "48 d1 e0", "shl rax"),
        row({ $0.shl(.rax, imm: 3) }, "48 c1 e0 03", "shl rax, 3"),
        row({ $0.sar(.r9, imm: 63) }, "49 c1 f9 3f", "sar r9, 63"),
        row({ $0.shr(.rdx, imm: 1) }, "48 d1 ea", "shr rdx"),
        row({ $0.shlCL(.rax) }, "48 d3 e0", "shl rax, cl"),
        row({ $0.sarCL(.r10) }, "49 d3 fa", "sar r10, cl"),
        row({ $0.shrCL(.rbx) }, "48 d3 eb", "shr rbx, cl"),
        row({ $0.call(.rax) }, "ff d0", "call rax"),
        row({ $0.call(.r11) }, "41 ff d3", "call r11"),
        row({ $0.call(.qword(.rax, 8)) }, "ff 50 08", "call qword ptr [rax + 8]"),
        row({ $0.jmp(.r15) }, "41 ff e7", "jmp r15"),
        row({ $0.jmp(.qword(.rax, index: .rcx, scale: .x8)) }, "ff 24 c8", "jmp qword ptr [rax + 8*rcx]"),
        row({ $0.setcc(.notEqual, .al) }, "0f 95 c0", "setne al"),
        row({ $0.setcc(.less, .sil) }, "40 0f 9c c6", "setl sil"),
        row({ $0.setcc(.overflow, .r8b) }, "41 0f 90 c0", "seto r8b"),
        row({ $0.cmovcc(.notEqual, .rax, .rcx) }, "48 0f 45 c1", "cmovne rax, rcx"),
        row({ $0.cmovcc(.greater, .r8, .qword(.rax)) }, "4c 0f 4f 00", "cmovg r8, qword ptr [rax]"),
        row({ $0.ret() }, "c3", "ret"),
        row({ $0.int3() }, "cc", "int3"),
        row({ $0.nop() }, "90", "nop"),
        row({ $0.movsd(.xmm0, .xmm1) }, "f2 0f 10 c1", "movsd xmm0, xmm1"),
        row({ $0.movsd(.xmm8, .qword(.rax)) }, "f2 44 0f 10 00", "movsd xmm8, qword ptr [rax]"),
        row({ $0.movsd(.qword(.rsp, 8), .xmm15) }, "f2 44 0f 11 7c 24 08", "movsd qword ptr [rsp + 8], xmm15"),
        row({ $0.movq(.xmm0, .rax) }, "66 48 0f 6e c0", "movq xmm0, rax"),
        row({ $0.movq(.rax, .xmm0) }, "66 48 0f 7e c0", "movq rax, xmm0"),
        row({ $0.movq(.xmm9, .r10) }, "66 4d 0f 6e ca", "movq xmm9, r10"),
        row({ $0.addsd(.xmm0, .xmm1) }, "f2 0f 58 c1", "addsd xmm0, xmm1"),
        row({ $0.subsd(.xmm2, .xmm3) }, "f2 0f 5c d3", "subsd xmm2, xmm3"),
        row({ $0.mulsd(.xmm4, .xmm5) }, "f2 0f 59 e5", "mulsd xmm4, xmm5"),
        row({ $0.divsd(.xmm6, .xmm7) }, "f2 0f 5e f7", "divsd xmm6, xmm7"),
        row({ $0.sqrtsd(.xmm8, .xmm9) }, "f2 45 0f 51 c1", "sqrtsd xmm8, xmm9"),
        row({ $0.addsd(.xmm0, .qword(.rax)) }, "f2 0f 58 00", "addsd xmm0, qword ptr [rax]"),
        row({ $0.subsd(.xmm0, .qword(.r12, 8)) }, "f2 41 0f 5c 44 24 08", "subsd xmm0, qword ptr [r12 + 8]"),
        row({ $0.mulsd(.xmm0, .qword(.rbp)) }, "f2 0f 59 45 00", "mulsd xmm0, qword ptr [rbp]"),
        row({ $0.divsd(.xmm10, .qword(.rax)) }, "f2 44 0f 5e 10", "divsd xmm10, qword ptr [rax]"),
        row({ $0.sqrtsd(.xmm0, .qword(.rax)) }, "f2 0f 51 00", "sqrtsd xmm0, qword ptr [rax]"),
        row({ $0.ucomisd(.xmm0, .xmm1) }, "66 0f 2e c1", "ucomisd xmm0, xmm1"),
        row({ $0.ucomisd(.xmm0, .qword(.rax)) }, "66 0f 2e 00", "ucomisd xmm0, qword ptr [rax]"),
        row({ $0.cvtsi2sd(.xmm0, .rax) }, "f2 48 0f 2a c0", "cvtsi2sd xmm0, rax"),
        row({ $0.cvtsi2sd(.xmm12, .r13) }, "f2 4d 0f 2a e5", "cvtsi2sd xmm12, r13"),
        row({ $0.cvttsd2si(.rax, .xmm1) }, "f2 48 0f 2c c1", "cvttsd2si rax, xmm1"),
        row({ $0.cvttsd2si(.r9, .xmm10) }, "f2 4d 0f 2c ca", "cvttsd2si r9, xmm10"),
        row({ $0.xorpd(.xmm0, .xmm0) }, "66 0f 57 c0", "xorpd xmm0, xmm0"),
]

final class GoldenRowTests: XCTestCase {
    func testGoldenRowsBytesAndText() throws {
        for golden in goldenRows {
            let assembled = try assembleOne(golden.build)
            XCTAssertEqual(hexString(assembled.bytes), golden.hex, "bytes of \(golden.text)", line: golden.line)
            XCTAssertEqual(assembled.text, golden.text, line: golden.line)
        }
    }

    /// The golden texts are also what llvm-mc's disassembler prints for the golden bytes.
    func testGoldenRowsAgreeWithLLVMDisassembler() throws {
        let texts = try llvmDisassemble(goldenRows.map { row in
            row.hex.split(separator: " ").map { UInt8($0, radix: 16)! }
        })
        XCTAssertEqual(texts.count, goldenRows.count)
        for (golden, text) in zip(goldenRows, texts) {
            XCTAssertEqual(text, golden.text, line: golden.line)
        }
        print("golden rows: \(goldenRows.count)")
    }
}
