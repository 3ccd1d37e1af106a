//! Bad input on the command line and in the environment: each case asserts the message a
//! person reads and the exit code a script sees (2 bad input, 1 failure).

mod common;

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn no_credentials_lists_the_sources_tried_and_how_to_provide_one() {
    // Needs no emulator: the credential chain fails before any call is made.
    let out = common::program()
        .args(["--region", "us-east-1", "discover"])
        .output()
        .expect("runs");
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("error: no AWS credentials were found"),
        "{err}"
    );
    for source in [
        "AWS_ACCESS_KEY_ID",
        "~/.aws/credentials",
        "SSO",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "ECS container credentials",
        "EC2 instance metadata",
    ] {
        assert!(err.contains(source), "should name {source}: {err}");
    }
    assert!(
        err.contains("aws configure") && err.contains("--aws-profile"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn unknown_profile_is_named() {
    let out = common::program()
        .args([
            "--aws-profile",
            "no-such-profile",
            "--region",
            "us-east-1",
            "discover",
        ])
        .output()
        .expect("runs");
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("error: AWS profile 'no-such-profile' is not defined in the shared config or credentials files"),
        "{err}"
    );
    assert!(err.contains("aws configure --profile NAME"), "{err}");
}

#[test]
fn unknown_region_is_refused_with_the_nearest_code_not_the_whole_list() {
    let out = common::program()
        .env("AWS_ACCESS_KEY_ID", common::TEST_ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", common::TEST_SECRET_KEY)
        .args(["--region", "us-eats-1", "discover"])
        .output()
        .expect("runs");
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("error: unknown AWS region 'us-eats-1'"),
        "{err}"
    );
    assert!(err.contains("Did you mean us-east-1?"), "{err}");
    assert!(
        !err.contains("Valid regions") && !err.contains("eu-central-1"),
        "one suggestion, not the list of every region: {err}"
    );
}

#[test]
fn a_region_nothing_resembles_gets_examples_not_the_list() {
    let out = common::program()
        .env("AWS_ACCESS_KEY_ID", common::TEST_ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", common::TEST_SECRET_KEY)
        .args(["--region", "mars-north-9", "discover"])
        .output()
        .expect("runs");
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("such as us-east-1"), "{err}");
    assert!(!err.contains("eu-central-1"), "{err}");
}

#[test]
fn missing_region_says_where_to_set_one() {
    let out = common::program()
        .env("AWS_ACCESS_KEY_ID", common::TEST_ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", common::TEST_SECRET_KEY)
        .args(["discover"])
        .output()
        .expect("runs");
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("error: no AWS region is set"), "{err}");
    assert!(
        err.contains("--region") && err.contains("AWS_REGION"),
        "{err}"
    );
}

#[test]
fn malformed_vpc_id_is_refused_before_any_call() {
    // An unreachable endpoint proves no call is attempted: it would fail differently.
    let out = common::program_against("http://127.0.0.1:9", "eu-central-1")
        .args(["discover", "--vpc", "my-vpc"])
        .output()
        .expect("runs");
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("error: 'my-vpc' is not a VPC id."), "{err}");
}

#[test]
fn unknown_vpc_says_it_does_not_exist() {
    let Some(moto) = common::moto() else { return };
    let out = common::program_against(&moto, "eu-central-1")
        .args(["discover", "--vpc", "vpc-0123456789abcdef0"])
        .output()
        .expect("runs");
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("error: VPC vpc-0123456789abcdef0 does not exist in account 123456789012 in eu-central-1."),
        "{err}"
    );
    assert!(err.contains("prefect-tui discover"), "{err}");
}

#[test]
fn unreachable_endpoint_is_a_failure_not_bad_input() {
    let out = common::program_against("http://127.0.0.1:9", "eu-central-1")
        .args(["discover"])
        .output()
        .expect("runs");
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("could not reach AWS for"), "{err}");
    assert!(err.contains("Connection refused"), "{err}");
    assert!(err.contains("--endpoint-url"), "{err}");
}

#[test]
fn unknown_flags_are_usage_errors() {
    let out = common::program()
        .args(["discover", "--colour"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("--colour"));
}

#[test]
fn denied_describe_call_names_the_action() {
    // The harness's second moto server enforces IAM: its user "denied" may call every
    // ec2:Describe* except ec2:DescribeRouteTables.
    let Some(auth_moto) = common::emulator("PREFECT_TUI_TEST_MOTO_AUTH_URL") else {
        return;
    };
    let (Ok(key), Ok(secret)) = (
        std::env::var("PREFECT_TUI_TEST_DENIED_ACCESS_KEY_ID"),
        std::env::var("PREFECT_TUI_TEST_DENIED_SECRET_ACCESS_KEY"),
    ) else {
        panic!("the harness exports the denied user's keys with the auth server's address");
    };
    let out = common::program()
        .env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .args([
            "--endpoint-url",
            &auth_moto,
            "--region",
            "us-east-1",
            "discover",
        ])
        .output()
        .expect("runs");
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("error: AWS denied ec2:DescribeRouteTables"),
        "{err}"
    );
    assert!(err.contains("allow `ec2:DescribeRouteTables`"), "{err}");
    assert!(out.stdout.is_empty(), "nothing half-printed on stdout");
}
