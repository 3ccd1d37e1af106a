//! Reading a profile file: TOML syntax and shape first (toml's own errors, which carry a
//! position), then meaning (`StackSpec::from_profile`), with each problem placed at the
//! line and column of the field it is about.

use std::fmt;
use std::path::{Path, PathBuf};

use super::Profile;
use crate::stack::{SpecProblem, StackSpec};

/// Profiles are a few hundred bytes; anything this large is the wrong file.
pub const MAX_PROFILE_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedProblem {
    pub field: String,
    /// 1-based; `None` when the field is missing from the file.
    pub position: Option<(usize, usize)>,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("no profile named '{name}' in {}", dir.display())]
    NotFound {
        name: String,
        dir: PathBuf,
        available: Vec<String>,
    },
    #[error(
        "'{name}' cannot name a profile: use letters, digits, '-' and '_' (for example \"prod\")"
    )]
    BadName { name: String },
    #[error("a profile named '{name}' already exists at {}", path.display())]
    AlreadyExists { name: String, path: PathBuf },
    #[error("could not read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is {size} bytes, too large to be a profile (at most {MAX_PROFILE_BYTES})", path.display())]
    TooLarge { path: PathBuf, size: u64 },
    #[error("{}:{}:{}: {message}", path.display(), position.0, position.1)]
    Syntax {
        path: PathBuf,
        position: (usize, usize),
        message: String,
    },
    #[error("{} is not a valid profile:\n{}", path.display(), ProblemList(path, problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<LocatedProblem>,
    },
}

struct ProblemList<'a>(&'a Path, &'a [LocatedProblem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.1.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            match p.position {
                Some((line, column)) => write!(
                    f,
                    "  {}:{line}:{column}: {}: {}",
                    self.0.display(),
                    p.field,
                    p.message
                )?,
                None => write!(f, "  {}: {}: {}", self.0.display(), p.field, p.message)?,
            }
        }
        Ok(())
    }
}

impl ProfileError {
    pub fn hint(&self) -> Option<String> {
        match self {
            ProfileError::NotFound { available, .. } if available.is_empty() => {
                Some("There are no saved profiles yet; `prefect-tui init` creates one.".to_owned())
            }
            ProfileError::NotFound { available, .. } => Some(format!(
                "Saved profiles: {}. `prefect-tui profiles list` shows them.",
                available.join(", ")
            )),
            ProfileError::Syntax { .. } | ProfileError::Invalid { .. } => Some(
                "Fix the file (the format is in the README and the examples under profiles/), \
                 then run the command again."
                    .to_owned(),
            ),
            ProfileError::Read { source, .. } => match source.kind() {
                std::io::ErrorKind::NotFound => Some(
                    "Check the path, or give the name of a saved profile \
                     (`prefect-tui profiles list` shows them)."
                        .to_owned(),
                ),
                std::io::ErrorKind::InvalidData => Some(
                    "A profile is TOML text in UTF-8; give the profile file itself, or save it \
                     again as UTF-8."
                        .to_owned(),
                ),
                std::io::ErrorKind::IsADirectory => {
                    Some("Give the profile's .toml file, not a directory.".to_owned())
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// Everything here is the user's to fix except failing to write a file or to read one
    /// that is there: a path that names nothing, a directory or a file that is not text is
    /// a wrong argument, not a failure of the machine.
    pub fn is_bad_input(&self) -> bool {
        match self {
            ProfileError::Read { source, .. } => matches!(
                source.kind(),
                std::io::ErrorKind::NotFound
                    | std::io::ErrorKind::InvalidData
                    | std::io::ErrorKind::IsADirectory
            ),
            ProfileError::Write { .. } => false,
            _ => true,
        }
    }
}

/// 1-based line and column of a byte offset.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, column)
}

/// Where a field (`worker.memory`, `network.subnet_ids[1]`, `customizations[0]`) is in the
/// file, if it is there.
fn field_offset(text: &str, field: &str) -> Option<usize> {
    let doc = toml_edit::Document::parse(text).ok()?;
    let mut item: Option<&toml_edit::Item> = None;
    let mut last_found: Option<usize> = None;
    for segment in field.split('.') {
        let (key, index) = match segment.split_once('[') {
            Some((key, rest)) => (key, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (segment, None),
        };
        let next = match item {
            None => doc.as_table().get(key),
            Some(parent) => parent.get(key),
        };
        let next = match (next, index) {
            (Some(found), Some(i)) => found.get(i).or(Some(found)),
            (found, _) => found,
        };
        match next {
            Some(found) => {
                last_found = found.span().map(|s| s.start).or(last_found);
                item = Some(found);
            }
            // A key left out is pointed at by its section (`[network]`), when there is one.
            None => return item.and(last_found),
        }
    }
    last_found
}

/// Line and column (1-based) of a field in a profile's text, if the field is there.
pub fn locate_field(text: &str, field: &str) -> Option<(usize, usize)> {
    field_offset(text, field).map(|o| position(text, o))
}

/// Parses and validates a profile's text; `path` is only for messages.
pub fn parse_profile(path: &Path, text: &str) -> Result<(Profile, StackSpec), ProfileError> {
    let profile: Profile = toml::from_str(text).map_err(|e| ProfileError::Syntax {
        path: path.to_owned(),
        position: e.span().map(|s| position(text, s.start)).unwrap_or((1, 1)),
        message: e.message().trim().to_owned(),
    })?;
    let spec = StackSpec::from_profile(&profile).map_err(|problems| ProfileError::Invalid {
        path: path.to_owned(),
        problems: problems
            .into_iter()
            .map(|SpecProblem { field, message }| LocatedProblem {
                position: field_offset(text, &field).map(|o| position(text, o)),
                field,
                message,
            })
            .collect(),
    })?;
    Ok((profile, spec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_lines_and_columns() {
        let text = "a = 1\nbb = 2\n";
        assert_eq!(position(text, 0), (1, 1));
        assert_eq!(position(text, 6), (2, 1));
        assert_eq!(position(text, 11), (2, 6));
    }

    #[test]
    fn fields_are_found_through_tables_arrays_and_arrays_of_tables() {
        let text = "stack = \"x\"\n[network]\nsubnet_ids = [\"a\", \"b\"]\n[[customizations]]\nop = \"add\"\n[[customizations]]\nop = \"remove\"\n";
        let at = |field| field_offset(text, field).map(|o| position(text, o));
        assert_eq!(at("stack"), Some((1, 9)));
        assert_eq!(at("network.subnet_ids[1]"), Some((3, 20)));
        assert_eq!(at("customizations[1]").map(|p| p.0), Some(6));
        assert_eq!(at("worker.cpu"), None);
        assert_eq!(
            at("network.vpc_id"),
            Some((2, 1)),
            "a missing key: its section"
        );
    }
}
