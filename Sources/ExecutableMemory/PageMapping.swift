#if canImport(Glibc)
import Glibc
#else
#error("ExecutableMemory supports Linux (Glibc) only")
#endif

/// The two protections arena pages ever have. There is deliberately no read-write-execute case:
/// a page is writable or executable, never both (W^X).
enum PageProtection {
    case readWrite
    case readExecute

    var flags: Int32 {
        switch self {
        case .readWrite: return PROT_READ | PROT_WRITE
        case .readExecute: return PROT_READ | PROT_EXEC
        }
    }
}

enum SystemPage {
    static let size: Int = Int(sysconf(Int32(_SC_PAGESIZE)))

    static func roundUp(_ value: Int) -> Int { (value + size - 1) & ~(size - 1) }
    static func roundDown(_ value: Int) -> Int { value & ~(size - 1) }
}

/// A private anonymous mapping. Owns nothing by itself: whoever holds it calls `unmap()`.
struct PageMapping {
    let base: UnsafeMutableRawPointer
    let size: Int

    /// Maps `size` bytes (a multiple of the page size) read-write.
    static func mapReadWrite(size: Int) throws -> PageMapping {
        precondition(size > 0 && size % SystemPage.size == 0, "mapping size must be whole pages")
        let address = mmap(nil, size, PageProtection.readWrite.flags, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        // MAP_FAILED is ((void *)-1), a macro Swift does not import.
        guard let address, address != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw CodeMemoryError.mmapFailed(errno: errno)
        }
        return PageMapping(base: address, size: size)
    }

    /// Changes the protection of the whole pages covering `offset ..< offset + length`.
    func protect(offset: Int, length: Int, _ protection: PageProtection) throws {
        let start = SystemPage.roundDown(offset)
        let end = min(SystemPage.roundUp(offset + length), size)
        guard mprotect(base + start, end - start, protection.flags) == 0 else {
            throw CodeMemoryError.mprotectFailed(errno: errno)
        }
    }

    func protectAll(_ protection: PageProtection) throws {
        try protect(offset: 0, length: size, protection)
    }

    func unmap() {
        // munmap of a mapping we own only fails on programming errors.
        let result = munmap(base, size)
        assert(result == 0, "munmap failed: errno \(errno)")
    }

    func contains(_ address: UnsafeRawPointer) -> Bool {
        let start = UnsafeRawPointer(base)
        return address >= start && address < start + size
    }
}
