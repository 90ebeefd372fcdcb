import Foundation

/// One line of /proc/self/maps.
struct MemoryMapping {
    let range: Range<UInt>
    let permissions: String  // e.g. "r-xp"
    let path: String

    var isWritable: Bool { permissions.contains("w") }
    var isExecutable: Bool { permissions.contains("x") }

    static func current() throws -> [MemoryMapping] {
        // procfs files report size 0, so read to EOF instead of trusting stat.
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/maps") else {
            throw CocoaError(.fileReadNoSuchFile)
        }
        defer { try? handle.close() }
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        precondition(!text.isEmpty, "/proc/self/maps read empty")
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 5 else { return nil }
            let bounds = fields[0].split(separator: "-")
            guard bounds.count == 2, let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16)
            else { return nil }
            let path = fields.count > 5 ? fields[5...].joined(separator: " ") : ""
            return MemoryMapping(range: start..<end, permissions: String(fields[1]), path: path)
        }
    }

    static func containing(_ address: UnsafeRawPointer) throws -> MemoryMapping? {
        let value = UInt(bitPattern: address)
        return try current().first { $0.range.contains(value) }
    }
}
