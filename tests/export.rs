//! Contact sheets and exports, end to end through real files.

use std::path::{Path, PathBuf};

use chrono::TimeZone;
use image::{Rgb, RgbImage};
use tintype::preview::contact_sheet::{SheetError, SheetItem, SheetLayout, contact_sheet};
use tintype::preview::export::{export_dir, export_images};

// The default layout's geometry: 256 px boxes, 12 px gutters, and a caption
// block of 4 px gap + two 10 px lines, so one row is 280 px high.
const CELL: u32 = 256;
const GUTTER: u32 = 12;
const ROW: u32 = 280;
const CAPTION_RGB: [u8; 3] = [222, 222, 228];

const COLORS: [[u8; 3]; 5] = [
    [220, 40, 40],
    [40, 200, 60],
    [50, 80, 230],
    [240, 200, 30],
    [200, 60, 220],
];

fn png(dir: &Path, name: &str, width: u32, height: u32, rgb: [u8; 3]) -> PathBuf {
    let path = dir.join(name);
    RgbImage::from_pixel(width, height, Rgb(rgb))
        .save(&path)
        .expect("write test png");
    path
}

fn item(path: &Path, caption: &str) -> SheetItem {
    SheetItem {
        path: path.to_path_buf(),
        caption: caption.into(),
    }
}

fn squares(dir: &Path, count: usize) -> Vec<SheetItem> {
    (0..count)
        .map(|i| {
            let path = png(dir, &format!("img{i}.png"), 32, 32, COLORS[i % 5]);
            item(&path, &format!("image {i}"))
        })
        .collect()
}

fn cell_centre(index: u32) -> (u32, u32) {
    let (col, row) = (index % 4, index / 4);
    (
        GUTTER + col * (CELL + GUTTER) + CELL / 2,
        GUTTER + row * (ROW + GUTTER) + CELL / 2,
    )
}

fn close(pixel: Rgb<u8>, rgb: [u8; 3]) -> bool {
    pixel.0.iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= 2)
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn assert_no_parts(dir: &Path) {
    let parts: Vec<String> = names(dir)
        .into_iter()
        .filter(|n| Path::new(n).extension().is_some_and(|e| e == "part"))
        .collect();
    assert!(parts.is_empty(), "leftover temp files: {parts:?}");
}

#[test]
fn sheet_size_follows_the_grid() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let items = squares(tmp.path(), 5);
    let width_for = |columns: u32| columns * (CELL + GUTTER) + GUTTER;
    let height_for = |rows: u32| rows * (ROW + GUTTER) + GUTTER;
    for (count, columns, rows) in [(1, 1, 1), (4, 4, 1), (5, 4, 2)] {
        let out = tmp.path().join(format!("sheet{count}.png"));
        let sheet = contact_sheet(&items[..count], &SheetLayout::default(), &out).expect("sheet");
        assert_eq!(
            (sheet.width, sheet.height),
            (width_for(columns), height_for(rows))
        );
        assert_eq!((sheet.images, sheet.unreadable), (count, 0));
        assert_eq!(sheet.path, out);
        let decoded = image::open(&out).expect("sheet is a PNG");
        assert_eq!(
            (decoded.width(), decoded.height()),
            (sheet.width, sheet.height)
        );
    }
    assert_eq!((280, 304), (width_for(1), height_for(1)));
}

#[test]
fn cells_show_their_images_fitted_and_centred() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // Wide, tall, square, tiny (upscaled) and large (downscaled) sources.
    let sizes = [(40, 20), (20, 40), (30, 30), (1, 1), (600, 300)];
    let items: Vec<SheetItem> = sizes
        .iter()
        .zip(COLORS)
        .enumerate()
        .map(|(i, (&(w, h), rgb))| item(&png(tmp.path(), &format!("{i}.png"), w, h, rgb), ""))
        .collect();
    let out = tmp.path().join("sheet.png");
    contact_sheet(&items, &SheetLayout::default(), &out).expect("sheet");
    let sheet = image::open(&out).expect("decode").into_rgb8();
    for (i, rgb) in COLORS.iter().enumerate() {
        let (x, y) = cell_centre(i as u32);
        assert!(close(*sheet.get_pixel(x, y), *rgb), "cell {i} centre");
    }
    // The wide image is 256x128 in its box: letterbox above, picture below it.
    let (x, y) = cell_centre(0);
    assert!(!close(*sheet.get_pixel(x, y - CELL / 4 - 8), COLORS[0]));
    assert!(close(*sheet.get_pixel(x, y - CELL / 4 + 8), COLORS[0]));
    // The tall one is 128x256: pillarboxed left and right.
    let (x, y) = cell_centre(1);
    assert!(!close(*sheet.get_pixel(x - CELL / 4 - 8, y), COLORS[1]));
    assert!(close(*sheet.get_pixel(x - CELL / 4 + 8, y), COLORS[1]));
}

#[test]
fn captions_with_escape_sequences_draw_only_their_text() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let source = png(tmp.path(), "a.png", 16, 16, COLORS[0]);
    let draw = |caption: &str, name: &str| {
        let out = tmp.path().join(name);
        contact_sheet(&[item(&source, caption)], &SheetLayout::default(), &out)
            .expect("sheet with caption");
        image::open(&out).expect("decode").into_rgb8()
    };
    let hostile = draw(
        "\u{1b}[31mred\u{1b}[0m cat\u{7}\u{1b}]0;pwned\u{7}\r\n",
        "esc.png",
    );
    let plain = draw("red cat", "plain.png");
    let blank = draw("", "blank.png");
    assert_eq!(hostile, plain);
    let caption_pixels = |img: &RgbImage| {
        img.enumerate_pixels()
            .filter(|(_, y, p)| *y >= GUTTER + CELL && p.0 == CAPTION_RGB)
            .count()
    };
    assert!(caption_pixels(&plain) > 20);
    assert_eq!(caption_pixels(&blank), 0);
}

#[test]
fn long_captions_stay_inside_their_cell() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut items = squares(tmp.path(), 2);
    items[0].caption = "word ".repeat(200);
    items[1].caption = String::new();
    let out = tmp.path().join("sheet.png");
    contact_sheet(&items, &SheetLayout::default(), &out).expect("sheet");
    let sheet = image::open(&out).expect("decode").into_rgb8();
    let right_of_first = GUTTER + CELL;
    assert!(
        sheet
            .enumerate_pixels()
            .all(|(x, _, p)| x < right_of_first || p.0 != CAPTION_RGB)
    );
}

#[test]
fn unreadable_files_get_their_own_cell() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let good = png(tmp.path(), "good.png", 8, 8, COLORS[2]);
    let garbage = tmp.path().join("garbage.png");
    std::fs::write(&garbage, b"not an image at all").expect("write");
    let missing = tmp.path().join("missing.png");
    let items = [
        item(&garbage, "bad"),
        item(&good, "ok"),
        item(&missing, "gone"),
    ];
    let out = tmp.path().join("sheet.png");
    let sheet = contact_sheet(&items, &SheetLayout::default(), &out).expect("sheet");
    assert_eq!((sheet.images, sheet.unreadable), (1, 2));
    assert_eq!(sheet.width, 3 * (CELL + GUTTER) + GUTTER);
    let img = image::open(&out).expect("decode").into_rgb8();
    let (x, y) = cell_centre(1);
    assert!(close(*img.get_pixel(x, y), COLORS[2]));
}

#[test]
fn no_readable_images_is_an_error_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("sheet.png");
    let empty = contact_sheet(&[], &SheetLayout::default(), &out);
    assert!(matches!(empty, Err(SheetError::NoImages)));
    let garbage = tmp.path().join("garbage.png");
    std::fs::write(&garbage, b"nope").expect("write");
    let none = contact_sheet(&[item(&garbage, "x")], &SheetLayout::default(), &out);
    assert!(matches!(none, Err(SheetError::NoImages)));
    assert!(!out.exists());
    assert_no_parts(tmp.path());
}

#[test]
fn oversized_sheets_fail_before_decoding() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let items: Vec<SheetItem> = (0..20)
        .map(|i| item(&tmp.path().join(format!("never-{i}.png")), ""))
        .collect();
    let layout = SheetLayout {
        columns: 1,
        cell: 4096,
        caption_lines: 2,
    };
    let result = contact_sheet(&items, &layout, &tmp.path().join("huge.png"));
    assert!(matches!(result, Err(SheetError::TooLarge { .. })));
}

#[test]
fn sheet_never_replaces_a_file_and_leaves_no_temp_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let items = squares(tmp.path(), 3);
    let out = tmp.path().join("sheet.png");
    contact_sheet(&items, &SheetLayout::default(), &out).expect("sheet");
    assert_no_parts(tmp.path());
    let taken = tmp.path().join("taken.png");
    std::fs::write(&taken, b"keep me").expect("write");
    let result = contact_sheet(&items, &SheetLayout::default(), &taken);
    assert!(matches!(result, Err(SheetError::Write { .. })));
    assert_eq!(std::fs::read(&taken).expect("read"), b"keep me");
    assert_no_parts(tmp.path());
}

#[test]
fn export_copies_in_order_skips_missing_and_never_overwrites() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (src_a, src_b) = (tmp.path().join("a"), tmp.path().join("b"));
    std::fs::create_dir_all(&src_a).expect("mkdir");
    std::fs::create_dir_all(&src_b).expect("mkdir");
    let red = png(&src_a, "cat.png", 20, 20, COLORS[0]);
    let green = png(&src_a, "dog.png", 20, 10, COLORS[1]);
    let blue = png(&src_b, "cat.png", 10, 20, COLORS[2]);
    let missing = src_a.join("gone.png");
    let dir = tmp.path().join("out").join("export");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("001-cat.png"), b"already here").expect("write");
    let items = [
        item(&red, "red cat"),
        item(&missing, "gone"),
        item(&green, "green dog"),
        item(&blue, "blue cat"),
    ];

    let first = export_images(&items, &dir, &SheetLayout::default()).expect("export");
    assert_eq!(first.dir, dir);
    assert_eq!(
        first.copied,
        [
            dir.join("001-cat-2.png"),
            dir.join("002-dog.png"),
            dir.join("003-cat.png")
        ]
    );
    assert_eq!(first.skipped_missing, std::slice::from_ref(&missing));
    for (copy, source) in first.copied.iter().zip([&red, &green, &blue]) {
        assert_eq!(
            std::fs::read(copy).expect("copy"),
            std::fs::read(source).expect("src")
        );
    }
    assert_eq!(
        std::fs::read(dir.join("001-cat.png")).expect("read"),
        b"already here"
    );
    let sheet = first.sheet.expect("sheet written");
    assert!(first.sheet_error.is_none());
    assert_eq!(sheet.path, dir.join("contact-sheet.png"));
    assert_eq!((sheet.images, sheet.unreadable), (3, 0));
    let img = image::open(&sheet.path).expect("decode").into_rgb8();
    for (i, rgb) in [COLORS[0], COLORS[1], COLORS[2]].into_iter().enumerate() {
        let (x, y) = cell_centre(i as u32);
        assert!(close(*img.get_pixel(x, y), rgb), "sheet cell {i}");
    }

    let second = export_images(&items, &dir, &SheetLayout::default()).expect("export again");
    assert_eq!(
        second.copied,
        [
            dir.join("001-cat-3.png"),
            dir.join("002-dog-2.png"),
            dir.join("003-cat-2.png")
        ]
    );
    let sheet = second.sheet.expect("second sheet");
    assert_eq!(sheet.path, dir.join("contact-sheet-2.png"));
    assert_eq!(
        std::fs::read(&first.copied[0]).expect("read"),
        std::fs::read(&red).expect("src")
    );
    assert_eq!(names(&dir).len(), 1 + 3 + 3 + 2);
    assert_no_parts(&dir);
}

#[test]
fn export_of_nothing_readable_still_creates_the_folder() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("new");
    let missing = tmp.path().join("gone.png");
    let done =
        export_images(&[item(&missing, "x")], &dir, &SheetLayout::default()).expect("export");
    assert!(dir.is_dir());
    assert!(done.copied.is_empty());
    assert_eq!(done.skipped_missing, [missing]);
    assert!(done.sheet.is_none() && done.sheet_error.is_none());

    // Copied but undecodable: the files are exported, the sheet is explained.
    let text = tmp.path().join("notes.png");
    std::fs::write(&text, b"not a picture").expect("write");
    let done = export_images(&[item(&text, "x")], &dir, &SheetLayout::default()).expect("export");
    assert_eq!(done.copied, [dir.join("001-notes.png")]);
    assert!(done.sheet.is_none());
    assert!(matches!(done.sheet_error, Some(SheetError::NoImages)));
    assert_no_parts(&dir);
}

#[test]
fn export_numbers_are_wide_enough_to_sort() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let source = png(tmp.path(), "p.png", 4, 4, COLORS[3]);
    let items: Vec<SheetItem> = (0..1001).map(|_| item(&source, "")).collect();
    let layout = SheetLayout {
        columns: 40,
        cell: 32,
        caption_lines: 0,
    };
    let done = export_images(&items, &tmp.path().join("many"), &layout).expect("export");
    assert_eq!(done.copied.len(), 1001);
    assert!(done.copied[0].ends_with("0001-p.png"));
    assert!(done.copied[1000].ends_with("1001-p.png"));
    assert_eq!(done.sheet.expect("sheet").images, 1001);
}

#[test]
fn export_dir_is_timestamped_and_fresh() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let now = chrono::Local
        .with_ymd_and_hms(2024, 3, 5, 14, 7, 9)
        .single()
        .expect("unambiguous local time");
    let first = export_dir(tmp.path(), now);
    assert_eq!(first, tmp.path().join("tintype-export-20240305-140709"));
    std::fs::create_dir(&first).expect("mkdir");
    let second = export_dir(tmp.path(), now);
    assert_eq!(second, tmp.path().join("tintype-export-20240305-140709-2"));
    std::fs::create_dir(&second).expect("mkdir");
    assert_eq!(
        export_dir(tmp.path(), now),
        tmp.path().join("tintype-export-20240305-140709-3")
    );
}
