"""A git checkout as a knowledge source: where its files can be read on the web, and what to skip.

Read from `.git/config` and `.git/HEAD` only (no git command, nothing fetched): the `origin` remote
(`git@github.com:org/runbooks.git`, `https://gitlab.example/org/runbooks.git`; any user name or
token in it is dropped) and the checked-out branch give each file a browsable URL, so a citation of
a runbook that has no `url` in its front matter still links somewhere. GitHub-style hosts use
`/blob/<branch>/<path>`, GitLab `/-/blob/<branch>/<path>`; other hosts get no URL.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path
from urllib.parse import quote, urlsplit

# Repository furniture at a checkout's top level: not runbooks, and noise for retrieval.
BOILERPLATE = frozenset({"readme", "contributing", "changelog", "code_of_conduct", "security", "license",
                         "pull_request_template", "maintainers", "owners"})
_SCP_REMOTE = re.compile(r"^(?:[\w.-]+@)?([\w.-]+):(?!//)(.+)$")  # git@host:org/repo.git


def checkout_root(path: Path) -> Path | None:
    """`path` when it is the top of a git checkout (a folder inside a bigger repository is not one:
    a docs folder of some project is just a folder), else None."""
    return path.resolve() if path.is_dir() and (path / ".git").exists() else None


def _git_dir(root: Path) -> Path | None:
    git = root / ".git"
    if git.is_dir():
        return git
    try:  # a worktree or submodule: `.git` is a file naming the real directory
        text = git.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if text.startswith("gitdir:"):
        target = Path(text.removeprefix("gitdir:").strip())
        return target if target.is_absolute() else (root / target).resolve()
    return None


def web_base(remote: str) -> str | None:
    """`git@github.com:org/rb.git` -> `https://github.com/org/rb`; credentials and `.git` dropped."""
    remote = remote.strip()
    if scp := _SCP_REMOTE.match(remote):
        host, path = scp.group(1), scp.group(2)
    else:
        parts = urlsplit(remote)
        if parts.scheme not in ("https", "http", "ssh", "git") or not parts.hostname:
            return None
        host, path = parts.hostname, parts.path
    path = path.strip("/").removesuffix(".git")
    if not path or not re.fullmatch(r"[\w.-]+", host):
        return None
    return f"https://{host}/{path}"


def branch_url(root: Path) -> str | None:
    """Where the checked-out branch of the checkout at `root` can be browsed (ends with `/`), or None."""
    git = _git_dir(root)
    if git is None:
        return None
    config = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        config.read(git / "config", encoding="utf-8")
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
    except (OSError, configparser.Error):
        return None
    remote = config.get('remote "origin"', "url", fallback="")
    base = web_base(remote) if remote else None
    if base is None:
        return None
    ref = head.removeprefix("ref: refs/heads/") if head.startswith("ref: refs/heads/") else head
    if not re.fullmatch(r"[\w./-]+", ref):
        return None
    host = urlsplit(base).hostname or ""
    blob = "/-/blob/" if host.split(".")[0] == "gitlab" else "/blob/"
    return f"{base}{blob}{quote(ref)}/"


def file_url(base: str, root: Path, file: Path) -> str:
    """The browsable URL of `file` inside the checkout at `root`, given its `branch_url`."""
    return base + quote(file.resolve().relative_to(root.resolve()).as_posix())


def is_boilerplate(root: Path, file: Path) -> bool:
    """README, CONTRIBUTING, LICENSE … at the checkout's top level, and anything under `.github`."""
    relative = file.resolve().relative_to(root.resolve())
    return (len(relative.parts) == 1 and file.stem.lower() in BOILERPLATE) or ".github" in relative.parts
