import CPython

/// A reference to a Python object as machine code passes it: a raw `PyObject *`.
public typealias Obj = UnsafeMutablePointer<PyObject>

/// Field offsets of the interpreter's structs, read once from the C shim.
public let offsets = pyj_offsets

/// `PY_VECTORCALL_ARGUMENTS_OFFSET`: the callee may use args[-1] as scratch.
public let vectorcallArgumentsOffset: Int = 1 << 63

@inline(__always) func incref(_ o: Obj) { pyj_incref(o) }
@inline(__always) func decref(_ o: Obj) { pyj_decref(o) }
@inline(__always) func xdecref(_ o: Obj?) { if let o { pyj_decref(o) } }

/// Raises `type` with a message built in Swift (the C API's format functions are variadic).
func raise(_ type: UnsafeMutablePointer<PyObject>?, _ message: String) {
    message.withCString { PyErr_SetString(type, $0) }
}

func typeName(_ o: Obj) -> String { String(cString: pyj_tp_name(o)) }

/// Views `count` consecutive value-stack slots starting at `base`.
@inline(__always) func slots(_ base: UnsafeMutablePointer<Obj?>, _ count: Int) -> UnsafeMutableBufferPointer<Obj?> {
    UnsafeMutableBufferPointer(start: base, count: count)
}
