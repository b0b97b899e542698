"""Where the learner's data and settings live on this machine."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP = "mlops-primer"


def data_home() -> Path:
    """The folder for the answer store: ``MLOPS_PRIMER_HOME``, else the platform's data dir."""
    env = os.environ.get("MLOPS_PRIMER_HOME")
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / APP
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / APP


def config_file() -> Path:
    """The TOML settings file: in ``MLOPS_PRIMER_HOME`` when set, else the platform's config dir."""
    env = os.environ.get("MLOPS_PRIMER_HOME")
    if env:
        return Path(env).expanduser() / "config.toml"
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / APP / "config.toml"


def store_file() -> Path:
    """The SQLite file holding answers and progress."""
    return data_home() / "primer.db"
