"""Group digit boxes into lines (reading order, robust to slight skew) and numbers (by gap size).

Works on an (N, 4) box array and returns index lists; the result objects are built later.
"""
from __future__ import annotations

import numpy as np

DOUBTED_HEIGHT, DOUBTED_DIGIT = 0.7, 0.02  # a "not a digit" this tall for its line, with this digit reading
X_HEIGHT, SHORT_WORD = 0.8, 5  # a sure letter this short for its cluster of at most this many marks: a word
HYPHEN = 0.45  # ... but at least this share of its tallest: a shorter one is a hyphen or a dash, no letter
SURE_JUNK = 0.9  # a "not a digit" this sure: a letter
NEAR = 2.0  # a line whose newest mark ends within this many heights of a mark is preferred for it
NARROW = 0.5  # a digit takes at least this share of its height in width: the air beside a 1 is its own
BRIDGE_GAP = 1.5  # a gap up to this many heights wide may be bridged by loose ink (a lost digit and its spaces)
BRIDGE_INK = 0.25  # ink bridges a gap only if it is at least this share of the height in width or height (no dust)
TOUCH = 0.15  # ... and only if it comes this close (heights) to one of the two marks beside the gap
DASH_FLAT, DASH_LOW = 1.2, 0.3  # loose ink this many times wider than tall and under this share of the height:
# a dash between numbers ("286-1000") when it stands free of both neighbours, never a bridge
CLOSE_GAP, CLEAR_RATIO = 0.5, 3.0  # a gap under CLOSE_GAP heights splits numbers only if at least
# 1/CLEAR_RATIO of the narrowest gap over CLOSE_GAP on its line (`rejoin_close`)
LOWER, ASCENDER = 0.7, 0.85  # lowercase letters and ascenders, as shares of a cluster's tallest mark
# (print's x-height is about 0.7 of its ascenders; at 0.65, an @ taller than the ascenders tipped it)


def group_lines(boxes: np.ndarray, min_overlap: float = 0.4) -> list[list[int]]:
    """Split boxes into text lines, each sorted left to right; lines sorted top to bottom.

    Boxes are taken left to right; each joins the line whose *last* boxes overlap it most
    vertically (at least `min_overlap`), so a slightly skewed line is followed along its slope.
    A speck or a dot (the full stop of "Nr.") does not end a line: the last mark at least half
    as tall as the new one counts. A line whose newest mark ends within NEAR heights of the new
    one is preferred to lines that ended far to the left (two lines at one height: "kg" after a
    line split by a colon's dot).
    """
    x0s, y0s, x1s, y1s = (boxes[:, k].tolist() for k in range(4))  # plain ints: a loop over marks
    h = [b - a for a, b in zip(y0s, y1s)]
    band = max(1, int(np.median(h))) if len(h) else 1
    lines: list[list[int]] = []
    at: dict[int, set[int]] = {}  # band of rows -> lines that had a mark there: the only candidates
    for i in np.argsort(boxes[:, 0], kind="stable").tolist():
        y0, y1, hi = y0s[i], y1s[i], h[i]
        rows = range(int(y0 // band), int(y1 // band) + 1)
        best, top, close = -1, -1.0, False
        for k in sorted(set().union(*(at.get(r, ()) for r in rows))):
            tail = lines[k][-4:]  # its last four marks, the newest last
            j = next((m for m in reversed(tail) if h[m] >= 0.5 * hi), tail[-1])  # a dot does not count
            ov = (min(y1s[j], y1) - max(y0s[j], y0)) / max(1, min(h[j], hi))
            if ov < min_overlap:
                continue
            near = x0s[i] - x1s[tail[-1]] <= NEAR * hi  # a line whose newest mark is close wins
            if (near, ov) >= (close, top):  # on a tie, the later line
                best, top, close = k, ov, near
        if best < 0:
            lines.append([])
            best = len(lines) - 1
        lines[best].append(i)
        for r in rows:
            at.setdefault(r, set()).add(best)
    lines = _merge_side_by_side(boxes, lines, min_overlap)
    return sorted(lines, key=lambda ln: median((boxes[ln, 1] + boxes[ln, 3]) / 2))


def median(values: np.ndarray | list) -> float:
    """np.median of a few numbers (not NaN) without its overhead (~6 us a call, which adds up over
    the many small clusters and lines of a page)."""
    s, n = sorted(values.tolist() if isinstance(values, np.ndarray) else values), len(values)
    return float(s[n // 2]) if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def _merge_side_by_side(boxes: np.ndarray, lines: list[list[int]], min_overlap: float) -> list[list[int]]:
    """Join lines that continue each other (one ends before the other starts, at the same height)."""
    while True:
        lines.sort(key=lambda ln: boxes[ln[0], 0])
        last, first = boxes[[ln[-1] for ln in lines]], boxes[[ln[0] for ln in lines]]  # (L, 4) each
        before = last[:, 2:3] <= first[None, :, 0] + 0.2 * (first[None, :, 2] - first[None, :, 0])
        ov = np.minimum(last[:, 3:4], first[None, :, 3]) - np.maximum(last[:, 1:2], first[None, :, 1])
        low = np.maximum(1, np.minimum((last[:, 3] - last[:, 1])[:, None], (first[:, 3] - first[:, 1])[None, :]))
        pairs = before & (ov / low >= min_overlap)
        np.fill_diagonal(pairs, False)
        if not pairs.any():
            return lines
        a, b = divmod(int(np.argmax(pairs)), len(lines))  # the first pair, in the order lines start
        lines[a] = lines[a] + lines[b]
        del lines[b]


def split_numbers(boxes: np.ndarray, line: list[int], gap: float = 0.3,
                  joined: np.ndarray | None = None, narrow: float = 0.0,
                  loose: np.ndarray | None = None) -> list[list[int]]:
    """Split one line (indices sorted left to right) into numbers where the horizontal gap between
    neighbours exceeds `gap` times the line's median digit height, unless `joined[a, b]` says the
    two sit in neighbouring boxes of one form field. `narrow`: a mark counts as at least this share
    of the height wide, centred on its box (the air beside a written 1 belongs to its cell).
    `loose`: boxes (M, 4) of ink read as no digit (pieces of a broken digit, a digit the model
    doubts); a gap they fill (`_bridged`) does not split a number."""
    if not line:
        return []
    b = boxes[line]
    height, air = _height_and_air(b, narrow)
    apart = b[1:, 0] - b[:-1, 2] - air[:-1] - air[1:] > gap * height
    if joined is not None:
        apart &= ~joined[line[:-1], line[1:]]
    if loose is not None:
        for k in np.nonzero(apart)[0]:
            apart[k] = not _bridged(b[k], b[k + 1], loose, gap * height, height)
    cuts = [0] + (np.nonzero(apart)[0] + 1).tolist() + [len(line)]
    return [line[s:e] for s, e in zip(cuts, cuts[1:])]


def rejoin_close(boxes: np.ndarray, numbers: list[list[int]], narrow: float = 0.0) -> list[list[int]]:
    """Join neighbouring numbers of one line (`split_numbers`, with the same `narrow`) whose gap,
    under CLOSE_GAP heights, is less than 1/CLEAR_RATIO of the narrowest gap over CLOSE_GAP
    between numbers of the line: where the numbers of a line stand two heights apart, a gap of
    0.45 heights is a wide-set digit (a 1 with a fleck of ink beside it), not a space. A line of
    digits set 0.4 heights apart, with no wider gaps, keeps them apart."""
    if len(numbers) < 2:
        return numbers
    b = boxes[[k for num in numbers for k in num]]
    height, air = _height_and_air(b, narrow)
    end = np.cumsum([len(num) for num in numbers[:-1]]) - 1  # each number's last mark, in the line
    gaps = (b[end + 1, 0] - b[end, 2] - air[end] - air[end + 1]) / height
    clear = gaps[gaps > CLOSE_GAP]
    if not len(clear):
        return numbers
    out = [numbers[0]]
    for g, num in zip(gaps, numbers[1:]):
        if g <= CLOSE_GAP and CLEAR_RATIO * g <= clear.min():
            out[-1] = out[-1] + num
        else:
            out.append(num)
    return out


def _height_and_air(boxes: np.ndarray, narrow: float) -> tuple[float, np.ndarray]:
    """The median height of a line's marks (`boxes`), and per mark the air on each side that makes it
    at least `narrow` of that height wide (the air beside a written 1 is its own)."""
    height = median(boxes[:, 3] - boxes[:, 1])
    if not narrow:
        return height, np.zeros(len(boxes))
    return height, np.maximum(0.0, narrow * height - (boxes[:, 2] - boxes[:, 0])) / 2


def _bridged(a: np.ndarray, b: np.ndarray, loose: np.ndarray, blank: float, height: float) -> bool:
    """Whether `loose` ink fills the gap between boxes `a` and `b` (left to right) of a line so
    that no stretch of bare paper over `blank` px is left: a digit broken into pieces (its flag,
    half of its loop read as no digit) or one the model doubts leaves a gap inside its number;
    numbers are set apart by bare paper. Only gaps up to BRIDGE_GAP heights (a digit and its spaces),
    and only ink at least BRIDGE_INK of the height in size, standing between the two (inside their
    outer edges, its middle within their rows): no dust, no underline, no circle round them. A
    dash (flat and low, DASH_FLAT and DASH_LOW) standing free of both is a separator; the flag of
    a broken digit hangs over the digit's other piece. The ink must come within TOUCH heights of
    one of the two (a piece lies against the rest of its digit; a "+" between two numbers stands
    free of both)."""
    x0, x1 = a[2], b[0]
    if x1 - x0 > BRIDGE_GAP * height or not len(loose):
        return False
    w, h = loose[:, 2] - loose[:, 0], loose[:, 3] - loose[:, 1]
    cy = (loose[:, 1] + loose[:, 3]) / 2
    dash = (w >= DASH_FLAT * h) & (h < DASH_LOW * height) & (loose[:, 0] >= x0) & (loose[:, 2] <= x1)
    inside = (loose[:, 0] < x1) & (loose[:, 2] > x0) & (loose[:, 0] >= a[0]) & (loose[:, 2] <= b[2]) \
        & (cy > min(a[1], b[1])) & (cy < max(a[3], b[3])) & (np.maximum(w, h) >= BRIDGE_INK * height) & ~dash
    reach, bare = x0, []  # the right end of the ink so far, from a's right edge; the bare stretches
    for m in loose[inside][np.argsort(loose[inside, 0])]:
        bare.append(max(0, m[0] - reach))
        reach = max(reach, m[2])
    bare.append(max(0, x1 - reach))
    return len(bare) > 1 and max(bare) <= blank and min(bare) <= TOUCH * height


def in_words(boxes: np.ndarray, probs: np.ndarray, gap: float = 0.3, share: float = 0.34,
             joined: np.ndarray | None = None, lines: list[list[int]] | None = None) -> np.ndarray:
    """Mark marks that belong to a word: a tight cluster (as a number would be; or neighbouring
    boxes of one form field, `joined` as in `split_numbers`) of at least two marks of which at
    least `share` are letter-sized marks that are not digits ("Total", "km", "Nr." beside a
    number; a name in capitals in a form; a speck or a broken-off flag does not make a word),
    or with fewer letters in the patterns of `_word_evidence`. `lines`: `group_lines(boxes)`, if
    at hand. Returns a bool array over `boxes`."""
    out = np.zeros(len(boxes), bool)
    junk = probs.argmax(1) == probs.shape[1] - 1
    if len(boxes) < 2 or not junk.any():
        return out
    heights, widths = boxes[:, 3] - boxes[:, 1], boxes[:, 2] - boxes[:, 0]
    for line in group_lines(boxes) if lines is None else lines:
        for cluster in split_numbers(boxes, line, gap, joined):
            if len(cluster) < 2:  # a lone mark is no word (most clusters: digits, spaced letters)
                continue
            h, w = heights[cluster], widths[cluster]
            sized = h >= 0.4 * median(h)  # dots and specks do not count
            # letters: not a blob of digits (wider than 1.5 heights), unless short (a lowercase m)
            letters = junk[cluster] & sized & ((w <= 1.5 * h) | (h <= X_HEIGHT * h.max()))
            n = sized.sum()
            if n >= 2 and (letters.sum() >= max(2, share * n)
                           or _word_evidence(boxes[cluster], probs[cluster], letters, sized, share)):
                out[cluster] = True
    return out


def _word_evidence(boxes: np.ndarray, probs: np.ndarray, letters: np.ndarray, sized: np.ndarray,
                   share: float) -> bool:
    """A cluster with fewer letters than `share` that is a word all the same, because of:
    - one sure letter (no digit reading over DOUBTED_DIGIT) narrower than tall (one letter, not
      two digits run together: "kg", whose g reads as a 9), where one is enough for the share;
    - in a cluster of at most SHORT_WORD marks, a sure letter at most X_HEIGHT of the tallest (a
      lowercase letter between capitals and ascenders: "Tel.", whose T and l read as 7 and 1; the
      digits of a number are about one height, and in a long number one odd mark is more likely a
      blot on a digit) and at least HYPHEN of it (a hyphen before a number, "-1000", is no letter);
    - two marks at most LOWER of the tallest on its baseline, two at least ASCENDER of it, and a
      letter the model is sure of: lowercase print ("@gmail", whose g, m, a, i, l read as digits;
      a number's small zeros beside one tall letter, "8R1000", are no such pattern)."""
    h, w, bottom = boxes[:, 3] - boxes[:, 1], boxes[:, 2] - boxes[:, 0], boxes[:, 3]
    tall = h.max()
    sure = letters & (probs[:, :-1].max(1) < DOUBTED_DIGIT)
    sure_junk = letters & (probs[:, -1] >= SURE_JUNK)
    lower = sized & (h <= LOWER * tall) & (bottom >= bottom[h.argmax()] - 0.12 * tall)
    return bool((sure & (w < h)).sum() >= max(1, share * sized.sum())
                or ((sure & (h <= X_HEIGHT * tall) & (h >= HYPHEN * tall)).any() and sized.sum() <= SHORT_WORD)
                or (lower.sum() >= 2 and (h >= ASCENDER * tall).sum() >= 2 and sure_junk.any()))


def doubted_in_numbers(boxes: np.ndarray, probs: np.ndarray, excluded: np.ndarray, beside: np.ndarray,
                       gap: float = 0.3, joined: np.ndarray | None = None, unsure: float = 0.0) -> np.ndarray:
    """Marks the model calls "not a digit", or reads as a digit less sure than `unsure` (the
    reading's minimum confidence), that are read as digits all the same: inside a number (next to
    a sure digit, `in_numbers`), at least DOUBTED_HEIGHT of the height of the digits beside them
    (`sizes.line_scale`; a letter or a dash is smaller), with a digit probability of at least
    DOUBTED_DIGIT, and not `excluded` (in a word, out of scale). Returns a bool array."""
    junk = (probs.argmax(1) == probs.shape[1] - 1) | (probs.max(1) < unsure)
    doubted = junk & ~excluded & (boxes[:, 3] - boxes[:, 1] >= DOUBTED_HEIGHT * beside) \
        & (probs[:, :-1].max(1) >= DOUBTED_DIGIT)  # NaN (no digits beside) compares False
    return in_numbers(boxes, sure_digits(boxes, probs) & ~excluded, doubted, gap, joined)


def in_numbers(boxes: np.ndarray, digit: np.ndarray, maybe: np.ndarray, gap: float = 0.3,
               joined: np.ndarray | None = None) -> np.ndarray:
    """Marks of `maybe` that stand inside a number: next to a mark of `digit` in the same tight
    cluster (as `split_numbers` groups the marks of both kinds). A digit the model doubts (an
    open 6, a 3 with a bit of its neighbour) between the digits of a number is far more likely a
    digit than a word or a symbol; left out, it would also split its number in two. Returns a
    bool array over `boxes`."""
    out = np.zeros(len(boxes), bool)
    idx = np.nonzero(digit | maybe)[0]
    if not maybe.any() or not digit.any():
        return out
    sub = boxes[idx]
    sub_joined = None if joined is None else joined[np.ix_(idx, idx)]
    for line in group_lines(sub):
        for cluster in split_numbers(sub, line, gap, sub_joined):
            marks = idx[cluster]
            for k, i in enumerate(marks):
                if maybe[i] and any(digit[marks[j]] for j in (k - 1, k + 1) if 0 <= j < len(marks)):
                    out[i] = True
    return out


def sure_digits(boxes: np.ndarray, probs: np.ndarray, sure: float = 0.9) -> np.ndarray:
    """Marks the model is sure are digits and that stand upright (taller than 0.8 of their
    width: a flat bit of a line read as "1" does not count)."""
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    return (probs.argmax(1) < probs.shape[1] - 1) & (probs.max(1) >= sure) & (h >= 0.8 * w)
