"""Redis diagnosis: read-only live collection, parsers for pasted output, and the analyzer.

Modules here import the `redis` library with absolute imports; this package is
`integrations.redis` and never shadows it.
"""
