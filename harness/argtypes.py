"""argparse types for the CLI's options: numbers checked where they are parsed, so argparse names the option."""

from __future__ import annotations

import argparse


def alpha_level(text: str) -> float:
    """--alpha: a significance level strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; use a level in (0, 1), e.g. 0.05") from None
    if not 0 < value < 1:  # also false for NaN
        raise argparse.ArgumentTypeError(f"{text} is not in (0, 1); use a significance level such as 0.05")
    return value


def gap_points(text: str) -> float:
    """--gap: points of difference, positive and at most 100."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; use points in (0, 100], e.g. 5") from None
    if not 0 < value <= 100:  # also false for NaN and inf
        raise argparse.ArgumentTypeError(f"{text} is not in (0, 100]; use a positive gap in points, e.g. 5")
    return value


def positive_int(text: str) -> int:
    """A count of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer; use 1 or more") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not 1 or more")
    return value


def shard_spec(text: str) -> str:
    """--shard: K/N with 1 <= K <= N (`harness.shard`)."""
    from harness.errors import HarnessError
    from harness.shard import parse

    try:
        return str(parse(text))
    except HarnessError as ex:
        raise argparse.ArgumentTypeError(str(ex).removeprefix("--shard ")) from None
