//! Contact cards as PDF: A4 sheets of eight cards (two across, four down) with cut marks,
//! drawn with krilla in a CJK font (only the glyphs used are embedded) and a QR code drawn as
//! rectangles. Cards are added one at a time; a sheet is finished every eighth card.

use crate::domain::cards::Printable;
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use std::path::{Path, PathBuf};

/// Where Debian and other systems keep CJK fonts, with the face index of a collection.
const FONT_PLACES: [(&str, u32); 8] = [
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc", 0),
    // Noto Sans CJK collections: face 2 is Simplified Chinese.
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    (
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
        2,
    ),
    (
        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
        0,
    ),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/System/Library/Fonts/PingFang.ttc", 0),
];

pub const NO_FONT: &str = "找不到可打印中文的字体：请安装 fonts-wqy-microhei（apt-get install fonts-wqy-microhei）或 fonts-noto-cjk，或在设置 card_font（环境变量 LIANXIN_CARD_FONT）中写明字体文件的路径";

/// The font file to print with: the setting's, else the first of the usual places.
pub fn find_font(setting: Option<&Path>) -> Result<(PathBuf, u32), String> {
    if let Some(p) = setting {
        return if p.is_file() {
            let index = if p.to_string_lossy().contains("NotoSansCJK") {
                2
            } else {
                0
            };
            Ok((p.to_path_buf(), index))
        } else {
            Err(format!(
                "设置 card_font 指定的字体文件不存在：{}",
                p.display()
            ))
        };
    }
    FONT_PLACES
        .iter()
        .map(|(p, i)| (PathBuf::from(p), *i))
        .find(|(p, _)| p.is_file())
        .ok_or_else(|| NO_FONT.to_string())
}

/// Loads the font the cards are printed with.
pub fn load_font(setting: Option<&Path>) -> Result<Font, String> {
    let (path, index) = find_font(setting)?;
    let data =
        std::fs::read(&path).map_err(|e| format!("读取字体 {} 失败：{e}", path.display()))?;
    Font::new(data.into(), index).ok_or_else(|| {
        format!(
            "字体 {} 无法使用，请换用 fonts-wqy-microhei",
            path.display()
        )
    })
}

// A4 in points, and the card grid: 90 × 62 mm cards, two across and four down, centred.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const CARD_W: f32 = 255.12;
const CARD_H: f32 = 175.75;
const COLS: usize = 2;
const ROWS: usize = 4;
const PAD: f32 = 12.0;
const QR: f32 = 74.0;

fn left() -> f32 {
    (PAGE_W - CARD_W * COLS as f32) / 2.0
}

fn top() -> f32 {
    (PAGE_H - CARD_H * ROWS as f32) / 2.0
}

fn fill(surface: &mut Surface, r: u8, g: u8, b: u8) {
    surface.set_fill(Some(Fill {
        paint: rgb::Color::new(r, g, b).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }));
}

fn rects(surface: &mut Surface, rs: &[(f32, f32, f32, f32)]) {
    let mut pb = PathBuilder::new();
    for (x, y, w, h) in rs {
        if let Some(r) = Rect::from_xywh(*x, *y, *w, *h) {
            pb.push_rect(r);
        }
    }
    if let Some(path) = pb.finish() {
        surface.draw_path(&path);
    }
}

/// The width of text as laid out here: a CJK character is one em, anything narrower half.
fn width(s: &str, size: f32) -> f32 {
    s.chars()
        .map(|c| if c.is_ascii() { 0.55 * size } else { size })
        .sum()
}

/// Text broken into lines no wider than `max`, at most `lines` of them (the last one cut
/// with “…” when the text is longer).
fn wrap(s: &str, size: f32, max: f32, lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        let mut next = cur.clone();
        next.push(c);
        if width(&next, size) > max && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
            cur.push(c);
        } else {
            cur = next;
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    if out.len() > lines {
        out.truncate(lines);
        if let Some(last) = out.last_mut() {
            while width(last, size) + size > max && last.pop().is_some() {}
            last.push('…');
        }
    }
    out
}

/// A PDF of cards being drawn.
pub struct Sheets {
    doc: Document,
    font: Font,
    pending: Vec<Printable>,
    pub cards: usize,
    pub pages: usize,
}

impl Sheets {
    pub fn new(font: Font) -> Sheets {
        Sheets {
            doc: Document::new(),
            font,
            pending: Vec::with_capacity(COLS * ROWS),
            cards: 0,
            pages: 0,
        }
    }

    pub fn add(&mut self, card: Printable) -> Result<(), String> {
        self.pending.push(card);
        self.cards += 1;
        if self.pending.len() == COLS * ROWS {
            self.sheet()?;
        }
        Ok(())
    }

    fn sheet(&mut self) -> Result<(), String> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or("页面尺寸无效")?;
        let mut page = self.doc.start_page_with(settings);
        let mut s = page.surface();
        cut_marks(&mut s);
        for (i, card) in self.pending.drain(..).enumerate() {
            let x = left() + CARD_W * (i % COLS) as f32;
            let y = top() + CARD_H * (i / COLS) as f32;
            draw_card(&mut s, &self.font, &card, x, y)?;
        }
        s.finish();
        page.finish();
        self.pages += 1;
        Ok(())
    }

    /// The finished PDF.
    pub fn finish(mut self) -> Result<Vec<u8>, String> {
        self.sheet()?;
        if self.pages == 0 {
            return Err("没有可打印的卡片".into());
        }
        self.doc
            .finish()
            .map_err(|e| format!("生成 PDF 失败：{e:?}"))
    }
}

/// Short marks outside the grid on every cutting line.
fn cut_marks(s: &mut Surface) {
    fill(s, 0, 0, 0);
    let (l, t) = (left(), top());
    let (r, b) = (l + CARD_W * COLS as f32, t + CARD_H * ROWS as f32);
    let (gap, len, thin) = (6.0, 14.0, 0.4);
    let mut marks = Vec::new();
    for c in 0..=COLS {
        let x = l + CARD_W * c as f32 - thin / 2.0;
        marks.push((x, t - gap - len, thin, len));
        marks.push((x, b + gap, thin, len));
    }
    for row in 0..=ROWS {
        let y = t + CARD_H * row as f32 - thin / 2.0;
        marks.push((l - gap - len, y, len, thin));
        marks.push((r + gap, y, len, thin));
    }
    rects(s, &marks);
}

fn text(s: &mut Surface, font: &Font, x: f32, y: f32, size: f32, t: &str) {
    s.draw_text(
        Point::from_xy(x, y),
        font.clone(),
        size,
        t,
        false,
        TextDirection::Auto,
    );
}

fn draw_card(s: &mut Surface, font: &Font, c: &Printable, x: f32, y: f32) -> Result<(), String> {
    // Title in the party's red, a rule under it.
    fill(s, 0xb7, 0x1c, 0x1c);
    text(s, font, x + PAD, y + PAD + 13.0, 14.0, &c.title);
    rects(s, &[(x + PAD, y + PAD + 19.0, CARD_W - 2.0 * PAD, 0.8)]);
    fill(s, 0, 0, 0);
    let size = 8.6;
    let step = 11.6;
    let with_qr = c.link.is_some();
    let text_w = CARD_W - 2.0 * PAD - if with_qr { QR + 12.0 } else { 0.0 };
    let mut ty = y + PAD + 33.0;
    let bottom = y + CARD_H - PAD - 22.0;
    for (label, value) in &c.lines {
        let line = format!("{label}：{value}");
        for part in wrap(&line, size, text_w, 3) {
            if ty > bottom {
                break;
            }
            text(s, font, x + PAD, ty, size, &part);
            ty += step;
        }
    }
    if let Some(link) = &c.link {
        let qx = x + CARD_W - PAD - QR;
        let qy = y + PAD + 26.0;
        draw_qr(s, link, qx, qy, QR)?;
        fill(s, 0x44, 0x44, 0x44);
        text(s, font, qx + 4.0, qy + QR + 10.0, 7.0, "扫码反映问题");
    }
    fill(s, 0x33, 0x33, 0x33);
    let mut ny = y + CARD_H - PAD - 12.0;
    for part in wrap(&c.note, 7.0, CARD_W - 2.0 * PAD, 1) {
        text(s, font, x + PAD, ny, 7.0, &part);
        ny += 9.0;
    }
    fill(s, 0x77, 0x77, 0x77);
    text(s, font, x + PAD, y + CARD_H - PAD + 1.0, 5.8, &c.footer);
    Ok(())
}

/// The QR code as dark rectangles in module units under one transform (small integers keep
/// the content stream short): one per run of dark modules in a row, runs repeated in the rows
/// below merged into one taller rectangle.
fn draw_qr(s: &mut Surface, data: &str, x: f32, y: f32, size: f32) -> Result<(), String> {
    let code = qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| format!("二维码生成失败：{e}"))?;
    let n = code.width();
    let dark = code.to_colors();
    let on = |row: usize, c: usize| dark.get(row * n + c) == Some(&qrcode::Color::Dark);
    // (start column, end column) → index of the rectangle still growing downwards.
    let mut open: std::collections::HashMap<(usize, usize), usize> = Default::default();
    let mut runs: Vec<(f32, f32, f32, f32)> = Vec::new();
    for row in 0..n {
        let mut next = std::collections::HashMap::new();
        let mut col = 0;
        while col < n {
            if !on(row, col) {
                col += 1;
                continue;
            }
            let start = col;
            while col < n && on(row, col) {
                col += 1;
            }
            let i = match open.get(&(start, col)) {
                Some(&i) => {
                    if let Some(r) = runs.get_mut(i) {
                        r.3 += 1.0;
                    }
                    i
                }
                None => {
                    runs.push((start as f32, row as f32, (col - start) as f32, 1.0));
                    runs.len() - 1
                }
            };
            next.insert((start, col), i);
        }
        open = next;
    }
    let m = size / n as f32;
    s.push_transform(&krilla::geom::Transform::from_row(m, 0.0, 0.0, m, x, y));
    fill(s, 0, 0, 0);
    rects(s, &runs);
    s.pop();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_wraps_within_the_width_and_is_cut_with_an_ellipsis() {
        let lines = wrap(
            "负责全县市场主体登记注册、食品安全监督管理和消费者权益保护",
            10.0,
            100.0,
            2,
        );
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| width(l, 10.0) <= 100.0), "{lines:?}");
        assert!(lines[1].ends_with('…'));
        assert_eq!(
            wrap("电话：0591-1234567", 10.0, 200.0, 2),
            ["电话：0591-1234567"]
        );
    }

    #[test]
    fn a_missing_font_setting_is_named() {
        let e = find_font(Some(Path::new("/nonexistent/font.ttc"))).unwrap_err();
        assert!(e.contains("/nonexistent/font.ttc"));
        assert!(NO_FONT.contains("fonts-wqy-microhei"));
    }
}

/// A card row as printed: the face's words, the values' lines, the QR link, the version.
pub fn printable(
    settings: &crate::domain::cards::CardSettings,
    issued: &crate::store::cards::Issued,
    base_url: &str,
    copy_for: Option<&str>,
) -> Printable {
    use crate::domain::cards::Holder;
    let holder = Holder::from_code(&issued.card.holder_kind).unwrap_or(Holder::Household);
    let face = settings.face(holder);
    let c = &issued.card;
    let mut footer = format!(
        "第{}版 · {}印制 · {}",
        c.version,
        c.printed_on.format("%Y-%m-%d"),
        c.holder_code
    );
    if let Some(to) = copy_for {
        footer.push_str(&format!(" · 送{to}"));
    }
    Printable {
        title: face.title.clone(),
        lines: issued.values.lines(face),
        note: face.note.clone(),
        link: c
            .secret
            .as_deref()
            .map(|s| crate::store::cards::household_link(base_url, s)),
        footer,
    }
}

/// What a print made.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Printed {
    pub cards: usize,
    pub pages: usize,
    /// PDF files written (more than one only past the per-file limit).
    pub files: usize,
    /// Cards printed as a new version (first card, or after a change).
    pub new_versions: usize,
}

/// Issues every card of a scope and hands each, ready to print, to `sink` (and `None` after
/// each village, where a long print may start a new file): households
/// village by village (each batch issued in its own transaction), or a unit's card once per
/// service object. Answers how many were new versions.
pub async fn each_card(
    db: &sea_orm::DatabaseConnection,
    settings: &crate::domain::cards::CardSettings,
    scope: &crate::store::cards::Scope,
    base_url: &str,
    by: &str,
    now: chrono::DateTime<chrono::Utc>,
    mut sink: impl FnMut(Option<Printable>) -> Result<(), String>,
) -> Result<usize, crate::store::StoreError> {
    use crate::domain::cards::Holder;
    use crate::store::StoreError;
    use crate::store::cards::{self, Scope};
    let mut new_versions = 0;
    let today = crate::time::beijing_date(now);
    match scope {
        Scope::Unit(code) => {
            let issued = cards::issue(
                db,
                settings,
                Holder::Unit,
                std::slice::from_ref(code),
                false,
                by,
                now,
            )
            .await?;
            let Some(card) = issued.first() else {
                return Err(StoreError::NotFound(format!("单位“{code}”")));
            };
            new_versions += usize::from(card.new_version);
            let objects = cards::service_objects(db, code, today).await?;
            if objects.is_empty() {
                sink(Some(printable(settings, card, base_url, None)))
                    .map_err(StoreError::Invalid)?;
            }
            for o in &objects {
                sink(Some(printable(settings, card, base_url, Some(o))))
                    .map_err(StoreError::Invalid)?;
            }
        }
        _ => {
            for batch in cards::household_batches(db, scope, today).await? {
                let issued =
                    cards::issue(db, settings, Holder::Household, &batch, false, by, now).await?;
                for i in &issued {
                    new_versions += usize::from(i.new_version);
                    sink(Some(printable(settings, i, base_url, None)))
                        .map_err(StoreError::Invalid)?;
                }
                sink(None).map_err(StoreError::Invalid)?;
            }
        }
    }
    Ok(new_versions)
}

/// Prints every card of a scope as PDF: one file, or — when a print runs past `per_file`
/// cards — a new file at the next village's start, so that a county's cards never sit in
/// memory all at once (krilla holds a document until it is written). The sheets are drawn on a
/// blocking thread as the database hands over the cards village by village; each finished
/// file goes to `on_file` (its number from 1, its bytes) on that thread.
#[allow(clippy::too_many_arguments)]
pub async fn print_scope(
    db: &sea_orm::DatabaseConnection,
    settings: &crate::domain::cards::CardSettings,
    font: Font,
    scope: &crate::store::cards::Scope,
    base_url: &str,
    by: &str,
    now: chrono::DateTime<chrono::Utc>,
    per_file: usize,
    mut on_file: impl FnMut(usize, Vec<u8>) -> Result<(), String> + Send + 'static,
) -> Result<Printed, crate::store::StoreError> {
    use crate::store::StoreError;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Option<Printable>>(64);
    let drawing = tokio::task::spawn_blocking(move || {
        let mut done = Printed::default();
        let mut sheets = Sheets::new(font.clone());
        let mut finish = |sheets: Sheets, done: &mut Printed| -> Result<(), String> {
            done.cards += sheets.cards;
            done.pages += sheets.pages + usize::from(!sheets.cards.is_multiple_of(8));
            done.files += 1;
            on_file(done.files, sheets.finish()?)
        };
        for c in rx {
            match c {
                Some(c) => sheets.add(c)?,
                None if sheets.cards >= per_file => {
                    let full = std::mem::replace(&mut sheets, Sheets::new(font.clone()));
                    finish(full, &mut done)?;
                }
                None => {}
            }
        }
        if sheets.cards > 0 || done.files == 0 {
            finish(sheets, &mut done)?;
        }
        Ok::<_, String>(done)
    });
    let sent = each_card(db, settings, scope, base_url, by, now, |c| {
        tx.send(c).map_err(|_| "生成 PDF 的线程已停止".to_string())
    })
    .await;
    drop(tx);
    let drawn = drawing
        .await
        .map_err(|e| StoreError::Invalid(format!("生成 PDF 失败：{e}")))?;
    let new_versions = sent?;
    let mut done = drawn.map_err(StoreError::Invalid)?;
    done.new_versions = new_versions;
    Ok(done)
}

/// A table on A4 pages: a title, a line under it, then the rows, the header repeated on each
/// page. Widths are in points; text wider than its column is cut with “…”.
pub fn table_pdf(
    font: Font,
    title: &str,
    note: &str,
    headers: &[&str],
    widths: &[f32],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, String> {
    const SIZE: f32 = 9.0;
    const LINE: f32 = 15.0;
    let margin = 40.0;
    let mut doc = Document::new();
    let per_page = ((PAGE_H - 2.0 * margin - 60.0) / LINE) as usize;
    let chunks: Vec<&[Vec<String>]> = if rows.is_empty() {
        vec![&[]]
    } else {
        rows.chunks(per_page.max(1)).collect()
    };
    let pages = chunks.len();
    for (n, chunk) in chunks.into_iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or("页面尺寸无效")?;
        let mut page = doc.start_page_with(settings);
        let mut s = page.surface();
        fill(&mut s, 0, 0, 0);
        text(&mut s, &font, margin, margin + 16.0, 16.0, title);
        text(
            &mut s,
            &font,
            margin,
            margin + 34.0,
            SIZE,
            &format!("{note}　第{}页，共{pages}页", n + 1),
        );
        rects(
            &mut s,
            &[(margin, margin + 40.0, PAGE_W - 2.0 * margin, 0.6)],
        );
        let mut y = margin + 58.0;
        let row = |s: &mut Surface, y: f32, cells: &[&str]| {
            let mut x = margin;
            for (c, w) in cells.iter().zip(widths) {
                let t = wrap(c, SIZE, w - 4.0, 1)
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                text(s, &font, x, y, SIZE, &t);
                x += w;
            }
        };
        row(&mut s, y, headers);
        rects(&mut s, &[(margin, y + 4.0, PAGE_W - 2.0 * margin, 0.4)]);
        for r in chunk {
            y += LINE;
            let cells: Vec<&str> = r.iter().map(String::as_str).collect();
            row(&mut s, y, &cells);
        }
        s.finish();
        page.finish();
    }
    doc.finish().map_err(|e| format!("生成 PDF 失败：{e:?}"))
}
