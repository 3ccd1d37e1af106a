//! Each step's keys: what Tab, ←/→, Space and Enter do on that step's form, and the work
//! Enter starts. Keys depend on the focused field (a text field takes typed characters),
//! so they are handled per step rather than from one table; `footer` lists the same
//! keys per step for the bottom line and the help overlay.

use crate::profile::NetworkShape;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{Exit, Step, WizardApp, Work};
use super::checks::{
    self, Answers, PrefectKind, Problem, check_credential, check_prefect_url, check_region,
    check_subnets,
};
use super::forms::{ApplyPhase, ApplyView, Pane, PrefectField, VerifyView, WorkerField};
use crate::aws::AwsSettings;
use crate::prefect::PrefectAuth;
use crate::profile::Credential;

impl WizardApp {
    /// Moves focus for Tab, Shift-Tab, ↑ and ↓; true when it did.
    pub(super) fn move_focus(focus: &mut usize, count: usize, key: &KeyEvent) -> bool {
        match key.code {
            KeyCode::Tab | KeyCode::Down => *focus = (*focus + 1) % count,
            KeyCode::BackTab | KeyCode::Up => *focus = (*focus + count - 1) % count,
            _ => return false,
        }
        true
    }

    pub(super) fn key_aws(&mut self, key: KeyEvent) -> Option<Work> {
        if Self::move_focus(&mut self.aws.focus, 2, &key) {
            return None;
        }
        if key.code == KeyCode::Enter {
            if self.aws.identity.is_some() {
                return self.enter(Step::Prefect);
            }
            let region = match check_region(&self.aws.region.value) {
                Ok(r) => r,
                Err(p) => {
                    self.aws.focus = 1;
                    self.fail(p);
                    return None;
                }
            };
            let settings = AwsSettings {
                profile: self.aws.chosen_profile(),
                region: Some(region),
                endpoint_url: self.endpoint_url.clone(),
            };
            return self.start("Checking the AWS credentials…", Work::Identity(settings));
        }
        let changed = if self.aws.focus == 0 {
            match key.code {
                KeyCode::Left => self.aws.profile.step(false),
                KeyCode::Right | KeyCode::Char(' ') => self.aws.profile.step(true),
                _ => false,
            }
        } else {
            self.aws.region.edit(&key)
        };
        if changed {
            self.edited();
        }
        None
    }

    pub(super) fn key_prefect(&mut self, key: KeyEvent) -> Option<Work> {
        if let Some(list) = &self.prefect.workspaces {
            let n = list.len().max(1);
            match key.code {
                KeyCode::Down => {
                    self.prefect.workspace_cursor = (self.prefect.workspace_cursor + 1) % n
                }
                KeyCode::Up => {
                    self.prefect.workspace_cursor = (self.prefect.workspace_cursor + n - 1) % n
                }
                KeyCode::Enter => {
                    if let Some(ws) = list.get(self.prefect.workspace_cursor).cloned() {
                        self.prefect.url.set(&ws.api_url());
                        self.prefect.workspaces = None;
                        return self.check_prefect();
                    }
                }
                _ => {}
            }
            return None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('r') {
            self.prefect.secret.revealed = !self.prefect.secret.revealed;
            return None;
        }
        let count = self.prefect.fields().len();
        if Self::move_focus(&mut self.prefect.focus, count, &key) {
            return None;
        }
        if key.code == KeyCode::Enter {
            if self.prefect.checked.is_some() && self.client.is_some() {
                return self.enter(Step::Network);
            }
            if self.prefect.unreachable.is_some() {
                // Confirmed after the warning: the deploy does the AWS part.
                return self.enter(Step::Network);
            }
            return self.check_prefect();
        }
        let changed = match self.prefect.focused() {
            PrefectField::Kind => match key.code {
                KeyCode::Left => self.prefect.kind.step(false),
                KeyCode::Right | KeyCode::Char(' ') => self.prefect.kind.step(true),
                _ => false,
            },
            PrefectField::Credential => match key.code {
                KeyCode::Left => self.prefect.credential.step(false),
                KeyCode::Right | KeyCode::Char(' ') => self.prefect.credential.step(true),
                _ => false,
            },
            PrefectField::Url => self.prefect.url.edit(&key),
            PrefectField::Secret => self.prefect.secret.edit(&key),
        };
        if changed {
            self.edited();
        }
        None
    }

    /// Checks what was typed, the URL first and then the credential, and starts the live
    /// check; a Cloud URL left empty asks for the workspaces the key reaches instead.
    pub(super) fn check_prefect(&mut self) -> Option<Work> {
        let kind = self.prefect.kind_value();
        let credential = self.prefect.credential_value();
        let listing = kind == PrefectKind::Cloud && self.prefect.url.value.trim().is_empty();
        let api = if listing {
            None
        } else {
            match check_prefect_url(kind, &self.prefect.url.value) {
                Ok(api) => Some(api),
                Err(p) => {
                    self.prefect.focus = 1;
                    self.fail(p);
                    return None;
                }
            }
        };
        let key = match check_credential(credential, &self.prefect.secret.value) {
            Ok(k) => k,
            Err(p) => {
                self.prefect.focus = self.prefect.fields().len() - 1;
                self.fail(p);
                return None;
            }
        };
        let Some(api) = api else {
            let key = key?;
            return self.start(
                "Listing the workspaces this key reaches…",
                Work::Workspaces(key),
            );
        };
        let auth = match (credential, key.clone()) {
            (Credential::ApiKey, Some(k)) => PrefectAuth::ApiKey(k),
            (Credential::AuthString, Some(k)) => PrefectAuth::AuthString(k),
            _ => PrefectAuth::None,
        };
        self.key = key;
        self.start(
            &format!("Checking {}…", api.api_url()),
            Work::CheckPrefect {
                api_url: api.api_url(),
                auth,
            },
        )
    }

    pub(super) fn key_network(&mut self, key: KeyEvent) -> Option<Work> {
        let Some(report) = &self.network.report else {
            if key.code == KeyCode::Char('r') {
                return self.enter(Step::Network);
            }
            return None;
        };
        let vpcs = report.vpcs.len();
        let subnets = self
            .network
            .current_vpc()
            .map(|v| v.subnets.len())
            .unwrap_or(0);
        match (self.network.pane, key.code) {
            // A network of the stack's own: none, then each shape in turn.
            (_, KeyCode::Char('n')) => {
                self.network.create = next_shape(self.network.create);
                self.problem = None;
            }
            (_, KeyCode::Enter) if self.network.create.is_some() => {
                return self.enter(Step::Worker);
            }
            (_, KeyCode::Char('r')) => {
                self.network.report = None;
                return self.enter(Step::Network);
            }
            // A new VPC starts a new choice of subnets: refusals of the old one are gone.
            (Pane::Vpcs, KeyCode::Down) if vpcs > 0 => {
                self.network.select_vpc((self.network.vpc + 1) % vpcs);
                self.problem = None;
            }
            (Pane::Vpcs, KeyCode::Up) if vpcs > 0 => {
                self.network
                    .select_vpc((self.network.vpc + vpcs - 1) % vpcs);
                self.problem = None;
            }
            (Pane::Vpcs, KeyCode::Enter | KeyCode::Tab | KeyCode::Right) => {
                self.network.pane = Pane::Subnets
            }
            (Pane::Subnets, KeyCode::Tab | KeyCode::BackTab | KeyCode::Left) => {
                self.network.pane = Pane::Vpcs
            }
            // The reason under the list follows the cursor; a refusal that pointed at it
            // would now point at another subnet's reason.
            (Pane::Subnets, KeyCode::Down) if subnets > 0 => {
                self.network.cursor = (self.network.cursor + 1) % subnets;
                self.problem = None;
            }
            (Pane::Subnets, KeyCode::Up) if subnets > 0 => {
                self.network.cursor = (self.network.cursor + subnets - 1) % subnets;
                self.problem = None;
            }
            (Pane::Subnets, KeyCode::Char(' ')) => self.toggle_subnet(),
            (Pane::Subnets, KeyCode::Enter) => {
                let vpc = self.network.current_vpc()?;
                match check_subnets(vpc, &self.network.chosen) {
                    Ok(_) => return self.enter(Step::Worker),
                    Err(p) => self.fail(p),
                }
            }
            _ => {}
        }
        None
    }

    pub(super) fn toggle_subnet(&mut self) {
        if self.network.create.is_some() {
            return;
        }
        let Some(subnet) = self
            .network
            .current_vpc()
            .and_then(|v| v.subnets.get(self.network.cursor))
            .cloned()
        else {
            return;
        };
        if let Some(i) = self.network.chosen.iter().position(|id| *id == subnet.id) {
            self.network.chosen.remove(i);
            self.problem = None;
            return;
        }
        if !subnet.egress.can_run_worker() {
            self.problem = Some(Problem::new(
                format!(
                    "{} is {}: a worker there could not pull its image or read its secret (why: under the subnet list).",
                    subnet.id,
                    subnet.egress.as_str()
                ),
                "Choose a subnet marked public, nat or endpoints, or give this one a NAT gateway or the VPC endpoints first.",
            ));
            return;
        }
        self.network.chosen.push(subnet.id);
        self.problem = None;
    }

    pub(super) fn key_worker(&mut self, key: KeyEvent) -> Option<Work> {
        if Self::move_focus(&mut self.worker.focus, WorkerField::ALL.len(), &key) {
            return None;
        }
        if key.code == KeyCode::Enter {
            return self.prepare();
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let changed = match self.worker.focused() {
            WorkerField::Stack => self.worker.stack.edit(&key),
            WorkerField::Pool if ctrl && key.code == KeyCode::Char('n') => {
                let names: Vec<String> = self
                    .worker
                    .pools
                    .iter()
                    .flatten()
                    .filter(|(_, t)| t == "ecs")
                    .map(|(n, _)| n.clone())
                    .collect();
                if names.is_empty() {
                    false
                } else {
                    let next = names
                        .iter()
                        .position(|n| *n == self.worker.pool.value)
                        .map(|i| (i + 1) % names.len())
                        .unwrap_or(0);
                    self.worker.pool.set(&names[next]);
                    true
                }
            }
            WorkerField::Pool => self.worker.pool.edit(&key),
            WorkerField::Cpu => {
                let moved = match key.code {
                    KeyCode::Left => self.worker.cpu.step(false),
                    KeyCode::Right | KeyCode::Char(' ') => self.worker.cpu.step(true),
                    _ => false,
                };
                if moved {
                    self.worker.refresh_memory();
                }
                moved
            }
            WorkerField::Memory => match key.code {
                KeyCode::Left => self.worker.memory.step(false),
                KeyCode::Right | KeyCode::Char(' ') => self.worker.memory.step(true),
                _ => false,
            },
            WorkerField::Count => self.worker.count.edit(&key),
            WorkerField::Image => self.worker.image.edit(&key),
            WorkerField::Emails => self.worker.emails.edit(&key),
            WorkerField::ScaleMax => self.worker.scale_max.edit(&key),
            WorkerField::Spot => match key.code {
                KeyCode::Left | KeyCode::Right | KeyCode::Char(' ') => {
                    self.worker.spot = !self.worker.spot;
                    true
                }
                _ => false,
            },
        };
        if changed {
            self.edited();
        }
        None
    }

    /// The answers so far as a profile and spec.
    pub fn answers(&self) -> Answers {
        Answers {
            aws_profile: self.aws.chosen_profile(),
            region: self.aws.region.value.trim().to_owned(),
            prefect_url: self.prefect.url.value.trim().to_owned(),
            credential: self.prefect.credential_value(),
            vpc_id: match self.network.create {
                Some(_) => String::new(),
                None => self
                    .network
                    .current_vpc()
                    .map(|v| v.id.clone())
                    .unwrap_or_default(),
            },
            subnet_ids: if self.network.create.is_some() {
                Vec::new()
            } else {
                self.network.chosen.clone()
            },
            create_network: self.network.create,
            worker: self.worker.answers(),
            customizations: self.review.customizations.clone(),
        }
    }

    pub(super) fn prepare(&mut self) -> Option<Work> {
        let (profile, spec) = match checks::build_profile(&self.answers()) {
            Ok(built) => built,
            Err(p) => {
                self.fail(p);
                return None;
            }
        };
        let Some(aws) = self.ctx.clone() else {
            self.fail(Problem::new(
                "The AWS credentials are not checked yet.",
                "Go back to the first step (Esc) and press Enter there.",
            ));
            return None;
        };
        if self.review.profile_name.value.is_empty() {
            self.review.profile_name.set(&profile.stack);
        }
        self.built = Some((profile, spec.clone()));
        self.start(
            "Reading what exists and planning…",
            Work::Prepare {
                aws,
                spec: Box::new(spec),
                key: self.key.clone(),
            },
        )
    }

    pub(super) fn key_review(&mut self, key: KeyEvent) -> Option<Work> {
        match key.code {
            KeyCode::Enter => return self.start_apply(),
            KeyCode::Char('t') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.review.show_documents = !self.review.show_documents;
                self.review.scroll = 0;
            }
            KeyCode::Char('e') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                let text = checks::customizations_to_toml(&self.review.customizations);
                return self.start("Editing the customizations…", Work::Edit(text));
            }
            KeyCode::Up => self.review.scroll = self.review.scroll.saturating_sub(1),
            KeyCode::Down => {
                self.review.scroll = self.review_scroll_to(self.review.scroll.saturating_add(1))
            }
            KeyCode::PageUp => self.review.scroll = self.review.scroll.saturating_sub(10),
            KeyCode::PageDown => {
                self.review.scroll = self.review_scroll_to(self.review.scroll.saturating_add(10))
            }
            _ => {
                if self.review.profile_name.edit(&key) {
                    self.edited();
                }
            }
        }
        None
    }

    /// Scrolling stops where the last row of the text is at the bottom of the screen.
    fn review_scroll_to(&self, row: u16) -> u16 {
        row.min(super::ui::review_max_scroll(self))
    }

    pub(super) fn start_apply(&mut self) -> Option<Work> {
        let name = self.profile_name();
        if let Err(e) = crate::profile::check_profile_name(&name) {
            self.fail(Problem::new(
                e.to_string(),
                "Use letters, digits, '-' and '_'.",
            ));
            return None;
        }
        if self.saved_profiles.contains(&name) && !self.review.overwrite_ok {
            self.review.overwrite_ok = true;
            self.fail(Problem::new(
                format!("A profile named {name} is saved already."),
                "Press Enter again to replace it, or type another name.",
            ));
            return None;
        }
        let (Some(prepared), Some((profile, spec)), Some(aws)) =
            (self.prepared.clone(), self.built.clone(), self.ctx.clone())
        else {
            self.fail(Problem::new(
                "There is no plan yet.",
                "Go back to the Worker step (Esc) and press Enter to plan.",
            ));
            return None;
        };
        self.step = Step::Apply;
        self.apply = ApplyView::default();
        self.start(
            "Deploying…",
            Work::Apply {
                save: Some((name, Box::new(profile))),
                prepared: Some(prepared),
                aws,
                spec: Box::new(spec),
                key: self.key.clone(),
            },
        )
    }

    pub(super) fn key_apply(&mut self, key: KeyEvent) -> Option<Work> {
        match (&self.apply.phase, key.code) {
            (ApplyPhase::Failed { .. }, KeyCode::Char('r')) => {
                let (Some((_, spec)), Some(aws)) = (self.built.clone(), self.ctx.clone()) else {
                    return None;
                };
                self.apply = ApplyView::default();
                self.start(
                    "Deploying again: reading what exists…",
                    Work::Apply {
                        save: None,
                        prepared: None,
                        aws,
                        spec: Box::new(spec),
                        key: self.key.clone(),
                    },
                )
            }
            (ApplyPhase::Failed { existing, .. }, KeyCode::Char('q')) => {
                self.exit = Some(Exit::LeftAfterFailure(existing.clone()));
                None
            }
            (ApplyPhase::Online(_), KeyCode::Char('v'))
                if self
                    .apply
                    .verify
                    .as_ref()
                    .is_none_or(|v| v.result.is_some()) =>
            {
                let (Some((_, spec)), Some(aws)) = (self.built.clone(), self.ctx.clone()) else {
                    return None;
                };
                self.apply.verify = Some(VerifyView::default());
                self.start(
                    "Verifying: one flow run on the stack…",
                    Work::Verify {
                        aws,
                        spec: Box::new(spec),
                        key: self.key.clone(),
                    },
                )
            }
            (ApplyPhase::Online(_) | ApplyPhase::Unchecked(_), KeyCode::Enter) => {
                self.exit = Some(Exit::Monitor);
                None
            }
            _ => None,
        }
    }
}

/// The network choice after `current`: an existing VPC, then the three shapes.
fn next_shape(current: Option<NetworkShape>) -> Option<NetworkShape> {
    match current {
        None => Some(NetworkShape::Public),
        Some(NetworkShape::Public) => Some(NetworkShape::Nat),
        Some(NetworkShape::Nat) => Some(NetworkShape::Endpoints),
        Some(NetworkShape::Endpoints) => None,
    }
}
