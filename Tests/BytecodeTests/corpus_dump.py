# Dumps what `dis` knows about a corpus of code objects as JSON, for BytecodeTests.
# Run by PythonOracle.swift as `python3 corpus_dump.py <mode>`; needs CPython 3.11.
import dis
import json
import opcode
import sys
import types

CORPUS = r'''
def simple(a, b):
    return a + b

def loop_for(n):
    t = 0
    for i in range(n):
        if i % 3 == 0:
            continue
        t += i
        if t > 100:
            break
    else:
        t = -1
    return t

def loop_while(n):
    while n > 0:
        n -= 1
        if n == 5:
            break
    return n

def comprehensions(xs):
    a = [x * 2 for x in xs if x]
    b = {x: x + 1 for x in xs}
    c = {x for x in xs}
    d = list(x for x in xs)
    return a, b, c, d

def try_except(x):
    try:
        y = 1 / x
    except ZeroDivisionError as e:
        y = str(e)
    except (TypeError, ValueError):
        y = None
    else:
        y += 1
    return y

def try_finally(f):
    try:
        return f()
    finally:
        print("done")

def nested_try(f):
    for i in range(3):
        try:
            try:
                f(i)
            except KeyError:
                continue
            finally:
                f(-i)
        except Exception:
            break
    return i

def with_stmt(path):
    with open(path) as f, open(path) as g:
        return f.read() + g.read()

def match_stmt(v):
    match v:
        case 0 | 1:
            return "small"
        case [x, y, *rest]:
            return x + y
        case {"k": value, **kw}:
            return value
        case Point(x=0, y=yy):
            return yy
        case str() as s if s:
            return s
        case _:
            return None

def closures(n):
    def inner(m):
        nonlocal n
        n += m
        return n
    return inner

def fstrings(a, b):
    return f"{a!r:>10} and {b:{a}} {a + b=} {a!s} {b!a}"

def calls(f, *args, **kw):
    f(1, 2, x=3)
    f(*args, **kw)
    obj.method(1)
    return f(*args)

def chained_compare(a, b, c):
    return a < b < c

def bool_ops(a, b, c):
    return (a and b) or c

def ternary(a):
    return 1 if a else 2

def slicing(l):
    return l[1:2], l[::2], l[1:2:3], l[:]

def del_stmt(d):
    del d[1]
    del d.x

def global_stmt():
    global G
    G = 1
    del G

def raise_stmt(e):
    raise ValueError("x") from e

def assert_stmt(x):
    assert x, "msg"

def generator(n):
    x = None
    for i in range(n):
        x = yield i
    yield from range(3)
    return x

async def coroutine(a):
    async with a as b:
        async for x in b:
            await x
    return [y async for y in a]

async def async_gen(a):
    async for x in a:
        yield x

def except_star(f):
    try:
        f()
    except* ValueError as eg:
        pass
    except* TypeError:
        raise

def lambdas():
    return lambda x, y=2, *, z=3: x + y + z

def classes():
    class A(Base, metaclass=M):
        x: int = 1
        def m(self):
            return __class__
    return A

def builds(a, b):
    return {a: b, **a}, {a, *b}, [*a, *b], (*a, b), {"x": a, "y": b}

def star_call(f, a):
    return f(*a, x=1, **a)

def imports():
    import os.path
    from sys import argv, path as p
    return os.path, argv, p

def augmented(a, b):
    a += b; a -= b; a *= b; a //= b; a %= b; a **= b
    a <<= b; a >>= b; a &= b; a |= b; a ^= b; a @= b; a /= b
    return a

def is_in(a, b):
    return a is b, a is not b, a in b, a not in b

def none_checks(a):
    if a is None:
        return 1
    while a is not None:
        a = a.next
    return 0

def nested_loops(m):
    total = 0
    for row in m:
        for v in row:
            while v > 0:
                v -= 1
                total += 1
    return total

def walrus(xs):
    return [y for x in xs if (y := x * 2) > 3]

def kwonly(a, /, b, *, c=3, **kw):
    return a + b + c

def annotated(a: int) -> str:
    return str(a)

def defaults_closure(x):
    def g(a=x, *, b=x):
        return a + b + x
    return g

def deref_class(x):
    class C:
        y = x
    return C

def unary(a):
    return -a, +a, ~a, not a

def continue_in_finally(xs):
    for x in xs:
        try:
            if x:
                return x
        finally:
            continue
    return None

def unpacking(t):
    a, *b, c = t
    (x, y), z = t
    p, q = q, p = 1, 2
    return a, b, c, x, y, z

def or_pop(a, b):
    x = a or b
    y = a and b
    return x, y

def subscripts(d, k, v):
    d[k] = v
    d[k] += v
    return d[k][0]

def with_suppress(cm, f):
    with cm:
        f()
    with cm as (a, b):
        return a
'''

def generated_sources():
    # > 256 distinct constants: LOAD_CONST needs EXTENDED_ARG.
    body = "\n".join(f"    x += {i}.25" for i in range(300))
    yield f"def many_consts():\n    x = 0\n{body}\n    return x\n"
    # > 256 locals: LOAD_FAST/STORE_FAST need EXTENDED_ARG.
    body = "\n".join(f"    v{i} = a" for i in range(300))
    yield f"def many_locals(a):\n{body}\n    return v0 + v299\n"
    # Forward and backward jumps over more than 255 code units.
    body = "\n".join(f"            t = t + f(t, {i})" for i in range(120))
    yield (f"def long_jumps(f, n):\n    t = 0\n    while n:\n        n -= 1\n        if t:\n{body}\n"
           f"        else:\n            t = 1\n    return t\n")
    # A long try body: exception table entries with big starts, lengths and targets.
    body = "\n".join(f"        a = f(a, {i})" for i in range(150))
    yield (f"def long_try(f, a):\n    try:\n{body}\n    except Exception as e:\n        return e\n"
           f"    finally:\n        a = None\n    return a\n")
    # Jump to an instruction that carries EXTENDED_ARG prefixes (LOAD_CONST of constant > 255).
    consts = "\n".join(f"    y = {i}.5" for i in range(260))
    yield f"def jump_to_prefixed(c):\n{consts}\n    if c:\n        y = 1\n    return 999.5\n"


def all_code_objects():
    sources = [CORPUS] + list(generated_sources())
    for src in sources:
        top = compile(src, "<corpus>", "exec")
        yield from walk(top)


def walk(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from walk(const)


def describe(code):
    instructions = []
    for ins in dis.get_instructions(code):
        if ins.opname == "EXTENDED_ARG":
            continue
        jump = ins.argval if ins.opcode in opcode.hasjrel else None
        instructions.append([ins.offset, ins.opname, ins.arg, jump])
    table = [[e.start, e.end, e.target, e.depth, int(e.lasti)] for e in dis._parse_exception_table(code)]
    return {
        "name": code.co_qualname,
        "code": list(code.co_code),
        "exceptionTable": list(code.co_exceptiontable),
        "stacksize": code.co_stacksize,
        "instructions": instructions,
        "entries": table,
    }


def dump_corpus():
    return [describe(c) for c in all_code_objects()]


def dump_quickened():
    """Warm up runnable functions until the adaptive interpreter has specialised them."""
    ns = {}
    exec(compile(CORPUS, "<corpus>", "exec"), ns)
    calls = {
        "simple": lambda f: f(1, 2),
        "loop_for": lambda f: f(60),
        "loop_while": lambda f: f(20),
        "comprehensions": lambda f: f([1, 2, 3]),
        "try_except": lambda f: (f(0), f(2)),
        "chained_compare": lambda f: f(1, 2, 3),
        "slicing": lambda f: f([1, 2, 3, 4]),
        "augmented": lambda f: None,
        "nested_loops": lambda f: f([[1, 2], [3]]),
        "walrus": lambda f: f([1, 2, 3]),
        "unary": lambda f: f(3),
        "is_in": lambda f: f(1, [1]),
        "subscripts": lambda f: f({1: [2]}, 1, [3]),
        "or_pop": lambda f: f(0, 1),
    }
    out = []
    for name, call in calls.items():
        f = ns[name]
        for _ in range(200):
            call(f)
        code = f.__code__
        out.append({"name": name, "code": list(code.co_code), "adaptive": list(code._co_code_adaptive),
                    "exceptionTable": list(code.co_exceptiontable)})
    return out


def dump_stack_effects():
    opargs = list(range(0, 21)) + [255, 256, 257, 0x1FF, 0x201, 0x303, 0xFFFF, 0x10000, 0x10203]
    out = []
    for name, op in sorted(opcode.opmap.items(), key=lambda kv: kv[1]):
        if op < opcode.HAVE_ARGUMENT:
            out.append({"opcode": op, "oparg": None,
                        "noJump": dis.stack_effect(op, jump=False), "jump": dis.stack_effect(op, jump=True)})
        else:
            for a in opargs:
                out.append({"opcode": op, "oparg": a,
                            "noJump": dis.stack_effect(op, a, jump=False), "jump": dis.stack_effect(op, a, jump=True)})
    return out


def dump_opcodes():
    return {
        "opmap": opcode.opmap,
        "haveArgument": opcode.HAVE_ARGUMENT,
        "caches": {name: opcode._inline_cache_entries[op] for name, op in opcode.opmap.items()},
        "hasjrel": [opcode.opname[op] for op in opcode.hasjrel],
        "allOpmap": dis._all_opmap,
        "deoptmap": dis.deoptmap,
    }


if __name__ == "__main__":
    assert sys.version_info[:2] == (3, 11), sys.version
    mode = sys.argv[1]
    result = {"corpus": dump_corpus, "quickened": dump_quickened,
              "stackEffects": dump_stack_effects, "opcodes": dump_opcodes}[mode]()
    json.dump(result, sys.stdout)
