"""Outbox -> Kafka -> consumer pipeline benchmark, compared with raw aiokafka on the same broker.

Run with ``python -m bench.pipeline [--events N]``.
"""
