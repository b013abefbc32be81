"""The `opspor` command (contract: serve, migrate, demo-data, create-user, reminders run)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from sqlmodel import select


def _migrate() -> None:
    from backend.db import migrate

    migrate()


def cmd_migrate(_args: argparse.Namespace) -> int:
    _migrate()
    print("Databasen er opdateret.")
    return 0


def cmd_demo_data(args: argparse.Namespace) -> int:
    from backend.db import new_session
    from backend.people.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo_data
    from backend.people.models import Municipality

    _migrate()
    with new_session() as db:
        if args.if_empty and db.exec(select(Municipality)).first() is not None:
            created = False
        else:
            created = load_demo_data(db)
            db.commit()
    print("Demodata indlæst." if created else "Demodata indlæses ikke: databasen har allerede data.")
    print(f"Demo-logins (adgangskode '{DEMO_PASSWORD}', kun i demotilstand OPSPOR_DEMO=1):")
    for username, name, label in DEMO_LOGINS:
        print(f"  {username:<24} {name} – {label}")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from backend.auth.passwords import hash_password
    from backend.db import new_session
    from backend.people.models import Municipality, Role, RoleAssignment, Unit, User

    _migrate()
    with new_session() as db:
        query = select(Municipality)
        if args.municipality:
            query = query.where(Municipality.name == args.municipality)
        municipality = db.exec(query).first()
        if municipality is None:
            print(
                "Ingen kommune fundet. Opret den med --municipality eller indlæs demodata.", file=sys.stderr
            )
            return 2
        if db.exec(select(User).where(User.username == args.username.lower())).first():
            print(f"Brugeren {args.username} findes allerede.", file=sys.stderr)
            return 2
        if args.emergency_admin and (problem := _emergency_admin_problem(db, municipality.id, args.role)):
            print(problem, file=sys.stderr)
            return 2
        password = (
            sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Adgangskode: ")
        )
        if len(password) < 10:
            print("Adgangskoden skal være mindst 10 tegn.", file=sys.stderr)
            return 2
        user = User(
            municipality_id=municipality.id,
            username=args.username.lower(),
            display_name=args.name,
            email=args.email,
            password_hash=hash_password(password),
            emergency_admin=args.emergency_admin,
        )
        db.add(user)
        db.flush()
        for spec in args.role:
            role, _, unit_ref = spec.partition(":")
            if role not in Role.__members__:
                print(f"Ukendt rolle: {role}", file=sys.stderr)
                db.rollback()
                return 2
            unit = None
            if role != Role.admin:
                unit = db.exec(
                    select(Unit).where(
                        Unit.municipality_id == municipality.id,
                        (Unit.id == unit_ref) | (Unit.name == unit_ref),
                    )
                ).first()
                if unit is None:
                    print(f"Ukendt enhed: {unit_ref}", file=sys.stderr)
                    db.rollback()
                    return 2
            db.add(RoleAssignment(user_id=user.id, role=role, unit_id=unit.id if unit else None))
        db.commit()
    print(f"Brugeren {args.username} er oprettet.")
    return 0


def _emergency_admin_problem(db, municipality_id: str, roles: list[str]) -> str:
    """Why this cannot be the emergency admin ("" when it can): one per municipality, an admin."""
    from backend.people.models import User

    if "admin" not in roles:
        return "Nødadministratoren skal have rollen admin (--role admin)."
    query = select(User).where(User.municipality_id == municipality_id, User.emergency_admin.is_(True))
    if existing := db.exec(query).first():
        return f"Kommunen har allerede en nødadministrator: {existing.username}."
    return ""


def cmd_password_link(args: argparse.Namespace) -> int:
    """A one-time password link printed for the operator (for a person without an e-mail address:
    the admin screens never show a link). Audited; earlier unused links stop working."""
    from backend.admin import organisation as org
    from backend.admin.duties import password_link_url
    from backend.audit import AuditTrail
    from backend.config import get_settings
    from backend.db import new_session
    from backend.people.models import User

    _migrate()
    with new_session() as db:
        user = db.exec(select(User).where(User.username == args.username.lower())).first()
        if user is None or not user.active:
            print(f"Brugeren {args.username} findes ikke eller er deaktiveret.", file=sys.stderr)
            return 2
        trail = AuditTrail()
        operator = _Operator(db, trail)
        token = org.issue_password_link(operator, user)
        trail.add("user.password_link_printed", "user", user.id, via="cli")
        trail.flush(db)
        db.commit()
    print(f"Engangslink til {args.username} (virker én gang og i {org.LINK_VALID.days} dage):")
    print(password_link_url(get_settings(), token))
    return 0


class _Operator:
    """The admin context of a command run by the operator (no signed-in user)."""

    def __init__(self, db, audit) -> None:
        self.db, self.audit, self.user = db, audit, None


def cmd_reset_second_factor(args: argparse.Namespace) -> int:
    """Remove a user's second factor (lost phone and recovery codes); audited, sessions ended."""
    from backend.audit import AuditTrail
    from backend.auth import totp
    from backend.auth.sessions import end_user_sessions
    from backend.db import new_session
    from backend.people.models import User

    _migrate()
    with new_session() as db:
        user = db.exec(select(User).where(User.username == args.username.lower())).first()
        if user is None:
            print(f"Brugeren {args.username} findes ikke.", file=sys.stderr)
            return 2
        had = totp.reset(db, user.id)
        end_user_sessions(db, user.id)
        trail = AuditTrail()
        trail.add("totp.reset", "user", user.id, had_second_factor=had, via="cli")
        trail.flush(db)
        db.commit()
    print(f"Totrinsbekræftelsen er nulstillet for {args.username}. Den slås til igen ved næste login.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """N server processes on one port (uvicorn's workers); the scheduler's leases keep every
    periodic job at once per period across them."""
    import logging
    import shutil
    import tempfile

    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from backend.config import get_settings
    from backend.web.logging import RedactSecretQueries

    workers = args.workers if args.workers is not None else (os.cpu_count() or 1)
    if workers < 1:
        print("--workers skal være mindst 1.", file=sys.stderr)
        return 2
    # Every worker writes its metrics into one fresh directory (before prometheus_client loads);
    # directories of servers that died without cleaning up are removed.
    _remove_dead_metrics_dirs(tempfile.gettempdir())
    metrics_dir = tempfile.mkdtemp(prefix=f"opspor-metrics-{os.getpid()}-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    _migrate()
    log_config = {
        **LOGGING_CONFIG,
        "loggers": {
            **LOGGING_CONFIG["loggers"],
            "opspor.access": {"handlers": ["default"], "level": "INFO", "propagate": False},
        },
    }
    trusted = get_settings().trusted_proxies
    config = uvicorn.Config(
        "backend.app:create_server_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=workers,
        proxy_headers=True,
        forwarded_allow_ips=[ip.strip() for ip in trusted.split(",") if ip.strip()] or ["127.0.0.1"],
        access_log=False,  # backend/web/observability.py logs one line per request instead
        log_config=log_config,
        log_level="info",
    )
    logging.getLogger("uvicorn.access").addFilter(RedactSecretQueries())
    server = uvicorn.Server(config)
    try:
        if workers > 1:
            from uvicorn.supervisors import Multiprocess

            sock = config.bind_socket()
            Multiprocess(config, sockets=[sock]).run()
        else:
            server.run()
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


def _remove_dead_metrics_dirs(directory: str) -> None:
    import shutil
    from pathlib import Path

    for path in Path(directory).glob("opspor-metrics-*-*"):
        pid = path.name.split("-")[2]
        if not pid.isdigit() or not path.is_dir():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except PermissionError:
            continue


def cmd_reminders_run(_args: argparse.Namespace) -> int:
    """Run the periodic jobs once (for cron): due tasks, reminders, pushes, and any job others
    registered. Safe next to running servers: the jobs take the same leases and claims."""
    from backend.reminders.scheduler import run_jobs

    _migrate()
    results = run_jobs(force=True)
    failed = [name for name, result in results.items() if isinstance(result, Exception)]
    for name, result in results.items():
        print(f"{name}: {'FEJL ' if name in failed else ''}{result}")
    if not results:
        print("En anden server kører påmindelserne lige nu; intet at gøre.")
    return 1 if failed else 0


def cmd_retention_run(args: argparse.Namespace) -> int:
    from backend.admin.retention import run_retention_job

    _migrate()
    result = run_retention_job(dry_run=args.dry_run)
    counts = result.counts
    heading = "Prøvekørsel – intet er slettet:" if result.dry_run else "Sletning kørt:"
    print(heading)
    print(f"  registreringer: {counts['records']}")
    print(f"  gemte skrivninger: {counts['kept_writes']}")
    print(f"  afsluttede opgaver: {counts['tasks']}")
    print(f"  børns stamdata: {counts['children']}")
    print(f"  hændelser i logbogen: {counts['audit_events']}")
    return 0


def cmd_sealing_key_rotate(_args: argparse.Namespace) -> int:
    """A new current sealing key (issue 20); the older keys keep opening what was sealed to them."""
    from backend.config import get_settings
    from backend.db import new_session
    from backend.sync.sealing import rotate

    _migrate()
    with new_session() as db:
        key = rotate(db, get_settings())
        db.commit()
        print(f"Ny forseglingsnøgle nr. {key.generation}: {key.kid}.")
        print("De ældre åbner stadig det, der er forseglet til dem.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="opspor", description="Opspor")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="Start webserveren (migrerer først)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers", type=int, default=None, help="Antal serverprocesser (standard: antal kerner)"
    )
    serve.set_defaults(handler=cmd_serve)

    commands.add_parser("migrate", help="Opdatér databasen").set_defaults(handler=cmd_migrate)
    demo = commands.add_parser("demo-data", help="Indlæs demokommunen (idempotent)")
    demo.add_argument("--if-empty", action="store_true", help="Kun hvis databasen er tom")
    demo.set_defaults(handler=cmd_demo_data)

    create = commands.add_parser("create-user", help="Opret en bruger")
    create.add_argument("username")
    create.add_argument("--name", required=True, help="Fulde navn")
    create.add_argument("--email")
    create.add_argument("--municipality", help="Kommunens navn (standard: den første)")
    create.add_argument(
        "--role",
        action="append",
        default=[],
        metavar="ROLLE[:ENHED]",
        help="fx health_visitor:'Sundhedsplejen Nord' eller admin",
    )
    create.add_argument("--password-stdin", action="store_true", help="Læs adgangskoden fra standard input")
    create.add_argument(
        "--emergency-admin",
        action="store_true",
        help="Kommunens ene nødadministrator: må logge ind lokalt, når kommunens login er slået til",
    )
    create.set_defaults(handler=cmd_create_user)

    reset = commands.add_parser(
        "reset-second-factor", help="Nulstil en brugers totrinsbekræftelse (mistet telefon og koder)"
    )
    reset.add_argument("username")
    reset.set_defaults(handler=cmd_reset_second_factor)

    link = commands.add_parser(
        "password-link",
        help="Lav et engangslink til adgangskode og vis det her (til en bruger uden e-mailadresse)",
    )
    link.add_argument("username")
    link.set_defaults(handler=cmd_password_link)

    reminders = commands.add_parser("reminders", help="Påmindelser")
    reminder_commands = reminders.add_subparsers(dest="reminders_command", required=True)
    reminder_commands.add_parser(
        "run", help="Beregn forfaldne opgaver og send påmindelser én gang"
    ).set_defaults(handler=cmd_reminders_run)

    sealing = commands.add_parser("sealing-key", help="Nøglen, telefoner forsegler til, når de er låst")
    sealing_commands = sealing.add_subparsers(dest="sealing_command", required=True)
    sealing_commands.add_parser("rotate", help="Lav en ny nøgle (de gamle virker stadig)").set_defaults(
        handler=cmd_sealing_key_rotate
    )

    retention = commands.add_parser("retention", help="Sletning af udløbne data")
    retention_commands = retention.add_subparsers(dest="retention_command", required=True)
    retention_run = retention_commands.add_parser("run", help="Slet det, hvis opbevaringstid er udløbet")
    retention_run.add_argument("--dry-run", action="store_true", help="Vis kun, hvad der ville blive slettet")
    retention_run.set_defaults(handler=cmd_retention_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.handler is not cmd_serve:
        # `serve` connects them in create_app(), in every worker, once it has set up the metrics
        # directory: prometheus_client must not be imported before that.
        from backend.startup import connect_services

        connect_services()
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
