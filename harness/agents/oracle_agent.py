"""The oracle agent: each task's registered scripted solver (an upper bound for the others)."""

from harness.instances import Instance
from harness.oracles import oracle_get


class OracleAgent:
    name = "oracle"

    def policy(self, instance: Instance, observation: dict, *, seed: int):
        return oracle_get(instance.oracle)(instance)
