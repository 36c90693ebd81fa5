"""`python -m stack up|down|status|logs|faults|inject|heal|drill-app` — drive the reference stack."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time

from stack.components.app import serve_drill
from stack.config import PORTS
from stack.core import ServiceStatus, Stack, StackError
from stack.shapes import SHAPES


def _table(rows: list[ServiceStatus]) -> str:
    lines = [f"{'SERVICE':<18} {'STATE':<6} {'PID':>7}  URL"]
    lines += [f"{row.name:<18} {row.state:<6} {row.pid or '-':>7}  {row.url}" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start what is not running, heal active faults, wait until ready")
    up.add_argument("--shape", choices=list(SHAPES), help="which shape of the stack to run (default: the running "
                    "one, else default)")
    commands.add_parser("down", help="stop everything the stack started")
    status = commands.add_parser("status", help="state of every service")
    status.add_argument("--json", action="store_true")
    logs = commands.add_parser("logs", help="the last lines of a service's log")
    logs.add_argument("service")
    logs.add_argument("-n", "--lines", type=int, default=100)
    commands.add_parser("faults", help="list the faults that can be injected (* marks the active ones)")
    inject = commands.add_parser("inject", aliases=["fault"], help="inject a named fault")
    inject.add_argument("name", metavar="NAME")
    heal = commands.add_parser("heal", help="heal a named fault, or every active one")
    heal.add_argument("name", metavar="NAME", nargs="?")
    drill = commands.add_parser("drill-app", help="serve the reference app on another database (a DR drill's "
                                "restored copy) until stopped")
    drill.add_argument("--database-url", required=True, help="libpq URL of the restored copy")
    drill.add_argument("--port", type=int, default=PORTS["drill_app"])
    args = parser.parse_args(argv)
    if args.command == "drill-app":
        serve_drill(args.database_url, args.port)  # does not return

    try:
        stack = Stack(getattr(args, "shape", None), progress=lambda line: print(line, flush=True))
        if args.command == "up":
            began = time.monotonic()
            rows = stack.up()
            print(f"\n{_table(rows)}\n\nstack up as shape {stack.shape.name} in {time.monotonic() - began:.1f} s")
        elif args.command == "down":
            stack.down()
            print("stack down")
        elif args.command == "status":
            rows = stack.status()
            if args.json:
                services = [dataclasses.asdict(row) for row in rows]
                print(json.dumps({"shape": stack.shape.name, "services": services}, indent=2))
            else:
                active = stack.active_faults()
                print(_table(rows) + (f"\n\nactive faults: {', '.join(active)}" if active else ""))
        elif args.command == "logs":
            print(stack.logs(args.service, args.lines))
        elif args.command == "faults":
            active = set(stack.active_faults())
            for fault in stack.faults.values():
                mark = "*" if fault.name in active else " "
                print(f"{mark} {fault.name:<32} {fault.summary}")
        elif args.command in ("inject", "fault"):
            stack.inject(args.name)
            print(f"inject: {args.name}")
        elif args.name:
            stack.heal(args.name)
            print(f"heal: {args.name}")
        else:
            healed = stack.heal_all()
            print(f"heal: {', '.join(healed) if healed else 'no active fault'}")
    except (StackError, RuntimeError, OSError) as exc:
        print(f"stack: {args.command}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
