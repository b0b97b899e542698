"""Runs in the child process: loads the learner's file and does what the parent asks.

This file is executed by ``python -I harness.py REQUEST RESULT`` with the lab workspace as
the current folder. It is not imported by the rest of the package. Before any learner code
runs it narrows the network to loopback, so a lab's server or client can only reach this
machine. The request is JSON; the result is JSON written to RESULT, never to stdout, so
whatever the learner prints cannot forge a result.

Request kinds:
- ``{"kind": "call", "file": F, "calls": [[function, args], ...]}``: import F and call
  each function with its arguments; each outcome is ``{"value": ...}`` or ``{"error": ...}``.
- ``{"kind": "script", "file": F, "argv": [...]}``: run F as ``__main__``.
- ``{"kind": "tests", "file": F}``: call every ``test*`` function of F; each passes or
  fails with the error it raised.
"""

import ipaddress
import json
import os
import runpy
import socket
import sys
import traceback

_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", ""}


def _loopback(address: object) -> bool:
    if isinstance(address, str):  # a Unix socket path
        return True
    if not isinstance(address, tuple) or not address:
        return False
    host = address[0]
    if not isinstance(host, str):
        return False
    if host in _LOOPBACK_NAMES:
        return host != ""  # "" means every interface
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


class _LoopbackSocket(socket.socket):
    """A socket that binds and connects to loopback addresses only."""

    def bind(self, address):  # noqa: ANN001, ANN201 - socket's own signature
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
            raise PermissionError(
                f"lab code may listen on 127.0.0.1 only, not {address[0] or 'every address'!r}"
            )
        return super().bind(address)

    def connect(self, address):  # noqa: ANN001, ANN201
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
            raise PermissionError(f"lab code may connect to 127.0.0.1 only, not {address[0]!r}")
        return super().connect(address)

    def connect_ex(self, address):  # noqa: ANN001, ANN201
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
            raise PermissionError(f"lab code may connect to 127.0.0.1 only, not {address[0]!r}")
        return super().connect_ex(address)


def _where(exc: BaseException, path: str) -> tuple[str, int | None]:
    """The learner's file and line where ``exc`` happened (their frame nearest the error)."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return os.path.basename(exc.filename), exc.lineno
    target = os.path.abspath(path)
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.abspath(frame.filename) == target:
            line = frame.lineno
    return os.path.basename(path), line


def _error(exc: BaseException, path: str) -> dict:
    file, line = _where(exc, path)
    message = exc.msg if isinstance(exc, SyntaxError) else str(exc)
    return {"type": type(exc).__name__, "message": message[:500], "file": file, "line": line}


def _jsonable(value: object) -> object:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return {"__repr__": repr(value)[:500]}


def main() -> None:
    request_path, result_path = sys.argv[1], sys.argv[2]
    with open(request_path, encoding="utf-8") as fh:
        request = json.load(fh)
    os.remove(request_path)
    socket.socket = _LoopbackSocket  # type: ignore[misc]
    sys.path.insert(0, os.getcwd())
    path = request["file"]
    result: dict = {}
    try:
        if request["kind"] == "script":
            sys.argv = [path, *request.get("argv", [])]
            try:
                runpy.run_path(path, run_name="__main__")
                result = {"exit": 0}
            except SystemExit as stop:
                code = stop.code
                result = {"exit": code if isinstance(code, int) else (0 if code is None else 1)}
            except SyntaxError:
                raise
            except Exception as exc:  # the program crashed: exit status 1, as Python's would
                result = {"exit": 1, "error": _error(exc, path)}
        elif request["kind"] == "tests":
            namespace = runpy.run_path(path, run_name="lab")
            tests = []
            for name, func in namespace.items():
                if not (name.startswith("test") and callable(func)):
                    continue
                try:
                    func()
                    tests.append({"name": name, "passed": True})
                except Exception as exc:  # a failing test is data, whatever it raised
                    tests.append({"name": name, "passed": False, "error": _error(exc, path)})
            result = {"tests": tests}
        else:
            namespace = runpy.run_path(path, run_name="lab")
            outcomes = []
            for name, args in request["calls"]:
                func = namespace.get(name)
                if not callable(func):
                    outcomes.append({"error": {"type": "NameError", "file": os.path.basename(path),
                                               "line": None,
                                               "message": f"there is no function {name}()"}})
                    continue
                try:
                    outcomes.append({"value": _jsonable(func(*args))})
                except SystemExit as stop:  # main() may exit instead of returning
                    code = stop.code
                    outcomes.append({"value": code if isinstance(code, int) else
                                     (0 if code is None else 1)})
                except NotImplementedError as exc:
                    outcomes.append({"error": {**_error(exc, path), "todo": True}})
                except Exception as exc:  # the learner's bug, reported as data
                    outcomes.append({"error": _error(exc, path)})
            result = {"outcomes": outcomes}
    except BaseException as exc:  # noqa: BLE001 - loading failed: syntax error, import error
        result = {"load_error": _error(exc, path)}
    with open(result_path, "w", encoding="utf-8") as fh:
        json.dump(result, fh)


if __name__ == "__main__":
    main()
