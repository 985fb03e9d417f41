"""One module or package per external system: a read-only client plus its domain knowledge.

Integrations may import the leaf model modules `core.models` and `core.cards` (pure pydantic, no
wiring) and nothing else from `bot`, nor anything from `handlers`.
"""
