"""Reading a verifier's reward files the way Harbor's Verifier does, and the error policy table (errors.toml).

Harbor reads /logs/verifier/reward.txt (one float) and, when there is none, /logs/verifier/reward.json (an object
of numbers). The trial's scalar reward is the `reward` key, or the only key (Harbor's Mean metric). A missing,
empty or unparsable reward is an error of its own class, never a silent 0.
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

ERRORS_FILE = Path(__file__).parent / "errors.toml"


class ErrorClass(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reward_counts: bool
    description: str


@cache
def error_policy() -> dict[str, ErrorClass]:
    """Harbor exception class -> whether the trial's reward counts, from errors.toml."""
    with ERRORS_FILE.open("rb") as f:
        return {name: ErrorClass.model_validate(entry) for name, entry in tomllib.load(f).items()}


class RewardError(Exception):
    """No valid reward; `error_class` is the Harbor exception class (a key of errors.toml)."""

    def __init__(self, error_class: str, message: str) -> None:
        super().__init__(message)
        self.error_class = error_class


@dataclass(frozen=True)
class Reward:
    value: float
    rewards: dict[str, float]
    source: str


def _finite(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RewardError("VerifierOutputParseError", f"{where} is not a number: {value!r}")
    if not math.isfinite(value):
        raise RewardError("VerifierOutputParseError", f"{where} is not finite: {value!r}")
    return float(value)


def parse_reward_txt(text: str) -> Reward:
    if not text.strip():
        raise RewardError("RewardFileEmptyError", "reward.txt is empty")
    try:
        value = float(text.strip())
    except ValueError as ex:
        raise RewardError("VerifierOutputParseError", f"reward.txt is not a number: {text.strip()[:80]!r}") from ex
    value = _finite(value, "reward.txt")
    return Reward(value, {"reward": value}, "reward.txt")


def parse_reward_json(text: str) -> Reward:
    if not text.strip():
        raise RewardError("RewardFileEmptyError", "reward.json is empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as ex:
        raise RewardError("VerifierOutputParseError", f"reward.json is not JSON ({ex.msg})") from ex
    if not isinstance(data, dict) or not data:
        raise RewardError("VerifierOutputParseError", "reward.json is not a non-empty object of numbers")
    rewards = {str(k): _finite(v, f"reward.json[{k!r}]") for k, v in data.items()}
    if "reward" in rewards:
        value = rewards["reward"]
    elif len(rewards) == 1:
        value = next(iter(rewards.values()))
    else:
        raise RewardError(
            "VerifierOutputParseError", f"reward.json has several keys ({', '.join(sorted(rewards))}) and no 'reward'"
        )
    return Reward(value, rewards, "reward.json")


def parse_reward(reward_txt: str | None, reward_json: str | None) -> Reward:
    """The trial's reward from the files' contents (None: the file does not exist). reward.txt wins."""
    if reward_txt is not None:
        return parse_reward_txt(reward_txt)
    if reward_json is not None:
        return parse_reward_json(reward_json)
    raise RewardError("RewardFileNotFoundError", "no /logs/verifier/reward.txt or /logs/verifier/reward.json")
