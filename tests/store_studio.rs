//! The store as the studio uses it: review marks on images, images by
//! request, job and batch, filtered history and its one-line filter syntax,
//! and the figures behind the cost view.

mod store_support;

use store_support::{at, request};

use chrono::{Local, NaiveDate};
use tintype::money::Micros;
use tintype::store::{
    DaySpend, HistoryQuery, ImageId, JobId, JobState, JobStats, Mark, NewImage, RequestId, Store,
    StoreError, parse_history_filter,
};

fn image(idx: u32, path: &str) -> NewImage {
    NewImage {
        idx,
        path: path.into(),
        sha256: "ab".repeat(32),
        width: 64,
        height: 48,
        format: "png".into(),
        seed: Some(7),
        revised_prompt: None,
    }
}

/// A one-call request at `ms` that made one image; its request and image.
fn made(store: &mut Store, model: &str, prompt: &str, ms: i64) -> (RequestId, ImageId) {
    let stamp = at(ms, "2026-11-21");
    let (id, jobs) = store
        .insert_request(&request(model, prompt, &[1]), &stamp)
        .unwrap();
    store
        .submit_job(jobs[0], Micros(1), "rule", &stamp)
        .unwrap();
    let img = store
        .add_image(
            jobs[0],
            &image(0, &format!("/img/{prompt}-{ms}.png")),
            &stamp,
        )
        .unwrap();
    store
        .finish_job(jobs[0], JobState::Succeeded, None, None, &stamp)
        .unwrap();
    (id, img)
}

fn ids(rows: &[tintype::store::HistoryRow]) -> Vec<RequestId> {
    rows.iter().map(|r| r.id).collect()
}

fn local_ms(y: i32, m: u32, d: u32, h: u32) -> i64 {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(h, 0, 0)
        .unwrap()
        .and_local_timezone(Local)
        .earliest()
        .unwrap()
        .timestamp_millis()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

// --- review marks -----------------------------------------------------------

#[test]
fn marks_stars_and_ratings_round_trip() {
    let mut store = Store::open_in_memory().unwrap();
    let (request_id, img) = made(&mut store, "openai/dall-e-3", "fox", 10);
    let fresh = store.image(img).unwrap().unwrap();
    assert_eq!(
        (fresh.mark, fresh.starred, fresh.rating),
        (Mark::None, false, None)
    );
    assert_eq!(fresh.request, request_id);
    assert_eq!(fresh.path, std::path::PathBuf::from("/img/fox-10.png"));
    assert_eq!(
        (fresh.width, fresh.height, fresh.format.as_str(), fresh.seed),
        (64, 48, "png", Some(7))
    );

    store.set_mark(img, Mark::Keep).unwrap();
    store.set_starred(img, true).unwrap();
    store.set_rating(img, Some(4)).unwrap();
    let marked = store.image(img).unwrap().unwrap();
    assert_eq!(
        (marked.mark, marked.starred, marked.rating),
        (Mark::Keep, true, Some(4))
    );

    store.set_mark(img, Mark::Reject).unwrap();
    store.set_starred(img, false).unwrap();
    store.set_rating(img, None).unwrap();
    let cleared = &store.images_of_request(request_id).unwrap()[0];
    assert_eq!(
        (cleared.mark, cleared.starred, cleared.rating),
        (Mark::Reject, false, None)
    );
    store.set_rating(img, Some(1)).unwrap();
    store.set_rating(img, Some(5)).unwrap();
    assert_eq!(store.image(img).unwrap().unwrap().rating, Some(5));
}

#[test]
fn marks_parse_and_print_as_lowercase_words() {
    for mark in [Mark::None, Mark::Keep, Mark::Reject] {
        assert_eq!(Mark::parse(mark.as_str()), Some(mark));
        assert_eq!(
            serde_json::to_string(&mark).unwrap(),
            format!("\"{}\"", mark.as_str())
        );
    }
    assert_eq!(Mark::Keep.as_str(), "keep");
    assert_eq!(Mark::parse("Keep"), None);
    assert_eq!(Mark::parse("maybe"), None);
}

#[test]
fn unknown_images_and_bad_ratings_are_errors() {
    let mut store = Store::open_in_memory().unwrap();
    let (_, img) = made(&mut store, "openai/dall-e-3", "fox", 10);
    let nowhere = ImageId(img.0 + 100);
    assert!(store.image(nowhere).unwrap().is_none());
    for result in [
        store.set_mark(nowhere, Mark::Keep),
        store.set_starred(nowhere, true),
        store.set_rating(nowhere, Some(3)),
    ] {
        assert!(
            matches!(
                result,
                Err(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows))
            ),
            "{result:?}"
        );
    }

    store.set_rating(img, Some(3)).unwrap();
    for bad in [0, 6, 255] {
        let error = store.set_rating(img, Some(bad)).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("1 to 5") && message.contains(&bad.to_string()),
            "{message}"
        );
    }
    assert_eq!(
        store.image(img).unwrap().unwrap().rating,
        Some(3),
        "a refused rating leaves the old one"
    );
}

// --- images by request, job and batch ---------------------------------------

#[test]
fn a_requests_images_come_call_by_call_in_position_order() {
    let mut store = Store::open_in_memory().unwrap();
    let now = at(5, "2026-11-21");
    let (id, jobs) = store
        .insert_request(&request("openai/dall-e-2", "foxes", &[2, 2]), &now)
        .unwrap();
    // Saved out of order, as parallel calls finish.
    for (job, idx) in [(1, 1), (0, 1), (1, 0), (0, 0)] {
        store
            .add_image(
                jobs[job],
                &image(idx, &format!("/img/{job}-{idx}.png")),
                &now,
            )
            .unwrap();
    }
    let order = |rows: Vec<tintype::store::ImageRow>| -> Vec<(JobId, u32)> {
        rows.into_iter().map(|r| (r.job, r.index)).collect()
    };
    assert_eq!(
        order(store.images_of_request(id).unwrap()),
        vec![(jobs[0], 0), (jobs[0], 1), (jobs[1], 0), (jobs[1], 1)]
    );
    assert_eq!(
        order(store.images_of_job(jobs[1]).unwrap()),
        vec![(jobs[1], 0), (jobs[1], 1)]
    );
    assert!(
        store
            .images_of_request(RequestId(id.0 + 1))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_batch_gathers_its_requests_images_in_request_order() {
    let mut store = Store::open_in_memory().unwrap();
    let now = at(5, "2026-11-21");
    let (first, first_jobs) = store
        .insert_request(&request("openai/dall-e-3", "one", &[1]), &now)
        .unwrap();
    store.start_batch(first).unwrap();
    let mut member = request("openai/dall-e-3", "two", &[2]);
    member.batch_id = Some(first);
    let (second, second_jobs) = store.insert_request(&member, &now).unwrap();
    let (outsider, outsider_jobs) = store
        .insert_request(&request("openai/dall-e-3", "other", &[1]), &now)
        .unwrap();
    member.prompt = "three".into();
    let (third, third_jobs) = store.insert_request(&member, &now).unwrap();

    // Newest first on disk, to prove the order comes from the query.
    let add = |job: JobId, idx: u32| {
        store
            .add_image(job, &image(idx, &format!("/img/{job}-{idx}.png")), &now)
            .unwrap();
    };
    add(third_jobs[0], 0);
    add(outsider_jobs[0], 0);
    add(second_jobs[0], 1);
    add(second_jobs[0], 0);
    add(first_jobs[0], 0);

    let batch: Vec<(RequestId, u32)> = store
        .images_of_batch(first)
        .unwrap()
        .into_iter()
        .map(|r| (r.request, r.index))
        .collect();
    assert_eq!(
        batch,
        vec![(first, 0), (second, 0), (second, 1), (third, 0)]
    );
    // A request never batched is a batch of one.
    let alone = store.images_of_batch(outsider).unwrap();
    assert_eq!(alone.len(), 1);
    assert_eq!(alone[0].request, outsider);
}

// --- history filters ----------------------------------------------------------

#[test]
fn history_filters_by_model_and_provider() {
    let mut store = Store::open_in_memory().unwrap();
    let (dalle, _) = made(&mut store, "openai/dall-e-3", "a", 1);
    let (gpt, _) = made(&mut store, "openai/gpt-image-1", "b", 2);
    let (sd, _) = made(&mut store, "stability/sd3.5-large", "c", 3);
    let history = |query: HistoryQuery| ids(&store.history(&query).unwrap());
    assert_eq!(
        history(HistoryQuery {
            provider: Some("openai".into()),
            ..Default::default()
        }),
        vec![gpt, dalle]
    );
    assert_eq!(
        history(HistoryQuery {
            provider: Some("stability".into()),
            ..Default::default()
        }),
        vec![sd]
    );
    assert_eq!(
        history(HistoryQuery {
            model: Some("openai/dall-e-3".into()),
            ..Default::default()
        }),
        vec![dalle]
    );
    assert!(
        history(HistoryQuery {
            model: Some("openai/dall-e-3".into()),
            provider: Some("stability".into()),
            ..Default::default()
        })
        .is_empty()
    );
}

#[test]
fn history_filters_by_time_inclusively() {
    let mut store = Store::open_in_memory().unwrap();
    let (early, _) = made(&mut store, "openai/dall-e-3", "a", 1000);
    let (middle, _) = made(&mut store, "openai/dall-e-3", "b", 2000);
    let (late, _) = made(&mut store, "openai/dall-e-3", "c", 3000);
    let history = |since_ms, until_ms| {
        ids(&store
            .history(&HistoryQuery {
                since_ms,
                until_ms,
                ..Default::default()
            })
            .unwrap())
    };
    assert_eq!(history(Some(2000), None), vec![late, middle]);
    assert_eq!(history(None, Some(2000)), vec![middle, early]);
    assert_eq!(history(Some(2000), Some(2000)), vec![middle]);
    assert_eq!(history(Some(1001), Some(2999)), vec![middle]);
    assert!(history(Some(3001), None).is_empty());
}

#[test]
fn history_filters_by_mark_and_star() {
    let mut store = Store::open_in_memory().unwrap();
    let (kept, kept_img) = made(&mut store, "openai/dall-e-3", "a", 1);
    let (rejected, rejected_img) = made(&mut store, "openai/dall-e-3", "b", 2);
    let (untouched, _) = made(&mut store, "openai/dall-e-3", "c", 3);
    let (starred, starred_img) = made(&mut store, "openai/dall-e-3", "d", 4);
    store.set_mark(kept_img, Mark::Keep).unwrap();
    store.set_mark(rejected_img, Mark::Reject).unwrap();
    store.set_starred(starred_img, true).unwrap();
    let history = |mark, starred| {
        ids(&store
            .history(&HistoryQuery {
                mark,
                starred,
                ..Default::default()
            })
            .unwrap())
    };
    assert_eq!(history(Some(Mark::Keep), false), vec![kept]);
    assert_eq!(history(Some(Mark::Reject), false), vec![rejected]);
    assert_eq!(
        history(Some(Mark::None), false),
        vec![starred, untouched],
        "mark:none finds requests with an image not yet reviewed"
    );
    assert_eq!(history(None, true), vec![starred]);
    assert!(history(Some(Mark::Keep), true).is_empty());
    store.set_starred(kept_img, true).unwrap();
    assert_eq!(history(Some(Mark::Keep), true), vec![kept]);
}

#[test]
fn history_search_honours_every_other_filter() {
    let mut store = Store::open_in_memory().unwrap();
    let mut keep = |model: &str, prompt: &str, ms: i64, mark: bool, star: bool| {
        let (id, img) = made(&mut store, model, prompt, ms);
        if mark {
            store.set_mark(img, Mark::Keep).unwrap();
        }
        store.set_starred(img, star).unwrap();
        id
    };
    // Each decoy differs from the wanted request in exactly one respect.
    let too_early = keep("openai/dall-e-3", "red fox", 1, true, true);
    let other_provider = keep("stability/sd3.5-large", "red fox", 2, true, true);
    let wanted = keep("openai/dall-e-3", "red fox", 3, true, true);
    let other_model = keep("openai/gpt-image-1", "red fox", 4, true, true);
    let not_kept = keep("openai/dall-e-3", "red fox", 5, false, true);
    let not_starred = keep("openai/dall-e-3", "red fox", 6, true, false);
    let other_words = keep("openai/dall-e-3", "red cat", 7, true, true);
    let too_late = keep("openai/dall-e-3", "red fox", 8, true, true);
    let query = HistoryQuery {
        search: Some("fox".into()),
        model: Some("openai/dall-e-3".into()),
        provider: Some("openai".into()),
        since_ms: Some(2),
        until_ms: Some(7),
        mark: Some(Mark::Keep),
        starred: true,
        limit: 50,
    };
    assert_eq!(ids(&store.history(&query).unwrap()), vec![wanted]);
    // Each decoy comes back once its one filter is dropped.
    let without = |change: &dyn Fn(&mut HistoryQuery)| {
        let mut q = query.clone();
        change(&mut q);
        ids(&store.history(&q).unwrap())
    };
    assert_eq!(without(&|q| q.since_ms = None), vec![wanted, too_early]);
    assert_eq!(without(&|q| q.until_ms = None), vec![too_late, wanted]);
    assert_eq!(without(&|q| q.model = None), vec![other_model, wanted]);
    assert_eq!(
        without(&|q| {
            q.model = None;
            q.provider = None;
        }),
        vec![other_model, wanted, other_provider]
    );
    assert_eq!(without(&|q| q.mark = None), vec![not_kept, wanted]);
    assert_eq!(without(&|q| q.starred = false), vec![not_starred, wanted]);
    // Without a search the table is read instead of the FTS index, and
    // still filtered the same way.
    assert_eq!(without(&|q| q.search = None), vec![other_words, wanted]);
}

#[test]
fn history_limits_after_filtering() {
    let mut store = Store::open_in_memory().unwrap();
    let mut wanted = Vec::new();
    for ms in 1..=6 {
        let model = if ms % 2 == 0 {
            "openai/dall-e-3"
        } else {
            "stability/sd3.5-large"
        };
        let (id, _) = made(&mut store, model, "p", ms);
        if ms % 2 == 0 {
            wanted.push(id);
        }
    }
    let rows = store
        .history(&HistoryQuery {
            provider: Some("openai".into()),
            limit: 2,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(ids(&rows), vec![wanted[2], wanted[1]]);
}

#[test]
fn history_rows_carry_batch_params_and_review_counts() {
    let mut store = Store::open_in_memory().unwrap();
    let now = at(5, "2026-11-21");
    let mut new = request("openai/dall-e-2", "foxes", &[3]);
    new.params_json = r#"{"size":"512x512"}"#.into();
    let (id, jobs) = store.insert_request(&new, &now).unwrap();
    store.start_batch(id).unwrap();
    let images: Vec<ImageId> = (0..3)
        .map(|idx| {
            store
                .add_image(jobs[0], &image(idx, &format!("/img/{idx}.png")), &now)
                .unwrap()
        })
        .collect();
    store.set_mark(images[0], Mark::Keep).unwrap();
    store.set_mark(images[1], Mark::Keep).unwrap();
    store.set_mark(images[2], Mark::Reject).unwrap();
    store.set_starred(images[2], true).unwrap();
    let (plain, _) = made(&mut store, "openai/dall-e-3", "plain", 6);

    let rows = store.history(&HistoryQuery::default()).unwrap();
    assert_eq!(ids(&rows), vec![plain, id]);
    let row = &rows[1];
    assert_eq!(row.batch_id, Some(id));
    assert_eq!(row.params_json, r#"{"size":"512x512"}"#);
    assert_eq!((row.starred, row.kept), (1, 2));
    assert_eq!(
        (rows[0].batch_id, rows[0].starred, rows[0].kept),
        (None, 0, 0)
    );
    let json = serde_json::to_value(row).unwrap();
    assert_eq!(json["batch_id"], serde_json::json!(id.0));
    assert_eq!(json["kept"], serde_json::json!(2));
}

// --- the history search box ---------------------------------------------------

#[test]
fn the_filter_line_sets_every_field() {
    let today = day(2026, 11, 21);
    let query = parse_history_filter(
        "fox model:dall-e-3 provider:openai since:7d until:2026-11-01 mark:keep star in snow",
        today,
        50,
    )
    .unwrap();
    assert_eq!(
        query,
        HistoryQuery {
            search: Some("fox in snow".into()),
            model: Some("dall-e-3".into()),
            provider: Some("openai".into()),
            since_ms: Some(local_ms(2026, 11, 15, 0)),
            until_ms: Some(local_ms(2026, 11, 2, 0) - 1),
            mark: Some(Mark::Keep),
            starred: true,
            limit: 50,
        }
    );
}

#[test]
fn the_filter_line_counts_days_like_cost() {
    let today = day(2026, 11, 21);
    let parse = |text: &str| parse_history_filter(text, today, 0).unwrap();
    let today_starts = local_ms(2026, 11, 21, 0);
    let tomorrow_starts = local_ms(2026, 11, 22, 0);
    assert_eq!(parse("since:1d").since_ms, Some(today_starts));
    assert_eq!(parse("since:0d").since_ms, Some(today_starts));
    assert_eq!(parse("since:2d").since_ms, Some(local_ms(2026, 11, 20, 0)));
    assert_eq!(parse("since:30d").since_ms, Some(local_ms(2026, 10, 23, 0)));
    assert_eq!(parse("until:1d").until_ms, Some(tomorrow_starts - 1));
    assert_eq!(parse("until:2d").until_ms, Some(today_starts - 1));
    assert_eq!(
        parse("since:2026-11-21 until:2026-11-21"),
        HistoryQuery {
            since_ms: Some(today_starts),
            until_ms: Some(tomorrow_starts - 1),
            ..Default::default()
        }
    );
}

#[test]
fn the_filter_line_reads_stars_marks_and_plain_words() {
    let today = day(2026, 11, 21);
    let parse = |text: &str| parse_history_filter(text, today, 7).unwrap();
    for starred in [
        "star",
        "starred",
        "STAR",
        "star:yes",
        "starred:yes",
        "star:",
    ] {
        assert!(parse(starred).starred, "{starred}");
        assert_eq!(parse(starred).search, None, "{starred}");
    }
    assert!(!parse("star:no").starred);
    assert_eq!(parse("mark:reject").mark, Some(Mark::Reject));
    assert_eq!(parse("MARK:None").mark, Some(Mark::None));
    assert_eq!(
        parse("Model:openai/gpt-image-1").model.as_deref(),
        Some("openai/gpt-image-1"),
        "keys ignore case, values keep theirs"
    );
    assert_eq!(
        parse("  wide 16:9   stars ").search.as_deref(),
        Some("wide 16:9 stars"),
        "only letters before a colon make a key"
    );
    assert_eq!(
        parse(""),
        HistoryQuery {
            limit: 7,
            ..Default::default()
        }
    );
}

#[test]
fn the_filter_line_names_what_it_cannot_read() {
    let today = day(2026, 11, 21);
    let parse = |text: &str| parse_history_filter(text, today, 0).unwrap_err();
    let unknown = parse("fox colour:red");
    assert!(unknown.contains("colour"), "{unknown}");
    for key in ["model:", "provider:", "since:", "until:", "mark:", "star"] {
        assert!(unknown.contains(key), "{unknown} should list {key}");
    }
    assert!(parse("since:yesterday").contains("since:yesterday"));
    assert!(parse("until:2026-13-01").contains("until:2026-13-01"));
    assert!(parse("since:xd").contains("7d"));
    assert!(parse("mark:maybe").contains("mark:keep"));
    assert!(parse("star:perhaps").contains("star:yes"));
    assert!(parse("model:").contains("needs a value"));
}

#[test]
fn the_filter_line_finds_requests_by_local_day() {
    let mut store = Store::open_in_memory().unwrap();
    let (before, _) = made(
        &mut store,
        "openai/dall-e-3",
        "fox",
        local_ms(2026, 11, 19, 23),
    );
    let (yesterday, _) = made(
        &mut store,
        "openai/dall-e-3",
        "fox",
        local_ms(2026, 11, 20, 0),
    );
    let (late, _) = made(
        &mut store,
        "openai/dall-e-3",
        "fox",
        local_ms(2026, 11, 20, 23),
    );
    let (today, _) = made(
        &mut store,
        "openai/dall-e-3",
        "fox",
        local_ms(2026, 11, 21, 9),
    );
    let find = |text: &str| {
        let query = parse_history_filter(text, day(2026, 11, 21), 0).unwrap();
        ids(&store.history(&query).unwrap())
    };
    assert_eq!(find("fox since:2d"), vec![today, late, yesterday]);
    assert_eq!(find("since:2d until:2d"), vec![late, yesterday]);
    assert_eq!(find("until:2026-11-19"), vec![before]);
    assert_eq!(find("since:1d fox"), vec![today]);
}

// --- cost view figures ----------------------------------------------------------

#[test]
fn daily_spend_has_a_bar_for_every_day() {
    let mut store = Store::open_in_memory().unwrap();
    let calls = [
        ("2026-11-17", 5_000, Some(5_000)),
        ("2026-11-19", 40_000, Some(40_001)),
        ("2026-11-19", 10_000, None),
        ("2026-11-21", 65_000, Some(60_000)),
        ("2026-11-23", 7_000, Some(7_000)),
    ];
    for (i, (day, estimate, actual)) in calls.iter().enumerate() {
        let stamp = at(i as i64, day);
        let (_, jobs) = store
            .insert_request(&request("openai/dall-e-3", "p", &[1]), &stamp)
            .unwrap();
        store
            .submit_job(jobs[0], Micros(*estimate), "rule", &stamp)
            .unwrap();
        if let Some(actual) = actual {
            store
                .finish_job(
                    jobs[0],
                    JobState::Succeeded,
                    None,
                    Some((Micros(*actual), "usage")),
                    &stamp,
                )
                .unwrap();
        }
    }
    let spend = |day: &str, estimated_micros, actual_micros, calls| DaySpend {
        day: day.into(),
        estimated_micros,
        actual_micros,
        calls,
    };
    assert_eq!(
        store.daily_spend("2026-11-18", "2026-11-22").unwrap(),
        vec![
            spend("2026-11-18", 0, 0, 0),
            spend("2026-11-19", 50_000, 40_001, 2),
            spend("2026-11-20", 0, 0, 0),
            spend("2026-11-21", 65_000, 60_000, 1),
            spend("2026-11-22", 0, 0, 0),
        ]
    );
    assert_eq!(
        store.daily_spend("2026-10-23", "2026-11-21").unwrap().len(),
        30
    );
    assert_eq!(
        store.daily_spend("2026-11-23", "2026-11-23").unwrap(),
        vec![spend("2026-11-23", 7_000, 7_000, 1)]
    );
    assert!(
        store
            .daily_spend("2026-11-22", "2026-11-18")
            .unwrap()
            .is_empty()
    );
    let wrong = store.daily_spend("21/11/2026", "2026-11-22").unwrap_err();
    assert!(wrong.to_string().contains("21/11/2026"), "{wrong}");
}

/// Runs one job from `start` to `end` (ms) and leaves it in `state`.
fn job(store: &mut Store, model: &str, start: i64, end: i64, state: JobState) {
    let (_, jobs) = store
        .insert_request(&request(model, "p", &[1]), &at(start, "2026-11-21"))
        .unwrap();
    store
        .submit_job(jobs[0], Micros(1), "rule", &at(start, "2026-11-21"))
        .unwrap();
    store
        .finish_job(jobs[0], state, None, None, &at(end, "2026-11-21"))
        .unwrap();
}

#[test]
fn job_stats_count_outcomes_and_take_the_median_latency() {
    let mut store = Store::open_in_memory().unwrap();
    assert_eq!(store.job_stats(0, None, None).unwrap(), JobStats::default());

    let dalle = "openai/dall-e-3";
    job(&mut store, dalle, 100, 400, JobState::Succeeded); // 300
    job(&mut store, dalle, 1_000, 1_100, JobState::Succeeded); // 100
    job(&mut store, dalle, 2_000, 2_200, JobState::Succeeded); // 200
    job(&mut store, dalle, 3_000, 3_050, JobState::Failed);
    job(&mut store, dalle, 3_000, 3_060, JobState::Canceled);
    job(&mut store, dalle, 3_000, 3_070, JobState::Interrupted);
    // Finished before the window: left out.
    job(&mut store, dalle, 0, 50, JobState::Succeeded);
    // Still out: not finished.
    let (_, running) = store
        .insert_request(&request(dalle, "p", &[1]), &at(3_000, "2026-11-21"))
        .unwrap();
    store
        .submit_job(running[0], Micros(1), "rule", &at(3_000, "2026-11-21"))
        .unwrap();
    job(
        &mut store,
        "stability/sd3.5-large",
        4_000,
        4_400,
        JobState::Succeeded,
    ); // 400

    assert_eq!(
        store.job_stats(100, Some(dalle), None).unwrap(),
        JobStats {
            finished: 6,
            succeeded: 3,
            failed: 1,
            canceled: 1,
            median_latency_ms: Some(200),
        },
        "odd count: the middle latency"
    );
    // 100, 200, 300, 400: the lower middle, not the mean of 200 and 300.
    let everything = store.job_stats(100, None, None).unwrap();
    assert_eq!((everything.finished, everything.succeeded), (7, 4));
    assert_eq!(everything.median_latency_ms, Some(200));
    assert_eq!(
        store.job_stats(100, None, Some("stability")).unwrap(),
        JobStats {
            finished: 1,
            succeeded: 1,
            median_latency_ms: Some(400),
            ..JobStats::default()
        }
    );
    assert_eq!(
        store
            .job_stats(100, Some(dalle), Some("stability"))
            .unwrap(),
        JobStats::default()
    );
    assert_eq!(
        store.job_stats(0, Some(dalle), None).unwrap().succeeded,
        4,
        "an earlier since_ms takes in the earlier job"
    );
    let recent = store.job_stats(3_060, None, None).unwrap();
    assert_eq!(
        (recent.finished, recent.canceled, recent.failed),
        (3, 1, 0),
        "finished_at at since_ms counts"
    );
}
