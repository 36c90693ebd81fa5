"""`python -m stack up|down|status|logs|fault|heal|faults` — drive the reference stack."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time

from stack.core import ServiceStatus, Stack, StackError
from stack.faults import FAULTS
from stack.services import BY_NAME


def _table(rows: list[ServiceStatus]) -> str:
    lines = [f"{'SERVICE':<18} {'STATE':<6} {'PID':>7}  URL"]
    lines += [f"{row.name:<18} {row.state:<6} {row.pid or '-':>7}  {row.url}" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="start what is not running, heal active faults, wait until ready")
    commands.add_parser("down", help="stop everything the stack started")
    status = commands.add_parser("status", help="state of every service")
    status.add_argument("--json", action="store_true")
    logs = commands.add_parser("logs", help="the last lines of a service's log")
    logs.add_argument("service", choices=list(BY_NAME))
    logs.add_argument("-n", "--lines", type=int, default=100)
    commands.add_parser("faults", help="list the faults that can be injected")
    for verb in ("fault", "heal"):
        sub = commands.add_parser(verb, help=f"{verb} a named fault")
        sub.add_argument("name", choices=list(FAULTS), metavar="NAME")
    args = parser.parse_args(argv)

    stack = Stack(progress=lambda line: print(line, flush=True))
    try:
        if args.command == "up":
            began = time.monotonic()
            rows = stack.up()
            print(f"\n{_table(rows)}\n\nstack up in {time.monotonic() - began:.1f} s")
        elif args.command == "down":
            stack.down()
            print("stack down")
        elif args.command == "status":
            rows = stack.status()
            if args.json:
                print(json.dumps({"services": [dataclasses.asdict(row) for row in rows]}, indent=2))
            else:
                active = stack.active_faults()
                print(_table(rows) + (f"\n\nactive faults: {', '.join(active)}" if active else ""))
        elif args.command == "logs":
            print(stack.logs(args.service, args.lines))
        elif args.command == "faults":
            active = set(stack.active_faults())
            for fault in FAULTS.values():
                mark = "*" if fault.name in active else " "
                print(f"{mark} {fault.name:<27} {fault.summary}")
        else:
            (stack.fault if args.command == "fault" else stack.heal)(args.name)
            print(f"{args.command}: {args.name}")
    except (StackError, RuntimeError, OSError) as exc:
        print(f"stack: {args.command}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
