"""A failed attribute-cache fill changed a valid entry's kind: a segfault.

Found by: python/tools/regrtest.py --all --modes none,hook,jit (session 2):
test_hmac, test_minidom, test_ordered_dict, test_pulldom and test_traceback
crashed with SIGSEGV only with the JIT, after LOAD_ATTR learned `__slots__` members.

The shim's fill functions cleared the entry's kind word before trying each kind. A
LOAD_ATTR site that cached a `__slots__` member of class A (kind 1: a byte offset)
and then saw an object of class B whose attribute cannot be cached (a class
attribute) attempted a fill for B, which failed but left A's entry with kind 0
("instance values array"): the next A object then had its values pointer read from
before the object, which a slotted object does not have.

Fix: a fill goes into a scratch entry and is installed only when it succeeds.
Expected: prints the sums and exits 0.
"""
import pyjion

pyjion.config(threshold=0)
pyjion.enable()


class A:
    __slots__ = ("x",)

    def __init__(self, x: int) -> None:
        self.x = x


class B:
    x = 5  # a class attribute: LOAD_ATTR cannot cache it on the instance


def total(objects: list) -> int:
    t = 0
    for o in objects:
        t += o.x
    return t


objects = [A(1), B(), A(2), B(), A(3)] * 1000
for _ in range(3):
    print(total(objects))
assert total(objects) == (1 + 5 + 2 + 5 + 3) * 1000
assert pyjion.info(total).compiled
