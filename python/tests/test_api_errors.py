"""Bad input to the API: wrong types and values raise and change nothing."""
from __future__ import annotations

import functools
import types
from typing import Any

import pytest

import pyjion
from pyjion import _pyjion
from support import fresh

BAD_CONFIG = [
    # threshold
    ({"threshold": "1"}, TypeError), ({"threshold": 1.5}, TypeError), ({"threshold": True}, TypeError),
    ({"threshold": False}, TypeError), ({"threshold": -1}, ValueError), ({"threshold": []}, TypeError),
    ({"threshold": 2**100}, (ValueError, OverflowError)), ({"threshold": -(2**100)}, (ValueError, OverflowError)),
    ({"threshold": object()}, TypeError), ({"threshold": b"1"}, TypeError),
    # max_code_bytes
    ({"max_code_bytes": "1"}, TypeError), ({"max_code_bytes": 0}, ValueError), ({"max_code_bytes": -5}, ValueError),
    ({"max_code_bytes": 1.0}, TypeError), ({"max_code_bytes": True}, TypeError), ({"max_code_bytes": 2**100}, (ValueError, OverflowError)),
    ({"max_code_bytes": float("inf")}, TypeError), ({"max_code_bytes": [1]}, TypeError),
    # hook_only
    ({"hook_only": 1}, TypeError), ({"hook_only": 0}, TypeError), ({"hook_only": "yes"}, TypeError), ({"hook_only": "False"}, TypeError),
    ({"hook_only": []}, TypeError), ({"hook_only": 1.0}, TypeError), ({"hook_only": object()}, TypeError),
    # unknown names
    ({"thresh": 1}, TypeError), ({"max_code_size": 1}, TypeError), ({"enabled": True}, TypeError),
    # one good value with one bad: nothing at all changes
    ({"threshold": 7, "hook_only": 1}, TypeError), ({"threshold": 7, "max_code_bytes": -1}, ValueError),
    ({"max_code_bytes": 4096, "threshold": "x"}, TypeError), ({"hook_only": True, "threshold": -3}, ValueError),
    ({"threshold": 7, "max_code_bytes": 2**100}, (ValueError, OverflowError)),
    ({"hook_only": True, "bogus": 1}, TypeError),
]


@pytest.mark.parametrize("kwargs, exc", [pytest.param(k, e, id=repr(k)[:60]) for k, e in BAD_CONFIG])
def test_bad_config_raises_and_changes_nothing(kwargs: dict[str, Any], exc: Any) -> None:
    before = pyjion.config()
    enabled = pyjion.is_enabled()
    with pytest.raises(exc):
        pyjion.config(**kwargs)
    assert pyjion.config() == before
    assert pyjion.is_enabled() == enabled
    # and the JIT still works with the old settings
    f = pyjion.jit(fresh("def f(n):\n    t = 0\n    for i in range(n):\n        t += i\n    return t\n"))
    assert f(10) == 45
    assert pyjion.info(f).compiled


def test_config_positional_arguments() -> None:
    before = pyjion.config()
    with pytest.raises(TypeError):
        pyjion.config(1, None, False, 4)  # type: ignore[call-arg]
    assert pyjion.config() == before


def test_config_none_means_unchanged() -> None:
    before = pyjion.config()
    assert pyjion.config(threshold=None, hook_only=None) == before


def test_hook_only_really_compiles_nothing() -> None:
    saved = pyjion.config()
    try:
        pyjion.config(hook_only=True)
        f = pyjion.jit(fresh("def f(n):\n    return n + 1\n"))
        assert f(1) == 2
        assert not pyjion.info(f).compiled
    finally:
        pyjion.config(hook_only=saved["hook_only"])
    assert pyjion.config() == saved


@pytest.mark.parametrize(
    "settings",
    [
        5, None, "threshold", [], {}, {"threshold": 1},
        {"threshold": "x", "max_code_bytes": None, "hook_only": False},
        {"threshold": 1, "max_code_bytes": "x", "hook_only": False},
        {"threshold": 1, "max_code_bytes": None, "hook_only": 3},
        {"threshold": -1, "max_code_bytes": None, "hook_only": False},
        {"threshold": 1, "max_code_bytes": -1, "hook_only": False},
        {"threshold": 2**100, "max_code_bytes": None, "hook_only": False},
        {"threshold": 1, "max_code_bytes": None, "hook_only": False, "extra": 1},
    ],
    ids=repr,
)
def test_native_set_config_rejects_bad_settings(settings: Any) -> None:
    """The private native layer, if the Python layer is bypassed: a bad settings dict
    is refused, or (extra keys, truthy hook_only) coerced into a valid configuration;
    never a crash or an invalid configuration."""
    before = pyjion.config()
    try:
        _pyjion.set_config(settings)
    except (TypeError, ValueError, OverflowError):
        assert pyjion.config() == before
        return
    got = pyjion.config()
    pyjion.config(threshold=before["threshold"], max_code_bytes=before["max_code_bytes"], hook_only=before["hook_only"])
    assert pyjion.config() == before
    assert set(got) == {"threshold", "max_code_bytes", "hook_only"}, got
    assert type(got["threshold"]) is int and got["threshold"] >= 0, got
    assert got["max_code_bytes"] is None or (type(got["max_code_bytes"]) is int and got["max_code_bytes"] > 0), got
    assert type(got["hook_only"]) is bool, got


class K:
    def m(self) -> int:
        return 1

    @staticmethod
    def s() -> int:
        return 2

    @classmethod
    def c(cls) -> int:
        return 3


def gen() -> Any:
    yield 1


NOT_FUNCTIONS = [
    1, "f", b"f", 1.5, [], {}, object(), len, print, K, K(), K().m, K.s.__get__(None, K) if False else staticmethod(K.s),
    classmethod(K.c), functools.partial(lambda x: x, 1), gen(), types, property(lambda self: 1), type, int.__add__, (1).__add__,
]
NOT_FUNCTIONS_IDS = [type(o).__name__ for o in NOT_FUNCTIONS]


@pytest.mark.parametrize("bad", [o for o in NOT_FUNCTIONS if not isinstance(o, types.MethodType)],
                         ids=[i for o, i in zip(NOT_FUNCTIONS, NOT_FUNCTIONS_IDS) if not isinstance(o, types.MethodType)])
def test_jit_rejects(bad: Any) -> None:
    with pytest.raises(TypeError):
        pyjion.jit(bad)


def test_jit_rejects_bound_method_with_hint() -> None:
    with pytest.raises(TypeError, match="bound method"):
        pyjion.jit(K().m)


def test_jit_extra_arguments() -> None:
    f = fresh("def f():\n    return 1\n")
    with pytest.raises(TypeError):
        pyjion.jit(f, f)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        pyjion.jit(f=f, g=1)  # type: ignore[call-arg]


INFO_BAD = [o for o in NOT_FUNCTIONS if not isinstance(o, types.MethodType)] + [None]


@pytest.mark.parametrize("bad", INFO_BAD, ids=[type(o).__name__ for o in INFO_BAD])
def test_info_rejects(bad: Any) -> None:
    with pytest.raises(TypeError):
        pyjion.info(bad)


@pytest.mark.parametrize("bad", INFO_BAD, ids=[type(o).__name__ for o in INFO_BAD])
def test_dis_native_rejects(bad: Any) -> None:
    with pytest.raises(TypeError):
        pyjion.dis_native(bad)


def test_info_and_dis_native_accept_builtin_bound_method_no() -> None:
    """A bound method of a builtin (no __func__ Python function) is rejected."""
    with pytest.raises(TypeError):
        pyjion.info([].append)
    with pytest.raises(TypeError):
        pyjion.dis_native([].append)


@pytest.mark.parametrize("name", ["info", "mark_jit", "dis_native"])
@pytest.mark.parametrize("bad", [None, 1, "code", len, K, fresh("def f():\n    pass\n")], ids=["None", "int", "str", "builtin", "class", "function"])
def test_native_functions_reject_non_code(name: str, bad: Any) -> None:
    with pytest.raises(TypeError):
        getattr(_pyjion, name)(bad)


def test_native_functions_wrong_arity() -> None:
    code = fresh("def f():\n    pass\n").__code__
    for name in ("info", "mark_jit", "dis_native"):
        with pytest.raises(TypeError):
            getattr(_pyjion, name)()
        with pytest.raises(TypeError):
            getattr(_pyjion, name)(code, code)
    for name in ("enable", "disable", "is_enabled", "stats", "get_config"):
        with pytest.raises(TypeError):
            getattr(_pyjion, name)(1)


def test_stats_result_is_a_copy() -> None:
    s = pyjion.stats()
    s["compiled"] = -1
    s["decline_reasons"]["x"] = 1
    s2 = pyjion.stats()
    assert s2["compiled"] != -1 or s2["compiled"] >= 0
    assert "x" not in s2["decline_reasons"]


def test_threshold_beyond_ssize_t_is_a_value_error() -> None:
    before = pyjion.config()
    with pytest.raises(ValueError, match="at most"):
        pyjion.config(threshold=2**100)
    with pytest.raises(ValueError, match="at most"):
        pyjion.config(max_code_bytes=2**64)
    assert pyjion.config() == before
