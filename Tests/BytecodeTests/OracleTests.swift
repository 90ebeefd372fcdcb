import Bytecode
import XCTest

/// Compares the decoder with CPython's own `dis` on a corpus of real code objects.
final class OracleTests: XCTestCase {
    func testCorpusIsLargeAndVaried() throws {
        let corpus = try PythonOracle.corpus()
        XCTAssertGreaterThanOrEqual(corpus.count, 40)
        let opnames = Set(corpus.flatMap { $0.instructions.map(\.opname) })
        // The corpus should exercise most of the instruction set.
        XCTAssertGreaterThanOrEqual(opnames.count, 90, "only \(opnames.count) distinct opcodes")
        XCTAssertTrue(corpus.contains { code in code.instructions.contains { ($0.arg ?? 0) > 255 && $0.jumpTarget != nil } },
                      "corpus needs a jump with EXTENDED_ARG")
    }

    func testDecodeAgreesWithDis() throws {
        for dump in try PythonOracle.corpus() {
            let decoded = try decode(code: dump.code, exceptionTable: dump.exceptionTable)
            XCTAssertEqual(decoded.instructions.count, dump.instructions.count, dump.name)
            for (ours, theirs) in zip(decoded.instructions, dump.instructions) {
                let context = "\(dump.name) @\(theirs.offset)"
                XCTAssertEqual(ours.byteOffset, theirs.offset, context)
                XCTAssertEqual(ours.opcode.name, theirs.opname, context)
                if ours.opcode.hasArgument {
                    XCTAssertEqual(ours.oparg, theirs.arg, context)
                } else {
                    XCTAssertNil(theirs.arg, context)
                }
                XCTAssertEqual(ours.jumpTarget.map { $0 * 2 }, theirs.jumpTarget, context)
            }
            let entries = decoded.exceptionTable.map {
                [$0.start * 2, $0.end * 2, $0.target * 2, $0.depth, $0.pushesLasti ? 1 : 0]
            }
            XCTAssertEqual(entries, dump.entries, dump.name)
            XCTAssertEqual(decoded.codeUnitCount * 2, dump.code.count, dump.name)
        }
    }

    func testPrefixesAndCachesAreAccountedFor() throws {
        for dump in try PythonOracle.corpus() {
            let decoded = try decode(code: dump.code, exceptionTable: dump.exceptionTable)
            var expectedStart = 0
            for (position, instruction) in decoded.instructions.enumerated() {
                // Instructions tile the code: prefixes, opcode, caches, next instruction.
                XCTAssertEqual(instruction.prefixStart, expectedStart, dump.name)
                XCTAssertEqual(instruction.nextIndex, instruction.index + 1 + instruction.opcode.cacheEntries)
                for unit in instruction.prefixStart..<instruction.index {
                    XCTAssertEqual(dump.code[unit * 2], Opcode.extendedArg.rawValue, dump.name)
                }
                for unit in instruction.cacheRange {
                    XCTAssertEqual(dump.code[unit * 2], 0, "deoptimised caches are zero")
                }
                XCTAssertEqual(decoded.position(ofIndex: instruction.index), position)
                XCTAssertEqual(decoded.position(ofIndex: instruction.prefixStart), position)
                expectedStart = instruction.nextIndex
            }
            XCTAssertEqual(expectedStart, decoded.codeUnitCount, dump.name)
        }
    }

    func testJumpTargetsAndHandlers() throws {
        for dump in try PythonOracle.corpus() {
            let decoded = try decode(code: dump.code, exceptionTable: dump.exceptionTable)
            var expected = Set(dump.instructions.compactMap { $0.jumpTarget.map { $0 / 2 } })
            expected.formUnion(dump.entries.map { $0[2] / 2 })
            XCTAssertEqual(decoded.jumpTargets, expected, dump.name)
            for (position, instruction) in decoded.instructions.enumerated() {
                let byLinearScan = decoded.exceptionTable.first { $0.covers(instruction.index) }
                XCTAssertEqual(decoded.handler(forIndex: instruction.index), byLinearScan, dump.name)
                XCTAssertEqual(decoded.handlers[position], byLinearScan, dump.name)
            }
        }
    }

    func testMaxStackDepthEqualsCoStacksize() throws {
        let corpus = try PythonOracle.corpus()
        var exact = 0
        for dump in corpus {
            let decoded = try decode(code: dump.code, exceptionTable: dump.exceptionTable)
            var reached = 0
            for (position, instruction) in decoded.instructions.enumerated() {
                guard let depth = decoded.stackDepthAtStart[position] else { continue }
                reached = max(reached, depth)
                for jump in [false, true] where jump == false || instruction.jumpTarget != nil {
                    let after = depth + stackEffect(instruction.opcode, oparg: instruction.oparg, jump: jump)
                    // RETURN_GENERATOR's resumption value is the one place the analysis adds 1.
                    if instruction.opcode != .returnGenerator {
                        XCTAssertLessThanOrEqual(after, dump.stacksize, "\(dump.name) @\(instruction.byteOffset)")
                    }
                    reached = max(reached, after)
                }
            }
            XCTAssertLessThanOrEqual(reached, dump.stacksize, dump.name)
            XCTAssertEqual(decoded.maxStackDepth, reached, dump.name)
            if decoded.stackDepthAtStart.allSatisfy({ $0 != nil }) {
                XCTAssertEqual(decoded.maxStackDepth, dump.stacksize, dump.name)
            } else {
                // The compiler sized the stack before dropping dead code (e.g. the unreachable
                // cleanup of an `except*` body), so it may only overestimate.
                XCTAssertLessThanOrEqual(decoded.maxStackDepth, dump.stacksize, dump.name)
            }
            if decoded.maxStackDepth == dump.stacksize { exact += 1 }
            // Every handler is reachable in compiler output.
            for entry in decoded.exceptionTable {
                let position = try XCTUnwrap(decoded.position(ofIndex: entry.target))
                XCTAssertEqual(decoded.stackDepthAtStart[position], entry.handlerEntryDepth, dump.name)
            }
        }
        XCTAssertGreaterThanOrEqual(exact * 10, corpus.count * 9, "max depth matched co_stacksize for only \(exact)/\(corpus.count)")
    }

    func testQuickenedBytesDecodeLikeDeoptimisedOnes() throws {
        let dumps = try PythonOracle.dump("quickened", as: [QuickenedDump].self)
        XCTAssertFalse(dumps.isEmpty)
        var specialisedSomething = false
        for dump in dumps {
            specialisedSomething = specialisedSomething || dump.adaptive != dump.code
            let plain = try decode(code: dump.code, exceptionTable: dump.exceptionTable)
            let quick = try decode(code: dump.adaptive, exceptionTable: dump.exceptionTable)
            XCTAssertEqual(plain.instructions, quick.instructions, dump.name)
            XCTAssertEqual(plain.stackDepthAtStart, quick.stackDepthAtStart, dump.name)
        }
        XCTAssertTrue(specialisedSomething, "warm-up did not quicken anything")
    }

    func testStackEffectMatchesDis() throws {
        let rows = try PythonOracle.dump("stackEffects", as: [StackEffectDump].self)
        XCTAssertGreaterThan(rows.count, 1000)
        for row in rows {
            let op = try XCTUnwrap(Opcode(rawValue: row.opcode))
            let oparg = row.oparg ?? 0
            XCTAssertEqual(stackEffect(op, oparg: oparg, jump: false), row.noJump, "\(op.name) \(oparg) jump=False")
            XCTAssertEqual(stackEffect(op, oparg: oparg, jump: true), row.jump, "\(op.name) \(oparg) jump=True")
        }
    }

    func testOpcodeTableMatchesOpcodeModule() throws {
        let dump = try PythonOracle.dump("opcodes", as: OpcodesDump.self)
        XCTAssertEqual(Opcode.allCases.count, dump.opmap.count)
        XCTAssertEqual(Opcode.haveArgumentThreshold, dump.haveArgument)
        let jrel = Set(dump.hasjrel)
        for op in Opcode.allCases {
            XCTAssertEqual(dump.opmap[op.name], op.rawValue, op.name)
            XCTAssertEqual(dump.caches[op.name], op.cacheEntries, op.name)
            XCTAssertEqual(op.jump != nil, jrel.contains(op.name), op.name)
            XCTAssertEqual(op.hasArgument, op.rawValue >= dump.haveArgument, op.name)
        }
        // Every byte `dis` knows, specialised or not, maps back to its base opcode.
        for (name, byte) in dump.allOpmap {
            let base = dump.deoptmap[name] ?? name
            XCTAssertEqual(baseOpcode(ofQuickened: byte)?.name, base, name)
            XCTAssertEqual(quickenedOpcodeName(byte), name)
        }
        let known = Set(dump.allOpmap.values)
        for byte in UInt8.min...UInt8.max where !known.contains(byte) {
            XCTAssertNil(baseOpcode(ofQuickened: byte), "byte \(byte)")
        }
    }

    func testGeneratedTableIsFresh() throws {
        let generator = PythonOracle.repositoryRoot.appendingPathComponent("python/tools/gen_opcodes.py").path
        let result = try PythonOracle.run([generator, "--check"])
        XCTAssertEqual(result.status, 0, "OpcodeTable.swift is stale: \(result.stderr)")
    }

    func testStaleTableIsDetected() throws {
        let generator = PythonOracle.repositoryRoot.appendingPathComponent("python/tools/gen_opcodes.py").path
        let stale = FileManager.default.temporaryDirectory.appendingPathComponent("stale-\(UUID()).swift")
        try "// stale\n".write(to: stale, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: stale) }
        let result = try PythonOracle.run([generator, "--check", "--output", stale.path])
        XCTAssertNotEqual(result.status, 0)
    }
}
