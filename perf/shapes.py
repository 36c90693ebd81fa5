"""Load profiles as Locust LoadTestShape classes, chosen by name (`SHAPES`), sized by the target's `perf:` section;
their schedules are perf.profiles'. Each is abstract here, so a locustfile that imports this module gets no shape
by accident; perf/locust_gate.py makes the chosen one concrete. Every shape ends by itself."""

from __future__ import annotations

from typing import Any, ClassVar

from locust import LoadTestShape

from perf import profiles


class ProfileShape(LoadTestShape):
    abstract = True
    name: ClassVar[str] = "load"
    sizes: ClassVar[dict[str, Any]] = {}  # the profile's section of the target, set before Locust starts
    step_held: ClassVar[profiles.StepHeld] = staticmethod(lambda _step: True)  # the stress shape asks it

    def tick(self) -> profiles.Users:
        return profiles.SCHEDULES[self.name](self.sizes, self.get_run_time(), type(self).step_held)


class LoadShape(ProfileShape):
    """Ramp to `users`, hold until `duration_s`."""

    abstract = True


class SoakShape(ProfileShape):
    """Constant load for a long time (drift is judged afterwards)."""

    abstract = True
    name = "soak"


class StressShape(ProfileShape):
    """Steps up until an SLO breaks or `max_users`."""

    abstract = True
    name = "stress"


class SpikeShape(ProfileShape):
    """A burst of users, then back."""

    abstract = True
    name = "spike"


SHAPES: dict[str, type[ProfileShape]] = {"load": LoadShape, "stress": StressShape, "spike": SpikeShape,
                                          "soak": SoakShape}
