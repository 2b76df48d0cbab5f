"""Storage: the only package with SQL and database-specific branches — the tables, the engine, the
append-path statements, the read side and the migrations."""
