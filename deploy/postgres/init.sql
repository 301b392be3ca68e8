-- Runs once, when the postgres container starts on an empty data directory.
-- One database per service: no service reads another's tables.
-- The owner is POSTGRES_USER (gongjian), the role this script runs as.
CREATE DATABASE gongjian_members;
CREATE DATABASE gongjian_activities;
CREATE DATABASE gongjian_scoring;
CREATE DATABASE gongjian_notify;
