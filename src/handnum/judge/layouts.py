"""Page layouts where people write numbers, drawn on a `scenes.Canvas`.

Each layout takes (rng, canvas, new_hand, new_number): `new_hand(height)` gives a writer whose
digits are about `height` px, `new_number(rng)` the digits of a number to write.
"""
from __future__ import annotations

import cv2
import numpy as np

from . import glyphs, marks

WORDS = ["total", "sum", "name", "ok", "done", "and", "page", "marks", "kg", "km", "cm", "time", "date", "apples",
         "cost", "price", "box", "see", "note", "call", "room", "bus", "paid", "due", "rs", "each", "left"]
NAMES = ["ravi kumar", "anna", "gokarne", "priya", "john smith", "maria", "guragain", "abdul", "chen wei", "lucy",
         "david", "sara lee", "mohan", "olga", "pedro", "aisha", "ken", "zoe brown"]
LABELS = ["Name", "Roll No.", "Date", "Phone", "Class", "Section", "Marks", "Total", "Age", "Reg. No.", "Email",
          "Address", "Signature", "Subject", "Score", "ID", "Year", "Amount"]
HEADINGS = ["Answer Sheet", "Q. No.", "Marks Obtained", "Score Card", "Student Details", "Subject", "Round",
            "Player", "Total", "Remarks", "Max. Marks", "Part A", "Section B", "Exam 2023", "Page", "Term I"]
VARIABLES = list("xyabnkt")
CLOSE_WORDS = ["too", "book", "good", "moon", "all", "cool", "door", "food", "look", "see", "boo", "odd", "add",
               "bob", "dad", "egg", "zoo", "hill", "off", "ill"]  # letters that touch as digits do: oo, ll, dd
SENTENCES = ["Answer all questions.", "Write your roll number in the boxes below.", "Time allowed: 3 hours",
             "Calculate the value of x when 2x + 5 = 17.", "Use delta = 1/8 and assume an initial value of 4.0.",
             "Fill in the table with the marks obtained in each subject.", "Do not write in this margin.",
             "Question 7 (10 marks): how sensitive is your answer to this choice?", "Page 2 of 12",
             "Total marks: 100", "For office use only", "Iteration  SampleRTT  EstRTT  Dev  TimeOut"]


def printed(rng, c, text: str, x: int, y: int, px: int, font: str | None = None):
    """Printed `text` with its top-left at (x, y)."""
    return c.put(glyphs.printed(rng, text, px, font), x, y, "printed", text, layer="print")


def word(c, hand: glyphs.Hand, text: str, x: int, baseline: int, scale: float = 1.0):
    """A handwritten word with its bottom near `baseline`; returns its box or None."""
    g = hand.word(text, scale)
    return c.put(g, x, baseline - g.shape[0], "letter", text)


def sign(rng, c, kind: str, x: int, y: int, w: int, h: int, pen: float):
    """A hand-drawn mark in the box (x, y, w, h)."""
    return c.put(marks.mark(rng, kind, w, h, pen), x, y, "mark", kind)


def rule(c, x0: int, y0: int, x1: int, y1: int, width: int = 1):
    cv2.line(c.lines, (int(x0), int(y0)), (int(x1), int(y1)), 1.0, max(1, int(width)))


def write_line(rng, c, hand: glyphs.Hand, x: int, baseline: int, x_end: int, new_number, mix=(0.55, 0.25, 0.2)):
    """Numbers, words and marks left to right on one line, as someone writes them."""
    hgt = hand.height
    while x < x_end - hgt:
        what = rng.choice(3, p=mix)
        if what == 0:
            x = c.number(hand, new_number(rng), x, baseline)
        elif what == 1:
            # a lone letter between numbers is rare on a page of numbers (maths, with its variables, is a layout)
            w = VARIABLES[int(rng.integers(len(VARIABLES)))] if rng.random() < 0.05 else WORDS[int(rng.integers(len(WORDS)))]
            box = word(c, hand, w.capitalize() if rng.random() < 0.2 else w, x, baseline)
            x = box[2] if box else x + hgt
        else:
            kind = marks.MARKS[int(rng.integers(len(marks.MARKS)))]
            s = int(hgt * rng.uniform(0.4, 1.0))
            box = sign(rng, c, kind, x, baseline - s - int(rng.uniform(0, 0.3) * hgt), s, s, hand.width)
            x = box[2] if box else x + hgt
        x += int(hgt * rng.uniform(0.4, 1.6))


def plain(rng, c, new_hand, new_number):
    if rng.random() < 0.5:
        printed(rng, c, HEADINGS[int(rng.integers(len(HEADINGS)))], int(rng.integers(20, 200)), 20, int(rng.integers(16, 40)))
    y = int(rng.integers(70, 160))
    while y < c.height - 40:
        hand = new_hand(rng.uniform(18, 90))
        y += int(hand.height * rng.uniform(1.2, 2.0))
        write_line(rng, c, hand, int(rng.integers(15, 120)), y, c.width - 20, new_number,
                   (0.8, 0.12, 0.08) if rng.random() < 0.5 else (0.45, 0.35, 0.2))
    if rng.random() < 0.4:
        printed(rng, c, str(int(rng.integers(1, 300))), c.width // 2, c.height - 30, 18)


def paragraph(rng, c, x: int, y: int, width: int, px: int, lines: int) -> int:
    """Lines of printed sentences (a question, instructions) from (x, y); returns the y below them."""
    font = glyphs.print_font(rng)
    for _ in range(lines):
        words = " ".join(SENTENCES[int(rng.integers(len(SENTENCES)))] for _ in range(3)).split()
        xx = x
        for w in words:
            box = printed(rng, c, w, xx, y, px, font)
            if box is None or box[2] > x + width:
                break
            xx = box[2] + px // 3
        y += int(px * 1.6)
    return y


def digits(rng, c, new_hand, new_number):
    """Digits or short numbers set far apart on a sheet, some large, maybe under printed instructions."""
    y = 20
    if rng.random() < 0.4:
        y = paragraph(rng, c, 20, 20, c.width - 40, int(rng.integers(12, 26)), int(rng.integers(1, 5)))
    hand = new_hand(rng.uniform(30, min(220, c.height / 6)))
    while y < c.height - 1.5 * hand.height:
        y += int(hand.height * rng.uniform(1.3, 2.4))
        x = int(rng.integers(10, 200))
        while x < c.width - 2 * hand.height:
            text = str(int(rng.integers(10))) if rng.random() < 0.7 else new_number(rng)[:3]
            x = c.number(hand, text, x, y + int(hand.height * rng.normal(0, 0.15))) + int(hand.height * rng.uniform(0.8, 3))


def notebook(rng, c, new_hand, new_number):
    pitch = int(rng.integers(26, 56))
    squared = rng.random() < 0.35
    for y in range(pitch, c.height, pitch):
        rule(c, 0, y, c.width, y)
    if squared:
        for x in range(pitch, c.width, pitch):
            rule(c, x, 0, x, c.height)
    elif rng.random() < 0.6:
        rule(c, int(pitch * 2.5), 0, int(pitch * 2.5), c.height, 2)
    hand = new_hand(pitch * rng.uniform(0.55, 0.9))
    for y in range(pitch * 2, c.height - pitch, pitch * int(rng.integers(1, 3))):
        if rng.random() < 0.8:
            write_line(rng, c, hand, int(pitch * rng.uniform(2.7, 4)), y - int(rng.integers(1, 5)), c.width - 20, new_number)


def _grid(c, x0, y0, cols, rows, width=1):
    for x in cols:
        rule(c, x, y0, x, rows[-1], width)
    for y in rows:
        rule(c, x0, y, cols[-1], y, width)


def _cells(rng, x0, y0, n_cols, n_rows, cw, ch):
    cols = [x0 + i * cw for i in range(n_cols + 1)]
    rows = [y0 + j * ch for j in range(n_rows + 1)]
    return cols, rows


def table(rng, c, new_hand, new_number, printed_values: float = 0.0):
    """An answer table or mark sheet: printed header and question numbers, answers by hand."""
    ch = int(rng.integers(34, 80))
    n_cols = int(rng.integers(2, 7))
    cw = int(min((c.width - 40) / n_cols, ch * rng.uniform(1.6, 4.5)))
    n_rows = int(min(30, (c.height - 120) // ch))
    x0, y0 = int(rng.integers(10, max(11, c.width - n_cols * cw - 10))), int(rng.integers(50, 110))
    cols, rows = _cells(rng, x0, y0, n_cols, n_rows, cw, ch)
    _grid(c, x0, y0, cols, rows, int(rng.integers(1, 4)))
    px = int(ch * rng.uniform(0.3, 0.8))  # printed as small as a label or as large as the answers
    fonts = glyphs.font_files("print")
    font = fonts[int(rng.integers(len(fonts)))] if fonts and rng.random() < 0.7 else None  # one font per table, or mixed
    if rng.random() < 0.7:
        printed(rng, c, HEADINGS[int(rng.integers(len(HEADINGS)))], x0, max(2, y0 - px - 15), px + 4, font)
    hand = new_hand(ch * rng.uniform(0.4, 0.75))
    answers = rng.choice(4, size=n_cols, p=[0.6, 0.15, 0.1, 0.15])  # per column: numbers, letters, marks, printed
    answers[0] = 3
    numbered, parts, first = rng.random() < 0.5, rng.random() < 0.25, int(rng.integers(0, 8))
    for j in range(n_rows):
        top, base = rows[j], rows[j + 1] - int(ch * rng.uniform(0.12, 0.25))
        for i in range(n_cols):
            left = cols[i] + int(cw * rng.uniform(0.08, 0.3))
            if j == 0:  # the header: titles, or question numbers across
                text = str(i + first) if numbered and i else HEADINGS[int(rng.integers(len(HEADINGS)))][:max(2, cw // px)]
                printed(rng, c, text, cols[i] + 4, top + 4, px, font)
            elif j == 1 and parts and i:  # parts of each question: a, b
                for k, letter in enumerate("ab"):
                    printed(rng, c, letter, cols[i] + 4 + k * cw // 2, top + 4, px, font)
            elif answers[i] == 3 or rng.random() < printed_values:
                text = str(j) if i == 0 and rng.random() < 0.6 else str(int(rng.integers(0, 101)))
                text = LABELS[int(rng.integers(len(LABELS)))] if i == 0 and rng.random() < 0.25 else text
                printed(rng, c, text, left, top + (ch - px) // 2, px, font)
            elif rng.random() < 0.12:
                continue
            elif answers[i] == 0:
                c.number(hand, new_number(rng)[:max(1, int(cw / hand.height * 1.1))], left, base)
            elif answers[i] == 1:
                # answers by letter; no lowercase b, which many hands write as a 6 (alone, a 6 it is)
                word(c, hand, "ABCDacde"[int(rng.integers(8))], left, base)
            else:
                s = int(hand.height * rng.uniform(0.6, 1.0))
                sign(rng, c, ["tick", "cross", "tick", "slash", "minus"][int(rng.integers(5))], left, base - s, s, s, hand.width)


def scores(rng, c, new_hand, new_number):
    """A score card: printed values beside handwritten ones."""
    table(rng, c, new_hand, new_number, printed_values=rng.uniform(0.2, 0.5))


def form(rng, c, new_hand, new_number):
    """A form: printed labels, fields on a line or in boxes, filled in by hand (names in lowercase too)."""
    px = int(rng.integers(16, 34))
    y = int(rng.integers(30, 90))
    hand = new_hand(px * rng.uniform(1.0, 1.8))
    printed(rng, c, HEADINGS[int(rng.integers(len(HEADINGS)))].upper(), c.width // 3, 10, px + 6)
    while y < c.height - 3 * px:
        label = LABELS[int(rng.integers(len(LABELS)))]
        box = printed(rng, c, label + (":" if rng.random() < 0.5 else ""), 20, y, px)
        x = (box[2] if box else 200) + int(px * rng.uniform(0.5, 2))
        base = y + int(px * 1.1)
        textual = label in ("Name", "Email", "Address", "Signature", "Subject")
        content = NAMES[int(rng.integers(len(NAMES)))] if textual else new_number(rng)
        if textual and rng.random() < 0.3:
            content = content.upper()
        if rng.random() < 0.4:  # a row of boxes, one character each
            cell = int(hand.height * rng.uniform(1.1, 1.5))
            for k, ch in enumerate(content[: (c.width - x - 20) // cell]):
                cx = x + k * cell
                rule(c, cx, base - cell, cx + cell, base - cell), rule(c, cx, base, cx + cell, base)
                rule(c, cx, base - cell, cx, base), rule(c, cx + cell, base - cell, cx + cell, base)
                if ch.isdigit():
                    c.number(hand, ch, cx + cell // 6, base - cell // 8, new=k == 0)  # the boxes hold one number
                elif ch != " ":
                    word(c, hand, ch, cx + cell // 5, base - cell // 8)
        else:
            rule(c, x, base + 3, c.width - 30, base + 3)
            if textual:
                for part in content.split():
                    b = word(c, hand, part, x, base)
                    x = (b[2] if b else x) + int(hand.height * 0.6)
            else:
                c.number(hand, content, x, base)
        y += int(max(px, hand.height) * rng.uniform(2.2, 3.5))


def maths(rng, c, new_hand, new_number):
    """Working on paper: numbers, variables and signs."""
    y = int(rng.integers(40, 100))
    hand = new_hand(rng.uniform(22, 70))
    while y < c.height - 2 * hand.height:
        y += int(hand.height * rng.uniform(1.4, 2.3))
        x = int(rng.integers(20, 150))
        for _ in range(int(rng.integers(3, 9))):
            r = rng.random()
            if r < 0.45:
                x = c.number(hand, new_number(rng)[:3], x, y)
            elif r < 0.7:
                b = word(c, hand, VARIABLES[int(rng.integers(len(VARIABLES)))], x, y)
                x = b[2] if b else x
            else:
                s = int(hand.height * rng.uniform(0.4, 0.7))
                kind = ["plus", "minus", "equals", "times", "slash", "bracket", "arrow"][int(rng.integers(7))]
                b = sign(rng, c, kind, x, y - s - int(hand.height * 0.15), s, s, hand.width)
                x = b[2] if b else x
            x += int(hand.height * rng.uniform(0.25, 0.8))
            if x > c.width - 3 * hand.height:
                break


def note(rng, c, new_hand, new_number):
    """A sticky note: a few large numbers, a word."""
    hand = new_hand(c.height * rng.uniform(0.06, 0.15))
    y = int(hand.height * 1.5)
    while y < c.height - hand.height:
        write_line(rng, c, hand, int(rng.integers(10, 80)), y, c.width - 10, new_number, (0.7, 0.25, 0.05))
        y += int(hand.height * rng.uniform(1.5, 2.5))


def column(rng, c, new_hand, new_number):
    """A list: numbers one under another (roll numbers, a column of sums, 1 to 9), in one or two
    columns, sometimes after printed item numbers."""
    hand = new_hand(rng.uniform(20, 90))
    single = rng.random() < 0.4  # one digit a line: a column counting up
    labelled = rng.random() < 0.3
    step = hand.height * rng.uniform(1.15, 1.9)
    columns = 1 if rng.random() < 0.6 else 2
    for col in range(columns):
        x = int(rng.integers(20, 120) + col * c.width / columns)
        y, k = int(rng.integers(20, 120)), int(rng.integers(0, 10))
        while y < c.height - 2 * hand.height:
            y += int(step * rng.uniform(0.95, 1.05))
            xx = x + int(hand.height * rng.normal(0, 0.1))
            if labelled:
                box = printed(rng, c, f"{k + 1}.", xx, y - int(hand.height * 0.6), max(10, int(hand.height * 0.5)))
                xx = (box[2] if box else xx) + int(hand.height * 0.5)
            c.number(hand, str(k % 10) if single else new_number(rng), xx, y)
            k += 1


def close(rng, c, new_hand, new_number):
    """Numbers written close: each digit touching or reaching under the next, at any size from small
    to a few large digits on the page, beside words whose letters touch as well ("too", "all")."""
    big = rng.random() < 0.35
    hand = new_hand(rng.uniform(80, max(81, min(420, c.height / 4))) if big else rng.uniform(20, 80))
    overlap = (rng.uniform(-0.3, -0.1), rng.uniform(-0.05, 0.03))  # this writer's range of spaces
    y = int(rng.integers(10, 60))
    while y < c.height - 1.6 * hand.height:
        y += int(hand.height * rng.uniform(1.3, 2.2))
        x = int(rng.integers(10, 150))
        while x < c.width - 3 * hand.height:
            if rng.random() < 0.8:
                text = new_number(rng)[:int(rng.integers(1, 4))] if big else new_number(rng)
                x = c.number(hand, text if len(text) > 1 or big else text * 2, x, y, spacing=overlap)
            else:
                box = word(c, hand, CLOSE_WORDS[int(rng.integers(len(CLOSE_WORDS)))], x, y)
                x = box[2] if box else x + hand.height
            x += int(hand.height * rng.uniform(0.6, 2.5))


CELL_WORDS = ["A", "B", "C", "AB", "Ab", "P", "F", "nil", "abs", "O", "S", "I", "A+", "B+"]  # not marks, in a cell of marks
ROW_LABELS = ["Marks", "Marks awarded", "Marks obtained", "Score", "CO", "PO", "Max. Marks", "Total", "Part A",
              "Part B", "Grade", "Remarks"]


def marksheet(rng, c, new_hand, new_number):
    """A mark sheet or an exam book's cover: question numbers printed across a grid (sometimes with
    parts a, b under each), a printed label at the start of each row, the marks written one per cell
    in some rows and printed in others (maximum marks), now and then a grade, "AB" or a tick in a cell
    instead, a total beside the last column; grids one under another down the page."""
    px = int(rng.integers(12, 42))
    font = glyphs.print_font(rng)  # one font per sheet
    y0 = int(rng.integers(20, 120))
    if rng.random() < 0.5:
        y0 = paragraph(rng, c, 20, y0, c.width - 40, int(px * rng.uniform(0.7, 1.2)), int(rng.integers(1, 4))) + px
    while y0 < c.height - 6 * px:
        ch, cw = int(px * rng.uniform(1.5, 3.2)), int(px * rng.uniform(1.6, 4.0))
        label_w = int(px * rng.uniform(5.5, 9))
        x0 = int(rng.integers(10, 60))
        n_cols = int(min(rng.integers(4, 16), (c.width - x0 - label_w - 20) // cw))
        parts = rng.random() < 0.3
        n_rows = int(min(rng.integers(2, 6), (c.height - y0 - 10) // ch - 1 - parts))
        if n_cols < 2 or n_rows < 1:
            break
        cols = [x0] + [x0 + label_w + i * cw for i in range(n_cols + 1)]
        rows = [y0 + j * ch for j in range(n_rows + 2 + parts)]
        _grid(c, x0, y0, cols, rows, int(rng.integers(1, 4)))
        inset = (ch - px) // 2  # printed text sits in the middle of its row
        first = int(rng.choice([0, 1, 1, 1, int(rng.integers(2, 20))]))
        printed(rng, c, "Q. No." if rng.random() < 0.6 else "Question", x0 + 4, y0 + inset, px, font)
        for i in range(n_cols):  # the question numbers across
            printed(rng, c, str(first + i), cols[i + 1] + int(cw * rng.uniform(0.1, 0.4)), y0 + inset, px, font)
        if parts:  # a, b under each question
            for i in range(n_cols):
                for k, letter in enumerate("ab"):
                    printed(rng, c, letter, cols[i + 1] + 3 + k * cw // 2, y0 + ch + inset, px, font)
                rule(c, cols[i + 1] + cw // 2, y0 + ch, cols[i + 1] + cw // 2, rows[-1])
        hand = new_hand(min(ch * rng.uniform(0.45, 1.0), cw * rng.uniform(0.5, 0.9)))  # marks fit their cells
        for j in range(n_rows):
            top = rows[j + 1 + parts]
            printed(rng, c, ROW_LABELS[int(rng.integers(len(ROW_LABELS)))], x0 + 4, top + inset, px, font)
            what = rng.choice(3, p=[0.6, 0.25, 0.15])  # marks by hand, nothing (a row left blank), printed values
            for i in range(n_cols):
                left = cols[i + 1] + int(cw * rng.uniform(0.08, 0.35))
                if what == 1 or rng.random() < 0.2:
                    continue
                value = str(int(rng.integers(0, 11))) if rng.random() < 0.85 else new_number(rng)[:2]
                base = top + ch - int(ch * rng.uniform(0.05, 0.3))
                if what == 2:
                    printed(rng, c, value, left, top + inset, px, font)
                elif rng.random() < 0.1:  # a grade, "AB" for absent, a tick or a cross in a cell of marks
                    if rng.random() < 0.6:
                        word(c, hand, CELL_WORDS[int(rng.integers(len(CELL_WORDS)))], left, base)
                    else:
                        s = int(hand.height * rng.uniform(0.5, 0.9))
                        sign(rng, c, ["tick", "cross", "minus"][int(rng.integers(3))], left, base - s, s, s, hand.width)
                else:
                    c.number(hand, value, left, base)
        if rng.random() < 0.5:  # the total, by hand, beside the grid's last column
            c.number(hand, new_number(rng)[:2], cols[-1] + int(cw * 0.5), rows[-1] - int(ch * 0.2))
        y0 = rows[-1] + int(ch * rng.uniform(1.5, 4))
