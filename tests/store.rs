//! The `SQLite` store: migrations, refusing newer schemas, the job state
//! machine, the ledger, history search and cost totals.

mod store_support;

use store_support::{at, request};

use tintype::money::Micros;
use tintype::store::{
    ErrorInfo, GroupBy, HistoryQuery, JobState, NewImage, SCHEMA_VERSION, Store, StoreError,
};

fn image(idx: u32, path: &str) -> NewImage {
    NewImage {
        idx,
        path: path.into(),
        sha256: "00".repeat(32),
        width: 64,
        height: 64,
        format: "png".into(),
        seed: Some(7),
        revised_prompt: None,
    }
}

#[test]
fn migrates_an_empty_database_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/tintype.db");
    {
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        store
            .insert_request(
                &request("openai/dall-e-3", "a fox", &[1]),
                &at(1, "2026-11-21"),
            )
            .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let rows = store
        .history(&HistoryQuery {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].prompt, "a fox");
    let journal: String = rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
}

#[test]
fn refuses_a_newer_schema_and_leaves_it_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE from_the_future (x); PRAGMA user_version = 99;")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let error = Store::open(&path).err().expect("a newer schema is refused");
    assert!(matches!(error, StoreError::NewerSchema { found: 99, .. }));
    let message = error.to_string();
    assert!(
        message.contains("newer tintype") && message.contains("upgrade tintype"),
        "{message}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the file must not change"
    );
    assert!(
        !dir.path().join("future.db-wal").exists(),
        "no WAL may be created"
    );
}

#[test]
fn a_request_is_stored_with_one_queued_job_per_call() {
    let mut store = Store::open_in_memory().unwrap();
    let (request_id, jobs) = store
        .insert_request(
            &request("openai/dall-e-3", "a fox", &[1, 1, 1]),
            &at(1000, "2026-11-21"),
        )
        .unwrap();
    assert_eq!(jobs.len(), 3);
    let stored = store.jobs_of(request_id).unwrap();
    assert!(
        stored
            .iter()
            .all(|j| j.state == JobState::Queued && j.attempts == 0)
    );
    assert_eq!(
        stored.iter().map(|j| j.call_index).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    assert_eq!(store.unfinished_jobs().unwrap().len(), 3);
}

#[test]
fn jobs_follow_the_state_machine() {
    let mut store = Store::open_in_memory().unwrap();
    let now = at(1000, "2026-11-21");
    let (_, jobs) = store
        .insert_request(&request("openai/dall-e-3", "a fox", &[1]), &now)
        .unwrap();
    let job = jobs[0];

    // Queued cannot jump to running or succeeded.
    let wrong = store.mark_running(job, &now).unwrap_err();
    assert_eq!(
        wrong.to_string(),
        format!("job {job} cannot go from queued to running")
    );
    assert!(
        store
            .finish_job(job, JobState::Succeeded, None, None, &now)
            .is_err()
    );

    store
        .submit_job(
            job,
            Micros(40_000),
            "dall-e-3 standard 1024x1024: $0.04 x 1",
            &now,
        )
        .unwrap();
    store.set_remote_id(job, "pred-123").unwrap();
    store.mark_running(job, &now).unwrap();
    // A retry submits again: attempts count, the ledger row is not doubled.
    store
        .submit_job(job, Micros(40_000), "again", &now)
        .unwrap();
    store.add_image(job, &image(0, "/tmp/a.png"), &now).unwrap();
    store
        .finish_job(
            job,
            JobState::Succeeded,
            None,
            Some((Micros(40_000), "dall-e-3: $0.04 x 1 delivered")),
            &now,
        )
        .unwrap();
    let record = store.job(job).unwrap().unwrap();
    assert_eq!(record.state, JobState::Succeeded);
    assert_eq!(record.attempts, 2);
    assert_eq!(record.remote_id.as_deref(), Some("pred-123"));

    // Finished is final, except by requeueing a failure.
    assert!(store.submit_job(job, Micros(0), "x", &now).is_err());
    let report = store.cost_report(GroupBy::Model, None).unwrap();
    assert_eq!(report.rows.len(), 1);
    assert_eq!((report.total.requests, report.total.images), (1, 1));
    assert_eq!(report.total.actual_cost_micros, 40_000);
    assert!(store.unfinished_jobs().unwrap().is_empty());
}

#[test]
fn failures_keep_their_class_and_can_be_retried() {
    let mut store = Store::open_in_memory().unwrap();
    let now = at(1000, "2026-11-21");
    let (request_id, jobs) = store
        .insert_request(&request("sandbox/procedural", "x", &[2]), &now)
        .unwrap();
    store.submit_job(jobs[0], Micros(0), "free", &now).unwrap();
    let error = ErrorInfo {
        class: "rate_limited".into(),
        message: "slow down".into(),
    };
    store
        .finish_job(jobs[0], JobState::Failed, Some(&error), None, &now)
        .unwrap();
    let failed = store.job(jobs[0]).unwrap().unwrap();
    assert_eq!(failed.error, Some(error));
    let history = store
        .history(&HistoryQuery {
            limit: 5,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(history[0].status, "failed");
    assert_eq!(history[0].id, request_id);

    store.requeue_job(jobs[0], &now).unwrap();
    store.submit_job(jobs[0], Micros(0), "free", &now).unwrap();
    let retried = store.job(jobs[0]).unwrap().unwrap();
    assert_eq!(
        (retried.state, retried.attempts, retried.error),
        (JobState::Submitted, 2, None)
    );
}

#[test]
fn history_searches_prompts_newest_first() {
    let mut store = Store::open_in_memory().unwrap();
    for (i, prompt) in [
        "a neon cat on a roof",
        "watercolour lighthouse",
        "neon signs in rain",
        "Café au lait",
    ]
    .iter()
    .enumerate()
    {
        let model = if i % 2 == 0 {
            "openai/dall-e-3"
        } else {
            "sandbox/procedural"
        };
        store
            .insert_request(&request(model, prompt, &[1]), &at(i as i64, "2026-11-21"))
            .unwrap();
    }
    let search = |text: &str, limit: u32| {
        store
            .history(&HistoryQuery {
                search: Some(text.into()),
                limit,
                ..Default::default()
            })
            .unwrap()
            .into_iter()
            .map(|r| r.prompt)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        search("neon", 50),
        vec!["neon signs in rain", "a neon cat on a roof"]
    );
    assert_eq!(search("neon", 1), vec!["neon signs in rain"]);
    assert_eq!(
        search("ne ca", 50),
        vec!["a neon cat on a roof"],
        "every word, as a prefix"
    );
    assert_eq!(search("cafe", 50), vec!["Café au lait"], "diacritics fold");
    assert!(
        search("\"unbalanced OR", 50).is_empty(),
        "FTS syntax is taken literally"
    );
    let by_model = store
        .history(&HistoryQuery {
            search: Some("neon".into()),
            model: Some("openai/dall-e-3".into()),
            limit: 50,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_model.len(), 2);
    let all = store
        .history(&HistoryQuery {
            limit: 0,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(all[0].prompt, "Café au lait");
}

#[test]
fn cost_groups_by_day_model_and_provider() {
    let mut store = Store::open_in_memory().unwrap();
    let days = [
        ("2026-11-19", "openai/dall-e-3", 40_000),
        ("2026-11-20", "openai/gpt-image-1", 166_400),
        ("2026-11-21", "stability/sd3.5-large", 65_000),
    ];
    for (i, (day, model, micros)) in days.iter().enumerate() {
        let stamp = at(i as i64, day);
        let (_, jobs) = store
            .insert_request(&request(model, "p", &[1]), &stamp)
            .unwrap();
        store
            .submit_job(jobs[0], Micros(*micros), "rule", &stamp)
            .unwrap();
        if i != 2 {
            store
                .add_image(jobs[0], &image(0, &format!("/tmp/{i}.png")), &stamp)
                .unwrap();
            store
                .finish_job(
                    jobs[0],
                    JobState::Succeeded,
                    None,
                    Some((Micros(micros + 1), "usage")),
                    &stamp,
                )
                .unwrap();
        }
    }
    let by_day = store.cost_report(GroupBy::Day, None).unwrap();
    assert_eq!(
        by_day
            .rows
            .iter()
            .map(|r| r.key.as_str())
            .collect::<Vec<_>>(),
        vec!["2026-11-19", "2026-11-20", "2026-11-21"]
    );
    assert_eq!(
        by_day.total.estimated_cost_micros,
        40_000 + 166_400 + 65_000
    );
    assert_eq!(by_day.total.actual_cost_micros, 40_001 + 166_401);
    assert_eq!(
        by_day.total.without_actual, 1,
        "the call still out has no actual yet"
    );
    assert_eq!(by_day.total.images, 2);

    let by_provider = store.cost_report(GroupBy::Provider, None).unwrap();
    assert_eq!(by_provider.rows[0].key, "openai", "dearest first");
    assert_eq!(by_provider.rows[0].requests, 2);

    let recent = store
        .cost_report(GroupBy::Model, Some("2026-11-20"))
        .unwrap();
    assert_eq!(recent.rows.len(), 2);
    assert_eq!(recent.rows[0].key, "openai/gpt-image-1");
    assert_eq!(
        store.spend_since("2026-11-20").unwrap(),
        Micros(166_401 + 65_000)
    );
}

#[test]
fn history_reports_images_costs_and_status() {
    let mut store = Store::open_in_memory().unwrap();
    let now = at(5, "2026-11-21");
    let (id, jobs) = store
        .insert_request(&request("openai/dall-e-2", "two foxes", &[2]), &now)
        .unwrap();
    store
        .submit_job(jobs[0], Micros(40_000), "rule", &now)
        .unwrap();
    store
        .add_image(jobs[0], &image(1, "/img/b.png"), &now)
        .unwrap();
    store
        .add_image(jobs[0], &image(0, "/img/a.png"), &now)
        .unwrap();
    let running = store
        .history(&HistoryQuery {
            limit: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        (running[0].status.as_str(), running[0].actual_cost_micros),
        ("running", None)
    );
    store
        .finish_job(
            jobs[0],
            JobState::Succeeded,
            None,
            Some((Micros(40_000), "2 delivered")),
            &now,
        )
        .unwrap();
    let done = &store
        .history(&HistoryQuery {
            limit: 1,
            ..Default::default()
        })
        .unwrap()[0];
    assert_eq!(done.id, id);
    assert_eq!(done.status, "succeeded");
    assert_eq!(done.images, vec!["/img/a.png", "/img/b.png"]);
    assert_eq!(
        (done.estimated_cost_micros, done.actual_cost_micros),
        (80_000, Some(40_000))
    );
}

#[test]
fn closing_the_store_keeps_planner_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stats.db");
    {
        let mut store = Store::open(&path).unwrap();
        for i in 0..200 {
            let model = if i % 2 == 0 {
                "openai/dall-e-3"
            } else {
                "sandbox/procedural"
            };
            let stamp = at(i, "2026-11-21");
            let (_, jobs) = store
                .insert_request(&request(model, "p", &[1]), &stamp)
                .unwrap();
            store
                .submit_job(jobs[0], Micros(1), "rule", &stamp)
                .unwrap();
        }
        store
            .cost_report(GroupBy::Model, Some("2026-11-01"))
            .unwrap();
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    let analyzed: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'costs'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(analyzed > 0, "costs has statistics after the store closed");
}
