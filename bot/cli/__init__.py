"""The `opsbot` command line. Each command group lives in its own module of this package; `main` is the entry point."""
