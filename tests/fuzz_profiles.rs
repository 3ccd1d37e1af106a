//! Fuzzing the two parsers of user input that everything else trusts: the profile reader
//! and the JSON Patch customizations. `cargo fuzz` needs a nightly compiler and a
//! libFuzzer build the project does not otherwise have, so this uses proptest, which runs
//! on stable in the ordinary `cargo test`: random and mutated profiles, random patch
//! operations on paths that exist and paths that do not. The properties: nothing panics,
//! every refusal points inside the file, and an error names the first operation that
//! fails.
//!
//! `tests/fuzz_corpus/` keeps the inputs that once found something (or nearly did), run
//! every time; proptest's own failure seeds go to `proptest-regressions/`, to be kept small
//! and committed when one appears.

use std::cell::Cell;
use std::path::Path;

use prefect_tui::profile::{Customization, PatchTarget, ProfileError, parse_profile};
use prefect_tui::stack::{RenderContext, RenderError, render, render_customized};
use proptest::prelude::*;
use serde_json::Value;

const BASE: &str = include_str!("../profiles/cloud.toml");
const EXAMPLES: [&str; 4] = [
    include_str!("../profiles/cloud.toml"),
    include_str!("../profiles/self-hosted.toml"),
    include_str!("../profiles/private-nat.toml"),
    include_str!("../profiles/customized.toml"),
];

fn fuzz_path() -> &'static Path {
    Path::new("fuzz.toml")
}

/// The parser's answer, checked for the promises every answer keeps.
fn parse_checked(text: &str) -> Result<(), ProfileError> {
    let result = parse_profile(fuzz_path(), text);
    if let Err(e) = &result {
        let message = e.to_string();
        assert!(message.contains("fuzz.toml"), "names the file: {message}");
        let lines = text.lines().count().max(1) + 1;
        match e {
            ProfileError::Syntax { position, .. } => {
                assert!(
                    position.0 >= 1 && position.0 <= lines,
                    "line {} within {lines}: {message}",
                    position.0
                )
            }
            ProfileError::Invalid { problems, .. } => {
                assert!(!problems.is_empty(), "an invalid profile says why");
                assert!(message.contains("fuzz.toml:"), "with a position: {message}");
            }
            ProfileError::TooLarge { .. } => {}
            other => panic!("parsing text gave an I/O kind of error: {other}"),
        }
        assert!(e.is_bad_input(), "exit code 2 for {message}");
        assert!(e.hint().is_some(), "says what to do: {message}");
    }
    result.map(|_| ())
}

/// One edit of a profile's text.
#[derive(Debug, Clone)]
enum Edit {
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    Insert(usize, String),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let token = prop_oneof![
        Just("[".to_owned()),
        Just("]]".to_owned()),
        Just("\"".to_owned()),
        Just("=".to_owned()),
        Just("\n[worker]\n".to_owned()),
        Just("\n[[customizations]]\n".to_owned()),
        Just("cpu = -1\n".to_owned()),
        Just("memory = 1e400\n".to_owned()),
        Just("desired_count = 99999999999999999999\n".to_owned()),
        Just("subnet_ids = []\n".to_owned()),
        Just("stack = \"\"\n".to_owned()),
        Just("\u{0}".to_owned()),
        Just("é\u{200b}".to_owned()),
        "[ -~]{0,12}",
        ".{0,8}",
    ];
    prop_oneof![
        any::<usize>().prop_map(Edit::DeleteLine),
        any::<usize>().prop_map(Edit::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        (any::<usize>(), token).prop_map(|(at, t)| Edit::Insert(at, t)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply_edit(text: &str, edit: &Edit) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let n = lines.len().max(1);
    match edit {
        Edit::DeleteLine(i) if !lines.is_empty() => {
            lines.remove(i % n);
        }
        Edit::DuplicateLine(i) if !lines.is_empty() => {
            let line = lines[i % n].clone();
            lines.insert(i % n, line);
        }
        Edit::SwapLines(a, b) if !lines.is_empty() => lines.swap(a % n, b % n),
        Edit::Insert(at, token) => {
            let mut chars: Vec<char> = text.chars().collect();
            let at = at % (chars.len() + 1);
            chars.splice(at..at, token.chars());
            return chars.into_iter().collect();
        }
        Edit::Truncate(at) => return text.chars().take(at % (text.len() + 1)).collect(),
        _ => {}
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// Every JSON Pointer of a document, so patches aim at real places as well as nowhere.
fn pointers(doc: &Value, at: String, out: &mut Vec<String>) {
    match doc {
        Value::Object(map) => {
            for (k, v) in map {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                pointers(v, p, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                pointers(v, p, out);
            }
            out.push(format!("{at}/-"));
        }
        _ => {}
    }
}

fn base_documents() -> (Vec<String>, Vec<String>) {
    let (_, spec) = parse_profile(fuzz_path(), BASE).expect("the example parses");
    let rendered = render(&spec, &RenderContext::placeholders(&spec, None));
    let (mut td, mut service) = (Vec::new(), Vec::new());
    pointers(&rendered.task_definition, String::new(), &mut td);
    pointers(&rendered.service, String::new(), &mut service);
    (td, service)
}

/// JSON values TOML can hold (no null), a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        (-1.0e6f64..1.0e6).prop_map(Value::from),
        "[a-zA-Z0-9 _:/.-]{0,16}".prop_map(Value::from),
        Just(Value::from("PREFECT_API_KEY")),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-zA-Z]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn customization(td: &[String], service: &[String]) -> impl Strategy<Value = Customization> {
    let td = td.to_vec();
    let service = service.to_vec();
    let op = prop_oneof![
        4 => prop::sample::select(vec!["add", "remove", "replace", "move", "copy", "test"])
            .prop_map(str::to_owned),
        1 => "[a-z]{0,6}",
    ];
    let suffix = prop_oneof![
        4 => Just(String::new()),
        1 => Just("/-".to_owned()),
        1 => Just("/0".to_owned()),
        1 => Just("/99".to_owned()),
        1 => Just("/new".to_owned()),
        1 => Just("/~1weird~0".to_owned()),
    ];
    (
        any::<bool>(),
        op,
        any::<prop::sample::Index>(),
        suffix,
        any::<prop::sample::Index>(),
        prop::option::of(json_value()),
        "[ -~]{0,10}",
        0u8..10,
    )
        .prop_map(
            move |(is_td, op, at, suffix, from_at, value, junk, shape)| {
                let paths = if is_td { &td } else { &service };
                let path = match shape {
                    0 => junk.clone(),
                    1 => String::new(),
                    _ => format!("{}{suffix}", at.get(paths)),
                };
                let needs_from = op == "move" || op == "copy";
                let needs_value = matches!(op.as_str(), "add" | "replace" | "test");
                Customization {
                    target: if is_td {
                        PatchTarget::TaskDefinition
                    } else {
                        PatchTarget::Service
                    },
                    op,
                    path,
                    from: (needs_from || shape == 9).then(|| from_at.get(paths).clone()),
                    value: if needs_value || shape == 8 {
                        value.or(Some(Value::from(1)))
                    } else {
                        None
                    },
                }
            },
        )
}

/// Writes `customizations` into the base profile as TOML, reads it back, and renders.
fn render_with(customizations: &[Customization]) -> Option<Result<(), RenderError>> {
    let (mut profile, _) = parse_profile(fuzz_path(), BASE).expect("the example parses");
    profile.customizations = customizations.to_vec();
    let text = toml::to_string_pretty(&profile).expect("a profile serializes");
    // A malformed operation (bad op, missing value) is refused when the file is read.
    let (_, spec) = match parse_profile(fuzz_path(), &text) {
        Ok(parsed) => parsed,
        Err(e) => {
            assert!(
                matches!(
                    e,
                    ProfileError::Invalid { .. } | ProfileError::Syntax { .. }
                ),
                "{e}"
            );
            return None;
        }
    };
    let ctx = RenderContext::placeholders(&spec, None);
    let first = render_customized(&spec, &ctx);
    let second = render_customized(&spec, &ctx);
    assert_eq!(
        first
            .as_ref()
            .map(|r| (&r.task_definition, &r.service))
            .ok(),
        second
            .as_ref()
            .map(|r| (&r.task_definition, &r.service))
            .ok(),
        "rendering is deterministic"
    );
    Some(first.map(|rendered| {
        for container in rendered.task_definition["containerDefinitions"]
            .as_array()
            .into_iter()
            .flatten()
        {
            for var in container["environment"].as_array().into_iter().flatten() {
                assert_ne!(
                    var["name"], "PREFECT_API_KEY",
                    "the key never reaches the environment: {var}"
                );
            }
        }
    }))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn any_text_is_parsed_or_refused_with_a_position(text in ".{0,400}") {
        let _ = parse_checked(&text);
    }

    #[test]
    fn edited_example_profiles_are_parsed_or_refused_with_a_position(
        which in 0..EXAMPLES.len(),
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        let text = edits.iter().fold(EXAMPLES[which].to_owned(), |t, e| apply_edit(&t, e));
        let _ = parse_checked(&text);
    }
}

#[test]
fn random_customizations_apply_or_name_the_first_that_fails() {
    let (td, service) = base_documents();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 400,
        ..ProptestConfig::default()
    });
    let (applied, refused, malformed) = (Cell::new(0), Cell::new(0), Cell::new(0));
    let count = |c: &Cell<u32>| c.set(c.get() + 1);
    runner
        .run(
            &prop::collection::vec(customization(&td, &service), 1..5),
            |customizations| {
                match render_with(&customizations) {
                    None => count(&malformed),
                    Some(Ok(())) => count(&applied),
                    Some(Err(RenderError::Customization(c))) => {
                        count(&refused);
                        prop_assert!(c.index < customizations.len(), "{}", c);
                        prop_assert_eq!(c.target, customizations[c.index].target.as_str());
                        let prefix = format!("customizations[{}] ", c.index);
                        prop_assert!(c.to_string().starts_with(&prefix), "{}", c);
                        // Everything before the one named applies.
                        let before = render_with(&customizations[..c.index]);
                        prop_assert!(
                            matches!(before, Some(Ok(()))),
                            "customizations before [{}] apply: {:?}",
                            c.index,
                            before
                        );
                    }
                    // A customization that moves the credential into `environment`.
                    Some(Err(_)) => count(&refused),
                }
                Ok(())
            },
        )
        .expect("the property holds");
    // The generator reaches every outcome, or the test proves less than it claims. Seeds
    // vary per run: about 5% of cases apply cleanly (a few of 400 at the least), so the
    // floor is set well below what any seed gives rather than near the average.
    let (applied, refused, malformed) = (applied.get(), refused.get(), malformed.get());
    eprintln!("customizations: applied {applied}, refused {refused}, malformed {malformed}");
    assert!(
        applied >= 5 && refused >= 20 && malformed >= 20,
        "applied {applied}, refused {refused}, malformed {malformed}"
    );
}

#[test]
fn a_test_of_the_current_value_passes_and_a_replace_with_it_changes_nothing() {
    let (_, spec) = parse_profile(fuzz_path(), BASE).expect("parses");
    let rendered = render(&spec, &RenderContext::placeholders(&spec, None));
    let (td, service) = base_documents();
    for (target, doc, paths) in [
        (PatchTarget::TaskDefinition, &rendered.task_definition, td),
        (PatchTarget::Service, &rendered.service, service),
    ] {
        for path in paths.iter().filter(|p| !p.ends_with("/-")) {
            let current = doc.pointer(path).cloned().expect("a real pointer");
            let ops = [
                Customization {
                    target,
                    op: "test".into(),
                    path: path.clone(),
                    from: None,
                    value: Some(current.clone()),
                },
                Customization {
                    target,
                    op: "replace".into(),
                    path: path.clone(),
                    from: None,
                    value: Some(current),
                },
            ];
            assert!(
                matches!(render_with(&ops), Some(Ok(()))),
                "test and replace with the current value at {path}"
            );
        }
    }
}

#[test]
fn the_corpus_is_parsed_or_refused_with_a_position() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_corpus");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/fuzz_corpus exists") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        let expect_ok = path.to_string_lossy().ends_with(".ok.toml");
        let result = parse_checked(&text);
        if result.is_ok() {
            // Parsed profiles render or refuse; either way without a panic.
            let (_, spec) = parse_profile(fuzz_path(), &text).expect("parsed once already");
            let _ = render_customized(&spec, &RenderContext::placeholders(&spec, None));
        }
        assert_eq!(
            result.is_ok(),
            expect_ok,
            "{}: {:?}",
            path.display(),
            result.err().map(|e| e.to_string())
        );
        seen += 1;
    }
    assert!(seen >= 5, "the corpus is there");
}

/// Found by the property above: a failing service patch listed first was reported after a
/// failing task-definition patch listed second.
#[test]
fn of_two_failing_customizations_the_one_listed_first_is_named() {
    let failing = [
        Customization {
            target: PatchTarget::Service,
            op: "add".into(),
            path: "/cluster".into(),
            from: None,
            value: Some(Value::from(1)),
        },
        Customization {
            target: PatchTarget::TaskDefinition,
            op: "replace".into(),
            path: String::new(),
            from: None,
            value: Some(Value::from(1)),
        },
    ];
    let (mut profile, _) = parse_profile(fuzz_path(), BASE).expect("parses");
    profile.customizations = failing.to_vec();
    let text = toml::to_string_pretty(&profile).expect("serializes");
    let (_, spec) = parse_profile(fuzz_path(), &text).expect("parses");
    let err = render_customized(&spec, &RenderContext::placeholders(&spec, None))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(
        err,
        "customizations[0] (add /cluster on the service): /cluster already exists; to change it use replace"
    );
    profile.customizations = failing[1..].to_vec();
    let text = toml::to_string_pretty(&profile).expect("serializes");
    let (_, spec) = parse_profile(fuzz_path(), &text).expect("parses");
    let err = render_customized(&spec, &RenderContext::placeholders(&spec, None))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("the document root is an object, and the value given is a number"),
        "{err}"
    );
}
