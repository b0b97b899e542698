"""`config` and `doctor`: the LLM settings, and whether the server answers."""

from typing import Annotated

import typer

from ..errors import PrimerError
from ._common import BaseUrl, Model, Timeout, handled, out_console, settings, write_json

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
        console.print("\nNo LLM configured: `learn` replays the offline course pack. To ask an "
                      "LLM, set OPENAI_API_KEY, or point --base-url at a local server.",
                      markup=False, highlight=False)


@config_app.command("set")
@handled
def config_set(
    key: Annotated[str, typer.Argument(help="model, base_url, api_key, timeout, max_retries or "
                                       "temperature.")],
    value: Annotated[str, typer.Argument(help="The value; empty ('') removes the setting.")],
) -> None:
    """Write one setting to the config file (created with mode 0600)."""
    from ..config import mask, set_value, shown_url

    path = set_value(key, value)
    shown = mask(value) if key == "api_key" else shown_url(value) if key == "base_url" else value
    typer.echo(f"{key} = {shown or '(removed)'} saved in {path}")


@handled
def doctor(model: Model = None, base_url: BaseUrl = None, timeout: Timeout = None) -> None:
    """Check the settings and reach the server; say what to do about each failure."""
    from ..llm import OpenAIProvider

    console = out_console()
    failures = 0

    def line(ok: bool, text: str) -> None:
        nonlocal failures
        failures += 0 if ok else 1
        console.print(f"{'ok  ' if ok else 'FAIL'}  {text}", markup=False)

    try:
        s = settings(model, base_url, timeout)
    except PrimerError as exc:
        line(False, exc.one_line())
        raise typer.Exit(1) from None
    line(True, f"settings read (model {s.model}, server {s.host})")
    if not s.configured:
        line(False, "no LLM configured - set OPENAI_API_KEY, or --base-url for a local server "
             "(Ollama: http://localhost:11434/v1); the offline pack works without one")
        raise typer.Exit(1)
    for note in s.withheld:
        console.print(f"note  {note}", markup=False, highlight=False)
    if s.api_key or s.sources["api_key"] == "base URL":
        line(True, s.key_route)
    elif s.is_local:
        line(True, f"{s.key_route} (a server on this machine needs none)")
    else:
        fix = ("set MLOPS_PRIMER_API_KEY or `mlops-primer config set api_key KEY`" if s.base_url
               else "set OPENAI_API_KEY or `mlops-primer config set api_key KEY`")
        line(False, f"no API key for {s.host} - {fix}")
    provider = OpenAIProvider(s)
    try:
        models = provider.list_models()
        line(True, f"{s.host} answers; it offers {len(models)} model(s)")
        if models and s.model not in models:
            sample = ", ".join(models[:8])
            line(False, f"model '{s.model}' is not offered by {s.host} - choose one with "
                 f"--model or `mlops-primer config set model NAME` ({sample})")
        elif models:
            line(True, f"model '{s.model}' is available")
    except PrimerError as exc:
        line(False, exc.one_line())
    if failures:
        raise typer.Exit(1)
    console.print("All good: `mlops-primer learn` will ask this LLM.")


def register(app: typer.Typer, only: str | None = None) -> None:
    """Add this module's commands to ``app`` (just ``only``, when named)."""
    if only in (None, "config"):
        app.add_typer(config_app, name="config")
    if only in (None, "doctor"):
        app.command("doctor")(doctor)
