-- One database per airwarn service. The services' URL template
-- postgresql+asyncpg://airwarn:airwarn@postgres:5432/airwarn_{service}
-- yields exactly these names; each service creates its own tables
-- (Alembic) at start-up.
--
-- Run by the postgres image's entrypoint (as POSTGRES_USER) only when the
-- data volume is empty; after changing this file, recreate the volume:
--   docker compose down -v
CREATE DATABASE airwarn_forecast OWNER airwarn;
CREATE DATABASE airwarn_alerting OWNER airwarn;
CREATE DATABASE airwarn_response OWNER airwarn;
CREATE DATABASE airwarn_notify OWNER airwarn;
