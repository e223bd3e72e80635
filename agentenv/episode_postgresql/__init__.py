"""The database backend of PostgreSQL episode copies (ENGINE "agentenv.episode_postgresql"): see base.py."""
