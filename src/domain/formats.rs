//! The exchange files of FORMATS.md: which columns each kind has, and how a
//! row of text cells becomes a typed record. Every problem is collected as an
//! [`ImportError`] naming file, row, column, value and reason; nothing stops at
//! the first one.

use super::ids::{Code, IdNumber, Phone, RegionCode, mask_id_number};
use super::labels::*;
use super::text::split_list;
use chrono::NaiveDate;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Regions,
    Units,
    People,
    Households,
    Members,
    Links,
    Activities,
}

pub struct Column {
    pub zh: &'static str,
    pub key: &'static str,
    pub required: bool,
    pub note: &'static str,
}

const fn col(zh: &'static str, key: &'static str, required: bool, note: &'static str) -> Column {
    Column {
        zh,
        key,
        required,
        note,
    }
}

impl Kind {
    /// The order `lianxin import DIR` follows: what is referred to comes first.
    pub const ALL: [Kind; 7] = [
        Kind::Regions,
        Kind::Units,
        Kind::People,
        Kind::Households,
        Kind::Members,
        Kind::Links,
        Kind::Activities,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Kind::Regions => "regions",
            Kind::Units => "units",
            Kind::People => "people",
            Kind::Households => "households",
            Kind::Members => "members",
            Kind::Links => "links",
            Kind::Activities => "activities",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Kind::Regions => "区划",
            Kind::Units => "单位",
            Kind::People => "人员",
            Kind::Households => "户",
            Kind::Members => "家庭成员",
            Kind::Links => "联系关系",
            Kind::Activities => "工作记录",
        }
    }

    pub fn parse(s: &str) -> Result<Kind, String> {
        Kind::ALL
            .into_iter()
            .find(|k| k.key() == s.trim() || k.zh() == s.trim())
            .ok_or_else(|| {
                format!(
                    "未知的数据类型“{s}”，可选：{}",
                    Kind::ALL
                        .map(|k| format!("{}（{}）", k.key(), k.zh()))
                        .join("、")
                )
            })
    }

    /// Column order for the files of a folder, as the import page and the templates say it.
    pub fn order_zh() -> String {
        Kind::ALL
            .iter()
            .map(|k| k.zh())
            .collect::<Vec<_>>()
            .join(" → ")
    }

    pub fn columns(self) -> &'static [Column] {
        match self {
            Kind::Regions => {
                const {
                    &[
                        col("区划代码", "code", true, "数字，唯一"),
                        col("名称", "name", true, ""),
                        col("层级", "level", true, "县、镇（乡）、街道、村、社区、组"),
                        col("上级代码", "parent_code", false, "县以外必填"),
                        col("标签", "tags", false, "老区村、农村面貌改造提升村"),
                        col(
                            "值班电话",
                            "duty_phone",
                            false,
                            "村（社区）值班电话；镇为民情处理站电话",
                        ),
                    ]
                }
            }
            Kind::Units => {
                const {
                    &[
                        col("单位代码", "code", true, "唯一"),
                        col("单位名称", "name", true, ""),
                        col("类型", "kind", true, "县四大班子、县直单位、镇党委政府……"),
                        col("所属区划", "region_code", true, "区划代码"),
                        col("上级单位", "parent_code", false, "单位代码"),
                        col("标签", "tags", false, "执法管理、窗口服务、信访任务重"),
                        col("监督电话", "supervision_phone", false, ""),
                        col("联系电话", "phone", false, "印在连心卡上"),
                        col("服务范围", "service_scope", false, "印在连心卡上"),
                        col("工作职责", "duties", false, "印在连心卡上"),
                        col("责任人", "responsible", false, "印在连心卡上，姓名及职务"),
                    ]
                }
            }
            Kind::People => {
                const {
                    &[
                        col("身份证号", "id_number", true, "18位，唯一"),
                        col("姓名", "name", true, ""),
                        col("手机号", "phone", false, "11位手机号"),
                        col("单位代码", "unit_code", true, ""),
                        col("职务", "post", false, ""),
                        col("角色", "roles", false, "可填多个，用、分隔"),
                        col("所属区划", "region_code", false, "村干部、党员必填"),
                        col("责任片区", "area_codes", false, "组的区划代码，可填多个"),
                        col("任期开始", "term_start", false, "日期"),
                        col("基层工作经历", "grassroots_experience", false, "是/否"),
                        col("所属党支部", "branch_code", false, "党支部的单位代码"),
                    ]
                }
            }
            Kind::Households => {
                const {
                    &[
                        col("户编号", "code", true, "唯一"),
                        col("户主姓名", "head_name", true, ""),
                        col("户主身份证号", "head_id_number", false, ""),
                        col("所属区划", "region_code", true, "村、社区或组"),
                        col("地址", "address", false, ""),
                        col("联系电话", "phone", false, ""),
                        col("人口", "size", false, "整数"),
                        col("类别", "tags", false, "低保户、五保户……"),
                        col("收入来源", "income_sources", false, ""),
                        col("生产生活状况", "situation", false, ""),
                    ]
                }
            }
            Kind::Members => {
                const {
                    &[
                        col("户编号", "household_code", true, ""),
                        col("姓名", "name", true, ""),
                        col("身份证号", "id_number", false, ""),
                        col("与户主关系", "relation", false, ""),
                        col("手机号", "phone", false, ""),
                        col("就业情况", "employment", false, ""),
                        col("健康状况", "health", false, ""),
                    ]
                }
            }
            Kind::Links => {
                const {
                    &[
                        col("年度", "year", true, "如 2025"),
                        col("干部身份证号", "cadre_id_number", false, "与单位代码二选一"),
                        col("单位代码", "unit_code", false, "与干部身份证号二选一"),
                        col("关系类型", "kind", true, "联户、一助一、联系点-镇街……"),
                        col(
                            "对象代码",
                            "target_code",
                            true,
                            "区划代码、单位代码、户编号或身份证号",
                        ),
                        col("开始日期", "start", false, "默认全年"),
                        col("结束日期", "end", false, "默认全年"),
                    ]
                }
            }
            Kind::Activities => {
                const {
                    &[
                        col("开始日期", "start_date", true, ""),
                        col("结束日期", "end_date", false, "含当天，默认同开始日期"),
                        col("参加人身份证号", "participants", true, "可填多个"),
                        col("类型", "kind", true, "入户走访、电话联系……"),
                        col("对象代码", "target_codes", false, "可填多个"),
                        col("随行人数", "companions", false, "整数"),
                        col("时长(小时)", "hours", false, "数字"),
                        col("内容", "notes", false, ""),
                        col("反映事项", "matters", false, "每行一件"),
                    ]
                }
            }
        }
    }
}

/// One problem with one cell (or, for row 1, with the header).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImportError {
    pub file: String,
    /// The row as Excel numbers it: the header is row 1.
    pub row: usize,
    pub column: String,
    pub value: String,
    pub reason: String,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} 第{}行", self.file, self.row)?;
        if !self.column.is_empty() {
            write!(f, "「{}」列", self.column)?;
        }
        if !self.value.is_empty() {
            write!(f, "（值：{}）", self.value)?;
        }
        write!(f, "：{}", self.reason)
    }
}

/// A file read into text cells. `rows[i]` is sheet row `i + 2`.
#[derive(Debug, Default)]
pub struct Sheet {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Where a record came from, so later checks can still name the row.
#[derive(Clone, Debug)]
pub struct Origin {
    /// Shared by every row of the file (a county's records are 400,000 rows).
    pub file: std::sync::Arc<str>,
    pub row: usize,
}

impl Origin {
    pub fn error(&self, column: &str, value: &str, reason: impl Into<String>) -> ImportError {
        ImportError {
            file: self.file.to_string(),
            row: self.row,
            column: column.to_string(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct RegionRow {
    pub code: RegionCode,
    pub name: String,
    pub level: RegionLevel,
    pub parent_code: Option<RegionCode>,
    pub tags: Vec<RegionTag>,
    pub duty_phone: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct UnitRow {
    pub code: Code,
    pub name: String,
    pub kind: UnitKind,
    pub region_code: RegionCode,
    pub parent_code: Option<Code>,
    pub tags: Vec<UnitTag>,
    pub supervision_phone: Option<String>,
    pub phone: Option<String>,
    pub service_scope: Option<String>,
    pub duties: Option<String>,
    pub responsible: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PersonRow {
    pub id_number: IdNumber,
    pub name: String,
    pub phone: Option<Phone>,
    pub unit_code: Code,
    pub post: Option<String>,
    pub roles: Vec<Role>,
    pub region_code: Option<RegionCode>,
    pub area_codes: Vec<RegionCode>,
    pub term_start: Option<NaiveDate>,
    pub grassroots_experience: Option<bool>,
    pub branch_code: Option<Code>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HouseholdRow {
    pub code: Code,
    pub head_name: String,
    pub head_id_number: Option<IdNumber>,
    pub region_code: RegionCode,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub size: Option<i32>,
    pub tags: Vec<HouseholdTag>,
    pub income_sources: Option<String>,
    pub situation: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MemberRow {
    pub household_code: Code,
    pub name: String,
    pub id_number: Option<IdNumber>,
    pub relation: Option<String>,
    pub phone: Option<Phone>,
    pub employment: Option<String>,
    pub health: Option<String>,
}

impl MemberRow {
    /// A member is the same member again when its ID number (or, without one, its name) matches.
    pub fn key(&self) -> String {
        match &self.id_number {
            Some(id) => format!("id:{}", id.as_str()),
            None => format!("name:{}", self.name),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Linker {
    Person(IdNumber),
    Unit(Code),
}

#[derive(Clone, Debug, PartialEq)]
pub struct LinkRow {
    pub year: i32,
    pub linker: Linker,
    pub kind: LinkKind,
    pub target_code: String,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    /// 优抚帮扶 held by a unit may also name its contact person (BF-3) by ID number.
    pub contact: Option<IdNumber>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ActivityRow {
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub participants: Vec<IdNumber>,
    pub kind: ActivityKind,
    pub target_codes: Vec<String>,
    pub companions: Option<i32>,
    pub hours: Option<f64>,
    pub notes: Option<String>,
    pub matters: Vec<String>,
}

impl ActivityRow {
    /// What makes two rows the same record, for idempotent re-import.
    pub fn fingerprint(&self) -> String {
        format!("{:032x}", self.fingerprint_hash())
    }

    /// The fingerprint as a number: what an import compares (a county's 400,000 records are
    /// 6 MB of these against 30 MB of strings).
    pub fn fingerprint_hash(&self) -> u128 {
        let mut p: Vec<&str> = self.participants.iter().map(|i| i.as_str()).collect();
        p.sort_unstable();
        let mut t: Vec<&str> = self.target_codes.iter().map(String::as_str).collect();
        t.sort_unstable();
        let text = format!(
            "{}|{}|{}|{}|{}|{:?}|{:?}|{}|{}",
            self.start_date,
            self.end_date,
            self.kind.code(),
            p.join(","),
            t.join(","),
            self.companions,
            self.hours,
            self.notes.as_deref().unwrap_or(""),
            self.matters.join("\n")
        );
        fnv(&text)
    }
}

/// A stable 128-bit FNV-1a hash as hex (not for security; for matching rows).
pub fn fnv_hex(text: &str) -> String {
    format!("{:032x}", fnv(text))
}

/// The 128-bit FNV-1a hash of `fnv_hex`, as a number.
fn fnv(text: &str) -> u128 {
    let mut h: u128 = 0x6c62272e07bb014262b821756295c58d;
    for b in text.as_bytes() {
        h ^= *b as u128;
        h = h.wrapping_mul(0x0000000001000000000000000000013B);
    }
    h
}

/// The rows of one file, parsed.
#[derive(Debug)]
pub enum Records {
    Regions(Vec<(Origin, RegionRow)>),
    Units(Vec<(Origin, UnitRow)>),
    People(Vec<(Origin, PersonRow)>),
    Households(Vec<(Origin, HouseholdRow)>),
    Members(Vec<(Origin, MemberRow)>),
    Links(Vec<(Origin, LinkRow)>),
    Activities(Vec<(Origin, ActivityRow)>),
}

/// One row's text cells, as a sheet or a CSV reader holds them.
pub trait RowCells {
    fn cell(&self, i: usize) -> Option<&str>;
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl RowCells for &[String] {
    fn cell(&self, i: usize) -> Option<&str> {
        self.get(i).map(String::as_str)
    }
    fn len(&self) -> usize {
        <[String]>::len(self)
    }
}

/// Reads the cells of one row by column, recording each problem.
struct Cells<'a> {
    origin: Origin,
    cells: &'a dyn RowCells,
    index: &'a [(&'static Column, Option<usize>)],
    errors: &'a mut Vec<ImportError>,
}

impl Cells<'_> {
    fn raw(&self, key: &str) -> (&'static str, &str) {
        for (c, i) in self.index {
            if c.key == key {
                let v = i
                    .and_then(|i| self.cells.cell(i))
                    .map(str::trim)
                    .unwrap_or("");
                return (c.zh, v);
            }
        }
        ("", "")
    }

    fn fail(&mut self, column: &str, value: &str, reason: impl Into<String>) {
        let shown = if column.contains("身份证") {
            mask_id_number(value)
        } else {
            value.to_string()
        };
        self.errors.push(self.origin.error(column, &shown, reason));
    }

    fn opt_text(&mut self, key: &str) -> Option<String> {
        let (_, v) = self.raw(key);
        (!v.is_empty()).then(|| v.to_string())
    }

    fn text(&mut self, key: &str) -> Option<String> {
        let (zh, v) = self.raw(key);
        if v.is_empty() {
            self.fail(zh, "", "必填项为空");
            return None;
        }
        if v.chars().count() > 200 {
            self.fail(zh, "", "内容过长（最多200字）");
            return None;
        }
        Some(v.to_string())
    }

    fn parsed<T>(&mut self, key: &str, parse: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        let (zh, v) = self.raw(key);
        if v.is_empty() {
            self.fail(zh, "", "必填项为空");
            return None;
        }
        match parse(v) {
            Ok(t) => Some(t),
            Err(e) => {
                let v = v.to_string();
                self.fail(zh, &v, e);
                None
            }
        }
    }

    /// `Ok(None)` when empty, `Err(())` when present and bad (already recorded).
    fn opt_parsed<T>(
        &mut self,
        key: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ()> {
        let (zh, v) = self.raw(key);
        if v.is_empty() {
            return Ok(None);
        }
        match parse(v) {
            Ok(t) => Ok(Some(t)),
            Err(e) => {
                let v = v.to_string();
                self.fail(zh, &v, e);
                Err(())
            }
        }
    }

    fn list<T>(
        &mut self,
        key: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Vec<T>, ()> {
        let (zh, v) = self.raw(key);
        let mut out = Vec::new();
        let mut ok = true;
        for item in split_list(v) {
            match parse(&item) {
                Ok(t) => out.push(t),
                Err(e) => {
                    self.fail(zh, &item, e);
                    ok = false;
                }
            }
        }
        if ok { Ok(out) } else { Err(()) }
    }
}

pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let t = s.trim();
    // Excel date cells arrive as "2025-03-01 00:00:00" from some writers.
    let t = t.split(' ').next().unwrap_or(t);
    for fmt in ["%Y-%m-%d", "%Y/%m/%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, fmt) {
            return Ok(d);
        }
    }
    Err("日期格式错误，应为YYYY-MM-DD或YYYY/M/D".into())
}

pub fn parse_bool(s: &str) -> Result<bool, String> {
    match s.trim() {
        "是" | "1" | "true" | "yes" | "Y" | "y" => Ok(true),
        "否" | "0" | "false" | "no" | "N" | "n" => Ok(false),
        _ => Err("应填“是”或“否”".into()),
    }
}

fn parse_count(s: &str) -> Result<i32, String> {
    let t = s.trim().trim_end_matches(".0");
    match t.parse::<i32>() {
        Ok(n) if (0..=100_000).contains(&n) => Ok(n),
        _ => Err("应为不小于0的整数".into()),
    }
}

fn parse_hours(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(h) if h.is_finite() && (0.0..=10_000.0).contains(&h) => Ok(h),
        _ => Err("应为不小于0的数字".into()),
    }
}

fn parse_year(s: &str) -> Result<i32, String> {
    match s.trim().trim_end_matches(".0").parse::<i32>() {
        Ok(y) if (2000..=2100).contains(&y) => Ok(y),
        _ => Err("年度应为2000–2100之间的四位数字".into()),
    }
}

/// A landline or mobile number for a household or a supervision phone.
pub fn parse_contact_phone(s: &str) -> Result<String, String> {
    if let Ok(p) = Phone::parse(s) {
        return Ok(p.as_str().to_string());
    }
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let digits = t.chars().filter(|c| c.is_ascii_digit()).count();
    if t.chars().all(|c| c.is_ascii_digit() || c == '-') && (7..=16).contains(&digits) {
        Ok(t)
    } else {
        Err("电话号码格式错误（应为手机号或区号-号码）".into())
    }
}

/// Maps the header row to the kind's columns; a missing required column is an error of row 1.
pub fn index_headers(
    kind: Kind,
    file: &str,
    headers: &[String],
) -> Result<Vec<(&'static Column, Option<usize>)>, Vec<ImportError>> {
    let norm = |s: &str| {
        s.trim()
            .trim_start_matches('\u{feff}')
            .replace(['（', '）'], "()")
            .to_lowercase()
    };
    let mut errors = Vec::new();
    let mut index = Vec::new();
    for c in kind.columns() {
        let pos = headers
            .iter()
            .position(|h| norm(h) == norm(c.zh) || norm(h) == c.key);
        if pos.is_none() && c.required {
            errors.push(ImportError {
                file: file.to_string(),
                row: 1,
                column: c.zh.to_string(),
                value: String::new(),
                reason: format!("缺少必填列「{}」（或英文列名 {}）", c.zh, c.key),
            });
        }
        index.push((c, pos));
    }
    if errors.is_empty() {
        Ok(index)
    } else {
        Err(errors)
    }
}

/// Parses every row of a sheet; returns the records and every error found.
pub fn parse_sheet(kind: Kind, file: &str, sheet: &Sheet) -> (Records, Vec<ImportError>) {
    let rows = sheet
        .rows
        .iter()
        .map(|r| Ok::<_, ImportError>(r.as_slice()));
    match parse_rows(kind, file, &sheet.headers, rows, sheet.rows.len()) {
        Ok(parsed) => parsed,
        Err(e) => (empty(kind), vec![e]),
    }
}

/// Parses rows as they are read (a CSV file row by row, never a whole sheet of strings in
/// memory). A row that cannot be read at all ends the file with that error.
pub fn parse_rows<C: RowCells>(
    kind: Kind,
    file: &str,
    headers: &[String],
    rows: impl Iterator<Item = Result<C, ImportError>>,
    expected: usize,
) -> Result<(Records, Vec<ImportError>), ImportError> {
    let mut errors = Vec::new();
    let index = match index_headers(kind, file, headers) {
        Ok(i) => i,
        Err(e) => return Ok((empty(kind), e)),
    };
    let name: std::sync::Arc<str> = file.into();
    macro_rules! rows {
        ($variant:ident, $f:ident) => {{
            // Room for the rows expected (a CSV file's lines): not moved again as they grow.
            let mut out = Vec::with_capacity(expected);
            for (i, cells) in rows.enumerate() {
                let cells = cells?;
                let cells: &dyn RowCells = &cells;
                if (0..cells.len()).all(|i| cells.cell(i).is_none_or(|c| c.trim().is_empty())) {
                    continue;
                }
                let origin = Origin {
                    file: name.clone(),
                    row: i + 2,
                };
                let mut c = Cells {
                    origin: origin.clone(),
                    cells,
                    index: &index,
                    errors: &mut errors,
                };
                if let Some(r) = $f(&mut c) {
                    out.push((origin, r));
                }
            }
            Records::$variant(out)
        }};
    }
    let records = match kind {
        Kind::Regions => rows!(Regions, region_row),
        Kind::Units => rows!(Units, unit_row),
        Kind::People => rows!(People, person_row),
        Kind::Households => rows!(Households, household_row),
        Kind::Members => rows!(Members, member_row),
        Kind::Links => rows!(Links, link_row),
        Kind::Activities => rows!(Activities, activity_row),
    };
    Ok((records, errors))
}

fn empty(kind: Kind) -> Records {
    match kind {
        Kind::Regions => Records::Regions(vec![]),
        Kind::Units => Records::Units(vec![]),
        Kind::People => Records::People(vec![]),
        Kind::Households => Records::Households(vec![]),
        Kind::Members => Records::Members(vec![]),
        Kind::Links => Records::Links(vec![]),
        Kind::Activities => Records::Activities(vec![]),
    }
}

/// Every field is read before giving up, so one row reports all its problems.
fn region_row(c: &mut Cells) -> Option<RegionRow> {
    let code = c.parsed("code", RegionCode::parse);
    let name = c.text("name");
    let level = c.parsed("level", RegionLevel::parse);
    let parent_code = c.opt_parsed("parent_code", RegionCode::parse);
    let tags = c.list("tags", RegionTag::parse);
    let duty_phone = c.opt_parsed("duty_phone", parse_contact_phone);
    let (code, name, level, parent_code, tags, duty_phone) = (
        code?,
        name?,
        level?,
        parent_code.ok()?,
        tags.ok()?,
        duty_phone.ok()?,
    );
    if level == RegionLevel::County && parent_code.is_some() {
        c.fail(
            "上级代码",
            parent_code.as_ref().map(|p| p.as_str()).unwrap_or(""),
            "县级区划不应有上级",
        );
        return None;
    }
    if level != RegionLevel::County && parent_code.is_none() {
        c.fail("上级代码", "", "除县外必须填写上级代码");
        return None;
    }
    Some(RegionRow {
        code,
        name,
        level,
        parent_code,
        tags,
        duty_phone,
    })
}

fn unit_row(c: &mut Cells) -> Option<UnitRow> {
    let code = c.parsed("code", Code::parse);
    let name = c.text("name");
    let kind = c.parsed("kind", UnitKind::parse);
    let region_code = c.parsed("region_code", RegionCode::parse);
    let parent_code = c.opt_parsed("parent_code", Code::parse);
    let tags = c.list("tags", UnitTag::parse);
    let supervision_phone = c.opt_parsed("supervision_phone", parse_contact_phone);
    let phone = c.opt_parsed("phone", parse_contact_phone);
    let service_scope = c.opt_text("service_scope");
    let duties = c.opt_text("duties");
    let responsible = c.opt_text("responsible");
    Some(UnitRow {
        code: code?,
        name: name?,
        kind: kind?,
        region_code: region_code?,
        parent_code: parent_code.ok()?,
        tags: tags.ok()?,
        supervision_phone: supervision_phone.ok()?,
        phone: phone.ok()?,
        service_scope,
        duties,
        responsible,
    })
}

fn person_row(c: &mut Cells) -> Option<PersonRow> {
    let id_number = c.parsed("id_number", IdNumber::parse);
    let name = c.text("name");
    let phone = c.opt_parsed("phone", Phone::parse);
    let unit_code = c.parsed("unit_code", Code::parse);
    let post = c.opt_text("post");
    let roles = c.list("roles", Role::parse);
    let region_code = c.opt_parsed("region_code", RegionCode::parse);
    let area_codes = c.list("area_codes", RegionCode::parse);
    let term_start = c.opt_parsed("term_start", parse_date);
    let grassroots_experience = c.opt_parsed("grassroots_experience", parse_bool);
    let branch_code = c.opt_parsed("branch_code", Code::parse);
    let row = PersonRow {
        id_number: id_number?,
        name: name?,
        phone: phone.ok()?,
        unit_code: unit_code?,
        post,
        roles: roles.ok()?,
        region_code: region_code.ok()?,
        area_codes: area_codes.ok()?,
        term_start: term_start.ok()?,
        grassroots_experience: grassroots_experience.ok()?,
        branch_code: branch_code.ok()?,
    };
    let needs_region = row.roles.iter().any(|r| {
        matches!(
            r,
            Role::VillageSecretary | Role::VillageDirector | Role::VillageCadre | Role::PartyMember
        )
    });
    if needs_region && row.region_code.is_none() {
        c.fail("所属区划", "", "村干部和党员必须填写所属区划");
        return None;
    }
    Some(row)
}

fn household_row(c: &mut Cells) -> Option<HouseholdRow> {
    let code = c.parsed("code", Code::parse);
    let head_name = c.text("head_name");
    let head_id_number = c.opt_parsed("head_id_number", IdNumber::parse);
    let region_code = c.parsed("region_code", RegionCode::parse);
    let address = c.opt_text("address");
    let phone = c.opt_parsed("phone", parse_contact_phone);
    let size = c.opt_parsed("size", parse_count);
    let tags = c.list("tags", HouseholdTag::parse);
    let income_sources = c.opt_text("income_sources");
    let situation = c.opt_text("situation");
    Some(HouseholdRow {
        code: code?,
        head_name: head_name?,
        head_id_number: head_id_number.ok()?,
        region_code: region_code?,
        address,
        phone: phone.ok()?,
        size: size.ok()?,
        tags: tags.ok()?,
        income_sources,
        situation,
    })
}

fn member_row(c: &mut Cells) -> Option<MemberRow> {
    let household_code = c.parsed("household_code", Code::parse);
    let name = c.text("name");
    let id_number = c.opt_parsed("id_number", IdNumber::parse);
    let phone = c.opt_parsed("phone", Phone::parse);
    Some(MemberRow {
        household_code: household_code?,
        name: name?,
        id_number: id_number.ok()?,
        relation: c.opt_text("relation"),
        phone: phone.ok()?,
        employment: c.opt_text("employment"),
        health: c.opt_text("health"),
    })
}

fn link_row(c: &mut Cells) -> Option<LinkRow> {
    let year = c.parsed("year", parse_year);
    let cadre = c.opt_parsed("cadre_id_number", IdNumber::parse);
    let unit = c.opt_parsed("unit_code", Code::parse);
    let kind = c.parsed("kind", LinkKind::parse);
    let target_code = c.text("target_code");
    let start = c.opt_parsed("start", parse_date);
    let end = c.opt_parsed("end", parse_date);
    let (year, cadre, unit, kind, target_code, start, end) = (
        year?,
        cadre.ok()?,
        unit.ok()?,
        kind?,
        target_code?,
        start.ok()?,
        end.ok()?,
    );
    let mut contact = None;
    let linker = match (cadre, unit) {
        (Some(p), None) => Linker::Person(p),
        (None, Some(u)) => Linker::Unit(u),
        // A unit's veteran-benefit pairing names the person who keeps in touch (BF-3).
        (Some(p), Some(u)) if kind == LinkKind::VeteranBenefitPairing => {
            contact = Some(p);
            Linker::Unit(u)
        }
        (None, None) => {
            c.fail("干部身份证号", "", "干部身份证号和单位代码须填其一");
            return None;
        }
        (Some(_), Some(_)) => {
            c.fail(
                "单位代码",
                "",
                "干部身份证号和单位代码只能填一个（优抚帮扶可同时填：单位结对，干部为联系人）",
            );
            return None;
        }
    };
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        c.fail("结束日期", &e.to_string(), "结束日期早于开始日期");
        return None;
    }
    Some(LinkRow {
        year,
        linker,
        kind,
        target_code,
        start,
        end,
        contact,
    })
}

fn activity_row(c: &mut Cells) -> Option<ActivityRow> {
    let start_date = c.parsed("start_date", parse_date);
    let end_date = c.opt_parsed("end_date", parse_date);
    let participants = c.list("participants", IdNumber::parse);
    let kind = c.parsed("kind", ActivityKind::parse);
    let target_codes = c.list("target_codes", |s| Ok(s.to_string()));
    let companions = c.opt_parsed("companions", parse_count);
    let hours = c.opt_parsed("hours", parse_hours);
    let notes = c.opt_text("notes");
    let (_, matters_raw) = c.raw("matters");
    let matters: Vec<String> = matters_raw
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let (start_date, end_date, participants, kind, target_codes, companions, hours) = (
        start_date?,
        end_date.ok()?,
        participants.ok()?,
        kind?,
        target_codes.ok()?,
        companions.ok()?,
        hours.ok()?,
    );
    if participants.is_empty() {
        c.fail("参加人身份证号", "", "至少填写一名参加人");
        return None;
    }
    let end_date = end_date.unwrap_or(start_date);
    if end_date < start_date {
        c.fail("结束日期", &end_date.to_string(), "结束日期早于开始日期");
        return None;
    }
    if (end_date - start_date).num_days() > 366 {
        c.fail(
            "结束日期",
            &end_date.to_string(),
            "一条工作记录不能超过一年",
        );
        return None;
    }
    Some(ActivityRow {
        start_date,
        end_date,
        participants,
        kind,
        target_codes,
        companions,
        hours,
        notes,
        matters,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(headers: &[&str], rows: &[&[&str]]) -> Sheet {
        Sheet {
            headers: headers.iter().map(|s| s.to_string()).collect(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|s| s.to_string()).collect())
                .collect(),
        }
    }

    #[test]
    fn english_keys_are_accepted_and_every_bad_cell_reported() {
        let s = sheet(
            &["code", "name", "level", "parent_code"],
            &[
                &["3504", "某县", "县", ""],
                &["35x", "", "镇", ""],
                &["350401", "甲镇", "镇", "3504"],
            ],
        );
        let (recs, errs) = parse_sheet(Kind::Regions, "regions.csv", &s);
        let Records::Regions(r) = recs else { panic!() };
        assert_eq!(r.len(), 2);
        // Row 3: bad code, empty name (parent check needs a valid row first).
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs.iter().all(|e| e.row == 3));
        assert!(
            errs.iter()
                .any(|e| e.column == "区划代码" && e.reason.contains("数字"))
        );
        assert!(errs.iter().any(|e| e.column == "名称"));
    }

    #[test]
    fn missing_required_column_is_a_header_error() {
        let s = sheet(&["户编号", "户主姓名"], &[&["H1", "张三"]]);
        let (_, errs) = parse_sheet(Kind::Households, "households.csv", &s);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].row, 1);
        assert!(errs[0].reason.contains("所属区划"));
    }

    #[test]
    fn activity_defaults_and_fingerprint() {
        let s = sheet(
            &["开始日期", "参加人身份证号", "类型", "对象代码", "反映事项"],
            &[&[
                "2025/3/1",
                "11010519491231002X",
                "入户走访",
                "H1、H2",
                "路灯坏了\n\n水管漏水",
            ]],
        );
        let (recs, errs) = parse_sheet(Kind::Activities, "a.csv", &s);
        assert!(errs.is_empty(), "{errs:?}");
        let Records::Activities(a) = recs else {
            panic!()
        };
        let row = &a[0].1;
        assert_eq!(row.end_date, row.start_date);
        assert_eq!(row.matters.len(), 2);
        assert_eq!(row.fingerprint(), row.clone().fingerprint());
        let mut other = row.clone();
        other.notes = Some("x".into());
        assert_ne!(row.fingerprint(), other.fingerprint());
    }

    #[test]
    fn bad_id_numbers_are_masked_in_reports() {
        let s = sheet(
            &["户编号", "姓名", "身份证号"],
            &[&["H1", "张三", "110105194912310021"]],
        );
        let (_, errs) = parse_sheet(Kind::Members, "m.csv", &s);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].value, "1101**********0021");
    }
}

/// A filled example row of each file, column by column (the template's 示例 sheet).
pub fn example(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Regions => &["350999100001", "青山村", "村", "350999100", "老区村"],
        Kind::Units => &[
            "D012",
            "县民政局",
            "县直单位",
            "350999",
            "",
            "窗口服务、民政部门",
            "0599-1234567",
        ],
        Kind::People => &[
            "350425196102110013",
            "张三",
            "13905991234",
            "D012",
            "副局长",
            "县直单位领导班子成员、党员",
            "350999100001",
            "",
            "2024-01-01",
            "是",
            "",
        ],
        Kind::Households => &[
            "H0001",
            "李四",
            "350425196102110013",
            "350999100001",
            "青山村3组12号",
            "13905991234",
            "4",
            "低保户、留守儿童",
            "务工、种植",
            "住房安全，主要劳动力外出务工",
        ],
        Kind::Members => &["H0001", "李小明", "", "子", "", "在校学生", "健康"],
        Kind::Links => &["2026", "350425196102110013", "", "联户", "H0001", "", ""],
        Kind::Activities => &[
            "2026-03-05",
            "",
            "350425196102110013",
            "入户走访",
            "H0001",
            "",
            "",
            "了解春耕准备情况",
            "H0001：村道路灯损坏",
        ],
    }
}
