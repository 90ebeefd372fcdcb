import CPython

@_cdecl("PyInit__pyjion")
public func PyInit__pyjion() -> UnsafeMutablePointer<PyObject>? {
    let methods = UnsafeMutablePointer<PyMethodDef>.allocate(capacity: 1)
    methods[0] = PyMethodDef(ml_name: nil, ml_meth: nil, ml_flags: 0, ml_doc: nil)
    guard let def = pyj_new_module_def(StaticString("_pyjion").utf8Start.withMemoryRebound(to: CChar.self, capacity: 8) { $0 }, nil, methods) else { return nil }
    return PyModule_Create2(def, PYTHON_API_VERSION)
}
