"""Ceph diagnosis: read-only collection (CLI, librados, Dashboard, restful), parsers for pasted
`ceph health detail` / `ceph -s` output, and the analyzer with its health-check catalogue."""
