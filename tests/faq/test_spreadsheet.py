import pytest

from faq.spreadsheet import defuse, restore


def test_numbers_stay_numbers():
    assert defuse(-3) == -3 and defuse(1.5) == 1.5 and defuse(None) is None


@pytest.mark.parametrize("text", ['=HYPERLINK("http://evil.example/")', "+81 3", "-3", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_would_run_as_a_formula_is_defused_and_restored(text):
    assert defuse(text) == "'" + text
    assert restore(defuse(text)) == text


@pytest.mark.parametrize("text", ["住民票", "'quoted'", "a=b", ""])
def test_other_text_is_left_alone(text):
    assert defuse(text) == text and restore(text) == text
