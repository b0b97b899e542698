"""`config` and `doctor`: the LLM settings, and whether the server answers."""

from collections.abc import Callable
from typing import Annotated, Any

import typer

from ..errors import PrimerError
from ._common import (
    BaseUrl,
    Context,
    Json,
    MaxTokens,
    Model,
    Timeout,
    as_run,
    command,
    echo,
    handled,
    out_console,
    settings,
    write_json,
)

config_app = typer.Typer(help="Show or change the LLM settings.", invoke_without_command=True)


@config_app.callback()
@handled
def config_show(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show the effective settings and where each comes from (the key is masked)."""
    if ctx.invoked_subcommand:
        return
    from rich.table import Table

    from ..config import DESCRIPTIONS
    from ..paths import config_file, store_file

    s = settings()
    rows = s.describe()
    if as_json:
        data = {r.name: {"value": r.value, "source": r.source} for r in rows}
        data["api_key"].update(sent_to=s.host if s.api_key else None, withheld=list(s.withheld))
        write_json(data)
        return
    table = Table(title="Effective settings", title_justify="left", box=None, pad_edge=False)
    for col in ("setting", "value", "from", "meaning"):
        table.add_column(col)
    for r in rows:
        value = "(OpenAI)" if r.name == "base_url" and r.value is None else str(r.value)
        table.add_row(r.name, value, r.source, DESCRIPTIONS[r.name])
    console = out_console()
    console.print(table)
    console.print(f"\nkey: {s.key_route}", markup=False, highlight=False)
    for note in s.withheld:
        console.print(f"     {note}", markup=False, highlight=False)
    console.print(f"\nconfig file: {config_file()}")
    console.print(f"store:       {store_file()}")
    if not s.configured:
        console.print(f"\nNo LLM configured: `{command('learn')}` replays the offline course "
                      "pack. To ask an LLM, set OPENAI_API_KEY, or point --base-url at a local "
                      "server.")


@config_app.command("set")
@handled
def config_set(
    key: Annotated[str, typer.Argument(
            metavar="KEY", help="model, base_url, api_key, timeout, max_retries, "
                                "temperature, max_tokens, context or language.")],
    value: Annotated[str, typer.Argument(
            metavar="VALUE", help="The value; empty ('') removes the setting.")],
) -> None:
    """Write one setting to the config file (created with mode 0600)."""
    from ..config import mask, set_value, shown_url

    path = set_value(key, value)
    shown = mask(value) if key == "api_key" else shown_url(value) if key == "base_url" else value
    echo(f"{key} = {shown or '(removed)'} saved in {path}")


@handled
def doctor(model: Model = None, base_url: BaseUrl = None, timeout: Timeout = None,
           max_tokens: MaxTokens = None, context: Context = None,
           as_json: Json = False) -> None:
    """Check the settings and reach the server; say what to do about each failure."""
    from dataclasses import replace

    from ..errors import EndpointNotFoundError
    from ..llm import OpenAIProvider

    console = out_console()
    failures = 0
    checks: list[dict] = []  # for --json: every line, in order

    def line(ok: bool | None, text: str) -> None:
        """One finding: ok, FAIL (counted), or a note (None) that needs no fix."""
        nonlocal failures
        failures += 0 if ok or ok is None else 1
        mark = "note" if ok is None else ("ok  " if ok else "FAIL")
        checks.append({"ok": ok, "note": ok is None, "message": as_run(text)})
        if not as_json:
            console.print(f"{mark}  {as_run(text)}", markup=False, highlight=False)

    def end(code: int) -> None:
        if as_json:
            write_json({"ok": code == 0, "checks": checks})
        if code:
            raise typer.Exit(code)

    try:
        s = settings(model, base_url, timeout, max_tokens=max_tokens, context=context)
    except PrimerError as exc:
        line(False, exc.one_line())
        end(1)
    line(True, f"settings read (model {s.model}, server {s.host})")
    if not s.configured:  # offline is a mode, not a failure: say so, exit 0 if it can run
        _offline_ready(console, line)
        end(1 if failures else 0)  # writes the JSON too, with --json
        return
    for note in s.withheld:
        line(None, note)
    if s.api_key or s.sources["api_key"] == "base URL":
        line(True, s.key_route)
    elif s.is_local:
        line(True, f"{s.key_route} (a server on this machine needs none)")
    else:
        fix = ("set MLOPS_PRIMER_API_KEY or `mlops-primer config set api_key KEY`" if s.base_url
               else "set OPENAI_API_KEY or `mlops-primer config set api_key KEY`")
        line(False, f"no API key for {s.host} - {fix}")
    provider = OpenAIProvider(s)
    models: list[str] = []
    try:
        try:
            models = provider.list_models()
        except EndpointNotFoundError:
            if not s.base_url or s.base_url.rstrip("/").endswith("/v1"):
                raise
            fixed = s.base_url.rstrip("/") + "/v1"
            provider = OpenAIProvider(replace(s, base_url=fixed))
            models = provider.list_models()  # it answers there: name the fix
            was, now = s.shown_base_url, provider.settings.shown_base_url  # no credentials
            line(False, f"{was} answers 404 but {now} works - the base URL needs "
                 f"/v1: use --base-url {now}, or `mlops-primer config set base_url {now}`")
        line(True, f"{s.host} answers; it offers {len(models)} model(s)")
        if models and s.model not in models:
            sample = ", ".join(models[:8])
            line(False, f"model '{s.model}' is not offered by {s.host} - choose one with "
                 f"--model or `mlops-primer config set model NAME` ({sample})")
        elif models:
            line(True, f"model '{s.model}' is available")
    except PrimerError as exc:
        line(False, exc.one_line())
        end(1)
    if not models or s.model in models:
        _probe_answer(provider, line)
    found = provider.context_size()
    if found is not None:
        n_ctx, where = found
        if n_ctx == s.context:
            line(True, f"context window: {n_ctx:,} tokens (the server says so at {where})")
        else:
            line(None, f"context window: {n_ctx:,} tokens (the server says so at {where}); "
                 f"follow-ups are fitted to {s.context:,} - to match: `mlops-primer config "
                 f"set context {n_ctx}`")
    else:
        line(None, f"the server does not say its context window; follow-ups are fitted to "
             f"{s.context:,} tokens (`mlops-primer config set context N` if it differs)")
    if failures:
        end(1)
    if not as_json:
        console.print(as_run("All good: `mlops-primer learn` will ask this LLM."))
    end(0)


PROBE_TOKENS = 16


def _probe_answer(provider: Any, line: Callable[[bool | None, str], None]) -> None:
    """Ask for a long answer with a small max_tokens: does the server stream, count tokens,
    and stop at the limit?"""
    from dataclasses import replace

    from ..llm import OpenAIProvider
    from ..prompts import Message

    probe = OpenAIProvider(replace(provider.settings, max_tokens=PROBE_TOKENS, max_retries=0))
    pieces: list[str] = []
    try:
        ans = probe.stream([Message("user", "Count from 1 to 200 in words, one number a "
                                    "line. Write nothing else.")], pieces.append)
    except PrimerError as exc:
        if getattr(exc, "midstream", False):  # e.g. a reasoning model spent the 16 tokens
            line(None, f"a short test answer ({PROBE_TOKENS} tokens) came back empty or cut: "
                 "cannot tell whether the server streams, counts tokens or honours "
                 "max_tokens")
        else:
            line(False, f"a short test answer failed: {exc.one_line()}")
        return
    host = provider.host
    if len(pieces) > 1:
        line(True, f"{host} streams its answers ({len(pieces)} pieces for a short one)")
    else:
        line(None, f"{host} sent its answer in one piece: answers will appear all at once")
    if ans.completion_tokens is not None:
        line(True, f"{host} sends token usage (the context budget uses its counts)")
    else:
        line(None, f"{host} sends no token usage: the context budget is estimated from "
             "characters")
    used = ans.completion_tokens
    if ans.finish_reason == "length":
        line(True, f"{host} honours max_tokens (a test answer stopped at {PROBE_TOKENS})")
    elif (used is not None and used > PROBE_TOKENS) or (
            used is None and len(ans.text) > PROBE_TOKENS * 12):
        size = f"{used} tokens" if used is not None else f"{len(ans.text)} characters"
        line(False, f"{host} ignored max_tokens ({size} for a limit of {PROBE_TOKENS}) - "
             "answers may run long; check the server's own limit (llama-server: -n 1500)")
    else:
        line(None, f"{host} ended the test answer before the limit: cannot tell whether it "
             "honours max_tokens")


def _offline_ready(console, line) -> None:  # noqa: ANN001 - doctor's own helpers
    """With no LLM: check the course the offline mode would run, and say how to add one."""
    import os
    from pathlib import Path

    from ._common import course

    env = os.environ.get("MLOPS_PRIMER_LESSONS")
    try:
        c = course(Path(env) if env else None)
    except PrimerError as exc:
        line(False, exc.one_line())
        return
    line(True, f"course read ({len(c.lessons)} lessons)")
    line(None, "no LLM configured: offline mode is ready (the course pack's explanations)")
    line(None, "to add an LLM, set OPENAI_API_KEY or point --base-url at a local server "
         "(Ollama: --base-url http://localhost:11434/v1)")


def register(app: typer.Typer, only: str | None = None) -> None:
    """Add this module's commands to ``app`` (just ``only``, when named)."""
    if only in (None, "config"):
        app.add_typer(config_app, name="config")
    if only in (None, "doctor"):
        app.command("doctor")(doctor)
