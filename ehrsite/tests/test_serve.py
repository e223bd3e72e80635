"""python -m ehrsite.serve (issue 17): several web server processes on one port, so one server uses every core; a
process that dies is replaced; SIGTERM stops them all; configurations where a request could reach the wrong process
are refused with a message, not served."""

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

from bench.server import free_port, postgres_reachable, postgres_reset
from ehrsite.serve import access_log_wanted, refusal
from ehrsite.tests.waiting import answers, wait_for

ROOT = Path(__file__).resolve().parents[2]
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
GRID = "http://127.0.0.1:9"  # never reached: no browser episode is started
WAIT_S = 90


def test_one_process_serves_anything_several_need_postgresql_and_a_grid():
    assert refusal(1, {}) is None
    assert "at least 1" in refusal(0, {})
    assert "need PostgreSQL" in refusal(2, {})
    assert "need PostgreSQL" in refusal(2, {"DATABASE_URL": "sqlite:///x.db", "EHRGYM_SELENIUM_REMOTE_URL": GRID})
    assert "Selenium Grid" in refusal(2, {"DATABASE_URL": f"{PG_SERVER}/x"})
    assert refusal(2, {"DATABASE_URL": f"{PG_SERVER}/x", "EHRGYM_SELENIUM_REMOTE_URL": GRID}) is None
    assert refusal(2, {"DATABASE_URL": f"{PG_SERVER}/x", "EHRGYM_MAX_BROWSER_EPISODES": "0"}) is None


@pytest.mark.parametrize("level, wanted", [
    (None, True), ("", True), ("INFO", True), ("debug", True), ("WARNING", False), ("error", False),
])
def test_the_access_log_is_written_unless_the_log_level_asks_for_less_than_info(level, wanted):
    assert access_log_wanted({} if level is None else {"EHRGYM_LOG_LEVEL": level}) is wanted


@pytest.mark.parametrize("args, environ, message", [
    (["--processes", "2"], {}, "Several web processes need PostgreSQL"),
    ([], {"EHRGYM_WEB_PROCESSES": "two"}, "EHRGYM_WEB_PROCESSES must be a whole number; got 'two'"),
])
def test_a_refused_configuration_exits_with_a_message_and_no_traceback(args, environ, message):
    env = {name: value for name, value in os.environ.items() if name not in {"DATABASE_URL", "EHRGYM_WEB_PROCESSES"}}
    done = subprocess.run([sys.executable, "-m", "ehrsite.serve", *args], cwd=ROOT, env={**env, **environ},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def ask(client: http.client.HTTPConnection, path: str) -> int:
    client.request("GET", path)
    answer = client.getresponse()
    answer.read()
    return answer.status


def connection_held_by(child: psutil.Process, others: list[psutil.Process], port: int) -> http.client.HTTPConnection:
    """A connection to the server, no request sent yet, that this process of it holds (the kernel chooses which
    accepts it: connect again until it is this one)."""
    for _ in range(200):
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        client.connect()
        if wait_until(lambda c=client: holder(c, [child, *others]), 10) is child:
            return client
        client.close()
    raise AssertionError(f"no connection of 200 reached process {child.pid}")


def holder(client: http.client.HTTPConnection, processes: list[psutil.Process]) -> psutil.Process | None:
    """Which of these processes holds the server's end of this connection (None before one accepted it)."""
    mine = client.sock.getsockname()[1]
    return next((process for process in processes if any(
        connection.raddr and connection.raddr.port == mine for connection in process.net_connections("tcp"))), None)


def wait_until(condition, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.01)
    raise AssertionError(f"not within {seconds} s")


def held(child: psutil.Process, port: int) -> int:
    """Open connections of this server process on the port."""
    return sum(1 for connection in child.net_connections(kind="tcp")
               if connection.status == psutil.CONN_ESTABLISHED and connection.laddr.port == port)


def server_children(launcher: psutil.Process) -> list[psutil.Process]:
    return [child for child in launcher.children() if child.is_running() and child.status() != psutil.STATUS_ZOMBIE]


@pytest.mark.slow
@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="starts its own servers: once, in the SQLite pass")
def test_two_processes_share_the_port_a_dead_one_is_replaced_and_sigterm_stops_all(tmp_path):
    from conftest import require_service

    database_url = f"{PG_SERVER}/ehrgym_serve_{secrets.token_hex(4)}"
    require_service(postgres_reachable(database_url), f"PostgreSQL at {PG_SERVER}")
    postgres_reset(database_url, create=True)  # empty: the health check reads no table
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "EHRGYM_SELENIUM_REMOTE_URL": GRID,
           "EHRGYM_DATA_DIR": str(tmp_path), "EHRGYM_LOG_LEVEL": "ERROR", "EHRGYM_REAPER_INTERVAL_SECONDS": "0"}
    log = tmp_path / "serve.log"
    out = log.open("w")
    process = subprocess.Popen([sys.executable, "-m", "ehrsite.serve", "--processes", "2", "-b", "127.0.0.1",
                                "-p", str(port)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    health = f"http://127.0.0.1:{port}/openenv/health"
    try:
        launcher = psutil.Process(process.pid)
        wait_for(lambda: len(server_children(launcher)) == 2 and answers(health), process, log,
                 "two serving processes", WAIT_S)
        first = {child.pid: sum(child.cpu_times()[:2]) for child in server_children(launcher)}
        # Each takes half of the server's PostgreSQL connections (ehrsite/connection_budget.py).
        assert {child.environ().get("EHRGYM_WEB_PROCESSES") for child in server_children(launcher)} == {"2"}
        # New connections, one request each: the kernel hands them to both processes.
        for _ in range(60):
            assert requests.get(health, headers={"Connection": "close"}, timeout=10).ok
        worked = [pid for pid, before in first.items()
                  if sum(psutil.Process(pid).cpu_times()[:2]) > before]
        assert len(worked) == 2, "one of the two processes took no request"

        # Keep-alive connections spread over both (ehrsite/connection_balance.py). Twenty connections all held by
        # one process (each opened again until it lands there) end up spread over both: the busy one closes some
        # after their answer, and their clients connect again.
        one, other = server_children(launcher)
        clients = [connection_held_by(one, [other], port) for _ in range(20)]
        assert (held(one, port), held(other, port)) == (20, 0)

        def spread():
            for client in clients:
                assert ask(client, "/openenv/health") == 200  # a connection the server closed is opened again
            counts = (held(one, port), held(other, port))
            return min(counts) >= 8 and counts

        wait_for(spread, process, log, "connections spread over both processes", WAIT_S)
        for client in clients:
            client.close()

        victim = server_children(launcher)[0].pid
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: len(server_children(launcher)) == 2 and victim not in
                 {child.pid for child in server_children(launcher)}, process, log, "replacement process", WAIT_S)
        wait_for(lambda: answers(health), process, log, "answer after the replacement", WAIT_S)
        children = server_children(launcher)

        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0
        assert not [child for child in children if child.is_running() and child.status() != psutil.STATUS_ZOMBIE]
        assert not answers(health)
        assert "exited with -9; starting another" in log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        out.close()
        postgres_reset(database_url, create=False)


def test_sigterm_ends_the_server_with_a_normal_exit_so_its_exit_handlers_run(tmp_path):
    """uvicorn raises the SIGTERM it stopped on again once it has shut down; with the default handler that killed
    the process before its atexit handlers (browsers quit and their profiles removed, the last copies dropped)."""
    marker, port = tmp_path / "atexit-ran", free_port()
    program = ("import atexit, pathlib, sys\n"
               f"atexit.register(pathlib.Path({str(marker)!r}).write_text, 'yes')\n"
               "from ehrsite.serve import main\n"
               f"sys.exit(main(['-b', '127.0.0.1', '-p', '{port}']))\n")
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    log = tmp_path / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-c", program], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                   env={**env, "EHRGYM_DATA_DIR": str(tmp_path / "data")})
        try:
            wait_for(lambda: answers(f"http://127.0.0.1:{port}/openenv/health"), process, log, "the server", WAIT_S)
            process.send_signal(signal.SIGTERM)
            assert process.wait(30) == 0, log.read_text()[-2000:]
        finally:
            if process.poll() is None:
                process.kill()
    assert marker.read_text() == "yes"


def test_a_port_taken_is_refused_with_a_message():
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        env = {**os.environ, "DATABASE_URL": f"{PG_SERVER}/x", "EHRGYM_MAX_BROWSER_EPISODES": "0"}
        done = subprocess.run([sys.executable, "-m", "ehrsite.serve", "--processes", "2", "-b", "127.0.0.1",
                               "-p", str(port)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr
