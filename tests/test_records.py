"""flowlint.records.NamedTuple behaves as typing.NamedTuple where flowlint relies on it: fields
and defaults, methods and properties, _replace, equality, hashing, pickling (results travel
back from worker processes), and the refusal of a field without a default after one with."""

from __future__ import annotations

import pickle
import typing

import pytest

from flowlint.findings import Span
from flowlint.records import NamedTuple


class Point(NamedTuple):
    """A point."""

    x: int
    y: int = 0
    label: str = ""

    @property
    def norm1(self) -> int:
        return abs(self.x) + abs(self.y)

    def moved(self, dx: int) -> Point:
        return self._replace(x=self.x + dx)


class TypingPoint(typing.NamedTuple):
    x: int
    y: int = 0
    label: str = ""


def test_it_is_the_tuple_typing_would_make() -> None:
    ours, theirs = Point(1, 2), TypingPoint(1, 2)
    assert tuple(ours) == tuple(theirs) == (1, 2, "")
    assert Point._fields == TypingPoint._fields
    assert Point._field_defaults == TypingPoint._field_defaults
    assert list(Point.__annotations__) == list(TypingPoint.__annotations__)
    assert repr(ours) == "Point(x=1, y=2, label='')"
    assert Point.__doc__ == "A point." and Point.__module__ == __name__
    assert Point.__qualname__ == "Point"


def test_methods_properties_and_replace() -> None:
    point = Point(-3, 4, "a")
    assert point.norm1 == 7 and point.moved(3) == Point(0, 4, "a")
    assert point._replace(label="b").label == "b"
    with pytest.raises(ValueError):
        point._replace(z=1)
    x, y, label = point
    assert (x, y, label) == (-3, 4, "a")


def test_equality_hashing_and_pickling() -> None:
    assert Point(1) == Point(1, 0, "") and hash(Point(1)) == hash(Point(1, 0, ""))
    assert {Point(1): "a"}[Point(1)] == "a"
    for value in (Point(5, 6, "p"), Span(3, 9)):
        assert pickle.loads(pickle.dumps(value)) == value
        assert type(pickle.loads(pickle.dumps(value))) is type(value)


def test_a_field_without_a_default_after_one_with_is_refused() -> None:
    with pytest.raises(TypeError, match="without a default follows"):
        class Broken(NamedTuple):   # noqa: F841 - the class statement is the test
            a: int = 1
            b: int
