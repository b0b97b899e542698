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
