"""EHRGymClient: the REST API of an EHRGym server, one episode at a time, with typed results.

    with EHRGymClient("http://127.0.0.1:8000", token) as env:
        first = env.reset(task_id="ehr/laboratory-medicine.latest-result-v1", seed=7)
        result = env.step({"type": "get_observations", "loinc": "4548-4"})

Each API error raises its own exception (errors.py) with the server's message. A 503 (no
free episode slot) is retried after the server's Retry-After, `retries` times. AsyncEHRGymClient
is the same API for asyncio.
"""

import asyncio
import os
import time
from dataclasses import dataclass

import httpx

from ehrgym_client.errors import BY_STATUS, ConnectionFailed, EHRGymError, NoEpisode, NotFound, Unavailable
from ehrgym_client.types import ActionSpec, EpisodeState, Observation, ResetResult, StepResult, Task, Trajectory

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
API = "/api/v1"


def settings_from_env() -> tuple[str, str]:
    """EHRGYM_BASE_URL (default http://127.0.0.1:8000) and EHRGYM_TOKEN (required)."""
    token = os.environ.get("EHRGYM_TOKEN", "").strip()
    if not token:
        raise EHRGymError("Set EHRGYM_TOKEN to an API token (`manage.py agent_token USERNAME` prints one).")
    return os.environ.get("EHRGYM_BASE_URL", "").strip() or DEFAULT_BASE_URL, token


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    json: dict | None = None
    params: dict | None = None


def _message(response: httpx.Response) -> tuple[str, object]:
    """The server's message: DRF's `detail`, or its field errors as `field: message; ...`."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return (text[:500] if text else response.reason_phrase or f"HTTP {response.status_code}"), None
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return body["detail"], body
    if isinstance(body, dict):
        parts = []
        for field_name, problems in body.items():
            problems = problems if isinstance(problems, list) else [problems]
            parts.append(f"{field_name}: {' '.join(str(p) for p in problems)}")
        return "; ".join(parts) or f"HTTP {response.status_code}", body
    return str(body)[:500], body


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:  # absent, or an HTTP date (DRF sends seconds)
        return None


def _error(response: httpx.Response) -> EHRGymError:
    message, body = _message(response)
    cls = BY_STATUS.get(response.status_code)
    if cls is Unavailable:
        return Unavailable(message, retry_after=_retry_after(response), body=body)
    if cls is None:
        return EHRGymError(f"HTTP {response.status_code}: {message}", status=response.status_code, body=body)
    return cls(message, body=body)


def _reset_body(*, task_id, seed, mode, patient_mrn, instruction, step_limit, screenshot, set_of_marks, split) -> dict:
    given = {"task_id": task_id, "seed": seed, "mode": mode, "patient_mrn": patient_mrn, "instruction": instruction,
             "step_limit": step_limit, "split": split}
    # Unset fields stay out of the body (the server's defaults apply; `split` only exists on newer servers).
    body = {key: value for key, value in given.items() if value is not None}
    if screenshot:
        body["screenshot"] = True
    if set_of_marks:
        body["set_of_marks"] = True
    return body


class _Base:
    def __init__(self, base_url: str, token: str, *, timeout: float, retries: int, max_retry_wait: float):
        if not base_url or not token:
            raise EHRGymError("EHRGymClient needs the server's base_url and an API token.")
        self.base_url = base_url.rstrip("/")
        self.retries, self.max_retry_wait = retries, max_retry_wait
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self._timeout = timeout
        self.episode_id: str | None = None  # the latest episode reset started
        self._open = False  # ... and it has not been closed by this client

    def _episode_path(self, suffix: str = "") -> str:
        if self.episode_id is None:
            raise NoEpisode("No episode: call reset first.")
        return f"{API}/episodes/{self.episode_id}{suffix}"

    def _unreachable(self, error: Exception) -> ConnectionFailed:
        return ConnectionFailed(f"Cannot reach EHRGym at {self.base_url}: {error}")

    def _wait_for(self, error: Unavailable, attempt: int) -> float | None:
        """Seconds to wait before retrying a 503, or None when the retries are used up."""
        if attempt >= self.retries:
            return None
        return min(error.retry_after if error.retry_after is not None else 1.0, self.max_retry_wait)


class EHRGymClient(_Base):
    """A blocking client. One client runs one episode at a time: reset closes the previous one."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 60.0, retries: int = 3,
                 max_retry_wait: float = 60.0):
        super().__init__(base_url, token, timeout=timeout, retries=retries, max_retry_wait=max_retry_wait)
        self._http = httpx.Client(base_url=self.base_url, headers=self._headers, timeout=timeout)

    @classmethod
    def from_env(cls, **options) -> "EHRGymClient":
        base_url, token = settings_from_env()
        return cls(base_url, token, **options)

    def _send(self, request: _Request) -> dict:
        attempt = 0
        while True:
            try:
                response = self._http.request(request.method, request.path, json=request.json, params=request.params)
            except httpx.TransportError as error:
                raise self._unreachable(error) from None
            if response.is_success:
                return response.json()
            error = _error(response)
            wait = self._wait_for(error, attempt) if isinstance(error, Unavailable) else None
            if wait is None:
                raise error
            time.sleep(wait)
            attempt += 1

    def tasks(self, *, tier: str | None = None, domain: str | None = None) -> list[Task]:
        params = {key: value for key, value in (("tier", tier), ("domain", domain)) if value}
        return [Task.from_json(row) for row in self._send(_Request("GET", f"{API}/tasks", params=params))]

    def actions(self) -> list[ActionSpec]:
        return [ActionSpec.from_json(row) for row in self._send(_Request("GET", f"{API}/actions"))["actions"]]

    def reset(self, *, task_id: str | None = None, seed: int | None = None, mode: str | None = None,
              patient_mrn: str | None = None, instruction: str | None = None, step_limit: int | None = None,
              screenshot: bool = False, set_of_marks: bool = False, split: str | None = None) -> ResetResult:
        """Start an episode: a task instance (task_id, seed) or a free goal (patient_mrn, instruction).

        The episode this client was running, if any, is closed first.
        """
        body = _reset_body(task_id=task_id, seed=seed, mode=mode, patient_mrn=patient_mrn, instruction=instruction,
                           step_limit=step_limit, screenshot=screenshot, set_of_marks=set_of_marks, split=split)
        try:
            self.close()
        except NotFound:  # the previous episode is gone already
            pass
        data = self._send(_Request("POST", f"{API}/episodes", json=body))
        self.episode_id, self._open = str(data["episode_id"]), True
        return ResetResult(str(data["episode_id"]), Observation.from_json(data["observation"]), data.get("info", {}))

    def step(self, action: dict) -> StepResult:
        data = self._send(_Request("POST", self._episode_path("/step"), json={"action": action}))
        return StepResult(Observation.from_json(data["observation"]), float(data["reward"]),
                          bool(data["terminated"]), bool(data["truncated"]), data.get("info", {}))

    def state(self) -> EpisodeState:
        return EpisodeState.from_json(self._send(_Request("GET", self._episode_path())))

    def trajectory(self) -> Trajectory:
        return Trajectory.from_json(self._send(_Request("GET", self._episode_path("/trajectory"))))

    def close(self) -> EpisodeState | None:
        """Close the current episode (its database is dropped; the trajectory is kept). None if none is open."""
        if not self._open:
            return None
        self._open = False
        return EpisodeState.from_json(self._send(_Request("DELETE", self._episode_path())))

    def shutdown(self) -> None:
        """Close the episode and the connections."""
        try:
            self.close()
        finally:
            self._http.close()

    def __enter__(self) -> "EHRGymClient":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.shutdown()
        except EHRGymError:
            if exc_type is None:  # never hide the error that ended the block
                raise


class AsyncEHRGymClient(_Base):
    """The same API for asyncio: `async with AsyncEHRGymClient(url, token) as env: await env.reset(...)`."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 60.0, retries: int = 3,
                 max_retry_wait: float = 60.0):
        super().__init__(base_url, token, timeout=timeout, retries=retries, max_retry_wait=max_retry_wait)
        self._http = httpx.AsyncClient(base_url=self.base_url, headers=self._headers, timeout=timeout)

    @classmethod
    def from_env(cls, **options) -> "AsyncEHRGymClient":
        base_url, token = settings_from_env()
        return cls(base_url, token, **options)

    async def _send(self, request: _Request) -> dict:
        attempt = 0
        while True:
            try:
                response = await self._http.request(request.method, request.path, json=request.json,
                                                    params=request.params)
            except httpx.TransportError as error:
                raise self._unreachable(error) from None
            if response.is_success:
                return response.json()
            error = _error(response)
            wait = self._wait_for(error, attempt) if isinstance(error, Unavailable) else None
            if wait is None:
                raise error
            await asyncio.sleep(wait)
            attempt += 1

    async def tasks(self, *, tier: str | None = None, domain: str | None = None) -> list[Task]:
        params = {key: value for key, value in (("tier", tier), ("domain", domain)) if value}
        return [Task.from_json(row) for row in await self._send(_Request("GET", f"{API}/tasks", params=params))]

    async def actions(self) -> list[ActionSpec]:
        return [ActionSpec.from_json(row) for row in (await self._send(_Request("GET", f"{API}/actions")))["actions"]]

    async def reset(self, *, task_id: str | None = None, seed: int | None = None, mode: str | None = None,
                    patient_mrn: str | None = None, instruction: str | None = None, step_limit: int | None = None,
                    screenshot: bool = False, set_of_marks: bool = False, split: str | None = None) -> ResetResult:
        body = _reset_body(task_id=task_id, seed=seed, mode=mode, patient_mrn=patient_mrn, instruction=instruction,
                           step_limit=step_limit, screenshot=screenshot, set_of_marks=set_of_marks, split=split)
        try:
            await self.close()
        except NotFound:
            pass
        data = await self._send(_Request("POST", f"{API}/episodes", json=body))
        self.episode_id, self._open = str(data["episode_id"]), True
        return ResetResult(str(data["episode_id"]), Observation.from_json(data["observation"]), data.get("info", {}))

    async def step(self, action: dict) -> StepResult:
        data = await self._send(_Request("POST", self._episode_path("/step"), json={"action": action}))
        return StepResult(Observation.from_json(data["observation"]), float(data["reward"]),
                          bool(data["terminated"]), bool(data["truncated"]), data.get("info", {}))

    async def state(self) -> EpisodeState:
        return EpisodeState.from_json(await self._send(_Request("GET", self._episode_path())))

    async def trajectory(self) -> Trajectory:
        return Trajectory.from_json(await self._send(_Request("GET", self._episode_path("/trajectory"))))

    async def close(self) -> EpisodeState | None:
        if not self._open:
            return None
        self._open = False
        return EpisodeState.from_json(await self._send(_Request("DELETE", self._episode_path())))

    async def shutdown(self) -> None:
        try:
            await self.close()
        finally:
            await self._http.aclose()

    async def __aenter__(self) -> "AsyncEHRGymClient":
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        try:
            await self.shutdown()
        except EHRGymError:
            if exc_type is None:
                raise
