"""LiveCodeBench problems: the pinned HF release files (downloaded, cached, hash-checked) or the bundled fixtures.

Each release file is read once and split into an index of problems and one tests file per problem under
`<cache>/livecodebench/prepared/<file sha256>/`, so samples and logs never carry the (large) tests and the scorer
reads one problem's tests at a time. Tests are public then private, in dataset order, as lcb_runner grades them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import tomllib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessageUser
from pydantic import BaseModel, ConfigDict

from harness.errors import HarnessError
from harness.paths import cache_dir
from suites.livecodebench import private_tests
from suites.livecodebench.prompts import user_prompt

HERE = Path(__file__).resolve().parent
RELEASES_FILE = HERE / "data" / "releases.toml"
FIXTURES_FILE = HERE / "samples" / "problems.jsonl"
PLATFORMS = ("leetcode", "codeforces", "atcoder")
DIFFICULTIES = ("easy", "medium", "hard")
ROW_FIELDS = (
    "question_title",
    "question_content",
    "platform",
    "question_id",
    "contest_id",
    "contest_date",
    "starter_code",
    "difficulty",
    "public_test_cases",
    "private_test_cases",
    "metadata",
)


class FileInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sha256: str
    size: int
    rows: int


class ReleaseConfig(BaseModel):
    """`data/releases.toml`: the HF dataset, its pinned commit, the files and which files each version tag reads."""

    model_config = ConfigDict(extra="forbid")

    dataset: str
    revision: str
    files: dict[str, FileInfo]
    releases: dict[str, list[str]]


@cache
def release_config() -> ReleaseConfig:
    with RELEASES_FILE.open("rb") as f:
        return ReleaseConfig.model_validate(tomllib.load(f))


@dataclass(frozen=True)
class Problem:
    """One code-generation problem; its tests live in `tests_file` (JSON: inputs, outputs, fn_name)."""

    question_id: str
    question_title: str
    question_content: str
    platform: str
    contest_id: str
    contest_date: str
    starter_code: str
    difficulty: str
    fn_name: str | None
    n_tests: int
    n_public_tests: int
    """The first `n_public_tests` tests are the public ones: the examples the problem statement shows."""
    source: str
    """The release file (or fixture file) the row came from."""
    tests_file: str
    """Relative to the prepared-data cache (`prepared_dir()`), so logs stay valid when the cache moves."""

    @property
    def test_type(self) -> str:
        return "functional" if self.fn_name else "stdin"


# ---------------------------------------------------------------------------------------------------------------
# files: download, local directory, hash check


def release_files(release: str, config: ReleaseConfig | None = None) -> list[str]:
    config = config or release_config()
    if release not in config.releases:
        raise HarnessError(f"livecodebench --release {release}: unknown; valid: {', '.join(config.releases)}")
    return config.releases[release]


def download(filename: str, config: ReleaseConfig | None = None) -> Path:
    """The release file from the HF hub at the pinned revision (huggingface_hub caches it under HF_HOME)."""
    from huggingface_hub import hf_hub_download

    config = config or release_config()
    try:
        return Path(hf_hub_download(config.dataset, filename, repo_type="dataset", revision=config.revision))
    except Exception as ex:  # offline, proxy, HTTP and cache-miss errors all end here
        reason = str(ex).strip().splitlines()[0] if str(ex).strip() else type(ex).__name__
        raise HarnessError(
            f"livecodebench --data full: cannot get {filename} of {config.dataset}@{config.revision[:12]} from the "
            f"Hugging Face hub ({type(ex).__name__}: {reason[:160]}); connect to huggingface.co, or put the release "
            f"files in a directory and pass --data-dir DIR"
        ) from ex


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, info: FileInfo) -> None:
    """Check size and SHA-256 against the pinned values; a stamp in the cache skips re-hashing unchanged files."""
    stat = path.stat()
    if stat.st_size != info.size:
        raise HarnessError(
            f"{path}: {stat.st_size} bytes, expected {info.size} for the pinned release file; "
            "delete it and download again"
        )
    stamp = cache_dir() / "livecodebench" / "verified" / info.sha256
    key = f"{path.resolve()}\n{stat.st_size}\n{stat.st_mtime_ns}\n"
    if stamp.is_file() and stamp.read_text() == key:
        return
    actual = sha256_file(path)
    if actual != info.sha256:
        raise HarnessError(
            f"{path}: SHA-256 {actual[:16]}... does not match the pinned {info.sha256[:16]}...; "
            "delete it and download again"
        )
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(key)


def release_paths(release: str, data_dir: Path | None = None, config: ReleaseConfig | None = None) -> list[Path]:
    """The verified local paths of a release's files, from `data_dir` or the HF hub."""
    config = config or release_config()
    paths = []
    for name in release_files(release, config):
        if data_dir is not None:
            path = Path(data_dir) / name
            if not path.is_file():
                raise HarnessError(
                    f"livecodebench --data-dir {data_dir}: {name} is missing (release {release} "
                    f"reads {', '.join(release_files(release, config))})"
                )
        else:
            path = download(name, config)
        verify(path, config.files[name])
        paths.append(path)
    return paths


# ---------------------------------------------------------------------------------------------------------------
# rows -> problems + tests files


def _safe_name(question_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", question_id) or "_"


def parse_row(row: Any, where: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A problem (without tests) and its tests from one dataset row; ValueError names the bad field."""
    if not isinstance(row, dict):
        raise ValueError("row is not a JSON object")
    missing = [f for f in ROW_FIELDS if f not in row]
    if missing:
        raise ValueError(f"missing field(s) {', '.join(missing)}")
    for field in ROW_FIELDS:
        if not isinstance(row[field], str):
            raise ValueError(f"field {field} must be a string")
    if row["platform"] not in PLATFORMS:
        raise ValueError(f"platform {row['platform']!r} is not one of {', '.join(PLATFORMS)}")
    if row["difficulty"] not in DIFFICULTIES:
        raise ValueError(f"difficulty {row['difficulty']!r} is not one of {', '.join(DIFFICULTIES)}")
    try:
        datetime.fromisoformat(row["contest_date"])
    except ValueError as ex:
        raise ValueError(f"contest_date {row['contest_date']!r} is not an ISO date") from ex
    try:
        metadata = json.loads(row["metadata"])
    except json.JSONDecodeError as ex:
        raise ValueError(f"metadata is not JSON ({ex.msg})") from ex
    fn_name = metadata.get("func_name") if isinstance(metadata, dict) else None
    tests: list[dict[str, Any]] = []
    n_public = 0
    for field in ("public_test_cases", "private_test_cases"):
        try:
            tests += (
                private_tests.decode(row[field])
                if field == "private_test_cases"
                else private_tests.validate(json.loads(row[field]))
            )
        except (ValueError, private_tests.UnsafePickle) as ex:
            raise ValueError(f"{field}: {ex}") from ex
        if field == "public_test_cases":
            n_public = len(tests)
    problem = {
        k: row[k]
        for k in (
            "question_id",
            "question_title",
            "question_content",
            "platform",
            "contest_id",
            "contest_date",
            "starter_code",
            "difficulty",
        )
    }
    problem.update(fn_name=fn_name or None, n_tests=len(tests), n_public_tests=n_public, source=where)
    return problem, {
        "inputs": [t["input"] for t in tests],
        "outputs": [t["output"] for t in tests],
        "fn_name": fn_name or None,
    }


def _rows(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open("r", encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as ex:
                    raise HarnessError(f"{path}:{number}: not valid JSON ({ex.msg})") from ex


PREPARED_FORMAT = 2
"""Bumped when the prepared layout changes, so old caches are not read."""


def prepared_dir() -> Path:
    return cache_dir() / "livecodebench" / f"prepared-v{PREPARED_FORMAT}"


def prepare(path: Path, digest: str) -> list[Problem]:
    """Split a release (or fixture) file into problems and tests files once; later calls read the index."""
    root = prepared_dir() / digest[:16]
    index = root / "index.jsonl"
    if not index.is_file():
        root.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{digest[:16]}-", dir=root.parent))
        try:
            (staging / "tests").mkdir()
            with (staging / "index.jsonl").open("w") as out:
                for number, row in _rows(path):
                    try:
                        problem, tests = parse_row(row, path.name)
                    except ValueError as ex:
                        raise HarnessError(f"{path}:{number}: {ex}") from ex
                    name = _safe_name(problem["question_id"]) + ".json"
                    (staging / "tests" / name).write_text(json.dumps(tests))
                    out.write(json.dumps({**problem, "tests_file": name}) + "\n")
            with contextlib.suppress(OSError):  # a concurrent run may have prepared it first: keep that one
                os.rename(staging, root)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    problems = []
    with index.open() as f:
        for line in f:
            entry = json.loads(line)
            entry["tests_file"] = f"{digest[:16]}/tests/{entry['tests_file']}"
            problems.append(Problem(**entry))
    return problems


def read_tests(problem: Problem | dict[str, Any]) -> dict[str, Any]:
    """A problem's tests: {"inputs": [...], "outputs": [...], "fn_name": str | None}."""
    path = prepared_dir() / (problem.tests_file if isinstance(problem, Problem) else problem["tests_file"])
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as ex:
        raise HarnessError(f"{path}: tests file missing; the livecodebench cache was cleared, run again") from ex


# ---------------------------------------------------------------------------------------------------------------
# selection


def in_window(problem: Problem, start: date | None, end: date | None) -> bool:
    """lcb_runner's filter: start <= contest_date <= end, both dates taken at midnight."""
    when = datetime.fromisoformat(problem.contest_date)
    if start is not None and when < datetime(start.year, start.month, start.day):
        return False
    return not (end is not None and when > datetime(end.year, end.month, end.day))


def load_problems(
    *,
    data: str,
    release: str,
    data_dir: Path | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
    config: ReleaseConfig | None = None,
) -> list[Problem]:
    """The selected problems, sorted by question_id (as lcb_runner's scenario router sorts them)."""
    if data == "sample":
        sources = [(FIXTURES_FILE, sha256_file(FIXTURES_FILE))]
    else:
        config = config or release_config()
        paths = release_paths(release, data_dir, config)
        sources = [
            (p, config.files[name].sha256) for p, name in zip(paths, release_files(release, config), strict=True)
        ]
    problems: list[Problem] = []
    for path, digest in sources:
        problems.extend(prepare(path, digest))
    seen: set[str] = set()
    for p in problems:
        if p.question_id in seen:
            raise HarnessError(f"livecodebench {release}: question_id {p.question_id} appears twice ({p.source})")
        seen.add(p.question_id)
    selected = [p for p in problems if in_window(p, start_date, end_date)]
    return sorted(selected, key=lambda p: p.question_id)


def to_sample(problem: Problem) -> Sample:
    metadata = {k: v for k, v in asdict(problem).items() if k != "question_content"}
    metadata["test_type"] = problem.test_type
    return Sample(
        id=problem.question_id,
        input=[ChatMessageUser(content=user_prompt(problem.question_content, problem.starter_code))],
        metadata=metadata,
    )
