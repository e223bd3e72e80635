"""Agents for `manage.py evaluate`: the oracle, a seeded random agent, an LLM, and the exploits.

An agent makes one policy per episode: `agent.policy(instance, observation, seed=...)`
returns the actions (or a generator that receives each observation, as oracles do),
starting from the observation reset gave. An agent that speaks another protocol to the episode
(MedAgentBench's, over the FHIR API) drives it itself: `agent.drive_episode(episode, instance,
observation, seed=...)` returns what a drive returns (harness.runner.Driven). Agents see what an
agent of the environment sees (the observation); only the oracle reads the instance, as
BrowserGym's `cheat` does.
"""

from collections.abc import Iterable
from typing import Protocol

from harness.instances import Instance


class Agent(Protocol):
    name: str

    def policy(self, instance: Instance, observation: dict, *, seed: int) -> Iterable[dict]: ...


class AgentUnavailable(Exception):
    """The agent cannot run here (e.g. the LLM endpoint is not configured)."""


def _exploit_names() -> tuple[str, ...]:
    from harness.agents.exploit_agent import exploit_agent_names

    return tuple(exploit_agent_names())


AGENT_NAMES = ("oracle", "random", "llm", *_exploit_names())
# The llm agent through MedAgentBench's text protocol and the episode's FHIR API (harness.agents.medagentbench).
MEDAGENTBENCH_AGENT = "llm-medagentbench"
INTERFACES = {"tools": "llm", "medagentbench": MEDAGENTBENCH_AGENT}  # evaluate --interface: the llm agent it runs


def agent_get(name: str) -> Agent:
    """The agent `name`; raises AgentUnavailable for an unknown or unconfigured one."""
    if name == "oracle":
        from harness.agents.oracle_agent import OracleAgent

        return OracleAgent()
    if name == "random":
        from harness.agents.random_agent import RandomAgent

        return RandomAgent()
    if name == "llm":
        from harness.agents.llm import LLMAgent

        return LLMAgent.from_environment()
    if name == MEDAGENTBENCH_AGENT:  # `--agent llm --interface medagentbench`
        from harness.agents.medagentbench import MedAgentBenchAgent

        return MedAgentBenchAgent.from_environment()
    if name in AGENT_NAMES and name.startswith("exploit-"):
        from harness.agents.exploit_agent import exploit_agent_get

        return exploit_agent_get(name)
    raise AgentUnavailable(f"Unknown agent {name!r}; choose one of {', '.join(AGENT_NAMES)}.")
