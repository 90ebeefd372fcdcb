// swift-tools-version:5.9
// Language mode 5: the C API's globals (PyExc_*, type objects) are not Sendable.
import PackageDescription

// Headers of the interpreter that runs the build come in through `-Xcc -I<include>`
// (setup.py passes them from sysconfig); pkg-config would find the wrong Python.
// Hot paths (the hook, helpers called from machine code) touch interpreter-global
// switches on every call; Swift's dynamic exclusivity checks would cost more than the
// work. Bounds and overflow checks stay on.
let hotPathSettings: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"])]

let package = Package(
    name: "pyjion",
    products: [
        // The CPython extension module `pyjion._pyjion`.
        .library(name: "_pyjion", type: .dynamic, targets: ["PyjionModule"]),
    ],
    targets: [
        // The only C: Python headers with Py_BUILD_CORE, offsets, opcode tables, macros Swift cannot call.
        // Hidden visibility: calls between the shim's functions, and its globals, bind
        // directly inside the extension (no PLT or GOT on the call paths).
        .target(name: "CPython", path: "Sources/CPython", cSettings: [.unsafeFlags(["-fvisibility=hidden"])]),
        // x86-64 assembler: knows nothing of Python.
        .target(name: "X64", path: "Sources/X64"),
        // mmap'd code arena, W^X.
        .target(name: "ExecutableMemory", path: "Sources/ExecutableMemory"),
        // 3.11 bytecode decoding from raw bytes and tables; no libpython needed.
        .target(name: "Bytecode", path: "Sources/Bytecode"),
        // Helpers called from machine code.
        .target(name: "Runtime", dependencies: ["CPython"], path: "Sources/Runtime", swiftSettings: hotPathSettings),
        // Bytecode to machine code.
        .target(name: "Compiler", dependencies: ["CPython", "X64", "Bytecode", "Runtime", "ExecutableMemory"], path: "Sources/Compiler", swiftSettings: hotPathSettings),
        // PyInit__pyjion, the hook, the code cache, the Python API.
        .target(name: "PyjionModule", dependencies: ["CPython", "Compiler", "Runtime", "ExecutableMemory", "Bytecode", "X64"], path: "Sources/PyjionModule", swiftSettings: hotPathSettings),
        .testTarget(name: "X64Tests", dependencies: ["X64"], path: "Tests/X64Tests"),
        .testTarget(name: "BytecodeTests", dependencies: ["Bytecode"], path: "Tests/BytecodeTests", exclude: ["corpus_dump.py"]),
        .testTarget(name: "ExecutableMemoryTests", dependencies: ["ExecutableMemory"], path: "Tests/ExecutableMemoryTests"),
    ]
)
