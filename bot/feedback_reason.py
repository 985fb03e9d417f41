""""Wrong cause" with a typed reason on Slack and Mattermost (the web channel sends the text with the press).

A button press carries no text, so the press itself records the vote at once (as 👍 / 👎 do) and
opens a form with one optional text field: Slack a modal (`views.open`), Mattermost an interactive
dialog (`actions/dialogs/open`), each with the press's short-lived `trigger_id`. The form carries a
`ReasonState` (the card, the channel and post it was pressed in); its submission becomes the same
`Action` with the text, and the worker adds that text to the vote already counted
(handlers.feedback.FeedbackStore.add_text): closing the form loses nothing, and sending it twice
updates the text, never counts a second vote.

On Mattermost the submission arrives unsigned (Mattermost POSTs it to our URL), so the state carries
an HMAC (the button's secret) over everything in it, the presser's id and the time it was issued
included: a forged or edited state, one older than STATE_TTL_S, or one sent back by another user id
than it was issued to, is refused. Mattermost's user ids themselves are not authenticated to us (its
action and dialog requests carry no signature of their own), so a reason is as trustworthy as the
vote it completes, never more.
"""

from __future__ import annotations

import logging
import time

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.request_input import BadRequest, validated
from core.cards import FEEDBACK_WRONG
from core.events import Action, InvalidPayload, Platform, load_json
from handlers.feedback import REASON_MAX
from integrations.mattermost import sign_action, verify_action

CALLBACK_ID = "feedback_wrong_cause_reason"
FIELD = "reason"
TITLE = "Wrong cause"
LABEL = "What was the cause?"
NOTE = "Your vote is recorded. A line on the real cause helps whoever gets this alert next."
STATE_TTL_S = 900  # a dialog left open longer than this is sent in vain (the vote stays counted)
log = logging.getLogger(__name__)


class ReasonState(BaseModel):
    """What identifies the card and where it was pressed; round-trips through the platform as JSON."""

    model_config = ConfigDict(extra="forbid")

    card: str = Field(min_length=1, max_length=200, description="the card's key (the button's value)")
    channel: str = Field(min_length=1, max_length=100)
    post: str = Field("", max_length=100, description="the message the button was on")
    user_id: str = Field("", max_length=100, description="Mattermost: who pressed; only they may submit")
    issued: int = Field(0, ge=0, description="Mattermost: when the state was signed (Unix seconds)")
    signature: str = Field("", max_length=128, description="Mattermost: HMAC of the fields above")

    @classmethod
    def of(cls, pressed: Action) -> ReasonState | None:
        """The state of a press, or None (logged) when the press cannot carry one (no channel, an id
        too long): the vote is counted all the same, only no form opens."""
        try:
            return cls(card=pressed.value, channel=pressed.channel, post=pressed.post_id or "",
                       user_id=pressed.user_id if pressed.platform == "mattermost" else "")
        except ValidationError as exc:
            log.warning("no wrong-cause form for this press: %s", exc.errors()[0].get("loc"))
            return None

    def signed(self, secret: str, now: float | None = None) -> ReasonState:
        issued = self.model_copy(update={"issued": int(time.time() if now is None else now)})
        return issued.model_copy(update={"signature": sign_action(secret, CALLBACK_ID, issued._signed_text())})

    def verify(self, secret: str, now: float | None = None) -> bool:
        fresh = (time.time() if now is None else now) - self.issued <= STATE_TTL_S
        return fresh and verify_action(secret, CALLBACK_ID, self._signed_text(), self.signature)

    def _signed_text(self) -> str:  # signed as the dialog's callback id, so no button's signature fits
        return self.model_dump_json(exclude={"signature"})  # JSON: no field's text can pass for another's

    def dumps(self) -> str:
        return self.model_dump_json(exclude_defaults=True)

    @classmethod
    def loads(cls, text: str) -> ReasonState:
        """The state a submission brought back, or BadRequest (400) saying what is wrong with it."""
        try:
            data = load_json(text or "null")
        except InvalidPayload as exc:
            raise BadRequest(f"the form's state is not JSON: {exc}") from None
        return validated(cls, data, "form state")


def reason_action(platform: Platform, state: ReasonState, *, user: str, user_id: str, text: str) -> Action:
    """The submission as the press it completes: the same action, card and post, with the person's words."""
    return Action(platform=platform, channel=state.channel, user=user, user_id=user_id, action=FEEDBACK_WRONG,
                  value=state.card, post_id=state.post or None, text=text.strip()[:REASON_MAX])
