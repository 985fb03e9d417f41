"""The web channel's web side: the board page, its live updates (SSE), buttons and the command box."""
