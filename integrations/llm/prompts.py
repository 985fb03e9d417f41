"""Prompt templates from `prompts/` (a system and a user part per card kind) and the data blocks
that carry untrusted text into them.

Templates use `$name` placeholders (string.Template): no logic in prompt files, and a `{` in a log
line can never break rendering. Untrusted text goes only inside `data_block`, whose closing tag it
cannot forge.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from string import Template

from pydantic import BaseModel

from integrations.llm.types import Message

_TAG = re.compile(r"</?\s*data\b", re.IGNORECASE)
_ATTR = re.compile(r"[^A-Za-z0-9 _.:/@,()-]")


class Prompt(BaseModel):
    system: str
    user: str

    def messages(self) -> list[Message]:
        return [Message(role="system", content=self.system), Message(role="user", content=self.user)]


@cache
def template(name: str) -> Template:
    return Template(resources.files("prompts").joinpath(name).read_text(encoding="utf-8"))


def render(kind: str, **values: str) -> Prompt:
    """The system and user parts of card kind `kind` (files `<kind>.system.txt`, `<kind>.user.txt`)."""
    return Prompt(system=template(f"{kind}.system.txt").safe_substitute(values).strip(),
                  user=template(f"{kind}.user.txt").safe_substitute(values).strip())


def render_one(name: str, **values: str) -> str:
    return template(name).safe_substitute(values).strip()


def data_block(text: str, **attrs: str) -> str:
    """Untrusted text, delimited and labelled as data. Tags inside the text are defused so the
    text cannot close the block and pose as instructions."""
    shown = " ".join(f'{k}="{_ATTR.sub("", v)[:120]}"' for k, v in attrs.items())
    body = _TAG.sub(lambda m: m.group(0).replace("data", "d_ata").replace("DATA", "D_ATA"), text.strip())
    return f"<data {shown}>\n{body}\n</data>"
