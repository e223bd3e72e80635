"""The MCP server at /mcp, served by Daphne as in `make run` and driven by the official MCP SDK's own client:
one session is one episode, tools are the semantic actions plus reset_task and finish, a token is required."""

import asyncio
import time

import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from agentenv.models import Episode
from agentenv.tests.browser_support import asgi_server  # noqa: F401
from agentenv.tests.conftest import EPISODE_DBS, JAMES_MRN, MARIA_MRN

pytestmark = [EPISODE_DBS, pytest.mark.usefixtures("golden")]

A1C = {"patient_mrn": MARIA_MRN, "instruction": "What is Maria Garcia's latest hemoglobin A1c?"}


def _released(episode_id: str, timeout: float = 10.0) -> bool:
    """The server closes a session's episode after the session ended: wait for it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Episode.objects.get(pk=episode_id).released_at is not None:
            return True
        time.sleep(0.05)
    return False


def _session(url: str, user):
    """The SDK's Streamable HTTP transport, its HTTP client sending the user's token."""
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {user.auth_token.key}"})
    return streamable_http_client(f"{url}/mcp", http_client=http)


def _run(scenario):
    return asyncio.run(scenario())


def _text(result) -> str:
    return result.content[0].text


def test_it_lists_the_semantic_actions_and_runs_an_episode_to_its_end(asgi_server, alice):
    async def scenario():
        async with _session(asgi_server, alice) as (read, write, _), ClientSession(read, write) as session:
            started = await session.initialize()
            names = [tool.name for tool in (await session.list_tools()).tools]
            reset = await session.call_tool("reset_task", {**A1C, "seed": 4})
            opened = await session.call_tool("open_chart", {"mrn": MARIA_MRN})
            results = await session.call_tool("get_observations", {"loinc": "4548-4"})
            answered = await session.call_tool("answer", {"answer": "6.9 %"})
            after = await session.call_tool("read_chart_section", {"section": "summary"})
            finished = await session.call_tool("finish", {})
            return started, names, reset, opened, results, answered, after, finished

    started, names, reset, opened, results, answered, after, finished = _run(scenario)

    assert started.serverInfo.name == "EHRGym"
    assert names[0] == "reset_task" and names[-1] == "finish"
    assert {"open_chart", "get_observations", "place_order", "sign_note", "answer"} <= set(names)
    assert not {"click", "fill", "goto"} & set(names)  # browser actions need a browser episode
    assert reset.isError is False and reset.structuredContent["goal"] == A1C["instruction"]
    episode_id = reset.meta["ehrgym"]["episode_id"]
    assert opened.structuredContent["patient_mrn"] == MARIA_MRN and opened.meta["ehrgym"]["reward"] == 0.0
    assert results.structuredContent["last_action_result"]["observations"][0]["value"] == 6.9
    assert '"value": 6.9' in _text(results)  # the same observation as text, for clients that read text only
    assert answered.meta["ehrgym"]["terminated"] is True
    assert after.isError is True and "finish" in _text(after)  # the episode ended: no more steps
    assert finished.isError is False
    assert (finished.structuredContent["status"], finished.structuredContent["answer"]) == ("terminated", "6.9 %")
    episode = Episode.objects.get(pk=episode_id)
    assert episode.channel == Episode.Channel.MCP and episode.owner == alice and episode.steps.count() == 3
    assert episode.released_at is not None  # finish closed it


def test_it_says_to_reset_first_and_refuses_unknown_tools_and_bad_arguments(asgi_server, alice):
    async def scenario():
        async with _session(asgi_server, alice) as (read, write, _), ClientSession(read, write) as session:
            await session.initialize()
            early = await session.call_tool("get_observations", {"loinc": "4548-4"})
            unknown_reset = await session.call_tool("reset_task", {"patient_mrn": "999", "instruction": "Look."})
            no_goal = await session.call_tool("reset_task", {"seed": 3})
            browser = await session.call_tool("reset_task", {**A1C, "mode": "browser"})
            await session.call_tool("reset_task", A1C)
            unknown = await session.call_tool("prescribe_everything", {})
            wrong = await session.call_tool("get_observations", {"loinc": 4548})
            extra = await session.call_tool("open_chart", {"mrn": MARIA_MRN, "urgent": True})
            nul = await session.call_tool("search_patients", {"query": "Garcia\x00"})
            failing = await session.call_tool("open_chart", {"mrn": "no-such-mrn"})
            state = await session.call_tool("read_chart_section", {"section": "summary", "mrn": MARIA_MRN})
            return early, unknown_reset, no_goal, browser, unknown, wrong, extra, nul, failing, state

    early, unknown_reset, no_goal, browser, unknown, wrong, extra, nul, failing, state = _run(scenario)

    assert early.isError is True and "reset_task" in _text(early)
    assert unknown_reset.isError is True and "No patient with MRN '999'" in _text(unknown_reset)
    assert no_goal.isError is True and "Invalid arguments for reset_task" in _text(no_goal)
    assert browser.isError is True and "mode" in _text(browser)
    assert unknown.isError is True and "Unknown tool 'prescribe_everything'" in _text(unknown)
    assert wrong.isError is True and "loinc" in _text(wrong)
    assert extra.isError is True and "urgent" in _text(extra)
    assert nul.isError is True and "NUL characters" in _text(nul)
    # An action that runs but fails is an observation with its error (and the invalid-action penalty), as elsewhere.
    assert failing.isError is True and failing.structuredContent["last_action_error"]
    # Refused calls took no step: only the failing open_chart and this read are steps.
    assert state.isError is False and state.structuredContent["step"] == 2


def test_a_second_reset_closes_the_first_episode_and_the_session_end_closes_the_last(asgi_server, alice):
    async def scenario():
        async with _session(asgi_server, alice) as (read, write, _), ClientSession(read, write) as session:
            await session.initialize()
            first = await session.call_tool("reset_task", A1C)
            second = await session.call_tool("reset_task", {"patient_mrn": JAMES_MRN, "instruction": "Review."})
            first_released = await asyncio.to_thread(
                lambda: Episode.objects.get(pk=first.meta["ehrgym"]["episode_id"]).released_at is not None)
            return first, second, first_released

    first, second, first_released = _run(scenario)

    assert first_released  # closed by the second reset, while the session went on
    assert second.structuredContent["goal"] == "Review."
    # Leaving the client ends the session (the SDK sends DELETE): its episode is closed.
    assert _released(second.meta["ehrgym"]["episode_id"])
    assert Episode.objects.get(pk=second.meta["ehrgym"]["episode_id"]).status == Episode.Status.CLOSED


def test_it_needs_a_token(asgi_server, alice):
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "curl", "version": "1"}}}
    headers = {"Accept": "application/json, text/event-stream"}
    missing = httpx.post(f"{asgi_server}/mcp", json=initialize, headers=headers)
    wrong = httpx.post(f"{asgi_server}/mcp/", json=initialize, headers={**headers, "Authorization": "Bearer nope"})
    right = httpx.post(f"{asgi_server}/mcp", json=initialize,
                       headers={**headers, "Authorization": f"Bearer {alice.auth_token.key}"})

    assert missing.status_code == 401 and "Bearer" in missing.json()["detail"]
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert wrong.status_code == 401 and wrong.json()["detail"] == "Invalid token."
    assert right.status_code == 200 and right.json()["result"]["serverInfo"]["name"] == "EHRGym"
    assert right.headers["mcp-session-id"]


def test_another_user_cannot_use_a_session(asgi_server, alice, bob):
    async def scenario():
        async with _session(asgi_server, alice) as (read, write, session_id), ClientSession(read, write) as session:
            await session.initialize()
            await session.call_tool("reset_task", A1C)
            stolen = await asyncio.to_thread(httpx.post, f"{asgi_server}/mcp", json={
                "jsonrpc": "2.0", "id": 9, "method": "tools/call",
                "params": {"name": "answer", "arguments": {"answer": "guess"}}}, headers={
                "Authorization": f"Bearer {bob.auth_token.key}", "mcp-session-id": session_id(),
                "Accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-06-18"})
            return stolen

    assert _run(scenario).status_code == 404
    assert not Episode.objects.filter(answer="guess").exists()
