//! Where tintype keeps things: XDG dirs from the `dirs` crate, or everything
//! under `TINTYPE_HOME` when it is set (tests and portable setups use it).

use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub cache_dir: PathBuf,
}

impl Paths {
    /// `home` is the value of `TINTYPE_HOME`, if set and not empty.
    pub fn resolve(home: Option<PathBuf>) -> Result<Paths, String> {
        if let Some(home) = home.filter(|h| !h.as_os_str().is_empty()) {
            return Ok(Paths::under(&home));
        }
        let pick = |dir: Option<PathBuf>, what: &str| {
            dir.map(|d| d.join("tintype")).ok_or_else(|| {
                format!("cannot find the user's {what} directory; set TINTYPE_HOME to a directory tintype may use")
            })
        };
        Ok(Paths {
            config_dir: pick(dirs::config_dir(), "config")?,
            data_dir: pick(dirs::data_dir(), "data")?,
            cache_dir: pick(dirs::cache_dir(), "cache")?,
        })
    }

    pub fn from_env() -> Result<Paths, String> {
        Paths::resolve(std::env::var_os("TINTYPE_HOME").map(PathBuf::from))
    }

    pub fn under(home: &Path) -> Paths {
        Paths {
            config_dir: home.join("config"),
            data_dir: home.join("data"),
            cache_dir: home.join("cache"),
        }
    }

    pub fn database(&self) -> PathBuf {
        self.data_dir.join("tintype.db")
    }

    pub fn images(&self) -> PathBuf {
        self.data_dir.join("images")
    }

    /// One lock file per running tintype, so each knows which unfinished
    /// jobs belong to a live process.
    pub fn locks(&self) -> PathBuf {
        self.data_dir.join("locks")
    }

    /// Where the studio exports kept images and contact sheets.
    pub fn exports(&self) -> PathBuf {
        self.data_dir.join("exports")
    }

    /// Pictures fitted for the terminal, by image hash and size: safe to
    /// delete, made again as needed.
    pub fn thumbnails(&self) -> PathBuf {
        self.cache_dir.join("thumbnails")
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    pub fn presets(&self) -> PathBuf {
        self.config_dir.join("presets")
    }

    pub fn catalog_overlay(&self) -> PathBuf {
        self.config_dir.join(crate::catalog::OVERLAY_FILE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tintype_home_holds_everything() {
        let paths = Paths::resolve(Some(PathBuf::from("/tmp/tt"))).unwrap();
        assert_eq!(
            paths.config_file(),
            PathBuf::from("/tmp/tt/config/config.toml")
        );
        assert_eq!(paths.database(), PathBuf::from("/tmp/tt/data/tintype.db"));
        assert_eq!(paths.images(), PathBuf::from("/tmp/tt/data/images"));
        assert_eq!(paths.cache_dir, PathBuf::from("/tmp/tt/cache"));
    }

    #[test]
    fn empty_home_falls_back_to_xdg() {
        let paths = Paths::resolve(Some(PathBuf::new()));
        if let Ok(paths) = paths {
            assert!(paths.config_dir.ends_with("tintype"));
        }
    }
}
