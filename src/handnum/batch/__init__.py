"""Batch mode: read folders, globs and manifests of scans into Parquet or JSON Lines shards.

    handnum batch scans/ --out results/              # worker processes on this machine
    handnum batch s3://bucket/scans --out results/ --engine ray --address auto
    handnum batch-report results/

One worker function (`worker.read_file`, a row per page from a path) runs under either
engine, `local` (a process pool) or `ray` (Ray Data actors); the driver writes every shard
through one commit protocol (`shards`), so a job killed at any moment and run again with
`--resume` ends with every page exactly once.
"""
from .errors import BatchError
from .run import BatchConfig, BatchSummary, run_batch

__all__ = ["BatchConfig", "BatchError", "BatchSummary", "run_batch"]
