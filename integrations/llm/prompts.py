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

# Any spelling of the block's opening or closing tag: case, spaces (also zero-width ones) between `<`,
# `/` and the letters, full-width look-alikes, `&lt;`. `<database>` is another word and stays.
_GAP = r"[\s\u200b-\u200d\u2060\ufeff\u00ad]*"
_TAG = re.compile(
    r"(?:[<\uff1c\ufe64\u2039]|&lt;|&#0*60;|&#x0*3c;)" + _GAP + r"(?:[/\uff0f\u2215\u2044]" + _GAP + r")?"
    + _GAP.join(f"[{c}{c.upper()}{chr(ord(c) + 0xFEE0)}{chr(ord(c.upper()) + 0xFEE0)}]" for c in "data")
    + r"(?![A-Za-z0-9_\uff21-\uff3a\uff41-\uff5a])",
    re.IGNORECASE,
)
_FIRST_LETTER = re.compile(r"[dD\uff44\uff24]")
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
    body = _TAG.sub(lambda m: _FIRST_LETTER.sub(lambda d: d.group(0) + "_", m.group(0), count=1), text.strip())
    return f"<data {shown}>\n{body}\n</data>"
