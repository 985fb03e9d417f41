"""One module or package per external system: a read-only client plus its domain knowledge.

Integrations may import the leaf model modules `bot.models` and `bot.cards` (pure pydantic, no
wiring) and nothing else from `bot`, nor anything from `handlers`.
"""
