"""The Dagster instance's storage on one machine: Dagster's SQLite storage, with the event
log's index database kept open for the life of the process.

Dagster's SQLite event log opens a new connection for every read and write, and closes it
afterwards. Each close of a WAL database's last connection checkpoints it and syncs it to disk.
The demo run opened 3,352 connections for its 955 events: 57-59 s on this machine's disk, against
44-53 s with the same instance on tmpfs. Most of them go to the index (data versions, asset
records, the mirrored materialisations). Holding one connection to the index cut the demo's
materialisation to 43-48 s (docs/operations.md, "The instance").

Only the index is held open. Each run's own database is still closed after every write:
Dagster's live run view (``dagster dev``) watches that file for changes, and WAL pages reach it
only at a checkpoint. Durability is Dagster's own (synchronous=FULL: every commit is synced).

``dagster.yaml``::

    storage:
      custom:
        module: assets.storage
        class: LocalStorage
        config:
          base_dir: {env: DAGSTER_HOME}
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as db
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage
from dagster._serdes import ConfigurableClassData
from sqlalchemy.pool import StaticPool


class HeldIndexEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log whose index connection stays open (one per process)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._index_engine: db.engine.Engine | None = None
        self._index_pid = -1
        self._tables: set[str] = set()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None, config_value: dict) -> HeldIndexEventLogStorage:  # type: ignore[override]
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[db.engine.Connection]:
        if shard != INDEX_SHARD_NAME:
            with super()._connect(shard) as conn:
                yield conn
            return
        with self._db_lock:  # one user at a time: the one connection is shared across threads
            engine = self._index()
            with engine.connect() as conn, conn.begin():
                yield conn

    def _index(self) -> db.engine.Engine:
        """The engine of the index, made once per process: a forked child never uses the
        connection it inherited (SQLite forbids carrying one across a fork)."""
        if self._index_engine is None or self._index_pid != os.getpid():
            if self._index_engine is not None:
                self._index_engine.dispose(close=False)  # the parent's connection: not ours to close
            engine = db.create_engine(
                self.conn_string_for_shard(INDEX_SHARD_NAME),
                poolclass=StaticPool,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            if INDEX_SHARD_NAME not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(INDEX_SHARD_NAME)
            self._index_engine, self._index_pid = engine, os.getpid()
        return self._index_engine

    def has_table(self, table_name: str) -> bool:
        """Dagster asks at every materialisation, on a new connection; a table, once there,
        stays (migrations add tables, a wipe empties them)."""
        if table_name not in self._tables:
            if not super().has_table(table_name):
                return False
            self._tables.add(table_name)
        return True

    def dispose(self) -> None:
        super().dispose()
        if self._index_engine is not None and self._index_pid == os.getpid():
            self._index_engine.dispose()
        self._index_engine = None


class LocalStorage(DagsterSqliteStorage):
    """Dagster's SQLite storage (runs, event log, schedules under ``base_dir``) with the event
    log of :class:`HeldIndexEventLogStorage`."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(base_dir, inst_data)
        self._event_log_storage = HeldIndexEventLogStorage(self._event_log_storage._base_dir)  # noqa: SLF001

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: dict) -> LocalStorage:  # type: ignore[override]
        return cls.from_local(inst_data=inst_data, **config_value)

    @property
    def event_storage_data(self) -> ConfigurableClassData:
        import yaml

        return ConfigurableClassData(
            __name__, HeldIndexEventLogStorage.__name__,
            yaml.dump({"base_dir": self._event_log_storage._base_dir}, default_flow_style=False),  # noqa: SLF001
        )
