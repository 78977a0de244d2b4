"""The rule expression language: small, safe, parsed into an AST under a whitelist.

Grammar (precedence low to high)::

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := sum (CMP sum)*          # a <= x < b means a <= x and x < b
    sum     := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary)*
    unary   := "-" unary | atom
    atom    := NUMBER | NUMBER% | DATE | STRING | true | false
             | NAME | FUNCTION "(" args ")" | "(" expr ")"

There is no attribute access, no subscript, no power, no lambda and no way to
reach Python: names resolve to facts and parameters, functions come from a fixed
table, and length and nesting depth are bounded. A rule file can never run code.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from engine.language.functions import REGISTRY
from engine.language.nodes import And, BinOp, Bool, Call, Compare, DateLit, Name, Neg, Node, Not, Num, Or, Str
from engine.language.suggest import did_you_mean
from engine.language.visitor import children, depth, names, walk
from engine.model.errors import BilingualError

MAX_LENGTH = 2000
MAX_DEPTH = 32  # nesting of parentheses, `not`, `-` and function calls while parsing
MAX_TREE_DEPTH = 64  # depth of the parsed tree (a chain `1+1+…` deepens it by one per term)
MAX_LITERAL = 1e12  # |number| written in a rule (万元: 10^16 yuan); anything larger is a typo or an attack
MAX_DIGITS = 20


class ExprError(BilingualError):
    """An expression refused at load, with the character offset."""

    def __init__(self, en: str, zh: str, offset: int | None = None) -> None:
        where = f" (at character {offset + 1})" if offset is not None else ""
        where_zh = f"（第 {offset + 1} 个字符）" if offset is not None else ""
        super().__init__(en, zh, shown=f"{zh}{where_zh} / {en}{where}")
        self.offset = offset


# name -> (min args, max args or None), from the function registry (one module per function).
FUNCTIONS: dict[str, tuple[int, int | None]] = {f.name: (f.min_args, f.max_args) for f in REGISTRY.values()}

COMPARISONS = {"<", "<=", ">", ">=", "==", "!="}
_ALIASES = {"≤": "<=", "≥": ">=", "≠": "!=", "×": "*", "÷": "/", "＜": "<", "＞": ">"}
_FORBIDDEN = {
    "**": ("power '**' is not allowed", "不允许使用乘方 '**'"),
    ".": ("attribute access '.' is not allowed", "不允许属性访问 '.'"),
    "[": ("subscripts '[...]' are not allowed", "不允许下标 '[...]'"),
    "]": ("subscripts '[...]' are not allowed", "不允许下标 '[...]'"),
    "{": ("braces are not allowed", "不允许使用花括号"),
    ":": ("':' is not allowed (no lambdas or slices)", "不允许使用 ':'（无 lambda、切片）"),
    ";": ("';' is not allowed", "不允许使用 ';'"),
    "=": ("single '=' is not allowed; compare with '=='", "不允许单个 '='，比较请用 '=='"),
}
_KEYWORDS = {"and", "or", "not", "true", "false"}
_REFUSED_WORDS = {
    "lambda",
    "import",
    "for",
    "in",
    "if",
    "else",
    "is",
    "def",
    "class",
    "exec",
    "eval",
    "open",
    "getattr",
    "globals",
    "locals",
    "yield",
    "await",
}

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<date>\d{4}-\d{2}-\d{2}(?!\d))
  | (?P<number>\d+(?:\.\d+)?%?)
  | (?P<string>'[^'\n]*'|"[^"\n]*")
  | (?P<name>[^\W\d]\w*)
  | (?P<op><=|>=|==|!=|\*\*|[-+*/(),<>≤≥≠×÷＜＞])
""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    offset: int


def _tokenize(text: str) -> list[_Token]:
    tokens, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or (m.lastgroup == "op" and m.group() == "**"):
            two = text[pos : pos + 2]
            key = "**" if two == "**" else text[pos]
            en, zh = _FORBIDDEN.get(key, (f"unexpected character {text[pos]!r}", f"无法识别的字符 {text[pos]!r}"))
            raise ExprError(en, zh, pos)
        if m.lastgroup != "ws":
            value = _ALIASES.get(m.group(), m.group())
            tokens.append(_Token(m.lastgroup, value, pos))
        pos = m.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


Resolver = Callable[[str], str]


class _Parser:
    def __init__(self, text: str, resolve: Resolver, known: Iterable[str] = ()) -> None:
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0
        self.resolve, self.known = resolve, known

    # helpers
    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def accept(self, text: str) -> bool:
        tok = self.peek()
        if tok.kind in ("op", "name") and tok.text == text:
            self.i += 1
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.accept(text):
            tok = self.peek()
            got = tok.text or "end of expression"
            raise ExprError(f"expected {text!r}, got {got!r}", f"此处应为 {text!r}，实际为 {got!r}", tok.offset)

    def nested(self, parse: Callable[[], Node]) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(
                f"expression nested deeper than {MAX_DEPTH} levels",
                f"表达式嵌套超过 {MAX_DEPTH} 层",
                self.peek().offset,
            )
        try:
            return parse()
        finally:
            self.depth -= 1

    # grammar
    def parse(self) -> Node:
        node = self.expr()
        tok = self.peek()
        if tok.kind != "end":
            raise ExprError(f"unexpected {tok.text!r}", f"多余的 {tok.text!r}", tok.offset)
        return node

    def expr(self) -> Node:
        return self.nested(self.or_)

    def or_(self) -> Node:
        items = [self.and_()]
        while self.accept("or"):
            items.append(self.and_())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_(self) -> Node:
        items = [self.not_()]
        while self.accept("and"):
            items.append(self.not_())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_(self) -> Node:
        if self.accept("not"):
            return Not(self.nested(self.not_))
        return self.compare()

    def compare(self) -> Node:
        left = self.sum()
        links: list[Node] = []
        while self.peek().kind == "op" and self.peek().text in COMPARISONS:
            op = self.take().text
            right = self.sum()
            links.append(Compare(op, left, right))
            left = right
        if not links:
            return left
        return links[0] if len(links) == 1 else And(tuple(links))

    def sum(self) -> Node:
        node = self.term()
        for length in itertools.count(1):
            if not (self.peek().kind == "op" and self.peek().text in "+-"):
                return node
            self.chain(length)
            op = self.take().text
            node = BinOp(op, node, self.term())
        raise AssertionError

    def term(self) -> Node:
        node = self.unary()
        for length in itertools.count(1):
            if not (self.peek().kind == "op" and self.peek().text in "*/"):
                return node
            self.chain(length)
            op = self.take().text
            node = BinOp(op, node, self.unary())
        raise AssertionError

    def chain(self, length: int) -> None:
        """Each operator of a chain `a + b + …` nests the tree one level deeper."""
        if self.depth + length > MAX_DEPTH:
            raise ExprError(
                f"expression nested deeper than {MAX_DEPTH} levels (a chain of operators counts one"
                " level per term; use a derived fact for a long sum)",
                f"表达式嵌套超过 {MAX_DEPTH} 层（连续运算每一项算一层；长的求和请拆成派生事实）",
                self.peek().offset,
            )

    def unary(self) -> Node:
        if self.accept("-"):
            return Neg(self.nested(self.unary))
        return self.atom()

    def atom(self) -> Node:
        tok = self.take()
        if tok.kind == "number":
            return self.number(tok)
        if tok.kind == "date":
            try:
                return DateLit(date.fromisoformat(tok.text))
            except ValueError:
                raise ExprError(f"invalid date {tok.text}", f"日期无效 {tok.text}", tok.offset) from None
        if tok.kind == "string":
            return Str(tok.text[1:-1])
        if tok.kind == "op" and tok.text == "(":
            node = self.expr()
            self.expect(")")
            return node
        if tok.kind == "name":
            return self.name_or_call(tok)
        got = tok.text or "end of expression"
        raise ExprError(f"unexpected {got!r}", f"此处不应出现 {got!r}", tok.offset)

    def number(self, tok: _Token) -> Num:
        digits = tok.text.rstrip("%")
        value = float(digits) if len(digits) <= MAX_DIGITS else math.inf
        if not abs(value) <= MAX_LITERAL:
            raise ExprError(
                f"number {_short(tok.text)} is out of bounds (at most {MAX_LITERAL:g} in absolute value)",
                f"数字 {_short(tok.text)} 超出范围（绝对值不得超过 {MAX_LITERAL:g}）",
                tok.offset,
            )
        return Num(value / 100, percent=True) if tok.text.endswith("%") else Num(value)

    def name_or_call(self, tok: _Token) -> Node:
        word = tok.text
        if word in ("true", "false"):
            return Bool(word == "true")
        if word in _KEYWORDS:
            raise ExprError(f"unexpected keyword {word!r}", f"此处不应出现关键字 {word!r}", tok.offset)
        if word.startswith("_") or word in _REFUSED_WORDS:
            raise ExprError(
                f"{word!r} is not allowed in rule expressions", f"规则表达式中不允许使用 {word!r}", tok.offset
            )
        if self.peek().kind == "op" and self.peek().text == "(":
            return self.call(tok)
        try:
            return Name(self.resolve(word))
        except KeyError:
            hint_en, hint_zh = did_you_mean(word, self.known)
            raise ExprError(f"unknown name {word!r}{hint_en}", f"未知名称 {word!r}{hint_zh}", tok.offset) from None

    def call(self, tok: _Token) -> Node:
        if tok.text not in FUNCTIONS:
            hint_en, hint_zh = did_you_mean(tok.text, FUNCTIONS)
            raise ExprError(
                f"unknown function {tok.text!r}{hint_en}; allowed: {', '.join(sorted(FUNCTIONS))}",
                f"未知函数 {tok.text!r}{hint_zh}；允许：{', '.join(sorted(FUNCTIONS))}",
                tok.offset,
            )
        self.expect("(")
        args: list[Node] = []
        if not self.accept(")"):
            args.append(self.expr())
            while self.accept(","):
                args.append(self.expr())
            self.expect(")")
        low, high = FUNCTIONS[tok.text]
        if len(args) < low or (high is not None and len(args) > high):
            want = f"{low}" if low == high else f"{low}+" if high is None else f"{low}-{high}"
            raise ExprError(
                f"{tok.text}() takes {want} arguments, got {len(args)}",
                f"{tok.text}() 需要 {want} 个参数，实际 {len(args)} 个",
                tok.offset,
            )
        return Call(tok.text, tuple(args))


def parse(text: str, resolve: Resolver, known: Iterable[str] = ()) -> Node:
    """Parse an expression; `resolve` maps a written name to its canonical id or raises KeyError;
    `known` (the names that resolve) feeds "did you mean" for an unknown one."""
    if not isinstance(text, str):
        raise ExprError("expression must be text", "表达式必须是文本")
    if len(text) > MAX_LENGTH:
        raise ExprError(
            f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}",
            f"表达式长 {len(text)} 个字符，上限为 {MAX_LENGTH}",
        )
    if not text.strip():
        raise ExprError("expression is empty", "表达式为空")
    node = _Parser(text, resolve, known).parse()
    if depth(node) > MAX_TREE_DEPTH:
        raise ExprError(f"expression nested deeper than {MAX_TREE_DEPTH} levels", f"表达式嵌套超过 {MAX_TREE_DEPTH} 层")
    return node


def _short(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:12]}…{text[-6:]} ({len(text)} digits)"


__all__ = [  # the AST and its walks live in nodes.py / visitor.py; `ex.Num`, `ex.walk` keep working
    "And",
    "BinOp",
    "Bool",
    "Call",
    "Compare",
    "DateLit",
    "ExprError",
    "Name",
    "Neg",
    "Node",
    "Not",
    "Num",
    "Or",
    "Str",
    "children",
    "depth",
    "names",
    "parse",
    "walk",
]
