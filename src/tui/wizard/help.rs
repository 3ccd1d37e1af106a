//! What `?` (or F1) shows on each step: what the step decides, what each choice means,
//! and what happens next.

use super::app::Step;

/// What `?` shows on each step.
pub fn help_text(step: Step) -> &'static [&'static str] {
    match step {
        Step::Aws => &[
            "Which AWS account and region the worker goes to.",
            "",
            "AWS profile: a profile from ~/.aws/config and ~/.aws/credentials, or the default",
            "chain (environment variables, AWS_PROFILE, SSO, instance metadata).",
            "Region: where the cluster, the worker and its logs live.",
            "",
            "Enter checks the credentials (STS GetCallerIdentity) and shows who they are;",
            "Enter again continues. Nothing is created before the Deploy step.",
        ],
        Step::Prefect => &[
            "Where the worker connects, and the credential it uses.",
            "",
            "Prefect Cloud: paste the workspace URL from your browser",
            "(https://app.prefect.cloud/account/.../workspace/...), or leave it empty to",
            "pick from the workspaces your API key reaches.",
            "Self-hosted: your server's API URL, and its API key or basic-auth string.",
            "",
            "The key is masked (Ctrl-R shows it) and is checked against the API at once.",
            "It is stored only in AWS Secrets Manager; never in the profile or on disk.",
            "A server that does not answer from here (one reachable only inside the VPC)",
            "can be passed after the warning with Enter again: the deploy then does the",
            "AWS part, and the pool and the worker are not checked from here.",
        ],
        Step::Network => &[
            "Where the worker runs. Each subnet has a verdict:",
            "  public     route to an internet gateway; tasks get a public IP",
            "  nat        default route through a NAT gateway",
            "  endpoints  VPC endpoints for ECR, Logs and Secrets Manager (no internet)",
            "  isolated   nothing: the task could not pull its image or read its secret",
            "",
            "Tab moves the focus between the VPCs and the subnets: the pane with the thick",
            "line and \"focus\" in its title takes ↑/↓, and the footer names it.",
            "The recommended subnets are chosen already. Space adds or removes one;",
            "an isolated subnet is refused with the reason.",
            "A worker behind endpoints only reaches a Prefect API inside the VPC.",
            "n makes a network for the stack instead (again: the next shape, then none):",
            "public (no NAT), nat (one NAT gateway) or endpoints (no internet), each with",
            "its monthly cost; it is made on deploy and removed by destroy.",
        ],
        Step::Worker => &[
            "The stack's name names and tags every resource (prefect-tui-<stack>-...).",
            "Work pool: an existing ECS pool (Ctrl-N cycles through them) or a new name;",
            "its defaults (network, roles, secret, logs) are filled so flow runs match.",
            "Size: cpu and memory, only valid Fargate pairs (1024 cpu = 1 vCPU).",
            "Workers: how many worker tasks run (one is enough for most pools).",
            "Enter reads what exists and shows the plan. Nothing is written yet.",
        ],
        Step::Review => &[
            "The plan: what will be created or changed, read from the account just now.",
            "Ctrl-T shows the task definition and service request as they will be sent.",
            "Ctrl-E opens $EDITOR on the customizations (RFC 6902 JSON Patch); they are",
            "checked when you save and the plan is made again.",
            "Type the profile name to save under; `prefect-tui deploy --profile NAME`",
            "repeats this deploy later with no questions.",
            "Enter saves the profile and deploys.",
        ],
        Step::Apply => &[
            "Each resource shows its state and how long it took.",
            "After AWS accepts everything, the deploy waits until the worker is online",
            "in Prefect, heartbeating.",
            "On a failure: r runs the deploy again and resumes where it stopped;",
            "q leaves everything as it is and lists what exists.",
            "Ctrl-C asks before leaving a deploy in progress.",
        ],
    }
}
