"""A library task done whole over MCP: the official SDK's client starts it with reset_task, calls the tools the
task's oracle chooses (each reading the observation the previous tool returned), and `finish` reports full
success, scored by the same rubric as every other interface."""

import asyncio
import inspect

import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from agentenv.models import Episode
from agentenv.tests.browser_support import daphne_serving
from conftest import episodes_close_all
from harness.instances import Instance
from harness.oracles import oracle_get
from harness.services import task_sync
from harness.tests.conftest import _unguarded, alice, golden_pointed_at, harness_golden  # noqa: F401

LATEST_RESULT = "ehr/laboratory-medicine.latest-result-v1"


@pytest.fixture
def task_server(harness_golden, transactional_db, monkeypatch, settings, tmp_path):  # noqa: F811
    """Daphne serving the task library on the harness's golden database (committed, so the server sees it)."""
    settings.EHRGYM_POOL_SIZE = 0
    settings.EHRGYM_POOL_REFILL_IN_BACKGROUND = False
    settings.EHRGYM_EPISODE_DIR = tmp_path / "episodes"
    with _unguarded(monkeypatch), golden_pointed_at(harness_golden):
        task_sync()
        with daphne_serving(settings) as url:
            yield url
        episodes_close_all()


def _instance(episode_id: str) -> Instance:
    return Instance.from_json(Episode.objects.get(pk=episode_id).task_instance)


async def _solve(url: str, token: str, seed: int):
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with streamable_http_client(f"{url}/mcp", http_client=http) as (read, write, _), \
            ClientSession(read, write) as session:
        await session.initialize()
        reset = await session.call_tool("reset_task", {"task_id": LATEST_RESULT, "seed": seed})
        assert reset.isError is False, reset.content
        instance = await asyncio.to_thread(_instance, reset.meta["ehrgym"]["episode_id"])
        policy = oracle_get(instance.oracle)(instance)
        generator = inspect.isgenerator(policy)
        actions = policy if generator else iter(policy)
        called, result = [], None
        while True:
            try:
                action = actions.send(result.structuredContent) if generator and called else next(actions)
            except StopIteration:
                break
            name, arguments = action["type"], {key: value for key, value in action.items() if key != "type"}
            result = await session.call_tool(name, arguments)
            assert result.isError is False, result.content
            called.append(name)
        finished = await session.call_tool("finish", {})
        return reset, called, finished


def test_the_sdk_client_solves_a_library_task_with_its_oracles_tool_calls(task_server, alice):  # noqa: F811
    reset, called, finished = asyncio.run(_solve(task_server, alice.auth_token.key, seed=7))

    assert reset.meta["ehrgym"]["task_id"] == LATEST_RESULT and reset.meta["ehrgym"]["patient_mrn"] is None
    assert called[0] == "get_observations" and called[-1] == "answer"
    final = finished.structuredContent
    assert finished.isError is False and final["status"] == "terminated"
    assert final["success"] is True and final["score"] == 1.0
    assert final["rubric"]["criteria"] and all(row["passed"] for row in final["rubric"]["criteria"])
    episode = Episode.objects.get(pk=final["episode_id"])
    assert episode.channel == Episode.Channel.MCP and episode.success and episode.released_at is not None
