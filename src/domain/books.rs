//! The record books the regulations name, as data: every book is a view of the work
//! records, laid out as counties keep them (a title, a line of particulars, then tables).

use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct Book {
    /// File name and page title, e.g. “张三联户工作记录本（2026年）”.
    pub title: String,
    pub sheets: Vec<BookSheet>,
}

#[derive(Clone, Debug, Serialize)]
pub struct BookSheet {
    /// The sheet's tab name (at most 31 characters in Excel).
    pub name: String,
    pub title: String,
    pub subtitle: String,
    pub sections: Vec<Section>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Section {
    pub caption: Option<String>,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Section {
    pub fn new(caption: Option<&str>, headers: &[&str], rows: Vec<Vec<String>>) -> Section {
        Section {
            caption: caption.map(str::to_string),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows,
        }
    }
}

impl BookSheet {
    pub fn rows(&self) -> usize {
        self.sections.iter().map(|s| s.rows.len()).sum()
    }
}
