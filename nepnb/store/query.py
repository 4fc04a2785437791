"""The Neptune Query Language (NQL) of ``project.fetch_runs_table(query=...)``.

A query is parsed once with :func:`parse_query` and then tested against the fields of
each run with :meth:`Query.matches`. Only parsing raises; matching never does: a
missing field or a value of another type simply makes a condition false.

Grammar (keywords, function names and operator words are case-insensitive)::

    query      := [or_expr]                       empty text matches every run
    or_expr    := and_expr ("OR" and_expr)*
    and_expr   := not_expr ("AND" not_expr)*
    not_expr   := "NOT" not_expr | "(" or_expr ")" | condition
    condition  := field ("EXISTS" | "NOT" "EXISTS")
                | field ("=" | "==" | "!=" | "<" | "<=" | ">" | ">=") value
                | field ["NOT"] ("CONTAINS" | "MATCHES") value
    field      := "last" "(" attribute ")" | attribute
    attribute  := (`any path` | bare/path) [":" type]
    value      := "double-quoted string, \\" and \\\\ escaped" | bare_word

``x NOT CONTAINS v`` is ``NOT (x CONTAINS v)``; the same holds for ``MATCHES`` and
``EXISTS``. A value is read according to the field's type (the query's, or else the
stored field's): numbers (``-1.5e3``, ``NaN``, ``Infinity``, ``50MB``), booleans
(``true``/``False``), datetimes (ISO 8601, ``"2026-01-01"``, or relative to now such
as ``"-2h"``, ``"-3d"``, ``"-1M"``), run states (``running``/``active``,
``inactive``/``idle``) and text. Quoting a number does not make it text for a number
field (``> "0.9"`` is ``> 0.9``), but an unquoted number or boolean compared to a text
field of a query without a type is a type mismatch (``name = 5`` is false; write
``name = "5"`` or `` `name`:string = 5``).
"""

from __future__ import annotations

import calendar
import math
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from numbers import Real
from typing import Any

from nepnb.exceptions import NepnbError
from nepnb.store.field_types import FieldType

__all__ = ["EXAMPLE_QUERY", "FieldValue", "Query", "QuerySyntaxError", "parse_query"]

FieldValue = tuple[FieldType, Any]
"""A stored field as the query sees it: ``(type, value)``.

Series give their last value, a stringSet a collection of ``str``, a datetime a
timezone-aware :class:`~datetime.datetime`.
"""

EXAMPLE_QUERY = '(`sys/tags`:stringSet CONTAINS "best") AND (`metrics/acc`:floatSeries >= 0.9)'
"""A valid query, shown in every syntax error."""

_UTC = timezone.utc

# Operators, as stored in a condition ("==" is read as "=").
_EQ, _NE, _LT, _LE, _GT, _GE = "=", "!=", "<", "<=", ">", ">="
_CONTAINS, _MATCHES, _EXISTS = "CONTAINS", "MATCHES", "EXISTS"

_SYMBOL_OPERATORS = {"=": _EQ, "==": _EQ, "!=": _NE, "<": _LT, "<=": _LE, ">": _GT, ">=": _GE}
_SYMBOL_CHARS = frozenset("=!<>~")
_WORD_OPERATORS = frozenset({_CONTAINS, _MATCHES, _EXISTS})
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    _EQ: operator.eq,
    _NE: operator.ne,
    _LT: operator.lt,
    _LE: operator.le,
    _GT: operator.gt,
    _GE: operator.ge,
}

_ORDERED = frozenset({_EQ, _NE, _LT, _LE, _GT, _GE})
_EQUALITY = frozenset({_EQ, _NE})
_TEXT = _ORDERED | {_CONTAINS, _MATCHES}

_NUMERIC_TYPES = frozenset({FieldType.FLOAT, FieldType.INT, FieldType.FLOAT_SERIES})
_TEXT_TYPES = frozenset({FieldType.STRING, FieldType.STRING_SERIES, FieldType.ARTIFACT})
_TEXT_LIKE = _TEXT_TYPES | {FieldType.STRING_SET}

# The operators (besides EXISTS, which every type has) each field type supports.
_OPERATORS: dict[FieldType, frozenset[str]] = {
    FieldType.FLOAT: _ORDERED,
    FieldType.INT: _ORDERED,
    FieldType.FLOAT_SERIES: _ORDERED,
    FieldType.DATETIME: _ORDERED,
    FieldType.STRING: _TEXT,
    FieldType.STRING_SERIES: _TEXT,
    FieldType.ARTIFACT: _EQUALITY,
    FieldType.BOOL: _EQUALITY,
    FieldType.RUN_STATE: _EQUALITY,
    FieldType.STRING_SET: frozenset({_CONTAINS}),
}

# Type names: the FieldType values in any case, plus the names the Neptune client emits.
_TYPE_NAMES: dict[str, FieldType] = {t.value.lower(): t for t in FieldType}
_TYPE_NAMES.update({"integer": FieldType.INT, "boolean": FieldType.BOOL})

# How deep parentheses and NOTs may nest (well within Python's recursion limit).
_MAX_DEPTH = 100

_AGGREGATES = frozenset({"last", "min", "max", "average", "variance"})

_RUN_STATES = {
    "running": "running",
    "active": "running",
    "inactive": "inactive",
    "idle": "inactive",
}

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_INTEGER = re.compile(r"[+-]?\d{1,4000}", re.ASCII)
_SIZE = re.compile(
    r"(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(?P<unit>[kmgtp]i?b|b)", re.ASCII | re.I
)
_SIZE_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "pb": 10**15}
_SIZE_UNITS.update({"kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40, "pib": 2**50})
_SPECIAL_NUMBERS = {"nan": math.nan, "inf": math.inf, "infinity": math.inf}

_DATETIME = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"(?:[Tt ](?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?)?"
    r"\s*(?:(?P<utc>[Zz])|(?P<sign>[+-])(?P<offset_hours>\d{2})(?::?(?P<offset_minutes>\d{2}))?)?",
    re.ASCII,
)
_RELATIVE = re.compile(r"(?P<sign>[+-])\s*(?P<segments>(?:\d+\s*[A-Za-z]\s*)+)", re.ASCII)
_RELATIVE_SEGMENT = re.compile(r"(\d+)\s*([A-Za-z])", re.ASCII)
# Relative-time units; "M" is a calendar month and "m" a minute, the others ignore case.
_RELATIVE_UNITS = {"y": "years", "w": "weeks", "d": "days", "h": "hours", "s": "seconds"}


class QuerySyntaxError(NepnbError, ValueError):
    """An NQL query that cannot be parsed; the message points at the faulty spot."""

    code = "INVALID_QUERY"
    http_status = 400

    def __init__(self, reason: str, query: str, position: int) -> None:
        self.reason = reason
        self.query = query
        self.position = max(0, min(position, len(query)))
        super().__init__(self._describe())

    def _describe(self) -> str:
        start = self.query.rfind("\n", 0, self.position) + 1
        end = self.query.find("\n", self.position)
        line = self.query[start : len(self.query) if end < 0 else end]
        column = self.position - start
        # Keep tabs so the caret lines up however the terminal expands them.
        padding = "".join("\t" if char == "\t" else " " for char in line[:column])
        where = f"line {self.query.count(chr(10), 0, start) + 1}, " if "\n" in self.query else ""
        return (
            f"Invalid NQL query ({where}column {column + 1}): {self.reason}\n"
            f"  {line}\n"
            f"  {padding}^\n"
            f"Example of a valid query: {EXAMPLE_QUERY}"
        )


@dataclass(frozen=True)
class _Relative:
    """A time relative to now: ``sign`` times each ``(amount, unit)`` segment."""

    sign: int
    segments: tuple[tuple[int, str], ...]

    def resolve(self, now: datetime) -> datetime:
        months = 0
        delta = timedelta()
        for amount, unit in self.segments:
            if unit == "years":
                months += 12 * amount
            elif unit == "months":
                months += amount
            else:
                delta += timedelta(**{unit: amount})
        return _add_months(now, self.sign * months) + self.sign * delta


@dataclass(frozen=True)
class _Literal:
    """A value written in a query, with every reading of it worked out once."""

    text: str
    position: int
    quoted: bool
    number: int | float | None
    boolean: bool | None
    instant: datetime | _Relative | None
    run_state: str | None
    pattern: re.Pattern[str] | None

    @property
    def is_bare_scalar(self) -> bool:
        """Unquoted and a number or boolean: not text unless the query says the field is."""
        return not self.quoted and (self.number is not None or self.boolean is not None)

    def datetime_at(self, now: datetime) -> datetime | None:
        if isinstance(self.instant, _Relative):
            return self.instant.resolve(now)
        return self.instant


class _Node:
    """A node of the parsed query."""

    def evaluate(self, fields: Mapping[str, Any], now: datetime) -> bool:
        raise NotImplementedError

    def collect_paths(self, into: set[str]) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class _Condition(_Node):
    path: str
    field_type: FieldType | None
    op: str
    literal: _Literal | None
    last: bool = False

    def evaluate(self, fields: Mapping[str, Any], now: datetime) -> bool:
        try:
            return self._evaluate(fields, now)
        except Exception:  # Data of any shape must not make a query raise.
            return False

    def _evaluate(self, fields: Mapping[str, Any], now: datetime) -> bool:
        stored = _read_field(fields.get(self.path))
        if stored is None:
            return False
        field_type, value = stored
        if self.field_type is not None and field_type is not self.field_type:
            return False
        if self.last and not field_type.is_series:
            return False
        if self.op == _EXISTS:
            return True
        if self.op not in _OPERATORS.get(field_type, ()):
            return False
        assert self.literal is not None
        if self.field_type is None and field_type in _TEXT_LIKE and self.literal.is_bare_scalar:
            return False  # `name = 5` compares a string field to a number
        return _compare(field_type, self.op, value, self.literal, now)

    def collect_paths(self, into: set[str]) -> None:
        into.add(self.path)


@dataclass(frozen=True)
class _Not(_Node):
    operand: _Node

    def evaluate(self, fields: Mapping[str, Any], now: datetime) -> bool:
        return not self.operand.evaluate(fields, now)

    def collect_paths(self, into: set[str]) -> None:
        self.operand.collect_paths(into)


@dataclass(frozen=True)
class _And(_Node):
    operands: tuple[_Node, ...]

    def evaluate(self, fields: Mapping[str, Any], now: datetime) -> bool:
        return all(operand.evaluate(fields, now) for operand in self.operands)

    def collect_paths(self, into: set[str]) -> None:
        for operand in self.operands:
            operand.collect_paths(into)


@dataclass(frozen=True)
class _Or(_Node):
    operands: tuple[_Node, ...]

    def evaluate(self, fields: Mapping[str, Any], now: datetime) -> bool:
        return any(operand.evaluate(fields, now) for operand in self.operands)

    def collect_paths(self, into: set[str]) -> None:
        for operand in self.operands:
            operand.collect_paths(into)


class Query:
    """A parsed NQL query; build it with :func:`parse_query`."""

    __slots__ = ("_root", "_text")

    def __init__(self, root: _Node | None, text: str = "") -> None:
        self._root = root
        self._text = text

    @property
    def text(self) -> str:
        """The query as written."""
        return self._text

    def matches(self, fields: Mapping[str, FieldValue], *, now: datetime | None = None) -> bool:
        """Whether a run with these fields (path -> (type, value)) satisfies the query.

        ``now`` anchors relative datetimes such as ``"-2h"`` (default: the current time).
        """
        if self._root is None:
            return True
        if now is None:
            now = datetime.now(_UTC)
        elif now.tzinfo is None:
            now = now.replace(tzinfo=_UTC)
        return self._root.evaluate(fields, now)

    def paths(self) -> set[str]:
        """The field paths the query reads."""
        paths: set[str] = set()
        if self._root is not None:
            self._root.collect_paths(paths)
        return paths

    def __repr__(self) -> str:
        return f"parse_query({self._text!r})"


def parse_query(text: str) -> Query:
    """Parse an NQL query; empty or blank text gives a query that matches every run.

    Raises :class:`QuerySyntaxError` when the text is not a valid query.
    """
    if not text.strip():
        return Query(None, text)
    return Query(_Parser(text).parse(), text)


# --- parsing -------------------------------------------------------------------------------


def _is_path_char(char: str) -> bool:
    return char.isalnum() or char in "_/.-"


def _is_word_char(char: str) -> bool:
    return char.isalpha() or char == "_"


class _Parser:
    """A recursive-descent parser reading the query text character by character."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    # -- helpers

    def error(self, reason: str, position: int | None = None) -> QuerySyntaxError:
        return QuerySyntaxError(reason, self.text, self.pos if position is None else position)

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def at_end(self) -> bool:
        self.skip_space()
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def read_while(self, accept: Callable[[str], bool]) -> str:
        start = self.pos
        while self.pos < len(self.text) and accept(self.text[self.pos]):
            self.pos += 1
        return self.text[start : self.pos]

    def accept_keyword(self, keyword: str) -> bool:
        """Consume ``keyword`` (any case) if it comes next as a whole word."""
        self.skip_space()
        end = self.pos + len(keyword)
        if self.text[self.pos : end].upper() != keyword:
            return False
        if end < len(self.text) and _is_path_char(self.text[end]):
            return False
        self.pos = end
        return True

    def found(self) -> str:
        """Describe what comes next, for error messages."""
        if self.pos >= len(self.text):
            return "the end of the query"
        char = self.text[self.pos]
        if _is_path_char(char):
            end = self.pos
            while end < len(self.text) and _is_path_char(self.text[end]):
                end += 1
            word = self.text[self.pos : end]
            if word.upper() in ("AND", "OR", "NOT"):
                return f"the keyword {word.upper()}"
            return f"'{word}'"
        return f"'{char}'"

    # -- boolean structure

    def parse(self) -> _Node:
        node = self.parse_or(after=None)
        if not self.at_end():
            if self.peek() == ")":
                raise self.error("unbalanced parentheses: this ')' has no matching '('")
            raise self.error(f"expected AND, OR or the end of the query, found {self.found()}")
        return node

    def parse_or(self, after: str | None) -> _Node:
        operands = [self.parse_and(after)]
        while self.accept_keyword("OR"):
            operands.append(self.parse_and("OR"))
        return operands[0] if len(operands) == 1 else _Or(tuple(operands))

    def parse_and(self, after: str | None) -> _Node:
        operands = [self.parse_not(after)]
        while self.accept_keyword("AND"):
            operands.append(self.parse_not("AND"))
        return operands[0] if len(operands) == 1 else _And(tuple(operands))

    def parse_not(self, after: str | None) -> _Node:
        start = self.pos
        if self.accept_keyword("NOT"):
            with self.nested(start):
                return _Not(self.parse_not("NOT"))
        return self.parse_primary(after)

    @contextmanager
    def nested(self, start: int) -> Iterator[None]:
        """Count one more level of parentheses or NOT, refusing absurd depths."""
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            self.skip_space()
            raise self.error(f"the query nests parentheses and NOTs more than {_MAX_DEPTH} deep")
        try:
            yield
        finally:
            self.depth -= 1

    def parse_primary(self, after: str | None) -> _Node:
        context = f" after {after}" if after else ""
        if self.at_end():
            raise self.error(f"expected a condition{context}, but the query ends here")
        start = self.pos
        if self.peek() == "(":
            self.pos += 1
            with self.nested(start):
                node = self.parse_or("'('")
            if self.at_end():
                raise self.error("unbalanced parentheses: this '(' is never closed", start)
            if self.peek() != ")":
                raise self.error(
                    f"expected AND, OR or ')' to close the '(' at column {start + 1}, "
                    f"found {self.found()}"
                )
            self.pos += 1
            return node
        if self.peek() == "`" or _is_path_char(self.peek()):
            return self.parse_condition(context)
        raise self.error(f"expected a condition{context}, found {self.found()}")

    # -- conditions

    def parse_condition(self, context: str) -> _Node:
        start = self.pos
        last = False
        if self.peek() != "`":
            word = self.read_while(_is_path_char)
            if word.upper() in ("AND", "OR"):
                raise self.error(f"expected a condition{context}, found the keyword {word}", start)
            self.skip_space()
            if self.peek() == "(":
                self.check_aggregate(word, start)
                self.pos += 1
                self.skip_space()
                path, field_type = self.parse_attribute()
                if self.at_end() or self.peek() != ")":
                    raise self.error(f"expected ')' to close {word}(, found {self.found()}")
                self.pos += 1
                if field_type is not None and not field_type.is_series:
                    raise self.error(
                        f"{word}() applies to series fields (floatSeries, stringSeries), "
                        f"not to {field_type.value}",
                        start,
                    )
                last = True
            else:
                self.pos = start
                path, field_type = self.parse_attribute()
        else:
            path, field_type = self.parse_attribute()

        op, negated, op_pos = self.parse_operator(path)
        literal = None
        if op != _EXISTS:
            literal = self.parse_value(op)
        if field_type is not None:
            self.check_typed(field_type, op, op_pos, literal)
        node: _Node = _Condition(path, field_type, op, literal, last)
        return _Not(node) if negated else node

    def check_aggregate(self, word: str, start: int) -> None:
        name = word.lower()
        if name == "last":
            return
        if name in _AGGREGATES:
            raise self.error(
                f"{name}() is not supported: nepnb keeps only the last value of a series, "
                f"so use last(`path`:floatSeries) or `path`:floatSeries",
                start,
            )
        raise self.error(f"unknown function '{word}' (the only one supported is last())", start)

    def parse_attribute(self) -> tuple[str, FieldType | None]:
        """Read a field path, backquoted or bare, and its optional ``:type``."""
        start = self.pos
        if self.peek() == "`":
            end = self.text.find("`", start + 1)
            if end < 0:
                raise self.error(
                    "unclosed backtick: the field path that starts here has no closing `", start
                )
            path = self.text[start + 1 : end]
            if not path:
                raise self.error("empty field path ``", start)
            self.pos = end + 1
        elif self.peek() and _is_path_char(self.peek()):
            path = self.read_while(_is_path_char)
        else:
            raise self.error(f"expected a field path, found {self.found()}")
        self.skip_space()
        field_type = None
        if self.peek() == ":":
            self.pos += 1
            self.skip_space()
            type_pos = self.pos
            name = self.read_while(lambda char: char.isalnum() or char == "_")
            if not name:
                raise self.error(f"expected a field type after ':', found {self.found()}")
            field_type = _TYPE_NAMES.get(name.lower())
            if field_type is None:
                known = ", ".join(t.value for t in FieldType)
                raise self.error(f"unknown field type '{name}' (known types: {known})", type_pos)
        return path, field_type

    def parse_operator(self, path: str) -> tuple[str, bool, int]:
        """Read the operator after a field; returns (operator, negated, position)."""
        known = "=, !=, <, <=, >, >=, CONTAINS, MATCHES, EXISTS"
        if self.at_end():
            raise self.error(
                f"expected an operator ({known}) after the field '{path}', but the query ends here"
            )
        start = self.pos
        if self.peek() in _SYMBOL_CHARS:
            symbol = self.read_while(lambda char: char in _SYMBOL_CHARS)
            if symbol not in _SYMBOL_OPERATORS:
                raise self.error(f"unknown operator '{symbol}' (known operators: {known})", start)
            return _SYMBOL_OPERATORS[symbol], False, start
        word = self.read_while(_is_word_char)
        negated = word.upper() == "NOT"
        if negated:
            self.skip_space()
            word_pos = self.pos
            word = self.read_while(_is_word_char)
            if word.upper() not in _WORD_OPERATORS:
                self.pos = word_pos
                raise self.error(
                    f"expected CONTAINS, MATCHES or EXISTS after NOT, found {self.found()}"
                )
        if word.upper() in _WORD_OPERATORS:
            return word.upper(), negated, start
        self.pos = start
        if word and word.upper() not in ("AND", "OR"):
            raise self.error(f"unknown operator '{word}' (known operators: {known})")
        raise self.error(
            f"expected an operator ({known}) after the field '{path}', found {self.found()}"
        )

    def parse_value(self, op: str) -> _Literal:
        shown = op if op in _WORD_OPERATORS else f"'{op}'"
        if self.at_end():
            raise self.error(f"expected a value after {shown}, but the query ends here")
        start = self.pos
        quoted = self.peek() == '"'
        if quoted:
            text = self.read_string()
        elif self.peek() in "()`":
            raise self.error(f"expected a value after {shown}, found {self.found()}")
        else:
            text = self.read_while(lambda char: not char.isspace() and char not in '()"`')
            if text.upper() in ("AND", "OR", "NOT"):
                raise self.error(
                    f"expected a value after {shown}, found the keyword {text.upper()} "
                    f'(write "{text}" in double quotes if you mean the text)',
                    start,
                )
        pattern = None
        if op == _MATCHES:
            try:
                pattern = re.compile(text)
            except re.error as error:
                raise self.error(f"invalid regular expression {text!r}: {error}", start) from None
        return _Literal(
            text=text,
            position=start,
            quoted=quoted,
            number=_parse_number(text),
            boolean=_parse_bool(text),
            instant=_parse_datetime(text),
            run_state=_RUN_STATES.get(text.strip().lower()),
            pattern=pattern,
        )

    def read_string(self) -> str:
        """Read a double-quoted string; ``\\"`` and ``\\\\`` are escapes, other text is kept."""
        start = self.pos
        self.pos += 1
        chars: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == '"':
                self.pos += 1
                return "".join(chars)
            if char == "\\" and self.pos + 1 < len(self.text):
                following = self.text[self.pos + 1]
                if following in '"\\':
                    chars.append(following)
                    self.pos += 2
                    continue
            chars.append(char)
            self.pos += 1
        raise self.error('unclosed string: the string that starts here has no closing "', start)

    def check_typed(
        self, field_type: FieldType, op: str, op_pos: int, literal: _Literal | None
    ) -> None:
        """Reject an operator or a value that a field of ``field_type`` can never satisfy."""
        if op == _EXISTS:
            return
        allowed = _OPERATORS.get(field_type)
        if not allowed:
            raise self.error(f"a {field_type.value} field can only be tested with EXISTS", op_pos)
        if op not in allowed:
            names = ", ".join(sorted(allowed, key=_operator_order)) + ", EXISTS"
            raise self.error(
                f"operator {op} cannot be used on a {field_type.value} field (use one of: {names})",
                op_pos,
            )
        assert literal is not None
        expected = None
        if field_type in _NUMERIC_TYPES and literal.number is None:
            expected = "a number such as 0.9, -3, 1e-4, NaN or Infinity"
        elif field_type is FieldType.BOOL and literal.boolean is None:
            expected = "true or false"
        elif field_type is FieldType.DATETIME and literal.instant is None:
            expected = (
                'an ISO 8601 datetime such as "2026-01-01T00:00:00Z", a date such as '
                '"2026-01-01" or a time relative to now such as "-2h", "-3d" or "-1M"'
            )
        elif field_type is FieldType.RUN_STATE and literal.run_state is None:
            expected = '"running" (or "active") or "inactive" (or "idle")'
        if expected is not None:
            raise self.error(
                f"{literal.text!r} is not a valid {field_type.value} value: expected {expected}",
                literal.position,
            )


def _operator_order(op: str) -> int:
    return [_EQ, _NE, _LT, _LE, _GT, _GE, _CONTAINS, _MATCHES].index(op)


# --- literals --------------------------------------------------------------------------------


def _parse_number(text: str) -> int | float | None:
    """Read a number: int, float, scientific, NaN, Infinity, or a size such as ``50MB``."""
    text = text.strip()
    if _INTEGER.fullmatch(text):
        return int(text)
    if _NUMBER.fullmatch(text):
        return float(text)
    sign = -1 if text.startswith("-") else 1
    special = _SPECIAL_NUMBERS.get(text.lstrip("+-").lower())
    if special is not None and len(text) - len(text.lstrip("+-")) <= 1:
        return sign * special
    size = _SIZE.fullmatch(text)
    if size is not None:
        number = _parse_number(size["number"])
        assert number is not None
        return number * _SIZE_UNITS[size["unit"].lower()]
    return None


def _parse_bool(text: str) -> bool | None:
    lowered = text.strip().lower()
    return {"true": True, "false": False}.get(lowered)


def _parse_datetime(text: str) -> datetime | _Relative | None:
    """Read an ISO 8601 datetime or date (naive means UTC), or a time relative to now."""
    text = text.strip()
    relative = _RELATIVE.fullmatch(text)
    if relative is not None:
        segments = []
        for amount, unit in _RELATIVE_SEGMENT.findall(relative["segments"]):
            name = {"M": "months", "m": "minutes"}.get(unit) or _RELATIVE_UNITS.get(unit.lower())
            if name is None:
                return None
            segments.append((int(amount), name))
        return _Relative(-1 if relative["sign"] == "-" else 1, tuple(segments))
    match = _DATETIME.fullmatch(text)
    if match is None:
        return None
    try:
        tz = _UTC
        if match["sign"]:
            offset = timedelta(
                hours=int(match["offset_hours"]), minutes=int(match["offset_minutes"] or 0)
            )
            tz = timezone(-offset if match["sign"] == "-" else offset)
        fraction = (match["fraction"] or "")[:6].ljust(6, "0")
        return datetime(
            int(match["year"]),
            int(match["month"]),
            int(match["day"]),
            int(match["hour"] or 0),
            int(match["minute"] or 0),
            int(match["second"] or 0),
            int(fraction),
            tzinfo=tz,
        )
    except ValueError:
        return None


def _add_months(moment: datetime, months: int) -> datetime:
    """Move by whole calendar months, clamping the day (Mar 31 - 1 month = Feb 28/29)."""
    if not months:
        return moment
    year, month_index = divmod(moment.month - 1 + months, 12)
    year += moment.year
    day = min(moment.day, calendar.monthrange(year, month_index + 1)[1])
    return moment.replace(year=year, month=month_index + 1, day=day)


# --- evaluation ------------------------------------------------------------------------------


def _read_field(entry: Any) -> tuple[FieldType, Any] | None:
    """A stored ``(type, value)`` pair, or None when it is missing or malformed."""
    if entry is None:
        return None
    try:
        raw_type, value = entry
        return FieldType(raw_type), value
    except (TypeError, ValueError):
        return None


def _compare(field_type: FieldType, op: str, value: Any, literal: _Literal, now: datetime) -> bool:
    """Apply ``op`` to a stored value of ``field_type`` and a literal; False on mismatch."""
    if field_type in _NUMERIC_TYPES:
        if isinstance(value, bool) or not isinstance(value, Real) or literal.number is None:
            return False
        return _COMPARE[op](value, literal.number)
    if field_type in _TEXT_TYPES:
        if not isinstance(value, str):
            return False
        if op == _CONTAINS:
            return literal.text in value
        if op == _MATCHES:
            return literal.pattern is not None and literal.pattern.search(value) is not None
        return _COMPARE[op](value, literal.text)
    if field_type is FieldType.BOOL:
        if not isinstance(value, bool) or literal.boolean is None:
            return False
        return _COMPARE[op](value, literal.boolean)
    if field_type is FieldType.DATETIME:
        moment = _as_datetime(value)
        wanted = literal.datetime_at(now)
        if moment is None or wanted is None:
            return False
        return _COMPARE[op](moment, wanted)
    if field_type is FieldType.RUN_STATE:
        state = _RUN_STATES.get(value.strip().lower()) if isinstance(value, str) else None
        if state is None or literal.run_state is None:
            return False
        return _COMPARE[op](state, literal.run_state)
    if field_type is FieldType.STRING_SET:
        if isinstance(value, str | bytes) or value is None:
            return False
        return any(isinstance(item, str) and item == literal.text for item in value)
    return False


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=_UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=_UTC)
    return None
