//! The studio's state without a terminal: keys and engine events in,
//! state and effects out.

mod studio_support;

use std::time::Duration;

use ratatui::crossterm::event::KeyCode;
use studio_support::*;
use tintype::app::form::{FIRST_PARAM_ROW, MODEL_ROW, N_ROW};
use tintype::app::gallery::{GallerySource, Review};
use tintype::app::overlay::{OnYes, Overlay};
use tintype::app::{Effect, Msg, Pane, Screen};
use tintype::catalog::ParamValue;
use tintype::engine::JobEvent;
use tintype::engine::budget::Caps;
use tintype::money::Micros;
use tintype::providers::{ErrorClass, ProviderError};
use tintype::store::{ImageId, JobId, JobState, Mark, RequestId};

fn field_row(state: &tintype::app::State, name: &str) -> usize {
    FIRST_PARAM_ROW
        + state
            .form
            .fields
            .iter()
            .position(|f| f.name == name)
            .unwrap()
}

#[test]
fn opens_typing_in_the_prompt_with_the_model_named() {
    let mut state = state("sandbox/procedural");
    assert_eq!((state.screen, state.focus), (Screen::Studio, Pane::Prompt));
    assert!(state.prompt.inserting);
    type_text(&mut state, "q is just a letter here");
    assert_eq!(state.prompt.text(), "q is just a letter here");
    assert!(!state.quitting);
    assert!(state.estimate.is_ok(), "{:?}", state.estimate);
}

#[test]
fn tab_and_shift_tab_move_focus_and_esc_leaves_insert_mode() {
    let mut state = state("sandbox/procedural");
    press(&mut state, KeyCode::Tab);
    assert_eq!(state.focus, Pane::Params);
    press(&mut state, KeyCode::Tab);
    press(&mut state, KeyCode::Tab);
    assert_eq!(state.focus, Pane::Gallery);
    press(&mut state, KeyCode::Tab);
    assert_eq!(state.focus, Pane::Prompt);
    assert!(state.prompt.inserting, "back in the prompt, ready to type");
    shift(&mut state, KeyCode::BackTab);
    assert_eq!(state.focus, Pane::Gallery);
    press(&mut state, KeyCode::Tab);
    press(&mut state, KeyCode::Esc);
    assert!(!state.prompt.inserting);
    // In normal mode `q` quits at once when nothing runs.
    let effects = press(&mut state, KeyCode::Char('q'));
    assert!(matches!(effects.as_slice(), [Effect::Quit]));
}

#[test]
fn quitting_with_running_jobs_asks_first() {
    let mut state = state("sandbox/procedural");
    add_job(&mut state, 1, 1, "sandbox/procedural", "fox");
    press(&mut state, KeyCode::Esc);
    let effects = press(&mut state, KeyCode::Char('q'));
    assert!(effects.is_empty());
    assert!(matches!(&state.overlay, Some(Overlay::Confirm(c)) if matches!(c.yes, OnYes::Quit)));
    press(&mut state, KeyCode::Char('n'));
    assert!(state.overlay.is_none() && !state.quitting);
    press(&mut state, KeyCode::Char('q'));
    let effects = press(&mut state, KeyCode::Char('y'));
    assert!(matches!(effects.as_slice(), [Effect::Quit]));
}

#[test]
fn dall_e_3_fixes_n_at_one_and_dall_e_2_takes_only_square_sizes() {
    let mut state = state("openai/dall-e-3");
    assert_eq!(state.form.n_max(), 1);
    assert!(
        state
            .form
            .n_fixed_reason()
            .unwrap()
            .contains("one image per request")
    );
    state.form.selected = N_ROW;
    state.form.step(true);
    assert_eq!(state.form.n, 1);

    let state = studio_support::state("openai/dall-e-2");
    let size = &state.form.fields[field_row(&state, "size") - FIRST_PARAM_ROW];
    assert!(
        size.help.as_deref().unwrap().contains("only square sizes"),
        "{:?}",
        size.help
    );
}

#[test]
fn transparent_background_disables_jpeg_with_the_reason() {
    let mut state = state("openai/gpt-image-1");
    let format_row = field_row(&state, "output_format");
    let background_row = field_row(&state, "background");
    let jpeg = ParamValue::text("jpeg");
    let format = state.form.fields[format_row - FIRST_PARAM_ROW].clone();
    assert_eq!(state.form.value_blocked(&format, &jpeg), None);
    state
        .form
        .set_text(background_row - FIRST_PARAM_ROW, "transparent")
        .unwrap();
    let why = state
        .form
        .value_blocked(&format, &jpeg)
        .expect("jpeg blocked");
    assert!(!why.is_empty());
    // Stepping through the formats never lands on jpeg.
    state.form.selected = format_row;
    for _ in 0..6 {
        state.form.step(true);
        let value = state.form.fields[format_row - FIRST_PARAM_ROW]
            .effective()
            .cloned();
        assert_ne!(value, Some(jpeg.clone()));
    }
}

#[test]
fn switching_model_keeps_what_applies_and_says_what_changed() {
    let mut state = state("openai/gpt-image-1");
    let size_row = field_row(&state, "size");
    state
        .form
        .set_text(size_row - FIRST_PARAM_ROW, "1536x1024")
        .unwrap();
    state
        .form
        .set_text(field_row(&state, "quality") - FIRST_PARAM_ROW, "high")
        .unwrap();
    state.form.n = 4;
    state.form.set_model("openai/dall-e-3");
    let notice = state.form.notice.clone().unwrap();
    assert!(notice.contains("n 4 → 1"), "{notice}");
    assert!(notice.contains("size 1536x1024"), "{notice}");
    assert_eq!(state.form.n, 1);
    // dall-e-3 has no quality `high`; gpt-image-2 does, and keeps it.
    let mut state = studio_support::state("openai/gpt-image-1");
    state
        .form
        .set_text(field_row(&state, "quality") - FIRST_PARAM_ROW, "high")
        .unwrap();
    state.form.set_model("openai/gpt-image-2");
    let quality = state
        .form
        .fields
        .iter()
        .find(|f| f.name == "quality")
        .unwrap();
    assert_eq!(quality.value, Some(ParamValue::text("high")));
}

#[test]
fn the_model_row_cycles_the_catalog_and_the_estimate_follows() {
    let mut state = state("openai/dall-e-3");
    type_text(&mut state, "a red fox");
    let before = state.estimate.clone().unwrap();
    assert!(before.micros > Micros::ZERO);
    press(&mut state, KeyCode::Tab);
    state.form.selected = MODEL_ROW;
    let model = state.form.model.id.clone();
    press(&mut state, KeyCode::Char('l'));
    assert_ne!(state.form.model.id, model);
    assert_ne!(
        state.estimate.as_ref().map(|c| c.rule.clone()).ok(),
        Some(before.rule)
    );
}

#[test]
fn a_prompt_over_the_limit_blocks_submit_with_the_reason() {
    let mut state = state("openai/dall-e-2");
    let limit = state.form.prompt_limit().unwrap();
    state.prompt.set_text(&"x".repeat(limit + 1));
    state.revalidate();
    assert!(state.estimate.is_err());
    let effects = ctrl(&mut state, 's');
    assert!(effects.is_empty());
    let (_, status) = state.status.clone().unwrap();
    assert!(
        status.contains("not sent") && status.contains("1000"),
        "{status}"
    );
}

#[test]
fn submit_sends_within_budget_and_asks_past_it() {
    let mut state = state("openai/dall-e-3");
    type_text(&mut state, "a red fox");
    let effects = ctrl(&mut state, 's');
    assert!(matches!(effects.as_slice(), [Effect::Submit(s)] if s.requests.len() == 1));

    state.spend.caps = Caps {
        daily: Some(Micros(50_000)),
        monthly: None,
    };
    state.spend.today = Micros(20_000);
    let effects = ctrl(&mut state, 's');
    assert!(effects.is_empty());
    assert!(
        matches!(&state.overlay, Some(Overlay::Confirm(c)) if matches!(c.yes, OnYes::Submit(_)))
    );
    let effects = press(&mut state, KeyCode::Char('y'));
    assert!(matches!(effects.as_slice(), [Effect::Submit(_)]));
}

#[test]
fn job_events_reduce_into_the_list_in_any_order() {
    let mut state = state("sandbox/procedural");
    // An event may come before the submission that made the job.
    event(
        &mut state,
        JobEvent::Started {
            job: JobId(7),
            attempt: 1,
        },
    );
    assert_eq!(job_state(&state, 7), JobState::Running);
    add_job(&mut state, 7, 3, "openai/dall-e-3", "fox");
    let job = state.jobs.get(JobId(7)).unwrap();
    assert_eq!(
        (job.meta.model.as_str(), job.state),
        ("openai/dall-e-3", JobState::Running)
    );
    event(
        &mut state,
        JobEvent::Retrying {
            job: JobId(7),
            attempt: 2,
            wait: Duration::from_secs(4),
            reason: "429 \x1b[31mslow down".into(),
        },
    );
    let job = state.jobs.get(JobId(7)).unwrap();
    assert_eq!(job.attempts, 2);
    assert_eq!(
        job.last_retry.as_deref(),
        Some("429 slow down"),
        "control sequences stripped"
    );
    let effects = event(
        &mut state,
        JobEvent::ImageSaved {
            job: JobId(7),
            path: "/tmp/a.png".into(),
            width: 1024,
            height: 1024,
            seed: None,
        },
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadImages(GallerySource::Request(RequestId(3)))))
    );
    state.now_ms += 5_000;
    succeed(&mut state, 7, 40_000, 3_000);
    let job = state.jobs.get(JobId(7)).unwrap();
    assert_eq!(job.state, JobState::Succeeded);
    assert_eq!(job.actual, Some(Micros(40_000)));
    assert_eq!(job.elapsed_ms(state.now_ms), Some(3_000));
}

#[test]
fn an_unknown_outcome_asks_before_sending_again_and_can_be_dropped() {
    let mut state = state("sandbox/procedural");
    add_job(&mut state, 1, 1, "openai/dall-e-3", "fox");
    event(
        &mut state,
        JobEvent::Failed {
            job: JobId(1),
            error: ProviderError::new(ErrorClass::UnknownOutcome, "connection reset after sending"),
        },
    );
    press(&mut state, KeyCode::Tab);
    press(&mut state, KeyCode::Tab);
    assert_eq!(state.focus, Pane::Jobs);
    let effects = press(&mut state, KeyCode::Char('r'));
    assert!(effects.is_empty());
    assert!(
        matches!(&state.overlay, Some(Overlay::Confirm(c)) if matches!(c.yes, OnYes::Resend(_)))
    );
    let effects = press(&mut state, KeyCode::Char('y'));
    assert!(
        matches!(effects.as_slice(), [Effect::Rerun(r)] if r.request == RequestId(1) && r.n == Some(1))
    );
    press(&mut state, KeyCode::Char('d'));
    assert!(state.jobs.is_empty());
}

#[test]
fn cancel_keys_name_the_job_or_its_batch() {
    let mut state = state("sandbox/procedural");
    state.update(Msg::Submitted {
        jobs: vec![
            (
                JobId(1),
                tintype::app::jobs::JobMeta {
                    batch: Some(RequestId(1)),
                    ..meta(1, "sandbox/procedural", "a")
                },
            ),
            (
                JobId(2),
                tintype::app::jobs::JobMeta {
                    batch: Some(RequestId(1)),
                    ..meta(2, "openai/dall-e-3", "a")
                },
            ),
        ],
        batch: Some(RequestId(1)),
        compare: false,
    });
    press(&mut state, KeyCode::Tab);
    press(&mut state, KeyCode::Tab);
    let effects = press(&mut state, KeyCode::Char('x'));
    assert!(matches!(effects.as_slice(), [Effect::Cancel(JobId(2))]));
    let effects = press(&mut state, KeyCode::Char('X'));
    assert!(
        matches!(effects.as_slice(), [Effect::CancelRequests(r)] if r == &vec![RequestId(1), RequestId(2)])
    );
}

#[test]
fn review_keys_mark_filter_and_reach_the_store() {
    let mut state = state("sandbox/procedural");
    add_job(&mut state, 1, 1, "sandbox/procedural", "fox");
    let source = GallerySource::Request(RequestId(1));
    state.update(Msg::Images {
        source,
        images: (1..=4).map(|i| image(i, 1, 1)).collect(),
    });
    for _ in 0..3 {
        press(&mut state, KeyCode::Tab);
    }
    assert_eq!(state.focus, Pane::Gallery);
    let effects = press(&mut state, KeyCode::Char('a'));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Review(Review::Mark(ImageId(1), Mark::Keep))]
    ));
    press(&mut state, KeyCode::Char('l'));
    let effects = press(&mut state, KeyCode::Char('x'));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Review(Review::Mark(ImageId(2), Mark::Reject))]
    ));
    let effects = press(&mut state, KeyCode::Char('s'));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Review(Review::Star(ImageId(2), true))]
    ));
    let effects = press(&mut state, KeyCode::Char('4'));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Review(Review::Rate(ImageId(2), Some(4)))]
    ));
    // Pressing keep again unmarks.
    press(&mut state, KeyCode::Char('h'));
    let effects = press(&mut state, KeyCode::Char('a'));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Review(Review::Mark(ImageId(1), Mark::None))]
    ));
    press(&mut state, KeyCode::Char('a'));
    // Filter: kept shows one image; rejected one; starred one.
    press(&mut state, KeyCode::Char('f'));
    assert_eq!(state.gallery.visible_count(), 1);
    assert_eq!(state.gallery.selected_image().unwrap().id, ImageId(1));
    press(&mut state, KeyCode::Char('f'));
    assert_eq!(state.gallery.selected_image().unwrap().id, ImageId(2));
    // Export takes the kept images.
    let effects = press(&mut state, KeyCode::Char('w'));
    assert!(matches!(effects.as_slice(), [Effect::Export(items)] if items.len() == 1));
}

#[test]
fn reroll_with_the_same_seed_says_when_the_model_ignores_seeds() {
    let mut state = state("sandbox/procedural");
    add_job(&mut state, 1, 1, "openai/dall-e-3", "fox");
    state.update(Msg::Images {
        source: GallerySource::Request(RequestId(1)),
        images: vec![image(1, 1, 1)],
    });
    for _ in 0..3 {
        press(&mut state, KeyCode::Tab);
    }
    let effects = press(&mut state, KeyCode::Char('R'));
    assert!(effects.is_empty());
    assert!(
        state
            .status
            .clone()
            .unwrap()
            .1
            .contains("does not honour seeds")
    );
    let effects = press(&mut state, KeyCode::Char('r'));
    assert!(
        matches!(effects.as_slice(), [Effect::Rerun(r)] if r.seed == tintype::app::submit::SeedChoice::New)
    );

    let mut state = studio_support::state("sandbox/procedural");
    add_job(&mut state, 1, 1, "sandbox/procedural", "fox");
    state.update(Msg::Images {
        source: GallerySource::Request(RequestId(1)),
        images: vec![image(1, 1, 1)],
    });
    for _ in 0..3 {
        press(&mut state, KeyCode::Tab);
    }
    let effects = press(&mut state, KeyCode::Char('R'));
    assert!(
        matches!(effects.as_slice(), [Effect::Rerun(r)] if r.seed == tintype::app::submit::SeedChoice::Same(1001))
    );
}

#[test]
fn history_search_asks_again_per_key_and_drops_stale_answers() {
    let mut state = state("sandbox/procedural");
    press(&mut state, KeyCode::Esc);
    let effects = press(&mut state, KeyCode::Char('/'));
    assert_eq!(state.screen, Screen::History);
    assert!(state.history.editing);
    let first = match effects.as_slice() {
        [Effect::QueryHistory { generation, .. }] => *generation,
        other => panic!("{other:?}"),
    };
    let effects = press(&mut state, KeyCode::Char('f'));
    let second = match effects.as_slice() {
        [Effect::QueryHistory { generation, query }] => {
            assert_eq!(query.search.as_deref(), Some("f"));
            *generation
        }
        other => panic!("{other:?}"),
    };
    assert!(second > first);
    state.update(Msg::History {
        generation: first,
        rows: Err("stale".into()),
    });
    assert!(state.history.error.is_none(), "a stale answer is dropped");
    type_text(&mut state, " colour:red");
    assert!(state.history.error.as_deref().unwrap().contains("colour"));
}

#[test]
fn a_preset_fills_the_prompt_and_the_form() {
    let mut state = state("sandbox/procedural");
    ctrl(&mut state, 'p');
    assert!(matches!(state.overlay, Some(Overlay::Presets(_))));
    type_text(&mut state, "product");
    press(&mut state, KeyCode::Enter);
    assert!(
        matches!(state.overlay, Some(Overlay::Fill(_))),
        "product-shot has a variable"
    );
    ctrl(&mut state, 'u');
    type_text(&mut state, "a brass compass");
    press(&mut state, KeyCode::Enter);
    assert!(state.overlay.is_none());
    assert_eq!(state.form.model.id, "openai/gpt-image-2");
    assert!(state.prompt.text().contains("a brass compass"));
    assert_eq!(state.preset.as_deref(), Some("product-shot"));
    assert!(state.estimate.is_ok(), "{:?}", state.estimate);
}

#[test]
fn text_from_outside_is_stripped_before_it_is_drawn() {
    let mut state = state("sandbox/procedural");
    add_job(&mut state, 1, 1, "sandbox/procedural", "fox");
    event(
        &mut state,
        JobEvent::Failed {
            job: JobId(1),
            error: ProviderError::new(
                ErrorClass::InvalidRequest,
                "bad \x1b]0;pwned\x07title \x1b[2J",
            ),
        },
    );
    let screen = render(&mut state, 120, 30);
    assert!(!screen.contains('\x1b'));
    assert!(screen.contains("bad title"), "{screen}");
}
