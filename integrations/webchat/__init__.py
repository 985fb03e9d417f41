"""The web channel's chat side: cards kept in Redis for the browser board, rendered as escaped HTML."""
