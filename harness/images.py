"""Sandbox images: the local base (pulled or bootstrapped from Debian packages), content-addressed builds, pulls.

Every harness Dockerfile builds FROM one stable local name, `BASE_IMAGE`. Built images are tagged with a hash of
their build context (files, Dockerfile, build args, the base image id), so a second build with nothing changed
does nothing and says so. Progress goes to stderr.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.paths import SANDBOXES

BASE_IMAGE = "harness-base:bookworm"
RAW_BASE_IMAGE = "harness-base-raw:bookworm"
REGISTRY_BASE = "debian:bookworm-slim"
DEBIAN_SUITE = "bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
CA_BUNDLE_ENV = "HARNESS_CA_BUNDLE"
HASH_LABEL = "org.harness.context-hash"


def log(message: str) -> None:
    print(f"[images] {message}", file=sys.stderr, flush=True)


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


def image_digest(ref: str) -> str | None:
    """The registry digest of a pulled image (`repo@sha256:...`), falling back to the local id."""
    result = docker("image", "inspect", "--format", "{{json .RepoDigests}}", ref, check=False)
    if result.returncode == 0:
        digests = json.loads(result.stdout or "[]") or []
        if digests:
            return str(digests[0])
    return image_id(ref)


def ca_bundle() -> Path | None:
    """The CA bundle image builds trust (TLS-intercepting proxies), from `HARNESS_CA_BUNDLE`; None when unset."""
    value = os.environ.get(CA_BUNDLE_ENV, "").strip()
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise HarnessError(f"{CA_BUNDLE_ENV}={value}: no such file; point it at a PEM bundle or unset it")
    return path


# ---------------------------------------------------------------------------------------------------------------
# base image


def ensure_base(force: bool = False, refresh_ca: bool = False) -> str:
    """Make `BASE_IMAGE` exist: registry pull, else debootstrap + docker import; then layer the CA bundle.

    Implicit calls (before an eval or a build) only create a missing base, so a shell without
    `HARNESS_CA_BUNDLE` never silently swaps the base (and with it every image's content tag).
    `refresh_ca` (`harness images base`) rebuilds the CA layer when the configured bundle changed.
    """
    require_engine()
    if not force and image_id(BASE_IMAGE) and not refresh_ca:
        return BASE_IMAGE
    bundle = ca_bundle()
    ca_hash = hashlib.sha256(bundle.read_bytes()).hexdigest()[:16] if bundle else "none"
    if not force and image_id(BASE_IMAGE) and _label(BASE_IMAGE, "org.harness.ca") == ca_hash:
        log(f"{BASE_IMAGE} is up to date (CA bundle: {bundle or 'none'}); nothing to do")
        return BASE_IMAGE
    if force or not image_id(RAW_BASE_IMAGE):
        _make_raw_base()
    else:
        log(f"{RAW_BASE_IMAGE} present")
    context = SANDBOXES / "base"
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(context, tmp, dirs_exist_ok=True)
        Path(tmp, "ca-bundle.crt").write_bytes(bundle.read_bytes() if bundle else b"")
        _build(Path(tmp), BASE_IMAGE, build_args={"RAW_BASE": RAW_BASE_IMAGE}, labels={"org.harness.ca": ca_hash})
    log(f"{BASE_IMAGE} ready (CA bundle: {bundle or 'none'})")
    return BASE_IMAGE


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

    @property
    def tag(self) -> str:
        return f"{self.name}:h{context_hash(self)}"


@dataclass(frozen=True)
class ImagePull:
    """An image pulled from a registry, optionally through a mirror or namespace override."""

    ref: str


ImageSpec = ImageBuild | ImagePull


def context_hash(spec: ImageBuild) -> str:
    """Hash of everything that decides the image: files, Dockerfile path, build args and the base image id."""
    digest = hashlib.sha256()
    root = spec.context
    if not root.is_dir():
        raise HarnessError(f"image {spec.name}: build context {root} does not exist")
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(json.dumps([spec.dockerfile, sorted(spec.build_args.items())]).encode())
    digest.update((_base_id_cached() or "").encode())
    if spec.inject_ca:
        bundle = ca_bundle()
        digest.update(bundle.read_bytes() if bundle else b"")
    return digest.hexdigest()[:12]


_BASE_ID: list[str | None] = []


def _base_id_cached() -> str | None:
    if not _BASE_ID:
        _BASE_ID.append(image_id(BASE_IMAGE))
    return _BASE_ID[0]


def ensure_built(specs: Iterable[ImageBuild], force: bool = False) -> list[str]:
    """Build every image whose content tag is missing; report the ones already present."""
    tags = []
    todo = []
    for spec in specs:
        if not force and image_id(spec.tag):
            log(f"{spec.tag} is up to date; nothing to do")
        else:
            todo.append(spec)
        tags.append(spec.tag)
    if todo and not image_id(BASE_IMAGE):
        ensure_base()
        _BASE_ID.clear()
    for spec in todo:
        context = spec.context
        if spec.inject_ca:
            tmp = Path(tempfile.mkdtemp(prefix="harness-ctx-"))
            shutil.copytree(spec.context, tmp, dirs_exist_ok=True)
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
            )
        finally:
            if context is not spec.context:
                shutil.rmtree(context, ignore_errors=True)
    return tags


def _build(
    context: Path,
    tag: str,
    *,
    dockerfile: str = "Dockerfile",
    build_args: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    timeout: float | None = None,
) -> None:
    log(f"building {tag} from {context}")
    started = time.monotonic()
    cmd = ["docker", "build", "--progress=plain", "-t", tag, "-f", str(context / dockerfile)]
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
    tail: list[str] = []
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            tail = [*tail[-30:], line.rstrip()]
            if line.startswith("#") and (" DONE " in line or "CACHED" in line or "ERROR" in line):
                print(f"  {line.rstrip()}", file=sys.stderr, flush=True)
        code = proc.wait()
    finally:
        if watchdog:
            watchdog.cancel()
    if timed_out.is_set():
        raise HarnessError(f"building {tag} from {context} exceeded its build timeout of {timeout:.0f} s")
    if code != 0:
        raise HarnessError(f"building {tag} failed:\n" + "\n".join(tail[-15:]))
    log(f"built {tag} in {time.monotonic() - started:.1f} s")


def _label(ref: str, key: str) -> str | None:
    result = docker("image", "inspect", "--format", "{{json .Config.Labels}}", ref, check=False)
    if result.returncode != 0:
        return None
    return (json.loads(result.stdout or "null") or {}).get(key)


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
        delay = 5.0
        for attempt in range(1, attempts + 1):
            result = docker("pull", "-q", source, check=False)
            if result.returncode == 0:
                if source != ref:
                    docker("tag", source, ref)
                log(f"{progress()} pulled {source}")
                return ref, image_digest(source) or ""
            err = result.stderr.strip()
            throttled = "429" in err or "toomanyrequests" in err.lower() or "rate limit" in err.lower()
            if not throttled or attempt == attempts:
                raise HarnessError(f"pulling {source} failed: {err.splitlines()[-1] if err else 'unknown'}")
            log(f"{source}: throttled (429), retry {attempt}/{attempts - 1} in {delay:.0f} s")
            time.sleep(delay)
            delay = min(delay * 2, 120)
        raise AssertionError("unreachable")

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
