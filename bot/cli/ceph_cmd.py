"""`opsbot ceph diagnose`: diagnose a Ceph cluster live, or from saved `ceph health detail` / `ceph -s`."""

from __future__ import annotations

import typer

from bot.cli.common import fail, print_card, print_json_line, read_input, settings_or_exit

app = typer.Typer(help="Ceph diagnosis: health checks explained, with read-only next steps and documented fixes.",
                  no_args_is_help=True)


@app.command("diagnose")
def diagnose(
    input_file: str | None = typer.Option(
        None, "--input", help="saved `ceph health detail` and/or `ceph -s` output, text or -f json ('-' for stdin)"),
    cluster: str | None = typer.Option(None, "--cluster", help="a configured cluster (ceph.clusters); default: "
                                       "ceph.default_cluster"),
    as_json: bool = typer.Option(False, "--json", help='print {"status", "primary", "summary", "checks": [...], '
                                 '"fixes": [...]} as JSON: everything the card shows'),
) -> None:
    """Explain every raised health check, lead with the primary problem, and list the read-only commands
    to run next. Live mode sends only commands from a fixed read-only allowlist."""
    from handlers.ceph import UnknownCluster, diagnose_cluster, diagnose_paste, diagnosis_card, diagnosis_json
    from integrations.ceph.allowlist import CommandRefused
    from integrations.ceph.analyzer import CephDiagnosis
    from integrations.ceph.parsers import PasteError
    from integrations.ceph.transports import CephUnavailable

    if input_file and cluster:
        fail("give either --input (saved output) or --cluster (live), not both")
    config = settings_or_exit().ceph
    diagnosis: CephDiagnosis
    try:
        diagnosis = diagnose_paste(read_input(input_file), config) if input_file else diagnose_cluster(cluster, config)
    except UnknownCluster as exc:
        fail(str(exc.args[0]))
    except (CephUnavailable, CommandRefused) as exc:
        fail(f"cannot read Ceph cluster {cluster or config.default}: {exc}")
    except PasteError as exc:
        fail(f"{input_file}: {exc}")
    target = "(saved output)" if input_file else (diagnosis.cluster or "?")
    card = diagnosis_card(diagnosis, target=target)
    if as_json:
        print_json_line(diagnosis_json(diagnosis, card))
        return
    print_card(card, "ceph")
