"""`harness plan`: the estimate for `--data full` of every suite, offline, from recorded dataset sizes, the price
table and the (overridable) token profiles; figures checked by hand."""

from __future__ import annotations

import io
import socket
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from harness.cli import main
from harness.cost import usage_cost
from harness.models import price_key
from harness.plan import PLAN_FILE, profiles
from harness.suite import suite_names


def _plan(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["plan", *args])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture()
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("harness plan opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_every_suite_has_a_profile_with_a_source() -> None:
    known = profiles()
    for suite in suite_names():
        assert suite in known, f"{PLAN_FILE}: add a [{suite}] table"
        assert known[suite].source and known[suite].checked


def flash_call(input_tokens: int, output_tokens: int) -> float:
    """USD for one deepseek-v4-flash call now."""
    cost = usage_cost(price_key("deepseek-v4-flash"), {"input_tokens": input_tokens, "output_tokens": output_tokens})
    assert cost is not None
    return cost


def test_full_data_of_every_suite_offline(offline: None) -> None:
    code, out, _ = _plan("--data", "full", "--epochs", "3", "--concurrency", "8", "--shards", "4")
    assert code == 0, out
    for suite, samples in (("swe_verified", 500), ("terminal_bench", 89), ("mcp_atlas", 500), ("livecodebench", 1055)):
        assert f"{suite}: {samples} samples x 3 = {samples * 3} attempts (source: " in out
    # SWE-bench Verified: 1500 attempts x 2 sandboxes; 60 calls each; images: base + 125 instances of this shard
    assert "sandboxes 3,000   images to pull 219.8 GB per shard" in out
    assert "model calls 90,000" in out
    # LiveCodeBench on deepseek-v4-flash: 3165 attempts x one call of 1500 input + 20000 output tokens, at the rates
    # in force now (DeepSeek bills peak and off-peak hours apart)
    assert f"livecodebench ${3165 * flash_call(1500, 20_000):,.2f}" in out
    assert "h per shard at 8 concurrent sandboxes" in out
    for model in ("deepseek-v4-flash", "deepseek-v4-pro", "claude-opus-4-6"):
        assert f"  {model} " in out


def test_profile_overrides_and_bad_input(tmp_path: Path, offline: None) -> None:
    profile = tmp_path / "profile.toml"
    profile.write_text("[livecodebench.tokens]\noutput = 40_000\n")
    code, out, _ = _plan("--suite", "livecodebench", "--models", "deepseek-v4-flash", "--profile", str(profile))
    assert code == 0 and f"livecodebench ${1055 * flash_call(1500, 40_000):,.2f}" in out
    profile.write_text("[livecodebench]\nminutes_per_sample = 'slow'\n")
    code, _, err = _plan("--suite", "livecodebench", "--profile", str(profile))
    assert code == 2 and err.startswith(f"error: {profile}: [livecodebench] minutes_per_sample:")
    code, _, err = _plan("--models", "oracle")
    assert code == 2 and "--models oracle: no price in prices.toml" in err
