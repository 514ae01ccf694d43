"""The reader's login applied to a server's connection URL: a district on another server is read
there as stations_reader, with the configured reader's password (or none)."""

import pytest

from projections.connections import ServerPools, login_of, with_login


def test_the_login_is_switched_and_the_writers_password_never_kept():
    assert with_login("postgresql://stations_writer:s3cret@db:5432/stations?sslmode=require", "stations_reader") \
        == "postgresql://stations_reader@db:5432/stations?sslmode=require"
    assert with_login("postgresql://postgres:@/postgres?host=/tmp/pg", "stations_reader", "p@ss:word") \
        == "postgresql://stations_reader:p%40ss%3Aword@/postgres?host=/tmp/pg"


def test_a_login_is_read_back_as_given():
    assert login_of("postgresql://stations_reader:p%40ss@db/stations") == ("stations_reader", "p@ss")
    assert login_of("postgresql://stations_reader@db/stations") == ("stations_reader", None)
    with pytest.raises(ValueError, match="stations_reader"):
        login_of("postgresql://db/stations")


def test_another_servers_reads_log_in_as_the_reader_there():
    pools = ServerPools("postgresql://stations_reader:pw@home/stations", lambda store: None,
                        login=login_of("postgresql://stations_reader:pw@home/stations"))
    assert pools.url(None) == "postgresql://stations_reader:pw@home/stations"
    assert pools.url("postgresql://stations_writer:other@second:5433/stations") \
        == "postgresql://stations_reader:pw@second:5433/stations"
