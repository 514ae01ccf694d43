"""The streams' kept events (`projections.replayed.Snapshots`): bounded, least recently read first out."""

from uuid import uuid4

from projections.replayed import Change, Snapshots, Kept


def kept(upto: int, count: int) -> Kept:
    stream = uuid4()
    changes = [Change(n, stream, None) for n in range(1, count + 1)]  # type: ignore[arg-type]
    return Kept(upto, count, changes, [c.position for c in changes])


def test_the_streams_read_least_recently_go_first_past_the_capacity():
    snapshots, a, b, c = Snapshots(capacity=10), uuid4(), uuid4(), uuid4()
    snapshots.keep("350203", a, kept(4, 4))
    snapshots.keep("350203", b, kept(4, 4))
    assert snapshots.get("350203", a).upto == 4  # read again: b is now the least recent
    snapshots.keep("350203", c, kept(4, 4))
    assert snapshots.get("350203", b).upto == 0  # dropped: a read decodes it again
    assert snapshots.get("350203", a).upto == snapshots.get("350203", c).upto == 4


def test_a_stream_keeps_the_furthest_read_and_hands_out_its_events_through_a_position():
    snapshots, stream = Snapshots(), uuid4()
    snapshots.keep("350203", stream, kept(9, 6))
    snapshots.keep("350203", stream, kept(5, 3))  # a slower read that reached less far
    assert snapshots.get("350203", stream).upto == 9
    assert [c.position for c in snapshots.get("350203", stream).through(4)] == [1, 2, 3, 4]
    assert snapshots.get("350204", stream).upto == 0  # another district's stream of that id is another
