import XCTest
@testable import X64

final class ErrorTests: XCTestCase {
    func assertThrows(_ expected: AssemblerError, _ build: (Assembler) -> Void, line: UInt = #line) {
        let a = Assembler()
        build(a)
        XCTAssertThrowsError(try a.finalize(), line: line) { error in
            XCTAssertEqual(error as? AssemblerError, expected, line: line)
        }
    }

    func assertInvalidOperand(_ build: (Assembler) -> Void, line: UInt = #line) {
        let a = Assembler()
        build(a)
        XCTAssertThrowsError(try a.finalize(), line: line) { error in
            guard case .invalidOperand = error as? AssemblerError else {
                return XCTFail("expected invalidOperand, got \(error)", line: line)
            }
        }
    }

    func testRspAsIndexIsRefusedForEveryBaseAndEmitsNothing() {
        for base in Reg64.allCases {
            let a = Assembler()
            a.nop()
            a.mov(.rax, .qword(base, index: .rsp, scale: .x2, 8))
            XCTAssertEqual(a.currentOffset, 1, "the bad instruction must emit nothing")
            XCTAssertEqual(a.items.count, 1)
            XCTAssertThrowsError(try a.finalize()) { error in
                XCTAssertEqual(error as? AssemblerError, .invalidOperand("rsp cannot be an index register"))
            }
        }
    }

    func testRipRelativeWithIndexIsRefused() {
        assertInvalidOperand { a in
            let l = a.newLabel()
            a.bind(l)
            a.mov(.rax, Mem(size: .qword, base: .rip(l), index: .rcx))
        }
    }

    func testMemoryWidthMustMatchTheForm() {
        assertInvalidOperand { $0.mov(.rax, .dword(.rax)) }
        assertInvalidOperand { $0.movzx(.eax, .qword(.rax)) }
        assertInvalidOperand { $0.movsd(.xmm0, .byte(.rax)) }
        assertInvalidOperand { $0.add(.qword(.rax), .ecx) }
    }

    func testByteImmediateOutOfRange() {
        assertInvalidOperand { $0.mov(.byte(.rax), imm: 256) }
        assertInvalidOperand { $0.cmp(.byte(.rax), imm: -129) }
    }

    func testBadAlignment() {
        assertInvalidOperand { $0.align(3) }
        assertInvalidOperand { $0.align(0) }
    }

    func testUnboundLabel() {
        assertThrows(.unboundLabel) { a in a.jmp(a.newLabel()) }
        assertThrows(.unboundLabel) { a in a.call(a.newLabel()) }
        assertThrows(.unboundLabel) { a in a.mov(.rax, .qword(rip: a.newLabel())) }
    }

    func testLabelBoundTwice() {
        assertThrows(.labelBoundTwice) { a in
            let l = a.newLabel()
            a.bind(l)
            a.nop()
            a.bind(l)
        }
    }

    func testLabelFromAnotherAssemblerIsRefused() {
        let other = Assembler()
        _ = other.newLabel()
        let foreign = other.newLabel()   // id 1; this assembler has made none
        assertInvalidOperand { $0.jmp(foreign) }
    }

    func testFirstErrorWins() {
        assertThrows(.labelBoundTwice) { a in
            let l = a.newLabel()
            a.bind(l)
            a.bind(l)
            a.mov(.rax, .qword(.rax, index: .rsp))
        }
    }

    func testUnusedUnboundLabelIsFine() throws {
        let a = Assembler()
        _ = a.newLabel()
        a.ret()
        XCTAssertEqual(try a.finalize().bytes, [0xC3])
    }

    func testConditionInversion() {
        XCTAssertEqual(Condition.equal.inverted, .notEqual)
        XCTAssertEqual(Condition.less.inverted, .greaterOrEqual)
        XCTAssertEqual(Condition.above.inverted, .belowOrEqual)
        for c in Condition.allCases { XCTAssertEqual(c.inverted.inverted, c) }
        XCTAssertEqual(Condition.zero, .equal)
        XCTAssertEqual(Condition.carry, .below)
    }

    func testRegisterViews() {
        XCTAssertEqual(Reg64.r12.r32, .r12d)
        XCTAssertEqual(Reg64.rsi.r8, .sil)
        XCTAssertEqual(Reg64.allCases.map(\.r32), Reg32.allCases)
    }
}
