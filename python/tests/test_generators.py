"""Generators, coroutines and async generators run compiled.

Each case is differential (see difftest.py): ``f`` is the generator-like function,
marked with ``pyjion.jit`` in one copy of the source; a driver (``main``, run in the
interpreter) creates, resumes, throws into and closes it. Results, exceptions and
traceback positions must match CPython's, ``f`` must be compiled, and its frames
must never have left machine code for the evaluator (``info(f).exits`` is empty):
every resumption with ``next``/``send`` entered compiled code.
"""
from __future__ import annotations

import asyncio
import gc
import sys
import textwrap
from typing import Any

import pytest

import pyjion
from difftest import DiffPair, Program, nested_code
from support import fresh


def C(id: str, src: str, args: Any = (), **opts: Any) -> Any:
    return pytest.param(textwrap.dedent(src), args, opts, id=id)


GENERATOR_CASES = [
    C("yield-in-loop", """
        def f(n):
            for i in range(n):
                yield i * 2
        def main(n):
            return list(f(n)), list(f(0))
        """, (5,)),
    C("send-values", """
        def f():
            total = 0
            while True:
                x = yield total
                if x is None:
                    return total
                total += x
        def main():
            g = f()
            out = [next(g), g.send(3), g.send(4)]
            try:
                g.send(None)
            except StopIteration as e:
                out.append(("stop", e.value))
            return out
        """),
    C("return-value-in-stopiteration", """
        def f(x):
            yield x
            return x * 10
        def main():
            g = f(4)
            next(g)
            try:
                next(g)
            except StopIteration as e:
                return e.value, list(g)
        """),
    C("send-non-none-to-fresh", """
        def f():
            yield 1
        def main():
            return f().send(5)
        """),
    C("exception-inside", """
        def f(xs):
            for x in xs:
                yield 10 // x
        def main():
            return list(f([1, 2, 0, 4]))
        """),
    C("pep479-stopiteration-becomes-runtimeerror", """
        def f():
            yield 1
            raise StopIteration("inner")
        def main():
            return list(f())
        """),
    C("next-on-exhausted-iterator-inside", """
        def f(it):
            yield next(it)
            yield next(it)
        def main():
            return list(f(iter([1])))
        """),
    C("try-finally-and-close", """
        log = []
        def f():
            try:
                yield 1
                yield 2
            finally:
                log.append("finally")
        def main():
            log.clear()
            g = f()
            a = next(g)
            g.close()
            return a, log[:], list(g)
        """),
    C("throw-caught-then-resumed", """
        def f():
            n = 0
            while True:
                try:
                    yield n
                except ValueError as e:
                    n += 100
                    yield str(e)
                n += 1
        def main():
            g = f()
            out = [next(g), next(g), g.throw(ValueError("boom")), next(g), next(g)]
            g.close()
            return out
        """),
    C("throw-uncaught", """
        def f():
            yield 1
            yield 2
        def main():
            g = f()
            next(g)
            g.throw(KeyError("k"))
        """),
    C("close-ignoring-generatorexit", """
        def f():
            try:
                yield 1
            except GeneratorExit:
                yield 2
        def main():
            g = f()
            next(g)
            g.close()
        """),
    C("yield-from-chain-send", """
        def inner(n):
            got = []
            for i in range(n):
                got.append((yield i))
            return got
        def f(n):
            r = yield from inner(n)
            yield ("inner returned", r)
        def main():
            g = f(3)
            out = [next(g)]
            for v in "abc":
                out.append(g.send(v))
            return out
        """),
    C("yield-from-throw-handled-by-delegate", """
        def inner():
            try:
                yield 1
            except ValueError:
                return "inner handled"
        def f():
            r = yield from inner()
            yield r
            yield "after"
        def main():
            g = f()
            return [next(g), g.throw(ValueError()), next(g)]
        """),
    C("yield-from-throw-propagates", """
        def inner():
            yield 1
            yield 2
        def f():
            try:
                yield from inner()
            except ValueError as e:
                yield "outer caught " + str(e)
        def main():
            g = f()
            return [next(g), g.throw(ValueError("x"))]
        """),
    C("yield-from-close-closes-delegate", """
        log = []
        def inner():
            try:
                yield 1
            finally:
                log.append("inner closed")
        def f():
            try:
                yield from inner()
            finally:
                log.append("outer closed")
        def main():
            log.clear()
            g = f()
            next(g)
            g.close()
            return log[:]
        """),
    C("yield-from-list-and-range", """
        def f(xs):
            yield from xs
            yield from range(3)
            yield from (x * 2 for x in xs)
        def main():
            return list(f([5, 6]))
        """),
    C("yield-from-non-iterable", """
        def f():
            yield from 5
        def main():
            return list(f())
        """),
    C("recursive-tree-walk", """
        class Tree:
            def __init__(self, left, value, right):
                self.left, self.value, self.right = left, value, right
        def f(t):
            if t is None:
                return
            yield from f(t.left)
            yield t.value
            yield from f(t.right)
        def build(lo, hi):
            if lo >= hi:
                return None
            mid = (lo + hi) // 2
            return Tree(build(lo, mid), mid, build(mid + 1, hi))
        def main(n):
            return list(f(build(0, n)))
        """, (40,)),
    C("closure-in-generator", """
        def f(n):
            k = n
            def add(x):
                return x + k
            for i in range(3):
                yield add(i)
                k += 1
        def main():
            return list(f(10))
        """),
    C("with-in-generator", """
        class CM:
            def __init__(self, log):
                self.log = log
            def __enter__(self):
                self.log.append("enter")
                return self
            def __exit__(self, *exc):
                self.log.append(("exit", exc[0].__name__ if exc[0] else None))
                return False
        def f(log):
            with CM(log):
                yield 1
                yield 2
        def main():
            log = []
            g = f(log)
            next(g)
            g.close()
            log2 = []
            list(f(log2))
            return log, log2
        """),
    C("generator-state-and-frame", """
        import inspect
        def f():
            me = yield inspect.currentframe().f_code.co_name
            yield inspect.getgeneratorstate(me), me.gi_running, me.gi_frame.f_lineno
        def main():
            g = f()
            states = [inspect.getgeneratorstate(g)]
            first = next(g)
            states.append(inspect.getgeneratorstate(g))
            second = g.send(g)
            states.append((g.gi_frame.f_lineno, g.gi_frame.f_lasti > 0, g.gi_yieldfrom))
            g.close()
            states.append((inspect.getgeneratorstate(g), g.gi_frame))
            return first, second, states
        """),
    C("gi-yieldfrom-while-delegating", """
        def inner():
            yield 1
        def f():
            yield from inner()
        def main():
            g = f()
            next(g)
            return g.gi_yieldfrom.__name__, g.gi_frame.f_lineno
        """),
    C("genexp", """
        def f(n):
            return sum(x * x for x in range(n)), list(y for y in range(n) if y % 2)
        def main(n):
            return f(n)
        """, (10,), jit_nested=True),
    C("genexp-raises", """
        def f(xs):
            return list(10 // x for x in xs)
        def main():
            return f([1, 0])
        """, jit_nested=True),
    C("contextmanager-body", """
        import contextlib
        def f(log, fail):
            log.append("setup")
            try:
                yield "resource"
            except KeyError:
                log.append("handled")
            finally:
                log.append("cleanup")
        cm = contextlib.contextmanager(f)
        def main():
            log = []
            with cm(log, False) as r:
                log.append(r)
            with cm(log, True):
                raise KeyError("k")
            try:
                with cm(log, False):
                    raise ValueError("v")
            except ValueError as e:
                log.append(repr(e))
            return log
        """),
    C("generator-in-for-loop-break", """
        def f():
            i = 0
            while True:
                yield i
                i += 1
        def main():
            out = []
            for x in f():
                if x > 4:
                    break
                out.append(x)
            return out
        """),
    # SEND to a compiled delegate (machine code resumes it when everything compiled
    # may run): what the delegate sees of its caller (sys.exc_info() through the chained
    # exception state, its gi_running, its frame's f_back), an exception's __context__,
    # StopIteration raised inside (RuntimeError), a delegate already running, the
    # return value, a first send of None and of another value, throw() into it.
    C("send-to-compiled-delegates", """
        import sys
        def inner(me_box):
            got = yield (sys.exc_info()[0], me_box[0].gi_running, sys._getframe(1).f_code.co_name)
            if got == "raise":
                raise KeyError("inner")
            if got == "stop":
                raise StopIteration("inner stop")
            if got == "reenter":
                next(me_box[1])
            if got == "self":
                yield from via(me_box[0])  # SEND to a delegate that is running
            return got
        def via(g):
            return (yield from g)
        def handling():
            try:
                raise KeyError("k")
            except KeyError:
                yield sys.exc_info()[0]
            yield sys.exc_info()[0]
        def around(box):
            try:
                raise ValueError("v")
            except ValueError:
                box.append(handling())
                yield from box[0]
                yield sys.exc_info()[0]  # its own, after the delegate's except block
            yield sys.exc_info()[0]
        def counting(n, box):
            for i in range(n):
                yield (i, box[0].gi_running, sys._getframe(1).f_code.co_name, sys.exc_info()[0])
            if n == 2:
                raise StopIteration("in the generator")
            if n == 3:
                raise KeyError("in the generator")
            return "done"
        def loop(n):
            # FOR_ITER over a compiled generator (resumed in machine code there): the
            # return value ends the loop, StopIteration inside is a RuntimeError, an
            # exhausted generator yields nothing.
            out = []
            box = []
            g = counting(n, box)
            box.append(g)
            try:
                try:
                    raise ValueError("handled by the loop")
                except ValueError:
                    for x in g:
                        out.append(x)
            except Exception as e:
                out.append((type(e).__name__, str(e), repr(e.__cause__)))
            for x in g:
                out.append(("again", x))
            return out
        def exception_states():
            # Suspended in its except block, the delegate's own exception state holds
            # the exception it handles (gen_traverse shows it), not its caller's.
            import gc
            box = []
            a = around(box)
            first = next(a)
            held = sorted(type(r).__name__ for r in gc.get_referents(box[0]) if isinstance(r, BaseException))
            return [getattr(first, "__name__", first), held] + [getattr(x, "__name__", x) for x in a]
        def middle(box):
            try:
                raise ValueError("outer")
            except ValueError:
                r = yield from inner(box)
            return ("middle", r)
        def f(mode):
            box = [None, None]
            g = inner(box)
            box[0] = g
            out = []
            m = middle(box)
            box[1] = m
            out.append(next(m))
            try:
                m.send(mode)
            except StopIteration as e:
                out.append(("returned", e.value))
            except Exception as e:
                out.append((type(e).__name__, str(e), repr(e.__context__), repr(e.__cause__)))
            return out
        def main():
            out = [f(mode) for mode in ("value", "raise", "stop", "reenter", "self")]
            out.append(exception_states())
            out.append([loop(n) for n in range(5)])
            def plain():
                x = yield from inner([None])
                return x
            p = plain()
            try:
                p.send(1)
            except TypeError as e:
                out.append(str(e))
            return out
        """, ()),
]


COROUTINE_CASES = [
    C("await-chain", """
        async def f(n):
            if n <= 1:
                return n
            return await f(n - 1) + await f(n - 2)
        def main():
            c = f(12)
            try:
                c.send(None)
            except StopIteration as e:
                return e.value
        """),
    C("await-custom-awaitable", """
        class Aw:
            def __await__(self):
                x = yield "suspended"
                return x * 2
        async def f():
            a = await Aw()
            return a + 1
        def main():
            c = f()
            first = c.send(None)
            try:
                c.send(20)
            except StopIteration as e:
                return first, e.value
        """),
    C("await-non-awaitable", """
        async def f():
            return await 5
        def main():
            c = f()
            c.send(None)
        """),
    C("await-bad-await-result", """
        class Bad:
            def __await__(self):
                return 1
        async def f():
            await Bad()
        def main():
            f().send(None)
        """),
    C("coroutine-awaited-twice", """
        class Aw:
            def __await__(self):
                yield 1
        async def inner():
            await Aw()
        async def f(c):
            await c
        def main():
            c = inner()
            outer1 = f(c)
            outer1.send(None)
            outer2 = f(c)
            try:
                outer2.send(None)
            finally:
                outer1.close()
        """),
    # GET_AWAITABLE on a coroutine not started is inline; a finished one (reuse) and
    # a closed one go through the helper, and the SEND after raises as it should.
    C("await-fresh-finished-and-closed", """
        async def leaf(x):
            return x
        async def f(c, d):
            out = [await leaf(1), await leaf(2)]
            for coro in (c, d):
                try:
                    out.append(await coro)
                except RuntimeError as e:
                    out.append(str(e))
            return out
        def main():
            c = leaf(3)
            try:
                c.send(None)
            except StopIteration:
                pass
            d = leaf(4)
            d.close()
            try:
                f(c, d).send(None)
            except StopIteration as e:
                return e.value
        """),
    C("coroutine-throw-and-close", """
        class Aw:
            def __await__(self):
                yield 1
                yield 2
        async def f():
            try:
                await Aw()
            except ValueError as e:
                return "caught " + str(e)
        def main():
            c = f()
            c.send(None)
            try:
                c.throw(ValueError("t"))
            except StopIteration as e:
                return e.value
        """),
    C("types-coroutine-generator", """
        import types
        @types.coroutine
        def sleeper():
            x = yield "tick"
            return x
        async def f():
            a = await sleeper()
            b = await sleeper()
            return a, b
        def main():
            c = f()
            out = [c.send(None), c.send("one")]
            try:
                c.send("two")
            except StopIteration as e:
                out.append(e.value)
            return out
        """),
    C("asyncio-gather-and-sleep", """
        import asyncio
        async def f(n):
            await asyncio.sleep(0)
            if n <= 1:
                return n
            a, b = await asyncio.gather(f(n - 1), f(n - 2))
            return a + b
        def main():
            return asyncio.run(f(7))
        """),
    C("asyncio-future", """
        import asyncio
        async def f():
            loop = asyncio.get_running_loop()
            fut = loop.create_future()
            loop.call_soon(fut.set_result, 42)
            v = await fut
            fut2 = loop.create_future()
            loop.call_soon(fut2.set_exception, KeyError("nope"))
            try:
                await fut2
            except KeyError as e:
                return v, repr(e)
        def main():
            return asyncio.run(f())
        """),
    C("async-with", """
        import asyncio
        class ACM:
            def __init__(self, log):
                self.log = log
            async def __aenter__(self):
                await asyncio.sleep(0)
                self.log.append("aenter")
                return "value"
            async def __aexit__(self, *exc):
                self.log.append(("aexit", exc[0].__name__ if exc[0] else None))
                return exc[0] is KeyError
        async def f(log):
            async with ACM(log) as v:
                log.append(v)
            async with ACM(log):
                raise KeyError("swallowed")
            async with ACM(log):
                raise ValueError("escapes")
        def main():
            log = []
            try:
                asyncio.run(f(log))
            except ValueError as e:
                log.append(repr(e))
            return log
        """),
    C("async-with-errors", """
        import asyncio
        class NoAenter:
            pass
        class NoAexit:
            async def __aenter__(self):
                return 1
        class BadAenter:
            def __aenter__(self):
                return 1
            def __aexit__(self, *a):
                return 1
        async def f(kind):
            async with kind():
                pass
        def main():
            out = []
            for kind in (NoAenter, NoAexit, BadAenter):
                try:
                    asyncio.run(f(kind))
                except TypeError as e:
                    out.append(str(e))
            return out
        """),
    C("async-for-over-async-iterator", """
        import asyncio
        class Counter:
            def __init__(self, n):
                self.i, self.n = 0, n
            def __aiter__(self):
                return self
            async def __anext__(self):
                await asyncio.sleep(0)
                if self.i >= self.n:
                    raise StopAsyncIteration
                self.i += 1
                return self.i
        async def f(n):
            total = []
            async for x in Counter(n):
                if x == 3:
                    continue
                total.append(x)
            else:
                total.append("else")
            return total
        def main():
            return asyncio.run(f(5))
        """),
    C("async-for-errors", """
        import asyncio
        class NoAnext:
            def __aiter__(self):
                return self
        class BadAnext:
            def __aiter__(self):
                return self
            def __anext__(self):
                return 5
        async def f(obj):
            async for x in obj:
                pass
        def main():
            out = []
            for obj in ([1, 2], NoAnext(), BadAnext()):
                try:
                    asyncio.run(f(obj))
                except TypeError as e:
                    out.append(str(e))
            return out
        """),
    C("async-for-body-raises", """
        import asyncio
        async def agen():
            yield 1
            yield 2
        async def f():
            async for x in agen():
                if x == 2:
                    raise ValueError(x)
        def main():
            return asyncio.run(f())
        """),
]


ASYNC_GENERATOR_CASES = [
    C("async-generator-driven-by-asyncio", """
        import asyncio
        async def f(n):
            for i in range(n):
                await asyncio.sleep(0)
                yield i * i
        async def consume():
            return [x async for x in f(5)]
        def main():
            return asyncio.run(consume())
        """),
    C("async-generator-asend-athrow-aclose", """
        import asyncio
        log = []
        async def f():
            try:
                x = yield 1
                log.append(("got", x))
                try:
                    yield 2
                except KeyError as e:
                    log.append(("caught", str(e)))
                    yield 3
            finally:
                log.append("finally")
        async def drive():
            g = f()
            out = [await g.asend(None), await g.asend("sent"), await g.athrow(KeyError("k"))]
            await g.aclose()
            return out
        def main():
            log.clear()
            return asyncio.run(drive()), log[:]
        """),
    C("async-generator-raises", """
        import asyncio
        async def f():
            yield 1
            raise RuntimeError("agen failed")
        async def consume():
            return [x async for x in f()]
        def main():
            return asyncio.run(consume())
        """),
    C("async-generator-stopiteration", """
        import asyncio
        async def f():
            yield 1
            raise StopAsyncIteration
        async def consume():
            return [x async for x in f()]
        def main():
            return asyncio.run(consume())
        """),
    C("async-comprehension-in-coroutine", """
        import asyncio
        async def agen(n):
            for i in range(n):
                yield i
        async def f(n):
            return [x * 2 async for x in agen(n) if x % 2], {x: 1 async for x in agen(2)}
        def main():
            return asyncio.run(f(6))
        """, jit_nested=True),
]


def check_generator_case(src: str, args: Any, opts: dict[str, Any]) -> None:
    pair = DiffPair(src, ("f",), "main", opts.get("jit_nested", False))
    pair.check(args, None, 2)
    pair.assert_compiled()
    f = pair.jitted.ns["f"]
    i = pyjion.info(f)
    assert i.run_count >= 2, i
    assert i.exits == {}, f"{f.__name__} left machine code: {i.exits}"
    if opts.get("jit_nested"):
        for code in nested_code(f.__code__):
            ci = pyjion.info(code)
            assert ci.run_count and ci.compiled and ci.exits == {}, (code.co_name, ci)


@pytest.mark.parametrize("src, args, opts", GENERATOR_CASES)
def test_generators_compiled(src: str, args: Any, opts: dict[str, Any]) -> None:
    check_generator_case(src, args, opts)


@pytest.mark.parametrize("src, args, opts", COROUTINE_CASES)
def test_coroutines_compiled(src: str, args: Any, opts: dict[str, Any]) -> None:
    check_generator_case(src, args, opts)


@pytest.mark.parametrize("src, args, opts", ASYNC_GENERATOR_CASES)
def test_async_generators_compiled(src: str, args: Any, opts: dict[str, Any]) -> None:
    check_generator_case(src, args, opts)


@pytest.mark.parametrize("src, args, opts", GENERATOR_CASES + COROUTINE_CASES + ASYNC_GENERATOR_CASES)
def test_cases_with_everything_compiled(src: str, args: Any, opts: dict[str, Any]) -> None:
    """The same cases in global mode (every function compiled at its first call): SEND
    to a compiled delegate runs inline there, and generators made by direct calls."""
    src = textwrap.dedent(src)
    want = Program(src, (), "main").call(args, None)  # the interpreter
    pyjion.enable()
    pyjion.config(threshold=0)
    try:
        program = Program(src, (), "main")
        for n in range(3):
            got = program.call(args, None)
            assert got == want, f"call {n + 1}:\n  pyjion : {got.describe()}\n  cpython: {want.describe()}\n{src}"
    finally:
        pyjion.disable()


def test_references_balance_over_machine_code_resumption() -> None:
    """Each resumption by compiled FOR_ITER or SEND pushes a value the generator's
    frame owns (None for next()): None's count and the sent objects' come back."""
    src = """
    def gen(n):
        for i in range(n):
            yield i
    def relay(n, token):
        total = 0
        it = gen(n)
        for x in it:
            total += x
        return total + (yield from echo(n, token))
    def echo(n, token):
        for i in range(n):
            got = yield token
        return 0
    def run(n, token):
        r = relay(n, token)
        next(r)
        out = 0
        try:
            for i in range(n):
                r.send(token)
        except StopIteration as e:
            out = e.value
        return out
    """
    token = object()
    pyjion.enable()
    pyjion.config(threshold=0)
    try:
        run = fresh(src, "run")
        for _ in range(3):
            run(10, token)
        gc.collect()
        before = (sys.getrefcount(None), sys.getrefcount(token))
        assert run(10000, token) == sum(range(10000))
        gc.collect()
        after = (sys.getrefcount(None), sys.getrefcount(token))
    finally:
        pyjion.disable()
    assert abs(after[0] - before[0]) < 100, (before, after)
    assert after[1] == before[1]


# ---------------------------------------------------------------- frames others see


def test_gc_traverses_suspended_compiled_generator() -> None:
    """A cycle through a suspended generator's frame is found and collected."""
    f = pyjion.jit(fresh("""
        def f(box):
            me = box
            yield 1
            yield me
        """))

    class Box:
        pass

    import weakref
    box = Box()
    g = f(box)
    next(g)
    box.g = g  # box -> g -> frame local `me` -> box
    ref = weakref.ref(box)
    del box, g
    gc.collect()
    assert ref() is None
    assert pyjion.info(f).compiled


def test_traceback_through_yield_from_chain() -> None:
    src = """
        def leaf():
            yield 1
            raise ValueError("leaf")
        def middle():
            yield from leaf()
        def f():
            yield from middle()
        """
    pair = DiffPair(textwrap.dedent(src), ("f", "middle", "leaf"), "f")
    frames = []
    for program in (pair.jitted, pair.plain):
        try:
            list(program.entry())
        except ValueError as e:
            import traceback
            frames.append([(fs.name, fs.lineno) for fs in traceback.extract_tb(e.__traceback__)][-3:])
    assert frames[0] == frames[1] == [("f", 8), ("middle", 6), ("leaf", 4)]
    pair.assert_compiled()


def test_settrace_inside_compiled_generator() -> None:
    """Line events for a generator's body match the interpreter's, both when tracing
    is on from the start and when it starts while the generator is suspended."""
    src = textwrap.dedent("""
        def f(n):
            for i in range(n):
                x = i * 2
                yield x
            return n
        """)

    def events(func: Any, start_late: bool) -> list[tuple[str, int]]:
        seen: list[tuple[str, int]] = []

        def tracer(frame: Any, event: str, arg: Any) -> Any:
            if frame.f_code is func.__code__:
                seen.append((event, frame.f_lineno))
            return tracer

        g = func(3)
        if start_late:
            next(g)
        sys.settrace(tracer)
        try:
            list(g)
        finally:
            sys.settrace(None)
        return seen

    jitted = pyjion.jit(fresh(src))
    plain = fresh(src)
    for start_late in (False, True):
        assert events(jitted, start_late) == events(plain, start_late)
    assert pyjion.info(jitted).compiled


def test_generator_resumed_after_evaluator_ran_it() -> None:
    """A generator created and advanced in the evaluator (pyjion off) continues in
    compiled code when resumed with pyjion on, and vice versa."""
    src = """
        def f(n):
            for i in range(n):
                yield i
        """
    f = fresh(src)
    g = f(6)
    first = [next(g), next(g)]  # interpreter: not marked yet
    pyjion.jit(f)
    h = f(6)
    assert next(h) == 0
    assert first + list(g) == list(range(6))
    assert pyjion.info(f).compiled
    pyjion.disable()
    try:
        assert list(h) == [1, 2, 3, 4, 5]
    finally:
        pyjion.jit(f)  # opt-in mode back on for the tests after this one


def test_generator_stats_and_info() -> None:
    before = pyjion.stats()
    f = pyjion.jit(fresh("def f():\n    yield 1\n"))
    assert list(f()) == [1]
    after = pyjion.stats()
    assert after["generators_seen"] == before["generators_seen"] + 1
    assert after["generators_compiled"] == before["generators_compiled"] + 1
    assert after["functions_seen"] == before["functions_seen"]
    assert "compiled" in str(pyjion.info(f))


def test_coroutine_origin_tracking() -> None:
    """sys.set_coroutine_origin_tracking_depth records where a compiled coroutine was
    created, as the interpreter does."""
    src = textwrap.dedent("""
        async def f():
            return 1
        def make():
            return f()
        """)
    origins = []
    for jit in (True, False):
        ns: dict[str, Any] = {}
        exec(compile(src, "<origin>", "exec"), ns)
        if jit:
            pyjion.jit(ns["f"])
        sys.set_coroutine_origin_tracking_depth(2)
        try:
            c = ns["make"]()
        finally:
            sys.set_coroutine_origin_tracking_depth(0)
        origins.append(c.cr_origin)
        c.close()
    assert origins[0] == origins[1]
    assert origins[0][0][2] == "make"


def test_finished_delegates_released_by_send() -> None:
    """A coroutine or generator that SEND (or compiled code) releases finished is freed
    with what it holds: weak references to it fire, its origin record and name are
    released, and one with a weak reference takes CPython's own deallocation."""
    import weakref
    src = textwrap.dedent("""
        import weakref
        fired = []
        async def leaf(x):
            return x + 1
        def tracked(d, keep, i):
            keep.append(weakref.ref(d, lambda r, i=i: fired.append(i)))
            return d
        async def awaits_leaves(n, keep):
            total = 0
            for i in range(n):
                if i % 3 == 0:
                    total += await tracked(leaf(i), keep, i)
                else:
                    total += await leaf(i)  # only SEND holds it: freed there
            return total
        def inner(i):
            yield i
            return i * 2
        def g(n, keep):
            total = 0
            for i in range(n):
                if i % 2:
                    total += yield from tracked(inner(i), keep, -i)
                else:
                    total += yield from inner(i)
            return total
        def h(n, keep):
            total = 0
            for i in range(n):
                it = tracked(inner(i), keep, 100 + i) if i % 4 == 0 else inner(i)
                for v in it:
                    total += v
                it = None  # finished: freed by compiled code
                total += sum(x for x in inner(i))
            return total
        def run(n):
            keep = []
            hs = h(n, keep)
            c = awaits_leaves(n, keep)
            try:
                c.send(None)
            except StopIteration as e:
                a = e.value
            b = list(g(n, keep))
            try:
                gen = g(n, keep)
                while True:
                    next(gen)
            except StopIteration as e:
                b.append(e.value)
            return a, b, hs, sorted(fired), [r() for r in keep]
        """)
    results = []
    namespaces = []  # alive to the end: freeing one would release names too
    for jit in (True, False):
        ns: dict[str, Any] = {}
        namespaces.append(ns)
        exec(compile(src, "<finished>", "exec"), ns)
        if jit:
            pyjion.jit(ns["awaits_leaves"])
            pyjion.jit(ns["g"])
            pyjion.jit(ns["h"])
        # Each origin record names the function that made the coroutine.
        name = ns["awaits_leaves"].__code__.co_name
        gc.collect()
        before = sys.getrefcount(name)
        sys.set_coroutine_origin_tracking_depth(3)
        try:
            for _ in range(3):
                out = ns["run"](40)
        finally:
            sys.set_coroutine_origin_tracking_depth(0)
        gc.collect()
        results.append((out, sys.getrefcount(name) - before))
        if jit:
            assert pyjion.info(ns["awaits_leaves"]).compiled and pyjion.info(ns["g"]).compiled
            assert pyjion.info(ns["awaits_leaves"]).exits == {} and pyjion.info(ns["g"]).exits == {}
    assert results[0] == results[1]
    assert results[0][1] == 0  # every origin record and name released


def test_generators_reused_from_the_free_list_start_afresh() -> None:
    """A finished generator that compiled code releases is kept for the next generator
    of its size (pyjion's free list); that one must behave as new, even when the kept
    object had been finalized by the GC in an earlier life: dropped unfinished, its
    finalizer still closes it (its finally block runs), and a coroutine made from a
    kept object still runs its own code."""
    src = textwrap.dedent("""
        import gc
        log = []
        resurrected = None
        class Holder:
            def __del__(self):
                global resurrected
                resurrected = self.g
        def gen(tag):
            try:
                yield 1
                yield 2
            finally:
                log.append(tag)
        def finalized_then_released():
            global resurrected
            g = gen("first")
            for _ in g:
                pass
            h = Holder()
            h.g = g
            h.me = h
            g = h = None
            gc.collect()  # finalizes g (a cycle's garbage); __del__ brings g back
            r = resurrected
            resurrected = None
            kept = id(r)
            r = None  # finished, released by compiled code: kept for reuse
            return kept
        def started_and_dropped():
            g = gen("second")
            made = id(g)
            first = next(g)
            g = None  # unfinished: its finalizer must close it
            return made, first
        async def coro(x):
            return x * 2
        async def twice(n):
            total = 0
            for i in range(n):
                total += await coro(i)
            return total
        def run():
            kept = finalized_then_released()
            made, first = started_and_dropped()
            c = twice(50)
            try:
                c.send(None)
            except StopIteration as e:
                total = e.value
            return kept == made, first, list(log), total
        """)
    results = []
    for jit in (True, False):
        ns: dict[str, Any] = {}
        exec(compile(src, "<free-list>", "exec"), ns)
        if jit:
            for name in ("gen", "finalized_then_released", "started_and_dropped", "coro", "twice"):
                pyjion.jit(ns[name])
        results.append(ns["run"]())
    assert results[0] == (True, 1, ["first", "second"], 2450)  # compiled: the object was reused
    assert results[1][1:] == results[0][1:]


def test_await_in_asyncio_task_cancellation() -> None:
    src = textwrap.dedent("""
        import asyncio
        async def f(log):
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                log.append("cancelled")
                raise
        async def main(log):
            t = asyncio.ensure_future(f(log))
            await asyncio.sleep(0)
            t.cancel()
            try:
                await t
            except asyncio.CancelledError:
                log.append("main saw it")
            return log
        """)
    results = []
    for jit in (True, False):
        ns: dict[str, Any] = {}
        exec(compile(src, "<cancel>", "exec"), ns)
        if jit:
            pyjion.jit(ns["f"])
        results.append(asyncio.run(ns["main"]([])))
    assert results[0] == results[1] == ["cancelled", "main saw it"]
