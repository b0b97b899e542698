"""Keys go only where they belong, and no secret is ever shown, stored or exported.

Every case runs the real entry point against the real fake server on 127.0.0.1 and
asserts the Authorization header the server received; canary keys and passwords are
then looked for in every output, the store file, an exported pack and --debug output.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import uuid
from pathlib import Path

import pytest
from conftest import run

from mlops_primer.errors import ExitCode

LEARN = ("learn", "lifecycle", "--theme", "cooking", "--no-input", "--model", "test-model",
         "--timeout", "5")


def canary(tag: str) -> str:
    return f"sk-canary-{tag}-{uuid.uuid4().hex}"


def pieces(secret: str) -> tuple[str, ...]:
    """The secret and the parts of it a careless mask or echo would show."""
    return (secret, secret[:14], secret[-12:])


def leaks(secrets: list[str], texts: list[str], home: Path) -> list[str]:
    """Where any secret (or a long piece of one) appears: outputs, then files in home."""
    found = []
    for n, text in enumerate(texts):
        for s in secrets:
            if any(p in text for p in pieces(s)):
                found.append(f"output #{n}: {s}")
    for path in home.rglob("*"):
        if path.is_file() and path.name != "config.toml":  # the key's own home
            data = path.read_bytes()
            found += [f"{path}: {s}" for s in secrets if any(p.encode() in data
                                                              for p in pieces(s))]
    return found


def auth_of(server) -> list[str | None]:  # noqa: ANN001
    return [r.headers.get("authorization") for r in server.chat_requests()]


def no_key_sent(header: str | None, *keys: str) -> bool:
    return header is None or not any(k in header for k in keys)


# -- which key goes where ------------------------------------------------------------------


def test_the_openai_key_is_not_sent_to_a_base_url_from_a_flag(server, home: Path) -> None:
    openai_key = canary("openai")
    r = run(*LEARN, "--base-url", server.base_url, env={"OPENAI_API_KEY": openai_key})
    assert r.returncode == 0, r.stderr  # a local server needs no key
    [sent] = auth_of(server)
    assert no_key_sent(sent, openai_key), sent
    doctor = run("doctor", "--base-url", server.base_url, "--model", "test-model",
                 env={"OPENAI_API_KEY": openai_key})
    assert "OPENAI_API_KEY is not sent to 127.0.0.1" in doctor.stdout, doctor.stdout
    assert f"no API key is sent to 127.0.0.1:{server.port}" in doctor.stdout
    assert leaks([openai_key], [r.stdout, r.stderr, doctor.stdout, doctor.stderr], home) == []


def test_the_openai_key_is_not_sent_to_a_base_url_from_the_config(server, home: Path) -> None:
    openai_key = canary("openai")
    assert run("config", "set", "base_url", server.base_url).returncode == 0
    r = run(*LEARN, env={"OPENAI_API_KEY": openai_key})
    assert r.returncode == 0, r.stderr
    assert no_key_sent(auth_of(server)[0], openai_key)
    shown = run("config", env={"OPENAI_API_KEY": openai_key})
    assert "OPENAI_API_KEY is not sent to" in shown.stdout
    assert f"no API key is sent to 127.0.0.1:{server.port}" in shown.stdout
    assert leaks([openai_key], [r.stdout, r.stderr, shown.stdout], home) == []


def test_the_openai_key_goes_to_the_server_in_openai_base_url(server, home: Path) -> None:
    openai_key = canary("openai")
    env = {"OPENAI_API_KEY": openai_key, "OPENAI_BASE_URL": server.base_url}
    assert run(*LEARN, env=env).returncode == 0
    # a flag naming that same server keeps the convention
    assert run(*LEARN, "--no-cache", "--base-url", server.base_url, env=env).returncode == 0
    assert auth_of(server) == [f"Bearer {openai_key}"] * 2
    shown = json.loads(run("config", "--json", env=env).stdout)
    assert shown["api_key"]["source"] == "env OPENAI_API_KEY"
    assert shown["api_key"]["sent_to"] == f"127.0.0.1:{server.port}"
    assert shown["api_key"]["withheld"] == []


def test_a_flag_naming_another_server_than_openai_base_url_gets_no_openai_key(
    server, home: Path,
) -> None:
    openai_key = canary("openai")
    env = {"OPENAI_API_KEY": openai_key, "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    assert run(*LEARN, "--base-url", server.base_url, env=env).returncode == 0
    assert no_key_sent(auth_of(server)[0], openai_key)


def test_mlops_primer_api_key_goes_to_the_server_in_use_and_wins(server, home: Path) -> None:
    own, openai_key = canary("own"), canary("openai")
    r = run(*LEARN, "--base-url", server.base_url, env={"MLOPS_PRIMER_API_KEY": own,
                                                        "OPENAI_API_KEY": openai_key})
    assert r.returncode == 0, r.stderr
    env = {"MLOPS_PRIMER_API_KEY": own, "OPENAI_API_KEY": openai_key,
           "OPENAI_BASE_URL": server.base_url}
    assert run(*LEARN, "--no-cache", env=env).returncode == 0
    assert auth_of(server) == [f"Bearer {own}"] * 2
    doctor = run("doctor", "--base-url", server.base_url, "--model", "test-model",
                 env={"MLOPS_PRIMER_API_KEY": own})
    assert doctor.returncode == 0, doctor.stdout
    assert (f"the key {own[:3]}...{own[-4:]} from env MLOPS_PRIMER_API_KEY is sent to "
            f"127.0.0.1:{server.port}") in doctor.stdout
    assert leaks([own, openai_key], [r.stdout, r.stderr, doctor.stdout], home) == []


def test_the_config_key_goes_to_the_server_in_use(server, home: Path) -> None:
    key = canary("config")
    assert run("config", "set", "api_key", key).returncode == 0
    # the config names no server: its key goes to the one a flag names
    assert run(*LEARN, "--base-url", server.base_url).returncode == 0
    # the config names this very server
    assert run("config", "set", "base_url", server.base_url).returncode == 0
    assert run(*LEARN, "--no-cache").returncode == 0
    assert auth_of(server) == [f"Bearer {key}"] * 2


def test_the_config_key_never_goes_to_another_server_than_the_configs(
    server, home: Path,
) -> None:
    key = canary("config")
    assert run("config", "set", "api_key", key).returncode == 0
    assert run("config", "set", "base_url", "https://my-own-server.example/v1").returncode == 0
    r = run(*LEARN, "--base-url", server.base_url)
    assert r.returncode == 0, r.stderr
    assert no_key_sent(auth_of(server)[0], key)
    shown = run("config", env={"OPENAI_BASE_URL": server.base_url})
    doctor = run("doctor", "--base-url", server.base_url, "--model", "test-model")
    for out in (shown.stdout, doctor.stdout):
        assert "the config file's api_key is not sent to 127.0.0.1" in out, out
        assert "my-own-server.example" in out
    assert leaks([key], [r.stdout, r.stderr, shown.stdout, doctor.stdout], home) == []


def test_with_nothing_else_the_openai_key_goes_to_openai(home: Path) -> None:
    key = canary("openai")
    shown = json.loads(run("config", "--json", env={"OPENAI_API_KEY": key}).stdout)
    assert shown["api_key"]["source"] == "env OPENAI_API_KEY"
    assert shown["api_key"]["sent_to"] == "api.openai.com"
    # and a base URL on OpenAI's own host is OpenAI's API
    flagged = run("config", "--json", env={"OPENAI_API_KEY": key,
                                           "OPENAI_BASE_URL": "https://api.openai.com/v1"})
    assert json.loads(flagged.stdout)["api_key"]["sent_to"] == "api.openai.com"


# -- credentials in a base URL -------------------------------------------------------------


def test_base_url_credentials_connect_but_are_never_shown_stored_or_exported(
    server, home: Path, tmp_path: Path,
) -> None:
    password = canary("password")
    openai_key, own = canary("openai"), canary("own")
    url = server.base_url.replace("http://", f"http://learner:{password}@")
    outputs = []
    r = run(*LEARN, "--base-url", url, env={"MLOPS_PRIMER_API_KEY": own,
                                            "OPENAI_API_KEY": openai_key})
    assert r.returncode == 0, r.stderr
    outputs += [r.stdout, r.stderr]
    # the user and password are what was sent (HTTP Basic), and no key besides
    expected = "Basic " + base64.b64encode(f"learner:{password}".encode()).decode()
    assert auth_of(server) == [expected]
    # stored: the host only
    db = sqlite3.connect(home / "primer.db")
    hosts = [row[0] for row in db.execute("SELECT host FROM answers")]
    db.close()
    assert hosts == [f"127.0.0.1:{server.port}"]
    # exported
    pack = tmp_path / "answers.jsonl"
    exported = run("cache", "export", str(pack))
    assert exported.returncode == 0, exported.stderr
    outputs += [exported.stdout, pack.read_text()]
    # shown by config set, config, doctor, cache list
    saved = run("config", "set", "base_url", url)
    assert saved.returncode == 0, saved.stderr
    assert f"http://***@127.0.0.1:{server.port}/v1" in saved.stdout
    shown = run("config")
    assert "http://***@127.0.0.1:" in shown.stdout
    assert "HTTP Basic" in shown.stdout
    doctor = run("doctor", "--model", "test-model")
    assert doctor.returncode == 0, doctor.stdout
    listing = run("cache", "list", "--json")
    outputs += [saved.stdout, saved.stderr, shown.stdout, shown.stderr, doctor.stdout,
                doctor.stderr, listing.stdout]
    assert leaks([password, own, openai_key], outputs, home) == []


def test_base_url_credentials_stay_out_of_error_lines(home: Path) -> None:
    password = canary("password")
    bad = run("config", "set", "base_url", f"ftp://learner:{password}@example.com/v1")
    assert bad.returncode == int(ExitCode.USAGE)
    assert "ftp://***@example.com/v1" in bad.stderr
    dead = run(*LEARN, "--base-url", f"http://learner:{password}@127.0.0.1:9/v1",
               "--timeout", "2")
    assert dead.returncode != 0 and "127.0.0.1:9" in dead.stderr, dead.stderr
    env_bad = run(*LEARN, env={"OPENAI_BASE_URL": f"nope://u:{password}@h"})
    assert env_bad.returncode == int(ExitCode.USAGE)
    texts = [bad.stdout, bad.stderr, dead.stdout, dead.stderr, env_bad.stdout, env_bad.stderr]
    assert leaks([password], texts, home) == []


def test_base_url_credentials_stay_out_of_the_missing_v1_advice(server, home: Path) -> None:
    password = canary("password")
    server.strict_prefix = True  # only /v1/... exists, as on llama.cpp and Ollama
    url = f"http://learner:{password}@127.0.0.1:{server.port}"  # /v1 forgotten
    doctor = run("doctor", "--base-url", url, "--model", "test-model")
    assert "answers 404 but" in doctor.stdout, doctor.stdout
    assert f"--base-url http://***@127.0.0.1:{server.port}/v1" in doctor.stdout
    learn = run(*LEARN, "--base-url", url)
    assert learn.returncode == int(ExitCode.LLM), learn.stderr
    assert f"no OpenAI API at http://***@127.0.0.1:{server.port}" in learn.stderr
    texts = [doctor.stdout, doctor.stderr, learn.stdout, learn.stderr]
    assert leaks([password], texts, home) == []


# -- --debug -------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["env", "config"])
def test_debug_output_is_scrubbed_of_a_key_the_server_echoes(
    server, home: Path, where: str,
) -> None:
    key = canary("echoed")
    env = {"MLOPS_PRIMER_API_KEY": key} if where == "env" else {}
    if where == "config":
        assert run("config", "set", "api_key", key).returncode == 0
    server.fault = "echo_key"
    # a theme of the learner's own: no offline answer to fall back on, so the server's
    # error (and the SDK exception it chains, echo included) goes all the way up
    args = ("learn", "lifecycle", "--theme", "a lighthouse", "--no-input", "--model",
            "test-model", "--base-url", server.base_url)
    plain = run(*args, env=env)
    debug = run("--debug", *args, env=env)
    # the key really went out, and the server really echoed it
    assert auth_of(server) == [f"Bearer {key}"] * 2
    assert plain.returncode == int(ExitCode.LLM)
    assert len(plain.stderr.splitlines()) == 1, plain.stderr
    assert debug.returncode == int(ExitCode.LLM)
    assert "Traceback" in debug.stderr and "BadRequestError" in debug.stderr
    assert "Invalid request sent with Authorization: Bearer ***" in debug.stderr
    assert leaks([key], [plain.stdout, plain.stderr, debug.stdout, debug.stderr], home) == []
