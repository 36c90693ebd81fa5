"""`python -m perf.plan TARGET [PROFILE] [--summary PATH]`: the plan the gate gives Locust for the target's `perf:`
section (no secrets in it), to run Locust elsewhere: the ConfigMap of perf/k8s/locust.yaml. The test user's
password goes to Locust in OPSGATE_PERF_PASSWORD, never into the plan."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from opsgate.perf_run import plan
from opsgate.target import TargetError, load_target
from opsgate.target_perf import PROFILES


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m perf.plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("target", type=Path)
    parser.add_argument("profile", nargs="?", choices=PROFILES, help="default: the target's perf.profile")
    parser.add_argument("--summary", default="/results/summary.json", help="where the master writes its summary")
    args = parser.parse_args(argv)
    try:
        target = load_target(args.target)
    except TargetError as exc:
        print(f"perf.plan: {exc}", file=sys.stderr)
        return 2
    if target.perf is None:
        print(f"perf.plan: {args.target} has no perf section", file=sys.stderr)
        return 2
    app = target.app
    if app and app.credentials and not app.login:
        print("perf.plan: app.login is not set: the users will not log in (the gate itself reads the flow from the "
              "app's OpenAPI document; set app.login to run elsewhere)", file=sys.stderr)
    run_plan = plan(target.perf, args.profile or target.perf.profile, app, app.login if app else None,
                    target.ca_bundle, Path(args.summary))
    print(json.dumps(run_plan, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
