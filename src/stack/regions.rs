//! The AWS regions this tool knows, to refuse a typo before it turns into a confusing
//! "could not reach ec2.us-eats-1.amazonaws.com" several calls later.
//!
//! The SDK resolves an endpoint for any well-formed name, so it cannot tell us; the list is
//! kept here by hand. A region launched after this list was written is refused with the
//! same message until the list is updated.

pub const KNOWN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

pub fn is_known(region: &str) -> bool {
    KNOWN_REGIONS.contains(&region)
}

/// The known region closest to a mistyped one, if it is close enough to be a typo.
pub fn suggest(region: &str) -> Option<&'static str> {
    let lowered = region.trim().to_ascii_lowercase();
    KNOWN_REGIONS
        .iter()
        .map(|known| (edit_distance(&lowered, known), *known))
        .filter(|(distance, _)| *distance <= 2)
        .min()
        .map(|(_, known)| known)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_get_the_nearest_region_and_nonsense_gets_none() {
        assert_eq!(suggest("us-eats-1"), Some("us-east-1"));
        assert_eq!(suggest("eu-west-7"), Some("eu-west-1"));
        assert_eq!(suggest("US-EAST-1"), Some("us-east-1"));
        assert_eq!(suggest("mars-north-1"), None);
        assert!(is_known("eu-central-1"));
        assert!(!is_known("us-east-7"));
    }
}
