import CPython
import X64
import Runtime

// Inline, guarded fast paths for the common types. A failed guard takes the generic
// helper out of line, so the result is always the interpreter's.

enum TypeAddress {
    static let long = UInt64(UInt(bitPattern: pyj_long_type()))
    static let float = UInt64(UInt(bitPattern: pyj_float_type()))
    static let list = UInt64(UInt(bitPattern: pyj_list_type()))
    static let tuple = UInt64(UInt(bitPattern: pyj_tuple_type()))
    static let type = UInt64(UInt(bitPattern: pyj_type_type()))
    static let generator = UInt64(UInt(bitPattern: pyj_gen_type()))
    static let coroutine = UInt64(UInt(bitPattern: pyj_coro_type()))
}

/// CPython's cached small ints (-5 ... 256): the object for v is at `zero + v * stride`.
enum SmallInts {
    static let stride = Int(pyj_long_object_size())
    static let zero = UInt64(UInt(bitPattern: pyj_small_ints())) &+ UInt64(5 * stride)
    static let range: ClosedRange<Int> = -5...256
}

/// BINARY_OP opargs (NB_*) with inline paths; in-place forms (+13) behave the same on
/// ints and floats, which are immutable.
enum ArithmeticKind {
    case add, subtract, multiply, trueDivide, floorDivide, remainder, and, or, xor, leftShift, rightShift

    init?(binaryOparg oparg: Int) {
        switch oparg < 13 ? oparg : oparg - 13 {
        case 0: self = .add
        case 10: self = .subtract
        case 5: self = .multiply
        case 11: self = .trueDivide
        case 2: self = .floorDivide
        case 6: self = .remainder
        case 1: self = .and
        case 7: self = .or
        case 12: self = .xor
        case 3: self = .leftShift
        case 9: self = .rightShift
        default: return nil
        }
    }

    /// Kinds with an inline float path (operands float, or a float and a small int).
    var hasFloatPath: Bool { [.add, .subtract, .multiply, .trueDivide].contains(self) }
}

extension MacroAssembler {
    /// Jumps to `fail` unless `object`'s type is exactly the type at `type`. Clobbers rax.
    func guardType(_ object: Reg64, _ type: UInt64, _ fail: Label) {
        asm.mov(.rax, .qword(object, offsets.object_type))
        compareWithConstant(.rax, type)
        asm.jcc(.notEqual, fail)
    }

    /// Jumps to `target` when the type in `type` is one of `types` (exactly); falls
    /// through otherwise.
    func jump(ifType type: Reg64, isOneOf types: [UInt64], to target: Label) {
        for candidate in types {
            compareWithConstant(type, candidate)
            asm.jcc(.equal, target)
        }
    }

    /// Loads the value of a compact int (|ob_size| <= 1, one 30-bit digit) into `value`,
    /// or jumps to `fail`. Clobbers rcx.
    func loadCompactInt(_ object: Reg64, into value: Reg64, _ fail: Label) {
        asm.mov(value, .qword(object, offsets.var_size))
        asm.lea(.rcx, .qword(value, 1))
        asm.cmp(.rcx, imm: 2)
        asm.jcc(.above, fail)
        asm.mov(.ecx, .dword(object, offsets.long_digits))
        asm.imul(value, .rcx)
    }

    /// Loads a non-negative compact int index into `value`, or jumps to `fail`. Clobbers rcx.
    func loadCompactIndex(_ object: Reg64, into value: Reg64, _ fail: Label) {
        asm.mov(value, .qword(object, offsets.var_size))
        asm.cmp(value, imm: 1)
        asm.jcc(.above, fail)
        asm.mov(.ecx, .dword(object, offsets.long_digits))
        asm.imul(value, .rcx)
    }
}

extension MacroAssembler {
    /// `object` = CPython's cached int for `value` (a new reference) when -5 <= value
    /// <= 256; else jumps to `notSmall`. `value` is kept.
    func cachedSmallInt(_ value: Reg64, into object: Reg64, notSmall: Label) {
        asm.lea(object, .qword(value, Int32(-SmallInts.range.lowerBound)))
        asm.cmp(object, imm: Int32(SmallInts.range.count - 1))
        asm.jcc(.above, notSmall)
        asm.imul(object, value, imm: Int32(SmallInts.stride))
        asm.add(object, .qword(rip: constantLabel(SmallInts.zero)))
        incref(object)
    }

    /// For a nonzero `value`: `size` = its ob_size as a one-digit int (-1 or 1) and
    /// `magnitude` = |value|; jumps to `tooBig` when that does not fit one 30-bit digit.
    /// `value` is kept.
    func splitOneDigit(_ value: Reg64, magnitude: Reg64, size: Reg64, tooBig: Label) {
        asm.mov(size, value)
        asm.sar(size, imm: 63)
        asm.mov(magnitude, value)
        asm.xor(magnitude, size)
        asm.sub(magnitude, size)
        asm.or(size, imm: 1)
        asm.cmp(magnitude, imm: (1 << 30) - 1)
        asm.jcc(.above, tooBig)
    }

    /// Loads a float, or a compact int converted exactly, as a double; else `fail`.
    /// Clobbers rax and rcx.
    func loadNumberAsDouble(_ object: Reg64, into target: XMM, _ fail: Label) {
        let isInt = asm.newLabel()
        let done = asm.newLabel()
        asm.mov(.rax, .qword(object, offsets.object_type))
        compareWithConstant(.rax, TypeAddress.float)
        asm.jcc(.notEqual, isInt)
        asm.movsd(target, .qword(object, offsets.float_value))
        asm.jmp(done)
        asm.bind(isInt)
        guardType(object, TypeAddress.long, fail)
        loadCompactInt(object, into: .rax, fail)
        asm.cvtsi2sd(target, .rax)
        asm.bind(done)
    }
}

extension Condition {
    /// The signed integer condition for a COMPARE_OP oparg (Py_LT ... Py_GE).
    init?(richCompare op: Int) {
        switch op {
        case 0: self = .less
        case 1: self = .lessOrEqual
        case 2: self = .equal
        case 3: self = .notEqual
        case 4: self = .greater
        case 5: self = .greaterOrEqual
        default: return nil
        }
    }
}
