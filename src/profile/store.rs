//! Where profiles live: `<config dir>/profiles/<name>.toml`, written with mode 0600 (they
//! hold no secret, but they do describe an AWS account).

use std::path::{Path, PathBuf};

use super::load::{MAX_PROFILE_BYTES, parse_profile};
use super::{Profile, ProfileError};
use crate::stack::StackSpec;

#[derive(Debug, Clone)]
pub struct ProfileStore {
    root: PathBuf,
}

impl ProfileStore {
    /// `config_dir` from `--config-dir` / `PREFECT_TUI_CONFIG_DIR`, else the platform's
    /// config directory (for example ~/.config/prefect-tui on Linux).
    pub fn new(config_dir: Option<&Path>) -> Self {
        let root = match config_dir {
            Some(dir) => dir.to_owned(),
            None => directories::ProjectDirs::from("", "", "prefect-tui")
                .map(|d| d.config_dir().to_owned())
                .unwrap_or_else(|| PathBuf::from(".prefect-tui")),
        };
        Self { root }
    }

    pub fn config_dir(&self) -> &Path {
        &self.root
    }

    pub fn profiles_dir(&self) -> PathBuf {
        self.root.join("profiles")
    }

    pub fn path_of(&self, name: &str) -> Result<PathBuf, ProfileError> {
        check_profile_name(name)?;
        Ok(self.profiles_dir().join(format!("{name}.toml")))
    }

    /// Names of the saved profiles, sorted. A missing directory means none.
    pub fn list(&self) -> Result<Vec<String>, ProfileError> {
        let dir = self.profiles_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(ProfileError::Read { path: dir, source }),
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let path = e.path();
                (path.extension()? == "toml")
                    .then(|| path.file_stem()?.to_str().map(str::to_owned))
                    .flatten()
            })
            .collect();
        names.sort();
        Ok(names)
    }

    /// Reads and validates a saved profile.
    pub fn load(&self, name: &str) -> Result<(Profile, StackSpec), ProfileError> {
        let path = self.path_of(name)?;
        if !path.exists() {
            return Err(ProfileError::NotFound {
                name: name.to_owned(),
                dir: self.profiles_dir(),
                available: self.list().unwrap_or_default(),
            });
        }
        load_file(&path)
    }

    /// Writes a profile, replacing any profile of that name, with mode 0600.
    pub fn save(&self, name: &str, profile: &Profile) -> Result<PathBuf, ProfileError> {
        let path = self.path_of(name)?;
        let text = toml::to_string_pretty(profile).map_err(|e| ProfileError::Write {
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        let write = |source| ProfileError::Write {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(self.profiles_dir()).map_err(write)?;
        // Write beside the target and rename, so a crash never leaves half a profile.
        let tmp = path.with_extension("toml.tmp");
        write_private(&tmp, text.as_bytes()).map_err(write)?;
        std::fs::rename(&tmp, &path).map_err(write)?;
        Ok(path)
    }

    pub fn delete(&self, name: &str) -> Result<PathBuf, ProfileError> {
        let path = self.path_of(name)?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ProfileError::NotFound {
                name: name.to_owned(),
                dir: self.profiles_dir(),
                available: self.list().unwrap_or_default(),
            }),
            Err(source) => Err(ProfileError::Write { path, source }),
        }
    }
}

/// Reads and validates a profile file anywhere on disk (examples, `--profile ./x.toml`).
pub fn load_file(path: &Path) -> Result<(Profile, StackSpec), ProfileError> {
    let read = |source| ProfileError::Read {
        path: path.to_owned(),
        source,
    };
    let size = std::fs::metadata(path).map_err(read)?.len();
    if size > MAX_PROFILE_BYTES as u64 {
        return Err(ProfileError::TooLarge {
            path: path.to_owned(),
            size,
        });
    }
    let text = std::fs::read_to_string(path).map_err(read)?;
    parse_profile(path, &text)
}

/// Sets keys under `[worker]` in a profile file, keeping the rest of the file (comments,
/// order) as it was, and checks the result is still a valid profile before it replaces
/// the file. What `upgrade` and `rollback` write, so the next `deploy` keeps their change.
pub fn set_worker_fields(
    path: &Path,
    fields: &[(&str, toml_edit::Value)],
) -> Result<(), ProfileError> {
    let read = |source| ProfileError::Read {
        path: path.to_owned(),
        source,
    };
    let text = std::fs::read_to_string(path).map_err(read)?;
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| read(std::io::Error::other(e.to_string())))?;
    if !doc.contains_table("worker") {
        doc["worker"] = toml_edit::table();
    }
    for (key, value) in fields {
        doc["worker"][*key] = toml_edit::value(value.clone());
    }
    let edited = doc.to_string();
    parse_profile(path, &edited)?;
    let write = |source| ProfileError::Write {
        path: path.to_owned(),
        source,
    };
    let tmp = path.with_extension("toml.tmp");
    write_private(&tmp, edited.as_bytes()).map_err(write)?;
    std::fs::rename(&tmp, path).map_err(write)?;
    Ok(())
}

/// A profile name: letters, digits, `-` and `_`, at most 64 characters.
pub fn check_profile_name(name: &str) -> Result<(), ProfileError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ProfileError::BadName {
            name: name.to_owned(),
        })
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}
