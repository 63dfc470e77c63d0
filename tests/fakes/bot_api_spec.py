"""The published Bot API as a request checker: does Telegram accept this request as sent?

The spec is ``tests/bot_api_spec/telegram-bot-api.json`` (see the README there), loaded once.
:func:`check_request` takes one request as it arrived over HTTP and returns what is wrong with
it, one sentence per problem, each starting with the method's name:

- the method exists (names are case-insensitive, as in Telegram's URLs);
- every parameter, and every file part not referenced by ``attach://``, is one of the method's;
- every required parameter is present (as a form field or a file part);
- every value has one of the documented types, objects and arrays checked all the way down:
  an object's fields must be the type's own (none unknown, the required ones present), a union
  (``InlineKeyboardMarkup or ReplyKeyboardMarkup``, a type with ``subtypes``) takes any of its
  members, and a ``type`` field documented as "must be photo" must say ``photo``.

Values arrive as aiogram sends them: form fields are text (``"42"``, ``"true"``, objects and
arrays as JSON text), files are multipart parts named by the parameter itself or referenced by
an ``attach://<part>`` string. A JSON request body (the tests' own helper) carries native values.
So ``Integer``, ``Float`` and ``Boolean`` take the native value or its text, anywhere (Telegram
reads both); ``String`` takes text only; an object or an array is JSON text at the top level
and native inside JSON. ``InputFile`` is a file part or an ``attach://`` reference; a plain
string (file_id, URL) only where ``String`` is documented beside it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).resolve().parents[1] / "bot_api_spec" / "telegram-bot-api.json"
ATTACH = "attach://"
ARRAY = "Array of "
INTEGER = re.compile(r"-?\d+")
NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
# "Type of the media, must be photo" / "Type of the message origin, always "user""
CONSTANT = re.compile(r", (?:must be|always) \"?([a-z0-9_]+)\"?$")
DISCRIMINATORS = frozenset({"type", "source", "status"})
Problems = list[str]


@functools.cache
def spec() -> dict[str, Any]:
    """The whole spec: ``version``, ``methods`` and ``types`` by name."""
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


@functools.cache
def _methods() -> dict[str, dict[str, Any]]:
    return {name.lower(): method for name, method in spec()["methods"].items()}


def is_method(name: str) -> bool:
    """Whether the Bot API has a method of this name (in any letter case)."""
    return name.lower() in _methods()


def check_request(
    method_name: str, params: Mapping[str, Any], files: Mapping[str, Any]
) -> list[str]:
    """Every way this request breaks the published Bot API; ``[]`` when Telegram accepts it."""
    method = _methods().get(method_name.lower())
    if method is None:
        return [f"{method_name}: no such method in {spec()['version']}"]
    fields = {f["name"]: f for f in method.get("fields", [])}
    values = _Values(files)
    problems = [f"unknown parameter {key!r}" for key in params if key not in fields]
    problems += [
        f"missing required parameter {name!r}"
        for name, f in fields.items()
        if f["required"] and name not in params and name not in files
    ]
    for key, value in params.items():
        if key in fields:
            problems += values.check(value, fields[key]["types"], key, form=True)
    for key in files:
        if key in fields and "InputFile" not in fields[key]["types"]:
            problems.append(f"{key}: a file part where {_either(fields[key]['types'])} is due")
        elif key not in fields and key not in values.attached:
            problems.append(f"file part {key!r} is neither a parameter nor attach://-ed")
    return [f"{method['name']}: {p}" for p in problems]


def check_object(value: Any, type_name: str) -> list[str]:
    """Every way ``value``, native JSON, breaks the spec's type ``type_name`` (``[]``: none).

    For what the fake itself shows the bot: a message, an update, an Animation…
    """
    return _Values({}).check(value, [type_name], type_name)


class _Values:
    """Type checks of one request's values; remembers which file parts were referenced."""

    def __init__(self, files: Mapping[str, Any]) -> None:
        self.files = files
        self.attached: set[str] = set()

    def check(self, value: Any, types: list[str], path: str, form: bool = False) -> Problems:
        """Problems of ``value`` against alternatives ``types`` (``[]``: one of them fits).

        ``form``: a top-level form field, where objects and arrays come as JSON text.
        """
        arrays = [t for t in types if t.startswith(ARRAY)]
        if len(arrays) > 1:  # sendMediaGroup's media: one array whose items may mix the kinds
            items = " or ".join(t.removeprefix(ARRAY) for t in arrays)
            types = [t for t in types if t not in arrays] + [ARRAY + items]
        fitting = []
        for name in types:
            shaped, problems = self._one(value, name, path, form)
            if shaped and not problems:
                return []
            if shaped:
                fitting.append(problems)
        if fitting:  # right shape, wrong content: the closest alternative says what is wrong
            return min(fitting, key=len)
        return [f"{path}: expected {_either(types)}, got {_show(value)}"]

    def _one(self, value: Any, name: str, path: str, form: bool) -> tuple[bool, Problems]:
        """(whether ``value`` has the shape of type ``name``, what is wrong inside it)."""
        if name in ("Integer", "Float", "Float number", "Boolean"):
            return _scalar(value, name), []
        if name == "String":
            return isinstance(value, str), self._attachment(value, path)
        if name == "InputFile":
            is_reference = isinstance(value, str) and value.startswith(ATTACH)
            return is_reference, self._attachment(value, path) if is_reference else []
        if form and isinstance(value, str):  # objects and arrays come as JSON text
            try:
                value = json.loads(value)
            except ValueError:
                return False, []
        if name.startswith(ARRAY):
            if not isinstance(value, list):
                return False, []
            items = name.removeprefix(ARRAY).split(" or ")
            return True, [
                p for i, v in enumerate(value) for p in self.check(v, items, f"{path}[{i}]")
            ]
        kind = spec()["types"].get(name)
        if kind is None:
            return False, [f"{path}: the spec names no type {name!r}"]
        if "subtypes" in kind:
            problems = self.check(value, kind["subtypes"], path)
            return not problems or isinstance(value, dict), problems
        if not isinstance(value, dict):
            return False, []
        return True, self._fields(value, kind, path)

    def _fields(self, value: dict[str, Any], kind: dict[str, Any], path: str) -> Problems:
        fields = {f["name"]: f for f in kind.get("fields", [])}
        problems = [
            f"{path}: unknown field {key!r} in {kind['name']}"
            for key in value
            if key not in fields
        ]
        problems += [
            f"{path}: missing required field {name!r} of {kind['name']}"
            for name, f in fields.items()
            if f["required"] and name not in value
        ]
        for key, item in value.items():
            if key not in fields:
                continue
            problems += self.check(item, fields[key]["types"], f"{path}.{key}")
            constant = _constant(fields[key])
            if constant is not None and item != constant:
                problems.append(
                    f"{path}.{key}: {kind['name']} needs {constant!r}, got {_show(item)}"
                )
        return problems

    def _attachment(self, value: Any, path: str) -> Problems:
        """An ``attach://<part>`` string must name a file part of the request."""
        if not (isinstance(value, str) and value.startswith(ATTACH)):
            return []
        part = value.removeprefix(ATTACH)
        self.attached.add(part)
        return [] if part in self.files else [f"{path}: {value!r} names no file part"]


def _scalar(value: Any, name: str) -> bool:
    """Numbers and booleans: native JSON, or text as a form field carries them."""
    if name == "Boolean":
        return isinstance(value, bool) or value in ("true", "false")
    if isinstance(value, bool):
        return False
    pattern, native = (INTEGER, (int,)) if name == "Integer" else (NUMBER, (int, float))
    return isinstance(value, native) or (
        isinstance(value, str) and pattern.fullmatch(value) is not None
    )


@functools.cache
def _constant_of(description: str) -> str | None:
    found = CONSTANT.search(description)
    return found.group(1) if found else None


def _constant(field: dict[str, Any]) -> str | None:
    """The one value a discriminating field (``type`` of ``InputMediaPhoto``…) may take."""
    if field["name"] not in DISCRIMINATORS or field["types"] != ["String"]:
        return None
    return _constant_of(field["description"])


def _either(types: list[str]) -> str:
    return " or ".join(types)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
