"""What a section of a runbook is for, read from its heading: what to check first, or what to change.

Headings of the bundled runbooks ("First checks", "Fixes (changes a human runs)") and of the common
public ones ("Diagnosis", "Troubleshooting", "Mitigation", "Remediation"), in English and Russian.
"""

from __future__ import annotations

import re
from typing import Literal

SectionKind = Literal["check", "fix"]
_CHECK = re.compile(r"first\s+(check|step)|diagnos|troubleshoot|what\s+to\s+check|investigat|\bchecks?\b"
                    r"|провер|диагност", re.IGNORECASE)
_FIX = re.compile(r"mitigat|\bfix|remediat|resolution|workaround|recover|что\s+делать|исправ|устран", re.IGNORECASE)


def section_kind(section: str) -> SectionKind | None:
    """`check`, `fix` or None for the last heading of a section path (`A > B` is judged by `B`)."""
    heading = section.rsplit(" > ", 1)[-1]
    if _CHECK.search(heading):
        return "check"
    if _FIX.search(heading):
        return "fix"
    return None
