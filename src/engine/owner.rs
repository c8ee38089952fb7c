//! Which running tintype owns a job. Each engine holds an exclusive lock on
//! `locks/<token>.lock` for as long as it lives; the OS drops the lock when
//! the process dies, however it dies (kill -9 included). So at start-up a
//! job whose owner's lock can be taken was left behind, and a job whose
//! owner still holds it belongs to another tintype that is running now.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

pub struct Owner {
    token: String,
    locks: PathBuf,
    path: PathBuf,
    _lock: File,
}

impl Owner {
    pub fn claim(locks: &Path) -> io::Result<Owner> {
        std::fs::create_dir_all(locks)?;
        let token = format!("{}-{:016x}", std::process::id(), fastrand::u64(..));
        let path = locks.join(format!("{token}.lock"));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        file.try_lock().map_err(io::Error::from)?;
        Ok(Owner {
            token,
            locks: locks.to_path_buf(),
            path,
            _lock: file,
        })
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    /// Where every tintype keeps its lock file.
    pub fn locks(&self) -> &Path {
        &self.locks
    }

    /// Whether the tintype behind `token` is gone. Unsure counts as alive:
    /// taking over a live process's jobs would be worse than leaving a dead
    /// one's for later.
    pub fn is_gone(locks: &Path, token: &str) -> bool {
        if token.contains(['/', '\\']) || token.starts_with('.') {
            return false;
        }
        let path = locks.join(format!("{token}.lock"));
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) => return e.kind() == io::ErrorKind::NotFound,
        };
        match file.try_lock() {
            Ok(()) => {
                // Its owner is dead: tidy the file away (still locked by us,
                // so nobody can be claiming it).
                let _ = std::fs::remove_file(&path);
                true
            }
            Err(TryLockError::WouldBlock | TryLockError::Error(_)) => false,
        }
    }
}

impl Owner {
    /// Whether a tintype with this pid is running (holds its owner lock).
    pub fn pid_alive(locks: &Path, pid: u32) -> bool {
        let prefix = format!("{pid}-");
        std::fs::read_dir(locks).is_ok_and(|entries| {
            entries.flatten().any(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                name.strip_prefix(&prefix)
                    .and_then(|rest| rest.strip_suffix(".lock"))
                    .is_some_and(|_| {
                        let token = name.trim_end_matches(".lock");
                        !Owner::is_gone(locks, token)
                    })
            })
        })
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_owner_is_not_gone_and_a_dropped_one_is() {
        let dir = tempfile::tempdir().unwrap();
        let owner = Owner::claim(dir.path()).unwrap();
        let token = owner.token().to_string();
        assert!(!Owner::is_gone(dir.path(), &token));
        drop(owner);
        assert!(Owner::is_gone(dir.path(), &token));
        assert!(Owner::is_gone(dir.path(), "never-existed"));
        assert!(!Owner::is_gone(dir.path(), "../etc/passwd"));
    }

    #[test]
    fn a_lock_file_left_by_a_dead_process_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        // What kill -9 leaves: the file, with nobody holding its lock.
        std::fs::write(dir.path().join("123-dead.lock"), b"").unwrap();
        assert!(Owner::is_gone(dir.path(), "123-dead"));
        assert!(!dir.path().join("123-dead.lock").exists());
    }
}
