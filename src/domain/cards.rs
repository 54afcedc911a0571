//! Contact cards 连心卡 / 亲情卡 (LXK-1..3, LH-3): what a card prints is a view of the registry,
//! and which fields and words a county prints is policy data (`[cards]`). A printed card keeps
//! the values it carried; when the registry no longer says the same, the card is stale.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a household's 亲情卡 may print, by key.
pub const HOUSEHOLD_FIELDS: [(&str, &str); 8] = [
    ("household", "户主"),
    ("village", "所在村（社区）"),
    ("cadre_name", "联户干部"),
    ("cadre_unit", "干部单位"),
    ("cadre_phone", "干部电话"),
    ("village_duty_phone", "村值班电话"),
    ("town_desk_phone", "镇民情处理站电话"),
    ("supervision_phone", "监督电话"),
];

/// What a unit's 连心卡 may print (LXK-1 names all six).
pub const UNIT_FIELDS: [(&str, &str); 6] = [
    ("unit_name", "单位名称"),
    ("service_scope", "服务范围"),
    ("duties", "工作职责"),
    ("responsible", "责任人"),
    ("phone", "联系电话"),
    ("supervision_phone", "监督电话"),
];

/// Who holds a card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Holder {
    Household,
    Unit,
}

impl Holder {
    pub fn code(self) -> &'static str {
        match self {
            Holder::Household => "household",
            Holder::Unit => "unit",
        }
    }

    pub fn from_code(s: &str) -> Option<Holder> {
        match s {
            "household" => Some(Holder::Household),
            "unit" => Some(Holder::Unit),
            _ => None,
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Holder::Household => "亲情卡",
            Holder::Unit => "连心卡",
        }
    }
}

/// One printed line: the registry fact under `key`, with the county's own label.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub key: String,
    pub label: String,
}

/// One kind of card as the county prints it.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Face {
    pub title: String,
    /// A line under the fields (“有困难，找我们”).
    #[serde(default)]
    pub note: String,
    pub fields: Vec<Field>,
}

/// `[cards]` of the policy.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CardSettings {
    /// A re-issued household card's old QR code keeps working this many days.
    pub grace_days: u32,
    pub household: Face,
    pub unit: Face,
}

fn face(title: &str, note: &str, fields: &[(&str, &str)]) -> Face {
    Face {
        title: title.into(),
        note: note.into(),
        fields: fields
            .iter()
            .map(|(k, l)| Field {
                key: (*k).into(),
                label: (*l).into(),
            })
            .collect(),
    }
}

impl Default for CardSettings {
    fn default() -> Self {
        CardSettings {
            grace_days: 30,
            household: face(
                "连心亲情卡",
                "有困难找我们。扫码可反映问题、查看办理进度、评价服务。",
                &HOUSEHOLD_FIELDS,
            ),
            unit: face("连心卡", "欢迎监督。", &UNIT_FIELDS),
        }
    }
}

impl CardSettings {
    pub fn face(&self, h: Holder) -> &Face {
        match h {
            Holder::Household => &self.household,
            Holder::Unit => &self.unit,
        }
    }

    /// Problems of the section, one Chinese sentence each.
    pub fn check(&self) -> Vec<String> {
        let mut errors = Vec::new();
        for (name, f, allowed) in [
            ("household", &self.household, &HOUSEHOLD_FIELDS[..]),
            ("unit", &self.unit, &UNIT_FIELDS[..]),
        ] {
            if f.title.trim().is_empty() {
                errors.push(format!("[cards.{name}] title 不能为空"));
            }
            if f.fields.is_empty() {
                errors.push(format!("[cards.{name}] fields 不能为空"));
            }
            for field in &f.fields {
                if !allowed.iter().any(|(k, _)| *k == field.key) {
                    let keys: Vec<&str> = allowed.iter().map(|(k, _)| *k).collect();
                    errors.push(format!(
                        "[cards.{name}] 没有“{}”这一项（可用：{}）",
                        field.key,
                        keys.join("、")
                    ));
                }
            }
        }
        if self.grace_days > 365 {
            errors.push("[cards] grace_days 不超过365天".into());
        }
        errors
    }
}

/// The registry's facts a card may print, key → value (an empty value is not printed), and
/// the linked cadre a household card names.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Values {
    pub values: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cadre: Option<i32>,
    /// The keys the face printed (kept with a printed card, so that staleness is judged on
    /// what the card carries even after the county changes its faces).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

impl Values {
    pub fn get(&self, key: &str) -> &str {
        self.values.get(key).map(String::as_str).unwrap_or("")
    }

    pub fn set(&mut self, key: &str, value: Option<&str>) {
        let v = value.map(str::trim).unwrap_or("");
        if !v.is_empty() {
            self.values.insert(key.into(), v.into());
        }
    }

    /// The lines the face prints, label and value.
    pub fn lines(&self, face: &Face) -> Vec<(String, String)> {
        face.fields
            .iter()
            .map(|f| {
                let v = self.get(&f.key);
                (
                    f.label.clone(),
                    if v.is_empty() { "—".into() } else { v.into() },
                )
            })
            .collect()
    }

    /// What a card of this face carries: the face's fields only, and their keys.
    pub fn as_printed(mut self, face: &Face) -> Values {
        self.fields = face.fields.iter().map(|f| f.key.clone()).collect();
        let keep = &self.fields;
        self.values.retain(|k, _| keep.contains(k));
        self
    }

    /// A card printed with `self` (see `as_printed`) no longer tells the truth the registry
    /// tells now: a field it printed, or the cadre it names, differs.
    pub fn stale_against(&self, now: &Values) -> bool {
        self.cadre != now.cadre || self.fields.iter().any(|k| self.get(k) != now.get(k))
    }

    /// The fields of `required` the registry has no value for.
    pub fn missing<'a>(&self, required: &'a [String], face: &'a Face) -> Vec<&'a str> {
        required
            .iter()
            .filter(|k| self.get(k).is_empty())
            .map(|k| {
                face.fields
                    .iter()
                    .find(|f| f.key == **k)
                    .map(|f| f.label.as_str())
                    .or_else(|| {
                        UNIT_FIELDS
                            .iter()
                            .chain(HOUSEHOLD_FIELDS.iter())
                            .find(|(key, _)| key == k)
                            .map(|(_, l)| *l)
                    })
                    .unwrap_or(k.as_str())
            })
            .collect()
    }
}

/// A card ready to print: the face's words and the values' lines.
#[derive(Clone, Debug)]
pub struct Printable {
    pub title: String,
    pub lines: Vec<(String, String)>,
    pub note: String,
    /// The household's page, for the QR code.
    pub link: Option<String>,
    /// 第2版 · 2026-12-01 · H001
    pub footer: String,
}

/// A rating of the linked cadre's service, once a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rating {
    Satisfied,
    Basically,
    Dissatisfied,
}

impl Rating {
    pub const ALL: [Rating; 3] = [Rating::Satisfied, Rating::Basically, Rating::Dissatisfied];

    pub fn code(self) -> &'static str {
        match self {
            Rating::Satisfied => "satisfied",
            Rating::Basically => "basically_satisfied",
            Rating::Dissatisfied => "dissatisfied",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Rating::Satisfied => "满意",
            Rating::Basically => "基本满意",
            Rating::Dissatisfied => "不满意",
        }
    }

    pub fn parse(s: &str) -> Result<Rating, String> {
        Rating::ALL
            .into_iter()
            .find(|r| r.code() == s || r.zh() == s)
            .ok_or_else(|| "请选择满意、基本满意或不满意".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)], cadre: Option<i32>) -> Values {
        let mut v = Values {
            cadre,
            ..Default::default()
        };
        for (k, x) in pairs {
            v.set(k, Some(x));
        }
        v
    }

    #[test]
    fn a_card_is_stale_when_a_printed_fact_or_its_cadre_changes() {
        let face = CardSettings::default().household;
        let now = values(
            &[("cadre_name", "张三"), ("cadre_phone", "13800000001")],
            Some(1),
        );
        let printed = now.clone().as_printed(&face);
        assert!(!printed.stale_against(&now));
        let phone = values(
            &[("cadre_name", "张三"), ("cadre_phone", "13800000002")],
            Some(1),
        );
        assert!(printed.stale_against(&phone));
        let handed = values(
            &[("cadre_name", "张三"), ("cadre_phone", "13800000001")],
            Some(2),
        );
        assert!(printed.stale_against(&handed));
        // A value that was empty when printed and is known now: the card should carry it.
        let mut more = now.clone();
        more.set("village_duty_phone", Some("0598-8100000"));
        assert!(printed.stale_against(&more));
        // A fact the county does not print does not make the card stale.
        let mut narrow = face.clone();
        narrow.fields.retain(|f| f.key == "cadre_name");
        assert!(!now.clone().as_printed(&narrow).stale_against(&phone));
    }

    #[test]
    fn the_default_faces_pass_their_own_check_and_unknown_keys_are_named() {
        let mut s = CardSettings::default();
        assert!(s.check().is_empty());
        s.unit.fields.push(Field {
            key: "fax".into(),
            label: "传真".into(),
        });
        let e = s.check();
        assert_eq!(e.len(), 1);
        assert!(e[0].contains("fax"), "{e:?}");
        let v = values(
            &[("unit_name", "县市场监管局"), ("phone", "0591-1234567")],
            None,
        );
        let req: Vec<String> = ["unit_name", "duties", "supervision_phone"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(v.missing(&req, &s.unit), ["工作职责", "监督电话"]);
        assert_eq!(Rating::parse("基本满意"), Ok(Rating::Basically));
        assert!(Rating::parse("很好").is_err());
    }
}
