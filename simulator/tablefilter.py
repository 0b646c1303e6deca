"""The OData ``$filter`` subset Table Storage evaluates: parse once, then test entities.

Grammar (learn.microsoft.com "Querying tables and entities"): comparisons ``eq ne gt ge lt
le`` joined by ``and``, ``or``, ``not`` and parentheses; literals are strings (``'a''b'``),
Int32 (``5``), Int64 (``5L``), Double (``5.0``), booleans, ``datetime'...'``,
``guid'...'`` and ``X'hex'`` / ``binary'hex'``. At most 15 comparisons per filter.

Comparison semantics (documented in simulator/README.md): numbers of any of the three
numeric types compare by value; any other pair of different types, or a property the
entity does not have, makes the comparison false (the entity is not returned).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from simulator import edm
from simulator.edm import EdmError, EdmValue

MAX_COMPARISONS = 15
_COMPARATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
}
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<paren>[()])
  | (?P<typed>(?:datetime|guid|X|binary)'(?:[^']|'')*')
  | (?P<string>'(?:[^']|'')*')
  | (?P<number>[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?[LlDdMmFf]?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE,
)
_WORDS = {"and", "or", "not", "true", "false", *_COMPARATORS}


class FilterError(ValueError):
    """A filter the service would refuse (400 InvalidInput)."""


@dataclass(frozen=True)
class _Token:
    kind: str  # paren, word, name, literal
    text: str
    value: EdmValue | None = None


Entity = Mapping[str, EdmValue]
Predicate = Callable[[Entity], bool]


def parse(text: str) -> Predicate:
    """Compile a filter into a predicate over ``{property name: EdmValue}``."""
    parser = _Parser(_tokens(text))
    predicate = parser.expression()
    if parser.pos != len(parser.tokens):
        raise FilterError(f"unexpected '{parser.tokens[parser.pos].text}'")
    if parser.comparisons > MAX_COMPARISONS:
        raise FilterError(
            f"{parser.comparisons} comparisons; a filter may hold at most {MAX_COMPARISONS}"
        )
    return predicate


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise FilterError(f"unexpected character '{text[pos]}' at position {pos}")
        pos = m.end()
        kind = m.lastgroup
        raw = m.group()
        if kind == "ws":
            continue
        if kind == "paren":
            out.append(_Token("paren", raw))
        elif kind == "string":
            out.append(_Token("literal", raw, EdmValue(edm.STRING, raw[1:-1].replace("''", "'"))))
        elif kind == "typed":
            out.append(_Token("literal", raw, _typed_literal(raw)))
        elif kind == "number":
            out.append(_Token("literal", raw, _number(raw)))
        elif raw in _WORDS:
            if raw in ("true", "false"):
                out.append(_Token("literal", raw, EdmValue(edm.BOOLEAN, raw == "true")))
            else:
                out.append(_Token("word", raw))
        else:
            out.append(_Token("name", raw))
    if not out:
        raise FilterError("the filter is empty")
    return out


def _typed_literal(raw: str) -> EdmValue:
    prefix, _, rest = raw.partition("'")
    body = rest[:-1].replace("''", "'")
    try:
        if prefix == "datetime":
            return EdmValue(edm.DATETIME, edm.parse_datetime(body))
        if prefix == "guid":
            return EdmValue(edm.GUID, edm.parse_guid(body))
        return EdmValue(edm.BINARY, bytes.fromhex(body))
    except (EdmError, ValueError) as exc:
        raise FilterError(f"invalid literal {raw}: {exc}") from exc


def _number(raw: str) -> EdmValue:
    suffix = raw[-1] if raw[-1].isalpha() else ""
    digits = raw[:-1] if suffix else raw
    if suffix in ("L", "l"):
        if not re.fullmatch(r"[+-]?\d+", digits):
            raise FilterError(f"'{raw}' is not an Edm.Int64 literal")
        value = int(digits)
        if not -(2**63) <= value < 2**63:
            raise FilterError(f"'{raw}' is out of the Edm.Int64 range")
        return EdmValue(edm.INT64, value)
    if suffix or not re.fullmatch(r"[+-]?\d+", digits):
        return EdmValue(edm.DOUBLE, float(digits))
    value = int(digits)
    if not -(2**31) <= value < 2**31:
        # The service's own wording for this mistake is "Unrecognized 'Edm.Int32' literal".
        raise FilterError(f"Unrecognized 'Edm.Int32' literal '{raw}'; add L for an Int64")
    return EdmValue(edm.INT32, value)


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.comparisons = 0

    def _peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self) -> _Token:
        token = self._peek()
        if token is None:
            raise FilterError("the filter ends too early")
        self.pos += 1
        return token

    def _at_word(self, word: str) -> bool:
        token = self._peek()
        return token is not None and token.kind == "word" and token.text == word

    def expression(self) -> Predicate:
        left = self._and()
        while self._at_word("or"):
            self.pos += 1
            right = self._and()
            left = _or(left, right)
        return left

    def _and(self) -> Predicate:
        left = self._unary()
        while self._at_word("and"):
            self.pos += 1
            right = self._unary()
            left = _and(left, right)
        return left

    def _unary(self) -> Predicate:
        if self._at_word("not"):
            self.pos += 1
            inner = self._unary()
            return lambda entity: not inner(entity)
        token = self._peek()
        if token is not None and token.kind == "paren" and token.text == "(":
            self.pos += 1
            inner = self.expression()
            closing = self._take()
            if closing.text != ")":
                raise FilterError(f"expected ')' but found '{closing.text}'")
            return inner
        return self._comparison()

    def _comparison(self) -> Predicate:
        left = self._operand()
        op = self._take()
        if op.kind != "word" or op.text not in _COMPARATORS:
            raise FilterError(f"expected a comparison operator after '{_describe(left)}'")
        right = self._operand()
        self.comparisons += 1
        compare = _COMPARATORS[op.text]
        return lambda entity: _compare(entity, left, right, compare)

    def _operand(self) -> _Token:
        token = self._take()
        if token.kind not in ("name", "literal"):
            raise FilterError(f"expected a property name or a literal, found '{token.text}'")
        return token


def _or(a: Predicate, b: Predicate) -> Predicate:
    return lambda entity: a(entity) or b(entity)


def _and(a: Predicate, b: Predicate) -> Predicate:
    return lambda entity: a(entity) and b(entity)


def _describe(token: _Token) -> str:
    return token.text


def _resolve(entity: Entity, token: _Token) -> EdmValue | None:
    if token.kind == "literal":
        return token.value
    return entity.get(token.text)


def _compare(
    entity: Entity, left: _Token, right: _Token, compare: Callable[[Any, Any], bool]
) -> bool:
    a = _resolve(entity, left)
    b = _resolve(entity, right)
    if a is None or b is None:
        return False
    # Python's float comparisons already give NaN its IEEE meaning (only ne is true).
    if a.edm in edm.NUMERIC and b.edm in edm.NUMERIC:
        return compare(a.value, b.value)
    if a.edm != b.edm:
        return False
    return compare(a.value, b.value)
