"""The platform-neutral card every handler returns and every chat integration renders.

Handlers never build Slack blocks or Mattermost attachments; they fill a `Card` and the chat
integrations turn it into their own format. A leaf module like `core.models`.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from core.models import Citation, Finding, Fix, Severity, Step, Unavailable

# The resolved card's button; the worker's action task serves it (value: the incident key).
DRAFT_BUTTON = "draft_postmortem"
# Feedback buttons on triage, diagnosis and answer cards (value: the card's incident key); every channel
# (Slack, Mattermost, the web channel) sends these action names back.
FEEDBACK_UP = "feedback_up"
FEEDBACK_DOWN = "feedback_down"
FEEDBACK_WRONG = "feedback_wrong_cause"
FEEDBACK_BUTTONS = (FEEDBACK_UP, FEEDBACK_DOWN, FEEDBACK_WRONG)


class CardKind(StrEnum):
    triage = "triage"
    diagnosis = "diagnosis"
    logs = "logs"
    answer = "answer"
    summary = "summary"
    help = "help"


class CardStatus(StrEnum):
    working = "working"
    firing = "firing"
    resolved = "resolved"
    done = "done"
    degraded = "degraded"


class CardField(BaseModel):
    name: str
    value: str
    short: bool = True


class Link(BaseModel):
    title: str
    url: str


class Button(BaseModel):
    """An interactive button; `action` names the handler, `value` is passed back verbatim."""

    action: str
    label: str
    value: str = ""
    style: str = "default"


class Image(BaseModel):
    title: str
    url: str


class Hypothesis(BaseModel):
    """The LLM's probable cause, kept apart from what opsbot knows for sure: it is not a finding, has no
    severity, and is on a card only when it cites evidence or a document the card shows and the model
    passed its competence check."""

    cause: str
    confidence: str = "low"
    evidence_refs: list[str] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    model: str = ""


class Card(BaseModel):
    kind: CardKind
    status: CardStatus
    title: str
    severity: Severity = Severity.info
    summary: str = ""
    text: str = ""
    fields: list[CardField] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    hypothesis: Hypothesis | None = Field(None, description="the LLM's, shown under the findings")
    evidence: str = Field("", description="what each source saw, a few redacted lines each; shown after findings")
    steps: list[Step] = Field(default_factory=list)
    fixes: list[Fix] = Field(default_factory=list, description="changes a human runs, shown apart from steps")
    citations: list[Citation] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    images: list[Image] = Field(default_factory=list)
    buttons: list[Button] = Field(default_factory=list)
    unavailable: list[Unavailable] = Field(default_factory=list)
    footer: str = ""

    def field(self, name: str) -> str | None:
        return next((f.value for f in self.fields if f.name == name), None)


# Unicode, not :shortcodes:, so that every platform and the terminal show the same thing.
STATUS_ICON = {
    CardStatus.working: "⏳",
    CardStatus.firing: "🔥",
    CardStatus.resolved: "✅",
    CardStatus.done: "🔎",
    CardStatus.degraded: "⚠️",
}

SEVERITY_COLOR = {
    Severity.info: "#439FE0",
    Severity.warning: "#DAA038",
    Severity.error: "#E8712B",
    Severity.critical: "#D00000",
}
RESOLVED_COLOR = "#2EB886"


def card_color(card: Card) -> str:
    """The side-bar colour both chat platforms show: green once resolved (or a finished card with
    nothing wrong), else by severity."""
    if card.status is CardStatus.resolved or (card.status is CardStatus.done and card.severity is Severity.info):
        return RESOLVED_COLOR
    return SEVERITY_COLOR[card.severity]


def headline_label(card: Card) -> str:
    """The headline's own part: the status of a triage card, else the card's kind."""
    return card.status.value.upper() if card.kind is CardKind.triage else card.kind.value


def headline(card: Card) -> str:
    """One line that says what the card is about; used for notifications and plain-text fallbacks."""
    return f"[{headline_label(card)}] {card.title}"
