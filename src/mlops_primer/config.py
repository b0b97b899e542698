"""Settings: flags, then environment, then the config file, then defaults.

Every effective value remembers where it came from, so ``mlops-primer config`` can
say why a setting is what it is. The config file is written with mode 0600 because it
may hold an API key, and a config file holding one that others can read draws a warning.

Keys go only where they belong (``choose_key``): ``OPENAI_API_KEY`` to OpenAI's API or
to the server named by ``OPENAI_BASE_URL`` (the two are set together by convention);
``MLOPS_PRIMER_API_KEY`` and the config file's ``api_key`` to the server mlops-primer is
set to use, the config's key only to the config's own server when it names one. A user
and password in a base URL (``http://user:pass@host/v1``) are used to connect, as HTTP
Basic auth, and never shown: every label uses ``host`` and ``shown_base_url``.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .errors import ConfigError, PrimerError
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
    "language": None,
}
ENV = {
    "model": "MLOPS_PRIMER_MODEL",
    "base_url": "OPENAI_BASE_URL",
    "timeout": "MLOPS_PRIMER_TIMEOUT",
    "max_tokens": "MLOPS_PRIMER_MAX_TOKENS",
    "context": "MLOPS_PRIMER_CONTEXT",
    "language": "MLOPS_PRIMER_LANGUAGE",
}
#: the key variables, in the order they are tried (api_key is resolved by choose_key)
OWN_KEY_ENV = "MLOPS_PRIMER_API_KEY"
OPENAI_KEY_ENV = "OPENAI_API_KEY"
OPENAI_HOST = "api.openai.com"
DESCRIPTIONS = {
    "model": "model name sent to the server",
    "base_url": "OpenAI-compatible server, e.g. http://localhost:11434/v1 (empty: OpenAI)",
    "api_key": "API key (a local server needs none)",
    "timeout": "seconds to wait for the server, and for each part of a streamed answer",
    "max_retries": "retries after a failed request (0-5)",
    "temperature": "sampling temperature (0-2)",
    "max_tokens": "longest answer, in tokens (a lesson needs about 1000)",
    "context": "the server's context size, in tokens (follow-ups are fitted to it)",
    "language": "the language the LLM answers in, e.g. de, es, pt-BR, Deutsch (empty: English)",
}
#: a language is a short name or code: letters (any script), hyphens and spaces
MAX_LANGUAGE_CHARS = 40
LANGUAGE_RULE = ("must be a language name or code of letters, hyphens and spaces, at most "
                 f"{MAX_LANGUAGE_CHARS} characters, e.g. de, es, pt-BR, Deutsch")
# whole-number settings and their bounds: an answer needs room (a 600-word lesson is about
# 1,000 tokens), and no server has a context of over ten million tokens
_INT_RANGES = {"max_tokens": (64, 1_000_000), "context": (512, 10_000_000)}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "host.docker.internal"}
#: C0 controls, DEL and C1 controls: a value holding one breaks the TOML file or a screen
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def url_host(url: str) -> str:
    """A URL's host and port, without any user or password in it."""
    netloc = urlparse(url).netloc or url
    return netloc.rpartition("@")[2]


def shown_url(url: str | None) -> str | None:
    """A URL as it may be shown or stored: a user and password become ``***``."""
    if not url:
        return url
    parsed = urlparse(url)
    if "@" not in parsed.netloc:
        return url
    return parsed._replace(netloc="***@" + parsed.netloc.rpartition("@")[2]).geturl()


def url_secret(url: str | None) -> str | None:
    """The password (else the user) in a URL, to scrub from text; None when it has none."""
    if not url:
        return None
    parsed = urlparse(url)
    if "@" not in parsed.netloc:
        return None
    return parsed.password or parsed.username or None


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
    #: the language the LLM answers in (None: English); offline answers stay in English
    language: str | None = None
    #: keys that were set but are not sent to this server, and why (for config and doctor)
    withheld: tuple[str, ...] = ()
    #: problems to mention on every command (a config file with a key others can read)
    warnings: tuple[str, ...] = ()

    @property
    def host(self) -> str:
        """The server's host, for labels and the store ('api.openai.com' when no base URL
        is set); never the user or password a base URL may carry."""
        if not self.base_url:
            return OPENAI_HOST
        return url_host(self.base_url)

    @property
    def shown_base_url(self) -> str | None:
        """The base URL as it may be shown: credentials in it become ``***``."""
        return shown_url(self.base_url)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret these settings hold, to scrub from anything shown."""
        return tuple(x for x in (self.api_key, url_secret(self.base_url)) if x)

    @property
    def key_route(self) -> str:
        """Which key goes where, in one line (for `config` and `doctor`)."""
        if url_secret(self.base_url) is not None:
            return (f"the user and password in the base URL are sent to {self.host} "
                    "(HTTP Basic), no API key")
        if self.api_key:
            return (f"the key {self.masked_key} from {self.sources['api_key']} is sent to "
                    f"{self.host}")
        return f"no API key is sent to {self.host}"

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
            if name == "api_key":
                value: Any = self.masked_key
            elif name == "base_url":
                value = self.shown_base_url
            else:
                value = getattr(self, name)
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
        raise ConfigError(
            f"cannot read config file {path}: {exc.strerror or exc}",
            hint="check that its folder can be read, or set MLOPS_PRIMER_HOME to another folder",
        ) from None


#: the numeric settings: type, lowest, highest, and how to say what a value must be
NUMBERS: dict[str, tuple[type, float, float, str]] = {
    "timeout": (float, 1.0, 600.0, "a number of seconds from 1 to 600, e.g. 30"),
    "temperature": (float, 0.0, 2.0, "a number from 0 to 2, e.g. 0.7"),
    "max_retries": (int, 0, 5, "a whole number from 0 to 5, e.g. 1"),
}


def _coerce(name: str, value: Any, source: str) -> Any:
    """Check and convert one value, naming its source in any error."""
    if value is None or value == "":
        return None if DEFAULTS[name] is None else DEFAULTS[name]
    try:
        if name in NUMBERS:
            kind, low, high, what = NUMBERS[name]
            try:  # float('abc') says "could not convert string to float": say what fits
                number = kind(value)
            except (TypeError, ValueError):
                raise ValueError(f"must be {what}") from None
            if not low <= number <= high:
                raise ValueError(f"must be {what}")
            return number
        if name in _INT_RANGES:
            number = int(value)
            low_i, high_i = _INT_RANGES[name]
            if not low_i <= number <= high_i:
                raise ValueError(f"must be a whole number from {low_i} to {high_i:,}")
            return number
        text = str(value).strip()
        if name == "language":
            return check_language(text)
        if _CONTROL.search(text):
            raise ValueError("must not hold control characters (a newline, a tab, ESC...)")
        if name == "base_url":
            parsed = urlparse(text)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise ValueError("must be an http:// or https:// URL, e.g. http://localhost:11434/v1")
            return text.rstrip("/")
        if name == "api_key" and (re.search(r"\s", text) or not text.isascii()):
            raise ValueError("must be one word of plain characters")
        return text
    except ValueError as exc:
        if name == "api_key":
            shown = mask(str(value))
        elif name == "base_url":
            shown = repr(shown_url(str(value)))
        else:
            shown = repr(value)
        raise ConfigError(
            f"{name} = {shown} from {source} is invalid: {exc}",
            hint=f"fix it in {source}" if source not in ("flag", "`config set`") else None,
        ) from None


def check_language(text: str) -> str:
    """A language as the learner wrote it (spaces collapsed), checked: it is sent to the
    LLM inside the prompt, so it may only be a short plain name or code."""
    if _CONTROL.search(text):
        raise ValueError(LANGUAGE_RULE)
    text = " ".join(text.split())
    if not (0 < len(text) <= MAX_LANGUAGE_CHARS and text[0].isalpha()
            and all(c.isalpha() or c in "- " for c in text)):
        raise ValueError(LANGUAGE_RULE)
    return text


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
        if name == "api_key":
            continue
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
    config_url = None
    if stored.get("base_url") not in (None, ""):
        config_url = _coerce("base_url", stored["base_url"], f"config {path}")
    key, sources["api_key"], withheld = choose_key(
        values["base_url"], environ=environ,
        config_key=stored.get("api_key"), config_url=config_url, path=path,
    )
    values["api_key"] = key
    warnings = _exposed(path, stored)
    return Settings(sources=sources, withheld=withheld, warnings=warnings, **values)


def choose_key(
    base_url: str | None, *, environ: dict[str, str],
    config_key: Any = None, config_url: str | None = None, path: Path | None = None,
) -> tuple[str | None, str, tuple[str, ...]]:
    """The key to send to ``base_url`` (None: OpenAI's API), its source, and the keys
    that are set but held back, each with why.

    ``MLOPS_PRIMER_API_KEY`` was set for this tool: it goes to the server in use.
    ``OPENAI_API_KEY`` is the machine's OpenAI key, read by many tools: it goes to
    OpenAI's API, or to the server in ``OPENAI_BASE_URL`` (set together by convention),
    never to another server named by a flag or the config file. The config file's
    ``api_key`` goes to the server in use, unless the config names its own ``base_url``
    and the server in use is another one. A base URL holding a user and password sends
    those (HTTP Basic auth) instead of a key.
    """
    host = url_host(base_url) if base_url else OPENAI_HOST
    to_openai = base_url is None or host == OPENAI_HOST
    candidates: list[tuple[str, str]] = []
    withheld: list[str] = []
    own = environ.get(OWN_KEY_ENV)
    if own:
        candidates.append((_coerce("api_key", own, f"env {OWN_KEY_ENV}"), f"env {OWN_KEY_ENV}"))
    openai_key = environ.get(OPENAI_KEY_ENV)
    openai_url = environ.get(ENV["base_url"])
    if openai_key:
        if to_openai or (base_url is not None and openai_url
                         and _strip_userinfo(openai_url) == _strip_userinfo(base_url)):
            candidates.append(
                (_coerce("api_key", openai_key, f"env {OPENAI_KEY_ENV}"), f"env {OPENAI_KEY_ENV}")
            )
        else:
            withheld.append(
                f"{OPENAI_KEY_ENV} is not sent to {host}: it goes only to OpenAI's API or to "
                f"the server in OPENAI_BASE_URL (set {OWN_KEY_ENV} for this server)"
            )
    if config_key not in (None, ""):
        key = _coerce("api_key", config_key, f"config {path}")
        if config_url is None or (
            base_url is not None and _strip_userinfo(config_url) == _strip_userinfo(base_url)
        ):
            candidates.append((key, "config file"))
        else:
            withheld.append(
                f"the config file's api_key is not sent to {host}: it belongs to the config's "
                f"base_url ({url_host(config_url)}); set {OWN_KEY_ENV} for this server"
            )
    if base_url and url_secret(base_url) is not None:
        if candidates:
            withheld.append(
                f"the key from {candidates[0][1]} is not sent: the base URL's user and "
                "password are sent instead (HTTP Basic)"
            )
        return None, "base URL", tuple(withheld)
    if candidates:
        key, source = candidates[0]
        return key, source, tuple(withheld)
    return None, "default", tuple(withheld)


def _strip_userinfo(url: str) -> str:
    parsed = urlparse(url)
    return parsed._replace(netloc=parsed.netloc.rpartition("@")[2]).geturl().rstrip("/")


def _exposed(path: Path, stored: dict[str, Any]) -> tuple[str, ...]:
    """A warning when the config file holds a secret and others may read it (as ssh
    warns about a private key file with wide permissions)."""
    holds_secret = stored.get("api_key") not in (None, "") or (
        isinstance(stored.get("base_url"), str) and url_secret(stored["base_url"]) is not None
    )
    if not holds_secret or os.name == "nt":
        return ()
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        return ()
    if not mode & 0o077:
        return ()
    import shlex

    return (
        f"warning: {path} holds an API key and other users can read it (mode {mode:04o}); "
        f"make it private: chmod 600 {shlex.quote(str(path))}",
    )


def known_secrets(argv: list[str] | None = None, environ: dict[str, str] | None = None,
                  path: Path | None = None) -> list[str]:
    """Every secret this machine's settings hold, whether or not it is sent anywhere, for
    scrubbing text such as a --debug traceback. Never raises: it runs while reporting."""
    environ = dict(os.environ) if environ is None else environ
    found: list[str | None] = [environ.get(OWN_KEY_ENV), environ.get(OPENAI_KEY_ENV),
                               url_secret(environ.get(ENV["base_url"]))]
    try:
        stored = _toml_load(path or config_file())
    except Exception:  # noqa: BLE001 - best effort while reporting another error
        stored = {}
    if isinstance(stored.get("api_key"), str):
        found.append(stored["api_key"].strip())
    if isinstance(stored.get("base_url"), str):
        found.append(url_secret(stored["base_url"]))
    args = list(argv or ())
    for i, arg in enumerate(args):
        if arg.startswith("--base-url="):
            found.append(url_secret(arg.split("=", 1)[1]))
        elif arg == "--base-url" and i + 1 < len(args):
            found.append(url_secret(args[i + 1]))
    return sorted({x for x in found if x and len(x) >= 4}, key=len, reverse=True)


def redact(text: str, secrets: list[str] | tuple[str, ...]) -> str:
    """Text with every secret, and the long pieces a server might echo of one, as ``***``."""
    for secret in secrets:
        text = text.replace(secret, "***")
        if len(secret) > 12:
            text = text.replace(secret[:8], "***").replace(secret[-8:], "***")
    return text


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
    # set_value refuses control characters; escape them anyway, so the file stays TOML
    text = _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return f'"{text}"'


def _write_toml(path: Path, values: dict[str, Any]) -> None:
    """Write the file atomically with mode 0600: created private, then renamed into place.

    Any failure (a full disk, a folder that cannot be written) is one line, and leaves
    the old file as it was and no temporary file behind.
    """
    import tempfile

    lines = ["# mlops-primer settings; see `mlops-primer config`", ""]
    lines += [f"{k} = {_toml_value(v)}" for k, v in values.items() if k in DEFAULTS]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # mkstemp creates the file 0600, with a name no other process is using
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise PrimerError(
            f"cannot write the config file {path}: {exc.strerror or exc}",
            hint="free some space or make the folder writable, or set MLOPS_PRIMER_HOME to "
            "another folder; the settings were not changed",
        ) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
