"""Operations: each municipality's use and results, the questions the bot could not answer, content
freshness, and the resident data lifecycle (retention, deletion on request)."""
