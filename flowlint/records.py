"""Records: the value classes a `typing.NamedTuple` cannot be.

flowlint's value types are NamedTuples, not dataclasses. Python builds a dataclass when its
module is imported by writing and compiling the source of each generated method; that cost
about 0.5 ms a class here, 30 ms of every start for flowlint's classes, which is a third of
checking one file. A NamedTuple is built in a tenth of that.

A few values cannot be tuples: one field must stay out of comparisons (a finding's detail, a
config's read-only options), a property is computed once and kept (`cached_property` needs an
instance dictionary), or the value changes after it is made (a file's result as rules add to
it). Those subclass `Record` and write their own `__init__`; `_fields` names the fields in
`__init__` order (as a NamedTuple's do) and `_compared` the ones equality and hashing read.
"""

from __future__ import annotations

from collections import namedtuple

TYPE_CHECKING = False   # `typing` itself costs a plain check ~3 ms to import: see NamedTuple
if TYPE_CHECKING:
    from typing import Any, ClassVar, TypeVar

    _R = TypeVar("_R", bound="Record")


class Record:
    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _compared: ClassVar[tuple[str, ...] | None] = None   # None: every field

    def _values(self) -> tuple[Any, ...]:
        names = self._fields if self._compared is None else self._compared
        return tuple(getattr(self, name) for name in names)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()   # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({shown})"

    def _replace(self: _R, **changes: Any) -> _R:
        """A copy with some fields changed, as NamedTuple._replace."""
        unknown = set(changes) - set(self._fields)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {sorted(unknown)[0]!r}")
        values = {name: getattr(self, name) for name in self._fields}
        values.update(changes)
        return type(self)(**values)


class MutableRecord(Record):
    """A record whose fields change after it is made: compared, never hashed."""

    __slots__ = ()
    __hash__ = None   # type: ignore[assignment]


# `class Span(NamedTuple): start: int ...`, as with typing.NamedTuple, which type checkers see
# here; at run time the class is made by collections.namedtuple without importing `typing`
# (3 ms of every start, and each typing.NamedTuple class costs twice a namedtuple). Every
# NamedTuple in flowlint comes from here (tests/test_imports.py holds to it).
if TYPE_CHECKING:
    from typing import NamedTuple as NamedTuple
else:
    class _NamedTupleMaker(type):
        # What the class body may hold besides fields and their defaults.
        _KEPT = frozenset({"__module__", "__qualname__", "__annotations__", "__doc__",
                           "__slots__", "__orig_bases__"})

        def __new__(mcs, name: str, bases: tuple, namespace: dict) -> type:
            if namespace.pop("_base", False):   # NamedTuple itself
                return super().__new__(mcs, name, bases, namespace)
            fields = tuple(namespace.get("__annotations__", {}))
            defaults = [namespace[field] for field in fields if field in namespace]
            with_default = [field in namespace for field in fields]
            if with_default != sorted(with_default):   # as typing.NamedTuple refuses it
                raise TypeError(f"{name}: a field without a default follows one with a "
                                f"default")
            made = namedtuple(name, fields, defaults=defaults,
                              module=namespace.get("__module__"))
            made.__qualname__ = namespace.get("__qualname__", name)
            made.__annotations__ = dict(namespace.get("__annotations__", {}))
            if namespace.get("__doc__"):
                made.__doc__ = namespace["__doc__"]
            for key, value in namespace.items():
                if key not in fields and key not in mcs._KEPT:
                    setattr(made, key, value)   # methods, properties, class constants
            return made

    class NamedTuple(metaclass=_NamedTupleMaker):
        _base = True
