import ExecutableMemory
import XCTest

/// Reads /proc/self/maps to check that no page is ever writable and executable at once.
final class WriteXorExecuteTests: XCTestCase {
    private func assertNoWritableExecutableMapping(_ moment: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let offenders = try MemoryMapping.current().filter { $0.isWritable && $0.isExecutable }
        XCTAssertTrue(offenders.isEmpty, "W+X mappings \(moment): \(offenders)", file: file, line: line)
    }

    private func assertReadExecute(_ block: CodeBlock, file: StaticString = #filePath, line: UInt = #line) throws {
        let mapping = try XCTUnwrap(try MemoryMapping.containing(block.address), file: file, line: line)
        XCTAssertEqual(mapping.permissions, "r-xp", file: file, line: line)
    }

    func testArenaPagesAreNeverWritableAndExecutable() throws {
        try assertNoWritableExecutableMapping("before any allocation")
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let arena = CodeArena(chunkSize: 2 * page)
        var blocks: [CodeBlock] = []
        for i in 0..<300 {
            let block = try arena.allocate(copying: MachineCode.nopSled(i % 90, then: MachineCode.returnConstant(Int32(i))))
            blocks.append(block)
            if i % 25 == 0 {
                try assertNoWritableExecutableMapping("after allocation \(i)")
                try assertReadExecute(block)
            }
        }
        let big = try arena.allocate(copying: MachineCode.nopSled(5 * page, then: MachineCode.add))
        try assertReadExecute(big)
        try assertNoWritableExecutableMapping("after a big allocation")
        for block in blocks { try assertReadExecute(block) }

        for (i, block) in blocks.enumerated() where i % 3 == 0 { arena.free(block) }
        try assertNoWritableExecutableMapping("after frees")
        for (i, block) in blocks.enumerated() where i % 3 != 0 {
            try assertReadExecute(block)
            XCTAssertEqual(MachineCode.call(block), i)
        }
        XCTAssertEqual(MachineCode.call(big, 1, 2), 3)
    }

    func testEveryArenaMappingIsReadExecute() throws {
        let arena = CodeArena()
        let block = try arena.allocate(copying: MachineCode.add)
        let mapping = try XCTUnwrap(try MemoryMapping.containing(block.address))
        // The whole 256 KiB chunk is one r-x mapping: the RW window was closed again.
        XCTAssertEqual(mapping.permissions, "r-xp")
        XCTAssertEqual(Int(mapping.range.count), 256 * 1024)
        arena.free(block)
        let afterFree = try XCTUnwrap(try MemoryMapping.containing(block.address))
        XCTAssertEqual(afterFree.permissions, "r-xp")
        try assertNoWritableExecutableMapping("after free")
    }
}
