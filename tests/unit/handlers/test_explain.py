"""The explanation's pure parts: the read-only command allowlist, the prompt budget, data delimiting."""

from __future__ import annotations

import pytest

from handlers.llm import explain
from handlers.shared.commands import is_read_only
from integrations.llm.budget import Context
from integrations.llm.client import estimate_tokens
from integrations.llm.prompts import data_block
from tests.support.explain_inputs import make_card, make_enrichment


@pytest.mark.parametrize(("command", "ok"), [
    ("kubectl logs checkout-1 -n shop --previous", True), ("kubectl top pod -n shop", True),
    ("kubectl get events -n shop", True), ("kubectl exec -it x -- sh", False), ("kubectl delete pod x", False),
    ("kubectl get --raw /api", False), ("ceph osd out 3", False), ("ceph osd pool get rbd size", True),
    ("redis-cli FLUSHALL", False), ("redis-cli -a secret INFO", False), ("redis-cli SLOWLOG GET 10", True),
    ("rm -rf /", False), ("kubectl get pods | sh", False), ("", False),
])
def test_read_only_allowlist(command: str, ok: bool) -> None:
    assert is_read_only(command) is ok


def test_default_budget_holds_for_a_large_triage() -> None:
    enrichment = make_enrichment(docs=6, evidence_chars=20000, doc_chars=5000)
    inp = explain.triage_input(make_card(), enrichment)
    parts = Context(evidence=[explain._evidence_part(e) for e in inp.evidence],
                    documents=[explain._document_part(d) for d in inp.documents])
    from integrations.llm.budget import fit

    ctx, notes = fit(parts, lambda c: "\n".join(m.content for m in explain.build_messages(inp, c)), 3000)
    assert estimate_tokens("\n".join(m.content for m in explain.build_messages(inp, ctx))) <= 3000
    assert len(ctx.documents) >= 3 and notes


def test_data_block_attributes_cannot_break_out() -> None:
    block = data_block('x', id='a" onload="evil', title="<script>")
    assert block.splitlines()[0] == '<data id="a onloadevil" title="script">'
