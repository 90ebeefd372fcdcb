import Bytecode
import X64

/// Compiles code objects to machine code.
public enum Compiler {
    /// Assembles a code object; throws `CompileError` for code it declines.
    public static func assemble(_ view: CodeObjectView) throws -> AssembledCode {
        let decoded: DecodedCode
        do {
            decoded = try decode(code: view.code, exceptionTable: view.exceptionTable)
        } catch {
            throw CompileError.malformedBytecode(String(describing: error))
        }
        return try FunctionCompiler(view: view, decoded: decoded).compile()
    }

    /// True if the bytecode has a backward jump: such code compiles at its first call,
    /// since 3.11's hook cannot replace a running frame (no on-stack replacement).
    public static func hasLoop(_ code: [UInt8]) -> Bool {
        var index = 0
        while index + 1 < code.count {
            if let opcode = Opcode(rawValue: code[index]), opcode.jump == .backward { return true }
            index += 2
        }
        return false
    }
}

extension CompileError {
    /// A short key for tallying reasons across functions and processes.
    public var category: String {
        switch self {
        case let .unsupportedOpcode(name, _, _): return "opcode \(name)"
        case .unsupportedCode(let why): return why
        case .malformedBytecode: return "bytecode not understood"
        case .assembler: return "assembler error"
        case .codeMemory: return "code memory"
        case .pythonError: return "python error"
        }
    }
}
