//! The closed vocabularies of FORMATS.md: each value has one English code
//! (GLOSSARY.md, stored in the database and used by the API) and the Chinese
//! label the UI and the exchange files use.

/// Declares an enum whose values carry a code, a Chinese label and accepted aliases.
macro_rules! labelled {
    ($(#[$m:meta])* $name:ident, $what:literal { $($v:ident = $code:literal, $zh:literal $(| $alias:literal)*;)+ }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($v),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            pub fn code(self) -> &'static str { match self { $($name::$v => $code),+ } }
            pub fn zh(self) -> &'static str { match self { $($name::$v => $zh),+ } }
            /// Accepts the Chinese label, an alias, or the English code.
            pub fn parse(raw: &str) -> Result<Self, String> {
                let s = raw.trim();
                $( if s == $zh || s == $code $(|| s == $alias)* { return Ok($name::$v); } )+
                Err(format!("未知的{}“{}”，可选：{}", $what, s, Self::choices()))
            }
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$v),)+ _ => None }
            }
            pub fn choices() -> String {
                Self::ALL.iter().map(|v| v.zh()).collect::<Vec<_>>().join("、")
            }
        }
    };
}

labelled!(
    /// 层级
    RegionLevel, "层级" {
    County = "county", "县" | "区" | "县（区）";
    Town = "town", "镇" | "乡";
    Street = "street", "街道";
    Village = "village", "村";
    Community = "community", "社区";
    Group = "group", "组" | "网格";
});

impl RegionLevel {
    /// The levels a region of this level may sit under.
    pub fn allowed_parents(self) -> &'static [RegionLevel] {
        use RegionLevel::*;
        match self {
            County => &[],
            Town | Street => &[County],
            Village | Community => &[Town, Street],
            Group => &[Village, Community],
        }
    }
    /// Households live in villages, communities or their groups.
    pub fn holds_households(self) -> bool {
        matches!(
            self,
            RegionLevel::Village | RegionLevel::Community | RegionLevel::Group
        )
    }
}

labelled!(RegionTag, "区划标签" {
    OldRevolutionaryArea = "old_revolutionary_area", "老区村";
    RuralRenovation = "rural_renovation", "农村面貌改造提升村";
});

labelled!(UnitKind, "单位类型" {
    CountyLeadershipBody = "county_leadership_body", "县四大班子";
    CountyDepartment = "county_department", "县直单位";
    TownGovernment = "town_government", "镇党委政府" | "乡党委政府";
    StreetOffice = "street_office", "街道党工委办事处";
    VillageCommittees = "village_committees", "村两委";
    CommunityCommittees = "community_committees", "社区两委";
    Enterprise = "enterprise", "民营企业";
    KeyProject = "key_project", "重点项目";
    RepresentativeGroup = "representative_group", "党代表工作小组";
    VolunteerTeam = "volunteer_team", "志愿者服务队";
    PartyBranch = "party_branch", "党支部";
    Other = "other", "其他";
});

// 组织部门 (organisation_department, DJC-3) is not in FORMATS.md's list: an extension the
// import accepts, so that the department that assesses grassroots postings owns their rows.
labelled!(UnitTag, "单位标签" {
    LawEnforcement = "law_enforcement", "执法管理";
    WindowService = "window_service", "窗口服务";
    HeavyPetition = "heavy_petition", "信访任务重";
    CivilAffairs = "civil_affairs", "民政部门";
    TradeUnion = "trade_union", "工会";
    RepresentativeLiaison = "representative_liaison", "党代表联络机构";
    PartyBuildingOffice = "party_building_office", "党建办";
    OrganisationDepartment = "organisation_department", "组织部门";
});

labelled!(Role, "角色" {
    CountyLeadershipMember = "county_leadership_member", "县四大班子成员";
    CountyPartyGovLeader = "county_party_gov_leader", "县级党政领导";
    TownLeadershipMember = "town_leadership_member", "镇领导班子成员" | "乡领导班子成员";
    StreetLeadershipMember = "street_leadership_member", "街道领导班子成员";
    DepartmentLeadershipMember = "department_leadership_member", "县直单位领导班子成员";
    SectionLevelCadre = "section_level_cadre", "科级以上干部";
    ReserveCadre = "reserve_cadre", "科级后备干部";
    VillageSecretary = "village_secretary", "村党组织书记";
    VillageDirector = "village_director", "村委会主任";
    VillageCadre = "village_cadre", "村干部";
    VillageLiaisonCadre = "village_liaison_cadre", "包村干部";
    StationedCadre = "stationed_cadre", "驻村干部";
    PartyMember = "party_member", "党员";
    InServicePartyMember = "in_service_party_member", "机关在职党员";
    BranchSecretary = "branch_secretary", "党支部书记";
    CountyRepresentative = "county_representative", "县党代表";
    TownRepresentative = "town_representative", "镇党代表";
    Convener = "convener", "党代表工作小组召集人" | "召集人";
    Volunteer = "volunteer", "志愿者";
});

labelled!(HouseholdTag, "户类别" {
    RegisteredPoor = "registered_poor", "建档立卡贫困户";
    Dibao = "dibao", "低保户";
    Wubao = "wubao", "五保户";
    Destitute = "destitute", "特困" | "三无" | "特困/三无";
    ZeroEmployment = "zero_employment", "零就业家庭";
    IllnessPoverty = "illness_poverty", "因病致贫";
    DisasterPoverty = "disaster_poverty", "因灾致贫";
    ElderlyAlone = "elderly_alone", "孤寡老人";
    LeftBehindChild = "left_behind_child", "留守儿童";
    Disabled = "disabled", "残疾人";
    VeteranBenefit = "veteran_benefit", "优抚对象";
    OldPartyMember = "old_party_member", "老党员";
    WealthLeader = "wealth_leader", "致富带头人";
    PetitionFocus = "petition_focus", "信访重点户";
    MigrantWorker = "migrant_worker", "外出务工";
});

impl HouseholdTag {
    /// Categories that make a household a hardship household (困难群众).
    pub fn is_hardship(self) -> bool {
        use HouseholdTag::*;
        matches!(
            self,
            RegisteredPoor
                | Dibao
                | Wubao
                | Destitute
                | ZeroEmployment
                | IllnessPoverty
                | DisasterPoverty
                | ElderlyAlone
                | LeftBehindChild
                | Disabled
        )
    }
}

labelled!(LinkKind, "关系类型" {
    ContactTown = "contact_town", "联系点-镇街";
    ContactRenovationVillage = "contact_renovation_village", "联系点-改造提升村";
    ContactOldAreaVillage = "contact_old_area_village", "联系点-老区村";
    ContactPoorHousehold = "contact_poor_household", "联系点-贫困户";
    ContactEnterprise = "contact_enterprise", "联系点-民营企业";
    ContactKeyProject = "contact_key_project", "联系点-重点项目";
    ContactVillage = "contact_village", "联系点-村社区";
    ContactOldPartyMember = "contact_old_party_member", "联系点-老党员";
    ContactWealthLeader = "contact_wealth_leader", "联系点-致富带头人";
    ContactOrdinaryHousehold = "contact_ordinary_household", "联系点-普通群众";
    ContactGrassrootsUnit = "contact_grassroots_unit", "联系点-基层单位";
    ContactServiceObject = "contact_service_object", "联系点-服务对象";
    HouseholdLink = "household_link", "联户";
    HardshipPairing = "hardship_pairing", "一助一";
    ResidentPairing = "resident_pairing", "结对群众";
    ProsperityPairing = "prosperity_pairing", "帮带致富";
    VeteranBenefitPairing = "veteran_benefit_pairing", "优抚帮扶";
    VillageLiaison = "village_liaison", "包村";
    VillageStationing = "village_stationing", "驻村";
    CommunityRegistration = "community_registration", "社区报到";
    ServicePost = "service_post", "服务岗位";
    GrassrootsPosting = "grassroots_posting", "下基层锻炼";
    GroupMembership = "group_membership", "工作小组成员";
});

/// What kind of object a link's target code names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    Region,
    Unit,
    Household,
    Person,
    /// Free text (a service post's name); not checked against the registry.
    Any,
}

impl TargetKind {
    pub fn zh(self) -> &'static str {
        match self {
            TargetKind::Region => "区划代码",
            TargetKind::Unit => "单位代码",
            TargetKind::Household => "户编号",
            TargetKind::Person => "身份证号",
            TargetKind::Any => "对象",
        }
    }
}

impl LinkKind {
    /// The kinds of object the target code may name.
    pub fn target_kinds(self) -> &'static [TargetKind] {
        use LinkKind::*;
        use TargetKind as T;
        match self {
            ContactTown
            | ContactRenovationVillage
            | ContactOldAreaVillage
            | ContactVillage
            | VillageLiaison
            | VillageStationing
            | CommunityRegistration => &[T::Region],
            ContactEnterprise | ContactKeyProject | ContactGrassrootsUnit | GroupMembership => {
                &[T::Unit]
            }
            ContactPoorHousehold
            | ContactOrdinaryHousehold
            | HouseholdLink
            | HardshipPairing
            | ProsperityPairing
            | VeteranBenefitPairing => &[T::Household],
            ContactOldPartyMember | ContactWealthLeader | ResidentPairing => {
                &[T::Household, T::Person]
            }
            ContactServiceObject => &[T::Household, T::Person, T::Unit],
            GrassrootsPosting => &[T::Region, T::Unit],
            ServicePost => &[T::Any],
        }
    }
}

labelled!(ActivityKind, "工作类型" {
    HouseholdVisit = "household_visit", "入户走访";
    PhoneContact = "phone_contact", "电话联系";
    FieldVisit = "field_visit", "实地走访";
    StationedResearch = "stationed_research", "驻点调研" | "蹲点调研";
    Research = "research", "调研";
    CoLiving = "co_living", "同吃同住";
    VillageStay = "village_stay", "住村";
    Reception = "reception", "接访";
    OutreachVisit = "outreach_visit", "下访";
    Appointment = "appointment", "约访";
    HeartTalk = "heart_talk", "谈心谈话";
    VolunteerService = "volunteer_service", "志愿服务";
    CondolenceVisit = "condolence_visit", "走访慰问";
    SituationMeeting = "situation_meeting", "民情分析会";
    Duty = "duty", "坐班";
    RepresentativeActivity = "representative_activity", "党代表活动";
    ResearchReport = "research_report", "调研报告";
    DutyReport = "duty_report", "述职报告";
});

/// Stores a set of codes as `,a,b,` so that `LIKE '%,a,%'` finds members on either database.
pub fn join_codes<'a>(codes: impl IntoIterator<Item = &'a str>) -> String {
    let mut v: Vec<&str> = codes.into_iter().collect();
    v.sort_unstable();
    v.dedup();
    if v.is_empty() {
        String::new()
    } else {
        format!(",{},", v.join(","))
    }
}

pub fn split_codes(stored: &str) -> Vec<&str> {
    stored.split(',').filter(|s| !s.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_and_aliases_parse() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.zh()).unwrap(), *r);
            assert_eq!(Role::from_code(r.code()), Some(*r));
        }
        assert_eq!(RegionLevel::parse("乡").unwrap(), RegionLevel::Town);
        assert_eq!(HouseholdTag::parse("dibao").unwrap(), HouseholdTag::Dibao);
        let e = UnitKind::parse("政府").unwrap_err();
        assert!(
            e.contains("未知的单位类型") && e.contains("县直单位"),
            "{e}"
        );
    }

    #[test]
    fn code_sets_are_sorted_and_delimited() {
        assert_eq!(join_codes(["b", "a", "b"]), ",a,b,");
        assert_eq!(split_codes(",a,b,"), vec!["a", "b"]);
        assert_eq!(join_codes([]), "");
    }
}

labelled!(
    /// 台账
    LedgerKind, "台账" {
    Livelihood = "livelihood", "民生诉求";
    Hardship = "hardship", "困难群众";
    Stability = "stability", "稳定工作";
});

labelled!(
    /// 事项来源
    ItemSource, "事项来源" {
    Visit = "visit", "入户走访";
    Reception = "reception", "接访";
    Letter = "letter", "来信";
    Hotline = "hotline", "民生热线" | "热线";
    Outreach = "outreach", "下访";
    Representative = "representative", "党代表";
    ServiceRoom = "service_room", "便民服务室";
    Resident = "resident", "群众自报";
});

labelled!(
    /// 便民服务室受理的申请类别 (CG-9): what a village service room handles or relays.
    ApplicationKind, "申请类别" {
    MarriageBirth = "marriage_birth", "婚育证明";
    HouseholdRegistration = "household_registration", "户籍迁移";
    MedicalInsurance = "medical_insurance", "医疗保险";
    MinimumLiving = "minimum_living", "低保";
    BuildingPermit = "building_permit", "建房审批";
    FarmSubsidy = "farm_subsidy", "农业补贴";
    PartyTransfer = "party_transfer", "党员组织关系转接";
    Other = "other", "其他事项" | "其他";
});

impl ItemSource {
    /// The time limit the item runs on: petitions (reception, letters, outreach) have the
    /// statutory clock of XF-10, hotline calls their own, everything else the ledger's.
    pub fn clock(self) -> &'static str {
        match self {
            ItemSource::Reception | ItemSource::Letter | ItemSource::Outreach => "petition",
            ItemSource::Hotline => "hotline",
            _ => "item",
        }
    }
}

labelled!(
    /// 五包
    Guarantee, "五包" {
    Solve = "solve", "包解决";
    Counsel = "counsel", "包疏导";
    Stabilise = "stabilise", "包稳控";
    Aid = "aid", "包救助";
    Law = "law", "包依法处理";
});

labelled!(
    /// 党代表收集的问题形成的议案或建议 (DDB-5)
    ProposalKind, "议案建议" {
    Motion = "motion", "议案";
    Suggestion = "suggestion", "建议";
});

labelled!(
    /// 三问决策的三个环节
    DecisionStage, "决策环节" {
    Before = "before", "事前问需" | "问需";
    During = "during", "事中问计" | "问计";
    After = "after", "事后问效" | "问效";
});
