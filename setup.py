"""Builds the Swift package into the extension module `pyjion._pyjion`.

The build step runs `swift build -c release` with the headers of the interpreter
that runs the build (sysconfig include and platinclude), links the Swift standard
library statically, and copies the shared object to where setuptools expects it.
"""
from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))


def python_include_flags() -> list[str]:
    paths = sysconfig.get_paths()
    includes = []
    for key in ("include", "platinclude"):
        path = paths.get(key)
        if path and path not in includes:
            includes.append(path)
    flags: list[str] = []
    for path in includes:
        flags += ["-Xcc", f"-I{path}"]
    return flags


def scratch_path(flags: list[str]) -> str:
    # One build folder per include set, so two interpreters never share objects.
    digest = hashlib.sha256("\0".join(flags + [sys.version]).encode()).hexdigest()[:12]
    return os.path.join(HERE, f".build-py{digest}")


class SwiftBuildExt(build_ext):
    def build_extension(self, ext: Extension) -> None:
        if sys.implementation.name != "cpython" or sys.version_info[:2] != (3, 11):
            raise RuntimeError("pyjion builds only for CPython 3.11")
        if platform.machine() not in ("x86_64", "AMD64"):
            raise RuntimeError("pyjion builds only for x86-64")
        swift = shutil.which("swift")
        if swift is None:
            raise RuntimeError("the Swift toolchain (`swift`) is not on PATH")
        flags = python_include_flags()
        scratch = scratch_path(flags)
        cmd = [
            swift, "build", "-c", "release", "--product", "_pyjion",
            "--package-path", HERE, "--scratch-path", scratch,
            "-Xswiftc", "-static-stdlib",
        ] + flags
        print(" ".join(cmd), flush=True)
        subprocess.check_call(cmd, cwd=HERE)
        built = os.path.join(scratch, "release", "lib_pyjion.so")
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), suffix=".so.tmp")
        os.close(fd)
        shutil.copyfile(built, tmp)
        os.chmod(tmp, 0o755)
        os.replace(tmp, target)


setup(
    ext_modules=[Extension("pyjion._pyjion", sources=[])],
    cmdclass={"build_ext": SwiftBuildExt},
)
