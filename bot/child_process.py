"""Child processes of `opsbot up` that die with it.

They run in sessions of their own (so that Ctrl-C reaches `up` once and it stops them in order),
which also means nothing stops them if `up` itself is killed (-9, the OOM killer): a llama.cpp
server would keep a core busy for nobody. On Linux each child asks the kernel for SIGTERM when its
parent dies (prctl PR_SET_PDEATHSIG); elsewhere this is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import signal
import subprocess
import sys
from typing import Any

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """`subprocess.Popen` in a new session, terminated when this process dies."""
    preexec = _die_with_parent if sys.platform.startswith("linux") else None
    return subprocess.Popen(args, start_new_session=True, preexec_fn=preexec, **kwargs)
