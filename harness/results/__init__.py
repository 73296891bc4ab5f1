"""Tidy results tables from inspect eval logs: one row per (run, suite, task, epoch, model), plus summaries."""

from harness.results.tables import load, print_summary, run_summary, summary, write_tables

__all__ = ["load", "print_summary", "run_summary", "summary", "write_tables"]
