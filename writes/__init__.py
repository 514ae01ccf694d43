"""The write side's machinery: a district's ledger (the eventsourcing application that records
its batches), the batching of concurrent writes, the aggregates kept between batches, and how an
event's state is written as bytes."""
