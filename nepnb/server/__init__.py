"""The nepnb tracking server: an ASGI app (app.py) over a SQL store (sql.py), with
accounts and tokens (auth.py) and Alembic migrations (migrations/)."""
