//! Name keys for search: full pinyin and initials, so that "zs" finds 张三.

use pinyin::ToPinyin;

/// (full pinyin, initials), lower case, no separators; ü is written v.
pub fn name_keys(name: &str) -> (String, String) {
    let mut full = String::new();
    let mut initials = String::new();
    for (ch, py) in name.chars().zip(name.to_pinyin()) {
        match py {
            Some(p) => {
                let plain = p.plain().replace('ü', "v");
                full.push_str(&plain);
                initials.push_str(&plain[..1]);
            }
            None if ch.is_ascii_alphanumeric() => {
                let c = ch.to_ascii_lowercase();
                full.push(c);
                initials.push(c);
            }
            None => {}
        }
    }
    (full, initials)
}

/// Splits a list cell on the separators FORMATS.md allows.
pub fn split_list(cell: &str) -> Vec<String> {
    cell.split(['、', ',', '，', ';', '；', '\n'])
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A search term reduced to what the pinyin columns hold.
pub fn search_key(q: &str) -> String {
    q.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinyin_and_initials() {
        assert_eq!(name_keys("张三"), ("zhangsan".into(), "zs".into()));
        assert_eq!(name_keys("吕小A"), ("lvxiaoa".into(), "lxa".into()));
    }

    #[test]
    fn list_separators() {
        assert_eq!(
            split_list("低保户、五保户,残疾人；外出务工"),
            vec!["低保户", "五保户", "残疾人", "外出务工"]
        );
        assert!(split_list(" ").is_empty());
    }
}
