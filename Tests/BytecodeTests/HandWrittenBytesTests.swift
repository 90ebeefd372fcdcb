import Bytecode
import XCTest

/// Decoder behaviour on hand-assembled bytes; needs no Python.
final class HandWrittenBytesTests: XCTestCase {
    private func unit(_ op: Opcode, _ arg: UInt8 = 0) -> [UInt8] { [op.rawValue, arg] }
    private func caches(_ op: Opcode) -> [UInt8] { Array(repeating: 0, count: op.cacheEntries * 2) }

    func testSimpleFunction() throws {
        // RESUME 0; LOAD_FAST 0; LOAD_FAST 1; BINARY_OP 0 (+ 1 cache); RETURN_VALUE
        let code = unit(.resume) + unit(.loadFast, 0) + unit(.loadFast, 1)
            + unit(.binaryOp, 0) + caches(.binaryOp) + unit(.returnValue)
        let decoded = try decode(code: code)
        XCTAssertEqual(decoded.instructions.map(\.opcode), [.resume, .loadFast, .loadFast, .binaryOp, .returnValue])
        XCTAssertEqual(decoded.instructions.map(\.index), [0, 1, 2, 3, 5])
        XCTAssertEqual(decoded.instructions[3].nextIndex, 5)
        XCTAssertEqual(decoded.stackDepthAtStart, [0, 0, 1, 2, 1])
        XCTAssertEqual(decoded.maxStackDepth, 2)
        XCTAssertNil(decoded.position(ofIndex: 4), "a CACHE unit is not an instruction")
        XCTAssertTrue(decoded.jumpTargets.isEmpty)
    }

    func testExtendedArgFolding() throws {
        // EXTENDED_ARG 1; EXTENDED_ARG 2; LOAD_CONST 3 -> oparg 0x010203
        let code = unit(.extendedArg, 1) + unit(.extendedArg, 2) + unit(.loadConst, 3) + unit(.returnValue)
        let decoded = try decode(code: code)
        XCTAssertEqual(decoded.instructions.count, 2)
        let load = decoded.instructions[0]
        XCTAssertEqual(load.opcode, .loadConst)
        XCTAssertEqual(load.oparg, 0x010203)
        XCTAssertEqual(load.index, 2)
        XCTAssertEqual(load.prefixStart, 0)
        XCTAssertEqual(load.byteOffset, 4)
        XCTAssertEqual(decoded.position(ofIndex: 0), 0)
        XCTAssertEqual(decoded.position(ofIndex: 2), 0)
        XCTAssertNil(decoded.position(ofIndex: 1), "inner prefixes are not entry points")
    }

    func testQuickenedExtendedArgFolds() throws {
        // EXTENDED_ARG_QUICK (34) 1; LOAD_FAST__LOAD_FAST (46) 2; LOAD_FAST 0 -> oparg 0x102 for the first.
        let code: [UInt8] = [34, 1, 46, 2, Opcode.loadFast.rawValue, 0, Opcode.returnValue.rawValue, 0]
        let decoded = try decode(code: code)
        XCTAssertEqual(decoded.instructions.map(\.opcode), [.loadFast, .loadFast, .returnValue])
        XCTAssertEqual(decoded.instructions[0].oparg, 0x102)
        XCTAssertEqual(baseOpcode(ofQuickened: 34), .extendedArg)
        XCTAssertEqual(quickenedOpcodeName(46), "LOAD_FAST__LOAD_FAST")
    }

    func testForwardAndBackwardJumps() throws {
        // 0 RESUME; 1 LOAD_FAST 0; 2 POP_JUMP_FORWARD_IF_FALSE 2 -> 5; 3 LOAD_CONST 0; 4 RETURN_VALUE;
        // 5 NOP; 6 JUMP_BACKWARD 4 -> 3. Both paths reach 3 at depth 0.
        let code = unit(.resume) + unit(.loadFast, 0) + unit(.popJumpForwardIfFalse, 2)
            + unit(.loadConst, 0) + unit(.returnValue) + unit(.nop) + unit(.jumpBackward, 4)
        let decoded = try decode(code: code)
        XCTAssertEqual(decoded.instructions[2].jumpTarget, 5)
        XCTAssertEqual(decoded.instructions[6].jumpTarget, 3)
        XCTAssertEqual(decoded.jumpTargets, [3, 5])
        XCTAssertEqual(decoded.stackDepthAtStart, [0, 0, 1, 0, 1, 0, 0])
    }

    func testJumpWithExtendedArgIsRelativeToTheRealInstruction() throws {
        // EXTENDED_ARG 1; JUMP_FORWARD 0 -> next(2) + 256 = 258.
        var code = unit(.resume) + unit(.extendedArg, 1) + unit(.jumpForward, 0)
        code += Array(repeating: unit(.nop), count: 255).flatMap { $0 }
        code += unit(.loadConst, 0) + unit(.returnValue)
        XCTAssertEqual(code.count / 2, 260)
        let decoded = try decode(code: code)
        let jump = decoded.instructions[1]
        XCTAssertEqual(jump.oparg, 256)
        XCTAssertEqual(jump.jumpTarget, 259)
        let target = try XCTUnwrap(decoded.position(ofIndex: 259))
        XCTAssertEqual(decoded.instructions[target].opcode, .returnValue)
        // The NOPs in between are unreachable.
        XCTAssertNil(decoded.stackDepthAtStart[2])
    }

    func testTruncatedInput() {
        XCTAssertThrowsError(try decode(code: [Opcode.nop.rawValue])) { XCTAssertEqual($0 as? DecodeError, .truncated) }
        XCTAssertThrowsError(try decode(code: unit(.resume) + unit(.extendedArg, 1))) {
            XCTAssertEqual($0 as? DecodeError, .truncated)
        }
        // BINARY_OP without its CACHE unit.
        XCTAssertThrowsError(try decode(code: unit(.loadFast) + unit(.loadFast) + unit(.binaryOp))) {
            XCTAssertEqual($0 as? DecodeError, .truncated)
        }
    }

    func testUnknownOpcode() {
        XCTAssertThrowsError(try decode(code: unit(.resume) + [200, 0])) {
            XCTAssertEqual($0 as? DecodeError, .unknownOpcode(byteOffset: 2, opcode: 200))
        }
        // DO_TRACING is not an opcode we can compile.
        XCTAssertThrowsError(try decode(code: [255, 0])) {
            XCTAssertEqual($0 as? DecodeError, .unknownOpcode(byteOffset: 0, opcode: 255))
        }
        // A CACHE where an instruction belongs.
        XCTAssertThrowsError(try decode(code: unit(.resume) + unit(.cache))) {
            XCTAssertEqual($0 as? DecodeError, .unknownOpcode(byteOffset: 2, opcode: 0))
        }
    }

    func testBadJumpTargets() {
        // Into a CACHE unit.
        let intoCache = unit(.loadFast) + unit(.loadFast) + unit(.binaryOp) + caches(.binaryOp)
            + unit(.jumpBackward, 2) + unit(.returnValue)
        XCTAssertThrowsError(try decode(code: intoCache)) {
            XCTAssertEqual($0 as? DecodeError, .badJumpTarget(byteOffset: 8))
        }
        // Past the end.
        XCTAssertThrowsError(try decode(code: unit(.jumpForward, 5) + unit(.returnValue))) {
            XCTAssertEqual($0 as? DecodeError, .badJumpTarget(byteOffset: 0))
        }
        // Before the start.
        XCTAssertThrowsError(try decode(code: unit(.jumpBackward, 3))) {
            XCTAssertEqual($0 as? DecodeError, .badJumpTarget(byteOffset: 0))
        }
        // Between an EXTENDED_ARG and its instruction.
        let intoPrefix = unit(.extendedArg, 0) + unit(.loadConst, 0) + unit(.jumpBackward, 2)
        XCTAssertThrowsError(try decode(code: intoPrefix)) {
            XCTAssertEqual($0 as? DecodeError, .badJumpTarget(byteOffset: 4))
        }
        // Falling off the end.
        XCTAssertThrowsError(try decode(code: unit(.nop))) {
            XCTAssertEqual($0 as? DecodeError, .badJumpTarget(byteOffset: 0))
        }
    }

    func testStackErrors() {
        XCTAssertThrowsError(try decode(code: unit(.popTop) + unit(.returnValue))) {
            XCTAssertEqual($0 as? DecodeError, .stackUnderflow(byteOffset: 0))
        }
        // 0 LOAD_FAST; 1 POP_JUMP_FORWARD_IF_TRUE 1 -> 3; 2 LOAD_CONST; 3 RETURN_VALUE: depths 0 and 1 meet at 3.
        let mismatch = unit(.loadFast) + unit(.popJumpForwardIfTrue, 1) + unit(.loadConst) + unit(.returnValue)
        XCTAssertThrowsError(try decode(code: mismatch)) {
            XCTAssertEqual($0 as? DecodeError, .inconsistentStackDepth(byteOffset: 6))
        }
    }

    func testExceptionTableParsing() {
        // start 0x41 (two-byte varint: 0b000001 000001), length 3, target 200 = 3<<6 | 8, depth 2 lasti.
        let bytes: [UInt8] = [0x80 | 0x40 | 0x01, 0x01, 0x03, 0x40 | 0x03, 0x08, 0x05,
                              0x80 | 0x02, 0x01, 0x04, 0x00]
        XCTAssertEqual(parseExceptionTable(bytes), [
            ExceptionTableEntry(start: 65, end: 68, target: 200, depth: 2, pushesLasti: true),
            ExceptionTableEntry(start: 2, end: 3, target: 4, depth: 0, pushesLasti: false),
        ])
        // A truncated trailing entry is dropped, as dis does.
        XCTAssertEqual(parseExceptionTable(Array(bytes.prefix(8))).count, 1)
        XCTAssertEqual(parseExceptionTable([]), [])
    }

    func testHandlerDepthSeeding() throws {
        // 0 RESUME; 1 NOP (covered, handler at 4 depth 0 lasti); 2 LOAD_CONST; 3 RETURN_VALUE;
        // 4 POP_TOP (exception); 5 POP_TOP (lasti); 6 LOAD_CONST; 7 RETURN_VALUE
        let code = unit(.resume) + unit(.nop) + unit(.loadConst) + unit(.returnValue)
            + unit(.popTop) + unit(.popTop) + unit(.loadConst) + unit(.returnValue)
        let table: [UInt8] = [0x80 | 1, 1, 4, 1]
        let decoded = try decode(code: code, exceptionTable: table)
        XCTAssertEqual(decoded.stackDepthAtStart, [0, 0, 0, 1, 2, 1, 0, 1])
        XCTAssertEqual(decoded.jumpTargets, [4])
        XCTAssertEqual(decoded.handler(forIndex: 1)?.target, 4)
        XCTAssertNil(decoded.handler(forIndex: 2))
        XCTAssertEqual(decoded.maxStackDepth, 2)
        // Handler target inside nothing valid.
        XCTAssertThrowsError(try decode(code: code, exceptionTable: [0x80 | 1, 1, 40, 1])) {
            XCTAssertEqual($0 as? DecodeError, .badJumpTarget(byteOffset: 80))
        }
    }

    func testOpcodeProperties() {
        XCTAssertEqual(Opcode.loadFast.name, "LOAD_FAST")
        XCTAssertEqual(Opcode.popJumpForwardIfFalse.name, "POP_JUMP_FORWARD_IF_FALSE")
        XCTAssertEqual(Opcode.loadMethod.cacheEntries, 10)
        XCTAssertEqual(Opcode.loadGlobal.cacheEntries, 5)
        XCTAssertEqual(Opcode.forIter.jump, .forward)
        XCTAssertEqual(Opcode.send.jump, .forward)
        XCTAssertEqual(Opcode.jumpIfTrueOrPop.jump, .forward)
        XCTAssertEqual(Opcode.popJumpBackwardIfNone.jump, .backward)
        XCTAssertNil(Opcode.call.jump)
        XCTAssertFalse(Opcode.popTop.hasArgument)
        XCTAssertTrue(Opcode.storeName.hasArgument)
        XCTAssertEqual(Opcode.kwNames.rawValue, 172)
        XCTAssertEqual(Opcode.precall.rawValue, 166)
    }
}
