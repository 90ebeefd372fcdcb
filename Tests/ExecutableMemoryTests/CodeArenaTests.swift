import ExecutableMemory
import XCTest

final class CodeArenaTests: XCTestCase {
    private let page = Int(sysconf(Int32(_SC_PAGESIZE)))

    func testAddFunctionRuns() throws {
        let arena = CodeArena()
        let block = try arena.allocate(copying: MachineCode.add)
        XCTAssertEqual(block.size, MachineCode.add.count)
        XCTAssertEqual(MachineCode.call(block, 2, 3), 5)
        XCTAssertEqual(MachineCode.call(block, -7, 1_000_000_000_000), 999_999_999_993)
    }

    func testBlocksAreAlignedAndHoldTheirBytes() throws {
        let arena = CodeArena()
        for length in [0, 1, 7, 15, 16, 17, 100] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37) }
            let block = try arena.allocate(copying: bytes)
            XCTAssertEqual(UInt(bitPattern: block.address) % 16, 0)
            XCTAssertEqual(Array(UnsafeRawBufferPointer(start: block.address, count: length)), bytes)
        }
    }

    func testBytesInUseCountsSixteenByteUnits() throws {
        let arena = CodeArena()
        XCTAssertEqual(arena.bytesInUse, 0)
        XCTAssertEqual(arena.chunkCount, 0)
        XCTAssertEqual(arena.bytesReserved, 0)
        let a = try arena.allocate(copying: MachineCode.add)  // 7 -> 16
        XCTAssertEqual(arena.bytesInUse, 16)
        let b = try arena.allocate(copying: Array(repeating: 0x90, count: 16) + [0xC3])  // 17 -> 32
        XCTAssertEqual(arena.bytesInUse, 48)
        let c = try arena.allocate(copying: [])  // empty still takes a unit
        XCTAssertEqual(arena.bytesInUse, 64)
        XCTAssertEqual(arena.chunkCount, 1)
        XCTAssertEqual(arena.bytesReserved, 256 * 1024)
        arena.free(b)
        XCTAssertEqual(arena.bytesInUse, 32)
        arena.free(a)
        arena.free(c)
        XCTAssertEqual(arena.bytesInUse, 0)
        XCTAssertEqual(arena.chunkCount, 1, "the last chunk is kept")
    }

    func testManyAllocationsFreesAndReuseStillExecute() throws {
        let arena = CodeArena(chunkSize: 2 * page)
        var live: [(CodeBlock, Int)] = []
        // Deterministic mix of sizes from 8 to ~200 bytes.
        var seed: UInt32 = 12345
        func nextRandom() -> Int {
            seed = seed &* 1_103_515_245 &+ 12345
            return Int(seed >> 16)
        }
        for round in 0..<6 {
            for i in 0..<400 {
                let value = round * 1000 + i
                let code = MachineCode.nopSled(nextRandom() % 200, then: MachineCode.returnConstant(Int32(value)))
                live.append((try arena.allocate(copying: code), value))
            }
            // Free a pseudo-random half.
            var kept: [(CodeBlock, Int)] = []
            for entry in live {
                if nextRandom() % 2 == 0 { arena.free(entry.0) } else { kept.append(entry) }
            }
            live = kept
            for (block, value) in live {
                XCTAssertEqual(MachineCode.call(block), value)
            }
        }
        let inUse = live.reduce(0) { $0 + (($1.0.size + 15) & ~15) }
        XCTAssertEqual(arena.bytesInUse, inUse)
        // Blocks never overlap.
        let ranges = live.map { UInt(bitPattern: $0.0.address)..<(UInt(bitPattern: $0.0.address) + UInt($0.0.size)) }
            .sorted { $0.lowerBound < $1.lowerBound }
        for (a, b) in zip(ranges, ranges.dropFirst()) {
            XCTAssertLessThanOrEqual(a.upperBound, b.lowerBound)
        }
        for (block, _) in live { arena.free(block) }
        XCTAssertEqual(arena.bytesInUse, 0)
        XCTAssertEqual(arena.chunkCount, 1)
    }

    func testFreedSpaceIsReusedAndCoalesced() throws {
        let arena = CodeArena()
        let a = try arena.allocate(copying: MachineCode.returnConstant(1))
        let b = try arena.allocate(copying: MachineCode.returnConstant(2))
        let c = try arena.allocate(copying: MachineCode.returnConstant(3))
        XCTAssertEqual(b.address, a.address + 16)
        arena.free(a)
        arena.free(b)
        // 32 bytes fit only if a's and b's holes were merged; first fit puts it at a.
        let merged = try arena.allocate(copying: MachineCode.nopSled(20, then: MachineCode.returnConstant(4)))
        XCTAssertEqual(merged.address, a.address)
        XCTAssertEqual(MachineCode.call(merged), 4)
        XCTAssertEqual(MachineCode.call(c), 3)
    }

    func testFreedBlockIsOverwrittenWithTraps() throws {
        let arena = CodeArena()
        let keep = try arena.allocate(copying: MachineCode.add)
        let stale = try arena.allocate(copying: MachineCode.add)
        let address = stale.address
        arena.free(stale)
        XCTAssertEqual(Array(UnsafeRawBufferPointer(start: address, count: 16)), Array(repeating: 0xCC, count: 16))
        XCTAssertEqual(MachineCode.call(keep, 20, 22), 42)
    }

    func testCapacityExceededChangesNothing() throws {
        let arena = CodeArena()
        arena.maxBytes = 64
        let first = try arena.allocate(copying: Array(repeating: 0x90, count: 40) + MachineCode.add)  // 48
        let reserved = arena.bytesReserved
        XCTAssertThrowsError(try arena.allocate(copying: Array(repeating: 0x90, count: 20))) { error in
            XCTAssertEqual(error as? CodeMemoryError, .capacityExceeded(requested: 32, cap: 64))
        }
        XCTAssertEqual(arena.bytesInUse, 48)
        XCTAssertEqual(arena.bytesReserved, reserved)
        XCTAssertEqual(arena.chunkCount, 1)
        XCTAssertEqual(MachineCode.call(first, 1, 2), 3)
        // Exactly filling the cap is allowed; one more unit is not.
        let second = try arena.allocate(copying: MachineCode.add)
        XCTAssertEqual(arena.bytesInUse, 64)
        XCTAssertThrowsError(try arena.allocate(copying: [0xC3]))
        arena.free(second)
        XCTAssertNoThrow(try arena.allocate(copying: [0xC3]))
        // Lifting the cap lifts the limit.
        arena.maxBytes = nil
        XCTAssertNoThrow(try arena.allocate(copying: Array(repeating: 0x90, count: 1000)))
    }

    func testFreeingEverythingReturnsChunks() throws {
        let arena = CodeArena(chunkSize: page)
        let perChunk = page / 64
        var blocks: [CodeBlock] = []
        for i in 0..<(perChunk * 5) {
            blocks.append(try arena.allocate(copying: MachineCode.nopSled(50, then: MachineCode.returnConstant(Int32(i)))))
        }
        XCTAssertEqual(arena.chunkCount, 5)
        XCTAssertEqual(arena.bytesReserved, 5 * page)
        XCTAssertEqual(arena.bytesInUse, perChunk * 5 * 64)
        for (i, block) in blocks.enumerated() { XCTAssertEqual(MachineCode.call(block), i) }
        for block in blocks { arena.free(block) }
        XCTAssertEqual(arena.bytesInUse, 0)
        XCTAssertEqual(arena.chunkCount, 1)
        XCTAssertEqual(arena.bytesReserved, page)
        // The kept chunk is still usable.
        XCTAssertEqual(MachineCode.call(try arena.allocate(copying: MachineCode.add), 4, 5), 9)
        XCTAssertEqual(arena.chunkCount, 1)
    }

    func testAllocationLargerThanAChunkGetsItsOwnMapping() throws {
        let arena = CodeArena(chunkSize: page)
        let small = try arena.allocate(copying: MachineCode.add)
        let bigCode = MachineCode.nopSled(3 * page + 100, then: MachineCode.add)
        let big = try arena.allocate(copying: bigCode)
        XCTAssertEqual(arena.chunkCount, 2)
        XCTAssertEqual(arena.bytesReserved, page + 4 * page)
        XCTAssertEqual(arena.bytesInUse, 16 + ((bigCode.count + 15) & ~15))
        XCTAssertEqual(MachineCode.call(big, 30, 12), 42)
        XCTAssertEqual(MachineCode.call(small, 1, 1), 2)
        arena.free(big)
        XCTAssertEqual(arena.chunkCount, 1)
        XCTAssertEqual(arena.bytesReserved, page)
        XCTAssertEqual(arena.bytesInUse, 16)
        XCTAssertEqual(MachineCode.call(small, 1, 1), 2)
    }

    func testDefaultChunkSizeIsWholePages() {
        XCTAssertEqual(CodeArena().chunkSize, 256 * 1024)
        XCTAssertEqual(CodeArena(chunkSize: 100).chunkSize, page)
    }
}
