/// Builds x86-64 machine code from typed instructions.
///
/// Instructions are recorded in a list; `finalize()` lays them out, relaxes label branches
/// (rel8 where the target is in reach, rel32 otherwise, iterated to a fixed point), patches
/// RIP-relative displacements and produces bytes plus an Intel-syntax listing.
///
/// Bad operands don't trap: the first problem is recorded, the offending instruction emits
/// nothing, and `finalize()` throws that error.
public final class Assembler {
    enum BranchKind {
        case jmp
        case jcc(Condition)
        case call

        /// Size of the rel8 form, or nil when there is none (call is always rel32).
        var shortSize: Int? {
            switch self {
            case .jmp, .jcc: return 2
            case .call: return nil
            }
        }

        var nearSize: Int {
            switch self {
            case .jmp, .call: return 5
            case .jcc: return 6
            }
        }

        var mnemonic: String {
            switch self {
            case .jmp: return "jmp"
            case .jcc(let c): return "j" + c.suffix
            case .call: return "call"
            }
        }
    }

    struct Branch {
        let kind: BranchKind
        let target: Label
        /// Starts true for every branch that has a rel8 form; relaxation clears it.
        var isShort: Bool
        var size: Int { isShort ? kind.shortSize! : kind.nearSize }
    }

    enum Item {
        case instruction(EncodedInstruction, text: String)
        case branch(Branch)
        case bind(Label)
        case align(Int)
        case comment(String)
    }

    var items: [Item] = []
    private var labelCount = 0
    private var boundLabels: Set<Label> = []
    private(set) var firstError: AssemblerError?
    /// Sum of item sizes so far, with every label branch at its current (short) size.
    private var sizeSoFar = 0

    /// Whether instructions keep their text and comments for the listing. Building the
    /// text costs more than encoding; code compiled to run only does without it.
    public let recordsListing: Bool

    public init(recordsListing: Bool = true) { self.recordsListing = recordsListing }

    // MARK: Labels and layout directives

    public func newLabel() -> Label {
        defer { labelCount += 1 }
        return Label(id: labelCount)
    }

    /// Binds `label` to the current position. Binding a label twice is recorded as
    /// `labelBoundTwice` and thrown by `finalize()`.
    public func bind(_ label: Label) {
        guard isOwn(label) else { return }
        guard boundLabels.insert(label).inserted else {
            record(.labelBoundTwice)
            return
        }
        items.append(.bind(label))
    }

    /// Pads with multi-byte NOPs up to a multiple of `boundary` (a power of two, at most 4096).
    public func align(_ boundary: Int) {
        guard boundary > 0, boundary <= 4096, boundary & (boundary - 1) == 0 else {
            record(.invalidOperand("alignment \(boundary) is not a power of two in 1...4096"))
            return
        }
        items.append(.align(boundary))
        sizeSoFar += padding(toAlign: sizeSoFar, boundary)
    }

    /// Adds a comment line to the listing at this position; emits no bytes.
    public func comment(_ text: @autoclosure () -> String) {
        if recordsListing { items.append(.comment(text())) }
    }

    /// Offset at which the next instruction will start, assuming every branch to a label stays
    /// in its short (rel8) form. Exact when no label branch has had to grow; otherwise a lower
    /// bound. For exact offsets, bind a label and ask `AssembledCode.offset(of:)`.
    public var currentOffset: Int { sizeSoFar }

    /// The first error recorded so far, if any (the one `finalize()` will throw).
    public var error: AssemblerError? { firstError }

    // MARK: Recording (used by the instruction methods)

    func record(_ error: AssemblerError) {
        if firstError == nil { firstError = error }
    }

    func isOwn(_ label: Label) -> Bool {
        if label.id >= 0 && label.id < labelCount { return true }
        record(.invalidOperand("label \(label.id) does not belong to this assembler"))
        return false
    }

    /// Appends one instruction, or records its error and appends nothing.
    func emit(_ result: Result<EncodedInstruction, AssemblerError>, _ text: @autoclosure () -> String) {
        switch result {
        case .success(let instruction):
            if let fixup = instruction.ripFixup, !isOwn(fixup.label) { return }
            items.append(.instruction(instruction, text: recordsListing ? text() : ""))
            sizeSoFar += instruction.bytes.count
        case .failure(let error):
            record(error)
        }
    }

    func emit(_ instruction: EncodedInstruction, _ text: @autoclosure () -> String) {
        emit(.success(instruction), text())
    }

    func emitBranch(_ kind: BranchKind, to label: Label) {
        guard isOwn(label) else { return }
        let branch = Branch(kind: kind, target: label, isShort: kind.shortSize != nil)
        items.append(.branch(branch))
        sizeSoFar += branch.size
    }

    // MARK: Finalize

    /// Resolves labels, relaxes branches and returns the code. Throws the first recorded error,
    /// or `unboundLabel` if a branch or RIP-relative operand refers to a label never bound.
    public func finalize() throws -> AssembledCode {
        if let firstError { throw firstError }
        for item in items {
            switch item {
            case .branch(let b) where !boundLabels.contains(b.target):
                throw AssemblerError.unboundLabel
            case .instruction(let i, _):
                if let f = i.ripFixup, !boundLabels.contains(f.label) { throw AssemblerError.unboundLabel }
            default:
                break
            }
        }

        return emitFinalCode(labelOffsets: relaxBranches())
    }

    /// Computes item offsets with the branches' current sizes; returns label offsets.
    private func layout() -> [Int: Int] {
        var offsets: [Int: Int] = [:]
        var offset = 0
        for item in items {
            switch item {
            case .instruction(let i, _): offset += i.bytes.count
            case .branch(let b): offset += b.size
            case .bind(let label): offsets[label.id] = offset
            case .align(let boundary): offset += padding(toAlign: offset, boundary)
            case .comment: break
            }
        }
        return offsets
    }

    /// Grows short branches whose target is out of rel8 reach until nothing changes.
    /// Branches only ever grow, so this terminates (at most once per branch).
    private func relaxBranches() -> [Int: Int] {
        while true {
            let labelOffsets = layout()
            var changed = false
            var offset = 0
            for index in items.indices {
                switch items[index] {
                case .instruction(let i, _):
                    offset += i.bytes.count
                case .branch(var b):
                    if b.isShort {
                        let displacement = labelOffsets[b.target.id]! - (offset + b.size)
                        if displacement < -128 || displacement > 127 {
                            b.isShort = false
                            items[index] = .branch(b)
                            changed = true
                        }
                    }
                    offset += b.size
                case .align(let boundary):
                    offset += padding(toAlign: offset, boundary)
                case .bind, .comment:
                    break
                }
            }
            if !changed { return labelOffsets }
        }
    }

    private func emitFinalCode(labelOffsets: [Int: Int]) -> AssembledCode {
        var bytes: [UInt8] = []
        var listing: [ListingLine] = []

        for item in items {
            let start = bytes.count
            switch item {
            case .instruction(var instruction, var text):
                if let fixup = instruction.ripFixup {
                    let end = start + instruction.bytes.count
                    let disp = Int32(truncatingIfNeeded: labelOffsets[fixup.label.id]! - end + Int(fixup.addend))
                    instruction.bytes.replaceSubrange(
                        fixup.dispPosition..<(fixup.dispPosition + 4), with: littleEndianBytes(disp))
                    if recordsListing { text = text.replacingPlaceholder(with: "rip" + displacementText(Int64(disp))) }
                }
                bytes += instruction.bytes
                if recordsListing {
                    listing.append(ListingLine(offset: start, bytes: instruction.bytes, text: text, isComment: false))
                }

            case .branch(let branch):
                let target = labelOffsets[branch.target.id]!
                let displacement = target - (start + branch.size)
                var encoded: [UInt8]
                switch (branch.kind, branch.isShort) {
                case (.jmp, true): encoded = [0xEB]
                case (.jmp, false): encoded = [0xE9]
                case (.jcc(let c), true): encoded = [0x70 + c.rawValue]
                case (.jcc(let c), false): encoded = [0x0F, 0x80 + c.rawValue]
                case (.call, _): encoded = [0xE8]
                }
                if branch.isShort {
                    encoded.append(UInt8(bitPattern: Int8(displacement)))
                } else {
                    encoded += littleEndianBytes(Int32(displacement))
                }
                bytes += encoded
                // Target shown as an offset into this code, as objdump prints it.
                if recordsListing {
                    listing.append(ListingLine(offset: start, bytes: encoded,
                                               text: "\(branch.kind.mnemonic) 0x\(hex(target))", isComment: false))
                }

            case .bind:
                break

            case .align(let boundary):
                var remaining = padding(toAlign: start, boundary)
                while remaining > 0 {
                    let n = min(remaining, multiByteNops.count)
                    let nop = multiByteNops[n - 1]
                    listing.append(ListingLine(offset: bytes.count, bytes: nop.bytes, text: nop.text, isComment: false))
                    bytes += nop.bytes
                    remaining -= n
                }

            case .comment(let text):
                listing.append(ListingLine(offset: start, bytes: [], text: text, isComment: true))
            }
        }
        return AssembledCode(bytes: bytes, labelOffsets: labelOffsets, listing: listing)
    }
}

func padding(toAlign offset: Int, _ boundary: Int) -> Int {
    (boundary - offset % boundary) % boundary
}

/// Recommended NOP sequences of 1...9 bytes (Intel SDM, "NOP"), with llvm-mc's spelling.
let multiByteNops: [(bytes: [UInt8], text: String)] = [
    ([0x90], "nop"),
    ([0x66, 0x90], "nop"),
    ([0x0F, 0x1F, 0x00], "nop dword ptr [rax]"),
    ([0x0F, 0x1F, 0x40, 0x00], "nop dword ptr [rax]"),
    ([0x0F, 0x1F, 0x44, 0x00, 0x00], "nop dword ptr [rax + rax]"),
    ([0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00], "nop word ptr [rax + rax]"),
    ([0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x00], "nop dword ptr [rax]"),
    ([0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00], "nop dword ptr [rax + rax]"),
    ([0x66, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00], "nop word ptr [rax + rax]"),
]

func hex<T: BinaryInteger>(_ value: T, width: Int = 0) -> String {
    let digits = String(value, radix: 16)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}

extension String {
    fileprivate func replacingPlaceholder(with replacement: String) -> String {
        var result = ""
        for ch in self {
            if String(ch) == ripPlaceholder { result += replacement } else { result.append(ch) }
        }
        return result
    }
}

/// One line of the listing: an instruction (or data/NOP) with its bytes, or a comment.
public struct ListingLine: Equatable, Sendable {
    public let offset: Int
    public let bytes: [UInt8]
    /// Intel syntax as `llvm-mc --disassemble -output-asm-variant=1` prints these bytes;
    /// label branches show their target as an offset into the code (`jne 0x1c`), and data
    /// lines use `.quad` / `.byte`.
    public let text: String
    public let isComment: Bool
}

/// The result of `Assembler.finalize()`.
public struct AssembledCode: Sendable {
    public let bytes: [UInt8]
    public let listing: [ListingLine]
    let labelOffsets: [Int: Int]

    init(bytes: [UInt8], labelOffsets: [Int: Int], listing: [ListingLine]) {
        self.bytes = bytes
        self.labelOffsets = labelOffsets
        self.listing = listing
    }

    /// Offset of a bound label within `bytes`. Traps for a label that was never bound (a
    /// programming error: `finalize()` already rejected unbound labels that code refers to).
    public func offset(of label: Label) -> Int {
        guard let offset = labelOffsets[label.id] else {
            preconditionFailure("label \(label.id) was never bound")
        }
        return offset
    }

    /// Offset of a label, or nil if it was never bound.
    public func offsetIfBound(_ label: Label) -> Int? {
        labelOffsets[label.id]
    }

    /// `  0x0000: 48 89 c3                      mov rbx, rax`, comments as `; text`.
    public func formattedListing(base: UInt64 = 0) -> String {
        var out = ""
        for line in listing {
            if line.isComment {
                out += "  ; \(line.text)\n"
                continue
            }
            let address = "0x" + hex(base &+ UInt64(line.offset), width: 4)
            var byteColumn = line.bytes.map { hex($0, width: 2) }.joined(separator: " ")
            if byteColumn.count < 30 {
                byteColumn += String(repeating: " ", count: 30 - byteColumn.count)
            }
            out += "  \(address): \(byteColumn) \(line.text)\n"
        }
        return out
    }
}
