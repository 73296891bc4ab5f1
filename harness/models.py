"""Model registry: aliases from `data/models.toml` resolved to inspect model names, args and generate config."""

from __future__ import annotations

import fnmatch
import importlib.util
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from harness.errors import HarnessError, choose
from harness.paths import PACKAGE_DATA
from harness.suite import AgentKind

MODELS_FILE = PACKAGE_DATA / "models.toml"
PSEUDO = ("oracle", "noop", "scripted")
LISTING = Path("<listing>")
"""Stands for a script when `scripted` is only resolved to be listed (`harness models`); never loaded."""


@dataclass(frozen=True)
class ResolvedModel:
    """An alias made concrete: what inspect is asked to run, and with what. Holds no secret."""

    alias: str
    kind: str
    inspect_model: str
    description: str = ""
    provider: str = "pseudo"
    """inspect provider (deepseek, anthropic, openai, google, openai-api/<service>); "pseudo" for pseudo-models."""
    api_key_env: str | None = None
    api_key_optional: bool = False
    base_url_env: str | None = None
    base_url: str | None = None
    price_key: str | None = None
    requires: tuple[str, str] | None = None
    """(module, package) the provider imports."""
    model_args: dict[str, Any] = field(default_factory=dict)
    generate: dict[str, Any] = field(default_factory=dict)
    model_id: str | None = None
    """The vendor's model id sent in each request."""
    served: tuple[str, ...] = ()
    """Globs of the `response.model` names that are this model (anything else is served-model drift)."""
    source: str = ""
    checked: str = ""
    self_hosted: bool = False

    def drifted(self, response_model: str | None) -> bool:
        """True when the vendor answered with a model other than the one requested (see `served`)."""
        if not response_model or not self.model_id or not self.needs_api:
            return False
        name = response_model.removeprefix("models/")
        return not any(fnmatch.fnmatchcase(name, pattern) for pattern in self.served)

    @property
    def agent(self) -> AgentKind:
        return {"oracle": AgentKind.ORACLE, "noop": AgentKind.NOOP}.get(self.kind, AgentKind.MODEL)

    @property
    def needs_api(self) -> bool:
        return self.kind in ("model", "pattern")

    @property
    def key_set(self) -> bool:
        return bool(self.api_key_env and os.environ.get(self.api_key_env))


@cache
def registry() -> dict[str, dict[str, Any]]:
    with MODELS_FILE.open("rb") as f:
        return tomllib.load(f)


def _patterns() -> dict[str, dict[str, Any]]:
    return {name: entry for name, entry in registry().items() if entry["kind"] == "pattern"}


def known_aliases() -> list[str]:
    """Aliases a user can pass: every usable entry, patterns written as `<name>/<model>`."""
    names = []
    for name, entry in registry().items():
        if entry["kind"] == "pattern":
            names.append(f"{name}/<model>")
        elif entry["kind"] != "retired":
            names.append(name)
    return names


def resolve(alias: str, *, script: Path | None = None, base_url: str | None = None) -> ResolvedModel:
    """Resolve an alias; unknown aliases list the known ones, retired ones name their replacements.

    `base_url` (from `--base-url`) overrides the alias's endpoint and its environment variable.
    """
    entries = registry()
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise HarnessError(
            f"--base-url {base_url!r}: expected an http:// or https:// URL, e.g. http://localhost:8000/v1"
        )
    prefix, _, rest = alias.partition("/")
    if script is not None and entries.get(alias, {}).get("kind") != "scripted":
        if alias not in entries and not (prefix in _patterns() and rest):
            raise choose("model", alias, known_aliases())
        raise HarnessError(f"--script is only for --model scripted, not {alias}")
    if alias not in entries and prefix in _patterns() and rest:
        return _from_entry(
            alias,
            {**entries[prefix], "model": rest},
            inspect_model=f"{entries[prefix]['provider']}/{rest}",
            base_url=base_url,
        )
    if alias not in entries or entries[alias]["kind"] == "pattern":
        raise choose("model", alias, known_aliases())
    entry = entries[alias]
    kind = entry["kind"]
    if kind == "retired":
        raise HarnessError(
            f"model {alias} was retired by its vendor ({entry['retired']}); "
            f"use {' or '.join(entry['replacements'])} (`harness models` lists them)"
        )
    if kind in ("oracle", "noop"):
        return ResolvedModel(alias, kind, f"mockllm/{alias}", entry.get("description", ""))
    if kind == "scripted":
        if script is None:
            raise HarnessError("model scripted needs --script FILE (a JSON script of model turns)")
        args = {} if script is LISTING else {"custom_outputs": scripted_outputs(script)}
        return ResolvedModel(alias, kind, "mockllm/scripted", entry.get("description", ""), model_args=args)
    return _from_entry(alias, entry, inspect_model=f"{entry['provider']}/{entry['model']}", base_url=base_url)


def _from_entry(alias: str, entry: dict[str, Any], *, inspect_model: str, base_url: str | None) -> ResolvedModel:
    env = entry.get("base_url_env")
    url = base_url or (os.environ.get(env) if env else None) or entry.get("base_url")
    requires = (entry["requires"], entry.get("requires_package", entry["requires"])) if "requires" in entry else None
    price_key = None if entry.get("self_hosted") else entry.get("prices", alias)
    generate = dict(entry.get("generate", {}))
    if "max_output" in entry:  # one output limit per model family, the same on every route
        generate.setdefault("max_tokens", entry["max_output"])
    model_id = entry.get("model")
    served = tuple(entry.get("served", [model_id, f"{model_id}-[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"]))
    return ResolvedModel(
        alias,
        entry["kind"],
        inspect_model,
        entry.get("description", ""),
        provider=entry["provider"],
        api_key_env=entry.get("api_key_env"),
        api_key_optional=entry.get("api_key_optional", False),
        base_url_env=env,
        base_url=url,
        price_key=price_key,
        requires=requires,
        model_args=dict(entry.get("model_args", {})),
        generate=generate,
        model_id=model_id,
        served=served if model_id else (),
        source=entry.get("source", ""),
        checked=str(entry.get("checked", "")),
        self_hosted=bool(entry.get("self_hosted")),
    )


def check_credentials(model: ResolvedModel) -> None:
    """Fail before any sandbox or image work when the model cannot be called: key, endpoint, provider package."""
    if not model.needs_api:
        return
    if model.requires and not _importable(model.requires[0]):
        raise HarnessError(
            f"model {model.alias}: its provider needs the {model.requires[1]} package (pip install {model.requires[1]})"
        )
    if model.api_key_env and not model.api_key_optional and not model.key_set:
        raise HarnessError(f"model {model.alias}: set {model.api_key_env} (its API key) before running")
    if (model.kind == "pattern" or model.self_hosted) and not model.base_url:
        raise HarnessError(
            f"model {model.alias}: set {model.base_url_env} to the server's URL "
            f"(e.g. http://localhost:8000/v1) or pass --base-url"
        )


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def api_key(model: ResolvedModel) -> str | None:
    """The key passed to the provider (read at call time, never stored in the resolved model or a log)."""
    if not model.api_key_env:
        return None
    key = os.environ.get(model.api_key_env)
    if key is None and model.api_key_optional:
        return "not-needed"  # self-hosted servers usually accept any key; the SDK insists on one
    return key


def price_key(alias: str) -> str:
    """The price key of an alias: its `prices` field, else the alias itself (priced or not)."""
    return registry().get(alias, {}).get("prices", alias)


def price_keys() -> dict[str, str]:
    """inspect model name -> price key, for every registered (non-pattern, vendor-hosted) API alias, both as the
    harness model API names it (`harness/<alias>`) and as the vendor provider does (`<provider>/<model>`)."""
    hosted = {alias: e for alias, e in registry().items() if e["kind"] == "model" and not e.get("self_hosted")}
    return {
        **{f"{e['provider']}/{e['model']}": price_key(alias) for alias, e in hosted.items()},
        **{f"harness/{alias}": price_key(alias) for alias in hosted},
    }


def alias_for(inspect_model: str) -> str | None:
    """The vendor-hosted alias an inspect model name (`provider/model`) stands for, if one is registered."""
    for alias, entry in registry().items():
        hosted = entry["kind"] == "model" and not entry.get("self_hosted")
        if hosted and f"{entry['provider']}/{entry['model']}" == inspect_model:
            return alias
    return None


def key_env_of_provider(provider: str) -> str | None:
    """The API key variable the aliases of an inspect provider use (e.g. google -> GOOGLE_API_KEY)."""
    envs = {e.get("api_key_env") for e in registry().values() if e.get("provider") == provider and e["kind"] == "model"}
    envs.discard(None)
    return envs.pop() if len(envs) == 1 else None


def served_price_key(provider: str, response_model: str) -> str | None:
    """The price key of the model a vendor answered with, when it is a registered model of the same provider
    (served-model drift is priced at the served model's rates where they are known). `provider` may be an
    inspect model name (`harness/<alias>` or `<provider>/<model>`)."""
    if provider.startswith("harness/"):
        provider = registry().get(provider.removeprefix("harness/"), {}).get("provider", provider)
    elif "/" in provider and provider.split("/", 1)[0] != "openai-api":
        provider = provider.split("/", 1)[0]
    name = response_model.removeprefix("models/")
    for alias, entry in registry().items():
        hosted = entry["kind"] == "model" and not entry.get("self_hosted")
        if hosted and entry["provider"] == provider and entry["model"] == name:
            return price_key(alias)
    return None


def scripted_outputs(script: Path):
    """A mockllm output function replaying `script`: {sample_id or "*": [turn, ...]}.

    A turn is {"content": str} or {"tool_calls": [{"function": name, "arguments": {...}}], "content": str}.
    The turn played is chosen by how many assistant turns the sample already has, so samples run concurrently.
    """
    from harness.scripted import load_script, output_function

    return output_function(load_script(script))


def _price_text(key: str | None) -> str:
    """The rates in force now under the default plan (`harness prices` gives windows, sources, any time)."""
    from harness.cost import plans, quote

    q = quote(key) if key else None
    if q is None:
        return "-"
    price = q.price
    hit = f"{q.cache_hit:g}" if q.cache_hit is not None else "n/a"
    text = f"{q.input:g} / {hit} / {q.output:g}"
    others = [p for p in plans(key) if p != price.plan]
    if others or price.plan != "standard" or q.window:
        label = q.label + (f"; also {', '.join(others)}" if others else "")
        text += f" [{label}]"
    if price.long_context_threshold:
        text += f" (>{price.long_context_threshold // 1000}K: {price.long_context_input:g} / "
        text += f"{price.long_context_output:g})"
    return text


def _key_text(model: ResolvedModel) -> str:
    if not model.api_key_env:
        return "-"
    state = "set" if model.key_set else ("optional, not set" if model.api_key_optional else "NOT SET")
    text = f"{model.api_key_env} {state}"
    if model.requires and not _importable(model.requires[0]):
        text += f"; needs pip install {model.requires[1]}"
    return text


def model_table() -> list[dict[str, str]]:
    """One row per alias: provider model, USD per 1M tokens (input / cache hit / output), key status."""
    rows = []
    for alias, entry in registry().items():
        kind = entry["kind"]
        if kind == "retired":
            rows.append(
                {
                    "alias": alias,
                    "provider model": "retired",
                    "USD/1M in / cache-hit / out": "-",
                    "key": "-",
                    "source (checked)": "-",
                    "description": f"refused: use {' or '.join(entry['replacements'])}",
                }
            )
            continue
        name = f"{alias}/<model>" if kind == "pattern" else alias
        model = (
            resolve(f"{alias}/<model>")
            if kind == "pattern"
            else resolve(alias, script=LISTING)
            if kind == "scripted"
            else resolve(alias)
        )
        provider = model.inspect_model if model.needs_api else "pseudo-model"
        description = model.description
        if model.base_url_env and model.needs_api and (kind == "pattern" or model.self_hosted):
            description += f"; URL: {model.base_url_env} or --base-url"
        rows.append(
            {
                "alias": name,
                "provider model": provider,
                "USD/1M in / cache-hit / out": _price_text(model.price_key),
                "key": _key_text(model),
                "source (checked)": f"{model.source} ({model.checked})" if model.source else "-",
                "description": description,
            }
        )
    return rows


def list_models() -> list[str]:
    """`harness models`: the model table as text lines."""
    from tabulate import tabulate

    return tabulate(model_table(), headers="keys", tablefmt="simple").splitlines()


def served_drift_check(alias: str | None) -> Callable[[str], bool] | None:
    """A test of `response.model` names for served-model drift against `alias` (None: alias unknown here)."""
    if not alias:
        return None
    try:
        model = resolve(alias, script=LISTING if registry().get(alias, {}).get("kind") == "scripted" else None)
    except HarnessError:
        return None
    return model.drifted
