"""Words that `layout.in_words` misses: evenly spaced letters.

`layout.in_words` finds a word only inside a tight cluster (marks closer than a number's gap);
letters written apart, each its own cluster, are found here from the rhythm of their spacing.
"""
from __future__ import annotations

import numpy as np

from .layout import median, split_numbers

LETTER_WIDTH = 1.5  # a cluster at most this many of its heights wide: one letter (or one in pieces)
LETTER_GAP = 1.2    # letters of a spaced word stand at most this many of their heights apart
ALIKE = 2.0         # ... each gap at most this many times the run's median gap (a wider one: a new word)
SPACED_LETTERS, SPACED_SHARE = 3, 0.34  # a run of at least this many letters, this share of its clusters
# (capitals read as digits are common: R as 2, G as 6, I as 1; a row of spaced digits has no letters)


def spaced_words(boxes: np.ndarray, probs: np.ndarray, word: np.ndarray, lines: list[list[int]],
                 gap: float = 0.3, joined: np.ndarray | None = None) -> np.ndarray:
    """Marks of words written as spaced letters: in a line, a run of clusters (`split_numbers`)
    each about one letter wide and of about one height, at gaps alike (none over ALIKE times the
    run's median gap nor LETTER_GAP heights), with at least SPACED_LETTERS letters (clusters
    mostly "not a digit", or in a `word`) and SPACED_SHARE of its clusters: "G O K A R N E",
    whose O reads as a sure 0, or a G in pieces read "157". The marks of a cluster already in a
    `word` count one each, so a letter as far from a word as its letters stand apart joins it
    ("O KHALDHUN"). A number beside a word stands farther off than its letters stand apart
    ("Total 5": a printed word's letters nearly touch), and a row of spaced digits has no
    letters. Returns a bool array over `boxes`."""
    out = np.zeros(len(boxes), bool)
    if len(boxes) < SPACED_LETTERS:
        return out
    junk = probs.argmax(1) == probs.shape[1] - 1
    for line in lines:
        clusters = [u for c in _sized_clusters(boxes, line, gap, joined)
                    for u in ([[i] for i in c] if word[c].any() else [c])]  # a word's letters: one each
        size = [len(c) for c in clusters]
        idx, start = np.concatenate(clusters), np.cumsum([0] + size[:-1])
        x0, y0 = (np.minimum.reduceat(boxes[idx, k], start) for k in (0, 1))  # each cluster's box
        x1, ch = np.maximum.reduceat(boxes[idx, 2], start), np.maximum.reduceat(boxes[idx, 3], start) - y0
        letter = np.logical_or.reduceat(word[idx], start) \
            | (np.add.reduceat(junk[idx], start, dtype=float) / size >= 0.5)
        one = x1 - x0 <= LETTER_WIDTH * ch
        gaps = x0[1:] - x1[:-1]
        for run in _runs(one, gaps, ch):
            if letter[run].sum() >= max(SPACED_LETTERS, SPACED_SHARE * len(run)):
                for k in run:
                    out[clusters[k]] = True
    return out


def _sized_clusters(boxes: np.ndarray, line: list[int], gap: float,
                    joined: np.ndarray | None) -> list[list[int]]:
    """The tight clusters (`split_numbers`) of a line's marks at least 0.4 of its median height
    (no dots, no specks between letters)."""
    h = boxes[line, 3] - boxes[line, 1]
    least = 0.4 * median(h)
    return split_numbers(boxes, [i for i, hi in zip(line, h) if hi >= least], gap, joined)


def _runs(one: np.ndarray, gaps: np.ndarray, ch: np.ndarray) -> list[list[int]]:
    """Runs of consecutive one-letter clusters of about one height (0.6 to 1.6 of the run's median)
    at gaps under LETTER_GAP heights, split where a gap is over ALIKE times the run's median."""
    one, gaps, ch = one.tolist(), gaps.tolist(), ch.tolist()  # plain numbers: a loop over clusters
    runs, cur = [], []
    for k in range(len(one)):
        fits = one[k] and (not cur or (gaps[k - 1] <= LETTER_GAP * max(ch[k], ch[cur[-1]])
                                       and 0.6 <= ch[k] / median([ch[j] for j in cur]) <= 1.6))
        if fits:
            cur.append(k)
        else:
            runs.append(cur)
            cur = [k] if one[k] else []
    runs.append(cur)
    out = []
    while runs:
        run = runs.pop()
        if len(run) < SPACED_LETTERS:
            continue
        g = [gaps[k] for k in run[:-1]]
        if max(g) > ALIKE * median(g):
            cut = g.index(max(g))  # split at the widest gap and look again at both sides
            runs += [run[:cut + 1], run[cut + 1:]]
        else:
            out.append(run)
    return out
