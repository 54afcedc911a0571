//! Identifiers that arrive as strings and are parsed once at the edge:
//! resident ID numbers (GB 11643), mainland mobile numbers and codes.

use chrono::NaiveDate;
use std::fmt;

/// What the importer says of an ID number Excel has turned into a number.
pub const SCIENTIFIC_ID: &str = "身份证号被Excel转成了科学计数法，请把该列设为文本后重新填写";

/// A number as Excel shows it in scientific notation (`3.50425E+17`, `3.5042519610211E17`).
pub fn scientific(s: &str) -> bool {
    let Some((mantissa, exp)) = s.split_once(['E', 'e']) else {
        return false;
    };
    let exp = exp.strip_prefix('+').unwrap_or(exp);
    !mantissa.is_empty()
        && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
        && mantissa.starts_with(|c: char| c.is_ascii_digit())
        && !exp.is_empty()
        && exp.chars().all(|c| c.is_ascii_digit())
}

/// A resident ID number valid under GB 11643-1999: 17 digits, a real birth
/// date, and the MOD 11-2 check character.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdNumber(String);

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

/// The MOD 11-2 check character for the first 17 digits.
pub fn check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.chars().zip(WEIGHTS) {
        sum += c.to_digit(10)? * w;
    }
    Some(CHECK[(sum % 11) as usize] as char)
}

impl IdNumber {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s: String = raw.trim().to_uppercase();
        if scientific(&s) {
            return Err(SCIENTIFIC_ID.into());
        }
        if s.chars().count() != 18 {
            return Err(format!("身份证号应为18位，实为{}位", s.chars().count()));
        }
        if !s.is_ascii() {
            return Err("身份证号只能由数字和X组成".into());
        }
        if !s[..17].chars().all(|c| c.is_ascii_digit()) {
            return Err("身份证号前17位必须是数字".into());
        }
        let last = s.as_bytes()[17] as char;
        if !(last.is_ascii_digit() || last == 'X') {
            return Err("身份证号末位必须是数字或X".into());
        }
        if s.as_bytes()[0] == b'0' {
            return Err("身份证号地址码不能以0开头".into());
        }
        let birth = &s[6..14];
        let date = NaiveDate::parse_from_str(birth, "%Y%m%d")
            .map_err(|_| format!("身份证号中的出生日期{birth}不是有效日期"))?;
        if date.year_ce().1 < 1900 {
            return Err(format!("身份证号中的出生日期{birth}早于1900年"));
        }
        let expected = check_char(&s[..17]).ok_or("身份证号格式错误")?;
        if expected != last {
            return Err(format!("身份证号校验位错误（应为{expected}）"));
        }
        Ok(IdNumber(s))
    }

    /// Builds a valid number from its parts; used by the demo generator.
    pub fn compose(area: &str, birth: NaiveDate, seq: u32) -> Option<Self> {
        let first17 = format!("{area}{}{:03}", birth.format("%Y%m%d"), seq % 1000);
        let c = check_char(&first17)?;
        Self::parse(&format!("{first17}{c}")).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").ok()
    }

    /// `3301**********1234`: what anyone without the right to see it gets.
    pub fn masked(&self) -> String {
        mask_id_number(&self.0)
    }
}

use chrono::Datelike;

/// Debug never shows the full number, so it cannot leak into logs.
impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

pub fn mask_id_number(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

/// A code as it may be shown: masked when it is an ID number, as is otherwise.
pub fn shown_code(code: &str) -> String {
    if code.len() == 18 && IdNumber::parse(code).is_ok() {
        mask_id_number(code)
    } else {
        code.to_string()
    }
}

pub fn mask_phone(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// An 11-digit mainland mobile number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if scientific(raw.trim()) {
            return Err("手机号被Excel转成了科学计数法，请把该列设为文本后重新填写".into());
        }
        let mut s: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '\u{3000}'))
            .collect();
        if let Some(rest) = s.strip_prefix("+86") {
            s = rest.to_string();
        } else if s.len() == 13 && s.starts_with("86") {
            s = s[2..].to_string();
        }
        if s.len() != 11 || !s.chars().all(|c| c.is_ascii_digit()) {
            return Err("手机号应为11位数字".into());
        }
        let b = s.as_bytes();
        if b[0] != b'1' || !(b'3'..=b'9').contains(&b[1]) {
            return Err("不是有效的大陆手机号（应以13–19开头）".into());
        }
        Ok(Phone(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

/// A region code: digits only (统计用区划代码 and group codes below it).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("区划代码不能为空".into());
        }
        if !s.chars().all(|c| c.is_ascii_digit()) {
            return Err("区划代码只能由数字组成".into());
        }
        if s.len() > 20 {
            return Err("区划代码不能超过20位".into());
        }
        Ok(RegionCode(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A unit or household code: letters, digits, `-` and `_`, at most 40 long.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code(String);

impl Code {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("编号不能为空".into());
        }
        if s.chars().count() > 40 {
            return Err("编号不能超过40个字符".into());
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err("编号只能包含字母、数字、-和_".into());
        }
        Ok(Code(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_number_excel_turned_into_a_number_is_named_as_such() {
        // As Excel shows it in a CSV, and as the importer shows an .xlsx number cell.
        for raw in ["3.50425E+17", "3.5042519610211E17", "3.50425196102110e+17"] {
            assert_eq!(IdNumber::parse(raw).unwrap_err(), SCIENTIFIC_ID, "{raw}");
        }
        assert!(
            Phone::parse("1.39056E+10")
                .unwrap_err()
                .contains("科学计数法")
        );
        // The real number is fine, and the example in the templates is valid.
        assert!(IdNumber::parse("350425196102110013").is_ok());
        assert!(!scientific("H1E5X"));
        assert!(!scientific("12345"));
    }
    use proptest::prelude::*;

    #[test]
    fn known_good_number_parses() {
        // The GB 11643 worked example.
        assert!(IdNumber::parse("11010519491231002X").is_ok());
        assert!(IdNumber::parse("11010519491231002x").is_ok());
    }

    #[test]
    fn wrong_check_digit_is_refused_with_the_right_one() {
        let e = IdNumber::parse("110105194912310021").unwrap_err();
        assert!(e.contains("校验位") && e.contains('X'), "{e}");
    }

    #[test]
    fn impossible_birth_date_is_refused() {
        let first17 = "11010519490230002";
        let c = check_char(first17).unwrap();
        let e = IdNumber::parse(&format!("{first17}{c}")).unwrap_err();
        assert!(e.contains("出生日期"), "{e}");
    }

    #[test]
    fn masks_keep_only_the_ends() {
        assert_eq!(mask_id_number("330102199001011234"), "3301**********1234");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert!(!format!("{id:?}").contains("0519491231"));
    }

    #[test]
    fn phones() {
        assert_eq!(
            Phone::parse("138 1234 5678").unwrap().as_str(),
            "13812345678"
        );
        assert_eq!(
            Phone::parse("+8613812345678").unwrap().as_str(),
            "13812345678"
        );
        assert!(Phone::parse("12812345678").is_err());
        assert!(Phone::parse("1381234567").is_err());
        assert!(Phone::parse("0591-1234567").is_err());
    }

    proptest! {
        #[test]
        fn composed_numbers_parse_and_any_other_check_char_fails(
            area in 110000u32..660000,
            days in 0i64..40000,
            seq in 0u32..1000,
            other in 0usize..11,
        ) {
            let birth = NaiveDate::from_ymd_opt(1910, 1, 1).unwrap() + chrono::Duration::days(days);
            let id = IdNumber::compose(&area.to_string(), birth, seq).unwrap();
            prop_assert_eq!(id.birth_date(), Some(birth));
            let s = id.as_str();
            let wrong = CHECK[other] as char;
            if wrong != s.chars().last().unwrap() {
                let bad = format!("{}{}", &s[..17], wrong);
                prop_assert!(IdNumber::parse(&bad).is_err());
            }
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,30}") {
            let _ = IdNumber::parse(&s);
            let _ = Phone::parse(&s);
            let _ = RegionCode::parse(&s);
        }
    }
}
