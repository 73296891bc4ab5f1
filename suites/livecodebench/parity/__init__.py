"""LiveCodeBench grading parity: the corpus graded by upstream lcb_runner's own code and by the project's grader.

Upstream runs from `../shared/reference/livecodebench` (lcb_runner at the commit pinned in `data/upstream.toml`),
mounted read-only into a container of the grader image, whose packages are the versions of lcb_runner's uv.lock
(`sandboxes/livecodebench/requirements.txt`); `upstream_driver.py` calls `evaluate_generations` there, as
`codegen_metrics` does.
The project grades the same programs the way the scorer does (`GraderPool.grade`). Per program the results and
the failure metadata (error code, message, error, output) must be identical; memory addresses are masked and
timings ignored.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.parity import ParityResult, docker_answers, shared_root
from harness.paths import SANDBOXES
from suites.livecodebench import dataset

HERE = Path(__file__).resolve().parent
CORPUS_FILE = HERE / "corpus.toml"
DRIVER = HERE / "upstream_driver.py"
REQUIREMENTS_FILE = SANDBOXES / "livecodebench" / "requirements.txt"
WORKERS = 2
"""Programs graded at once on each side (lcb_runner's evaluation processes; the project's grader containers)."""
COMPARED = ("error_code", "error_message", "error", "output", "inputs", "expected")
"""Failure metadata compared besides the per-test results (timings and our own `cause` note are not)."""


@dataclass(frozen=True)
class Program:
    name: str
    about: str
    code: str
    inputs: list[str]
    outputs: list[str]
    fn_name: str | None
    timeout: int

    def request(self) -> dict[str, Any]:
        """The grading request, as the scorer sends it."""
        return {
            "code": self.code,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "fn_name": self.fn_name,
            "timeout": self.timeout,
        }


def upstream_commit() -> str:
    return dataset.upstream()["commit"]


def reference_dir() -> Path:
    return shared_root() / "reference" / "livecodebench"


def load_corpus(path: Path = CORPUS_FILE) -> list[Program]:
    with path.open("rb") as f:
        data = tomllib.load(f)
    programs = []
    for entry in data["program"]:
        tests = data["tests"][entry["tests"]]
        programs.append(
            Program(
                name=entry["name"],
                about=entry["about"],
                code=entry["code"].lstrip("\n"),
                inputs=list(tests["inputs"]),
                outputs=list(tests["outputs"]),
                fn_name=tests.get("fn_name"),
                timeout=int(tests.get("timeout", 6)),
            )
        )
    return programs


def grader_argv() -> list[str]:
    """The sys.argv the project's grader gives programs (its `ARGV`), read from the grader's source."""
    import ast

    source = (SANDBOXES / "livecodebench" / "lcb_grader.py").read_text()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "ARGV" for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise HarnessError("sandboxes/livecodebench/lcb_grader.py defines no ARGV")


def pinned_versions(path: Path = REQUIREMENTS_FILE) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[name.strip().lower()] = version.strip()
    return pins


def lock_differences(reference: Path) -> list[str]:
    """The grader image's pins that differ from (or are missing in) upstream's uv.lock."""
    with (reference / "uv.lock").open("rb") as f:
        locked = {p["name"].lower(): p.get("version") for p in tomllib.load(f)["package"]}
    return [
        f"requirements.txt pins {name}=={version}, upstream's uv.lock has {locked.get(name) or 'no such package'}"
        for name, version in pinned_versions().items()
        if locked.get(name) != version
    ]


def masked(value: Any) -> Any:
    return re.sub(r"0x[0-9a-fA-F]+", "0x…", value) if isinstance(value, str) else value


def comparable(response: dict[str, Any]) -> dict[str, Any]:
    metadata = response.get("metadata") or {}
    return {"results": response["results"], **{k: masked(metadata[k]) for k in COMPARED if k in metadata}}


def grade_upstream(image: str, reference: Path, programs: list[Program]) -> dict[str, dict[str, Any]]:
    """Each program's {"results", "metadata"} from lcb_runner's own code, in one container of `image`."""
    import docker

    from suites.livecodebench.sandbox import GraderSettings, container_options

    argv = [str(Path("/upstream") / "lcb_runner" / "runner" / "main.py"), *grader_argv()[1:]]
    work = Path(tempfile.mkdtemp(prefix="lcb-parity-"))
    try:
        work.chmod(0o755)
        requests = [{"name": p.name, **p.request(), "argv": argv} for p in programs]
        (work / "requests.json").write_text(json.dumps(requests))
        shutil.copy(DRIVER, work / "driver.py")
        for child in work.iterdir():
            child.chmod(0o644)
        client = docker.from_env(timeout=120)
        container = client.containers.run(
            command=["python3", "/work/driver.py", "/upstream", "/work/requests.json", str(WORKERS)],
            user="65534:65534",
            volumes={str(reference): {"bind": "/upstream", "mode": "ro"}, str(work): {"bind": "/work", "mode": "ro"}},
            working_dir="/tmp",
            detach=True,
            **container_options(GraderSettings(image=image, cpus=float(WORKERS))),
        )
        try:
            budget = sum((p.timeout + 1) * len(p.inputs) + 10 for p in programs) + 120  # as if one at a time
            status = container.wait(timeout=budget)
            out = container.logs(stdout=True, stderr=False).decode()
            err = container.logs(stdout=False, stderr=True).decode()
        finally:
            container.remove(force=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    graded = {}
    for line in out.splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            graded[entry["name"]] = entry
    if len(graded) != len(programs):
        tail = err.strip()[-600:]
        raise HarnessError(
            f"lcb_runner graded {len(graded)} of {len(programs)} corpus programs "
            f"(exit {status.get('StatusCode')}): {tail}"
        )
    return graded


def grade_project(image: str, programs: list[Program]) -> dict[str, dict[str, Any]]:
    """Each program's grader response, through the scorer's path (a grader container, one request each)."""
    from concurrent.futures import ThreadPoolExecutor

    from suites.livecodebench.sandbox import GraderPool, GraderSettings

    pool = GraderPool(GraderSettings(image=image, workers=WORKERS))
    try:
        with ThreadPoolExecutor(max_workers=WORKERS) as executor:
            responses = list(executor.map(lambda p: pool.grade(p.request()), programs))
    finally:
        pool.close()
    return {p.name: response for p, response in zip(programs, responses, strict=True)}


def compare(programs: list[Program], upstream: dict, project: dict) -> list[str]:
    differences = []
    for p in programs:
        want, got = comparable(upstream[p.name]), comparable(project[p.name])
        if want != got:
            differences.append(
                f"{p.name} ({p.about}): lcb_runner {json.dumps(want)[:400]} | ours {json.dumps(got)[:400]}"
            )
    return differences


def check() -> ParityResult:
    """The corpus graded by lcb_runner at the pinned commit and by the project's grader; pins vs its uv.lock."""
    from harness import images
    from suites.livecodebench.sandbox import GRADER_IMAGE

    commit = upstream_commit()
    reference = reference_dir()
    if not (reference / "lcb_runner" / "evaluation" / "testing_util.py").is_file():
        return ParityResult("skipped", f"no lcb_runner reference at {reference} (set HARNESS_SHARED)")
    source = (reference / "SOURCE.md").read_text() if (reference / "SOURCE.md").is_file() else ""
    if commit not in source:
        return ParityResult("different", f"{reference} is not lcb_runner {commit[:7]} (its SOURCE.md names another)")
    if not docker_answers():
        return ParityResult("skipped", "no Docker engine answers `docker info`")
    images.ensure_built([GRADER_IMAGE])
    programs = load_corpus()
    upstream: dict = {}
    failure: list[BaseException] = []

    def run_upstream() -> None:
        try:
            upstream.update(grade_upstream(GRADER_IMAGE.tag, reference, programs))
        except BaseException as ex:  # re-raised below, in the caller's thread
            failure.append(ex)

    thread = threading.Thread(target=run_upstream, name="lcb-parity-upstream")
    thread.start()
    project = grade_project(GRADER_IMAGE.tag, programs)
    thread.join()
    if failure:
        raise failure[0]
    differences = lock_differences(reference) + compare(programs, upstream, project)
    same = sum(comparable(upstream[p.name]) == comparable(project[p.name]) for p in programs)
    line = f"{same}/{len(programs)} programs identical to lcb_runner {commit[:7]}"
    pins = len(pinned_versions())
    line += f"; {pins - len(lock_differences(reference))}/{pins} package pins as its uv.lock"
    return ParityResult("different" if differences else "identical", line, differences)
