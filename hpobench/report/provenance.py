"""Where a report's runs came from: the command lines, settings and machine in the manifests."""

from __future__ import annotations

import os
import platform
import shlex

from .collect import ReportData


#: The subcommands whose runs a manifest's argv can rerun.
RUN_COMMANDS = ("compare", "run")


def rerun_commands(data: ReportData) -> tuple[list[str], list[str]]:
    """The distinct command lines the runs were recorded with (from the manifests' argv), and
    the distinct argv of runs started from Python rather than the command line (not rerunnable
    as a command)."""
    commands: list[str] = []
    other: list[str] = []
    for run in data.runs:
        argv = [str(a) for a in run.manifest.get("argv") or []]
        if argv and argv[0] in RUN_COMMANDS:
            cmd = "python -m hpobench " + shlex.join(argv)
            if cmd not in commands:
                commands.append(cmd)
        elif shlex.join(argv) not in other:
            other.append(shlex.join(argv))
    return commands, other


def distinct(values: list[dict]) -> list[dict]:
    """The distinct dicts of a list, in first-seen order."""
    out: list[dict] = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


def this_machine() -> dict[str, str]:
    """The machine the report is built on (the manifests record no machine of their own)."""
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": str(os.cpu_count()),
        "python": platform.python_version(),
    }
