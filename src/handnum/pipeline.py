"""`read`: the whole pipeline for one page, stage by stage, data flowing one way.

io → `find_marks` (sheet, light, ink, slope, printed lines, candidate marks) → orient (a learned
vote; a turned page is read again turned) → normalize → classify (one batched model call) →
recheck, touching → layout → judge (on by default) → Page. Work happens on a copy scaled down to at most
`max_side` pixels; boxes are mapped back to the original image.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, fields

import cv2
import numpy as np

from . import curves, deskew, forms, io, layout, orient, paper, preprocess, recheck, segment, sizes, touching, words
from .judge import model as judge
from .model import NOT_A_DIGIT, Model, load_model
from .normalize import candidate_images
from .results import Digit, Line, Number, Page, Rejected


@dataclass
class Options:
    """Reading options; every one has a default that reads ordinary pages."""

    min_confidence: float = 0.5   # digits below this go to `rejected` ("low-confidence")
    max_pixels: int = io.MAX_PIXELS
    max_pages: int = io.MAX_PAGES  # a PDF with more pages is refused before any is rendered
    max_side: int = 2400          # longest side of the working copy
    min_height: int = 8           # smallest mark (px of the working copy) considered at all
    number_gap: float = 0.3       # a gap wider than this × digit height starts a new number
    find_paper: bool = True       # a sheet on a contrasting background: read only the sheet
    orient: bool = True           # a page photographed sideways or upside down is turned upright
    deskew: bool = True           # a page photographed at an angle (up to ±45°) is straightened
    judge: bool = True            # the learned judge sets aside printed text, letters and marks read as digits (--no-judge: off)
    model: str | None = None      # model file (default: $HANDNUM_MODEL or the shipped one)

    def __post_init__(self):
        if not 0 <= self.min_confidence <= 1:
            raise ValueError(f"min_confidence must be in [0, 1], got {self.min_confidence}")
        if self.max_pixels <= 0 or self.max_pages <= 0 or self.max_side < 32 or self.min_height < 1:
            raise ValueError("max_pixels, max_pages, max_side and min_height must be positive (max_side ≥ 32)")


def make_options(**options) -> Options:
    known = {f.name for f in fields(Options)}
    unknown = set(options) - known
    if unknown:
        raise TypeError(f"unknown option(s) {sorted(unknown)}; known: {sorted(known)}")
    return Options(**options)


@dataclass
class Marks:
    """A page's candidate marks, found before any is read (the first stage's output).

    The work is done on `ink` (float, ink bright), a copy of the sheet cropped at (`ox`, `oy`),
    scaled by `scale` and straightened by `skew` degrees (`back` undoes it; None where level)."""

    ink: np.ndarray
    mask: np.ndarray        # the ink, printed lines taken away
    printed: np.ndarray     # every printed line found (rules and walls)
    walls: np.ndarray       # the walls of boxes and tables
    comps: segment.Components
    sheet: np.ndarray | None  # the sheet's corners in the original image, where one was found
    scale: float
    ox: int
    oy: int
    skew: float
    back: np.ndarray | None


def find_marks(image: np.ndarray, opts: Options) -> Marks:
    """The candidate marks of a decoded BGR page: sheet, light, ink, slope, printed lines, marks."""
    sheet = paper.find_paper(image) if opts.find_paper else None
    ox, oy = (0, 0) if sheet is None else (int(sheet[:, 0].min()), int(sheet[:, 1].min()))
    if sheet is not None:  # read only the sheet: crop to it now, blank what lies outside it below
        image = image[oy:int(sheet[:, 1].max()) + 1, ox:int(sheet[:, 0].max()) + 1]
    rh, rw = image.shape[:2]
    scale = min(1.0, opts.max_side / max(rh, rw))
    gray = preprocess.to_gray(image)
    if scale < 1:
        gray = cv2.resize(gray, (max(1, round(rw * scale)), max(1, round(rh * scale))), interpolation=cv2.INTER_AREA)
    ink = preprocess.ink_map(gray)
    region = np.ones(ink.shape, np.uint8)  # where the page is: the readable area
    if sheet is not None:
        region = paper.paper_mask(ink.shape, (sheet - [ox, oy]) * scale)
        ink *= region
    mask, t = preprocess.binarize(ink)
    skew, back = (deskew.skew_angle(mask) if opts.deskew and mask.any() else 0.0), None
    if skew:  # straighten the ink; boxes are turned back at the end
        ink, back = deskew.straighten(ink, skew)
        region, _ = deskew.straighten(region, skew)
        mask = (ink > t).astype(np.uint8)
    if mask.any():
        mask, labelled = segment.labelled_hysteresis(ink, t, 0.6 * t)  # the marks, labelled once
        rules, walls = preprocess.find_rules(mask, stats=labelled[2])
        if rules.any():  # ruled paper: its rules may bend on a curled page
            rules |= curves.curved_rules(mask, rules | walls)
        printed = rules | walls  # every printed line found
        drawn, mask = mask, preprocess.remove_rules(mask, printed, ink)  # drawn: loops' flat tops too
        drawn_labelled, labelled = labelled, (None if printed.any() else labelled)  # the mask's, if no lines went
    else:
        printed = walls = np.zeros_like(mask)
        drawn = labelled = drawn_labelled = None
    comps = segment.find_candidates(mask, min_height=opts.min_height, drawn=drawn, labelled=labelled,
                                    drawn_labelled=drawn_labelled)
    comps = segment.drop_at_edge(comps, region)
    return Marks(ink, mask, printed, walls, comps, sheet, scale, ox, oy, skew, back)


def read_image(image: np.ndarray, source: str = "array", page_no: int = 0, options: Options | None = None,
               model: Model | None = None, started: float | None = None, turn: int | None = None) -> Page:
    """Read one decoded BGR page into a Page (boxes in `image` pixels).

    `turn` fixes the page's orientation (degrees counter-clockwise); None finds it."""
    started = time.perf_counter() if started is None else started
    opts = options or Options()
    model = model or load_model(opts.model)
    original = image
    h, w = image.shape[:2]
    found = find_marks(image, opts)
    ink, mask, printed, walls, comps = found.ink, found.mask, found.printed, found.walls, found.comps
    scale, ox, oy, skew, back = found.scale, found.ox, found.oy, found.skew, found.back
    if opts.orient and turn is None:
        turn = orient.page_turn(ink, comps.boxes)
        if turn:
            page = read_image(np.ascontiguousarray(np.rot90(original, k=turn // 90)), source, page_no, opts,
                              model, started, turn)
            return _turned_back(page, original, turn)
    images = candidate_images(ink, comps.labels, comps.boxes, comps.groups)
    whole = model(images)  # every candidate of the page in one batch
    scale_px = sizes.digit_scale(comps.boxes, whole)  # the page's digit height, if it has sure digits
    comps, whole = recheck.shed_extras(ink, comps, whole, model, scale_px)
    beside = sizes.line_scale(comps.boxes, whole)      # ... and of the digits beside each mark
    boxes, probs = touching.split_touching(ink, comps, whole, model, scale_px, beside)

    to_orig = lambda b: _scale_box(b if back is None else deskew.box_back(b, back), scale, ox, oy, w, h)  # noqa: E731
    digit_idx, digits, rejected = [], {}, [Rejected(to_orig(b), why, 1.0) for b, why in comps.dropped]
    cells = forms.walled(boxes, walls) if walls.any() else None  # marks in neighbouring boxes of a form field
    marks_lines = layout.group_lines(boxes)  # of every mark, digit or not
    in_word = layout.in_words(boxes, probs, opts.number_gap, joined=cells, lines=marks_lines)
    in_word |= words.spaced_words(boxes, probs, in_word, marks_lines, opts.number_gap, cells)  # "G O K A R N E"
    line_px = sizes.line_scale(boxes, probs)  # the height of the sure digits beside each mark
    odd = sizes.out_of_scale(boxes, probs, scale_px, line_px)
    if printed.any():  # the pale edge of a printed line read as a "1" or a "7"
        edge = segment.rule_fringes(boxes, mask, printed, ink) & (probs.argmax(1) < NOT_A_DIGIT)
        odd = [o or ("rule" if e else None) for o, e in zip(odd, edge)]
    # "not a digit", or a digit under min_confidence, inside a number: a digit
    kept = layout.doubted_in_numbers(boxes, probs, in_word | np.array([bool(o) for o in odd], bool), line_px,
                                     opts.number_gap, cells, opts.min_confidence)
    loose = []  # marks read as no digit that may be pieces of one: they may bridge a gap in a number
    for i, p in enumerate(probs):
        if kept[i]:  # read as a digit: the probabilities given that it is one
            p = np.append(p[:NOT_A_DIGIT] / p[:NOT_A_DIGIT].sum(), 0.0)
        cls = int(p.argmax())
        box = to_orig(boxes[i])
        if odd[i]:
            rejected.append(Rejected(box, odd[i], float(p[cls])))
            if odd[i] in ("speck", "small"):  # maybe a piece of a digit
                loose.append(i)
        elif in_word[i] and cls != NOT_A_DIGIT:
            rejected.append(Rejected(box, "word", float(p[cls])))
        elif cls == NOT_A_DIGIT:
            rejected.append(Rejected(box, "not-a-digit", float(p[cls])))
            if not in_word[i]:
                loose.append(i)
        elif p[cls] < opts.min_confidence:
            rejected.append(Rejected(box, "low-confidence", float(p[cls])))
            loose.append(i)
        else:
            top = np.argsort(p[:NOT_A_DIGIT])[::-1][:3]
            digits[i] = Digit(box, cls, float(p[cls]), [(int(k), float(p[k])) for k in top])
            digit_idx.append(i)

    if opts.judge and digit_idx:  # the learned judge: printed text, letters and marks read as digits are set aside
        view, at = _judge_view(original, found, boxes[digit_idx], [digits[i].box for i in digit_idx])
        why, sure = judge.verdicts(view, at, np.array([digits[i].confidence for i in digit_idx]))
        rejected += [Rejected(digits[i].box, r, float(q)) for i, r, q in zip(digit_idx, why, sure) if r]
        digit_idx = [i for i, r in zip(digit_idx, why) if not r]
    lines = []
    if digit_idx:
        joined = None if cells is None else cells[np.ix_(digit_idx, digit_idx)]
        loose_boxes = boxes[loose]
        boxes = boxes[digit_idx]  # grouped on the straightened working copy, where lines are level
        for line in layout.group_lines(boxes):
            numbers = layout.split_numbers(boxes, line, opts.number_gap, joined, layout.NARROW, loose_boxes)
            numbers = layout.rejoin_close(boxes, numbers, layout.NARROW)  # gaps far below the line's own
            if numbers:
                lines.append(Line([Number([digits[digit_idx[k]] for k in num]) for num in numbers]))
    return Page(source, page_no, w, h, lines, rejected, (time.perf_counter() - started) * 1000, turn or 0,
                skew, original)


def _sheet_alone(image: np.ndarray, sheet: np.ndarray | None) -> np.ndarray:
    """The page in grey as the judge was trained to see it: where a sheet was found, the desk or cloth
    around it painted in the sheet's own paper colour."""
    gray = preprocess.to_gray(image)
    if sheet is None:
        return gray
    on = paper.paper_mask(gray.shape, sheet, 0.0).astype(bool)
    paper_level = np.median(gray[on][::37]) if on.any() else 255
    return np.where(on, gray, np.uint8(paper_level))


def _judge_view(original: np.ndarray, found: Marks, working: np.ndarray, boxes: list) -> tuple[np.ndarray, np.ndarray]:
    """The page the judge looks at, and the marks' boxes on it: the sheet alone (`_sheet_alone`), at
    full resolution, and straightened as the working copy was, so that a mark on a tilted photo stands
    upright as on the level pages the judge learned from. `working`: the boxes on the working copy;
    `boxes`: the same in `original`'s pixels (used as they are where the page is level)."""
    gray = _sheet_alone(original, found.sheet)
    if not found.skew:
        return gray, np.array(boxes, np.float64)
    if found.sheet is not None:
        gray = gray[found.oy:int(found.sheet[:, 1].max()) + 1, found.ox:int(found.sheet[:, 0].max()) + 1]
    turned, _ = deskew.straighten(255 - gray, found.skew)  # new corners: paper, not black
    return 255 - turned, np.asarray(working, np.float64) / found.scale


def _turned_back(page: Page, original: np.ndarray, turn: int) -> Page:
    """A page read turned by `turn` degrees, with its boxes in the original image's pixels."""
    h, w = original.shape[:2]
    for d in page.digits:
        d.box = orient.box_to_original(d.box, turn, w, h)
    for r in page.rejected:
        r.box = orient.box_to_original(r.box, turn, w, h)
    page.width, page.height, page.image = w, h, original
    return page


def _scale_box(box, scale: float, ox: int, oy: int, w: int, h: int) -> tuple[int, int, int, int]:
    """A working-copy box in original image pixels (undo the scale, add the sheet's offset)."""
    x0, y0, x1, y1 = (float(v) / scale for v in box)
    x0, x1, y0, y1 = x0 + ox, x1 + ox, y0 + oy, y1 + oy
    return (max(0, int(np.floor(x0))), max(0, int(np.floor(y0))), min(w, int(np.ceil(x1))), min(h, int(np.ceil(y1))))


def iter_pages(source: io.Source, *, name: str | None = None, **options) -> Iterator[Page]:
    """Read the pages of `source` (path, encoded bytes or array) one at a time: a PDF's pages are
    rendered as they are read, so memory stays that of one page whatever the PDF's length."""
    started = time.perf_counter()
    opts = make_options(**options)
    model = load_model(opts.model)
    with io.open_source(source, opts.max_pixels, name, opts.max_pages) as pages:
        for i in range(len(pages)):
            p = pages[i]
            yield read_image(p.image, p.source, p.page, opts, model, started)
            started = time.perf_counter()


def read_pages(source: io.Source, *, name: str | None = None, **options) -> list[Page]:
    """Read every page of `source` (path, encoded bytes or array); a PDF gives one Page per page.

    Each Page keeps its image (for `Page.annotate`): for a long PDF, `iter_pages` holds one at a time."""
    return list(iter_pages(source, name=name, **options))


def read(source: io.Source, *, page: int = 0, name: str | None = None, **options) -> Page:
    """Read one page (the first, or `page` of a PDF) of a path, encoded bytes or a BGR/gray array.
    Only that page is decoded or rendered."""
    started = time.perf_counter()
    opts = make_options(**options)
    model = load_model(opts.model)
    with io.open_source(source, opts.max_pixels, name, opts.max_pages) as pages:
        p = pages[page]  # IndexError for a page the source does not have
    return read_image(p.image, p.source, p.page, opts, model, started)  # the file's bytes are let go
