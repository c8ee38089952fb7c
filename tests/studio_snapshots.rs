//! Every pane and screen of the studio in its main states, drawn to
//! ratatui's `TestBackend` and compared with the snapshots in
//! tests/snapshots/. Times of day are filtered (they depend on the zone).

mod studio_support;

use ratatui::crossterm::event::KeyCode;
use studio_support::*;
use tintype::app::gallery::GallerySource;
use tintype::app::msg::CostData;
use tintype::app::{Msg, Screen};
use tintype::engine::JobEvent;
use tintype::providers::{ErrorClass, ProviderError};
use tintype::store::{
    CostReport, CostRow, DaySpend, GroupBy, HistoryRow, JobId, JobStats, Mark, RequestId,
};

fn snap(name: &str, screen: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\d\d-\d\d \d\d:\d\d", "[mm-dd hh:mm]");
    settings.bind(|| insta::assert_snapshot!(name, screen));
}

#[test]
fn studio_as_it_opens() {
    let mut state = state("sandbox/procedural");
    snap("studio_open", &render(&mut state, 100, 30));
}

#[test]
fn studio_at_the_smallest_size_and_below() {
    let mut state = state("openai/dall-e-3");
    type_text(&mut state, "a lighthouse at dusk, watercolour");
    snap("studio_80x24", &render(&mut state, 80, 24));
    snap("too_small", &render(&mut state, 70, 20));
}

#[test]
fn prompt_over_the_limit() {
    let mut state = state("openai/dall-e-2");
    state.prompt.set_text(&"fox ".repeat(251));
    state.revalidate();
    snap("prompt_over_limit", &render(&mut state, 100, 30));
}

#[test]
fn prompt_with_a_negative_prompt_and_preset_variables() {
    let mut state = state("stability/stable-image-core");
    state
        .prompt
        .set_text("studio photo of {subject} on {surface}");
    state.prompt.set_negative("blurry, text");
    state.revalidate();
    snap("prompt_negative", &render(&mut state, 100, 30));
}

#[test]
fn params_with_a_disabled_value_and_its_reason() {
    let mut state = state("openai/gpt-image-1");
    type_text(&mut state, "a sticker of a fox");
    let row = |name: &str| state_row(&state, name);
    let background = row("background");
    let format = row("output_format");
    state.form.set_text(background, "transparent").unwrap();
    press(&mut state, KeyCode::Tab);
    state.form.selected = format + tintype::app::form::FIRST_PARAM_ROW;
    state.revalidate();
    snap(
        "params_transparent_disables_jpeg",
        &render(&mut state, 120, 34),
    );
}

fn state_row(state: &tintype::app::State, name: &str) -> usize {
    state
        .form
        .fields
        .iter()
        .position(|f| f.name == name)
        .unwrap()
}

#[test]
fn params_for_dall_e_3_with_spend_and_budget() {
    let mut state = state("openai/dall-e-3");
    type_text(&mut state, "a red fox");
    state.update(Msg::Spend {
        today: tintype::money::Micros(1_240_000),
        month: tintype::money::Micros(18_500_000),
    });
    state.spend.caps.daily = Some(tintype::money::Micros(5_000_000));
    press(&mut state, KeyCode::Tab);
    state.form.selected = tintype::app::form::N_ROW;
    snap("params_dall_e_3", &render(&mut state, 100, 30));
}

fn add_jobs_in_every_state(state: &mut tintype::app::State) {
    add_job(state, 1, 1, "sandbox/procedural", "a lighthouse at dusk");
    event(
        state,
        JobEvent::Started {
            job: JobId(1),
            attempt: 1,
        },
    );
    state.now_ms += 2_400;
    succeed(state, 1, 0, 2_400);
    add_job(state, 2, 2, "openai/dall-e-3", "a red fox in the snow");
    event(
        state,
        JobEvent::Started {
            job: JobId(2),
            attempt: 1,
        },
    );
    event(
        state,
        JobEvent::Failed {
            job: JobId(2),
            error: ProviderError::new(
                ErrorClass::Moderation,
                "Your request was rejected by the safety system",
            ),
        },
    );
    add_job(
        state,
        3,
        3,
        "replicate/black-forest-labs/flux-schnell",
        "isometric city",
    );
    event(
        state,
        JobEvent::Started {
            job: JobId(3),
            attempt: 1,
        },
    );
    event(
        state,
        JobEvent::Retrying {
            job: JobId(3),
            attempt: 2,
            wait: std::time::Duration::from_secs(8),
            reason: "429 rate limited".into(),
        },
    );
    state.now_ms += 12_000;
    add_job(
        state,
        4,
        4,
        "stability/stable-image-core",
        "a brass compass",
    );
}

#[test]
fn jobs_in_every_state() {
    let mut state = state("sandbox/procedural");
    add_jobs_in_every_state(&mut state);
    press(&mut state, KeyCode::Tab);
    press(&mut state, KeyCode::Tab);
    snap("jobs", &render(&mut state, 110, 30));
}

#[test]
fn gallery_with_marks_and_a_filter() {
    let mut state = state("sandbox/procedural");
    add_job(&mut state, 1, 1, "sandbox/procedural", "fox");
    let mut images: Vec<_> = (1..=5).map(|i| image(i, 1, 1)).collect();
    images[0].mark = Mark::Keep;
    images[1].mark = Mark::Reject;
    images[2].starred = true;
    images[2].rating = Some(4);
    images[3].revised_prompt = Some("A red fox \x1b[31mresting\x1b[0m in snow".into());
    state.update(Msg::Images {
        source: GallerySource::Request(RequestId(1)),
        images,
    });
    for _ in 0..3 {
        press(&mut state, KeyCode::Tab);
    }
    press(&mut state, KeyCode::Char('l'));
    press(&mut state, KeyCode::Char('l'));
    press(&mut state, KeyCode::Char('l'));
    snap("gallery", &render(&mut state, 120, 34));
    press(&mut state, KeyCode::Char('f'));
    snap("gallery_kept", &render(&mut state, 120, 34));
}

fn history_row(id: i64, model: &str, prompt: &str, status: &str) -> HistoryRow {
    HistoryRow {
        id: RequestId(id),
        created_at: NOW_MS - id * 3_600_000,
        model: model.into(),
        provider: model.split('/').next().unwrap().into(),
        operation: "generate".into(),
        prompt: prompt.into(),
        negative_prompt: None,
        status: status.into(),
        n: 1,
        seed: Some(7),
        images: vec![],
        estimated_cost_micros: 40_000,
        actual_cost_micros: Some(40_000),
        batch_id: None,
        params_json: r#"{"quality":"hd"}"#.into(),
        starred: u32::from(id == 2),
        kept: 1,
    }
}

#[test]
fn history_with_a_search() {
    let mut state = state("sandbox/procedural");
    press(&mut state, KeyCode::Esc);
    let effects = press(&mut state, KeyCode::Char('/'));
    let generation = match effects.as_slice() {
        [tintype::app::Effect::QueryHistory { generation, .. }] => *generation,
        other => panic!("{other:?}"),
    };
    let _ = generation;
    type_text(&mut state, "fox model:openai/dall-e-3");
    let rows = vec![
        history_row(3, "openai/dall-e-3", "a red fox in the snow", "succeeded"),
        history_row(
            2,
            "openai/dall-e-3",
            "fox cub \x1b[5mblinking\x1b[0m, watercolour",
            "succeeded",
        ),
        history_row(1, "openai/dall-e-3", "two foxes", "failed"),
    ];
    let generation = state.history.generation;
    state.update(Msg::History {
        generation,
        rows: Ok(rows),
    });
    press(&mut state, KeyCode::Enter);
    press(&mut state, KeyCode::Char('j'));
    snap("history", &render(&mut state, 110, 30));
}

#[test]
fn cost_by_model_with_the_30_day_chart() {
    let mut state = state("sandbox/procedural");
    press(&mut state, KeyCode::Esc);
    press(&mut state, KeyCode::Char(']'));
    press(&mut state, KeyCode::Char(']'));
    assert_eq!(state.screen, Screen::Cost);
    let daily = (0..30)
        .map(|d| DaySpend {
            day: format!(
                "2026-{:02}-{:02}",
                if d < 9 { 10 } else { 11 },
                if d < 9 { 23 + d } else { d - 8 }
            ),
            estimated_micros: (d * 37 % 11) * 100_000,
            actual_micros: (d * 37 % 11) * 95_000,
            calls: d,
        })
        .collect();
    let row = |key: &str, est: i64, act: i64| CostRow {
        key: key.into(),
        requests: est / 40_000,
        images: est / 40_000,
        estimated_cost_micros: est,
        actual_cost_micros: act,
        without_actual: 1,
    };
    let rows = vec![
        row("openai/dall-e-3", 3_200_000, 3_120_000),
        row("replicate/flux-schnell", 450_000, 431_000),
    ];
    let total = row("total", 3_650_000, 3_551_000);
    state.update(Msg::Cost(Box::new(CostData {
        group: Some(GroupBy::Model),
        report: Some(CostReport { rows, total }),
        daily,
        stats: JobStats {
            finished: 120,
            succeeded: 114,
            failed: 5,
            canceled: 1,
            median_latency_ms: Some(8_400),
        },
        error: None,
    })));
    state.cost.group = GroupBy::Model;
    snap("cost", &render(&mut state, 110, 32));
}

#[test]
fn compare_with_results() {
    let mut state = state("sandbox/procedural");
    press(&mut state, KeyCode::Esc);
    press(&mut state, KeyCode::Char('['));
    assert_eq!(state.screen, Screen::Compare);
    state.compare.checked.insert("sandbox/procedural".into());
    state.compare.checked.insert("openai/gpt-image-1".into());
    state.update(Msg::Submitted {
        jobs: vec![
            (
                JobId(1),
                tintype::app::jobs::JobMeta {
                    batch: Some(RequestId(1)),
                    ..meta(1, "sandbox/procedural", "fox")
                },
            ),
            (
                JobId(2),
                tintype::app::jobs::JobMeta {
                    batch: Some(RequestId(1)),
                    ..meta(2, "openai/gpt-image-1", "fox")
                },
            ),
        ],
        batch: Some(RequestId(1)),
        compare: true,
    });
    event(
        &mut state,
        JobEvent::Started {
            job: JobId(1),
            attempt: 1,
        },
    );
    succeed(&mut state, 1, 0, 1_200);
    event(
        &mut state,
        JobEvent::Started {
            job: JobId(2),
            attempt: 1,
        },
    );
    snap("compare", &render(&mut state, 110, 30));
}

#[test]
fn overlays_help_confirm_presets() {
    let mut state = state("sandbox/procedural");
    press(&mut state, KeyCode::Tab);
    press(&mut state, KeyCode::Tab);
    press(&mut state, KeyCode::Char('?'));
    snap("help_jobs", &render(&mut state, 110, 40));
    press(&mut state, KeyCode::Esc);
    tintype::app::State::act(&mut state, tintype::app::Action::Presets);
    type_text(&mut state, "wat");
    snap("presets_picker", &render(&mut state, 110, 30));
    press(&mut state, KeyCode::Esc);
    add_job(&mut state, 1, 1, "sandbox/procedural", "fox");
    press(&mut state, KeyCode::Char('q'));
    snap("confirm_quit", &render(&mut state, 100, 30));
}
