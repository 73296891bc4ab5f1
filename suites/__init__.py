"""Benchmark adapters, one subpackage per suite: dataset, sandbox, oracle, scorer, task, README."""
