import ExecutableMemory

/// Hand-assembled x86-64 (System V) snippets, so these tests need no assembler.
enum MachineCode {
    typealias BinaryFunction = @convention(c) (Int, Int) -> Int
    typealias NullaryFunction = @convention(c) () -> Int

    /// mov rax, rdi; add rax, rsi; ret
    static let add: [UInt8] = [0x48, 0x89, 0xF8, 0x48, 0x01, 0xF0, 0xC3]

    /// mov rax, imm32 (sign-extended); ret
    static func returnConstant(_ value: Int32) -> [UInt8] {
        let bits = UInt32(bitPattern: value)
        return [0x48, 0xC7, 0xC0, UInt8(truncatingIfNeeded: bits), UInt8(truncatingIfNeeded: bits >> 8),
                UInt8(truncatingIfNeeded: bits >> 16), UInt8(truncatingIfNeeded: bits >> 24), 0xC3]
    }

    /// `count` NOPs in front of `code`, to make blocks of a chosen size that still run `code`.
    static func nopSled(_ count: Int, then code: [UInt8]) -> [UInt8] {
        Array(repeating: 0x90, count: count) + code
    }

    static func call(_ block: CodeBlock, _ a: Int, _ b: Int) -> Int {
        unsafeBitCast(block.address, to: BinaryFunction.self)(a, b)
    }

    static func call(_ block: CodeBlock) -> Int {
        unsafeBitCast(block.address, to: NullaryFunction.self)()
    }
}
