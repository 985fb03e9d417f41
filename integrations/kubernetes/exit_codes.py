"""What a container's exit code means: the shell's documented codes, and 128+N for "killed by signal N"."""

from __future__ import annotations

EXIT_CODES = {
    0: "completed successfully", 1: "application error", 2: "misuse of a shell builtin or bad arguments",
    126: "command found but not executable", 127: "command not found (wrong entrypoint or image)",
    128: "invalid exit argument",
}
SIGNALS = {1: "SIGHUP", 2: "SIGINT", 6: "SIGABRT (abort, e.g. failed assertion)", 9: "SIGKILL (killed: OOM killer "
           "or the kubelet after the grace period)", 11: "SIGSEGV (segmentation fault)", 15: "SIGTERM (asked to stop)"}


def exit_code_meaning(code: int | None) -> str:
    if code is None:
        return "unknown exit code"
    if code in EXIT_CODES:
        return EXIT_CODES[code]
    if 128 < code < 160:
        return f"killed by signal {code - 128}: {SIGNALS.get(code - 128, 'signal')}"
    return "application-defined exit code"
