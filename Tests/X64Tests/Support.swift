import Foundation
import XCTest
@testable import X64

/// Runs a tool and returns (stdout, stderr). stdin and stderr go through temporary files and
/// stdout is drained before waiting for exit, so a large batch cannot deadlock on a pipe.
func runTool(_ path: String, _ arguments: [String], stdin input: String) throws -> (stdout: String, stderr: String) {
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw ToolMissing(path: path)
    }
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("x64tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let inputURL = scratch.appendingPathComponent("stdin"), errorURL = scratch.appendingPathComponent("stderr")
    try Data(input.utf8).write(to: inputURL)
    _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)

    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let stdoutPipe = Pipe()
    process.standardInput = try FileHandle(forReadingFrom: inputURL)
    process.standardOutput = stdoutPipe
    process.standardError = try FileHandle(forWritingTo: errorURL)
    try process.run()
    let outData = stdoutPipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let errData = try Data(contentsOf: errorURL)
    return (String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

struct ToolMissing: Error, CustomStringConvertible {
    let path: String
    var description: String { "\(path) is not installed; the oracle tests need it" }
}

let llvmMC = "/usr/bin/llvm-mc"
let objdump = "/usr/bin/objdump"

/// Collapses runs of whitespace (llvm-mc separates mnemonic and operands with a tab).
func normalizeWhitespace(_ s: String) -> String {
    s.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
}

/// Disassembles one instruction per element with a single llvm-mc run and returns llvm-mc's
/// text per instruction. Drops the `.text` header and llvm-mc's trailing `# ...` explanations
/// (e.g. `movsd xmm0, xmm1 # xmm0 = xmm1[0],xmm0[1]`). Any stderr output is a failure.
func llvmDisassemble(_ instructions: [[UInt8]], file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
    let input = instructions.map { bytes in bytes.map { "0x" + String($0, radix: 16) }.joined(separator: " ") }
        .joined(separator: "\n") + "\n"
    let (out, err) = try runTool(llvmMC, ["-triple=x86_64", "--disassemble", "-output-asm-variant=1"], stdin: input)
    XCTAssertEqual(err, "", "llvm-mc wrote to stderr", file: file, line: line)
    return out.split(separator: "\n").compactMap { rawLine -> String? in
        var text = String(rawLine)
        if let hash = text.firstIndex(of: "#") { text = String(text[..<hash]) }
        text = normalizeWhitespace(text)
        if text.isEmpty || text == ".text" { return nil }
        return text
    }
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: " ")
}

/// One instruction assembled alone: its bytes and listing text.
struct AssembledInstruction {
    let bytes: [UInt8]
    let text: String
}

func assembleOne(_ build: (Assembler) -> Void) throws -> AssembledInstruction {
    let asm = Assembler()
    build(asm)
    let code = try asm.finalize()
    let lines = code.listing.filter { !$0.isComment }
    precondition(lines.count == 1, "expected exactly one instruction, got \(lines.count)")
    return AssembledInstruction(bytes: code.bytes, text: lines[0].text)
}
