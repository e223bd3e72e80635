"""Keep-alive connections spread evenly over the web processes of one port (ehrsite/connection_balance.py): a
process holding more than its share answers some requests with `Connection: close`. The two-process server test
(test_serve.py) checks that connections piled on one process spread to both."""

import asyncio
import mmap

from ehrsite.connection_balance import ConnectionBalance, ConnectionTable, from_environment


async def _hello(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})


def answer(app, scope_type: str = "http") -> list[dict]:
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app({"type": scope_type, "path": "/"}, receive, send))
    return sent


def closes(app) -> bool:
    start = answer(app)[0]
    assert start["status"] == 200
    return (b"connection", b"close") in start["headers"]


def test_the_table_is_shared_through_its_descriptor():
    table = ConnectionTable.create(3)
    table.set(0, 7)
    table.set(2, 12)
    # What a server process maps from the descriptor the supervisor passed it.
    seen = ConnectionTable(table.fd, 3)
    assert seen.counts() == [7, 0, 12]
    seen.set(1, 4)
    assert table.counts() == [7, 4, 12]
    assert isinstance(seen._memory, mmap.mmap)


def test_a_process_over_its_share_closes_the_excess_and_no_more():
    table = ConnectionTable.create(2)
    table.set(0, 10)
    table.set(1, 4)
    balanced = ConnectionBalance(_hello, table, slot=0)
    # Its share is 7 (14 over 2), one more is tolerated: two of its connections close after their answer.
    assert [closes(balanced) for _ in range(4)] == [True, True, False, False]


def test_a_process_within_its_share_closes_nothing():
    table = ConnectionTable.create(2)
    table.set(0, 4)
    table.set(1, 10)
    under = ConnectionBalance(_hello, table, slot=0)
    table.set(0, 8)  # 8 of 18: at its share
    fair = ConnectionBalance(_hello, table, slot=0)
    assert not any(closes(under) for _ in range(3))
    assert not any(closes(fair) for _ in range(3))


def test_the_answer_is_whole_when_its_connection_closes():
    table = ConnectionTable.create(2)
    table.set(0, 20)
    sent = answer(ConnectionBalance(_hello, table, slot=0))
    assert sent[0]["headers"][0] == (b"content-type", b"text/plain")
    assert sent[1] == {"type": "http.response.body", "body": b"hello"}


def test_the_count_a_process_publishes_is_what_it_holds():
    table = ConnectionTable.create(2)
    table.set(1, 3)
    balanced = ConnectionBalance(_hello, table, slot=0, held=lambda: 9)
    assert closes(balanced)  # 9 of 12: share 6, one tolerated
    assert table.counts() == [9, 3]


def test_only_a_supervised_process_is_balanced():
    assert from_environment(_hello, {}) is _hello
    table = ConnectionTable.create(2)
    balanced = from_environment(_hello, {"EHRGYM_CONNECTION_TABLE_FD": f"{table.fd}:2", "EHRGYM_CONNECTION_SLOT": "1"})
    assert isinstance(balanced, ConnectionBalance) and balanced.slot == 1
    table.set(1, 5)
    assert balanced.table.counts() == [0, 5]
