"""Group commit's turn-taking: every caller gets its own answer, whoever saved its batch."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from eventsourcing.persistence import OperationalError

from writes.group_commit import GROUP_RECORDS, GroupCommit, Pending


class Refused(Exception):
    pass


def run(batches: list[list[str]]) -> tuple[list, list[int]]:
    group_sizes: list[int] = []
    gate = threading.Event()

    def alone(records, ctx):
        gate.wait(5)  # the first turn lasts until every caller has queued behind it
        if records == ["bad"]:
            raise Refused(ctx)
        return ("alone", ctx)

    def together(group: list[Pending]) -> list[Pending]:
        group_sizes.append(sum(len(p.records) for p in group))
        left = [p for n, p in enumerate(group) if n == 0 or p.records == ["bad"]]  # refused: left alone
        for pending in group:
            if pending not in left:
                pending.settle(lambda p=pending: ("together", p.ctx))
        return left

    commits = GroupCommit(alone, together)

    def send(n: int):
        try:
            return commits.record(batches[n], n)
        except Refused as refused:
            return refused

    with ThreadPoolExecutor(len(batches)) as pool:
        answers = [pool.submit(send, n) for n in range(len(batches))]
        threading.Timer(0.2, gate.set).start()
        return [a.result() for a in answers], group_sizes


@pytest.mark.parametrize("size", [1, 400])
def test_every_caller_gets_its_own_answer(size):
    batches = [[f"r{n}-{i}" for i in range(size)] for n in range(12)]
    batches[3] = ["bad"]

    answers, group_sizes = run(batches)

    assert isinstance(answers[3], Refused) and answers[3].args == (3,)
    assert [a[1] for n, a in enumerate(answers) if n != 3] == [n for n in range(12) if n != 3]
    assert all(size <= GROUP_RECORDS for size in group_sizes)


def test_when_the_database_is_away_every_waiting_caller_hears_it_at_once():
    callers, calls = 8, []
    commits: GroupCommit

    def alone(records, ctx):
        calls.append(ctx)
        for _ in range(5000):  # the first turn lasts until every other caller queued behind it
            if len(commits._waiting) == callers - 1:
                break
            threading.Event().wait(0.001)
        raise OperationalError("connection refused")

    def together(group: list[Pending]) -> list[Pending]:
        raise AssertionError("a group after the database was found away")

    commits = GroupCommit(alone, together)

    def send(n: int):
        try:
            return commits.record([f"r{n}"], n)
        except OperationalError as exc:
            return exc

    with ThreadPoolExecutor(callers) as pool:
        first = pool.submit(send, 0)
        for _ in range(5000):  # the first caller holds the turn before the others come
            if calls:
                break
            threading.Event().wait(0.001)
        answers = [first, *(pool.submit(send, n) for n in range(1, callers))]
        assert all(isinstance(a.result(), OperationalError) for a in answers)
    assert calls == [0]  # tried once, not once per caller


def test_batches_handed_over_together_are_each_settled_as_their_own():
    # The API's writers of a district hand their batches over from one thread: each batch has
    # its own answer or error, while callers of other threads take turns with it.
    gate, started = threading.Event(), threading.Event()

    def alone(records, ctx):
        started.set()
        gate.wait(5)  # the first caller's turn lasts until the others have queued behind it
        if records == ["bad"]:
            raise Refused(ctx)
        return ("alone", ctx)

    def together(group: list[Pending]) -> list[Pending]:
        left = [p for p in group if p.records == ["bad"]]
        for pending in group:
            if pending not in left:
                pending.settle(lambda p=pending: ("together", p.ctx))
        return left

    commits = GroupCommit(alone, together)
    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(commits.record, ["r0"], 0)
        started.wait(5)
        handed = pool.submit(commits.record_all, [(["r1"], 1), (["bad"], 2), ([f"r{n}" for n in range(300)], 3)])
        other = pool.submit(commits.record, ["r4"], 4)
        threading.Timer(0.2, gate.set).start()
        settled = handed.result()

    assert first.result() == ("alone", 0) and other.result()[1] == 4
    assert [p.result[1] for p in settled if p.error is None] == [1, 3]
    assert isinstance(settled[1].error, Refused) and settled[1].error.args == (2,)
