"""Oracles: scripted solvers, one per task template, registered by name.

An oracle takes the Instance (patient, variant, facts) and returns the actions that
solve it: a list, or a generator that receives each step's observation
(`observation = yield action`) and can read what the chart showed. The runner sends
them through the real step path (agentenv services), so an oracle that reaches full
reward proves the task can be done with the actions an agent has. Oracles may use
the instance's facts, as BrowserGym's `cheat` does, but reading the answer from the
observation proves more: that the agent could have seen it.
"""

from collections.abc import Callable, Iterable

Policy = Callable[..., Iterable[dict]]
ORACLES: dict[str, Policy] = {}


def oracle(name: str):
    """Register `func(instance)` as the oracle `name` (version-free: a task's v2 may reuse it)."""

    def register(func: Policy) -> Policy:
        if name in ORACLES and ORACLES[name] is not func:
            raise ValueError(f"oracle {name!r} is registered twice")
        ORACLES[name] = func
        return func

    return register


def oracle_get(name: str) -> Policy:
    from harness.library import library_load

    library_load()
    try:
        return ORACLES[name]
    except KeyError:
        raise KeyError(f"no oracle {name!r} is registered") from None
