"""Benchmarks that run against real infrastructure (PostgreSQL and a Kafka-protocol broker)."""
