//! How engine events and finished submissions change the studio: the job
//! list, the gallery of the job on show, partial previews, spend, and the
//! budget question before anything is sent.

use std::sync::Arc;

use super::effect::Effect;
use super::gallery::GallerySource;
use super::jobs::JobMeta;
use super::overlay::{Confirm, OnYes, Overlay};
use super::state::{Level, Partial, Screen, State};
use super::submit::Submission;
use crate::engine::JobEvent;
use crate::engine::budget::Verdict;
use crate::store::{JobId, RequestId};

impl State {
    pub(super) fn on_job(&mut self, event: &JobEvent) -> Vec<Effect> {
        let mut effects = Vec::new();
        if let JobEvent::Partial { job, preview, .. } = event {
            let seq = self.partials.get(job).map_or(0, |p| p.seq + 1);
            self.partials.insert(
                *job,
                Partial {
                    seq,
                    bytes: Arc::new(preview.bytes.clone()),
                },
            );
        }
        let job = self.jobs.apply(event, self.now_ms).clone();
        let source = match job.meta.batch {
            Some(batch) => GallerySource::Batch(batch),
            None => GallerySource::Request(job.meta.request),
        };
        match event {
            JobEvent::ImageSaved { .. }
                if (self.gallery.source == Some(source)
                    || self
                        .compare
                        .batch
                        .is_some_and(|b| job.meta.batch == Some(b))) =>
            {
                effects.push(Effect::LoadImages(source));
            }
            JobEvent::Succeeded { .. }
            | JobEvent::Failed { .. }
            | JobEvent::Canceled { .. }
            | JobEvent::Interrupted { .. } => {
                self.partials.remove(&job.id);
                effects.push(Effect::RefreshSpend);
                if self.screen == Screen::Cost {
                    effects.push(Effect::QueryCost(self.cost.group));
                }
                if let Some((class, message)) = &job.error {
                    self.say(
                        Level::Error,
                        format!(
                            "job {} ({}): {}: {message}",
                            job.id,
                            job.meta.model,
                            class.as_str()
                        ),
                    );
                }
            }
            _ => {}
        }
        effects
    }

    pub(super) fn on_submitted(
        &mut self,
        jobs: Vec<(JobId, JobMeta)>,
        batch: Option<RequestId>,
        compare: bool,
    ) -> Vec<Effect> {
        let count = jobs.len();
        let requests: Vec<RequestId> = {
            let mut r: Vec<RequestId> = jobs.iter().map(|(_, m)| m.request).collect();
            r.dedup();
            r
        };
        for (id, meta) in jobs {
            self.jobs
                .add(id, meta, crate::store::JobState::Queued, false);
        }
        self.jobs.select_newest();
        if compare {
            self.compare.batch = batch.or_else(|| requests.first().copied());
            self.compare.requests = requests;
            self.compare.images.clear();
            self.compare.cell = 0;
            self.compare.in_results = true;
        }
        if self
            .status
            .as_ref()
            .is_none_or(|(level, _)| *level != Level::Error)
        {
            self.say(
                Level::Info,
                format!("queued {count} job{}", if count == 1 { "" } else { "s" }),
            );
        }
        let mut effects = self.follow_selection();
        if let Some(batch) = self.compare.batch.filter(|_| compare) {
            effects.push(Effect::LoadImages(GallerySource::Batch(batch)));
        }
        effects.push(Effect::RefreshSpend);
        effects
    }

    /// Sends the submission, unless it passes a budget cap: then asks first.
    pub(super) fn confirm_budget(&mut self, submission: Submission) -> Vec<Effect> {
        match submission.verdict(self.spend.caps, self.spend.today, self.spend.month) {
            Verdict::Refuse(why) => {
                let why = why.replace("; pass --yes to go ahead anyway", "");
                self.overlay = Some(Overlay::Confirm(Confirm {
                    title: "Past the budget".into(),
                    lines: vec![
                        format!(
                            "{}: {} for {} image(s)",
                            submission.label,
                            submission.total(),
                            submission.images()
                        ),
                        why,
                        "Send it anyway? y sends, n or Esc keeps it here.".into(),
                    ],
                    yes: OnYes::Submit(submission),
                }));
                Vec::new()
            }
            Verdict::Warn(warning) => {
                self.say(Level::Warn, format!("{}: {warning}", submission.label));
                vec![Effect::Submit(submission)]
            }
            Verdict::Within => {
                self.say(
                    Level::Info,
                    format!(
                        "{}: sending, estimate {} ({})",
                        submission.label,
                        submission.total(),
                        submission.rule()
                    ),
                );
                vec![Effect::Submit(submission)]
            }
        }
    }
}
