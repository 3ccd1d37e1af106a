//! The keys that work on the screen now, for the bottom line and the help overlay. Kept
//! beside `steps` (which handles the same keys) and apart from the drawing, which only
//! decides how many of them fit.

use super::app::{Step, WizardApp};
use super::forms::{ApplyPhase, Pane};

/// One key in the footer: the key, what it does, and fewer words for a narrow terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FooterKey {
    pub key: &'static str,
    pub what: &'static str,
    pub short: &'static str,
}

const fn k(key: &'static str, what: &'static str, short: &'static str) -> FooterKey {
    FooterKey { key, what, short }
}

impl WizardApp {
    /// Which part of the screen takes ↑/↓ where a step has more than one.
    pub fn focus_label(&self) -> Option<&'static str> {
        match self.step {
            Step::Network if self.network.report.is_some() => Some(match self.network.pane {
                Pane::Vpcs => "VPCs",
                Pane::Subnets => "subnets",
            }),
            _ => None,
        }
    }

    /// The keys that work on this screen, most used first; help and quit always last.
    pub fn footer(&self) -> Vec<FooterKey> {
        let help = if self.typing() { "F1" } else { "?" };
        let mut keys = match self.step {
            Step::Aws => vec![
                k("Tab", "next field", "next"),
                k("←/→", "change", "change"),
                k("Enter", "check / continue", "check"),
            ],
            Step::Prefect if self.prefect.workspaces.is_some() => vec![
                k("↑/↓", "choose", "choose"),
                k("Enter", "use workspace", "use"),
                k("Esc", "back", "back"),
            ],
            Step::Prefect if self.prefect.unreachable.is_some() => vec![
                k("Enter", "go on without the check", "go on unchecked"),
                k("Tab", "next field", "next"),
                k("Esc", "back", "back"),
            ],
            Step::Prefect => vec![
                k("Tab", "next field", "next"),
                k("←/→", "change", "change"),
                k("Enter", "check / continue", "check"),
                k("Ctrl-R", "show/hide key", "show key"),
                k("Esc", "back", "back"),
            ],
            Step::Network if self.network.create.is_some() => vec![
                k("Enter", "continue with the new network", "next"),
                k("n", "next shape / existing VPC", "shape"),
                k("Esc", "back", "back"),
            ],
            Step::Network if self.network.pane == Pane::Vpcs => vec![
                k("Tab/Enter", "to the subnets", "to subnets"),
                k("↑/↓", "choose VPC", "VPC"),
                k("r", "rediscover", "reread"),
                k("n", "make a network", "new net"),
                k("Esc", "back", "back"),
            ],
            Step::Network => vec![
                k("Space", "choose subnet", "pick"),
                k("Enter", "continue", "next"),
                k("Tab", "to the VPCs", "to VPCs"),
                k("↑/↓", "move", "move"),
                k("Esc", "back", "back"),
                k("r", "rediscover", "reread"),
                k("n", "make a network", "new net"),
            ],
            Step::Worker => vec![
                k("Tab", "next field", "next"),
                k("←/→", "change size", "size"),
                k("Enter", "plan", "plan"),
                k("Ctrl-N", "next pool", "pool"),
                k("Esc", "back", "back"),
            ],
            Step::Review => vec![
                k("Enter", "save & deploy", "deploy"),
                k("↑/↓", "scroll", "scroll"),
                k("Ctrl-T", "plan/documents", "documents"),
                k("Ctrl-E", "customize", "customize"),
                k("Esc", "back", "back"),
            ],
            Step::Apply => match &self.apply.phase {
                ApplyPhase::Failed { .. } => vec![
                    k("r", "retry (resume)", "retry"),
                    k("q", "leave as it is", "leave"),
                    k("Esc", "back", "back"),
                ],
                ApplyPhase::Online(_) => vec![
                    k("v", "verify: run one flow run on the stack", "verify"),
                    k("Enter", "open the monitor", "monitor"),
                ],
                ApplyPhase::Unchecked(_) => {
                    vec![k("Enter", "open the monitor", "monitor")]
                }
                _ => vec![],
            },
        };
        keys.push(k(help, "help", "help"));
        keys.push(k("Ctrl-C", "quit", "quit"));
        keys
    }
}
