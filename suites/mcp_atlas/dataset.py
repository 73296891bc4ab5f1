"""MCP-Atlas rows (TASK, ENABLED_TOOLS, PROMPT, TRAJECTORY, GTFA_CLAIMS) from HF, CSV, parquet or the bundled set.

Fields may be JSON or Python-literal strings (CSV) or real lists (parquet); a malformed row is a one-line error
naming the source, the task and the field. The bundled offline set (`samples/tasks.yaml`) uses the same columns
plus CHECKS (programmatic checks instead of claims) and DATA (a fixture folder copied to /data).
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from inspect_ai.dataset import Sample
from pydantic import BaseModel, Field

from harness.errors import HarnessError
from suites.mcp_atlas.catalog import split_tool, unavailable_reason
from suites.mcp_atlas.checkers import validate_checks
from suites.mcp_atlas.judge import extract_claims

SAMPLES_DIR = Path(__file__).parent / "samples"
SAMPLE_TASKS = SAMPLES_DIR / "tasks.yaml"
FIXTURES_DIR = SAMPLES_DIR / "fixtures"

HF_DATASET = "ScaleAI/MCP-Atlas"
HF_REVISION = "8c563b55d7c967755f474299848049834d624617"
HF_FILE = "MCP-Atlas.parquet"
HF_SHA256 = "2d7bc052f14cbcb3b8294293481053f7111d256f9c9deaa96f3ff632d19958d0"

REQUIRED = ("TASK", "ENABLED_TOOLS", "PROMPT", "TRAJECTORY", "GTFA_CLAIMS")


class ToolCall(BaseModel):
    """One reference tool call and, when recorded, its output text."""

    id: str
    name: str
    arguments: dict[str, Any]
    output: str | None = None
    volatile: bool = False
    """The recorded output changes from run to run (a commit hash, today's date): replay does not compare it."""


class McpTask(BaseModel):
    """One MCP-Atlas row, parsed."""

    task_id: str
    prompt: str
    enabled_tools: list[str]
    trajectory: list[dict[str, Any]]
    claims: list[str]
    checks: list[dict[str, Any]] = Field(default_factory=list)
    data: str | None = None
    """Fixture folder (bundled set) copied to /data."""

    @property
    def tool_calls(self) -> list[ToolCall]:
        return trajectory_calls(self.trajectory)

    @property
    def final_answer(self) -> str:
        """The reference trajectory's last assistant text (the bundled set records one; MCP-Atlas rows do not)."""
        for message in reversed(self.trajectory):
            if message.get("role") == "assistant" and not message.get("tool_calls"):
                return message_text(message)
        return ""


# ------------------------------------------------------------------------------------------------------------------
# field parsing


def _literal(value: Any) -> Any:
    """A list-valued field: a list, a numpy array, or a JSON / Python-literal string."""
    if isinstance(value, list | tuple):
        return list(value)
    if hasattr(value, "tolist"):
        return value.tolist()
    if value is None:
        return []
    text = str(value).strip()
    if not text:
        return []
    try:
        parsed = json.loads(text)
    except ValueError:
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            raise ValueError(f"not a JSON or Python-literal list: {_excerpt(text)}") from None
    if not isinstance(parsed, list):
        raise ValueError(f"a {type(parsed).__name__}, not a list: {_excerpt(text)}")
    return parsed


def _excerpt(text: str, width: int = 60) -> str:
    return repr(text[:width] + ("..." if len(text) > width else ""))


def message_text(message: dict[str, Any]) -> str:
    """Text of an OpenAI-format message whose content is a string or a list of {type, text} parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def trajectory_calls(trajectory: list[dict[str, Any]]) -> list[ToolCall]:
    """Tool calls in order, each with the text of the tool message that answered it."""
    tool_messages = {m.get("tool_call_id"): m for m in trajectory if m.get("role") == "tool"}
    calls = []
    for message in trajectory:
        for call in message.get("tool_calls") or []:
            fn = call.get("function") or {}
            args = fn.get("arguments") or {}
            name = f"call {call.get('id', '?')} ({fn.get('name', '?')})"
            if isinstance(args, str):
                try:
                    args = json.loads(args) if args.strip() else {}
                except ValueError:
                    raise ValueError(f"{name}: arguments are not JSON: {_excerpt(args)}") from None
            if not isinstance(args, dict):
                raise ValueError(f"{name}: arguments must be a JSON object, not {type(args).__name__} {args!r:.60}")
            answer = tool_messages.get(call.get("id"))
            calls.append(
                ToolCall(
                    id=str(call.get("id", "")),
                    name=fn.get("name", ""),
                    arguments=args,
                    output=message_text(answer) if answer else None,
                    volatile=bool(answer and answer.get("volatile")),
                )
            )
    return calls


def _checks(value: Any) -> list[dict[str, Any]]:
    checks = _literal(value)
    validate_checks(checks)
    return checks


def _tool_names(items: list[Any]) -> list[str]:
    names = []
    for item in items:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict) and item.get("name"):
            names.append(str(item["name"]))
        else:
            raise ValueError(f"entry {item!r} is neither a tool name nor {{'name': ...}}")
    return names


def parse_row(row: dict[str, Any], source: str) -> McpTask:
    """One row -> McpTask; any malformed field is a HarnessError naming source, task and field."""
    missing = [c for c in REQUIRED if c not in row]
    if missing:
        raise HarnessError(
            f"{source}: missing column(s) {', '.join(missing)}; MCP-Atlas rows have {', '.join(REQUIRED)}"
        )
    task_id = str(row["TASK"]).strip()
    if not task_id:
        raise HarnessError(f"{source}: a row has an empty TASK")
    where = f"{source}: task {task_id}"

    def field(name: str, parse: Any, expected: str = "a JSON or Python-literal list") -> Any:
        try:
            return parse(row.get(name))
        except (ValueError, SyntaxError, TypeError, AttributeError) as ex:
            reason = (str(ex).splitlines() or [type(ex).__name__])[0][:200]
            raise HarnessError(f"{where}: field {name} is malformed ({reason}); expected {expected}") from ex

    enabled = field("ENABLED_TOOLS", lambda v: _tool_names(_literal(v)))
    trajectory = field("TRAJECTORY", _literal)
    if not trajectory:
        raise HarnessError(
            f"{where}: field TRAJECTORY is empty; an MCP-Atlas row records its reference trajectory (a list of "
            f"OpenAI-format messages)"
        )
    if not isinstance(trajectory, list) or not all(isinstance(m, dict) for m in trajectory):
        raise HarnessError(f"{where}: field TRAJECTORY is not a list of OpenAI-format messages")
    # upstream's older AgentOutput wrapping: [{"type": "message", "data": {...}}]
    trajectory = [
        m["data"] if m.get("type") == "message" and isinstance(m.get("data"), dict) else m for m in trajectory
    ]
    calls = field("TRAJECTORY", lambda _: trajectory_calls(trajectory), "tool calls whose arguments are objects")
    claims = field("GTFA_CLAIMS", extract_claims)
    checks = field("CHECKS", _checks) if row.get("CHECKS") else []
    if not claims and not checks:
        raise HarnessError(f"{where}: field GTFA_CLAIMS holds no claims, so the task cannot be judged")
    prompt = str(row.get("PROMPT") or "").strip()
    if not prompt:
        raise HarnessError(f"{where}: field PROMPT is empty")
    for column, names in (("ENABLED_TOOLS", enabled), ("TRAJECTORY", [c.name for c in calls])):
        for name in names:
            try:
                split_tool(name)
            except HarnessError as ex:
                raise HarnessError(f"{where}: {column}: {ex}") from ex
    data = row.get("DATA") or None
    if data and not (FIXTURES_DIR / str(data) / "files").is_dir():
        raise HarnessError(f"{where}: field DATA names {data!r}, which is no folder with files/ in {FIXTURES_DIR}")
    return McpTask(
        task_id=task_id,
        prompt=prompt,
        enabled_tools=enabled,
        trajectory=trajectory,
        claims=claims,
        checks=checks,
        data=str(data) if data else None,
    )


def parse_rows(rows: Iterable[dict[str, Any]], source: str) -> list[McpTask]:
    tasks = [parse_row(r, source) for r in rows]
    seen: set[str] = set()
    for t in tasks:
        if t.task_id in seen:
            raise HarnessError(f"{source}: TASK {t.task_id} appears twice")
        seen.add(t.task_id)
    if not tasks:
        raise HarnessError(f"{source}: holds no tasks")
    return tasks


# ------------------------------------------------------------------------------------------------------------------
# sources


def load_file(path: Path) -> list[McpTask]:
    """A local CSV, parquet or YAML file in MCP-Atlas's row format."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise HarnessError(f"--tasks-file {path}: no such file")
    suffix = path.suffix.lower()
    kinds = {".csv": "CSV", ".parquet": "parquet", ".yaml": "YAML", ".yml": "YAML"}
    if suffix not in kinds:
        raise HarnessError(f"--tasks-file {path}: unsupported type {suffix!r}; use .csv, .parquet or .yaml")
    try:
        if suffix == ".csv":
            rows = pd.read_csv(path, dtype=str, keep_default_na=False).to_dict(orient="records")
        elif suffix == ".parquet":
            rows = pd.read_parquet(path).to_dict(orient="records")
        else:
            rows = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (ValueError, OSError, yaml.YAMLError) as ex:  # pandas/pyarrow parse errors are ValueErrors
        raise HarnessError(
            f"--tasks-file {path}: not a readable {kinds[suffix]} file ({_parse_reason(ex)}); fix or re-export it"
        ) from ex
    if kinds[suffix] == "YAML" and (not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows)):
        raise HarnessError(f"--tasks-file {path}: expected a list of rows (mappings of column to value)")
    return parse_rows(rows, str(path))


def _parse_reason(ex: Exception) -> str:
    """A parser's complaint in one short line."""
    if isinstance(ex, yaml.MarkedYAMLError) and ex.problem_mark is not None:
        mark = ex.problem_mark
        return f"{ex.problem} at line {mark.line + 1}, column {mark.column + 1}"
    if isinstance(ex, UnicodeDecodeError):
        return f"not UTF-8 text: byte {ex.start}: {ex.reason}"
    lines = str(ex).strip().splitlines()
    return lines[0][:200] if lines else type(ex).__name__


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_hf() -> Path:
    """The public set's parquet file at the pinned revision, checked against its recorded sha256."""
    from huggingface_hub import hf_hub_download

    try:
        path = Path(hf_hub_download(HF_DATASET, HF_FILE, repo_type="dataset", revision=HF_REVISION))
    except Exception as ex:
        raise HarnessError(
            f"downloading {HF_DATASET}@{HF_REVISION[:12]} failed ({type(ex).__name__}); without "
            f"hub access pass --tasks-file with a local copy (CSV or parquet)"
        ) from ex
    digest = sha256_file(path)
    if digest != HF_SHA256:
        raise HarnessError(f"{path}: sha256 {digest} is not the pinned {HF_SHA256}; refusing a changed dataset")
    return path


def bundled() -> list[McpTask]:
    return load_file(SAMPLE_TASKS)


# ------------------------------------------------------------------------------------------------------------------
# availability and samples


def servers_of(names: Iterable[str]) -> list[str]:
    return sorted({split_tool(n)[0] for n in names})


def skip_reason(task: McpTask, *, online: bool, has_data: bool) -> str | None:
    """Why the task cannot run here: a server its reference trajectory calls is unavailable (upstream's filter)."""
    reasons = [
        r
        for s in servers_of(c.name for c in task.tool_calls)
        if (r := unavailable_reason(s, online=online, has_data=has_data or task.data is not None))
    ]
    return "; ".join(reasons) if reasons else None


def agent_tools(task: McpTask, *, online: bool, has_data: bool) -> tuple[list[str], list[str]]:
    """(enabled tools the agent gets, enabled tools dropped because their server is unavailable)."""
    keep, dropped = [], []
    for name in task.enabled_tools:
        server, _ = split_tool(name)
        ok = unavailable_reason(server, online=online, has_data=has_data or task.data is not None) is None
        (keep if ok else dropped).append(name)
    return keep, dropped


def to_sample(task: McpTask, *, online: bool, data_dir: Path | None) -> Sample:
    has_data = data_dir is not None
    tools, dropped = agent_tools(task, online=online, has_data=has_data)
    data = str(FIXTURES_DIR / task.data) if task.data else (str(data_dir) if data_dir else None)
    return Sample(
        id=task.task_id,
        input=task.prompt,
        target=task.claims,
        metadata={
            "task": task.model_dump(mode="json"),
            "agent_tools": tools,
            "dropped_tools": dropped,
            "skip_reason": skip_reason(task, online=online, has_data=has_data),
            "data_dir": data,
        },
    )
