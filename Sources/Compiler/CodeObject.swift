import CPython
import Runtime

/// What the compiler reads from a `PyCodeObject`, gathered once before compiling.
/// Object addresses are stable for the code object's lifetime, which bounds the
/// lifetime of the machine code that embeds them.
public struct CodeObjectView {
    public let address: UnsafeMutableRawPointer
    /// `co_code`: the de-optimised instructions (never the quickened live copy).
    public let code: [UInt8]
    public let exceptionTable: [UInt8]
    public let flags: Int32
    public let localsPlusCount: Int
    public let stackSize: Int
    /// Locals bound by the call itself: positional, keyword-only, `*args`, `**kwargs`.
    public let argumentCount: Int
    /// co_argcount and co_kwonlyargcount.
    public let positionalArgumentCount: Int
    public let keywordOnlyArgumentCount: Int
    /// `_PyCode_CODE(co)`: the live instruction array that `prev_instr` points into.
    public let firstInstruction: UInt64
    public let constants: [Obj]
    public let names: [Obj]
    /// `co_localsplusnames`: the name of each local, cell and free variable.
    public let localNames: [Obj]
    public let qualifiedName: String

    public init(_ codeObject: UnsafeMutablePointer<PyCodeObject>) throws {
        let raw = UnsafeMutableRawPointer(codeObject)
        address = raw
        guard let codeBytes = pyj_code_get_code(codeObject) else { throw CompileError.pythonError("co_code") }
        defer { pyj_decref(codeBytes) }
        code = CodeObjectView.bytes(of: codeBytes)
        let table = raw.load(fromByteOffset: Int(offsets.code_exceptiontable), as: Obj.self)
        exceptionTable = CodeObjectView.bytes(of: table)
        flags = raw.load(fromByteOffset: Int(offsets.code_flags), as: Int32.self)
        localsPlusCount = Int(raw.load(fromByteOffset: Int(offsets.code_nlocalsplus), as: Int32.self))
        stackSize = Int(raw.load(fromByteOffset: Int(offsets.code_stacksize), as: Int32.self))
        let positional = Int(raw.load(fromByteOffset: Int(offsets.code_argcount), as: Int32.self))
        let keywordOnly = Int(raw.load(fromByteOffset: Int(offsets.code_kwonlyargcount), as: Int32.self))
        // CO_VARARGS and CO_VARKEYWORDS each add one local after the named arguments.
        positionalArgumentCount = positional
        keywordOnlyArgumentCount = keywordOnly
        argumentCount = positional + keywordOnly + (flags & 0x04 != 0 ? 1 : 0) + (flags & 0x08 != 0 ? 1 : 0)
        firstInstruction = UInt64(UInt(bitPattern: raw + Int(offsets.code_adaptive)))
        constants = CodeObjectView.items(of: raw.load(fromByteOffset: Int(offsets.code_consts), as: Obj.self))
        names = CodeObjectView.items(of: raw.load(fromByteOffset: Int(offsets.code_names), as: Obj.self))
        localNames = CodeObjectView.items(of: raw.load(fromByteOffset: Int(offsets.code_localsplusnames), as: Obj.self))
        let qualname = raw.load(fromByteOffset: Int(offsets.code_qualname), as: Obj.self)
        qualifiedName = PyUnicode_AsUTF8(qualname).map { String(cString: $0) } ?? "?"
    }

    private static func bytes(of object: Obj) -> [UInt8] {
        let count = PyBytes_Size(object)
        guard count > 0, let start = PyBytes_AsString(object) else { return [] }
        return start.withMemoryRebound(to: UInt8.self, capacity: count) { Array(UnsafeBufferPointer(start: $0, count: count)) }
    }

    private static func items(of tuple: Obj) -> [Obj] {
        (0..<pyj_tuple_size(tuple)).map { pyj_tuple_get(tuple, $0)! }
    }

    /// Source line of a bytecode offset in bytes, as `dis` shows it; -1 if none.
    public func line(atByteOffset offset: Int) -> Int {
        Int(PyCode_Addr2Line(address.assumingMemoryBound(to: PyCodeObject.self), Int32(offset)))
    }
}

public enum CompileError: Error, CustomStringConvertible {
    /// An instruction the compiler does not handle; `line` is its source line.
    case unsupportedOpcode(name: String, byteOffset: Int, line: Int)
    case unsupportedCode(String)
    case malformedBytecode(String)
    case assembler(String)
    case codeMemory(String)
    case pythonError(String)

    public var description: String {
        switch self {
        case let .unsupportedOpcode(name, offset, line):
            return "opcode \(name) at offset \(offset) (line \(line)) is not supported"
        case let .unsupportedCode(why): return why
        case let .malformedBytecode(why): return "bytecode not understood: \(why)"
        case let .assembler(why): return "assembler error: \(why)"
        case let .codeMemory(why): return "code memory: \(why)"
        case let .pythonError(what): return "could not read \(what)"
        }
    }
}
