"""Sandbox images: the local base (pulled or bootstrapped from Debian packages), content-addressed builds, pulls.

Every harness Dockerfile builds FROM one stable local name, `BASE_IMAGE`. Built images are tagged with a hash of
their build context (files, Dockerfile, build args, the base image id), so a second build with nothing changed
does nothing and says so. The base image carries the CA bundle builds trust (by default the host's), and follows it:
when the CA in force differs from the base's label, the base and with it every image built on it are rebuilt.
Progress and messages go through the `harness.images` logger (stderr); a live status line on a terminal.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from harness.console import get_logger
from harness.errors import HarnessError
from harness.paths import SANDBOXES

BASE_IMAGE = "harness-base:bookworm"
"""The name every harness Dockerfile builds FROM."""
BASE_IMAGE_ENV = "HARNESS_BASE_IMAGE"
"""Builds the base under another name (tests, side-by-side setups); builds then resolve `BASE_IMAGE` to it."""
RAW_BASE_IMAGE = "harness-base-raw:bookworm"
REGISTRY_BASE = "debian:bookworm-slim"
DEBIAN_SUITE = "bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
CA_BUNDLE_ENV = "HARNESS_CA_BUNDLE"
CA_LABEL = "org.harness.ca"
HASH_LABEL = "org.harness.context-hash"
HOST_CA_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Alpine
    "/etc/pki/tls/certs/ca-bundle.crt",  # RHEL, CentOS, Fedora
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  # RHEL (extracted trust store)
    "/etc/ssl/ca-bundle.pem",  # openSUSE
    "/etc/ssl/cert.pem",  # macOS, BSD
)
"""The host's system CA bundle, first one present; builds trust it unless `HARNESS_CA_BUNDLE` says otherwise."""
BUILD_TAIL_LINES = 40
TLS_ERROR = re.compile(
    r"certificate|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|CERT_|SSLError|SSL routines|x509|tls: ", re.IGNORECASE
)

logger = get_logger("images", "images")


def log(message: str) -> None:
    logger.info(message)


def base_image() -> str:
    """The local name of the base image: `BASE_IMAGE`, or `HARNESS_BASE_IMAGE` when set."""
    return os.environ.get(BASE_IMAGE_ENV, "").strip() or BASE_IMAGE


def docker(
    *args: str, check: bool = True, capture: bool = True, timeout: float | None = None, input: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the docker CLI; a missing engine is a one-line error, not a traceback."""
    try:
        result = subprocess.run(
            ["docker", *args], capture_output=capture, text=input is None, timeout=timeout, input=input
        )
    except FileNotFoundError as ex:
        raise HarnessError(
            "docker CLI not found; install Docker >= 24.0.6 with compose v2 (Debian: scripts/install-docker.sh)"
        ) from ex
    if check and result.returncode != 0:
        err = result.stderr if isinstance(result.stderr, str) else (result.stderr or b"").decode()
        raise HarnessError(f"docker {' '.join(args[:3])} failed: {err.strip().splitlines()[-1] if err else ''}")
    return result


def require_engine() -> None:
    """Fail with the fix when no Docker engine answers."""
    result = docker("info", "--format", "{{.ServerVersion}}", check=False)
    if result.returncode != 0:
        raise HarnessError("no Docker engine answers `docker info`; start one (Debian: scripts/install-docker.sh)")


def image_id(ref: str) -> str | None:
    """The local image id of `ref`, or None when it is not in the local store."""
    result = docker("image", "inspect", "--format", "{{.Id}}", ref, check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def registry_digest(ref: str) -> str | None:
    """The registry digest of an image (`repo@sha256:...`), or None when it never came from a registry."""
    result = docker("image", "inspect", "--format", "{{json .RepoDigests}}", ref, check=False)
    if result.returncode == 0:
        digests = json.loads(result.stdout or "[]") or []
        if digests:
            return str(digests[0])
    return None


def image_digest(ref: str) -> str | None:
    """The registry digest of a pulled image (`repo@sha256:...`), falling back to the local id."""
    return registry_digest(ref) or image_id(ref)


@dataclass(frozen=True)
class CaSetting:
    """The CA bundle image builds trust, and where that choice came from."""

    path: Path | None
    source: str
    """`HARNESS_CA_BUNDLE`, `host` (the system bundle found), or why there is none."""

    @property
    def label(self) -> str:
        """The base image's `org.harness.ca` label for this setting: the bundle's hash, or `none`."""
        return hashlib.sha256(self.path.read_bytes()).hexdigest()[:16] if self.path else "none"

    def describe(self) -> str:
        return f"{self.path} ({self.source})" if self.path else f"none ({self.source})"


def ca_setting() -> CaSetting:
    """The CA in force: `HARNESS_CA_BUNDLE=PATH`, `HARNESS_CA_BUNDLE=none`, or by default the host's system bundle.

    A container cannot see the host's trust store, so behind a TLS-intercepting proxy pip, npm, apt and git inside
    a build fail unless the bundle is copied in; trusting the host bundle by default makes that the first-run path.
    """
    value = os.environ.get(CA_BUNDLE_ENV, "").strip()
    if value.lower() == "none":
        return CaSetting(None, f"{CA_BUNDLE_ENV}=none")
    if value:
        path = Path(value).expanduser()
        if not path.is_file():
            raise HarnessError(f"{CA_BUNDLE_ENV}={value}: no such file; point it at a PEM bundle, or set it to none")
        return CaSetting(path, CA_BUNDLE_ENV)
    for candidate in HOST_CA_BUNDLES:
        if Path(candidate).is_file():
            return CaSetting(Path(candidate), "host")
    return CaSetting(None, "no host bundle found")


def ca_bundle() -> Path | None:
    """The CA bundle image builds trust (see `ca_setting`); None when there is none."""
    return ca_setting().path


# ---------------------------------------------------------------------------------------------------------------
# base image


def ensure_base(force: bool = False, verbose: bool = False) -> str:
    """Make the base image exist and trust the CA in force: registry pull (else debootstrap + docker import), then
    the CA layer. A base labelled with another CA is rebuilt, and with it every image built on it (their content
    tags cover the base image id), with a line saying so. `verbose`: say so when nothing is to do."""
    require_engine()
    name = base_image()
    ca = ca_setting()
    if not force and image_id(name):
        labelled = _label(name, CA_LABEL)
        if labelled == ca.label:
            if verbose:
                log(f"{name} is up to date (CA bundle: {ca.describe()}); nothing to do")
            return name
        log(
            f"{name} was built with CA {labelled or 'unknown'}, the CA in force is {ca.label} "
            f"({ca.describe()}): rebuilding it, and every image built on it follows"
        )
    if force or not image_id(RAW_BASE_IMAGE):
        _make_raw_base()
    context = SANDBOXES / "base"
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(context, tmp, dirs_exist_ok=True)
        Path(tmp, "ca-bundle.crt").write_bytes(ca.path.read_bytes() if ca.path else b"")
        _build(Path(tmp), name, build_args={"RAW_BASE": RAW_BASE_IMAGE}, labels={CA_LABEL: ca.label}, from_base=False)
    _BASE_ID.clear()
    log(f"{name} ready (CA bundle: {ca.describe()})")
    return name


def _make_raw_base() -> None:
    log(f"pulling {REGISTRY_BASE}")
    pulled = docker("pull", "-q", REGISTRY_BASE, check=False, timeout=600)
    if pulled.returncode == 0:
        docker("tag", REGISTRY_BASE, RAW_BASE_IMAGE)
        log(f"tagged {REGISTRY_BASE} as {RAW_BASE_IMAGE}")
        return
    log(f"no registry answered ({(pulled.stderr or '').strip()[:120]}); bootstrapping from Debian packages")
    if shutil.which("debootstrap") is None:
        raise HarnessError(
            "no registry answers and debootstrap is missing; `apt-get install debootstrap` "
            "(scripts/install-docker.sh installs it)"
        )
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="harness-rootfs-") as rootfs:
        cmd = ["debootstrap", "--variant=minbase", DEBIAN_SUITE, rootfs, DEBIAN_MIRROR]
        if os.geteuid() != 0:
            cmd.insert(0, "sudo")
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            raise HarnessError(f"debootstrap failed: {result.stderr.strip().splitlines()[-1:]}")
        log(f"debootstrap took {time.monotonic() - started:.0f} s")
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
            shutil.rmtree(Path(rootfs, junk), ignore_errors=True)
            Path(rootfs, junk).mkdir(parents=True, exist_ok=True)
        tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(
            [
                "docker",
                "import",
                "--change",
                'CMD ["/bin/bash"]',
                "--change",
                "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "-",
                RAW_BASE_IMAGE,
            ],
            stdin=tar.stdout,
            capture_output=True,
            text=True,
        )
        tar.wait()
        if imported.returncode != 0:
            raise HarnessError(f"docker import failed: {imported.stderr.strip()}")
    log(f"imported {RAW_BASE_IMAGE} in {time.monotonic() - started:.0f} s")


# ---------------------------------------------------------------------------------------------------------------
# content-addressed builds


@dataclass(frozen=True)
class ImageBuild:
    """An image built from a local context; `tag` is derived from the context's content."""

    name: str
    context: Path
    dockerfile: str = "Dockerfile"
    build_args: dict[str, str] = field(default_factory=dict)
    inject_ca: bool = False
    timeout: float | None = None
    """Seconds the build may take (e.g. Harbor's build_timeout_sec); None: no limit. Not part of the tag."""
    extra_files: tuple[tuple[str, Path], ...] = ()
    """(name in the context, file) pairs added to the context, for a file shared by several contexts."""

    @property
    def tag(self) -> str:
        return f"{self.name}:h{context_hash(self)}"


@dataclass(frozen=True)
class ImagePull:
    """An image pulled from a registry, optionally through a mirror or namespace override."""

    ref: str


ImageSpec = ImageBuild | ImagePull


def context_hash(spec: ImageBuild) -> str:
    """Hash of everything that decides the image: files, Dockerfile (also outside the context), build args, the
    base image id, and the resolved local id of every other image the Dockerfile builds FROM or copies --from
    (so a changed upstream image gives a new tag instead of reusing the old build)."""
    digest = hashlib.sha256()
    root = spec.context
    if not root.is_dir():
        raise HarnessError(f"image {spec.name}: build context {root} does not exist")
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    for name, path in spec.extra_files:
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(json.dumps([spec.dockerfile, sorted(spec.build_args.items())]).encode())
    digest.update((_base_id_cached() or "").encode())
    dockerfile = root / spec.dockerfile
    if dockerfile.is_file():
        if not dockerfile.resolve().is_relative_to(root.resolve()):
            digest.update(b"dockerfile\0" + dockerfile.read_bytes())
        for ref in from_images(dockerfile.read_text(errors="replace"), spec.build_args):
            if ref != BASE_IMAGE:  # its id is hashed above for every image (keeps harness tags stable)
                digest.update(f"from\0{ref}\0{image_id(ref) or 'absent'}\0".encode())
    if spec.inject_ca:
        bundle = ca_bundle()
        digest.update(bundle.read_bytes() if bundle else b"")
    return digest.hexdigest()[:12]


_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", re.IGNORECASE | re.MULTILINE)
_COPY_FROM = re.compile(r"^\s*(?:COPY|ADD)\s+.*?--from=(\S+)", re.IGNORECASE | re.MULTILINE)
_ARG = re.compile(r"^\s*ARG\s+([A-Za-z_]\w*)(?:=(\S*))?", re.IGNORECASE | re.MULTILINE)


def from_images(dockerfile: str, build_args: dict[str, str]) -> list[str]:
    """The images a Dockerfile builds FROM or copies --from (build args and ARG defaults substituted; stage
    names, stage numbers and `scratch` left out), in order of appearance."""
    args = {m.group(1): m.group(2) or "" for m in _ARG.finditer(dockerfile)} | build_args

    def expand(ref: str) -> str:
        return re.sub(r"\$\{?([A-Za-z_]\w*)\}?", lambda m: args.get(m.group(1), ""), ref.strip("\"'"))

    stages: set[str] = set()
    refs: list[str] = []
    for match in sorted([*_FROM.finditer(dockerfile), *_COPY_FROM.finditer(dockerfile)], key=lambda m: m.start()):
        ref = expand(match.group(1))
        if ref.lower() not in stages and ref.lower() != "scratch" and not ref.isdigit():
            refs.append(ref)
        if match.re is _FROM and match.group(2):
            stages.add(match.group(2).lower())
    return list(dict.fromkeys(refs))


_BASE_ID: list[str | None] = []


def _base_id_cached() -> str | None:
    if not _BASE_ID:
        _BASE_ID.append(image_id(base_image()))
    return _BASE_ID[0]


def ensure_built(specs: Iterable[ImageBuild], force: bool = False) -> list[str]:
    """Build every image whose content tag is missing; report the ones already present. The base comes first:
    a base rebuilt for another CA gives every image a new content tag, so they are rebuilt too."""
    specs = list(specs)
    if specs:
        ensure_base()
    tags = []
    todo = []
    for spec in specs:
        if not force and image_id(spec.tag):
            log(f"{spec.tag} is up to date; nothing to do")
        else:
            todo.append(spec)
        tags.append(spec.tag)
    for number, spec in enumerate(todo, 1):
        context = spec.context
        if spec.inject_ca or spec.extra_files:
            tmp = Path(tempfile.mkdtemp(prefix="harness-ctx-"))
            shutil.copytree(spec.context, tmp, dirs_exist_ok=True)
            for name, path in spec.extra_files:
                shutil.copyfile(path, tmp / name)
            if spec.inject_ca:
                bundle = ca_bundle()
                Path(tmp, "ca-bundle.crt").write_bytes(bundle.read_bytes() if bundle else b"")
            context = tmp
        try:
            _build(
                context,
                spec.tag,
                dockerfile=spec.dockerfile,
                build_args=spec.build_args,
                labels={HASH_LABEL: spec.tag.rsplit(":h", 1)[1]},
                timeout=spec.timeout,
                counter=f"[{number}/{len(todo)}] " if len(todo) > 1 else "",
            )
        finally:
            if context is not spec.context:
                shutil.rmtree(context, ignore_errors=True)
    return tags


STEP_LINE = re.compile(r"^#(\d+) \[(?:[^\]]* )?(\d+)/(\d+)\] (.*)")
"""A BuildKit plain-progress step header: `#7 [3/5] RUN ...` (`[stage 3/5]` in multi-stage builds)."""
VERTEX_LINE = re.compile(r"^#(\d+) ")


def _build(
    context: Path,
    tag: str,
    *,
    dockerfile: str = "Dockerfile",
    build_args: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    timeout: float | None = None,
    counter: str = "",
    from_base: bool = True,
) -> None:
    """`docker build` with progress (a live status on a terminal, one line per image otherwise); a failure shows
    the failing step's last lines, and a TLS error among them names the CA option."""
    started = time.monotonic()
    cmd = ["docker", "build", "--progress=plain", "-t", tag, "-f", str(context / dockerfile)]
    if from_base and base_image() != BASE_IMAGE:  # Dockerfiles say FROM BASE_IMAGE; resolve it to the configured base
        cmd += ["--build-context", f"{BASE_IMAGE}=docker-image://{base_image()}"]
    for key, value in (build_args or {}).items():
        cmd += ["--build-arg", f"{key}={value}"]
    for key, value in (labels or {}).items():
        cmd += ["--label", f"{key}={value}"]
    cmd.append(str(context))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        proc.kill()

    watchdog = threading.Timer(timeout, kill) if timeout else None
    if watchdog:
        watchdog.start()
    output: dict[str, deque[str]] = {}  # vertex -> its last lines
    steps: dict[str, str] = {}  # vertex -> "n/m command"
    failed: list[str] = []
    last = ""
    status = _Status(f"{counter}building {tag}")
    assert proc.stdout is not None
    try:
        for raw in proc.stdout:
            line = raw.rstrip()
            last = line or last
            vertex = VERTEX_LINE.match(line)
            if not vertex:
                continue
            output.setdefault(vertex[1], deque(maxlen=BUILD_TAIL_LINES)).append(line)
            step = STEP_LINE.match(line)
            if step and vertex[1] not in steps:
                steps[vertex[1]] = f"{step[2]}/{step[3]} {step[4][:60]}"
                status.update(f"{counter}building {tag}: step {step[2]} of {step[3]}", started)
            if line.startswith(f"#{vertex[1]} ERROR"):
                failed.append(vertex[1])
        code = proc.wait()
    finally:
        status.stop()
        if watchdog:
            watchdog.cancel()
    if timed_out.is_set():
        raise HarnessError(f"building {tag} from {context} exceeded its build timeout of {timeout:.0f} s")
    if code != 0:
        raise HarnessError(_build_failure(tag, output, steps, failed, last))
    count = f", {len(steps)} steps" if steps else ""
    log(f"{counter}built {tag} in {time.monotonic() - started:.1f} s{count}")


def _build_failure(tag: str, output: dict[str, deque[str]], steps: dict[str, str], failed: list[str], last: str) -> str:
    """The failing step's last lines, the build's own last line, and the CA option when they show a TLS error."""
    vertex = failed[0] if failed else (list(output)[-1] if output else "")
    lines = list(output.get(vertex, []))
    step = f" at step {steps[vertex]}" if vertex in steps else ""
    message = [f"building {tag} failed{step}; its last {len(lines)} lines:", *lines]
    if last and last not in lines:
        message.append(last)
    if any(TLS_ERROR.search(line) for line in message):
        message.append(
            f"hint: a TLS/certificate error. Behind a TLS-intercepting proxy builds must trust its CA: set "
            f"{CA_BUNDLE_ENV}=/path/to/bundle.pem (in force: {ca_setting().describe()}); the base image and the "
            "images on it are rebuilt with it"
        )
    return "\n".join(message)


class _Status:
    """A live status line on a terminal (rich, as inspect uses); nothing otherwise."""

    def __init__(self, text: str) -> None:
        self._status = None
        if sys.stderr.isatty():
            from rich.console import Console

            self._status = Console(stderr=True).status(text)
            self._status.start()

    def update(self, text: str, started: float) -> None:
        if self._status is not None:
            self._status.update(f"{text} ({time.monotonic() - started:.0f} s)")

    def stop(self) -> None:
        if self._status is not None:
            self._status.stop()


def _label(ref: str, key: str) -> str | None:
    result = docker("image", "inspect", "--format", "{{json .Config.Labels}}", ref, check=False)
    if result.returncode != 0:
        return None
    return (json.loads(result.stdout or "null") or {}).get(key)


def prepare(specs: Iterable[ImageSpec]) -> tuple[str, list[str], dict[str, str]]:
    """Every image a run needs, before any sample starts: the base, the builds, the pulls (base, tags, digests)."""
    specs = list(specs)
    require_engine()
    base = ensure_base()
    built = ensure_built([s for s in specs if isinstance(s, ImageBuild)])
    refs = [s.ref for s in specs if isinstance(s, ImagePull)]
    return base, built, pull(refs) if refs else {}


# ---------------------------------------------------------------------------------------------------------------
# pulls


def rewrite_ref(ref: str, mirror: str | None) -> str:
    """Point `ref` at a registry mirror (`mirror.example.com[/path]`) or another namespace (`myorg`).

    A mirror keeps the repository path (`swebench/sweb.eval...` -> `mirror.example.com/swebench/sweb.eval...`);
    a namespace replaces the first path component (`swebench/x` -> `myorg/x`).
    """
    if not mirror:
        return ref
    mirror = mirror.rstrip("/")
    parts = ref.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]  # drop the original registry host
    head = mirror.split("/")[0]
    if "." in head or ":" in head or head == "localhost":
        return f"{mirror}/{'/'.join(parts)}"
    return f"{mirror}/{parts[-1]}"


class _Throttled(Exception):
    """A registry answered 429 / toomanyrequests: worth another attempt after a wait."""


def _throttled(err: str) -> bool:
    return "429" in err or "toomanyrequests" in err.lower() or "rate limit" in err.lower()


def _pull_one(source: str, attempts: int) -> None:
    """`docker pull` with exponential backoff (5 s doubling, at most 120 s) on throttling; other errors fail fast."""

    def announce(state: RetryCallState) -> None:
        wait = state.next_action.sleep if state.next_action else 0
        log(f"{source}: throttled (429), retry {state.attempt_number}/{attempts - 1} in {wait:.0f} s")

    try:
        for attempt in Retrying(
            retry=retry_if_exception_type(_Throttled),
            wait=wait_exponential(multiplier=5, min=5, max=120),
            stop=stop_after_attempt(attempts),
            sleep=lambda seconds: time.sleep(seconds),
            before_sleep=announce,
            reraise=True,
        ):
            with attempt:
                result = docker("pull", "-q", source, check=False)
                err = (result.stderr or "").strip()
                if result.returncode != 0 and _throttled(err):
                    raise _Throttled(err)
                if result.returncode != 0:
                    raise HarnessError(f"pulling {source} failed: {err.splitlines()[-1] if err else 'unknown'}")
    except _Throttled as ex:
        raise HarnessError(f"pulling {source} failed: {str(ex).splitlines()[-1]}") from ex


def pull(refs: Sequence[str], *, concurrency: int = 4, mirror: str | None = None, attempts: int = 6) -> dict[str, str]:
    """Pull images concurrently with retry on registry throttling; returns ref -> resolved digest."""
    require_engine()
    done: list[str] = []

    def progress() -> str:
        done.append("")  # list.append is atomic across pool threads
        return f"[{len(done)}/{len(refs)}]"

    def pull_one(ref: str) -> tuple[str, str]:
        if image_id(ref):
            log(f"{progress()} {ref} present; nothing to do")
            return ref, image_digest(ref) or ""
        source = rewrite_ref(ref, mirror)
        _pull_one(source, attempts)
        if source != ref:
            docker("tag", source, ref)
        log(f"{progress()} pulled {source}")
        return ref, image_digest(source) or ""

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return dict(pool.map(pull_one, refs))


# ---------------------------------------------------------------------------------------------------------------
# pushes (a registry a cluster pulls from)


def repository(ref: str) -> str:
    """`host:port/name:tag` -> `host:port/name` (a digest or tag removed; a registry port kept)."""
    ref = ref.split("@", 1)[0]
    head, _, last = ref.rpartition("/")
    return f"{head}/{last.split(':', 1)[0]}" if head else last.split(":", 1)[0]


def push(refs: Sequence[str], registry: str) -> dict[str, str]:
    """Retag each local image as `registry/<repository>:<tag>` and push it; returns ref -> `remote@sha256:...`.

    Idempotent: pushing again uploads no layer the registry has, and says the image was already there.
    """
    require_engine()
    missing = [ref for ref in refs if not image_id(ref)]
    if missing:
        raise HarnessError(
            f"{', '.join(missing[:3])}: not in the local image store; `harness images build` (or pull) first"
        )
    pushed: dict[str, str] = {}
    for n, ref in enumerate(refs, 1):
        target = rewrite_ref(ref, registry)
        docker("tag", ref, target)
        result = docker("push", target, check=False)
        if result.returncode != 0:
            err = (result.stderr or result.stdout or "").strip().splitlines()
            raise HarnessError(f"pushing {target} failed: {err[-1] if err else 'unknown error'}")
        digest = next((w for w in result.stdout.split() if w.startswith("sha256:")), None)
        if digest is None:
            raise HarnessError(f"pushing {target}: docker printed no digest")
        fresh = sum(line.rstrip().endswith(": Pushed") for line in result.stdout.splitlines())
        state = f"pushed {fresh} layer(s)" if fresh else "already in the registry"
        log(f"[{n}/{len(refs)}] {target}: {state} ({digest[:19]})")
        pushed[ref] = f"{repository(target)}@{digest}"
    return pushed


def write_image_map(path: Path, registry: str, pushed: dict[str, str], pull_secret: str | None = None) -> Path:
    """Record local ref -> registry ref by digest, merged into an existing map of the same registry, and the
    Kubernetes secret pods pull them with (`imagePullSecrets`), if the registry needs one."""
    current = read_image_map(path) if path.is_file() else {}
    if current and current.get("registry") != registry:
        raise HarnessError(f"{path}: an image map for registry {current.get('registry')}; use another --map file")
    images = {**current.get("images", {}), **pushed}
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = pull_secret or current.get("pull_secret")
    data = {"registry": registry, **({"pull_secret": secret} if secret else {}), "images": dict(sorted(images.items()))}
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def read_image_map(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as ex:
        raise HarnessError(f"image map {path}: unreadable ({ex}); write it with `harness images push`") from ex
    if not isinstance(data, dict) or not isinstance(data.get("images"), dict):
        raise HarnessError(f"image map {path}: expected {{registry, images}}; write it with `harness images push`")
    return data
