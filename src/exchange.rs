//! Files in and out: `.csv` and `.xlsx` read into [`Sheet`]s, registry lists and
//! blank templates written as `.xlsx`. The layouts are those of FORMATS.md.

use crate::domain::formats::{
    ImportError, Kind, Records, Sheet, index_headers, parse_rows, parse_sheet,
};
use crate::store::import::{ImportFile, Source};
use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use std::io::Cursor;
use std::path::Path;

pub(crate) fn file_error(file: &str, reason: String) -> ImportError {
    ImportError {
        file: file.to_string(),
        row: 0,
        column: String::new(),
        value: String::new(),
        reason,
    }
}

/// Reads the first sheet of an `.xlsx`, or a UTF-8 `.csv` (with or without BOM).
pub fn read_sheet(file: &str, bytes: &[u8]) -> Result<Sheet, ImportError> {
    let lower = file.to_lowercase();
    let mut rows: Vec<Vec<String>> = if lower.ends_with(".xlsx") {
        read_xlsx(file, bytes)?
    } else if lower.ends_with(".csv") {
        csv_rows(file, csv_text(file, bytes)?)
            .map(|r| r.map(Record::cells))
            .collect::<Result<_, _>>()?
    } else {
        return Err(file_error(file, "只支持 .xlsx 和 .csv 文件".into()));
    };
    if rows.is_empty() {
        return Err(file_error(file, "文件是空的，第一行应为表头".into()));
    }
    let headers = rows.remove(0);
    Ok(Sheet { headers, rows })
}

fn csv_text<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str, ImportError> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        file_error(
            file,
            "CSV文件不是UTF-8编码（请在Excel中另存为“CSV UTF-8”）".into(),
        )
    })?;
    Ok(text.trim_start_matches('\u{feff}'))
}

/// A CSV row as the reader gives it: its cells in one buffer, not a string each.
pub struct Record(csv::StringRecord);

impl Record {
    fn cells(self) -> Vec<String> {
        self.0.iter().map(str::to_string).collect()
    }
}

impl crate::domain::formats::RowCells for Record {
    fn cell(&self, i: usize) -> Option<&str> {
        self.0.get(i)
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// A CSV file's rows, header first, one at a time.
fn csv_rows<'a>(
    file: &'a str,
    text: &'a str,
) -> impl Iterator<Item = Result<Record, ImportError>> + 'a {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .into_records()
        .enumerate()
        .map(move |(i, rec)| {
            rec.map(Record).map_err(|e| ImportError {
                file: file.to_string(),
                row: i + 1,
                column: String::new(),
                value: String::new(),
                reason: format!("CSV格式错误：{e}"),
            })
        })
}

/// What one `.xlsx` may unpack to: its parts together (a zip bomb of 1 MB that expands to 1 GB is
/// refused before it is read), and the columns a sheet may use (a cell in column XFD would make
/// the sheet 16,384 columns wide for every row).
const MAX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;
const MAX_PARTS: usize = 2_000;
const MAX_COLUMNS: u32 = 200;
const MAX_ROWS: u32 = 1_048_576;

/// Counts what the zip's parts unpack to, by their headers and then by unpacking them into
/// nothing (a header may lie), stopping at the limit.
fn check_unpacked(file: &str, bytes: &[u8]) -> Result<(), ImportError> {
    check_unpacked_within(file, bytes, MAX_UNPACKED_BYTES)
}

fn check_unpacked_within(file: &str, bytes: &[u8], limit: u64) -> Result<(), ImportError> {
    use std::io::Read;
    let unreadable = |e: zip::result::ZipError| file_error(file, format!("无法读取Excel文件：{e}"));
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    let too_big = || {
        file_error(
            file,
            format!(
                "Excel文件解压后超过{}MB，疑为异常文件：请另存为CSV或分成几个文件导入",
                limit / 1024 / 1024
            ),
        )
    };
    if zip.len() > MAX_PARTS {
        return Err(file_error(
            file,
            format!("Excel文件包含{}个部件，超过上限{MAX_PARTS}", zip.len()),
        ));
    }
    // Bytes unpacked so far; never above the limit.
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let part = zip.by_index(i).map_err(unreadable)?;
        let left = limit.saturating_sub(total);
        // The header's word first: a part declared beyond what is left is refused unread.
        if part.size() > left {
            return Err(too_big());
        }
        let read = std::io::copy(&mut part.take(left + 1), &mut std::io::sink())
            .map_err(|e| file_error(file, format!("无法读取Excel文件：{e}")))?;
        if read > left {
            return Err(too_big());
        }
        total += read;
    }
    Ok(())
}

/// The first sheet of an `.xlsx`, cell by cell, within the limits above.
fn read_xlsx(file: &str, bytes: &[u8]) -> Result<Vec<Vec<String>>, ImportError> {
    check_unpacked(file, bytes)?;
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| file_error(file, format!("无法读取Excel文件：{e}")))?;
    let first = wb
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| file_error(file, "Excel文件中没有工作表".into()))?;
    let mut cells = wb
        .worksheet_cells_reader(&first)
        .map_err(|e| file_error(file, format!("无法读取第一个工作表：{e}")))?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    while let Some(cell) = cells
        .next_cell()
        .map_err(|e| file_error(file, format!("无法读取第一个工作表：{e}")))?
    {
        let (r, c) = cell.get_position();
        if c >= MAX_COLUMNS {
            return Err(ImportError {
                file: file.to_string(),
                row: r as usize + 1,
                column: format!("第{}列", c + 1),
                value: String::new(),
                reason: format!("表格最多{MAX_COLUMNS}列：这一格超出了范围，请删去多余的列"),
            });
        }
        if r >= MAX_ROWS {
            return Err(file_error(file, format!("表格最多{MAX_ROWS}行")));
        }
        let text = cell_text(&Data::from(cell.get_value().clone()));
        if text.is_empty() {
            continue;
        }
        let (r, c) = (r as usize, c as usize);
        if rows.len() <= r {
            rows.resize_with(r + 1, Vec::new);
        }
        if let Some(row) = rows.get_mut(r) {
            if row.len() <= c {
                row.resize(c + 1, String::new());
            }
            if let Some(slot) = row.get_mut(c) {
                *slot = text;
            }
        }
    }
    // As the sheet's used range: from its first row and first column with something in them.
    let first_row = rows.iter().position(|r| !r.is_empty()).unwrap_or(0);
    rows.drain(..first_row);
    let first_col = rows
        .iter()
        .filter_map(|r| r.iter().position(|c| !c.is_empty()))
        .min()
        .unwrap_or(0);
    for r in &mut rows {
        r.drain(..first_col.min(r.len()));
    }
    Ok(rows)
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        // A number this long was an ID number typed into a number cell: Excel kept only 15
        // digits. Shown as Excel shows it, so that the check can say what happened.
        Data::Float(f) if f.abs() >= 1e15 => format!("{f:E}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) => t.date().format("%Y-%m-%d").to_string(),
            None => dt.to_string(),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// Which kind a file holds, from its name (`people.xlsx`, `人员.csv`).
pub fn kind_of_file(name: &str) -> Option<Kind> {
    let stem = Path::new(name).file_stem()?.to_str()?;
    Kind::parse(stem).ok()
}

/// Reads and parses one file; its problems travel with it, so the import can
/// report them together with every reference problem of the other rows. A CSV file is parsed
/// row by row as it is read.
pub fn load_file(kind: Kind, name: &str, bytes: &[u8]) -> ImportFile {
    let parsed = if name.to_lowercase().ends_with(".csv") {
        csv_text(name, bytes).and_then(|text| {
            let mut rows = csv_rows(name, text);
            let headers = rows
                .next()
                .ok_or_else(|| file_error(name, "文件是空的，第一行应为表头".into()))??;
            let headers = headers.cells();
            if let Err(errors) = index_headers(kind, name, &headers) {
                return Ok(Err(errors));
            }
            let lines = text.bytes().filter(|b| *b == b'\n').count();
            parse_rows(kind, name, &headers, rows, lines).map(Ok)
        })
    } else {
        read_sheet(name, bytes).map(|sheet| match index_headers(kind, name, &sheet.headers) {
            Err(errors) => Err(errors),
            Ok(_) => Ok(parse_sheet(kind, name, &sheet)),
        })
    };
    match parsed {
        Err(e) => unreadable(kind, name, vec![e]),
        Ok(Err(errors)) => unreadable(kind, name, errors),
        Ok(Ok((records, errors))) => ImportFile {
            kind,
            name: name.to_string(),
            records,
            errors,
            unreadable: false,
        },
    }
}

pub(crate) fn unreadable(kind: Kind, name: &str, errors: Vec<ImportError>) -> ImportFile {
    let (records, _) = parse_sheet(kind, name, &Sheet::default());
    ImportFile {
        kind,
        name: name.to_string(),
        records,
        errors,
        unreadable: true,
    }
}

/// The FORMATS.md files of a folder, in import order; each is read only when the import
/// reaches its kind.
pub fn load_dir(dir: &Path) -> Result<Vec<Source>, Vec<ImportError>> {
    let mut found: Vec<Source> = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| {
        vec![file_error(
            &dir.display().to_string(),
            format!("无法读取目录：{e}"),
        )]
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let ext_ok =
            name.to_lowercase().ends_with(".csv") || name.to_lowercase().ends_with(".xlsx");
        if let (true, Some(kind)) = (ext_ok, kind_of_file(&name)) {
            found.push(Source::Path { kind, name, path });
        }
    }
    if found.is_empty() {
        return Err(vec![file_error(
            &dir.display().to_string(),
            "目录中没有可导入的文件（应为 regions、units、people、households、members、links、activities 的 .csv 或 .xlsx）".into(),
        )]);
    }
    found.sort_by_key(Source::kind);
    Ok(found)
}

/// A workbook with one sheet: bold header row, then the rows as text.
pub fn write_xlsx(
    sheet_name: &str,
    headers: &[&str],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name(sheet_name)?;
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
        ws.set_column_width(c as u16, 16)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32 + 1, c as u16, v)?;
            }
        }
    }
    ws.set_freeze_panes(1, 0)?;
    wb.save_to_buffer()
}

/// Columns Excel must keep as text: ID numbers, phones and codes (an 18-digit number becomes
/// 3.5E+17 and loses its last digits; a code loses its leading zeros).
fn text_column(key: &str) -> bool {
    key.contains("id_number")
        || key.contains("phone")
        || key.contains("code")
        || key == "participants"
}

/// The fixed choices of a single-valued coded column, for a drop-down list.
fn choices(kind: Kind, key: &str) -> Option<Vec<&'static str>> {
    use crate::domain::labels::*;
    match (kind, key) {
        (Kind::Regions, "level") => Some(RegionLevel::ALL.iter().map(|v| v.zh()).collect()),
        (Kind::Units, "kind") => Some(UnitKind::ALL.iter().map(|v| v.zh()).collect()),
        (Kind::Links, "kind") => Some(LinkKind::ALL.iter().map(|v| v.zh()).collect()),
        (Kind::Activities, "kind") => Some(ActivityKind::ALL.iter().map(|v| v.zh()).collect()),
        (Kind::People, "grassroots_experience") => Some(vec!["是", "否"]),
        _ => None,
    }
}

/// A blank template: the header row with ID, phone and code columns set to text and drop-down
/// lists for coded columns; a sheet explaining each column; a sheet with a filled example row.
pub fn template(kind: Kind) -> Result<Vec<u8>, XlsxError> {
    const ROWS: u32 = 20_000;
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format_index(49); // 49 is Excel's own “@” (text)
    let ws = wb.add_worksheet();
    ws.set_name(kind.zh())?;
    for (c, col) in kind.columns().iter().enumerate() {
        let c = c as u16;
        ws.write_string_with_format(0, c, col.zh, &bold)?;
        if text_column(col.key) {
            ws.set_column_format(c, &text)?;
            ws.set_column_width(c, 22)?;
        } else {
            ws.set_column_width(c, 16)?;
        }
        if let Some(list) = choices(kind, col.key) {
            let dv = rust_xlsxwriter::DataValidation::new()
                .allow_list_strings(&list)?
                .set_input_title(col.zh)?
                .set_input_message("请从下拉列表中选择")?;
            ws.add_data_validation(1, c, ROWS, c, &dv)?;
        }
    }
    let help = wb.add_worksheet();
    help.set_name("填写说明")?;
    for (c, h) in ["列名", "英文列名", "必填", "说明"].iter().enumerate() {
        help.write_string_with_format(0, c as u16, *h, &bold)?;
        help.set_column_width(c as u16, 24)?;
    }
    for (r, col) in kind.columns().iter().enumerate() {
        let r = r as u32 + 1;
        help.write_string(r, 0, col.zh)?;
        help.write_string(r, 1, col.key)?;
        help.write_string(r, 2, if col.required { "是" } else { "否" })?;
        help.write_string(r, 3, col.note)?;
    }
    let n = kind.columns().len() as u32 + 2;
    help.write_string(
        n,
        0,
        "身份证号、手机号和各种代码列已设为“文本”格式：请直接输入或粘贴为文本，不要改成数字格式，否则Excel会把18位身份证号变成科学计数法（如3.5E+17）并丢失末几位。",
    )?;
    help.write_string(
        n + 1,
        0,
        "导入时按区划、单位、人员、户、家庭成员、联系关系、工作记录的顺序：后面的文件会用到前面文件里的代码。",
    )?;
    let ex = wb.add_worksheet();
    ex.set_name("示例")?;
    for (c, (col, v)) in kind
        .columns()
        .iter()
        .zip(crate::domain::formats::example(kind))
        .enumerate()
    {
        ex.write_string_with_format(0, c as u16, col.zh, &bold)?;
        ex.write_string_with_format(1, c as u16, *v, &text)?;
        ex.set_column_width(c as u16, if text_column(col.key) { 22 } else { 16 })?;
    }
    wb.save_to_buffer()
}

/// A cell Excel would run as a formula (`=`, `+`, `-`, `@`, a tab or a return first) is written
/// with a leading `'`, so that an exported list cannot carry a formula into a clerk's Excel.
pub fn neutralise_formula(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

/// An exported list as CSV for Excel: formula-looking cells neutralised.
pub fn write_export_csv(headers: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, csv::Error> {
    let safe: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| neutralise_formula(c)).collect())
        .collect();
    write_csv(headers, &safe)
}

/// Writes rows as CSV with a BOM, so that Excel opens the Chinese text right.
pub fn write_csv(headers: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    w.write_record(headers)?;
    for r in rows {
        w.write_record(r)?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

pub fn records_len(r: &Records) -> usize {
    match r {
        Records::Regions(v) => v.len(),
        Records::Units(v) => v.len(),
        Records::People(v) => v.len(),
        Records::Households(v) => v.len(),
        Records::Members(v) => v.len(),
        Records::Links(v) => v.len(),
        Records::Activities(v) => v.len(),
    }
}

/// Checks and imports files in one transaction (see [`crate::store::import`]).
pub async fn import_files(
    db: &sea_orm::DatabaseConnection,
    files: Result<Vec<Source>, Vec<ImportError>>,
    actor: &str,
    opts: &crate::store::import::ImportOptions,
) -> Result<crate::store::import::Outcome, crate::store::import::ImportFailure> {
    use crate::store::import::{ImportFailure, import};
    let files = files.map_err(ImportFailure::Invalid)?;
    import(db, files, actor, opts).await
}

/// Registry lists in the FORMATS.md layout. With `reveal` false, ID numbers and
/// phones are masked (a masked file cannot be re-imported, by design).
pub async fn export_rows(
    db: &sea_orm::DatabaseConnection,
    kind: Kind,
    reveal: bool,
) -> Result<Vec<Vec<String>>, sea_orm::DbErr> {
    use crate::domain::ids::{mask_id_number, mask_phone};
    use crate::domain::labels::*;
    use crate::store::entities::*;
    use sea_orm::{EntityTrait, QueryOrder};
    use std::collections::HashMap;

    let id = |s: &str| {
        if reveal {
            s.to_string()
        } else {
            mask_id_number(s)
        }
    };
    let phone = |s: &str| if reveal { s.to_string() } else { mask_phone(s) };
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    fn zh_list<T: Copy>(
        stored: &str,
        f: impl Fn(&str) -> Option<T>,
        zh: impl Fn(T) -> &'static str,
    ) -> String {
        split_codes(stored)
            .into_iter()
            .map(|c| f(c).map(&zh).unwrap_or(c))
            .collect::<Vec<_>>()
            .join("、")
    }
    fn zh_one<T: Copy>(
        code: &str,
        f: impl Fn(&str) -> Option<T>,
        zh: impl Fn(T) -> &'static str,
    ) -> String {
        f(code).map(zh).unwrap_or(code).to_string()
    }
    Ok(match kind {
        Kind::Regions => region::Entity::find()
            .order_by_asc(region::Column::Path)
            .all(db)
            .await?
            .iter()
            .map(|m| {
                vec![
                    m.code.clone(),
                    m.name.clone(),
                    zh_one(&m.level, RegionLevel::from_code, RegionLevel::zh),
                    opt(&m.parent_code),
                    zh_list(&m.tags, RegionTag::from_code, RegionTag::zh),
                    opt(&m.duty_phone),
                ]
            })
            .collect(),
        Kind::Units => unit::Entity::find()
            .order_by_asc(unit::Column::Code)
            .all(db)
            .await?
            .iter()
            .map(|m| {
                vec![
                    m.code.clone(),
                    m.name.clone(),
                    zh_one(&m.kind, UnitKind::from_code, UnitKind::zh),
                    m.region_code.clone(),
                    opt(&m.parent_code),
                    zh_list(&m.tags, UnitTag::from_code, UnitTag::zh),
                    opt(&m.supervision_phone),
                    opt(&m.phone),
                    opt(&m.service_scope),
                    opt(&m.duties),
                    opt(&m.responsible),
                ]
            })
            .collect(),
        Kind::People => person::Entity::find()
            .order_by_asc(person::Column::Id)
            .all(db)
            .await?
            .iter()
            .map(|m| {
                vec![
                    id(&m.id_number),
                    m.name.clone(),
                    m.phone.as_deref().map(phone).unwrap_or_default(),
                    m.unit_code.clone(),
                    opt(&m.post),
                    zh_list(&m.roles, Role::from_code, Role::zh),
                    opt(&m.region_code),
                    split_codes(&m.area_codes).join("、"),
                    m.term_start.map(|d| d.to_string()).unwrap_or_default(),
                    m.grassroots_experience
                        .map(|b| if b { "是" } else { "否" }.to_string())
                        .unwrap_or_default(),
                    opt(&m.branch_code),
                ]
            })
            .collect(),
        Kind::Households => household::Entity::find()
            .order_by_asc(household::Column::Code)
            .all(db)
            .await?
            .iter()
            .map(|m| {
                vec![
                    m.code.clone(),
                    m.head_name.clone(),
                    m.head_id_number.as_deref().map(id).unwrap_or_default(),
                    m.region_code.clone(),
                    opt(&m.address),
                    m.phone.as_deref().map(phone).unwrap_or_default(),
                    m.size.map(|s| s.to_string()).unwrap_or_default(),
                    zh_list(&m.tags, HouseholdTag::from_code, HouseholdTag::zh),
                    opt(&m.income_sources),
                    opt(&m.situation),
                ]
            })
            .collect(),
        Kind::Members => {
            let codes: HashMap<i32, String> = household::Entity::find()
                .all(db)
                .await?
                .into_iter()
                .map(|h| (h.id, h.code))
                .collect();
            member::Entity::find()
                .order_by_asc(member::Column::Id)
                .all(db)
                .await?
                .iter()
                .map(|m| {
                    vec![
                        codes.get(&m.household_id).cloned().unwrap_or_default(),
                        m.name.clone(),
                        m.id_number.as_deref().map(id).unwrap_or_default(),
                        opt(&m.relation),
                        m.phone.as_deref().map(phone).unwrap_or_default(),
                        opt(&m.employment),
                        opt(&m.health),
                    ]
                })
                .collect()
        }
        Kind::Links => {
            let ids = person_id_numbers(db).await?;
            link::Entity::find()
                .order_by_asc(link::Column::Id)
                .all(db)
                .await?
                .iter()
                .map(|m| {
                    let target = if m.target_code.len() == 18 {
                        id(&m.target_code)
                    } else {
                        m.target_code.clone()
                    };
                    vec![
                        m.year.to_string(),
                        m.person_id
                            .and_then(|p| ids.get(&p))
                            .map(|s| id(s))
                            .unwrap_or_default(),
                        opt(&m.unit_code),
                        zh_one(&m.kind, LinkKind::from_code, LinkKind::zh),
                        target,
                        m.start_date.map(|d| d.to_string()).unwrap_or_default(),
                        m.end_date.map(|d| d.to_string()).unwrap_or_default(),
                    ]
                })
                .collect()
        }
        Kind::Activities => {
            let ids = person_id_numbers(db).await?;
            let mut who: HashMap<i32, Vec<String>> = HashMap::new();
            for p in activity_participant::Entity::find().all(db).await? {
                if let Some(n) = ids.get(&p.person_id) {
                    who.entry(p.activity_id).or_default().push(id(n));
                }
            }
            let mut what: HashMap<i32, Vec<String>> = HashMap::new();
            for t in activity_target::Entity::find().all(db).await? {
                let code = if t.target_code.len() == 18 {
                    id(&t.target_code)
                } else {
                    t.target_code
                };
                what.entry(t.activity_id).or_default().push(code);
            }
            activity::Entity::find()
                .order_by_asc(activity::Column::Id)
                .all(db)
                .await?
                .iter()
                .map(|m| {
                    vec![
                        m.start_date.to_string(),
                        m.end_date.to_string(),
                        who.get(&m.id).map(|v| v.join("、")).unwrap_or_default(),
                        zh_one(&m.kind, ActivityKind::from_code, ActivityKind::zh),
                        what.get(&m.id).map(|v| v.join("、")).unwrap_or_default(),
                        m.companions.map(|c| c.to_string()).unwrap_or_default(),
                        m.hours.map(|h| h.to_string()).unwrap_or_default(),
                        opt(&m.notes),
                        m.matters.clone(),
                    ]
                })
                .collect()
        }
    })
}

pub fn headers(kind: Kind) -> Vec<&'static str> {
    kind.columns().iter().map(|c| c.zh).collect()
}

/// `person row id → ID number`, for exports that name people by ID number.
async fn person_id_numbers(
    db: &sea_orm::DatabaseConnection,
) -> Result<std::collections::HashMap<i32, String>, sea_orm::DbErr> {
    use crate::store::entities::person;
    use sea_orm::{EntityTrait, QuerySelect};
    let rows: Vec<(i32, String)> = person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .column(person::Column::IdNumber)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Writes a record book: per sheet a title row, a particulars row, then each section's
/// caption, header row and rows. Large sheets are streamed (constant memory).
pub fn write_book(book: &crate::domain::books::Book) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let title = Format::new().set_bold().set_font_size(14);
    let bold = Format::new().set_bold();
    for sheet in &book.sheets {
        let ws = wb.add_worksheet_with_constant_memory()?;
        let name: String = sheet.name.chars().take(31).collect();
        ws.set_name(name)?;
        let width = sheet
            .sections
            .iter()
            .map(|s| s.headers.len())
            .max()
            .unwrap_or(1);
        for c in 0..width {
            ws.set_column_width(c as u16, 16)?;
        }
        ws.write_string_with_format(0, 0, &sheet.title, &title)?;
        ws.write_string(1, 0, &sheet.subtitle)?;
        let mut r: u32 = 2;
        for s in &sheet.sections {
            if let Some(c) = &s.caption {
                ws.write_string_with_format(r, 0, c, &bold)?;
                r += 1;
            }
            for (c, h) in s.headers.iter().enumerate() {
                ws.write_string_with_format(r, c as u16, h, &bold)?;
            }
            r += 1;
            for row in &s.rows {
                for (c, v) in row.iter().enumerate() {
                    if !v.is_empty() {
                        ws.write_string(r, c as u16, v)?;
                    }
                }
                r += 1;
            }
        }
    }
    wb.save_to_buffer()
}

/// The compliance report as a workbook: the same rows as the JSON, and the unmeasured rules.
pub fn write_compliance(r: &crate::domain::rules::Report) -> Result<Vec<u8>, XlsxError> {
    use crate::domain::rules::Status;
    let headers = [
        "rule",
        "subject_kind",
        "subject_code",
        "subject_name",
        "target_code",
        "period",
        "status",
        "actual",
        "required",
        "detail",
        "reachable",
    ];
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet_with_constant_memory()?;
    ws.set_name("results")?;
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, o) in r.results.iter().enumerate() {
        let row = i as u32 + 1;
        let code = crate::domain::ids::shown_code(&o.subject_code);
        ws.write_string(row, 0, &o.rule)?;
        ws.write_string(row, 1, o.subject_kind)?;
        ws.write_string(row, 2, &code)?;
        ws.write_string(row, 3, &o.subject_name)?;
        ws.write_string(
            row,
            4,
            o.target_code
                .as_deref()
                .map(crate::domain::ids::shown_code)
                .unwrap_or_default(),
        )?;
        ws.write_string(row, 5, &o.period)?;
        ws.write_string(
            row,
            6,
            match o.status {
                Status::Met => "met",
                Status::Unmet => "unmet",
                Status::Pending => "pending",
            },
        )?;
        ws.write_number(row, 7, o.actual)?;
        ws.write_number(row, 8, o.required)?;
        ws.write_string(row, 9, &o.detail)?;
        if let Some(r) = o.reachable {
            ws.write_boolean(row, 10, r)?;
        }
    }
    let un = wb.add_worksheet();
    un.set_name("unmeasured")?;
    un.write_string_with_format(0, 0, "rule", &bold)?;
    un.write_string_with_format(0, 1, "reason", &bold)?;
    for (i, u) in r.unmeasured.iter().enumerate() {
        un.write_string(i as u32 + 1, 0, &u.rule)?;
        un.write_string(i as u32 + 1, 1, &u.reason)?;
    }
    wb.save_to_buffer()
}

/// A cell of a plain table written to a sheet.
pub enum Cell {
    Text(String),
    Number(f64),
}

/// One sheet per `(name, headers, rows)`, the headers in bold: the survey's results and the
/// assessment as the office downloads them.
#[allow(clippy::type_complexity)]
pub fn write_tables(sheets: &[(&str, &[&str], Vec<Vec<Cell>>)]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    for (name, headers, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name)?;
        for (c, h) in headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
            ws.set_column_width(c as u16, if c == 0 { 28 } else { 12 })?;
        }
        for (i, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    Cell::Text(t) => ws.write_string(i as u32 + 1, c as u16, t)?,
                    Cell::Number(n) => ws.write_number(i as u32 + 1, c as u16, *n)?,
                };
            }
        }
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A workbook with these cells (row, column, text) on its first sheet.
    fn workbook(cells: &[(u32, u16, &str)]) -> Vec<u8> {
        let mut wb = Workbook::new();
        let sheet = wb.add_worksheet();
        for (r, c, t) in cells {
            sheet.write_string(*r, *c, *t).unwrap();
        }
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn a_workbook_that_unpacks_beyond_the_limit_is_refused_unread() {
        use std::io::Write;
        // 3 MiB of one letter packs into a few KB: refused at a 2 MiB limit, with the reason.
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file(
            "xl/worksheets/sheet1.xml",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(&vec![b'a'; 3 * 1024 * 1024]).unwrap();
        let bomb = zip.finish().unwrap().into_inner();
        assert!(bomb.len() < 64 * 1024, "{}", bomb.len());
        let e = check_unpacked_within("bomb.xlsx", &bomb, 2 * 1024 * 1024).unwrap_err();
        assert!(e.reason.contains("解压后超过2MB"), "{}", e.reason);
        assert!(check_unpacked_within("bomb.xlsx", &bomb, 4 * 1024 * 1024).is_ok());
        // Not a zip at all: said so, nothing panics.
        let e = read_sheet("x.xlsx", b"PK\x03\x04 not really").unwrap_err();
        assert!(e.reason.contains("无法读取Excel文件"), "{}", e.reason);
    }

    #[test]
    fn a_cell_far_to_the_right_is_refused_and_a_sheet_reads_from_its_used_range() {
        let wide = workbook(&[(0, 0, "户编号"), (1, 0, "H001"), (5, 16_000, "x")]);
        let e = read_sheet("households.xlsx", &wide).unwrap_err();
        assert_eq!((e.row, e.column.as_str()), (6, "第16001列"), "{e:?}");
        // Data placed from B3 reads as before: headers first, blank rows and columns around
        // it left out.
        let placed = workbook(&[
            (2, 1, "户编号"),
            (2, 2, "户主姓名"),
            (3, 1, "H001"),
            (3, 2, "王五"),
        ]);
        let sheet = read_sheet("households.xlsx", &placed).unwrap();
        assert_eq!(sheet.headers, ["户编号", "户主姓名"]);
        assert_eq!(sheet.rows, [vec!["H001".to_string(), "王五".to_string()]]);
    }

    #[test]
    fn exported_cells_cannot_carry_a_formula_into_excel() {
        for bad in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx"] {
            assert!(neutralise_formula(bad).starts_with('\''), "{bad}");
        }
        for ok in ["张三", "13800000000", "H001", ""] {
            assert_eq!(neutralise_formula(ok), ok);
        }
    }

    fn chinese(text: &str) -> bool {
        text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    /// Cells as a careless or hostile user fills them.
    fn hostile_cell() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            "[ -~]{0,12}",
            "\\PC{0,12}",
            Just("=HYPERLINK(\"http://x\",\"点我\")".to_string()),
            Just("=1+1".to_string()),
            Just("3.50425E+17".to_string()),
            Just("\"引号\"\"里\n换行\"".to_string()),
            Just("\u{0}\u{feff}".to_string()),
            (1usize..40_000).prop_map(|n| "长".repeat(n)),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// Any bytes under a .csv or .xlsx name: rows, or errors in Chinese; never a panic.
        #[test]
        fn any_bytes_give_rows_or_a_chinese_error(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..4096),
            xlsx in proptest::prelude::any::<bool>(),
            k in 0usize..Kind::ALL.len(),
        ) {
            let kind = Kind::ALL[k];
            let name = if xlsx { "名册.xlsx" } else { "名册.csv" };
            let f = load_file(kind, name, &bytes);
            for e in &f.errors {
                proptest::prop_assert!(chinese(&e.reason), "{e:?}");
            }
        }

        /// A file with the right headers and hostile cells (formulas, huge cells, quotes and
        /// line breaks, NUL, a byte-order mark, numbers Excel made of IDs), as CSV and as
        /// .xlsx: every error in Chinese on a row the file has; never a panic.
        #[test]
        fn hostile_cells_are_named_in_chinese_on_their_rows(
            k in 0usize..Kind::ALL.len(),
            rows in proptest::collection::vec(proptest::collection::vec(hostile_cell(), 0..12), 0..8),
            gbk in proptest::prelude::any::<bool>(),
        ) {
            let kind = Kind::ALL[k];
            let headers = headers(kind);
            let cells: Vec<Vec<String>> = rows;
            // Ragged rows, as a hand-edited file has them.
            let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
            w.write_record(&headers).unwrap();
            for row in &cells {
                w.write_record(row).unwrap();
            }
            let mut csv_bytes = w.into_inner().unwrap();
            if gbk {
                // Bytes that are not UTF-8 (as a file saved in GBK would have).
                csv_bytes.extend_from_slice(&[0xd5, 0xc5, 0xc8, 0xfd, b'\n']);
            }
            let mut wb = Workbook::new();
            let sheet = wb.add_worksheet();
            for (c, h) in headers.iter().enumerate() {
                sheet.write_string(0, c as u16, *h).unwrap();
            }
            for (r, row) in cells.iter().enumerate() {
                for (c, cell) in row.iter().enumerate() {
                    let (r, c) = (r as u32 + 1, c as u16);
                    if let Some(f) = cell.strip_prefix('=') {
                        sheet.write_formula(r, c, f).unwrap();
                    } else if let Ok(n) = cell.parse::<f64>() {
                        sheet.write_number(r, c, n).unwrap();
                    } else {
                        // Excel keeps at most 32,767 characters in a cell.
                        let t: String = cell.chars().take(32_000).collect();
                        sheet.write_string(r, c, &t).unwrap();
                    }
                }
            }
            let xlsx_bytes = wb.save_to_buffer().unwrap();
            for (name, bytes) in [("名册.csv", &csv_bytes), ("名册.xlsx", &xlsx_bytes)] {
                let f = load_file(kind, name, bytes);
                for e in &f.errors {
                    proptest::prop_assert!(chinese(&e.reason), "{name}: {e:?}");
                    proptest::prop_assert!(e.row <= cells.len() + 2, "{name}: {e:?}");
                }
            }
        }
    }

    #[test]
    fn a_workbook_of_too_many_parts_is_refused_unread() {
        use std::io::Write;
        // A deep tree of tiny parts: refused by their number before any is read.
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..=MAX_PARTS {
            let depth = "d/".repeat(i % 40);
            zip.start_file(
                format!("xl/{depth}part{i}.xml"),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            zip.write_all(b"<x/>").unwrap();
        }
        let tree = zip.finish().unwrap().into_inner();
        let f = load_file(Kind::Households, "tree.xlsx", &tree);
        assert!(f.unreadable, "{:?}", f.errors);
        assert!(
            f.errors[0].reason.contains("个部件，超过上限"),
            "{:?}",
            f.errors
        );
    }
}
