import pyarrow as pa
import pytest

from portal.errors import PackageError
from portal.formula import Formula


def evaluate(text, **columns):
    return Formula(text)({k: pa.array(v) for k, v in columns.items()}).to_pylist()


def test_conditional_rule_like_frictionless():
    rule = "F == P if T == 0 else (F == 0 or (T == 99 and F == P))"
    assert evaluate(rule, F=[1.5, 0.0, 2.0, 2.0, 3.0], P=[1.5, 2.0, 2.0, 2.0, 1.0], T=[0, 5, 99, 5, 0]) == \
        [True, True, True, False, False]


def test_missing_values_follow_python_semantics():
    # None == None is True, None == 0 is False, a missing condition takes the else branch
    assert evaluate("A == B", A=[None, None, 1], B=[None, 0, 1]) == [True, False, True]
    assert evaluate("1 if T == 0 else 2", T=[None, 0]) == [2, 1]


def test_names_are_collected_and_checked():
    formula = Formula("A + B * 2 > C")
    assert formula.names == {"A", "B", "C"}
    with pytest.raises(PackageError, match="C"):
        formula.check_names({"A", "B"}, "test")


@pytest.mark.parametrize("text", ["A in (1, 2)", "__import__('os')", "A.real", "A[0]", "A ==", "lambda: 1"])
def test_unsupported_or_broken_formulas_are_refused(text):
    with pytest.raises(PackageError):
        Formula(text)
