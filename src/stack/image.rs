//! The worker's image: the tag a new profile gets, what a tag says about the Prefect
//! version inside, and whether it floats (may run another Prefect on the next deploy).
//!
//! The prefecthq/prefect-aws images are built for every Prefect release with these tags
//! (PrefectHQ/prefect, `.github/workflows/prefect-aws-docker-images.yaml`):
//!   `<prefect-aws>-python<py>-prefect<prefect>`  one build, never pushed again: pinned;
//!   `<prefect-aws>-python<py>`                   pushed again for each Prefect release;
//!   `<major.minor>-python<py>`, `latest-python<py>`, `latest`   moved on each release.
//! Only the first names the Prefect version, and only it (or a digest) pins one.

/// The image repository prefect-tui deploys by default.
pub const PREFECT_AWS_REPOSITORY: &str = "prefecthq/prefect-aws";

/// The tag a new profile gets: the prefect-aws and Prefect versions the tests run (the
/// emulators' virtual environment pins the same, see scripts/requirements.txt).
pub const PINNED_TAG: &str = "0.7.12-python3.12-prefect3.8.8";

/// The image a new profile gets.
pub fn default_image() -> String {
    format!("{PREFECT_AWS_REPOSITORY}:{PINNED_TAG}")
}

/// An image reference split into its repository, tag and digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef<'a> {
    pub repository: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

pub fn parse(image: &str) -> ImageRef<'_> {
    let (name, digest) = match image.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (image, None),
    };
    // A colon after the last slash is the tag's; one before it is a registry's port.
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[last_slash..].rfind(':') {
        Some(i) => ImageRef {
            repository: &name[..last_slash + i],
            tag: Some(&name[last_slash + i + 1..]),
            digest,
        },
        None => ImageRef {
            repository: name,
            tag: None,
            digest,
        },
    }
}

/// The image with another tag (a digest is dropped: it would pin the old one).
pub fn with_tag(image: &str, tag: &str) -> String {
    format!("{}:{tag}", parse(image).repository)
}

/// The Prefect version a prefect-aws tag names (`…-prefect3.8.8` → `3.8.8`).
pub fn prefect_version(image: &str) -> Option<&str> {
    let tag = parse(image).tag?;
    let (_, version) = tag.rsplit_once("-prefect")?;
    (version.starts_with(|c: char| c.is_ascii_digit())).then_some(version)
}

/// The prefect-aws version a prefect-aws tag names (`0.7.12-python3.12…` → `0.7.12`).
pub fn prefect_aws_version(image: &str) -> Option<&str> {
    let tag = parse(image).tag?;
    let (version, _) = tag.split_once("-python")?;
    (version.split('.').count() == 3 && version.starts_with(|c: char| c.is_ascii_digit()))
        .then_some(version)
}

/// Why the image may run another Prefect version on the next deploy, if it may.
pub fn floats(image: &str) -> Option<String> {
    let parsed = parse(image);
    if parsed.digest.is_some() {
        return None;
    }
    let Some(tag) = parsed.tag else {
        return Some(format!(
            "{image} has no tag, so it means :latest, which moves with every release"
        ));
    };
    if parsed.repository != PREFECT_AWS_REPOSITORY
        && !parsed.repository.ends_with("/prefecthq/prefect-aws")
    {
        // Someone else's tag scheme: only `latest` is known to move.
        return (tag == "latest")
            .then(|| format!("{image} is :latest, which moves with every push"));
    }
    if prefect_version(image).is_some() {
        return None;
    }
    let why = if tag == "latest" || tag.starts_with("latest-") {
        "moves to each new release"
    } else if prefect_aws_version(image).is_some() {
        "is built again for each Prefect release, so the Prefect inside changes"
    } else {
        "is not a full version tag, so it moves with releases"
    };
    Some(format!(
        "{image} {why}; pin a tag that ends in -prefect<version>, such as {}",
        default_image()
    ))
}

/// How a screen names an image's versions: "Prefect 3.8.8 (prefect-aws 0.7.12)", or what
/// is not known.
pub fn describe(image: &str) -> String {
    match (prefect_version(image), prefect_aws_version(image)) {
        (Some(prefect), Some(aws)) => format!("Prefect {prefect} (prefect-aws {aws})"),
        (Some(prefect), None) => format!("Prefect {prefect}"),
        (None, _) if floats(image).is_some() => {
            "Prefect version not pinned: it floats with releases".to_owned()
        }
        (None, _) => "Prefect version not named by the tag".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_pinned_and_names_its_versions() {
        let image = default_image();
        assert_eq!(floats(&image), None);
        assert_eq!(prefect_version(&image), Some("3.8.8"));
        assert_eq!(prefect_aws_version(&image), Some("0.7.12"));
        assert_eq!(describe(&image), "Prefect 3.8.8 (prefect-aws 0.7.12)");
    }

    #[test]
    fn tags_that_move_float_and_say_why() {
        for (image, because) in [
            ("prefecthq/prefect-aws:latest", "moves to each new release"),
            (
                "prefecthq/prefect-aws:latest-python3.11",
                "moves to each new release",
            ),
            ("prefecthq/prefect-aws:0.7.12-python3.12", "built again"),
            ("prefecthq/prefect-aws:0.7-python3.12", "not a full version"),
            ("prefecthq/prefect-aws", "has no tag"),
            (
                "docker.io/prefecthq/prefect-aws:latest",
                "moves to each new release",
            ),
            ("myregistry:5000/team/worker", "has no tag"),
            (
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/w:latest",
                "moves",
            ),
        ] {
            let why = floats(image).unwrap_or_else(|| panic!("{image} should float"));
            assert!(why.contains(because), "{image}: {why}");
        }
    }

    #[test]
    fn full_tags_digests_and_other_schemes_are_pinned() {
        for image in [
            "prefecthq/prefect-aws:0.7.11-python3.11-prefect3.8.4",
            "prefecthq/prefect-aws@sha256:0123abcd",
            "prefecthq/prefect-aws:latest@sha256:0123abcd",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/worker:2024-06-01",
            "myregistry:5000/team/worker:v3",
        ] {
            assert_eq!(floats(image), None, "{image}");
        }
    }

    #[test]
    fn a_registry_port_is_not_a_tag_and_retagging_keeps_the_repository() {
        let r = parse("myregistry:5000/team/worker");
        assert_eq!((r.repository, r.tag), ("myregistry:5000/team/worker", None));
        assert_eq!(
            with_tag(
                "prefecthq/prefect-aws:latest@sha256:00",
                "0.7.11-python3.12-prefect3.8.4"
            ),
            "prefecthq/prefect-aws:0.7.11-python3.12-prefect3.8.4"
        );
        assert_eq!(
            prefect_version("prefecthq/prefect-aws:0.7.12-python3.12-prefectx"),
            None
        );
    }
}
