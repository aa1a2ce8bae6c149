-- local-infra profile only: Rasa's tracker store gets its own database on the same server
-- (TRACKER_DB_NAME=rasa in deploy/env/rasa.env); the cases database is POSTGRES_DB.
CREATE DATABASE rasa;
