"""One module per use case: handle(event) -> Card. Handlers never import web or chat code."""
