import X64
import Runtime

/// Where compiled code keeps things. The frame is the interpreter's own
/// `_PyInterpreterFrame`: locals and the value stack live in `localsplus`, so the
/// frame can be handed to `_PyEval_EvalFrameDefault` at any instruction boundary.
///
/// Registers (all callee-saved, so helpers preserve them):
/// - `rbx`: the frame;  `r12`: the thread state;  `r13`: `&interp->ceval.eval_breaker`;
/// - `r15`: `_PyCode_CODE(co)`, the base of `prev_instr`;  `r14`: scratch across calls.
/// The machine stack holds this function's `_PyCFrame` at `[rsp]` (24 bytes), which
/// leaves `rsp` 16-byte aligned at every call.
enum FrameLayout {
    static let frame = Reg64.rbx
    static let threadState = Reg64.r12
    static let evalBreaker = Reg64.r13
    static let scratch = Reg64.r14
    static let firstInstruction = Reg64.r15
    static let argumentRegisters: [Reg64] = [.rdi, .rsi, .rdx, .rcx, .r8, .r9]
    static let cframeSize: Int32 = 24
    /// The registers the regular entry saves (and restores, in reverse, on its way out).
    static let savedRegisters: [Reg64] = [.rbx, .r12, .r13, .r14, .r15]
    /// A direct entry's: its caller is compiled code of this thread and interpreter, so
    /// r12 and r13 already hold what they must and stay untouched. The cframe's space
    /// grows by their 16 bytes: `rsp` ends where the regular entry leaves it.
    static let directSavedRegisters: [Reg64] = [.rbx, .r14, .r15]
    static let directCframeSpace: Int32 = cframeSize + 16

    static var cframeUseTracing: Mem { .byte(.rsp, offsets.cframe_use_tracing) }
    static var cframeCurrentFrame: Mem { .qword(.rsp, offsets.cframe_current_frame) }
    static var cframePrevious: Mem { .qword(.rsp, offsets.cframe_previous) }
    /// Padding after use_tracing in our own cframe: non-zero when the direct entry ran,
    /// so that the way out pops the frame (the shim asserts the padding exists).
    static var directCallMark: Mem { .byte(.rsp, offsets.cframe_use_tracing + 1) }
}
