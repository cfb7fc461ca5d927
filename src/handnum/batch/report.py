"""`handnum batch-report DIR`: what a batch folder holds, read back from its committed shards."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import BatchError
from .shards import committed_shards, iter_rows, read_meta

MAX_EXAMPLES = 5


@dataclass
class Report:
    out: str
    format: str
    shards: int
    runs: int
    finished: bool            # the last run read everything it was given
    files: int
    pages: int                # pages read (error rows not counted)
    errors: int               # error rows
    duplicates: int           # (source, page) pairs seen more than once: 0 unless something is wrong
    digits: int
    numbers: int
    wall_seconds: float       # summed over runs, up to each run's last commit
    page_ms: float            # summed per-page reading time (one core each)
    error_examples: list[str] = field(default_factory=list)

    @property
    def pages_per_second(self) -> float:
        return (self.pages + self.errors) / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def pages_per_core_second(self) -> float:
        return self.pages / (self.page_ms / 1000) if self.page_ms else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "pages_per_second": round(self.pages_per_second, 3),
                "pages_per_core_second": round(self.pages_per_core_second, 3)}


def summarize(path: Path) -> Report:
    """Count pages, errors, digits and numbers over every committed shard of DIR."""
    path = Path(path)
    meta = read_meta(path) if path.is_dir() else None
    if meta is None:
        raise BatchError(f"{path} is not a handnum batch folder (no _handnum_batch.json)")
    runs = meta.get("runs", [])
    r = Report(str(path), meta.get("format", "?"), len(committed_shards(path)), len(runs),
               bool(runs and runs[-1].get("finished")), 0, 0, 0, 0, 0, 0,
               round(sum(run.get("seconds", 0.0) for run in runs), 2), 0.0)
    seen, sources = set(), set()
    for row in iter_rows(path, ["source", "page", "text", "elapsed_ms", "error"]):
        key = (row["source"], row["page"])
        r.duplicates += key in seen
        seen.add(key)
        sources.add(row["source"])
        if row["error"] is not None:
            r.errors += 1
            if len(r.error_examples) < MAX_EXAMPLES:
                r.error_examples.append(row["error"])
            continue
        r.pages += 1
        r.page_ms += row["elapsed_ms"] or 0.0
        text = row["text"] or ""
        r.digits += sum(c.isdigit() for c in text)
        r.numbers += len(text.split())
    r.files = len(sources)
    r.page_ms = round(r.page_ms, 1)
    return r


def format_report(r: Report) -> str:
    """The report as a few human lines."""
    state = "finished" if r.finished else "not finished: run `handnum batch ... --resume` to complete it"
    lines = [f"folder:     {r.out} ({r.format}, {r.shards} shard(s), {r.runs} run(s), {state})",
             f"files:      {r.files}",
             f"pages:      {r.pages} read, {r.errors} error(s)"
             + (f", {r.duplicates} DUPLICATE(S)" if r.duplicates else ""),
             f"digits:     {r.digits} in {r.numbers} number(s)",
             (f"throughput: {r.pages_per_second:.2f} pages/s over {r.wall_seconds:.1f} s wall; "
              f"{r.page_ms / max(r.pages, 1):.0f} ms per page on one core "
              f"({r.pages_per_core_second:.2f} pages/s per core)")]
    if r.error_examples:
        lines.append(f"errors (first {len(r.error_examples)}):")
        lines += [f"  {e}" for e in r.error_examples]
    return "\n".join(lines)
