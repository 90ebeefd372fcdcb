/// One row of `co_exceptiontable`, in code units (2-byte units), as `dis._parse_exception_table`
/// reports it (dis uses bytes; multiply by 2).
public struct ExceptionTableEntry: Equatable, Hashable, Sendable {
    /// First covered code unit.
    public let start: Int
    /// One past the last covered code unit.
    public let end: Int
    /// Code unit of the handler.
    public let target: Int
    /// Value-stack depth the handler expects below what it pushes.
    public let depth: Int
    /// Whether the handler expects the offset of the raising instruction (`lasti`) pushed first.
    public let pushesLasti: Bool

    public init(start: Int, end: Int, target: Int, depth: Int, pushesLasti: Bool) {
        self.start = start
        self.end = end
        self.target = target
        self.depth = depth
        self.pushesLasti = pushesLasti
    }

    /// Whether the instruction at `codeUnit` is covered by this entry.
    public func covers(_ codeUnit: Int) -> Bool { start <= codeUnit && codeUnit < end }

    /// Depth of the value stack when the handler starts: `depth`, then lasti if asked, then the exception.
    public var handlerEntryDepth: Int { depth + (pushesLasti ? 1 : 0) + 1 }
}

/// Parses `co_exceptiontable`: entries of four big-endian 6-bit varints
/// `(start, length, target, depth << 1 | lasti)`; bit 6 continues a varint, bit 7 marks an entry's
/// first byte. Like `dis._parse_exception_table`, a trailing incomplete entry is dropped.
public func parseExceptionTable(_ bytes: [UInt8]) -> [ExceptionTableEntry] {
    var entries: [ExceptionTableEntry] = []
    var reader = VarintReader(bytes: bytes)
    while let start = reader.next(), let length = reader.next(),
          let target = reader.next(), let depthAndLasti = reader.next() {
        entries.append(ExceptionTableEntry(
            start: start, end: start + length, target: target,
            depth: depthAndLasti >> 1, pushesLasti: depthAndLasti & 1 != 0))
    }
    return entries
}

/// Big-endian 6-bit varints of the exception table.
private struct VarintReader {
    let bytes: [UInt8]
    var position = 0

    mutating func next() -> Int? {
        guard position < bytes.count else { return nil }
        var byte = bytes[position]
        position += 1
        var value = Int(byte & 63)
        while byte & 64 != 0 {
            guard position < bytes.count else { return nil }
            byte = bytes[position]
            position += 1
            value = (value << 6) | Int(byte & 63)
        }
        return value
    }
}
