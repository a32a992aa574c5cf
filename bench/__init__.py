"""`make bench`: the pipeline on a real broker and PostgreSQL against a bare-Kafka relay,
and micro-benchmarks of the AQI and the warning rules (see bench/run.py)."""
