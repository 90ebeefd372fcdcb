import CPython
import Glibc

/// perf's map file for JIT code (`/tmp/perf-<pid>.map`, one `START SIZE name` line per
/// function, hex without 0x), so `perf report` names compiled functions. Turned on by
/// `config(perf_map=True)` or `PYJION_PERF_MAP=1`; functions compiled from then on are
/// listed. The file is reopened after a fork (its name carries the process id).
final class PerfMap {
    private var file: UnsafeMutablePointer<FILE>?
    private var pid: pid_t = 0

    deinit { if let file { fclose(file) } }

    /// Appends one function's line; a file that cannot be opened is skipped silently
    /// (profiling output must never make compiled code fail).
    func record(address: UInt, size: Int, name: String) {
        let current = getpid()
        if file == nil || pid != current {
            if let file { fclose(file) }
            file = fopen("/tmp/perf-\(current).map", "a")
            pid = current
        }
        guard let file else { return }
        let line = String(address, radix: 16) + " " + String(size, radix: 16) + " " + name + "\n"
        fputs(line, file)
        fflush(file)
    }

    /// `py::qualname:file:line`, perf's usual form for interpreted-language symbols.
    static func symbol(code: UnsafeMutableRawPointer, qualifiedName: String) -> String {
        let object = code.assumingMemoryBound(to: PyObject.self)
        var file = "?"
        var line = 0
        if let filename = PyObject_GetAttrString(object, "co_filename") {
            if let text = PyUnicode_AsUTF8(filename) { file = String(cString: text) }
            pyj_decref(filename)
        }
        if let first = PyObject_GetAttrString(object, "co_firstlineno") {
            line = PyLong_AsLong(first)
            pyj_decref(first)
        }
        if PyErr_Occurred() != nil { PyErr_Clear() }
        // Spaces would split perf's fields.
        let name = "py::\(qualifiedName):\(file):\(line)"
        return String(name.map { $0 == " " ? "_" : $0 })
    }
}
