import Foundation
import XCTest

/// Runs `corpus_dump.py` under `python3` (CPython 3.11) and decodes its JSON. A missing or
/// wrong python3 fails the test: these tests never skip.
enum PythonOracle {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let repositoryRoot = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `python3 <arguments>` and returns stdout; throws on a non-zero exit.
    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: Data, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so a large dump cannot fill the pipe and deadlock.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, stdout, String(decoding: stderr, as: UTF8.self))
    }

    static func dump<T: Decodable>(_ mode: String, as type: T.Type) throws -> T {
        let script = testsDirectory.appendingPathComponent("corpus_dump.py").path
        let result = try run([script, mode])
        guard result.status == 0 else {
            throw Failure(description: "python3 corpus_dump.py \(mode) exited \(result.status): \(result.stderr)")
        }
        return try JSONDecoder().decode(T.self, from: result.stdout)
    }

    // Memoised: the corpus is dumped once per test process.
    nonisolated(unsafe) private static var corpusCache: [CodeDump]?
    static func corpus() throws -> [CodeDump] {
        if let cached = corpusCache { return cached }
        let dumped = try dump("corpus", as: [CodeDump].self)
        corpusCache = dumped
        return dumped
    }
}

/// One code object as `dis` sees it.
struct CodeDump: Decodable {
    let name: String
    let code: [UInt8]
    let exceptionTable: [UInt8]
    let stacksize: Int
    /// [offset, opname, arg or null, jump argval or null]; EXTENDED_ARG rows are left out.
    let instructions: [DisInstruction]
    /// [start, end, target, depth, lasti] in bytes, end exclusive.
    let entries: [[Int]]
}

struct DisInstruction: Decodable {
    let offset: Int
    let opname: String
    let arg: Int?
    let jumpTarget: Int?

    init(from decoder: Decoder) throws {
        var row = try decoder.unkeyedContainer()
        offset = try row.decode(Int.self)
        opname = try row.decode(String.self)
        arg = try row.decodeIfPresent(Int.self)
        jumpTarget = try row.decodeIfPresent(Int.self)
    }
}

struct QuickenedDump: Decodable {
    let name: String
    let code: [UInt8]
    let adaptive: [UInt8]
    let exceptionTable: [UInt8]
}

struct StackEffectDump: Decodable {
    let opcode: UInt8
    let oparg: Int?
    let noJump: Int
    let jump: Int
}

struct OpcodesDump: Decodable {
    let opmap: [String: UInt8]
    let haveArgument: UInt8
    let caches: [String: Int]
    let hasjrel: [String]
    let allOpmap: [String: UInt8]
    let deoptmap: [String: String]
}
