"""Evidence under load and faults: several processes, a state machine, a cut database, backups."""
