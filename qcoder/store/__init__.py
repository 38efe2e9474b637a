"""Store, the lowest engine layer above errors: models, sessions and transactions, schema and migrations, event log, backups, checks."""
