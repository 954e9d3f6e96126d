"""Storage: Postgres pools and migrations, tenancy (RLS), the Redis speed layer, metrics."""
