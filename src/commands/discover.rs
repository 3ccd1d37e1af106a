//! `prefect-tui discover`: the account's VPCs and subnets with the egress verdict.

use std::fmt::Write as _;
use std::io::IsTerminal;

use crate::aws::AwsContext;
use crate::cli::{DiscoverArgs, GlobalArgs, OutputFormat};
use crate::network::{DiscoveryReport, Egress};

use super::{CommandError, print_out};

pub async fn run(global: &GlobalArgs, args: &DiscoverArgs) -> Result<(), CommandError> {
    if let Some(vpc) = &args.vpc {
        check_vpc_id(vpc)?;
    }
    let aws = AwsContext::load(&global.aws_settings()).await?;
    let (identity, snapshot) =
        tokio::try_join!(aws.identity(), aws.network_snapshot(args.vpc.as_deref()))?;
    if let Some(vpc) = &args.vpc
        && snapshot.vpcs.is_empty()
    {
        return Err(CommandError::bad_input(
            format!(
                "VPC {vpc} does not exist in account {} in {}.",
                identity.account, aws.region
            ),
            "Run `prefect-tui discover` without --vpc to list the VPCs, or check --region.",
        ));
    }
    tracing::debug!(calls = ?aws.calls.snapshot(), "discovery finished");

    let report = DiscoveryReport::build(&identity.account, &snapshot);
    let text = match args.output {
        OutputFormat::Json => {
            let mut json = serde_json::to_string_pretty(&report)
                .map_err(|e| CommandError::Output(std::io::Error::other(e)))?;
            json.push('\n');
            json
        }
        OutputFormat::Table => render_table(&report, use_colour()),
    };
    print_out(&text)
}

fn check_vpc_id(vpc: &str) -> Result<(), CommandError> {
    let well_formed = vpc
        .strip_prefix("vpc-")
        .is_some_and(|hex| !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()));
    if well_formed {
        Ok(())
    } else {
        Err(CommandError::bad_input(
            format!("'{vpc}' is not a VPC id."),
            "VPC ids look like vpc-0abc1234def567890; `prefect-tui discover` lists them.",
        ))
    }
}

fn use_colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// The report as a table for people: one block per VPC, one row per subnet with the
/// verdict as a word (coloured too on a terminal, never colour alone) and its reason below.
pub fn render_table(report: &DiscoveryReport, colour: bool) -> String {
    let mut out = String::new();
    let vpc_word = if report.vpcs.len() == 1 {
        "VPC"
    } else {
        "VPCs"
    };
    let _ = writeln!(
        out,
        "Account {}  region {}  {} {vpc_word}",
        report.account,
        report.region,
        report.vpcs.len()
    );
    for vpc in &report.vpcs {
        out.push('\n');
        let name = vpc
            .name
            .as_deref()
            .map(|n| format!(" \"{n}\""))
            .unwrap_or_default();
        let default = if vpc.is_default { " (default VPC)" } else { "" };
        let _ = writeln!(out, "VPC {}{name}  {}{default}", vpc.id, vpc.cidr);
        if vpc.subnets.is_empty() {
            let _ = writeln!(
                out,
                "  no subnets: a worker cannot run here until you add some"
            );
            continue;
        }
        if vpc.recommended_subnets.is_empty() {
            let _ = writeln!(out, "  recommended: none (no subnet here can run a worker)");
        } else {
            let _ = writeln!(
                out,
                "  recommended (*): {}",
                vpc.recommended_subnets.join(", ")
            );
        }
        let id_w = column_width(vpc.subnets.iter().map(|s| s.id.len()), "SUBNET");
        let name_w = column_width(
            vpc.subnets
                .iter()
                .map(|s| s.name.as_deref().unwrap_or("-").len()),
            "NAME",
        );
        let az_w = column_width(vpc.subnets.iter().map(|s| s.az.len()), "AZ");
        let cidr_w = column_width(vpc.subnets.iter().map(|s| s.cidr.len()), "CIDR");
        let _ = writeln!(
            out,
            "    {:id_w$}  {:name_w$}  {:az_w$}  {:cidr_w$}  {:>8}  EGRESS",
            "SUBNET", "NAME", "AZ", "CIDR", "FREE IPS"
        );
        for subnet in &vpc.subnets {
            let mark = if vpc.recommended_subnets.contains(&subnet.id) {
                '*'
            } else {
                ' '
            };
            let _ = writeln!(
                out,
                "  {mark} {:id_w$}  {:name_w$}  {:az_w$}  {:cidr_w$}  {:>8}  {}",
                subnet.id,
                subnet.name.as_deref().unwrap_or("-"),
                subnet.az,
                subnet.cidr,
                subnet.available_ips,
                paint(subnet.egress, colour),
            );
            let _ = writeln!(out, "      {}", subnet.reason);
        }
    }
    out
}

fn column_width(lengths: impl Iterator<Item = usize>, header: &str) -> usize {
    lengths.max().unwrap_or(0).max(header.len())
}

fn paint(egress: Egress, colour: bool) -> String {
    if !colour {
        return egress.as_str().to_owned();
    }
    let code = match egress {
        Egress::Public | Egress::Nat => "32",
        Egress::Endpoints => "33",
        Egress::Isolated => "31",
    };
    format!("\x1b[{code}m{egress}\x1b[0m")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{SubnetReport, VpcReport};

    fn report() -> DiscoveryReport {
        DiscoveryReport {
            account: "123456789012".into(),
            region: "eu-west-1".into(),
            vpcs: vec![
                VpcReport {
                    id: "vpc-1".into(),
                    name: Some("main".into()),
                    cidr: "10.0.0.0/16".into(),
                    is_default: false,
                    recommended_subnets: vec!["subnet-a".into()],
                    subnets: vec![
                        SubnetReport {
                            id: "subnet-a".into(),
                            name: Some("private-a".into()),
                            az: "eu-west-1a".into(),
                            cidr: "10.0.1.0/24".into(),
                            available_ips: 251,
                            egress: Egress::Nat,
                            reason: "NAT reason.".into(),
                        },
                        SubnetReport {
                            id: "subnet-b".into(),
                            name: None,
                            az: "eu-west-1b".into(),
                            cidr: "10.0.2.0/24".into(),
                            available_ips: 0,
                            egress: Egress::Isolated,
                            reason: "Isolated reason.".into(),
                        },
                    ],
                },
                VpcReport {
                    id: "vpc-2".into(),
                    name: None,
                    cidr: "172.31.0.0/16".into(),
                    is_default: true,
                    recommended_subnets: vec![],
                    subnets: vec![],
                },
            ],
        }
    }

    #[test]
    fn table_marks_recommended_subnets_and_spells_out_verdicts() {
        let text = render_table(&report(), false);
        let expected = "\
Account 123456789012  region eu-west-1  2 VPCs

VPC vpc-1 \"main\"  10.0.0.0/16
  recommended (*): subnet-a
    SUBNET    NAME       AZ          CIDR         FREE IPS  EGRESS
  * subnet-a  private-a  eu-west-1a  10.0.1.0/24       251  nat
      NAT reason.
    subnet-b  -          eu-west-1b  10.0.2.0/24         0  isolated
      Isolated reason.

VPC vpc-2  172.31.0.0/16 (default VPC)
  no subnets: a worker cannot run here until you add some
";
        assert_eq!(text, expected);
    }

    #[test]
    fn colour_never_replaces_the_word() {
        let text = render_table(&report(), true);
        assert!(text.contains("\x1b[31misolated\x1b[0m"));
        assert!(text.contains("\x1b[32mnat\x1b[0m"));
    }

    #[test]
    fn vpc_ids_are_checked_before_any_call() {
        assert!(check_vpc_id("vpc-0abc123").is_ok());
        for bad in ["vpc-", "subnet-0abc", "vpc-xyz", "0abc"] {
            let err = check_vpc_id(bad).err();
            assert!(matches!(err, Some(CommandError::BadInput { .. })), "{bad}");
        }
    }
}
