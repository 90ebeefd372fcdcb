import Foundation
import XCTest
@testable import X64

/// Disassembles the final bytes with GNU objdump (an oracle independent of llvm-mc) and
/// returns offset → whitespace-normalized text, with objdump's `# target` comments kept apart.
func objdumpInstructions(_ bytes: [UInt8]) throws -> [Int: (text: String, comment: String?)] {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("x64-\(UUID().uuidString).bin")
    try Data(bytes).write(to: scratch)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let (out, err) = try runTool(objdump, ["-D", "-b", "binary", "-m", "i386:x86-64", "-M", "intel", scratch.path], stdin: "")
    XCTAssertEqual(err, "")
    var result: [Int: (String, String?)] = [:]
    for line in out.split(separator: "\n") {
        // "  1c:\t0f 84 00 01 00 00    \tje     0x122"
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard fields.count >= 3, fields[0].hasSuffix(":"),
              let offset = Int(fields[0].dropLast().trimmingCharacters(in: .whitespaces), radix: 16) else { continue }
        var text = fields[2...].joined(separator: " ")
        var comment: String? = nil
        if let hash = text.firstIndex(of: "#") {
            comment = normalizeWhitespace(String(text[text.index(after: hash)...]))
            text = String(text[..<hash])
        }
        result[offset] = (normalizeWhitespace(text), comment)
    }
    return result
}

final class BranchTests: XCTestCase {
    /// Every label branch in the listing: objdump must decode the same mnemonic and target.
    func assertBranchesMatchObjdump(_ code: AssembledCode, file: StaticString = #filePath, line: UInt = #line) throws {
        let decoded = try objdumpInstructions(code.bytes)
        for entry in code.listing where entry.text.hasPrefix("j") || entry.text.hasPrefix("call 0x") {
            XCTAssertEqual(decoded[entry.offset]?.text, entry.text, "at offset \(entry.offset)", file: file, line: line)
        }
    }

    func branchLine(_ code: AssembledCode, at offset: Int) -> ListingLine? {
        code.listing.first { $0.offset == offset && !$0.isComment }
    }

    func testForwardBranchWithinReachIsShort() throws {
        let a = Assembler()
        let target = a.newLabel()
        a.jmp(target)
        a.emitBytes([UInt8](repeating: 0x90, count: 127))
        a.bind(target)
        a.ret()
        let code = try a.finalize()
        XCTAssertEqual(Array(code.bytes.prefix(2)), [0xEB, 0x7F])
        XCTAssertEqual(code.offset(of: target), 129)
        XCTAssertEqual(branchLine(code, at: 0)?.text, "jmp 0x81")
        try assertBranchesMatchObjdump(code)
    }

    func testForwardBranchOneBytePastReachIsNear() throws {
        let a = Assembler()
        let target = a.newLabel()
        a.jcc(.notEqual, target)
        a.emitBytes([UInt8](repeating: 0x90, count: 128))
        a.bind(target)
        a.ret()
        let code = try a.finalize()
        XCTAssertEqual(Array(code.bytes.prefix(6)), [0x0F, 0x85, 0x80, 0x00, 0x00, 0x00])
        XCTAssertEqual(code.offset(of: target), 134)
        try assertBranchesMatchObjdump(code)
    }

    func testBackwardBranchesShortAtMinus128NearAtMinus129() throws {
        for (filler, expectShort) in [(126, true), (127, false)] {
            let a = Assembler()
            let top = a.newLabel()
            a.bind(top)
            a.emitBytes([UInt8](repeating: 0x90, count: filler))
            a.jcc(.less, top)
            let code = try a.finalize()
            // Short: disp = 0 - (126 + 2) = -128. With 127 filler it would be -129.
            if expectShort {
                XCTAssertEqual(Array(code.bytes.suffix(2)), [0x7C, 0x80])
            } else {
                XCTAssertEqual(Array(code.bytes.suffix(6)), [0x0F, 0x8C] + littleEndianBytes(Int32(-(filler + 6))))
            }
            try assertBranchesMatchObjdump(code)
        }
    }

    func testCallToLabelIsAlwaysRel32() throws {
        let a = Assembler()
        let function = a.newLabel(), after = a.newLabel()
        a.call(function)       // forward, 1 byte away
        a.bind(after)
        a.ret()
        a.bind(function)
        a.ret()
        a.call(function)       // backward
        let code = try a.finalize()
        XCTAssertEqual(code.bytes, [0xE8, 0x01, 0, 0, 0, 0xC3, 0xC3, 0xE8, 0xFA, 0xFF, 0xFF, 0xFF])
        try assertBranchesMatchObjdump(code)
    }

    /// A branch that only goes out of reach after a later branch grows: needs a second pass.
    func testRelaxationReachesFixedPoint() throws {
        let a = Assembler()
        let overFiller = a.newLabel(), far = a.newLabel()
        a.jmp(overFiller)          // 2 + 124 = 126 bytes to jump while the jcc below is short...
        a.jcc(.equal, far)         // ...but this one must be near, making it 130.
        a.emitBytes([UInt8](repeating: 0x90, count: 124))
        a.bind(overFiller)
        a.emitBytes([UInt8](repeating: 0x90, count: 200))
        a.bind(far)
        a.ret()
        let code = try a.finalize()
        XCTAssertEqual(code.bytes[0], 0xE9, "first jmp should have grown to rel32")
        XCTAssertEqual(Array(code.bytes[5...6]), [0x0F, 0x84])
        XCTAssertEqual(code.offset(of: overFiller), 5 + 6 + 124)
        XCTAssertEqual(code.offset(of: far), 5 + 6 + 124 + 200)
        try assertBranchesMatchObjdump(code)
    }

    /// Many interleaved forward and backward branches land exactly on their labels.
    func testManyBranchesLandOnTheirLabels() throws {
        let a = Assembler()
        let labels = (0..<40).map { _ in a.newLabel() }
        for (i, label) in labels.enumerated() {
            a.bind(label)
            a.jcc(Condition(rawValue: UInt8(i % 16))!, labels[(i * 7 + 3) % labels.count])
            a.emitBytes([UInt8](repeating: 0x90, count: (i * 13) % 60))
            if i % 5 == 0 { a.jmp(labels[(i + 20) % labels.count]) }
        }
        a.ret()
        let code = try a.finalize()
        let decoded = try objdumpInstructions(code.bytes)
        var checked = 0
        for entry in code.listing where entry.text.hasPrefix("j") {
            let objdumpText = try XCTUnwrap(decoded[entry.offset]?.text)
            XCTAssertEqual(objdumpText, entry.text)
            let target = Int(objdumpText.split(separator: " ")[1].dropFirst(2), radix: 16)!
            XCTAssertTrue(labels.contains { code.offset(of: $0) == target })
            checked += 1
        }
        XCTAssertEqual(checked, 48)
    }

    func testAlignPadsWithNopsToBoundary() throws {
        let a = Assembler()
        a.nop()
        a.align(16)
        let aligned = a.newLabel()
        a.bind(aligned)
        a.ret()
        let code = try a.finalize()
        XCTAssertEqual(code.offset(of: aligned), 16)
        XCTAssertEqual(code.bytes.count, 17)
    }

    func testRipRelativeLoadOfEmittedQuad() throws {
        let a = Assembler()
        let constant = a.newLabel()
        a.mov(.rax, .qword(rip: constant))
        a.ret()
        a.align(8)
        a.bind(constant)
        a.emitQuad(0x1122_3344_5566_7788)
        let code = try a.finalize()
        XCTAssertEqual(code.offset(of: constant), 8)
        XCTAssertEqual(Array(code.bytes.prefix(7)), [0x48, 0x8B, 0x05, 0x01, 0x00, 0x00, 0x00])
        XCTAssertEqual(code.listing[0].text, "mov rax, qword ptr [rip + 1]")
        XCTAssertEqual(Array(code.bytes.suffix(8)), [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11])
        // objdump resolves the rip-relative address in a comment: it must be the quad's offset.
        XCTAssertEqual(try objdumpInstructions(code.bytes)[0]?.comment, "0x8")
    }

    func testListingFormatting() throws {
        let a = Assembler()
        a.comment("prologue")
        a.mov(.rbx, .rax)
        let code = try a.finalize()
        XCTAssertEqual(code.formattedListing(), """
              ; prologue
              0x0000: 48 89 c3                       mov rbx, rax

            """)
        XCTAssertTrue(code.formattedListing(base: 0x7f00_0000_1000).contains("0x7f0000001000: 48 89 c3"))
        XCTAssertEqual(code.listing[0], ListingLine(offset: 0, bytes: [], text: "prologue", isComment: true))
    }
}
