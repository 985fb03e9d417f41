"""opsbot: the wiring layer (config, web ingress, Celery app and tasks, cards, CLI)."""
