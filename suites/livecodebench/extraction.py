"""The program in a model's answer: lcb_runner's `extract_code` for chat models (lcb_runner/utils/extraction_utils.py).

Every line containing three backticks is a fence line; the program is the text between the last two fence lines,
and an answer with fewer than two fence lines has no program (the empty string).
"""

from __future__ import annotations

FENCE = "```"


def extract_code(answer: str) -> str:
    lines = answer.split("\n")
    fences = [i for i, line in enumerate(lines) if FENCE in line]
    if len(fences) < 2:
        return ""
    return "\n".join(lines[fences[-2] + 1 : fences[-1]])
