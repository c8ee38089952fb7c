-- tintype schema 2. Which running tintype owns a job: a token whose lock
-- file that process holds (data dir, locks/<token>.lock). On start-up, jobs
-- left unfinished by an owner that no longer holds its lock are resumed or
-- marked interrupted; a live owner's jobs are left alone.
ALTER TABLE jobs ADD COLUMN owner TEXT;
