"""MAKE_FUNCTION with annotations inside a compiled function raises SystemError.

Found by: python/tools/regrtest.py --curated --modes none,hook,jit -- every
module "crashed (Exit code 1)" in jit mode, because regrtest's own worker
(test/libregrtest/result.py, a @dataclass) could not even be imported:
dataclasses builds __init__ with a nested annotated ``def`` inside the
generated ``__create_fn__``, which pyjion compiles at threshold 0.

Expected (CPython, and pyjion with hook_only=True):
    {'x': <class 'int'>, 'return': <class 'str'>}
With pyjion.config(threshold=0); pyjion.enable():
    SystemError: non-dict annotations

Cause: in 3.11 the compiler pushes annotations as a flat tuple
(name, value, name, value, ...); the interpreter stores that tuple in
func_annotations as is (the function converts it lazily). The makeFunction
helper (Sources/Runtime/Helpers.swift) passes it to PyFunction_SetAnnotations,
which accepts only a dict or None.
"""
import pyjion

pyjion.config(threshold=0)
pyjion.enable()


def outer():
    def inner(x: int) -> str:
        return str(x)

    return inner


f = outer()
print(f.__annotations__)
assert f.__annotations__ == {"x": int, "return": str}


# The same through dataclasses (what broke regrtest's worker):
import dataclasses


@dataclasses.dataclass
class Point:
    x: int
    y: int = 0


assert Point(1) == Point(1, 0)
print("ok")
