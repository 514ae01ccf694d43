"""`reads_of` names ahead what a batch's decision reads, so that a ledger can read it all at once."""


from demo import generate
from domain.decisions import decide, reads_of
from demo.duties import Division
from tests.unit.support import by_their_writers, History


class Watched(History):
    def __init__(self) -> None:
        super().__init__()
        self.read: set = set()
        self.found: set[str] = set()

    def load(self, stream):
        self.read.add(stream)
        return super().load(stream)

    def find_record(self, record_id):
        self.found.add(record_id)
        return super().find_record(record_id)


def test_a_demo_year_s_decisions_read_only_what_reads_of_named():
    histories: dict[str, Watched] = {}
    referred_to = 0
    divisions: dict[str, Division] = {}
    for code, batch in generate(seed=5, services=800):
        history = histories.setdefault(code, Watched())
        for records, ctx in by_their_writers(code, batch, divisions.setdefault(code, Division())):
            history.read, history.found = set(), set()
            history.commit(records, decide(records, ctx, history))
            streams, referred = reads_of(records, code)
            assert history.found <= referred
            named = streams | {history.records[r].stream for r in referred if r in history.records}
            assert history.read <= named
            referred_to += len(history.found)
    assert referred_to  # the year voids earlier records
