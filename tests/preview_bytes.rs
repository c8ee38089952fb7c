//! The bytes the studio writes to the terminal for pictures, counted through
//! the real draw path (ratatui's diff, the synchronized update, kitty's
//! placement bookkeeping) over a gallery of 200 images: a picture on screen
//! is not sent again when the frame is redrawn, paging through the gallery
//! sends each thumbnail once, and kitty images are transmitted once and then
//! only placed by id.

mod studio_support;

use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::KeyCode;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use studio_support::{add_job, image, press, state};
use tintype::app::gallery::GallerySource;
use tintype::app::run::{Surface, draw};
use tintype::app::{Effect, Msg, State};
use tintype::config::theme::Theme;
use tintype::preview::detect::{Detected, Graphics};
use tintype::preview::{Encoder, KittyScreen, PreviewJob, PreviewSource};
use tintype::store::RequestId;

const IMAGES: i64 = 200;

/// Everything written, shared with the test.
#[derive(Clone, Default)]
struct Tape(Arc<Mutex<Vec<u8>>>);

impl Write for Tape {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Tape {
    fn take(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap())).unwrap()
    }
}

struct Studio {
    state: State,
    theme: Theme,
    terminal: Terminal<CrosstermBackend<Tape>>,
    tape: Tape,
    surface: Surface,
    encoder: Encoder,
    /// A different picture per image, so each one's bytes can be told apart.
    pictures: HashMap<std::path::PathBuf, image::DynamicImage>,
}

impl Studio {
    fn new(graphics: Graphics) -> Studio {
        let mut state = state("sandbox/procedural");
        state.images = true;
        add_job(&mut state, 1, 1, "sandbox/procedural", "fox");
        let images: Vec<_> = (1..=IMAGES).map(|i| image(i, 1, 1)).collect();
        let pictures = images
            .iter()
            .map(|row| {
                let shade = (row.id.0 * 37 % 256) as u8;
                let picture = image::RgbImage::from_fn(64, 64, |x, y| {
                    image::Rgb([shade, (x * 4) as u8, (y * 4) as u8])
                });
                (row.path.clone(), image::DynamicImage::ImageRgb8(picture))
            })
            .collect();
        state.update(Msg::Images {
            source: GallerySource::Request(RequestId(1)),
            images,
        });
        for _ in 0..3 {
            press(&mut state, KeyCode::Tab);
        }
        let detected = Detected {
            graphics,
            cell: (10, 20),
            tmux: false,
            tmux_sixel: false,
            ssh: true,
            reasons: Vec::new(),
        };
        let tape = Tape::default();
        let (theme, _) = Theme::load("dark", None, true);
        Studio {
            state,
            theme,
            terminal: Terminal::with_options(
                CrosstermBackend::new(tape.clone()),
                TerminalOptions {
                    viewport: Viewport::Fixed(Rect::new(0, 0, 120, 40)),
                },
            )
            .unwrap(),
            tape,
            surface: Surface::new(KittyScreen::new(false)),
            encoder: Encoder::new(&detected),
            pictures,
        }
    }

    /// One frame; the previews it asks for are encoded and delivered, as the
    /// worker would, and drawn in the frames that follow until none is missing.
    /// Returns what the terminal was sent.
    fn frame(&mut self) -> String {
        let mut sent = String::new();
        loop {
            let effects = draw(
                &mut self.terminal,
                &mut self.state,
                &self.theme,
                &mut self.surface,
            )
            .unwrap();
            sent.push_str(&self.tape.take());
            let jobs: Vec<PreviewJob> = effects
                .into_iter()
                .filter_map(|effect| match effect {
                    Effect::Preview(job) => Some(job),
                    _ => None,
                })
                .collect();
            if jobs.is_empty() {
                return sent;
            }
            for job in jobs {
                let PreviewSource::File(path) = &job.key.source else {
                    panic!("no partial images here");
                };
                let rendered =
                    self.encoder
                        .encode(&self.pictures[path], job.key.cols, job.key.rows);
                self.state.update(Msg::Preview {
                    key: job.key,
                    rendered,
                });
            }
        }
    }

    fn key(&mut self, code: KeyCode) -> String {
        press(&mut self.state, code);
        self.frame()
    }
}

/// The sixel images in `sent`, by their pixel width (a thumbnail is 120 px
/// wide at 10 px cells, the large preview wider).
fn sixels_by_width(sent: &str) -> HashMap<u32, usize> {
    let mut widths = HashMap::new();
    for image in sent.split("\x1bP0;1;0q\"1;1;").skip(1) {
        let width: u32 = image.split(';').next().unwrap().parse().unwrap();
        *widths.entry(width).or_default() += 1;
    }
    widths
}

#[test]
fn sixel_pictures_are_sent_once_and_paging_sends_each_thumbnail_once() {
    let mut studio = Studio::new(Graphics::Sixel);
    let first = studio.frame();
    let shown = sixels_by_width(&first);
    let thumbnails_per_page = shown[&120];
    assert!(thumbnails_per_page >= 6, "{shown:?}");
    eprintln!("first frame: {} bytes, {shown:?}", first.len());
    assert_eq!(
        shown.len(),
        2,
        "thumbnails and one large preview: {shown:?}"
    );

    // Redrawing with nothing changed sends no picture, hardly any bytes.
    studio.state.update(Msg::Tick(0));
    let again = studio.frame();
    assert!(sixels_by_width(&again).is_empty());
    assert!(again.len() < 200, "{} bytes: {again:?}", again.len());

    // Page to the end, one image at a time: every thumbnail is sent exactly
    // once (the large preview follows the selection, as it must).
    let mut thumbnails = thumbnails_per_page;
    let mut bytes = first.len();
    for _ in 1..IMAGES {
        let sent = studio.key(KeyCode::Char('l'));
        bytes += sent.len();
        let shown = sixels_by_width(&sent);
        thumbnails += shown.get(&120).copied().unwrap_or(0);
        assert_eq!(
            shown.values().sum::<usize>() - shown.get(&120).unwrap_or(&0),
            1
        );
    }
    assert_eq!(thumbnails, IMAGES as usize, "each thumbnail once");
    eprintln!("sixel: {bytes} bytes to page through {IMAGES} images");
}

#[test]
fn kitty_images_are_transmitted_once_and_placed_by_id() {
    let mut studio = Studio::new(Graphics::Kitty);
    let mut transmitted: HashMap<String, usize> = HashMap::new();
    let mut placements = 0;
    let mut deletions = 0;
    let mut tally = |sent: &str| {
        for command in sent.split("\x1b_G").skip(1) {
            if let Some(rest) = command.strip_prefix("a=t,f=100,i=") {
                let id: String = rest.chars().take_while(char::is_ascii_digit).collect();
                *transmitted.entry(id).or_default() += 1;
            } else if command.starts_with("a=p,") {
                placements += 1;
            } else if command.starts_with("a=d,d=i,") {
                deletions += 1;
            }
        }
    };
    let first = studio.frame();
    tally(&first);
    eprintln!("kitty first frame: {} bytes", first.len());
    let again = studio.frame();
    assert!(!again.contains("\x1b_G"), "a redraw sends no kitty command");

    // Down through every page and back up to the first.
    let mut bytes = first.len();
    for code in [KeyCode::Char('l'), KeyCode::Char('h')] {
        for _ in 1..IMAGES {
            let sent = studio.key(code);
            bytes += sent.len();
            tally(&sent);
        }
    }
    assert!(
        transmitted.values().all(|&n| n == 1),
        "an image sent twice: {transmitted:?}"
    );
    // 200 thumbnails and the large preview of each selection, the second
    // time round placed again without sending a pixel.
    assert_eq!(
        transmitted.len(),
        IMAGES as usize * 2,
        "{} sent, {placements} placed, {deletions} deleted",
        transmitted.len()
    );
    assert!(placements > transmitted.len(), "{placements} placements");
    assert!(deletions > 0, "placements that left the screen are removed");
    eprintln!(
        "kitty: {bytes} bytes for {} images sent, {placements} placements",
        transmitted.len()
    );
}
