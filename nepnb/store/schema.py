"""The local store's SQLite schema and its migrations.

``PRAGMA user_version`` holds the schema version. Each entry of MIGRATIONS takes the
schema from version ``i`` to ``i + 1``; a store is migrated on open, in one transaction.
Never edit a released migration: append a new one.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 0 -> 1: projects, objects, fields, chunked series, applied batches
    """
    CREATE TABLE projects (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        key TEXT NOT NULL UNIQUE,
        created REAL NOT NULL
    );
    CREATE TABLE counters (
        project_id INTEGER NOT NULL REFERENCES projects(id),
        scope TEXT NOT NULL,
        next INTEGER NOT NULL,
        PRIMARY KEY (project_id, scope)
    ) WITHOUT ROWID;
    CREATE TABLE objects (
        uid TEXT PRIMARY KEY,
        project_id INTEGER NOT NULL REFERENCES projects(id),
        kind TEXT NOT NULL,
        sys_id TEXT NOT NULL,
        custom_run_id TEXT,
        model_id TEXT,
        created REAL NOT NULL,
        UNIQUE (project_id, sys_id)
    );
    CREATE UNIQUE INDEX objects_custom_run_id
        ON objects (project_id, kind, custom_run_id) WHERE custom_run_id IS NOT NULL;
    CREATE INDEX objects_kind ON objects (project_id, kind);
    CREATE TABLE fields (
        object_uid TEXT NOT NULL REFERENCES objects(uid),
        path TEXT NOT NULL,
        type TEXT NOT NULL,
        value TEXT,
        PRIMARY KEY (object_uid, path)
    ) WITHOUT ROWID;
    CREATE TABLE series_chunks (
        object_uid TEXT NOT NULL,
        path TEXT NOT NULL,
        seq INTEGER NOT NULL,
        count INTEGER NOT NULL,
        steps BLOB NOT NULL,
        vals BLOB NOT NULL,
        times BLOB NOT NULL,
        PRIMARY KEY (object_uid, path, seq)
    ) WITHOUT ROWID;
    CREATE TABLE applied_batches (
        batch_id TEXT PRIMARY KEY,
        object_uid TEXT NOT NULL,
        applied REAL NOT NULL
    ) WITHOUT ROWID;
    """,
    # 1 -> 2: notebooks and their checkpoints; content-addressed parts (encoding 0: as is,
    # 1: zlib). A rowid table: parts are often large, and keyed by random digests.
    """
    CREATE TABLE parts (
        id INTEGER PRIMARY KEY,
        digest TEXT NOT NULL UNIQUE,
        size INTEGER NOT NULL,
        encoding INTEGER NOT NULL,
        data BLOB NOT NULL
    );
    CREATE TABLE notebooks (
        project_id INTEGER NOT NULL REFERENCES projects(id),
        notebook_id TEXT NOT NULL,
        path TEXT NOT NULL,
        created REAL NOT NULL,
        updated REAL NOT NULL,
        PRIMARY KEY (project_id, notebook_id)
    ) WITHOUT ROWID;
    CREATE TABLE checkpoints (
        id TEXT PRIMARY KEY,
        project_id INTEGER NOT NULL REFERENCES projects(id),
        notebook_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        parent_id TEXT,
        path TEXT NOT NULL,
        summary TEXT NOT NULL,
        body TEXT NOT NULL,
        author TEXT NOT NULL,
        created REAL NOT NULL,
        manifest TEXT NOT NULL,
        runs TEXT NOT NULL,
        stats TEXT NOT NULL,
        UNIQUE (project_id, notebook_id, seq)
    );
    """,
    # 2 -> 3: deleting objects from the trash finds their applied batches by object
    """
    CREATE INDEX IF NOT EXISTS applied_batches_object ON applied_batches (object_uid);
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
