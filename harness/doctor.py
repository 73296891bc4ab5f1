"""`harness doctor`: is this machine ready for a run? One line per check; blocking failures give a non-zero exit.

Checks: the Docker engine (>= 24.0.6), compose v2 and buildx; free disk for images (with the `--data full`
estimate of each suite, harness/data/disk.toml); the CA setting and whether the base image matches it; registry
reachability and the fallback that will be used; API keys (names only); leftover sandboxes; the limits sandboxes
get. `blocking_only` (`harness doctor --blocking`, run by `make eval`) runs only the checks that can block a run
and prints only their problems.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import ssl
import subprocess
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import yaml

from harness import images
from harness.errors import HarnessError
from harness.paths import PACKAGE_DATA, SANDBOXES

MIN_ENGINE = (24, 0, 6)
MIN_FREE_GB = 10.0
"""Below this, even the bundled samples' images (a few GB with build cache) may not fit."""
PROBE_TIMEOUT = 5.0
DISK_FILE = PACKAGE_DATA / "disk.toml"


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"
    SKIP = "skip"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str

    def line(self) -> str:
        return f"{self.status.value:<4}  {self.name:<12}  {self.detail}"


def _run(*cmd: str, timeout: float = 20) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return None


def _version(text: str) -> tuple[int, ...]:
    match = re.match(r"v?(\d+)\.(\d+)(?:\.(\d+))?", text.strip())
    return tuple(int(part or 0) for part in match.groups()) if match else ()


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


# ---------------------------------------------------------------------------------------------------------------
# checks


def engine() -> tuple[Check, dict | None]:
    """The engine answers and is recent enough; returns `docker info` for the checks that need it."""
    if shutil.which("docker") is None:
        return Check(
            "engine", Status.FAIL, "docker CLI not found; install Docker (Debian: scripts/install-docker.sh)"
        ), None
    result = _run("docker", "info", "--format", "{{json .}}")
    where = os.environ.get("DOCKER_HOST") or "the default socket"
    if result is None or result.returncode != 0:
        cause = _first_line(result.stderr) if result else "no answer within 20 s"
        fix = "start dockerd (Debian: scripts/install-docker.sh)"
        return Check("engine", Status.FAIL, f"no Docker engine answers at {where}: {cause}; {fix}"), None
    info = json.loads(result.stdout)
    version = str(info.get("ServerVersion", ""))
    if not _version(version) or _version(version) < MIN_ENGINE:
        need = ".".join(map(str, MIN_ENGINE))
        return Check("engine", Status.FAIL, f"Docker {version} at {where}; inspect-ai needs >= {need}"), info
    return Check("engine", Status.OK, f"Docker {version} at {where}"), info


def compose() -> Check:
    result = _run("docker", "compose", "version", "--short")
    if result is None or result.returncode != 0:
        return Check("compose", Status.FAIL, "docker compose v2 missing; install the compose plugin")
    version = result.stdout.strip()
    if _version(version)[:1] < (2,):
        return Check("compose", Status.FAIL, f"docker compose {version}; inspect-ai needs compose v2")
    return Check("compose", Status.OK, f"compose {version}")


def buildx() -> Check:
    result = _run("docker", "buildx", "version")
    if result is None or result.returncode != 0:
        return Check("buildx", Status.FAIL, "docker buildx missing; install the buildx plugin (docker-buildx)")
    return Check("buildx", Status.OK, _first_line(result.stdout))


def disk(info: dict | None) -> Check:
    """Free space where Docker keeps its images, against the bundled samples and each suite's full dataset."""
    root = Path(str((info or {}).get("DockerRootDir") or "/var/lib/docker"))
    while not root.exists() and root != root.parent:
        root = root.parent  # a remote engine or an unreadable root: the nearest local directory
    free = shutil.disk_usage(root).free / 1e9
    with DISK_FILE.open("rb") as f:
        estimates = tomllib.load(f)
    full = ", ".join(f"{name} {entry['full']:g}" for name, entry in estimates.items())
    short = [name for name, entry in estimates.items() if entry["full"] > free]
    detail = f"{free:.0f} GB free at {root}; --data full needs about (GB): {full}"
    if free < MIN_FREE_GB:
        return Check("disk", Status.FAIL, f"{detail}; the samples need {MIN_FREE_GB:g} GB: free some space")
    if short:
        return Check("disk", Status.WARN, f"{detail}; not enough for --data full of {', '.join(short)}")
    return Check("disk", Status.OK, detail)


def ca(engine_up: bool) -> Check:
    """The CA builds trust, and whether the base image was built with it."""
    try:
        setting = images.ca_setting()
    except HarnessError as ex:
        return Check("ca", Status.FAIL, str(ex))
    detail = f"builds trust {setting.describe()}"
    if not engine_up:
        return Check("ca", Status.OK, detail)
    name = images.base_image()
    if images.image_id(name) is None:
        return Check("ca", Status.OK, f"{detail}; {name} not built yet (the first build makes it)")
    labelled = images._label(name, images.CA_LABEL)
    if labelled != setting.label:
        return Check(
            "ca",
            Status.WARN,
            f"{detail}; {name} was built with CA {labelled or 'unknown'}: the next build rebuilds it and its images",
        )
    return Check("ca", Status.OK, f"{detail}; {name} matches")


REGISTRIES = {
    "Docker Hub": "https://registry-1.docker.io/v2/",
    "Debian": "http://deb.debian.org/debian/dists/bookworm/Release",
    "PyPI": "https://pypi.org/simple/pip/",
    "npm": "https://registry.npmjs.org/",
}


def _reachable(url: str) -> str | None:
    """None when the host answers (any HTTP status counts), else why not. TLS is verified against the CA builds
    will trust, so a proxy whose CA is not in force shows up here as a certificate error."""
    try:
        cafile = images.ca_bundle()
    except HarnessError:
        cafile = None
    context = ssl.create_default_context(cafile=str(cafile) if cafile else None)
    try:
        request = urllib.request.Request(url, method="HEAD")
        urllib.request.urlopen(request, timeout=PROBE_TIMEOUT, context=context).close()
    except urllib.error.HTTPError:
        return None
    except (urllib.error.URLError, OSError) as ex:
        return str(getattr(ex, "reason", ex))[:80]
    return None


def registries(engine_up: bool, probe: Callable[[str], str | None] = _reachable) -> list[Check]:
    """Reachability from this host (builds go through the same network), with the fallback a run will use."""
    with ThreadPoolExecutor(max_workers=len(REGISTRIES)) as pool:
        answers = dict(zip(REGISTRIES, pool.map(probe, REGISTRIES.values()), strict=True))
    raw_present = engine_up and images.image_id(images.RAW_BASE_IMAGE) is not None
    checks = []
    hub, debian = answers["Docker Hub"], answers["Debian"]
    if hub is None:
        checks.append(
            Check("registry", Status.OK, f"Docker Hub reachable: the base starts from {images.REGISTRY_BASE}")
        )
    elif raw_present:
        checks.append(Check("registry", Status.OK, f"Docker Hub unreachable; {images.RAW_BASE_IMAGE} is present"))
    elif debian is None:
        checks.append(
            Check(
                "registry",
                Status.WARN,
                f"Docker Hub unreachable ({hub}); fallback: the base is bootstrapped from Debian packages "
                "(debootstrap, ~45 s); official SWE-bench/Terminal-Bench images need --mirror",
            )
        )
    else:
        checks.append(
            Check(
                "registry",
                Status.FAIL,
                f"neither Docker Hub ({hub}) nor deb.debian.org ({debian}) answers: no way to make the base image",
            )
        )
    for name, needed in (("Debian", "apt in every image build"), ("PyPI", "pip"), ("npm", "the MCP-Atlas image")):
        if name == "Debian" and hub is not None and not raw_present:
            continue  # reported above with the base fallback
        reason = answers[name]
        status = Status.OK if reason is None else Status.WARN
        text = "reachable" if reason is None else f"unreachable ({reason}); image builds that use {needed} fail"
        checks.append(Check("registry", status, f"{name} {text}"))
    return checks


def api_keys() -> Check:
    """Which model API keys are set: names only, never values."""
    from harness.models import registry

    names = sorted({entry["api_key_env"] for entry in registry().values() if entry.get("api_key_env")})
    present = [name for name in names if os.environ.get(name)]
    missing = [name for name in names if not os.environ.get(name)]
    detail = f"set: {', '.join(present) or 'none'}; not set: {', '.join(missing) or 'none'}"
    return Check("api keys", Status.OK, f"{detail} (pseudo-models oracle/noop/scripted need none)")


def leftovers() -> Check:
    """inspect docker sandboxes (compose projects `inspect-*`) still present on the engine."""
    result = _run("docker", "ps", "-a", "--filter", "label=com.docker.compose.project", "--format", "{{json .Labels}}")
    if result is None or result.returncode != 0:
        return Check("sandboxes", Status.SKIP, "could not list containers")
    projects = set()
    for line in result.stdout.splitlines():
        match = re.search(r"com\.docker\.compose\.project=(inspect-[^,\"]+)", line)
        if match:
            projects.add(match[1])
    if projects:
        return Check(
            "sandboxes",
            Status.WARN,
            f"{len(projects)} sandbox project(s) present (another run, or leftovers: `make clean-sandboxes`)",
        )
    return Check("sandboxes", Status.OK, "no leftover sandboxes")


def limits(info: dict | None) -> Check:
    """The limits every sandbox gets (sandboxes/compose.default.yaml) against the engine's CPUs and memory."""
    service = yaml.safe_load((SANDBOXES / "compose.default.yaml").read_text())["services"]["default"]
    cpus, mem, pids = service.get("cpus"), service.get("mem_limit"), service.get("pids_limit")
    detail = f"each sandbox: cpus {cpus}, memory {mem}, pids {pids}, network {service.get('network_mode')}"
    if not info:
        return Check("limits", Status.OK, detail)
    host_cpus, host_mem = int(info.get("NCPU") or 0), int(info.get("MemTotal") or 0) / 2**30
    cgroup = f"cgroup v{info.get('CgroupVersion', '?')} ({info.get('CgroupDriver', '?')})"
    detail += f"; engine: {host_cpus} CPUs, {host_mem:.1f} GiB, {cgroup}"
    warnings = [w for w in (info.get("Warnings") or []) if "limit" in w.lower() or "cgroup" in w.lower()]
    if warnings:
        return Check("limits", Status.WARN, f"{detail}; the engine warns: {warnings[0]}")
    if cpus and host_cpus and float(cpus) > host_cpus:
        return Check("limits", Status.WARN, f"{detail}; a sandbox asks for more CPUs than the engine has")
    return Check("limits", Status.OK, detail)


# ---------------------------------------------------------------------------------------------------------------


def run_checks(blocking_only: bool = False) -> list[Check]:
    """Every check in order; with `blocking_only`, the ones that can stop a run (engine, tools, disk, CA, base)."""
    first, info = engine()
    checks = [first]
    up = info is not None
    if up:
        checks += [compose(), buildx()]
    else:
        checks += [Check(name, Status.SKIP, "no engine") for name in ("compose", "buildx")]
    checks.append(disk(info))
    checks.append(ca(up))
    base_ready = up and images.image_id(images.base_image()) is not None
    if not blocking_only:
        checks += registries(up)
    elif not base_ready:  # only then can the registries block a run (the base must be made)
        checks += [c for c in registries(up) if c.status is Status.FAIL]
    if not blocking_only:
        checks.append(api_keys())
        checks.append(leftovers() if up else Check("sandboxes", Status.SKIP, "no engine"))
        checks.append(limits(info))
    return checks


def main(blocking_only: bool = False) -> int:
    """Print the checks (only the problems with `blocking_only`); 1 when any blocks a run."""
    checks = run_checks(blocking_only)
    for check in checks:
        if not blocking_only or check.status is Status.FAIL:
            print(check.line())
    failed = [c for c in checks if c.status is Status.FAIL]
    if failed and not blocking_only:
        print(f"{len(failed)} check(s) block a run: {', '.join(c.name for c in failed)}")
    return 1 if failed else 0
