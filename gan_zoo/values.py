"""Plain values, one helper each: whether something is a number, nested dicts as flat ones,
and keyword options bound to the functions that take them."""

import inspect
import numbers
from collections.abc import Callable


def is_number(value, integer: bool = False) -> bool:
    """Whether `value` is a real number (an integral one with `integer`), numpy's included.
    A bool is not: `True` would otherwise pass as 1 for a count or a weight."""
    kind = numbers.Integral if integer else numbers.Real
    return isinstance(value, kind) and not isinstance(value, bool)


def flatten(tree, separator: str = ".", prefix: str = "") -> dict:
    """{"a": {"b": 1}} -> {"a.b": 1}: every leaf under its path, keys joined by `separator`.
    Anything with `items()` (a dict, an ml_collections.ConfigDict) is a branch."""
    flat = {}
    for key, value in tree.items():
        if hasattr(value, "items"):
            flat.update(flatten(value, separator, f"{prefix}{key}{separator}"))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def keyword_options(fn: Callable, skip: int) -> dict:
    """{name: default} of `fn`'s parameters after its first `skip` (its options)."""
    parameters = list(inspect.signature(fn).parameters.values())[skip:]
    return {p.name: p.default for p in parameters}


def bind_options(functions: dict, options: dict, what: str, owner: str) -> dict:
    """{name: fn(*args) with the `options` it takes} of `functions` ({name: (fn, number of
    leading arguments that are not options)}). An option that none of them takes is a
    ValueError: "`what` [...] are not options of `owner`; the options are [...]"."""
    taken = {name: keyword_options(fn, skip) for name, (fn, skip) in functions.items()}
    known = sorted({option for mine in taken.values() for option in mine})
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ValueError(f"{what} {unknown} are not options of {owner}; the options are {known}.")

    def bound(fn, mine):
        given = {k: v for k, v in options.items() if k in mine}
        return lambda *args: fn(*args, **given)

    return {name: bound(fn, taken[name]) for name, (fn, _) in functions.items()}
