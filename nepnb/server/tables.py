"""The tracking server's tables, as SQLAlchemy Core metadata.

The schema itself is made by the Alembic migrations (nepnb/server/migrations); these
definitions are what the code queries, and a test checks that both agree.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("key", String(16), nullable=False, unique=True),
    Column("created", Float, nullable=False),
    Column("visibility", String(16), nullable=False, server_default="private"),
    Column("storage_limit", BigInteger, nullable=True),
)

counters = Table(
    "counters",
    metadata,
    Column("project_id", Integer, ForeignKey("projects.id"), primary_key=True),
    Column("scope", String(300), primary_key=True),
    Column("next", Integer, nullable=False),
)

objects = Table(
    "objects",
    metadata,
    Column("uid", String(32), primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("sys_id", String(300), nullable=False),
    Column("custom_run_id", String(300)),
    Column("model_id", String(300)),
    Column("created", Float, nullable=False),
    # bytes of the batches stored (revision 0003); deletes do not give them back
    Column("used_bytes", BigInteger, nullable=False, server_default="0"),
)

fields = Table(
    "fields",
    metadata,
    Column("object_uid", String(32), primary_key=True),
    Column("path", String(1024), primary_key=True),
    Column("type", String(32), nullable=False),
    Column("value", Text),
)

series_chunks = Table(
    "series_chunks",
    metadata,
    Column("object_uid", String(32), primary_key=True),
    Column("path", String(1024), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("count", Integer, nullable=False),
    Column("steps", LargeBinary, nullable=False),
    Column("vals", LargeBinary, nullable=False),
    Column("times", LargeBinary, nullable=False),
)

applied_batches = Table(
    "applied_batches",
    metadata,
    Column("batch_id", String(64), primary_key=True),
    Column("object_uid", String(32), nullable=False),
    Column("applied", Float, nullable=False),
)
# revision 0004: deleting objects from the trash finds their batches
Index("applied_batches_object", applied_batches.c.object_uid)

parts = Table(
    "parts",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("encoding", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

# Which projects hold a blob or checkpoint part (revision 0006): the bytes are stored once,
# by digest; a project reads and is charged for the digests it uploaded.
blob_projects = Table(
    "blob_projects",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id"), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("created", Float, nullable=False),
    Index("ix_blob_projects_project_id", "project_id"),
)

notebooks = Table(
    "notebooks",
    metadata,
    Column("project_id", Integer, ForeignKey("projects.id"), primary_key=True),
    Column("notebook_id", String(64), primary_key=True),
    Column("path", Text, nullable=False),
    Column("created", Float, nullable=False),
    Column("updated", Float, nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("notebook_id", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("parent_id", String(16)),
    Column("path", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("author", Text, nullable=False),
    Column("created", Float, nullable=False),
    Column("manifest", Text, nullable=False),
    Column("runs", Text, nullable=False),
    Column("stats", Text, nullable=False),
)

# identity (revision 0002) ---------------------------------------------------------------

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # "user" or "service"
    Column("workspace", String(64)),  # a service account's workspace
    Column("admin", Boolean, nullable=False, server_default="0"),
    Column("created", Float, nullable=False),
)

workspaces = Table(
    "workspaces",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("created", Float, nullable=False),
)

workspace_members = Table(
    "workspace_members",
    metadata,
    Column("workspace", String(64), ForeignKey("workspaces.name"), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
)

project_members = Table(
    "project_members",
    metadata,
    Column("project_id", Integer, ForeignKey("projects.id"), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("role", String(16), nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("name", String(100), nullable=False),
    Column("read_only", Boolean, nullable=False, server_default="0"),
    Column("created", Float, nullable=False),
    Column("expires", Float),
    Column("revoked", Float),
)
