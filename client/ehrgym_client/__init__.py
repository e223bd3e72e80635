"""EHRGym's Python client: no Django, just HTTP.

- EHRGymClient / AsyncEHRGymClient: reset, step, state, trajectory, close (client.py)
- gymnasium.make("EHRGym-v0", base_url=..., token=..., task=...) once this package is imported,
  when gymnasium is installed (pip install "ehrgym-client[gym]")
- EHRGymToolEnv: the semantic actions as tools for TRL's GRPOTrainer(environment_factory=...)
"""

from ehrgym_client.client import AsyncEHRGymClient, EHRGymClient
from ehrgym_client.errors import (
    BadRequest,
    Conflict,
    ConnectionFailed,
    EHRGymError,
    NoEpisode,
    NotFound,
    Unauthorized,
    Unavailable,
)
from ehrgym_client.tool_env import EHRGymToolEnv, EpisodeStats
from ehrgym_client.types import ActionSpec, EpisodeState, Observation, ResetResult, StepResult, Task, Trajectory

__all__ = [
    "ActionSpec", "AsyncEHRGymClient", "BadRequest", "Conflict", "ConnectionFailed", "EHRGymClient", "EHRGymError",
    "EHRGymToolEnv", "EpisodeState", "EpisodeStats", "NoEpisode", "NotFound", "Observation", "ResetResult",
    "StepResult", "Task", "Trajectory", "Unauthorized", "Unavailable",
]

try:
    import gymnasium
except ImportError:  # the Gymnasium environment is optional
    gymnasium = None

if gymnasium is not None and "EHRGym-v0" not in gymnasium.registry:
    gymnasium.register(id="EHRGym-v0", entry_point="ehrgym_client.gym_env:EHRGymEnv")
