"""The PostgreSQL test fixtures (tests/postgres.py) against the real server they start."""

from __future__ import annotations

import os
import stat

import psycopg
import pytest
from psycopg.errors import UniqueViolation
from psycopg_pool import ConnectionPool


def test_connects_over_a_unix_socket_only(postgres_url):
    with psycopg.connect(postgres_url) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()[0]
        listen = conn.execute("SHOW listen_addresses").fetchone()[0]
        socket_dir = conn.execute("SHOW unix_socket_directories").fetchone()[0]
    assert int(version) >= 130000
    assert listen == ""
    assert stat.S_ISSOCK(os.stat(os.path.join(socket_dir, ".s.PGSQL.5432")).st_mode)


def test_a_second_insert_of_the_same_key_violates_the_unique_constraint(postgres_db):
    with psycopg.connect(postgres_db) as conn:
        conn.execute("CREATE TABLE claims (nudge_key text PRIMARY KEY, school text NOT NULL)")
        conn.execute("INSERT INTO claims VALUES ('2021-11:plan-due', 'PS 1')")
        conn.commit()
        with pytest.raises(UniqueViolation):
            conn.execute("INSERT INTO claims VALUES ('2021-11:plan-due', 'PS 2')")
        conn.rollback()
        assert conn.execute("SELECT school FROM claims").fetchall() == [("PS 1",)]


def test_a_second_connection_sees_committed_rows_only(postgres_db):
    with psycopg.connect(postgres_db) as writer, psycopg.connect(postgres_db, autocommit=True) as reader:
        writer.execute("CREATE TABLE notes (id int PRIMARY KEY, body text)")
        writer.commit()
        writer.execute("INSERT INTO notes VALUES (1, 'agenda')")
        assert reader.execute("SELECT count(*) FROM notes").fetchone() == (0,)
        writer.commit()
        assert reader.execute("SELECT body FROM notes").fetchall() == [("agenda",)]


def test_a_connection_pool_serves_the_test_database(postgres_db):
    with ConnectionPool(postgres_db, min_size=1, max_size=2, open=True) as pool:
        with pool.connection() as conn:
            conn.execute("CREATE TABLE t (x int)")
            conn.execute("INSERT INTO t VALUES (1), (2)")
        with pool.connection() as conn:
            assert conn.execute("SELECT sum(x) FROM t").fetchone() == (3,)


@pytest.mark.parametrize("run", [1, 2])
def test_each_test_starts_with_an_empty_database_of_its_own(postgres_db, postgres_server, run):
    with psycopg.connect(postgres_db) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
        assert tables == (0,)
        conn.execute("CREATE TABLE same_name_in_every_test (x int)")
    assert postgres_db != postgres_server.url()


def test_databases_are_isolated_and_dropped_afterwards(postgres_server, postgres_url):
    with postgres_server.database() as first, postgres_server.database() as second:
        assert first != second
        with psycopg.connect(first) as conn:
            conn.execute("CREATE TABLE only_in_first (x int)")
        with psycopg.connect(second) as conn:
            assert conn.execute("SELECT to_regclass('only_in_first')").fetchone() == (None,)
        names = [url.split("?")[0].rsplit("/", 1)[1] for url in (first, second)]
    with psycopg.connect(postgres_url) as conn:
        left = conn.execute("SELECT datname FROM pg_database WHERE datname = ANY(%s)", (names,)).fetchall()
    assert left == []


def test_the_database_is_dropped_even_with_a_connection_left_open(postgres_server, postgres_url):
    with postgres_server.database() as url:
        name = url.split("?")[0].rsplit("/", 1)[1]
        leaked = psycopg.connect(url)
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,)).fetchone() == (0,)
    assert leaked.closed or leaked.broken or _is_dead(leaked)


def _is_dead(conn: psycopg.Connection) -> bool:
    try:
        conn.execute("SELECT 1")
    except psycopg.OperationalError:
        return True
    finally:
        conn.close()
    return False
