//! Who may do what, where. An account holds grants; a grant is an access role
//! bounded by a scope (the whole county, a region subtree, a unit, or only the
//! person's own links). Roles here are the system's, not the registry's roles.

use serde::Serialize;

labelled!(
    /// 系统角色
    AccessRole, "系统角色" {
    Admin = "admin", "系统管理员";
    OrgDept = "org_dept", "组织部门";
    Office = "office", "党政办";
    Leader = "leader", "领导干部";
    Cadre = "cadre", "联户干部";
    VillageCadre = "village_cadre", "村干部";
    Representative = "representative", "党代表";
    Inspector = "inspector", "督查（只读）";
});

/// Actions a role grants. Reads are bounded by scope for every role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capability {
    /// See ID numbers and phones in full (each reveal is audited).
    Reveal,
    /// Import registry files.
    Import,
    /// Export whole registry lists.
    Export,
    /// Create, reset and disable accounts.
    ManageAccounts,
    /// Search the audit log.
    ReadAudit,
    /// Read the stability ledger's content.
    ReadStability,
    /// Record work one took part in.
    RecordWork,
    /// Assign links, confirm proposals, hand a cadre's links over; correct any record.
    ManageLinks,
    /// Act on ledger items as the office of a level (assign, escalate, close, supervise).
    HandleItems,
    /// Save a new version of the county's policy (the organisation department's rules).
    EditPolicy,
    /// Put an item under supervision 督办 (the supervision office: read everything, change
    /// nothing else).
    SuperviseItems,
    /// Design, close and circulate the satisfaction survey (the statistics and organisation
    /// departments, PJ-1/PJ-2).
    RunSurvey,
}

impl AccessRole {
    pub fn can(self, c: Capability) -> bool {
        use AccessRole::*;
        use Capability::*;
        match c {
            Reveal => matches!(
                self,
                Admin | OrgDept | Office | Leader | Cadre | VillageCadre
            ),
            Import | ManageAccounts | ReadAudit => self == Admin,
            Export => matches!(self, Admin | OrgDept),
            ReadStability => matches!(self, Admin | OrgDept | Office | VillageCadre),
            RecordWork => !matches!(self, Inspector),
            ManageLinks => matches!(self, Admin | OrgDept | Office),
            HandleItems => matches!(self, Admin | OrgDept | Office | Leader | VillageCadre),
            EditPolicy => matches!(self, Admin | OrgDept),
            SuperviseItems => self == Inspector,
            RunSurvey => matches!(self, Admin | OrgDept),
        }
    }

    /// The scope a role is given when none is named: county-wide roles need none.
    pub fn county_wide(self) -> bool {
        matches!(self, AccessRole::Admin | AccessRole::OrgDept)
    }
}

/// What a grant reaches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "code", rename_all = "snake_case")]
pub enum Scope {
    County,
    /// A region and everything under it.
    Region(String),
    /// A unit, its people and the households they link.
    Unit(String),
    /// Only the account's own person, links and linked households.
    Own,
}

impl Scope {
    pub fn kind(&self) -> &'static str {
        match self {
            Scope::County => "county",
            Scope::Region(_) => "region",
            Scope::Unit(_) => "unit",
            Scope::Own => "own",
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            Scope::Region(c) | Scope::Unit(c) => Some(c),
            _ => None,
        }
    }

    pub fn from_parts(kind: &str, code: Option<&str>) -> Option<Scope> {
        match (kind, code) {
            ("county", _) => Some(Scope::County),
            ("region", Some(c)) => Some(Scope::Region(c.to_string())),
            ("unit", Some(c)) => Some(Scope::Unit(c.to_string())),
            ("own", _) => Some(Scope::Own),
            _ => None,
        }
    }

    pub fn zh(&self) -> String {
        match self {
            Scope::County => "全县".into(),
            Scope::Region(c) => format!("区划 {c}"),
            Scope::Unit(c) => format!("单位 {c}"),
            Scope::Own => "本人联系对象".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub role: AccessRole,
    pub scope: Scope,
}

/// The scope a role gets from a `--scope` argument: county-wide roles ignore it;
/// a cadre without one reaches only their own links.
pub fn scope_for(role: AccessRole, code: Option<&str>, unit: bool) -> Result<Scope, String> {
    if role.county_wide() {
        return Ok(Scope::County);
    }
    match (code.map(str::trim).filter(|c| !c.is_empty()), role) {
        (Some("county") | Some("全县"), _) => Ok(Scope::County),
        (Some(c), _) if unit => Ok(Scope::Unit(c.to_string())),
        (Some(c), _) => Ok(Scope::Region(c.to_string())),
        (None, AccessRole::Cadre) => Ok(Scope::Own),
        (None, r) => Err(format!("{}需要指定范围（区划代码或单位代码）", r.zh())),
    }
}

/// Passwords every guesser tries first (the commonest of published leak lists, and the
/// Chinese favourites); refused whatever their length.
const COMMON_PASSWORDS: &[&str] = &[
    "password",
    "password1",
    "password12",
    "password123",
    "passw0rd",
    "p@ssw0rd",
    "abc12345",
    "abcd1234",
    "abc123456",
    "qwerty123",
    "qwerty12",
    "1qaz2wsx",
    "1q2w3e4r",
    "q1w2e3r4",
    "a1234567",
    "a12345678",
    "a123456789",
    "aa123456",
    "asd12345",
    "zxc12345",
    "admin123",
    "admin1234",
    "administrator1",
    "test1234",
    "welcome1",
    "iloveyou1",
    "woaini1314",
    "woaini520",
    "5201314a",
    "a5201314",
    "qq123456",
    "abc123abc",
    "1234qwer",
    "letmein1",
    "changeme1",
    "zhang123",
    "wang1234",
    "li123456",
    "root1234",
    "user1234",
    "china123",
];

/// A new password must be at least 8 characters with a letter and a digit, and none of the
/// common ones.
pub fn check_password(p: &str) -> Result<(), String> {
    if p.chars().count() < 8 {
        return Err("密码至少8位".into());
    }
    if p.chars().count() > 128 {
        return Err("密码不能超过128位".into());
    }
    if !p.chars().any(|c| c.is_ascii_digit()) || !p.chars().any(|c| c.is_alphabetic()) {
        return Err("密码须同时包含字母和数字".into());
    }
    if COMMON_PASSWORDS.contains(&p.to_lowercase().as_str()) {
        return Err("这是最常见的密码之一，很容易被猜中，请换一个".into());
    }
    Ok(())
}

/// A user name: 3–32 letters, digits, `_`, `-` or `.`.
pub fn check_username(u: &str) -> Result<(), String> {
    let n = u.chars().count();
    if !(3..=32).contains(&n)
        || !u
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    {
        return Err("用户名应为3–32位字母、数字、_、-或.".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_follow_the_role() {
        assert!(AccessRole::Admin.can(Capability::Import));
        assert!(!AccessRole::OrgDept.can(Capability::Import));
        assert!(AccessRole::OrgDept.can(Capability::Export));
        assert!(!AccessRole::Inspector.can(Capability::Reveal));
        assert!(!AccessRole::Representative.can(Capability::Reveal));
        assert!(AccessRole::Cadre.can(Capability::Reveal));
        assert!(!AccessRole::Cadre.can(Capability::ReadStability));
    }

    #[test]
    fn scopes_from_arguments() {
        assert_eq!(
            scope_for(AccessRole::Admin, Some("3509"), false),
            Ok(Scope::County)
        );
        assert_eq!(
            scope_for(AccessRole::Office, Some("3509100"), false),
            Ok(Scope::Region("3509100".into()))
        );
        assert_eq!(scope_for(AccessRole::Cadre, None, false), Ok(Scope::Own));
        assert!(scope_for(AccessRole::Office, None, false).is_err());
        assert_eq!(
            Scope::from_parts("unit", Some("D1")),
            Some(Scope::Unit("D1".into()))
        );
    }

    #[test]
    fn passwords_and_usernames() {
        assert!(check_password("qingshan2026").is_ok());
        assert!(check_password("password1").unwrap_err().contains("常见"));
        assert!(check_password("Abc12345").is_err());
        assert!(check_password("abcdefgh").is_err());
        assert!(check_password("a1").is_err());
        assert!(check_username("zhang.san").is_ok());
        assert!(check_username("张三").is_err());
    }
}
