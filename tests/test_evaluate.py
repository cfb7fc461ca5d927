"""Scoring readings against truth: exact figures on tiny cases."""
from __future__ import annotations

import pytest

from handnum.errors import DataError
from handnum.evaluate import Score, edit_distance, load_truth, score_page


def test_edit_distance():
    assert edit_distance("", "") == 0
    assert edit_distance("123", "123") == 0
    assert edit_distance("123", "13") == 1
    assert edit_distance("1234", "2134") == 2  # a swap is two substitutions


def test_score_page_counts():
    s = score_page("p", ["12 345", "6"], ["12 34 5", "6 7"])
    assert (s.digits, s.edits) == (6, 1)
    assert (s.numbers_true, s.numbers_read, s.numbers_matched) == (3, 5, 2)
    assert not s.exact and score_page("p", ["1  2"], ["1 2"]).exact


def test_summary():
    score = Score([score_page("a", ["12 3"], ["12 3"]), score_page("b", ["45"], ["46 7"])])
    s = score.summary()
    assert s["digit_error_rate"] == pytest.approx(2 / 5, abs=1e-4)
    assert s["number_precision"] == pytest.approx(2 / 4, abs=1e-4)
    assert s["number_recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["pages_exact"] == 1


def test_bad_truth_file(tmp_path):
    (tmp_path / "t.json").write_text("{\"a.png\": {\"nolines\": 1}}")
    with pytest.raises(DataError, match="not a truth file"):
        load_truth(tmp_path / "t.json")
