"""The claims judge: MCP-Atlas's claim extraction, one judge call per claim, coverage and pass, judge cost.

Follows MCP-Atlas services/scoring/score_claims.py: claims are cleaned and split the same way, each claim is rated
`fulfilled` (1), `partially_fulfilled` (0.5) or `not_fulfilled` (0) by a judge model at temperature 0 with the
fixed prompt in `prompts/`, coverage is the mean rounded to 3 digits, and a task passes at coverage >= 0.75.
Empty responses score 0 without a judge call. Unlike upstream, a judge call that still fails after the retry
policy raises `JudgeError` (the scorer records an infrastructure error) instead of counting the claim as unmet.
"""

from __future__ import annotations

import ast
import asyncio
import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageUser,
    GenerateConfig,
    Model,
    ModelOutput,
    ModelUsage,
    ResponseSchema,
    get_model,
)
from inspect_ai.util import JSONSchema
from pydantic import BaseModel, ConfigDict

from harness.errors import HarnessError, read_json
from harness.policy import policy

JUDGE_FILE = Path(__file__).parent / "judge.toml"
SCRIPTED = "scripted"


class JudgeConfig(BaseModel):
    """`judge.toml`."""

    model_config = ConfigDict(extra="forbid")

    version: int
    prompt: str
    prompt_sha256: str
    default_model: str
    temperature: float
    schema_name: str
    pass_threshold: float
    max_response_chars: int
    truncation_marker: str
    coverage_digits: int
    outcomes: dict[str, float]

    @property
    def prompt_path(self) -> Path:
        return JUDGE_FILE.parent / self.prompt


@cache
def config() -> JudgeConfig:
    with JUDGE_FILE.open("rb") as f:
        return JudgeConfig.model_validate(tomllib.load(f))


@cache
def prompt_template() -> str:
    """The versioned judge prompt; refuses a file whose hash differs from the one recorded in judge.toml."""
    cfg = config()
    text = cfg.prompt_path.read_text(encoding="utf-8")
    digest = hashlib.sha256(text.encode()).hexdigest()
    if digest != cfg.prompt_sha256:
        raise HarnessError(
            f"{cfg.prompt_path}: sha256 {digest} differs from judge.toml's prompt_sha256; a changed "
            f"prompt is a new version (new file, bump version, record its hash)"
        )
    return text


def judge_prompt(claim: str, response: str) -> str:
    return prompt_template().replace("{claim}", claim, 1).replace("{response}", response, 1)


# ------------------------------------------------------------------------------------------------------------------
# claims


_BULLET = re.compile(r"^[-*•·◦‣⁃]\s*")
_NUMBERING = re.compile(r"^\d+[.)]\s*")
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u2013": "-", "\u2014": "-"})
_SEPARATORS = ("\n•", "\n-", "\n*", "\n1.", "\n2.", ";", "||")
MIN_CLAIM_CHARS = 4


def clean_claim(text: str) -> str:
    """Upstream's clean_claim_text: bullets and numbering off, typographic quotes plain, trailing quotes off."""
    text = _NUMBERING.sub("", _BULLET.sub("", text.strip()))
    text = text.translate(_QUOTES).replace("\u2026", "...")
    text = re.sub(r"[.\s]*[\"']+ $", "", text)
    text = re.sub(r"[\"']+\.*$", "", text)
    return text.strip(" \t\n\r")


def _keep(parts: list[Any]) -> list[str]:
    return [c for c in (clean_claim(str(p)) for p in parts) if len(c) >= MIN_CLAIM_CHARS]


def extract_claims(blob: Any) -> list[str]:
    """GTFA_CLAIMS as a list of claims: a list, a JSON or Python-literal list, or text split like upstream.

    A value that looks like a list (`[...]`) but is neither JSON nor a Python literal raises ValueError, where
    upstream would silently fall back to splitting the text.
    """
    if blob is None:
        return []
    if isinstance(blob, list | tuple):
        return _keep(list(blob))
    if hasattr(blob, "tolist"):  # numpy arrays from parquet
        return _keep(list(blob.tolist()))
    text = str(blob).strip()
    if not text:
        return []
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = json.loads(text)
        except ValueError:
            try:
                parsed = ast.literal_eval(text)
            except (ValueError, SyntaxError) as ex:
                raise ValueError(f"looks like a list but is neither JSON nor a Python literal ({ex})") from ex
        if isinstance(parsed, list):
            return _keep(parsed)
    for sep in _SEPARATORS:
        if sep in text:
            claims = _keep(text.split(sep))
            if claims:
                return claims
    return _keep(text.split("\n"))


# ------------------------------------------------------------------------------------------------------------------
# judging


class JudgeError(Exception):
    """The judge gave no usable rating after the retry policy."""


@dataclass
class ClaimRating:
    claim: str
    outcome: str
    score: float
    justification: str = ""
    confidence: float | None = None


@dataclass
class Judgement:
    """Per-claim ratings, coverage and pass for one response, with the judge's own usage and cost."""

    ratings: list[ClaimRating]
    coverage: float
    passed: bool
    calls: int = 0
    usage: ModelUsage = field(default_factory=ModelUsage)
    cost_usd: float | None = None
    skipped_reason: str | None = None


def response_schema() -> ResponseSchema:
    cfg = config()
    schema = {
        "type": "object",
        "properties": {
            "claim_text": {"type": "string"},
            "coverage_outcome": {"type": "string", "enum": list(cfg.outcomes)},
            "justification": {"type": "string"},
            "confidence_level": {"type": "number"},
        },
        "required": ["claim_text", "coverage_outcome", "justification", "confidence_level"],
    }
    return ResponseSchema(name=cfg.schema_name, json_schema=JSONSchema.model_validate(schema))


def generate_config() -> GenerateConfig:
    """Temperature 0, the structured-output schema, and the harness's one retry policy (attempts, timeouts,
    connections: the same settings as the agent model's calls; no judge-specific timeout)."""
    return GenerateConfig(
        temperature=config().temperature, response_schema=response_schema(), **policy().generate_config()
    )


def parse_rating(claim: str, completion: str) -> ClaimRating:
    """The judge's JSON reply as a rating; ValueError when it is not the schema's JSON."""
    text = completion.strip()
    fenced = re.search(r"```(?:json)?\s*(\{.*\})\s*```", text, re.DOTALL)
    if fenced:
        text = fenced.group(1)
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("reply is not a JSON object")
    outcome = data.get("coverage_outcome")
    outcomes = config().outcomes
    if outcome not in outcomes:
        raise ValueError(f"coverage_outcome {outcome!r} is not one of {', '.join(outcomes)}")
    confidence = data.get("confidence_level")
    return ClaimRating(
        claim=claim,
        outcome=outcome,
        score=outcomes[outcome],
        justification=str(data.get("justification", "")),
        confidence=float(confidence) if isinstance(confidence, int | float) else None,
    )


async def rate_claim(judge: Model, claim: str, response: str) -> tuple[ClaimRating, int, ModelUsage]:
    """One claim: the judge is asked again (same policy's attempt count) when its reply is not valid JSON."""
    usage = ModelUsage()
    attempts = policy().api.max_attempts
    last_error = ""
    for attempt in range(1, attempts + 1):
        try:
            output = await judge.generate(
                [ChatMessageUser(content=judge_prompt(claim, response))], config=generate_config()
            )
        except Exception as ex:  # the model layer already retried per the policy
            raise JudgeError(f"judge call failed: {type(ex).__name__}: {ex}") from ex
        if output.usage:
            usage = usage + output.usage
        try:
            return parse_rating(claim, output.completion), attempt, usage
        except ValueError as ex:
            last_error = str(ex)
    raise JudgeError(f"judge reply unusable after {attempts} attempts: {last_error}")


def prepare_response(response: str) -> str:
    cfg = config()
    if len(response) > cfg.max_response_chars:
        return response[: cfg.max_response_chars] + cfg.truncation_marker
    return response


def coverage_of(ratings: list[ClaimRating]) -> float:
    cfg = config()
    return round(sum(r.score for r in ratings) / len(ratings), cfg.coverage_digits) if ratings else 0.0


async def judge_response(judge: Model, claims: list[str], response: str, price_alias: str | None = None) -> Judgement:
    """Rate every claim against the response (concurrently, like upstream) and aggregate."""
    from harness.cost import usage_cost

    cfg = config()
    if not response or not response.strip():
        ratings = [ClaimRating(c, "not_fulfilled", 0.0, "Empty response") for c in claims]
        return Judgement(ratings, 0.0, False, skipped_reason="empty response (no judge call, as upstream)")
    text = prepare_response(response)
    results = await asyncio.gather(*(rate_claim(judge, claim, text) for claim in claims))
    ratings = [r for r, _, _ in results]
    usage = ModelUsage()
    for _, _, u in results:
        usage = usage + u
    coverage = coverage_of(ratings)
    cost = usage_cost(price_alias, usage) if price_alias else None
    return Judgement(
        ratings,
        coverage,
        coverage >= cfg.pass_threshold,
        calls=sum(n for _, n, _ in results),
        usage=usage,
        cost_usd=cost,
    )


# ------------------------------------------------------------------------------------------------------------------
# the judge model


@dataclass(frozen=True)
class JudgeSpec:
    """Which model judges: a model alias, an inspect model name, or `scripted` (a claim -> outcome file)."""

    model: str
    script: Path | None = None

    @property
    def alias(self) -> str | None:
        """The model alias the judge is: named as one, or by its `provider/model` (google/gemini-3.1-pro-preview)."""
        from harness.models import alias_for, registry

        return self.model if self.model in registry() else alias_for(self.model)

    @property
    def price_alias(self) -> str | None:
        return self.alias

    @property
    def api_key_env(self) -> str | None:
        """The judge's key variable: its alias's, else the one the aliases of its provider use."""
        from harness.models import key_env_of_provider, registry

        if self.alias:
            return registry()[self.alias].get("api_key_env")
        return key_env_of_provider(self.model.split("/", 1)[0]) if "/" in self.model else None


def load_judge_script(path: Path) -> dict[str, str]:
    """A scripted judge: {"claim text": "fulfilled" | "partially_fulfilled" | "not_fulfilled", "*": default}."""
    data = read_json(path, "--judge-script")
    outcomes = config().outcomes
    if not isinstance(data, dict) or any(v not in outcomes for v in data.values()):
        raise HarnessError(
            f"--judge-script {path}: expected an object mapping claims (or '*') to one of {', '.join(outcomes)}"
        )
    return data


def _claim_in(prompt: str) -> str:
    rest = prompt.partition("CLAIM TO EVALUATE:\n")[2]
    return rest.partition("\nMODEL RESPONSE TO ANALYZE:\n")[0] if rest else ""


def scripted_judge(script: dict[str, str]):
    """A mockllm output function that rates each claim as the script says; usage is set (no tokenizer)."""

    def next_output(messages: list[ChatMessage], *_: Any) -> ModelOutput:
        claim = _claim_in(str(messages[-1].text))
        outcome = script.get(claim, script.get("*", "not_fulfilled"))
        reply = json.dumps(
            {
                "claim_text": claim,
                "coverage_outcome": outcome,
                "justification": "scripted judge",
                "confidence_level": 1.0,
            }
        )
        output = ModelOutput.from_message(ChatMessageAssistant(content=reply, model="scripted-judge"))
        output.usage = ModelUsage(input_tokens=50, output_tokens=10, total_tokens=60)
        return output

    return next_output


def check(spec: JudgeSpec) -> None:
    """Fail on a judge that cannot be built (unknown name, pseudo-model, bad script) before any work starts."""
    from harness.models import registry, resolve

    if spec.model == SCRIPTED:
        if spec.script is None:
            raise HarnessError("--judge-model scripted needs --judge-script FILE (claims mapped to outcomes)")
        load_judge_script(spec.script)
    elif spec.model in registry():
        if not resolve(spec.model).needs_api:
            raise HarnessError(
                f"--judge-model {spec.model}: a pseudo-model cannot judge; use a model alias, "
                f"provider/model, or scripted"
            )
    elif "/" not in spec.model:
        raise HarnessError(
            f"--judge-model {spec.model}: not a model alias (`harness models`), provider/model, or scripted"
        )


def judge_model(spec: JudgeSpec) -> Model:
    """The judge for `spec`, through the same model API and retry policy as the agent (`harness/<alias>`; another
    `provider/model` gets the SDK's own retries off and the policy's settings). An inspect model role `judge`,
    when the eval binds one, takes precedence."""
    from harness.models import resolve
    from harness.provider import SDK_RETRY_ARG_PROVIDERS, build_model

    check(spec)
    if spec.model == SCRIPTED:
        assert spec.script is not None
        default = get_model(
            "mockllm/scripted-judge", custom_outputs=scripted_judge(load_judge_script(spec.script)), memoize=False
        )
    elif spec.alias:
        default = build_model(resolve(spec.alias), policy())
    else:
        provider = spec.model.split("/", 1)[0]
        args = {"max_retries": 0} if provider in SDK_RETRY_ARG_PROVIDERS else {}
        default = get_model(spec.model, memoize=False, **args)
    return get_model(role="judge", default=default)
