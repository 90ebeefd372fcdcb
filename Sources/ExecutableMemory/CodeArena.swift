#if canImport(Glibc)
import Glibc
#endif

/// Machine code placed by a `CodeArena`: `size` bytes at `address`, executable (r-x).
public struct CodeBlock: Equatable, Hashable {
    public let address: UnsafeRawPointer
    /// The number of bytes the caller copied in (the arena reserves it rounded up to 16).
    public let size: Int

    public init(address: UnsafeRawPointer, size: Int) {
        self.address = address
        self.size = size
    }
}

public enum CodeMemoryError: Error, Equatable {
    case mmapFailed(errno: Int32)
    case mprotectFailed(errno: Int32)
    /// The allocation (`requested` bytes after 16-byte rounding) would take `bytesInUse` past `maxBytes`.
    case capacityExceeded(requested: Int, cap: Int)
}

/// A W^X arena for generated machine code.
///
/// Memory comes from anonymous mappings of `chunkSize` bytes (allocations larger than that get a
/// mapping of their own). Pages are mapped read-write, filled with `int3`, then made read-execute;
/// each allocation opens a read-write window over just the pages it touches, copies, and restores
/// read-execute. No page is ever writable and executable at once, so other code on a page being
/// written is briefly non-executable.
///
/// Free space is a first-fit list per chunk, coalesced on free; freed bytes are overwritten with
/// `int3` so a stale call traps instead of running whatever comes next. A chunk that becomes
/// entirely free is unmapped unless it is the only chunk left.
///
/// Not thread-safe: callers serialise access (pyjion holds the GIL), and no thread may run code
/// from the arena while `allocate` or `free` is rewriting that code's pages. Code must not be used
/// after `free` or after the arena is deinitialised.
public final class CodeArena {
    /// Alignment of every block; 16 keeps function entries on fetch-friendly boundaries.
    public static let blockAlignment = 16
    /// The x86 `int3` instruction: fills unused and freed space.
    static let trapByte: UInt8 = 0xCC

    /// Size of each shared mapping, rounded up to whole pages.
    public let chunkSize: Int
    /// Cap on `bytesInUse`; nil means unlimited. Lowering it below current use only stops new allocations.
    public var maxBytes: Int?
    /// Bytes reserved by live blocks (each rounded up to 16).
    public private(set) var bytesInUse = 0

    private var chunks: [Chunk] = []
    private var liveBlocks: [UnsafeRawPointer: Placement] = [:]

    public init(chunkSize: Int = 256 * 1024) {
        precondition(chunkSize > 0, "chunkSize must be positive")
        self.chunkSize = SystemPage.roundUp(chunkSize)
    }

    deinit {
        for chunk in chunks { chunk.mapping.unmap() }
    }

    /// Bytes currently mapped, in use or not.
    public var bytesReserved: Int { chunks.reduce(0) { $0 + $1.mapping.size } }
    /// Mappings currently held, counting the dedicated ones of oversized blocks.
    public var chunkCount: Int { chunks.count }

    /// Copies `bytes` into executable memory. Throws without changing anything if the cap would be
    /// exceeded or the system refuses a mapping or protection change.
    public func allocate(copying bytes: [UInt8]) throws -> CodeBlock {
        let size = Self.alignedSize(bytes.count)
        if let cap = maxBytes, bytesInUse + size > cap {
            throw CodeMemoryError.capacityExceeded(requested: size, cap: cap)
        }
        let placement = size > chunkSize ? try placeInDedicatedMapping(size: size)
                                         : try placeInSharedChunk(size: size)
        do {
            try write(bytes, at: placement)
        } catch {
            release(placement)
            throw error
        }
        let address = UnsafeRawPointer(placement.chunk.mapping.base + placement.offset)
        liveBlocks[address] = placement
        bytesInUse += size
        return CodeBlock(address: address, size: bytes.count)
    }

    /// Returns a block's space for reuse. `block` must be live in this arena (checked).
    public func free(_ block: CodeBlock) {
        guard let placement = liveBlocks.removeValue(forKey: block.address) else {
            preconditionFailure("CodeArena.free: \(block.address) is not a live block of this arena")
        }
        bytesInUse -= placement.size
        if !releaseUnmaps(placement) {
            // The memory stays mapped: make stale calls trap. Best effort; the space is reusable
            // either way, since allocate overwrites it.
            try? fill(Self.trapByte, at: placement)
        }
        release(placement)
    }

    // MARK: - Placement

    private static func alignedSize(_ count: Int) -> Int {
        let alignment = blockAlignment
        return max(alignment, (count + alignment - 1) & ~(alignment - 1))
    }

    private func placeInSharedChunk(size: Int) throws -> Placement {
        for chunk in chunks where chunk.isShared {
            if let offset = chunk.takeFirstFit(size: size) {
                return Placement(chunk: chunk, offset: offset, size: size)
            }
        }
        let chunk = try Chunk.make(size: chunkSize, isShared: true)
        chunks.append(chunk)
        let offset = chunk.takeFirstFit(size: size)!
        return Placement(chunk: chunk, offset: offset, size: size)
    }

    private func placeInDedicatedMapping(size: Int) throws -> Placement {
        let chunk = try Chunk.make(size: SystemPage.roundUp(size), isShared: false)
        chunks.append(chunk)
        let offset = chunk.takeFirstFit(size: size)!
        return Placement(chunk: chunk, offset: offset, size: size)
    }

    /// Whether releasing `placement` empties its chunk and unmaps it: dedicated mappings always,
    /// shared chunks unless they are the last shared one (kept to avoid mmap churn).
    private func releaseUnmaps(_ placement: Placement) -> Bool {
        let chunk = placement.chunk
        guard chunk.bytesInUse == placement.size else { return false }
        return !chunk.isShared || chunks.contains { $0 !== chunk && $0.isShared }
    }

    /// Gives the space back, unmapping the chunk if `releaseUnmaps` says so.
    private func release(_ placement: Placement) {
        let unmaps = releaseUnmaps(placement)
        let chunk = placement.chunk
        chunk.giveBack(offset: placement.offset, size: placement.size)
        if unmaps {
            chunks.removeAll { $0 === chunk }
            chunk.mapping.unmap()
        }
    }

    // MARK: - Writing through a read-write window

    private func write(_ bytes: [UInt8], at placement: Placement) throws {
        try withWritableWindow(placement) { destination in
            bytes.withUnsafeBytes { source in
                destination.copyMemory(from: source)
            }
            // Pad the 16-byte tail with traps rather than leave stale code there.
            let tail = destination.count - bytes.count
            if tail > 0 {
                UnsafeMutableRawBufferPointer(rebasing: destination[bytes.count...])
                    .initializeMemory(as: UInt8.self, repeating: Self.trapByte)
            }
        }
    }

    private func fill(_ byte: UInt8, at placement: Placement) throws {
        try withWritableWindow(placement) { destination in
            destination.initializeMemory(as: UInt8.self, repeating: byte)
        }
    }

    /// Makes the pages under `placement` read-write (dropping execute), runs `body` on the block's
    /// bytes, then makes them read-execute again.
    private func withWritableWindow(_ placement: Placement, _ body: (UnsafeMutableRawBufferPointer) -> Void) throws {
        let mapping = placement.chunk.mapping
        try mapping.protect(offset: placement.offset, length: placement.size, .readWrite)
        body(UnsafeMutableRawBufferPointer(start: mapping.base + placement.offset, count: placement.size))
        do {
            try mapping.protect(offset: placement.offset, length: placement.size, .readExecute)
        } catch {
            // Live code of other blocks may sit on these pages and can no longer run; carrying on
            // would turn into a crash far from the cause.
            fatalError("CodeArena: cannot make code pages executable again: \(error)")
        }
    }
}

/// Where a block lives: `size` (aligned) bytes at `offset` into `chunk`.
private struct Placement {
    let chunk: Chunk
    let offset: Int
    let size: Int
}

/// One mapping and its free space: sorted, non-adjacent ranges of offsets.
private final class Chunk {
    let mapping: PageMapping
    /// False for a mapping made for one oversized block.
    let isShared: Bool
    private var freeRanges: [Range<Int>]
    private(set) var bytesInUse = 0

    private init(mapping: PageMapping, isShared: Bool) {
        self.mapping = mapping
        self.isShared = isShared
        self.freeRanges = [0..<mapping.size]
    }

    /// Maps `size` bytes, fills them with traps and leaves them read-execute.
    static func make(size: Int, isShared: Bool) throws -> Chunk {
        let mapping = try PageMapping.mapReadWrite(size: size)
        UnsafeMutableRawBufferPointer(start: mapping.base, count: mapping.size)
            .initializeMemory(as: UInt8.self, repeating: CodeArena.trapByte)
        do {
            try mapping.protectAll(.readExecute)
        } catch {
            mapping.unmap()
            throw error
        }
        return Chunk(mapping: mapping, isShared: isShared)
    }

    func takeFirstFit(size: Int) -> Int? {
        guard let index = freeRanges.firstIndex(where: { $0.count >= size }) else { return nil }
        let range = freeRanges[index]
        if range.count == size {
            freeRanges.remove(at: index)
        } else {
            freeRanges[index] = (range.lowerBound + size)..<range.upperBound
        }
        bytesInUse += size
        return range.lowerBound
    }

    /// Inserts the range in order and merges it with free neighbours.
    func giveBack(offset: Int, size: Int) {
        var range = offset..<(offset + size)
        var index = freeRanges.firstIndex { $0.lowerBound > offset } ?? freeRanges.endIndex
        if index < freeRanges.endIndex, freeRanges[index].lowerBound == range.upperBound {
            range = range.lowerBound..<freeRanges[index].upperBound
            freeRanges.remove(at: index)
        }
        if index > 0, freeRanges[index - 1].upperBound == range.lowerBound {
            range = freeRanges[index - 1].lowerBound..<range.upperBound
            freeRanges.remove(at: index - 1)
            index -= 1
        }
        freeRanges.insert(range, at: index)
        bytesInUse -= size
    }
}
