"""Row formulas declared as data, evaluated on whole Arrow columns at once.

A formula is a Python expression in the subset that Frictionless's ``row-constraint``
check accepts (simpleeval): names of columns, numbers, comparisons, ``and``/``or``/
``not``, ``x if condition else y``, ``+ - * /`` and unary minus. The same text therefore
means the same thing to Frictionless (row by row) and here (a column at a time), which
is what makes the two engines' verdicts comparable. Missing values follow Python's rules
as simpleeval applies them (``None == None``; a missing condition is false), and a rule
whose outcome is still missing counts as broken, as an exception does in Frictionless.
"""
from __future__ import annotations

import ast
from collections.abc import Callable, Mapping

import pyarrow as pa
import pyarrow.compute as pc

from portal.errors import PackageError

Columns = Mapping[str, pa.Array]

_COMPARE = {
    ast.Eq: pc.equal, ast.NotEq: pc.not_equal, ast.Lt: pc.less, ast.LtE: pc.less_equal,
    ast.Gt: pc.greater, ast.GtE: pc.greater_equal,
}
_ARITHMETIC = {ast.Add: pc.add, ast.Sub: pc.subtract, ast.Mult: pc.multiply, ast.Div: pc.divide}


def _python_equality(step, left, right, equal: bool):
    """Give ``==``/``!=`` Python's meaning with missing values, as simpleeval does:
    None == None is True, None == 5 is False (Arrow would answer null)."""
    if all(side.null_count == 0 if isinstance(side, pa.Array) else side.is_valid for side in (left, right)):
        return step  # nothing missing: Arrow's answer is Python's
    left_null = left.is_null() if isinstance(left, pa.Array) else pa.scalar(not left.is_valid)
    right_null = right.is_null() if isinstance(right, pa.Array) else pa.scalar(not right.is_valid)
    both = pc.and_(left_null, right_null)
    either = pc.or_(left_null, right_null)
    missing_outcome = pc.if_else(both, pa.scalar(equal), pa.scalar(not equal))
    return pc.if_else(either, missing_outcome, step)


class Formula:
    """A compiled formula: ``formula(columns)`` returns an Arrow array (or scalar)."""

    def __init__(self, text: str):
        self.text = text
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as exc:
            raise PackageError(f"formule « {text} » : syntaxe invalide ({exc.msg})") from exc
        self.names: set[str] = set()
        self._evaluate = self._compile(tree.body)

    def __call__(self, columns: Columns):
        return self._evaluate(columns)

    def _compile(self, node: ast.AST) -> Callable[[Columns], object]:
        if isinstance(node, ast.Name):
            name = node.id
            self.names.add(name)
            return lambda columns: columns[name]
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            value = node.value
            return lambda columns: pa.scalar(value)
        if isinstance(node, ast.Compare):
            parts = [self._compile(node.left)] + [self._compile(c) for c in node.comparators]
            operators = []
            for op in node.ops:
                if type(op) not in _COMPARE:
                    raise PackageError(f"formule « {self.text} » : opérateur {type(op).__name__} non pris en charge")
                operators.append(_COMPARE[type(op)])

            def compare(columns):
                values = [p(columns) for p in parts]
                result = None
                for op, operator, left, right in zip(node.ops, operators, values, values[1:]):
                    step = operator(left, right)
                    if isinstance(op, (ast.Eq, ast.NotEq)):
                        step = _python_equality(step, left, right, isinstance(op, ast.Eq))
                    result = step if result is None else pc.and_kleene(result, step)
                return result
            return compare
        if isinstance(node, ast.BoolOp):
            parts = [self._compile(v) for v in node.values]
            combine = pc.and_kleene if isinstance(node.op, ast.And) else pc.or_kleene

            def boolean(columns):
                result = parts[0](columns)
                for part in parts[1:]:
                    result = combine(result, part(columns))
                return result
            return boolean
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            inner = self._compile(node.operand)
            return lambda columns: pc.invert(inner(columns))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self._compile(node.operand)
            return lambda columns: pc.negate(inner(columns))
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
            left, right, operator = self._compile(node.left), self._compile(node.right), _ARITHMETIC[type(node.op)]
            return lambda columns: operator(left(columns), right(columns))
        if isinstance(node, ast.IfExp):
            test, body, orelse = self._compile(node.test), self._compile(node.body), self._compile(node.orelse)

            def choose(columns):
                yes, no = body(columns), orelse(columns)
                if isinstance(yes, pa.Scalar) and isinstance(no, pa.Array):
                    yes = pa.scalar(yes.as_py(), no.type) if yes.is_valid else yes
                if isinstance(no, pa.Scalar) and isinstance(yes, pa.Array):
                    no = pa.scalar(no.as_py(), yes.type) if no.is_valid else no
                condition = test(columns)  # Python: a None test is falsy
                condition = condition.fill_null(False) if isinstance(condition, pa.Array) else condition
                return pc.if_else(condition, yes, no)
            return choose
        raise PackageError(f"formule « {self.text} » : élément {type(node).__name__} non pris en charge")

    def check_names(self, available: set[str], where: str) -> None:
        unknown = sorted(self.names - available)
        if unknown:
            raise PackageError(f"{where} : formule « {self.text} » : colonne(s) inconnue(s) {', '.join(unknown)}")
