"""Labelled samples of a user's own handwriting, from folders of single digits and from sheets with truth.

Every sample goes through `classify.digit_image`, the very preprocessing `handnum digit` uses, so
what the model is taught is what it will see when reading. A bad sample (unreadable file, no
label, no ink) is listed with its reason and skipped, never fatal.

Labels: a sub-folder named `0`…`9` or `x` ("not a digit", class 10), else the last character of
the file name before the extension when a separator or a letter precedes it (`own_4.png`,
`four4.png`, `_x.png`); `IMG_1234.png` has no label (a photo number, not a label).

Sheets: a folder with `truth.json` ({"file": {"lines": ["12 345", ...]}}). Each sheet is read
with the base model; its digits in reading order are aligned with the truth's digits by edit
distance. Equal and substituted positions become samples with the *truth* label (the crop of the
digit's box); read-only marks (insertions) and truth-only digits (deletions) are skipped.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import io
from ..classify import digit_image
from ..errors import DataError, ImageError
from ..model import NOT_A_DIGIT

LABEL_DIRS = {**{str(d): d for d in range(10)}, "x": NOT_A_DIGIT, "X": NOT_A_DIGIT}
IMAGE_SUFFIXES = io.IMAGE_SUFFIXES - {".pdf"}
MAX_SHEET_ERROR = 0.5  # skip a sheet whose reading is further than this from its truth (edits / digits)


@dataclass
class Sample:
    image: np.ndarray  # (28, 28) float32 in [0, 1], ink bright
    label: int         # 0-9, or 10 for "not a digit"
    source: str


@dataclass
class Skipped:
    source: str
    reason: str


@dataclass
class SampleSet:
    """Samples, what was skipped and why, and per-sheet alignment reports."""

    samples: list[Sample] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    sheets: list[dict] = field(default_factory=list)

    def extend(self, other: "SampleSet") -> None:
        self.samples += other.samples
        self.skipped += other.skipped
        self.sheets += other.sheets

    def images(self) -> np.ndarray:
        if not self.samples:
            return np.zeros((0, 28, 28), np.float32)
        return np.stack([s.image for s in self.samples]).astype(np.float32)

    def labels(self) -> np.ndarray:
        return np.array([s.label for s in self.samples], np.int64)

    def counts(self) -> dict[int, int]:
        """Samples per class, classes in order."""
        return dict(sorted(Counter(s.label for s in self.samples).items()))


def label_from_name(path: Path) -> int | None:
    """The label in a file name (`anything_4.png` → 4, `anything_x.png` → 10), or None."""
    stem = path.stem
    if not stem:
        return None
    last, before = stem[-1], stem[-2] if len(stem) > 1 else ""
    if last.isdigit() and not before.isdigit():
        return int(last)
    if last in "xX" and before in ("", "_", "-", ".", " "):
        return NOT_A_DIGIT
    return None


def label_for(path: Path, root: Path) -> int | None:
    """A label sub-folder (the nearest one under `root`) wins over the file name."""
    for parent in path.relative_to(root).parents:
        if parent.name in LABEL_DIRS:
            return LABEL_DIRS[parent.name]
    return label_from_name(path)


def sample_from_image(image: np.ndarray, label: int, source: str) -> Sample | Skipped:
    """Normalise one single-digit image; Skipped when no ink is found."""
    x = digit_image(image)
    if float(x.max()) <= 0:
        return Skipped(source, "no ink found (empty crop)")
    return Sample(x.astype(np.float32), label, source)


def load_file(path: Path, label: int | None) -> Sample | Skipped:
    if label is None:
        return Skipped(str(path), "no label: name it like NAME_4.png or put it in a sub-folder 0-9 or x")
    try:
        image = io.load(str(path))[0].image
    except ImageError as e:
        return Skipped(str(path), f"unreadable: {e}")
    return sample_from_image(image, label, str(path))


def load_folder(folder: str | Path) -> SampleSet:
    """All image files under `folder` (recursively), labelled by sub-folder or file name."""
    root = Path(folder)
    if root.is_file():
        files, root = [root], root.parent
    elif root.is_dir():
        files = sorted(p for p in root.rglob("*")
                       if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts))
    else:
        raise DataError(f"sample source not found: {folder}")
    out = SampleSet()
    for path in files:
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            out.skipped.append(Skipped(str(path), "not an image file"))
            continue
        got = load_file(path, label_for(path, root))
        (out.samples if isinstance(got, Sample) else out.skipped).append(got)
    return out


def align(read: list[int], truth: list[int]) -> list[tuple[int | None, int | None]]:
    """Edit-distance alignment: pairs (i, j) of read[i] with truth[j]; (i, None) is a read-only mark
    (insertion), (None, j) a truth digit that was not read (deletion). Substitutions pair up."""
    n, m = len(read), len(truth)
    d = np.zeros((n + 1, m + 1), np.int64)
    d[:, 0], d[0, :] = np.arange(n + 1), np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i, j] = min(d[i - 1, j - 1] + (read[i - 1] != truth[j - 1]), d[i - 1, j] + 1, d[i, j - 1] + 1)
    pairs: list[tuple[int | None, int | None]] = []
    i, j = n, m
    while i > 0 or j > 0:  # walk back, preferring the diagonal (match or substitution)
        if i > 0 and j > 0 and d[i, j] == d[i - 1, j - 1] + (read[i - 1] != truth[j - 1]):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i > 0 and d[i, j] == d[i - 1, j] + 1:
            pairs.append((i - 1, None))
            i -= 1
        else:
            pairs.append((None, j - 1))
            j -= 1
    return pairs[::-1]


def crop(image: np.ndarray, box: tuple[int, int, int, int], margin: float = 0.15) -> np.ndarray:
    """The box plus a margin (a fraction of its larger side), clipped to the image."""
    x0, y0, x1, y1 = box
    m = max(2, round(margin * max(x1 - x0, y1 - y0)))
    h, w = image.shape[:2]
    return image[max(0, y0 - m):min(h, y1 + m), max(0, x0 - m):min(w, x1 + m)]


def sheet_samples(image: np.ndarray, true_lines: list[str], name: str, model=None) -> SampleSet:
    """Read one sheet, align its digits with the truth, and keep the matched crops with truth labels."""
    from ..model import Model, load_model
    from ..pipeline import Options, read_image  # reading pulls in the whole pipeline: import late

    model = model if isinstance(model, Model) else load_model(model)
    page = read_image(image, name, options=Options(min_confidence=0.0), model=model)
    digits = [d for line in page.lines for number in line.numbers for d in number.digits]
    truth = [int(c) for line in true_lines for c in line if c.isdigit()]
    pairs = align([d.digit for d in digits], truth)
    out = SampleSet()
    report = {"sheet": name, "truth_digits": len(truth), "read_digits": len(digits),
              "matched": 0, "substituted": 0, "skipped_read_only": 0, "skipped_not_read": 0}
    edits = sum(1 for i, j in pairs if i is None or j is None or digits[i].digit != truth[j])
    if truth and edits > MAX_SHEET_ERROR * len(truth):
        report["skipped"] = (f"reading too far from the truth ({edits} edits over {len(truth)} digits): "
                             f"alignment unreliable")
        out.skipped.append(Skipped(name, report["skipped"]))
        out.sheets.append(report)
        return out
    for i, j in pairs:
        if i is None:
            report["skipped_not_read"] += 1
            out.skipped.append(Skipped(f"{name} truth digit {j + 1} ({truth[j]})", "not found on the sheet (deletion)"))
        elif j is None:
            report["skipped_read_only"] += 1
            out.skipped.append(Skipped(f"{name} box {list(digits[i].box)}", "read but not in the truth (insertion)"))
        else:
            got = sample_from_image(crop(image, digits[i].box), truth[j], f"{name} box {list(digits[i].box)}")
            if isinstance(got, Skipped):
                out.skipped.append(got)
                continue
            out.samples.append(got)
            report["matched"] += 1
            report["substituted"] += int(digits[i].digit != truth[j])
    out.sheets.append(report)
    return out


def load_sheets(folder: str | Path, model=None) -> SampleSet:
    """Every sheet listed in `folder/truth.json`, aligned with its truth."""
    folder = Path(folder)
    truth_file = folder / "truth.json" if folder.is_dir() else folder
    try:
        truth = json.loads(truth_file.read_text())
    except (OSError, ValueError) as e:
        raise DataError(f"sheets: cannot read {truth_file}: {e}") from e
    out = SampleSet()
    for name, entry in truth.items():
        lines = entry.get("lines", []) if isinstance(entry, dict) else entry
        try:
            image = io.load(str(truth_file.parent / name))[0].image
        except ImageError as e:
            out.skipped.append(Skipped(name, f"unreadable: {e}"))
            continue
        out.extend(sheet_samples(image, lines, name, model))
    return out


def load_sources(sources: list[str], sheets: list[str] = (), model=None) -> SampleSet:
    """Folders/files of single digits, plus sheet folders (a `--from` folder holding truth.json is a sheet folder)."""
    out = SampleSet()
    for src in sources:
        is_sheets = Path(src, "truth.json").is_file()
        out.extend(load_sheets(src, model) if is_sheets else load_folder(src))
    for folder in sheets:
        out.extend(load_sheets(folder, model))
    return out


def split(labels: np.ndarray, holdout: float, min_class: int, min_total: int,
          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, str]:
    """Stratified split into (train, validation) indices, and a note saying what was done.

    Classes with at least `min_class` samples give up `holdout` of them (at least one); when that
    makes fewer than `min_total` validation samples, there is no split: validate on everything.
    """
    train, val, small = [], [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        if len(idx) < min_class:
            small.append("x" if c == NOT_A_DIGIT else str(c))
            train += idx.tolist()
        else:
            k = max(1, round(holdout * len(idx)))
            val += idx[:k].tolist()
            train += idx[k:].tolist()
    if len(val) < min_total:
        everything = np.arange(len(labels))
        return everything, everything, (f"too few samples to hold some out ({len(labels)}; a class needs {min_class} "
                                        f"to give one up, validation needs {min_total}): validating on all your "
                                        f"samples (also trained on) and on MNIST")
    note = f"held out {len(val)} of {len(labels)} samples ({holdout:.0%} of each class) for validation"
    if small:
        note += f"; class(es) {', '.join(small)} have fewer than {min_class} samples: all used for training"
    return np.sort(train), np.sort(val), note
