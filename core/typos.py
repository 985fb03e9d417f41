"""One typo: the distance both readers of free text (/ask's questions, /logs' questions) forgive."""

from __future__ import annotations


def one_typo_apart(word: str, other: str) -> bool:
    """Whether `word` is `other` with one letter changed, added or dropped, or two neighbours swapped
    ("wirte" / "write", "erorrs" / "errors", "namepsace" / "namespace"); a word is no typo of itself."""
    if word == other or abs(len(word) - len(other)) > 1:
        return False
    if len(word) == len(other):
        diff = [i for i, (a, b) in enumerate(zip(word, other, strict=True)) if a != b]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and word[diff[0]] == other[diff[1]] and word[diff[1]] == other[diff[0]])
    short, long_ = sorted((word, other), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))
