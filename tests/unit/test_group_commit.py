"""Group commit's turn-taking: every caller gets its own answer, whoever saved its batch."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from domain.group_commit import GROUP_RECORDS, GroupCommit, Pending


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
