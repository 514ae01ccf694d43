"""The domain of town civil-affairs service stations: records, aggregates and their rules.

Nothing here knows about HTTP, SQL drivers or settings; the eventsourcing library is the
only infrastructure the domain stands on.
"""
