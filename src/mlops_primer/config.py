"""Settings: flags, then environment, then the config file, then defaults.

Every effective value remembers where it came from, so ``mlops-primer config`` can
say why a setting is what it is. The config file is written with mode 0600 because it
may hold an API key.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .errors import ConfigError
from .paths import config_file

DEFAULTS: dict[str, Any] = {
    "model": "gpt-4o-mini",
    "base_url": None,
    "api_key": None,
    "timeout": 30.0,
    "max_retries": 1,
    "temperature": 0.7,
    "max_tokens": 1500,
    "context": 4096,
}
ENV = {
    "model": "MLOPS_PRIMER_MODEL",
    "base_url": "OPENAI_BASE_URL",
    "api_key": "OPENAI_API_KEY",
    "timeout": "MLOPS_PRIMER_TIMEOUT",
    "max_tokens": "MLOPS_PRIMER_MAX_TOKENS",
    "context": "MLOPS_PRIMER_CONTEXT",
}
DESCRIPTIONS = {
    "model": "model name sent to the server",
    "base_url": "OpenAI-compatible server, e.g. http://localhost:11434/v1 (empty: OpenAI)",
    "api_key": "API key (a local server needs none)",
    "timeout": "seconds to wait for the server, and for each part of a streamed answer",
    "max_retries": "retries after a failed request (0-5)",
    "temperature": "sampling temperature (0-2)",
    "max_tokens": "longest answer, in tokens (a lesson needs about 1000)",
    "context": "the server's context size, in tokens (follow-ups are fitted to it)",
}
# whole-number settings and their bounds: an answer needs room (a 600-word lesson is about
# 1,000 tokens), and no server has a context of over ten million tokens
_INT_RANGES = {"max_tokens": (64, 1_000_000), "context": (512, 10_000_000)}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "host.docker.internal"}


@dataclass(frozen=True)
class Setting:
    """One effective setting and where its value came from."""

    name: str
    value: Any
    source: str


@dataclass(frozen=True)
class Settings:
    """The effective LLM settings."""

    model: str
    base_url: str | None
    api_key: str | None
    timeout: float
    max_retries: int
    temperature: float
    sources: dict[str, str]
    max_tokens: int = 1500
    context: int = 4096

    @property
    def host(self) -> str:
        """The server's host, for labels ('api.openai.com' when no base URL is set)."""
        if not self.base_url:
            return "api.openai.com"
        return urlparse(self.base_url).netloc or self.base_url

    @property
    def is_local(self) -> bool:
        """True for a server on this machine, which needs no key."""
        if not self.base_url:
            return False
        return (urlparse(self.base_url).hostname or "") in LOCAL_HOSTS

    @property
    def configured(self) -> bool:
        """True when an LLM can be asked: a key, or a base URL (local servers need no key)."""
        return bool(self.api_key) or bool(self.base_url)

    @property
    def masked_key(self) -> str:
        """The key as it may be shown: its first 3 and last 4 characters at most."""
        return mask(self.api_key)

    def describe(self) -> list[Setting]:
        """Every setting with its source, the key masked."""
        out = []
        for name in DEFAULTS:
            value = self.masked_key if name == "api_key" else getattr(self, name)
            out.append(Setting(name, value, self.sources[name]))
        return out


def mask(key: str | None) -> str:
    """A key shown safely: enough to recognise it, never enough to use it."""
    if not key:
        return "(not set)"
    if len(key) < 12:
        return "****"
    return f"{key[:3]}...{key[-4:]}"


def _toml_load(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"config file {path} is not valid TOML: {exc}",
            hint=f"fix it or delete it (rm {path})",
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None


def _coerce(name: str, value: Any, source: str) -> Any:
    """Check and convert one value, naming its source in any error."""
    if value is None or value == "":
        return None if DEFAULTS[name] is None else DEFAULTS[name]
    try:
        if name in ("timeout", "temperature"):
            number = float(value)
            low, high = (1.0, 600.0) if name == "timeout" else (0.0, 2.0)
            if not low <= number <= high:
                raise ValueError(f"must be between {low:g} and {high:g}")
            return number
        if name == "max_retries":
            number = int(value)
            if not 0 <= number <= 5:
                raise ValueError("must be between 0 and 5")
            return number
        if name in _INT_RANGES:
            number = int(value)
            low_i, high_i = _INT_RANGES[name]
            if not low_i <= number <= high_i:
                raise ValueError(f"must be a whole number from {low_i} to {high_i:,}")
            return number
        text = str(value).strip()
        if name == "base_url":
            parsed = urlparse(text)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise ValueError("must be an http:// or https:// URL, e.g. http://localhost:11434/v1")
            return text.rstrip("/")
        if name == "api_key" and (re.search(r"\s", text) or not text.isascii()):
            raise ValueError("must be one word of plain characters")
        return text
    except ValueError as exc:
        shown = mask(str(value)) if name == "api_key" else repr(value)
        raise ConfigError(
            f"{name} = {shown} from {source} is invalid: {exc}",
            hint=f"fix it in {source}" if source not in ("flag", "`config set`") else None,
        ) from None


def load_settings(
    *, flags: dict[str, Any] | None = None, environ: dict[str, str] | None = None,
    path: Path | None = None,
) -> Settings:
    """The effective settings, highest first: flags, environment, config file, defaults."""
    environ = dict(os.environ) if environ is None else environ
    path = path or config_file()
    stored = _toml_load(path)
    unknown = sorted(set(stored) - set(DEFAULTS))
    if unknown:
        raise ConfigError(
            f"config file {path} has unknown setting(s): {', '.join(unknown)}",
            hint=f"the settings are: {', '.join(DEFAULTS)}",
        )
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, default in DEFAULTS.items():
        flag = (flags or {}).get(name)
        env_name = ENV.get(name)
        if flag is not None:
            values[name], sources[name] = _coerce(name, flag, "flag"), "flag"
        elif env_name and environ.get(env_name):
            values[name] = _coerce(name, environ[env_name], f"env {env_name}")
            sources[name] = f"env {env_name}"
        elif stored.get(name) not in (None, ""):
            values[name] = _coerce(name, stored[name], f"config {path}")
            sources[name] = "config file"
        else:
            values[name], sources[name] = default, "default"
    return Settings(sources=sources, **values)


def set_value(name: str, value: str, *, path: Path | None = None) -> Path:
    """Write one setting to the config file (mode 0600); an empty value removes it."""
    if name not in DEFAULTS:
        raise ConfigError(
            f"unknown setting '{name}'", hint=f"the settings are: {', '.join(DEFAULTS)}"
        )
    path = path or config_file()
    stored = _toml_load(path)
    if value == "":
        stored.pop(name, None)
    else:
        stored[name] = _coerce(name, value, "`config set`")
    _write_toml(path, stored)
    return path


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _write_toml(path: Path, values: dict[str, Any]) -> None:
    """Write the file atomically with mode 0600: created private, then renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# mlops-primer settings; see `mlops-primer config`", ""]
    lines += [f"{k} = {_toml_value(v)}" for k, v in values.items() if k in DEFAULTS]
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        if hasattr(os, "fchmod"):  # an existing file keeps its mode on open: make it private
            os.fchmod(fd, 0o600)
        os.write(fd, ("\n".join(lines) + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
