"""Result objects: derived boxes, text, confidence, and the handnum/1 JSON round trip."""
from __future__ import annotations

import json

import pytest

from handnum.results import SCHEMA, Digit, Line, Number, Page, Rejected


def sample_page() -> Page:
    d = [Digit((10, 10, 30, 50), 6, 0.9, [(6, 0.9), (5, 0.05), (8, 0.01)]),
         Digit((35, 12, 55, 52), 0, 0.5, [(0, 0.5), (6, 0.3), (8, 0.1)]),
         Digit((100, 10, 120, 50), 4, 1.0, [(4, 1.0), (9, 0.0), (1, 0.0)])]
    return Page("scan.pdf", 1, 200, 100, [Line([Number(d[:2]), Number(d[2:])])],
                [Rejected((150, 10, 190, 30), "not-a-digit", 0.91)], 42.0, 90)


def test_derived_fields():
    page = sample_page()
    line = page.lines[0]
    assert line.text == "60 4" and page.text == "60 4"
    assert line.numbers[0].box == (10, 10, 55, 52) and line.box == (10, 10, 120, 52)
    assert line.numbers[0].confidence == pytest.approx(0.45)


def test_json_round_trip():
    page = sample_page()
    d = json.loads(json.dumps(page.to_dict()))
    assert d["schema"] == SCHEMA and d["lines"][0]["numbers"][0]["text"] == "60"
    assert d["lines"][0]["numbers"][0]["digits"][0]["top3"][0] == [6, 0.9]
    assert Page.from_dict(d) == page
    assert Page.from_dict(d).to_dict() == d


def test_from_dict_checks_schema():
    with pytest.raises(ValueError, match="handnum/1"):
        Page.from_dict({"schema": "other"})
