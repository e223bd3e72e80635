"""Episode databases come from the warm pool (or a cold copy) and are dropped, with
their alias, when the episode closes or idles past its TTL."""

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import OperationalError, connections
from django.utils import timezone

from agentenv import close, errors, pool, reset, snapshots, step
from agentenv.models import DatabaseCopy, Episode
from agentenv.tests.conftest import EPISODE_DBS, MARIA_MRN, act, start

pytestmark = [EPISODE_DBS, pytest.mark.usefixtures("golden")]


def _database_exists(episode: Episode) -> bool:
    return snapshots.copy_exists(
        snapshots.DatabaseCopyInfo(episode.database_alias, episode.database_name, snapshots.vendor()))


def test_it_makes_a_cold_copy_when_the_pool_is_empty(alice):
    episode = start(alice)
    assert episode.status == Episode.Status.RUNNING and not episode.from_pool
    assert _database_exists(episode) and snapshots.is_registered(episode.database_alias)
    if snapshots.vendor() == "sqlite":
        assert Path(episode.database_name).parent.name == "episodes"


def test_it_takes_a_ready_copy_from_the_warm_pool(alice, settings):
    made = pool.pool_refill(size=2)
    assert len(made) == 2 and DatabaseCopy.objects.filter(status="ready").count() == 2

    episode = start(alice)

    assert episode.from_pool and episode.database_alias in {row.alias for row in made}
    assert DatabaseCopy.objects.count() == 1
    assert act(episode, type="open_chart", mrn=MARIA_MRN).error == ""


def test_it_refills_the_pool_after_a_reset(alice, settings):
    settings.EHRGYM_POOL_SIZE = 2
    pool.pool_refill()
    start(alice)  # eager Celery (no broker): the refill task runs once the reset commits
    assert DatabaseCopy.objects.filter(status="ready").count() == 2


def test_it_drops_the_database_and_the_alias_when_an_episode_closes(alice):
    episode = start(alice)
    act(episode, type="open_chart", mrn=MARIA_MRN)

    closed = close.episode_close(episode=episode)

    assert closed.status == Episode.Status.CLOSED and closed.released_at is not None
    assert not _database_exists(episode)
    assert episode.database_alias not in connections.settings
    assert close.episode_close(episode=closed).released_at == closed.released_at  # closing twice is harmless


def test_a_close_through_the_api_frees_the_slot_at_once_and_drops_the_database_soon_after(alice, alice_api,
                                                                                         settings):
    # On PostgreSQL the DROP DATABASE (a forced checkpoint) runs after the answer, in the process's dropper thread.
    from agentenv.dropper import dropper

    settings.EHRGYM_MAX_EPISODES = 1
    episode = start(alice)

    closed = alice_api.delete(f"/api/v1/episodes/{episode.pk}")

    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert not snapshots.is_registered(episode.database_alias)
    assert start(alice).status == Episode.Status.RUNNING  # the slot was free when the answer came
    assert dropper.wait(60)
    assert not _database_exists(episode)


def test_it_keeps_the_status_of_an_ended_episode_when_it_closes(alice):
    episode = start(alice)
    act(episode, type="answer", answer="6.9")
    assert close.episode_close(episode=episode).status == Episode.Status.TERMINATED


def test_it_reaps_episodes_idle_past_their_ttl(alice, settings):
    settings.EHRGYM_EPISODE_TTL_SECONDS = 60
    idle, busy = start(alice), start(alice)
    act(busy, type="search_patients", query="Garcia")
    Episode.objects.filter(pk=idle.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    reaped = close.episodes_reap()

    assert [e.pk for e in reaped] == [idle.pk]
    idle.refresh_from_db()
    assert idle.status == Episode.Status.CLOSED and not _database_exists(idle)
    assert idle.database_alias not in connections.settings
    assert _database_exists(busy)


def _expire(episode: Episode) -> None:
    Episode.objects.filter(pk=episode.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


def test_a_step_into_an_expired_episode_is_refused_and_closes_it(alice, alice_api):
    # Without a reaper running (no Celery beat in the default setup), expired episodes still took steps.
    episode = start(alice)
    _expire(episode)

    response = alice_api.post(f"/api/v1/episodes/{episode.pk}/step", {"action": {"type": "finish"}}, format="json")

    assert response.status_code == 409 and "expired" in response.json()["detail"]
    episode.refresh_from_db()
    assert episode.status == Episode.Status.CLOSED and episode.step_count == 0 and not _database_exists(episode)


def test_a_step_racing_a_close_is_a_409_not_a_500(alice, alice_api, monkeypatch):
    # A DELETE that lands while a step runs drops the step's database under it: 8 of 30 such races were a 500.
    episode = start(alice)
    run_action = step._run_action

    def closed_meanwhile(action, context, **kwargs):
        closer = threading.Thread(target=lambda: close.episode_close(episode=Episode.objects.get(pk=episode.pk)))
        closer.start()
        closer.join()
        return run_action(action, context, **kwargs)

    monkeypatch.setattr(step, "_run_action", closed_meanwhile)
    response = alice_api.post(f"/api/v1/episodes/{episode.pk}/step",
                              {"action": {"type": "search_patients", "query": "Garcia"}}, format="json")

    assert response.status_code == 409 and "closed while this step ran" in response.json()["detail"]
    episode.refresh_from_db()
    assert episode.status == Episode.Status.CLOSED and episode.step_count == 0 and not episode.steps.exists()


def test_a_reset_reaps_expired_episodes_before_it_counts_the_slots(alice, settings):
    # Without a reaper, a full server answered 503 forever once its episodes had been left idle.
    settings.EHRGYM_MAX_EPISODES = 1
    idle = start(alice)
    _expire(idle)

    assert start(alice).status == Episode.Status.RUNNING
    idle.refresh_from_db()
    assert idle.status == Episode.Status.CLOSED and not _database_exists(idle)


def test_a_reset_that_fails_after_taking_its_copy_frees_the_slot_and_drops_the_copy(alice, settings, monkeypatch):
    # The copy's database refused the connection (a PostgreSQL server with every connection taken): the episode
    # used to stay "created", holding a slot and its copy until its TTL ran out.
    settings.EHRGYM_MAX_EPISODES = 1
    taken = []

    def refused(*, episode, info, plan):
        taken.append(episode.pk)
        raise OperationalError("connection failed: FATAL:  sorry, too many clients already")

    with monkeypatch.context() as patched, pytest.raises(OperationalError):
        patched.setattr(reset, "_chart_check", refused)
        start(alice)

    failed = Episode.objects.get(pk=taken[0])
    assert failed.status == Episode.Status.ERRORED and failed.released_at is not None
    assert "too many clients" in failed.error and not _database_exists(failed)
    assert start(alice).status == Episode.Status.RUNNING  # the one slot is free


def test_it_refuses_a_reset_beyond_the_episode_limit(alice, settings):
    settings.EHRGYM_MAX_EPISODES = 2
    first, _ = start(alice), start(alice)
    with pytest.raises(errors.CapacityError):
        start(alice)
    close.episode_close(episode=first)
    assert start(alice).status == Episode.Status.RUNNING


def test_a_server_for_api_episodes_only_refuses_browser_resets_with_a_400_and_serves_api_ones(alice, alice_api,
                                                                                          settings):
    # EHRGYM_MAX_BROWSER_EPISODES=0: what several web processes without a Selenium Grid run with (ehrsite.serve).
    settings.EHRGYM_MAX_BROWSER_EPISODES = 0
    body = {"patient_mrn": MARIA_MRN, "instruction": "Review the chart."}

    refused = alice_api.post("/api/v1/episodes", {**body, "mode": "browser"}, format="json")

    assert refused.status_code == 400
    assert "API episodes only (EHRGYM_MAX_BROWSER_EPISODES=0)" in str(refused.json())
    assert not Episode.objects.exists()
    assert alice_api.post("/api/v1/episodes", body, format="json").status_code == 201


def test_it_refuses_a_step_after_the_episode_ended(alice):
    episode = start(alice)
    act(episode, type="finish")
    with pytest.raises(errors.EpisodeNotRunning):
        act(episode, type="search_patients", query="Garcia")


def test_it_lets_only_one_of_two_racing_steps_count(alice):
    episode = start(alice)
    stale = Episode.objects.get(pk=episode.pk)
    act(episode, type="add_problem", mrn=MARIA_MRN, code="38341003", display="Hypertension")

    with pytest.raises(errors.EpisodeNotRunning):
        step.episode_step(episode=stale, action={"type": "add_allergy", "mrn": MARIA_MRN, "substance": "Latex"})

    episode.refresh_from_db()
    assert episode.step_count == 1
    # The losing step's chart write was rolled back with it.
    allergies = act(episode, type="read_chart_section", section="allergies", mrn=MARIA_MRN)
    assert [a["substance"] for a in allergies.observation["last_action_result"]["allergies"]] == ["Penicillin V"]


def test_it_reaps_copies_a_dead_worker_left_half_made(alice):
    info = snapshots.new_copy_info()
    snapshots.copy_create(info)
    DatabaseCopy.objects.create(
        alias=info.alias, name=info.name, vendor=info.vendor, source=snapshots.golden_name(),
        created_at=timezone.now() - close.stale_age() - timedelta(minutes=1),
    )
    close.episodes_reap()
    assert not DatabaseCopy.objects.exists() and not snapshots.copy_exists(info)


def test_it_drops_copies_nothing_refers_to_and_ends_episodes_a_dead_server_left_half_created(alice):
    # SIGKILL during 16 resets left 12 databases behind for ever and 12 episodes "created", holding their slots.
    running = start(alice)
    orphan = snapshots.new_copy_info()
    snapshots.copy_create(orphan)
    half_made = start(alice)
    Episode.objects.filter(pk=half_made.pk).update(status=Episode.Status.CREATED,
                                                   created_at=timezone.now() - close.stale_age() * 2)
    pooled = pool.pool_refill(size=1)[0]

    reaped = close.episodes_reap()

    assert [e.pk for e in reaped] == [half_made.pk]
    half_made.refresh_from_db()
    assert half_made.status == Episode.Status.ERRORED and half_made.released_at and not _database_exists(half_made)
    assert not snapshots.copy_exists(orphan)
    assert _database_exists(running) and snapshots.copy_exists(pool.copy_info(pooled))
    assert {info.name for info in snapshots.copies_existing()} == {running.database_name, pooled.name}


def test_a_reset_claiming_a_pool_copy_while_the_reaper_reads_keeps_its_database(alice):
    """The reaper read the episodes' copies, then the pool's: a reset that claimed a pool copy between the two reads
    (its reference moving from the pool row to the episode) hid the copy from both, and the reaper dropped it under
    the running episode (seen in bench/http_bench.py on SQLite: "unable to open database file" on a step)."""
    pooled = pool.pool_refill(size=1)[0]
    claimed = {}

    def claim_after_the_first_reference_read(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        # The read of the episodes' copy names (not a read of whole episode rows, which the reaper makes first).
        names_read = '"agentenv_episode"."database_name"' in sql and '"agentenv_episode"."id"' not in sql
        if not claimed and sql.lstrip("( \n").upper().startswith("SELECT") and names_read:
            claimed["episode"] = start(alice)  # takes the pool's copy, in its own committed transaction
        return result

    with connections["default"].execute_wrapper(claim_after_the_first_reference_read):
        close.episodes_reap()

    episode = claimed["episode"]
    assert episode.database_name == pooled.name and episode.from_pool
    assert _database_exists(episode)
    assert act(episode, type="search_patients", query="a").error == ""


def test_it_drops_a_copy_a_killed_process_left_half_written(alice):
    # SQLite copies are written as "<name>.partial" and renamed when complete: a SIGKILL mid-copy left the part.
    if snapshots.vendor() != "sqlite":
        pytest.skip("PostgreSQL makes a copy in one CREATE DATABASE: there is no part to leave")
    info = snapshots.new_copy_info()
    Path(info.name).parent.mkdir(parents=True, exist_ok=True)
    Path(f"{info.name}.partial").write_bytes(b"SQLite format 3\0")

    assert [copy.name for copy in snapshots.copies_existing()] == [info.name]
    close.episodes_reap()
    assert snapshots.copies_existing() == [] and not Path(f"{info.name}.partial").exists()


def test_it_drops_warm_copies_when_the_golden_database_is_rebuilt(alice):
    from clinical.signals import golden_rebuilt
    from seeddata.golden import GoldenBuild

    made = pool.pool_refill(size=2)
    golden_rebuilt.send(sender=GoldenBuild, alias="golden")

    assert not DatabaseCopy.objects.exists()
    for row in made:
        assert not snapshots.copy_exists(snapshots.DatabaseCopyInfo(row.alias, row.name, row.vendor))


def test_a_step_that_read_its_episode_before_a_close_leaves_no_database_behind(alice):
    # The step read its episode (still running) just before a DELETE dropped the database: on SQLite, opening the
    # dropped copy made a new empty file that nothing referred to any more (the load bench's leftover).
    episode = start(alice)
    read_before_the_close = Episode.objects.get(pk=episode.pk)
    close.episode_close(episode=Episode.objects.get(pk=episode.pk))

    with pytest.raises(errors.EpisodeNotRunning):
        step.episode_step(episode=read_before_the_close, action={"type": "search_patients", "query": "Garcia"})

    assert not _database_exists(episode)
    assert [copy.name for copy in snapshots.copies_existing()] == []


def test_binding_the_golden_database_leaves_its_settings_alone():
    # Task sampling reads the golden database through bind_alias: only episode copies are opened as
    # "never create" URIs, or the golden database's name would stop being a path a copy can be made from.
    import copy as copying

    from agentenv.routing import bind_alias

    before = copying.deepcopy(connections.settings["golden"])
    with bind_alias("golden", snapshots.golden_name()):
        pass
    assert connections.settings["golden"] == before
    assert pool.pool_refill(size=1) and DatabaseCopy.objects.filter(status="ready").count() == 1
