"""A quick yes for data that a JSON Schema surely accepts, without loading jsonschema.

jsonschema takes about 50 ms to import, and every run that finds a config file validates it:
with a config, a warm run or a one-file pre-commit run spent most of its time loading the
validator for a file that was fine. `surely_valid` understands the few keywords flowlint's
own schemas use and answers True only when the data meets every one of them; anything else
(a keyword it does not know, a value of an unusual type, a failed check) is False, and the
caller asks jsonschema, which decides and describes the errors. It never accepts what
jsonschema refuses (tests/test_schema_subset.py compares them on generated configs).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache

from flowlint.records import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

# Keywords that only describe: they never make data invalid.
_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description", "x-expected"})
_TYPES: dict[str, type] = {"object": dict, "array": list, "string": str, "integer": int}


def surely_valid(data: object, schema: Mapping[str, Any]) -> bool:
    """True only if `data` meets `schema` (whose `$ref`s point into its own `$defs`)."""
    return _meets(data, schema, schema)


def _meets(data: object, schema: Mapping[str, Any], root: Mapping[str, Any]) -> bool:
    for keyword, value in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        check = _CHECKS.get(keyword)
        if check is None or not check(data, value, schema, root):
            return False
    return True


def _type(data: object, name: object, _schema: Mapping[str, Any], _root: Mapping[str, Any]
          ) -> bool:
    # Exact types: a bool is not an integer here, nor 1.0 (jsonschema takes 1.0 as one: a
    # False only sends it to jsonschema).
    return isinstance(name, str) and type(data) is _TYPES.get(name)


def _properties(data: object, properties: Mapping[str, Any], _schema: Mapping[str, Any],
                root: Mapping[str, Any]) -> bool:
    if type(data) is not dict:
        return True   # applies to objects only
    return all(key not in data or _meets(data[key], subschema, root)
               for key, subschema in properties.items())


def _additional(data: object, additional: object, schema: Mapping[str, Any],
                root: Mapping[str, Any]) -> bool:
    if type(data) is not dict:
        return True
    extra = [key for key in data if key not in schema.get("properties", {})]
    if additional is False:
        return not extra
    if additional is True:
        return True
    return isinstance(additional, Mapping) and all(
        _meets(data[key], additional, root) for key in extra)


def _property_names(data: object, names: Mapping[str, Any], _schema: Mapping[str, Any],
                    root: Mapping[str, Any]) -> bool:
    return type(data) is not dict or all(_meets(key, names, root) for key in data)


def _items(data: object, items: Mapping[str, Any], _schema: Mapping[str, Any],
           root: Mapping[str, Any]) -> bool:
    return type(data) is not list or all(_meets(item, items, root) for item in data)


def _enum(data: object, options: list, _schema: Mapping[str, Any],
          _root: Mapping[str, Any]) -> bool:
    # Same type and equal: True == 1 in Python, not in JSON Schema.
    return any(type(data) is type(option) and data == option for option in options)


def _pattern(data: object, pattern: str, _schema: Mapping[str, Any],
             _root: Mapping[str, Any]) -> bool:
    return type(data) is not str or _compiled(pattern).search(data) is not None


def _min_length(data: object, least: int, _schema: Mapping[str, Any],
                _root: Mapping[str, Any]) -> bool:
    return type(data) is not str or len(data) >= least   # code points, as JSON Schema counts


def _minimum(data: object, least: int, _schema: Mapping[str, Any],
             _root: Mapping[str, Any]) -> bool:
    if type(data) is bool:
        return False   # not a number to JSON Schema: jsonschema decides
    return not isinstance(data, (int, float)) or data >= least


def _ref(data: object, reference: str, _schema: Mapping[str, Any],
         root: Mapping[str, Any]) -> bool:
    prefix = "#/$defs/"
    if not reference.startswith(prefix):
        return False
    target = root.get("$defs", {}).get(reference[len(prefix):])
    return isinstance(target, Mapping) and _meets(data, target, root)


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_CHECKS: dict[str, Callable[[object, Any, Mapping[str, Any], Mapping[str, Any]], bool]] = {
    "type": _type, "properties": _properties, "additionalProperties": _additional,
    "propertyNames": _property_names, "items": _items, "enum": _enum, "pattern": _pattern,
    "minLength": _min_length, "minimum": _minimum, "$ref": _ref,
}
