"""`enamel tenants scan|merge`: many practices in one run."""

from __future__ import annotations

import sys
from pathlib import Path

from enamel_hipaa.cli import options
from enamel_hipaa.core import cleantext
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.report import EXIT_OK
from enamel_hipaa.core.ruleset import load_rules


def run_options(args, out_dir: Path):
    """RunOptions from `tenants scan` / `report weekly --tenants` arguments."""
    from enamel_hipaa.workflows.tenants import make_run_options

    return make_run_options(
        out_dir,
        formats=[f for f in getattr(args, "format", ["json"]) if f != "table"],
        fail_on_error=not getattr(args, "allow_incomplete", False),
        max_api_calls=getattr(args, "max_api_calls", None),
        history=options.history_config(args)
        if (getattr(args, "record", False) or getattr(args, "history", None))
        else None,
    )


def cmd_tenants(args) -> int:
    from enamel_hipaa.outputs import rollup
    from enamel_hipaa.workflows import tenants

    action = args.tenants_command
    if action is None:
        raise InputError("command line", "tenants needs an action: scan FILE or merge DIR...")
    if action == "discover":
        return cmd_discover(args)
    ruleset = load_rules(args.rules)
    out = Path(args.output_dir)
    if action == "merge":
        written = rollup.write_rollup(rollup.build_rollup(tenants.read_status_dirs(args.dirs), ruleset.catalogue), out)
        print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr)
        return EXIT_OK
    chosen = tenants.select(
        tenants.load_tenants(args.file),
        only=[n.strip() for n in args.only.split(",")] if args.only else None,
        shard=tenants.parse_shard(args.shard) if args.shard else None,
    )
    console = options.console(args, stderr=True)
    opts = run_options(args, out)

    def done(r):
        if not args.quiet:
            state = "ok" if r.complete else f"INCOMPLETE: {r.error or 'a source failed'}"
            console.print(cleantext.terminal(f"{r.tenant.name}: {state} (exit {r.exit_code})"), markup=False)

    results = tenants.scan_all(chosen, ruleset, opts, args.jobs, on_done=done)
    scanned = {r.tenant.name for r in results}
    roll = rollup.build_rollup(tenants.read_status_dirs([str(out)], scanned), ruleset.catalogue) if results else None
    if roll is not None:
        rollup.write_rollup(roll, out)
        if not args.quiet:
            console.print(f"{len(results)} tenants scanned; roll-up in {out}/rollup.html", markup=False)
    codes = [r.exit_code for r in results]
    return 3 if 3 in codes else (1 if 1 in codes else EXIT_OK)


def cmd_discover(args) -> int:
    """Tenant entries from AWS Organizations or Azure Lighthouse, merged into the tenants file."""
    from enamel_hipaa.core.fsio import atomic_write
    from enamel_hipaa.workflows import discover

    unassigned: list = []
    if args.aws_organization:
        from enamel_hipaa.core.extras import require_extra

        require_extra("aws", what="tenants discover --aws-organization")
        import boto3

        found = discover.discover_aws_organization(
            boto3.session.Session(profile_name=args.profile),
            args.group_by or "ou",
            args.role_name,
            args.external_id_env,
            list(args.regions) or None,
            unassigned=unassigned,
        )
    else:
        from enamel_hipaa.core.extras import require_extra

        require_extra("azure", what="tenants discover --azure-lighthouse")
        if not (args.identity_tenant_id and args.identity_client_id and args.client_secret_env):
            raise InputError(
                "command line",
                "--azure-lighthouse needs --identity-tenant-id, --identity-client-id and --client-secret-env NAME",
            )
        from azure.identity import DefaultAzureCredential

        from enamel_hipaa.sources.azure import arm
        from enamel_hipaa.sources.config import AzureSource

        identity = {
            "tenant_id": args.identity_tenant_id,
            "client_id": args.identity_client_id,
            "client_secret_env": args.client_secret_env,
        }
        found = discover.discover_azure_lighthouse(
            DefaultAzureCredential(),
            arm.from_config(AzureSource()),
            identity,
            args.group_by or "tag:practice",
            unassigned=unassigned,
        )
    path = Path(args.file)
    existing = path.read_text(encoding="utf-8") if path.is_file() else None
    text, diff = discover.merge_tenants(existing, found, path.name)
    sys.stdout.write(cleantext.terminal(diff) if diff else "no change\n")
    for item in unassigned:
        print(cleantext.terminal(f"unassigned (no group): {item}"), file=sys.stderr)
    if args.write and diff:
        atomic_write(path, text)
        print(f"wrote {path}", file=sys.stderr)
    return EXIT_OK
