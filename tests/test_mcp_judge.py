"""The claims judge: upstream's claim extraction, the fixed prompt, coverage and pass, retries, judge cost."""

from __future__ import annotations

import hashlib
import json

import pytest
from inspect_ai.model import ChatMessageAssistant, ModelOutput, ModelUsage, get_model

from harness.errors import HarnessError
from suites.mcp_atlas import judge


def run(coro):
    import asyncio

    return asyncio.run(coro)


def test_claims_are_extracted_like_upstream() -> None:
    assert judge.extract_claims('["The total is $5.", "abc", "four"]') == ["The total is $5.", "four"]
    assert judge.extract_claims("['It is “quoted” here.', 'Done — yes']") == ['It is "quoted" here.', "Done - yes"]
    assert judge.extract_claims("1. First claim here\n2. Second claim here") == [
        "First claim here",
        "Second claim here",
    ]
    assert judge.extract_claims("alpha beta; gamma delta") == ["alpha beta", "gamma delta"]
    assert judge.extract_claims('The film is "Heat".') == ['The film is "Heat']  # upstream's trailing-quote rule
    assert judge.extract_claims(["  - a bullet claim  "]) == ["a bullet claim"]
    with pytest.raises(ValueError, match="neither JSON nor a Python literal"):
        judge.extract_claims("['unterminated]")


def test_prompt_is_fixed_and_versioned() -> None:
    cfg = judge.config()
    text = cfg.prompt_path.read_text(encoding="utf-8")
    assert hashlib.sha256(text.encode()).hexdigest() == cfg.prompt_sha256
    assert cfg.prompt == f"prompts/judge_v{cfg.version}.txt"
    prompt = judge.judge_prompt("The sky is blue.", "It is {blue}.")
    assert "CLAIM TO EVALUATE:\nThe sky is blue.\nMODEL RESPONSE TO ANALYZE:\nIt is {blue}.\nINSTRUCTIONS:" in prompt
    assert cfg.pass_threshold == 0.75 and cfg.outcomes == {
        "fulfilled": 1.0,
        "partially_fulfilled": 0.5,
        "not_fulfilled": 0.0,
    }


def test_a_changed_prompt_file_is_refused(monkeypatch, tmp_path) -> None:
    copy = tmp_path / "judge.toml"
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "judge_v1.txt").write_text("Rate {claim} in {response}, kindly.")
    copy.write_text(judge.JUDGE_FILE.read_text())
    monkeypatch.setattr(judge, "JUDGE_FILE", copy)
    judge.config.cache_clear()
    judge.prompt_template.cache_clear()
    try:
        with pytest.raises(HarnessError, match="a changed prompt is a new version"):
            judge.prompt_template()
    finally:
        judge.config.cache_clear()
        judge.prompt_template.cache_clear()


def scripted(outcomes: dict[str, str]):
    return get_model("mockllm/judge", custom_outputs=judge.scripted_judge(outcomes), memoize=False)


CLAIMS = ["The average was $6,446.20.", "The later average was $6,786.60.", "The difference was $340.40."]


@pytest.mark.parametrize(
    ("outcomes", "coverage", "passed"),
    [
        ({"*": "fulfilled"}, 1.0, True),
        ({CLAIMS[0]: "fulfilled", CLAIMS[1]: "fulfilled", CLAIMS[2]: "partially_fulfilled"}, 0.833, True),
        ({CLAIMS[0]: "fulfilled", CLAIMS[1]: "partially_fulfilled", CLAIMS[2]: "not_fulfilled"}, 0.5, False),
        ({"*": "partially_fulfilled"}, 0.5, False),
    ],
)
def test_coverage_and_pass(outcomes, coverage, passed) -> None:
    result = run(judge.judge_response(scripted(outcomes), CLAIMS, "some answer", price_alias="gemini-3.1-pro"))
    assert result.coverage == coverage and result.passed is passed
    assert [r.outcome for r in result.ratings] == [outcomes.get(c, outcomes.get("*")) for c in CLAIMS]
    assert result.calls == 3
    assert result.usage.input_tokens == 150 and result.usage.output_tokens == 30
    from harness.cost import usage_cost

    assert result.cost_usd == pytest.approx(usage_cost("gemini-3.1-pro", result.usage))


def test_exactly_three_quarters_passes() -> None:
    claims = ["claim number one", "claim number two", "claim number three", "claim number four"]
    result = run(
        judge.judge_response(scripted({"claim number four": "not_fulfilled", "*": "fulfilled"}), claims, "answer")
    )
    assert result.coverage == 0.75 and result.passed


def test_empty_response_scores_zero_without_a_judge_call() -> None:
    def explode(*_):
        raise AssertionError("the judge must not be called")

    model = get_model("mockllm/judge", custom_outputs=explode, memoize=False)
    result = run(judge.judge_response(model, CLAIMS, "   "))
    assert result.coverage == 0.0 and not result.passed and result.calls == 0
    assert result.skipped_reason and "empty response" in result.skipped_reason


def test_unusable_replies_are_retried_then_an_error() -> None:
    replies = iter(
        [
            "not json",
            json.dumps(
                {"coverage_outcome": "fulfilled", "justification": "ok", "claim_text": "c", "confidence_level": 0.9}
            ),
        ]
    )

    def flaky(*_):
        out = ModelOutput.from_message(ChatMessageAssistant(content=next(replies)))
        out.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        return out

    result = run(
        judge.judge_response(get_model("mockllm/judge", custom_outputs=flaky, memoize=False), ["one claim"], "answer")
    )
    assert result.coverage == 1.0 and result.calls == 2

    def garbage(*_):
        out = ModelOutput.from_message(ChatMessageAssistant(content='{"coverage_outcome": "mostly"}'))
        out.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        return out

    with pytest.raises(judge.JudgeError, match="unusable after 6 attempts"):
        run(
            judge.judge_response(
                get_model("mockllm/judge", custom_outputs=garbage, memoize=False), ["one claim"], "answer"
            )
        )


def test_fenced_json_reply_is_accepted() -> None:
    rating = judge.parse_rating("c", '```json\n{"coverage_outcome": "partially_fulfilled", "justification": "x"}\n```')
    assert rating.score == 0.5 and rating.confidence is None


def test_long_responses_are_cut_like_upstream() -> None:
    cfg = judge.config()
    text = judge.prepare_response("x" * (cfg.max_response_chars + 10))
    assert len(text) == cfg.max_response_chars + len(cfg.truncation_marker) and text.endswith("too long]")


def test_judge_uses_the_retry_policy_and_temperature_zero() -> None:
    from harness.policy import policy

    config = judge.generate_config()
    assert config.temperature == 0.0 and config.max_retries == policy().api.max_attempts - 1
    assert config.response_schema and config.response_schema.name == "claim_evaluation"


def test_judge_model_specs(tmp_path) -> None:
    with pytest.raises(HarnessError, match="needs --judge-script"):
        judge.judge_model(judge.JudgeSpec("scripted"))
    with pytest.raises(HarnessError, match="pseudo-model cannot judge"):
        judge.judge_model(judge.JudgeSpec("oracle"))
    with pytest.raises(HarnessError, match="not a model alias"):
        judge.judge_model(judge.JudgeSpec("gemini"))
    bad = tmp_path / "bad.json"
    bad.write_text('{"a claim": "sort of"}')
    with pytest.raises(HarnessError, match="expected an object mapping claims"):
        judge.judge_model(judge.JudgeSpec("scripted", bad))
    assert judge.JudgeSpec("gemini-3.1-pro").api_key_env == "GOOGLE_API_KEY"
    # upstream's judge name is the alias's vendor id: the same alias, price, key and policy
    assert judge.JudgeSpec("google/gemini-3.1-pro-preview").price_alias == "gemini-3.1-pro"
    assert judge.JudgeSpec("openai/gpt-9").price_alias is None
    assert judge.JudgeSpec("openai/gpt-9").api_key_env == "OPENAI_API_KEY"  # checked before any work too


def test_the_judge_goes_through_the_harness_model_api_and_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.policy import policy

    monkeypatch.setenv("GOOGLE_API_KEY", "fake-google-key")
    model = judge.judge_model(judge.JudgeSpec("google/gemini-3.1-pro-preview"))
    assert str(model) == "harness/gemini-3.1-pro"  # the alias's API: SDK retries off, the policy's retry rules
    config = judge.generate_config()
    assert (config.timeout, config.max_retries, config.attempt_timeout) == (
        policy().call_timeout,
        policy().api.max_attempts - 1,
        policy().api.attempt_timeout,
    )
    monkeypatch.delenv("GOOGLE_API_KEY")
    with pytest.raises(HarnessError, match="set GOOGLE_API_KEY"):
        judge.judge_model(judge.JudgeSpec("gemini-3.1-pro"))
