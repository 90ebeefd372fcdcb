#if canImport(Glibc)
import Glibc
#endif
import XCTest
@testable import X64

/// Test-only executable mapping: RW while copying, then RX (never both).
final class ExecutablePage {
    private let base: UnsafeMutableRawPointer
    private let size: Int

    init(_ code: [UInt8]) throws {
        size = max(4096, (code.count + 4095) & ~4095)
        let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let mapped, mapped != MAP_FAILED else { throw POSIXFailure(call: "mmap") }
        base = mapped
        code.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: code.count) }
        guard mprotect(base, size, PROT_READ | PROT_EXEC) == 0 else { throw POSIXFailure(call: "mprotect") }
    }

    deinit { munmap(base, size) }

    /// Calls `body` with the code's entry point as a C function pointer of type `F`; the page
    /// stays mapped for the duration. - warning: Do not escape the function pointer.
    func run<F, R>(as type: F.Type, _ body: (F) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(unsafeBitCast(base, to: type)) }
    }
}

struct POSIXFailure: Error { let call: String }

final class ExecutionTests: XCTestCase {
    typealias NoArgs = @convention(c) () -> Int64
    typealias OneArg = @convention(c) (Int64) -> Int64
    typealias TwoArgs = @convention(c) (Int64, Int64) -> Int64
    typealias TwoDoubles = @convention(c) (Double, Double) -> Double

    func jit(_ build: (Assembler) -> Void) throws -> ExecutablePage {
        let a = Assembler()
        build(a)
        return try ExecutablePage(a.finalize().bytes)
    }

    func testReturn42() throws {
        let page = try jit { $0.mov(.rax, imm: 42); $0.ret() }
        XCTAssertEqual(page.run(as: NoArgs.self) { $0() }, 42)
    }

    func testMovImmediateForms() throws {
        for value: Int64 in [0, -1, 0xFFFF_FFFF, 0x1_0000_0000, .min, .max, Int64(Int32.min)] {
            let page = try jit { $0.mov(.r11, imm: 0x5555); $0.mov(.r11, imm: value); $0.mov(.rax, .r11); $0.ret() }
            XCTAssertEqual(page.run(as: NoArgs.self) { $0() }, value)
        }
    }

    func testAddTwoArguments() throws {
        let page = try jit { a in
            a.mov(.rax, .rdi)
            a.add(.rax, .rsi)
            a.ret()
        }
        XCTAssertEqual(page.run(as: TwoArgs.self) { $0(40, 2) }, 42)
        XCTAssertEqual(page.run(as: TwoArgs.self) { $0(-5, 2) }, -3)
    }

    func testLoopSummingOneToN() throws {
        let page = try jit { a in
            let top = a.newLabel(), done = a.newLabel()
            a.xor(.eax, .eax)
            a.test(.rdi, .rdi)
            a.jcc(.lessOrEqual, done)
            a.bind(top)
            a.add(.rax, .rdi)
            a.dec(.rdi)
            a.jcc(.notZero, top)     // backward
            a.bind(done)
            a.ret()
        }
        page.run(as: OneArg.self) { sum in
            XCTAssertEqual(sum(100), 5050)
            XCTAssertEqual(sum(0), 0)
            XCTAssertEqual(sum(-3), 0)
        }
    }

    func testLoopWithNearBackwardBranch() throws {
        // Same loop with a 200-byte body of NOPs, so the backward jcc must be rel32.
        let a = Assembler()
        let top = a.newLabel()
        a.xor(.eax, .eax)
        a.bind(top)
        a.add(.rax, .rdi)
        a.emitBytes([UInt8](repeating: 0x90, count: 200))
        a.dec(.rdi)
        a.jcc(.notZero, top)
        a.ret()
        let code = try a.finalize()
        XCTAssertTrue(code.listing.contains { $0.text.hasPrefix("jne") && $0.bytes.count == 6 })
        XCTAssertEqual(try ExecutablePage(code.bytes).run(as: OneArg.self) { $0(10) }, 55)
    }

    func testCallThroughRegisterToSwiftFunctionWithAlignedStack() throws {
        let helper: OneArg = { $0 * 3 + 1 }
        let helperAddress = Int64(Int(bitPattern: unsafeBitCast(helper, to: UnsafeRawPointer.self)))
        let page = try jit { a in
            // Entry: rsp is 8 mod 16 (the return address). One push makes it 16-aligned for the call.
            a.push(.rbx)
            a.mov(.rbx, .rsi)
            a.mov(.rax, imm: helperAddress)
            a.call(.rax)
            a.add(.rax, .rbx)
            a.pop(.rbx)
            a.ret()
        }
        XCTAssertEqual(page.run(as: TwoArgs.self) { $0(10, 100) }, 131)
    }

    func testCallToLabelAndThroughMemory() throws {
        let page = try jit { a in
            let double = a.newLabel()
            a.push(.rbx)                        // rsp now 16-aligned
            a.call(double)                      // rax = rdi * 2, via call rel32
            a.mov(.rdi, .rax)
            a.lea(.rbx, .qword(rip: double))    // code pointer into a stack slot
            a.push(.rbx)
            a.sub(.rsp, imm: 8)                 // keep 16-byte alignment at the call
            a.call(.qword(.rsp, 8))             // rax = rdi * 2 again, via call [mem]
            a.add(.rsp, imm: 16)
            a.pop(.rbx)
            a.ret()
            a.bind(double)
            a.lea(.rax, .qword(.rdi, index: .rdi))
            a.ret()
        }
        XCTAssertEqual(page.run(as: OneArg.self) { $0(5) }, 20)
    }

    func testAddTwoDoubles() throws {
        let page = try jit { $0.addsd(.xmm0, .xmm1); $0.ret() }
        XCTAssertEqual(page.run(as: TwoDoubles.self) { $0(1.25, 2.5) }, 3.75)
    }

    func testDoubleArithmeticWithConstantPool() throws {
        // ((a - b) * 2.5) / sqrt(b), the 2.5 loaded rip-relative from a pool after the code.
        let page = try jit { a in
            let twoAndAHalf = a.newLabel()
            a.movsd(.xmm2, .xmm0)
            a.subsd(.xmm2, .xmm1)
            a.mulsd(.xmm2, .qword(rip: twoAndAHalf))
            a.sqrtsd(.xmm1, .xmm1)
            a.divsd(.xmm2, .xmm1)
            a.movsd(.xmm0, .xmm2)
            a.ret()
            a.align(8)
            a.bind(twoAndAHalf)
            a.emitQuad((2.5).bitPattern)
        }
        XCTAssertEqual(page.run(as: TwoDoubles.self) { $0(10, 4) }, 7.5)
    }

    func testIntDoubleConversionsAndCompare() throws {
        // Returns trunc(Double(a) / Double(b)), or -1 when b converts to 0.0 (via ucomisd + jcc).
        let page = try jit { a in
            let zero = a.newLabel()
            a.cvtsi2sd(.xmm0, .rdi)
            a.cvtsi2sd(.xmm1, .rsi)
            a.xorpd(.xmm2, .xmm2)
            a.ucomisd(.xmm1, .xmm2)
            a.jcc(.equal, zero)
            a.divsd(.xmm0, .xmm1)
            a.cvttsd2si(.rax, .xmm0)
            a.ret()
            a.bind(zero)
            a.mov(.rax, imm: -1)
            a.ret()
        }
        page.run(as: TwoArgs.self) { f in
            XCTAssertEqual(f(7, 2), 3)
            XCTAssertEqual(f(-7, 2), -3)
            XCTAssertEqual(f(5, 0), -1)
        }
    }

    func testMovqRoundTrip() throws {
        let page = try jit { a in
            a.movq(.xmm5, .rdi)
            a.movq(.rax, .xmm5)
            a.ret()
        }
        XCTAssertEqual(page.run(as: OneArg.self) { $0(0x1234_5678_9ABC) }, 0x1234_5678_9ABC)
    }

    func testIdivQuotientAndRemainder() throws {
        let quotient = try jit { a in
            a.mov(.rax, .rdi)
            a.mov(.rcx, .rsi)
            a.cqo()
            a.idiv(.rcx)
            a.ret()
        }
        let remainder = try jit { a in
            a.mov(.rax, .rdi)
            a.push(.rsi)
            a.cqo()
            a.idiv(.qword(.rsp))
            a.pop(.rsi)
            a.mov(.rax, .rdx)
            a.ret()
        }
        XCTAssertEqual(quotient.run(as: TwoArgs.self) { $0(-7, 2) }, -3)
        XCTAssertEqual(remainder.run(as: TwoArgs.self) { $0(-7, 2) }, -1)
        XCTAssertEqual(quotient.run(as: TwoArgs.self) { $0(1_000_000_000_000, 7) }, 142_857_142_857)
    }

    func testSetccAndCmovcc() throws {
        let lessThan = try jit { a in
            a.cmp(.rdi, .rsi)
            a.setcc(.less, .al)
            a.movzx(.eax, .al)
            a.ret()
        }
        let maximum = try jit { a in
            a.mov(.rax, .rdi)
            a.cmp(.rdi, .rsi)
            a.cmovcc(.less, .rax, .rsi)
            a.ret()
        }
        XCTAssertEqual(lessThan.run(as: TwoArgs.self) { $0(1, 2) }, 1)
        XCTAssertEqual(lessThan.run(as: TwoArgs.self) { $0(2, 1) }, 0)
        XCTAssertEqual(lessThan.run(as: TwoArgs.self) { $0(-5, 1) }, 1)
        XCTAssertEqual(maximum.run(as: TwoArgs.self) { $0(3, 9) }, 9)
        XCTAssertEqual(maximum.run(as: TwoArgs.self) { $0(9, -3) }, 9)
    }

    func testShiftsAndUnary() throws {
        // ((x << 4) >> 2 arithmetic) negated, then not, then + (x >> cl logical with cl = 1)
        let page = try jit { a in
            a.mov(.rax, .rdi)
            a.shl(.rax, imm: 4)
            a.sar(.rax, imm: 2)
            a.neg(.rax)
            a.not(.rax)
            a.mov(.rdx, .rdi)
            a.mov(.ecx, imm: 1)
            a.shrCL(.rdx)
            a.add(.rax, .rdx)
            a.imul(.rax, .rax, imm: 3)
            a.ret()
        }
        let x: Int64 = 12
        let expected = ((~(-((x << 4) >> 2))) + (x >> 1)) * 3
        XCTAssertEqual(page.run(as: OneArg.self) { $0(x) }, expected)
    }

    func testMemoryOperandsThroughStackSlots() throws {
        // Stores args into a stack frame with rsp/rbp-based addressing, reads them back.
        let page = try jit { a in
            a.push(.rbp)
            a.mov(.rbp, .rsp)
            a.sub(.rsp, imm: 32)
            a.mov(.qword(.rsp, 8), .rdi)
            a.mov(.qword(.rbp, -8), .rsi)
            a.mov(.rax, .qword(.rsp, 8))
            a.add(.rax, .qword(.rbp, -8))
            a.mov(.dword(.rsp), imm: 1000)
            a.add(.rax, .qword(.rsp, index: .rsi, scale: .x1, -2))   // rsi = 2 → [rsp]
            a.mov(.rsp, .rbp)
            a.pop(.rbp)
            a.ret()
        }
        XCTAssertEqual(page.run(as: TwoArgs.self) { $0(40, 2) } & 0xFFFF_FFFF, 1042)
    }
}
