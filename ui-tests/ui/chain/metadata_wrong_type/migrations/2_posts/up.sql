CREATE INDEX CONCURRENTLY posts_user ON posts (user_id);
