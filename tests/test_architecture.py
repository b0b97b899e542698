"""The import rules of STYLE.md: the core never imports rich, typer or openai."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

CORE = ("errors", "schema", "catalog", "lessons", "prompts", "validation", "config", "llm", "store",
        "review", "review_table", "grading",
        "tutor", "pack", "notes", "paths", "resources", "lesson_schema")


def test_core_modules_import_no_ui_cli_or_sdk() -> None:
    code = (
        "import sys\n"
        f"for name in {CORE!r}:\n"
        "    __import__('mlops_primer.' + name)\n"
        "bad = sorted(m for m in ('rich', 'typer', 'openai', 'click', 'httpx', 'httpx2')\n"
        "             if m in sys.modules)\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_only_llm_module_mentions_openai() -> None:
    src = ROOT / "src" / "mlops_primer"
    users = sorted(p.relative_to(src).as_posix() for p in src.rglob("*.py")
                   if "import openai" in p.read_text())
    assert users == ["llm.py"]


def test_only_cli_imports_typer() -> None:
    src = ROOT / "src" / "mlops_primer"
    users = {p.relative_to(src).parts[0] for p in src.rglob("*.py")
             if "import typer" in p.read_text()}
    assert users == {"cli"}


def test_piped_one_shot_answer_loads_no_markdown_renderer(tmp_path) -> None:
    """A piped `learn --no-input` writes plain text through ui.plain: no Markdown view,
    and no rich console at all (ui.safe, the funnel, needs no rich)."""
    code = (
        "import sys\n"
        "from mlops_primer.cli import main\n"
        "sys.argv = ['mlops-primer', 'learn', 'lifecycle', '--theme', 'cooking',\n"
        "            '--no-input', '--offline']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "loaded = sorted(m for m in ('markdown_it', 'rich.markdown', 'rich.syntax', 'openai',\n"
        "                            'rich.console')\n"
        "                if m in sys.modules)\n"
        "sys.stderr.write('LOADED=' + ','.join(loaded) + ' EXIT=' + str(code) + '\\n')\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "MLOPS_PRIMER_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=60, env=env)
    assert "## " in out.stdout or len(out.stdout) > 1000, out.stdout[:300]  # the answer
    assert "LOADED= EXIT=0" in out.stderr, out.stderr[-500:]
