//! A synthetic county that looks like a real one: Chinese names, valid ID
//! numbers, towns, streets, villages and groups, units, leaders in every role,
//! households with members and categories, and a year of links and activities
//! up to `today`. It produces FORMATS.md rows, so the same data can be written as
//! files and imported through the one import path.

mod cards;
mod community;
mod decisions;
mod diligence;
mod follow_up;
mod survey;

pub use cards::hand_out as hand_out_cards;
pub use community::representatives_and_service_rooms;
pub use community::run as community;
pub use decisions::run as decisions;
pub use follow_up::follow_up;
pub use survey::run as survey_and_assess;

use crate::domain::formats::{Kind, Sheet, parse_sheet};
use crate::domain::ids::IdNumber;
use crate::store::import::{ImportFile, Source};
use chrono::{Datelike, Duration, NaiveDate};
use fastrand::Rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Size {
    Small,
    County,
    Large,
}

struct Shape {
    towns: usize,
    streets: usize,
    villages_per_town: usize,
    groups_per_village: usize,
    households: usize,
    departments: usize,
    staff_per_department: usize,
    enterprises: usize,
    projects: usize,
    /// Party members living in each village (besides its cadres).
    members_per_village: usize,
    /// Posts kept of each county leadership body (县委, 人大, 政府, 政协), of each town's
    /// leadership and of each department's: a small county has fewer leaders, so that their
    /// contact points can still be their own (LXD-4).
    county_posts: [usize; 4],
    town_posts: usize,
    department_posts: usize,
}

impl Size {
    fn shape(self) -> Shape {
        match self {
            Size::Small => Shape {
                towns: 10,
                streets: 2,
                villages_per_town: 2,
                groups_per_village: 3,
                households: 720,
                departments: 8,
                staff_per_department: 4,
                enterprises: 12,
                projects: 12,
                members_per_village: 6,
                county_posts: [4, 2, 4, 2],
                town_posts: 2,
                department_posts: 3,
            },
            Size::County => Shape {
                towns: 15,
                streets: 3,
                villages_per_town: 17,
                groups_per_village: 8,
                households: 100_000,
                departments: 36,
                staff_per_department: 15,
                enterprises: 30,
                projects: 20,
                members_per_village: 19,
                county_posts: [6, 3, 5, 3],
                town_posts: 8,
                department_posts: 4,
            },
            Size::Large => Shape {
                towns: 60,
                streets: 10,
                villages_per_town: 40,
                groups_per_village: 8,
                households: 1_000_000,
                departments: 36,
                staff_per_department: 150,
                enterprises: 200,
                projects: 120,
                members_per_village: 28,
                county_posts: [6, 3, 5, 3],
                town_posts: 8,
                department_posts: 4,
            },
        }
    }
}

/// The generated rows, one table per kind, each row in FORMATS.md column order.
pub struct Demo {
    pub tables: Vec<(Kind, Vec<Vec<String>>)>,
}

impl Demo {
    pub fn rows(&self, kind: Kind) -> &[Vec<String>] {
        self.tables
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, r)| r.as_slice())
            .unwrap_or(&[])
    }

    /// The rows through the same parser as any imported file.
    pub fn import_files(&self) -> Vec<Source> {
        self.tables
            .iter()
            .map(|(kind, rows)| {
                let headers = kind.columns().iter().map(|c| c.zh.to_string()).collect();
                let sheet = Sheet {
                    headers,
                    rows: rows.clone(),
                };
                let name = format!("{}.csv", kind.key());
                let (records, errors) = parse_sheet(*kind, &name, &sheet);
                ImportFile {
                    kind: *kind,
                    name,
                    records,
                    errors,
                    unreadable: false,
                }
            })
            .map(Source::from)
            .collect()
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖",
    "田", "董", "袁", "潘", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈",
    "姚", "卢", "范", "詹", "廖", "邱", "温", "康",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "建", "国", "文", "志", "春", "海", "荣", "德",
    "金", "玉", "兰", "凤", "清", "福", "林", "水", "生", "永", "成", "红", "宏", "晓", "燕", "梅",
    "思", "雨", "欣", "浩", "宇", "鑫", "婷", "佳", "辉",
];
const PLACE_A: &[&str] = &[
    "青", "石", "桃", "龙", "凤", "梅", "松", "竹", "兰", "云", "溪", "岭", "湖", "泉", "华", "安",
    "福", "兴", "文", "武", "东", "西", "南", "北", "上", "下", "大", "小", "新", "高", "黄", "白",
    "金", "银", "玉", "丰", "太", "广",
];
const PLACE_B: &[&str] = &[
    "山", "溪", "口", "坪", "源", "洋", "岩", "坑", "头", "田", "林", "桥", "洲", "坊", "湾", "阳",
    "峰", "塘", "岗",
];
const DEPARTMENTS: &[(&str, &str)] = &[
    ("县委组织部", "党代表联络机构、组织部门"),
    ("县委宣传部", ""),
    ("县委统战部", ""),
    ("县委政法委", ""),
    ("县发展和改革局", ""),
    ("县教育局", "窗口服务"),
    ("县公安局", "执法管理、窗口服务、信访任务重"),
    ("县民政局", "窗口服务、民政部门"),
    ("县司法局", "执法管理"),
    ("县财政局", ""),
    ("县人力资源和社会保障局", "窗口服务"),
    ("县自然资源局", "执法管理、信访任务重"),
    ("县生态环境局", "执法管理"),
    ("县住房和城乡建设局", "执法管理、信访任务重"),
    ("县交通运输局", "执法管理"),
    ("县水利局", ""),
    ("县农业农村局", ""),
    ("县商务局", ""),
    ("县文化和旅游局", ""),
    ("县卫生健康局", "窗口服务"),
    ("县退役军人事务局", "窗口服务"),
    ("县应急管理局", "执法管理"),
    ("县审计局", ""),
    ("县市场监督管理局", "执法管理、窗口服务"),
    ("县统计局", ""),
    ("县医疗保障局", "窗口服务"),
    ("县信访局", "信访任务重"),
    ("县城市管理局", "执法管理"),
    ("县行政服务中心", "窗口服务"),
    ("县林业局", "执法管理"),
    ("县总工会", "工会"),
    ("团县委", ""),
    ("县妇联", ""),
    ("县税务局", "窗口服务"),
    ("县供电公司", "窗口服务"),
    ("县人民医院", "窗口服务"),
];
const INCOME: &[&str] = &[
    "务农",
    "外出务工",
    "种茶",
    "养殖",
    "个体经营",
    "低保金",
    "养老金",
    "种植烟叶",
];

struct Gen {
    rng: Rng,
    county: String,
    used: std::collections::HashSet<String>,
}

impl Gen {
    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.rng.usize(..list.len())]
    }
    fn name(&mut self) -> String {
        let s = self.pick(SURNAMES);
        if self.rng.u8(..10) < 3 {
            format!("{s}{}", self.pick(GIVEN))
        } else {
            format!("{s}{}{}", self.pick(GIVEN), self.pick(GIVEN))
        }
    }
    fn place(&mut self) -> String {
        format!("{}{}", self.pick(PLACE_A), self.pick(PLACE_B))
    }
    /// A valid ID number not given out before.
    fn id_number(&mut self, born_from: i32, born_to: i32) -> String {
        loop {
            let year = self.rng.i32(born_from..=born_to);
            let birth = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default()
                + Duration::days(self.rng.i64(0..365));
            let id = IdNumber::compose(&self.county, birth, self.rng.u32(0..1000))
                .map(|i| i.as_str().to_string())
                .unwrap_or_default();
            if !id.is_empty() && self.used.insert(id.clone()) {
                return id;
            }
        }
    }
    fn phone(&mut self) -> String {
        let prefixes = [
            "135", "136", "137", "138", "139", "150", "151", "158", "159", "177", "180", "186",
            "188", "189",
        ];
        format!(
            "{}{:08}",
            self.pick(&prefixes),
            self.rng.u32(0..100_000_000)
        )
    }
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| s.to_string()).collect()
}

struct Village {
    code: String,
    groups: Vec<String>,
    town: usize,
    community: bool,
    cadres: Vec<String>,
    households: Vec<String>,
}

/// Generates the demo county as of `today`: links for today's year, activities from
/// 1 January up to `today`.
pub fn generate(size: Size, today: NaiveDate) -> Demo {
    let shape = size.shape();
    let mut g = Gen {
        rng: Rng::with_seed(20_251_122),
        county: "350999".into(),
        used: Default::default(),
    };
    let year = today.year();
    let year_start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(today);
    let ys = year.to_string();
    let mut regions = vec![row(&[&g.county.clone(), "青山县", "县", "", ""])];
    let mut units = Vec::new();
    let mut people: Vec<Vec<String>> = Vec::new();
    let mut households = Vec::new();
    let mut members = Vec::new();
    let mut links = Vec::new();
    let mut activities = Vec::new();
    let county = g.county.clone();

    // Regions.
    let mut towns: Vec<(String, bool)> = Vec::new();
    let mut villages: Vec<Village> = Vec::new();
    let mut used_names = std::collections::HashSet::new();
    for t in 0..shape.towns + shape.streets {
        let street = t >= shape.towns;
        let code = format!("{county}{:03}", 100 + t);
        let mut name = g.place();
        while !used_names.insert(name.clone()) {
            name = g.place();
        }
        let name = if street {
            format!("{name}街道")
        } else {
            format!("{name}镇")
        };
        // The town's 民情处理站 answers this phone (printed on every household's card).
        regions.push(row(&[
            &code,
            &name,
            if street { "街道" } else { "镇" },
            &county,
            "",
            &format!("0598-72{:05}", 100 + t),
        ]));
        for v in 0..shape.villages_per_town {
            let vcode = format!("{code}{:03}", 200 + v);
            let community = street;
            let vname = format!("{}{}", g.place(), if community { "社区" } else { "村" });
            // Enough tagged villages that the county leaders' contact points can differ.
            let tag = match (villages.len() % 4, community) {
                (0, false) => "老区村",
                (1, false) => "农村面貌改造提升村",
                _ => "",
            };
            regions.push(row(&[
                &vcode,
                &vname,
                if community { "社区" } else { "村" },
                &code,
                tag,
                &format!("0598-8{:06}", 100_000 + villages.len()),
            ]));
            let mut groups = Vec::new();
            for k in 0..shape.groups_per_village {
                let gcode = format!("{vcode}{:03}", k + 1);
                regions.push(row(&[
                    &gcode,
                    &format!("第{}{}", k + 1, if community { "网格" } else { "组" }),
                    "组",
                    &vcode,
                    "",
                ]));
                groups.push(gcode);
            }
            villages.push(Village {
                code: vcode,
                groups,
                town: towns.len(),
                community,
                cadres: vec![],
                households: vec![],
            });
        }
        towns.push((code, street));
    }

    // Units.
    for (code, name) in [
        ("XW", "中共青山县委员会"),
        ("RD", "青山县人大常委会"),
        ("ZF", "青山县人民政府"),
        ("ZX", "政协青山县委员会"),
    ] {
        // 12388: the discipline inspection's reporting line, the county's supervision phone.
        units.push(row(&[
            code,
            name,
            "县四大班子",
            &county,
            "",
            "",
            "0598-12388",
        ]));
    }
    let departments: Vec<(String, &str)> = DEPARTMENTS
        .iter()
        .take(shape.departments)
        .enumerate()
        .map(|(i, (name, tags))| {
            let code = format!("D{:03}", i + 1);
            let phone = format!("0598-73{:05}", 10_000 + i * 37);
            // Law-enforcement and window units print a 连心卡 (LXK-1): their desk phone,
            // what they serve and who answers for it.
            let card = tags.contains("执法管理") || tags.contains("窗口服务");
            let desk = format!("0598-74{:05}", 10_000 + i * 41);
            let head = g.name();
            units.push(row(&[
                &code,
                name,
                "县直单位",
                &county,
                "",
                tags,
                &phone,
                if card { &desk } else { "" },
                if card { "全县企业和群众" } else { "" },
                if card {
                    "依法受理办事、咨询和投诉，公开办事流程和时限，限时办结"
                } else {
                    ""
                },
                // 县民政局 has not yet named who answers for its card (LXK-1).
                &if card && *name != "县民政局" {
                    format!("{head}（分管负责人）")
                } else {
                    String::new()
                },
            ]));
            units.push(row(&[
                &format!("{code}-B"),
                &format!("{name}机关党支部"),
                "党支部",
                &county,
                &code,
                "",
                "",
            ]));
            (code, *name)
        })
        .collect();
    for (i, (code, street)) in towns.iter().enumerate() {
        let region_name = regions
            .iter()
            .find(|r| &r[0] == code)
            .map(|r| r[1].clone())
            .unwrap_or_default();
        let kind = if *street {
            "街道党工委办事处"
        } else {
            "镇党委政府"
        };
        units.push(row(&[
            &format!("T{code}"),
            &format!(
                "{region_name}{}",
                if *street {
                    "党工委办事处"
                } else {
                    "党委政府"
                }
            ),
            kind,
            code,
            "",
            "",
            &format!("0598-76{:05}", 100 + i),
        ]));
        // The town's (street's) party-building office (DDB-2) sits inside its government.
        {
            units.push(row(&[
                &format!("O{code}"),
                &format!("{region_name}党建办"),
                "其他",
                code,
                &format!("T{code}"),
                "党建办",
                "",
            ]));
        }
        units.push(row(&[
            &format!("R{code}"),
            &format!("{region_name}党代表工作小组"),
            "党代表工作小组",
            code,
            "",
            "",
            "",
        ]));
        if i % 2 == 0 {
            units.push(row(&[
                &format!("Y{code}"),
                &format!("{region_name}志愿者服务队"),
                "志愿者服务队",
                code,
                "",
                "",
                "",
            ]));
        }
    }
    for v in &villages {
        let vname = regions
            .iter()
            .find(|r| r[0] == v.code)
            .map(|r| r[1].clone())
            .unwrap_or_default();
        let kind = if v.community {
            "社区两委"
        } else {
            "村两委"
        };
        units.push(row(&[
            &format!("V{}", v.code),
            &format!("{vname}两委"),
            kind,
            &v.code,
            "",
            "",
            "",
        ]));
        units.push(row(&[
            &format!("B{}", v.code),
            &format!("{vname}党支部"),
            "党支部",
            &v.code,
            &format!("V{}", v.code),
            "",
            "",
        ]));
    }
    let mut enterprises = Vec::new();
    for i in 0..shape.enterprises {
        let code = format!("E{:04}", i + 1);
        let town = &towns[i % towns.len()].0;
        let name = format!(
            "青山县{}{}有限公司",
            g.place(),
            ["茶业", "竹木", "食品", "建材", "矿业", "农业开发"][i % 6]
        );
        units.push(row(&[&code, &name, "民营企业", town, "", "", ""]));
        enterprises.push(code);
    }
    let mut projects = Vec::new();
    for i in 0..shape.projects {
        let code = format!("P{:04}", i + 1);
        let town = &towns[i % towns.len()].0;
        let name = format!(
            "{}{}项目",
            g.place(),
            [
                "高速互通",
                "工业园区",
                "水库除险加固",
                "安置小区",
                "旅游公路"
            ][i % 5]
        );
        units.push(row(&[&code, &name, "重点项目", town, "", "", ""]));
        projects.push(code);
    }

    // People. Columns: 身份证号 姓名 手机号 单位代码 职务 角色 所属区划 责任片区 任期开始 基层工作经历 所属党支部
    let term = format!("{}-01-15", year - 1 - (year % 3) % 3);
    let mut county_leaders = Vec::new();
    let mut county_pg_leaders = Vec::new();
    for (unit, posts) in [
        (
            "XW",
            &[
                "县委书记",
                "县委副书记",
                "县委常委、组织部部长",
                "县委常委、宣传部部长",
                "县委常委、政法委书记",
                "县委常委、办公室主任",
            ][..],
        ),
        (
            "RD",
            &[
                "县人大常委会主任",
                "县人大常委会副主任",
                "县人大常委会副主任",
            ][..],
        ),
        (
            "ZF",
            &["县长", "常务副县长", "副县长", "副县长", "副县长"][..],
        ),
        ("ZX", &["县政协主席", "县政协副主席", "县政协副主席"][..]),
    ]
    .into_iter()
    .zip(shape.county_posts)
    .map(|((unit, posts), keep)| (unit, &posts[..keep.min(posts.len())]))
    {
        for post in posts {
            let id = g.id_number(1966, 1980);
            let pg = matches!(unit, "XW" | "ZF");
            let roles = if pg {
                "县四大班子成员、县级党政领导、科级以上干部、党员"
            } else {
                "县四大班子成员、科级以上干部、党员"
            };
            let phone = g.phone();
            let name = g.name();
            people.push(row(&[
                &id, &name, &phone, unit, post, roles, &county, "", &term, "是", "",
            ]));
            county_leaders.push(id.clone());
            if pg {
                county_pg_leaders.push(id);
            }
        }
    }
    let mut dept_leaders: Vec<(String, usize)> = Vec::new();
    let mut in_service: Vec<String> = Vec::new();
    let mut reserve: Vec<String> = Vec::new();
    let mut section_cadres: Vec<String> = county_leaders.clone();
    for (di, (code, _)) in departments.iter().enumerate() {
        for (k, post) in ["局长", "党组书记", "副局长", "副局长"]
            .iter()
            .take(shape.department_posts)
            .enumerate()
        {
            let id = g.id_number(1968, 1985);
            let roles = if k == 1 {
                "县直单位领导班子成员、科级以上干部、党支部书记、机关在职党员、党员"
            } else {
                "县直单位领导班子成员、科级以上干部、机关在职党员、党员"
            };
            let (phone, name) = (g.phone(), g.name());
            people.push(row(&[
                &id,
                &name,
                &phone,
                code,
                post,
                roles,
                &county,
                "",
                &term,
                "是",
                &format!("{code}-B"),
            ]));
            dept_leaders.push((id.clone(), di));
            section_cadres.push(id.clone());
            in_service.push(id);
        }
        for k in 0..shape.staff_per_department {
            let id = g.id_number(1975, 2000);
            let is_reserve = k < 2;
            let roles = if is_reserve {
                "科级后备干部、机关在职党员、党员、志愿者"
            } else {
                "机关在职党员、党员、志愿者"
            };
            let exp = if is_reserve && k == 0 { "否" } else { "是" };
            let (phone, name) = (g.phone(), g.name());
            people.push(row(&[
                &id,
                &name,
                &phone,
                code,
                "干部",
                roles,
                &county,
                "",
                "",
                exp,
                &format!("{code}-B"),
            ]));
            in_service.push(id.clone());
            if is_reserve {
                reserve.push(id);
            }
        }
    }
    let mut town_leaders: Vec<(String, usize)> = Vec::new();
    let mut liaison: Vec<Vec<String>> = vec![Vec::new(); towns.len()];
    for (ti, (code, street)) in towns.iter().enumerate() {
        let lead_role = if *street {
            "街道领导班子成员"
        } else {
            "镇领导班子成员"
        };
        let posts: &[&str] = if *street {
            &[
                "党工委书记",
                "办事处主任",
                "党工委副书记",
                "副主任",
                "副主任",
                "党工委委员",
            ]
        } else {
            &[
                "党委书记",
                "镇长",
                "党委副书记",
                "副镇长",
                "副镇长",
                "党委委员",
                "人大主席",
            ]
        };
        for post in posts.iter().take(shape.town_posts) {
            let id = g.id_number(1970, 1988);
            let (phone, name) = (g.phone(), g.name());
            let roles = format!("{lead_role}、科级以上干部、包村干部、党员");
            people.push(row(&[
                &id,
                &name,
                &phone,
                &format!("T{code}"),
                post,
                &roles,
                code,
                "",
                &term,
                "是",
                "",
            ]));
            town_leaders.push((id.clone(), ti));
            section_cadres.push(id.clone());
            liaison[ti].push(id);
        }
        for k in 0..shape.villages_per_town / 2 {
            let id = g.id_number(1980, 1998);
            let (phone, name) = (g.phone(), g.name());
            // A town's (street's) first cadre works in its party-building office.
            let (unit, post) = if k == 0 {
                (format!("O{code}"), "党建办干部")
            } else {
                (format!("T{code}"), "干部")
            };
            people.push(row(&[
                &id,
                &name,
                &phone,
                &unit,
                post,
                "包村干部、党员、志愿者",
                code,
                "",
                "",
                "是",
                "",
            ]));
            liaison[ti].push(id);
        }
    }
    let mut village_members: Vec<Vec<String>> = Vec::new();
    let mut convened = std::collections::HashSet::new();
    for v in villages.iter_mut() {
        let unit = format!("V{}", v.code);
        let branch = format!("B{}", v.code);
        let posts = [
            ("党支部书记", "村党组织书记、党支部书记、村干部、党员"),
            ("村委会主任", "村委会主任、村干部、党员"),
            ("村委委员", "村干部、党员"),
            ("村委委员", "村干部"),
            ("村委委员", "村干部、党员"),
        ];
        for (k, (post, roles)) in posts.iter().enumerate() {
            let id = g.id_number(1965, 1995);
            let (phone, name) = (g.phone(), g.name());
            let areas: Vec<&str> = v
                .groups
                .iter()
                .enumerate()
                .filter(|(gi, _)| gi % posts.len() == k)
                .map(|(_, c)| c.as_str())
                .collect();
            people.push(row(&[
                &id,
                &name,
                &phone,
                &unit,
                post,
                roles,
                &v.code,
                &areas.join("、"),
                &term,
                "是",
                &branch,
            ]));
            v.cadres.push(id);
        }
        let mut pms = Vec::new();
        // The town's representatives' working group: its villages' representatives are its
        // members, and the first village's county representative convenes it (DDB-1) — except
        // in the last town, whose group has not yet chosen one.
        let group = format!("R{}", towns[v.town].0);
        let convenes = convened.insert(v.town) && v.town + 1 < towns.len();
        for k in 0..shape.members_per_village {
            let id = g.id_number(1945, 2000);
            let (phone, name) = (g.phone(), g.name());
            let roles = match k {
                0 if convenes => "党员、县党代表、党代表工作小组召集人",
                0 => "党员、县党代表",
                1 | 2 => "党员、镇党代表",
                _ if k % 3 == 0 => "党员、志愿者",
                _ => "党员",
            };
            people.push(row(&[
                &id, &name, &phone, &unit, "", roles, &v.code, "", "", "", &branch,
            ]));
            if k < 3 {
                links.push(row(&[&ys, &id, "", "工作小组成员", &group, "", ""]));
            }
            pms.push(id);
        }
        village_members.push(pms);
    }

    // Households and members. Columns: 户编号 户主姓名 户主身份证号 所属区划 地址 联系电话 人口 类别 收入来源 生产生活状况
    let tag_odds: &[(&str, u32)] = &[
        ("建档立卡贫困户", 40),
        ("低保户", 40),
        ("五保户", 8),
        ("特困", 6),
        ("零就业家庭", 5),
        ("因病致贫", 15),
        ("因灾致贫", 4),
        ("孤寡老人", 20),
        ("留守儿童", 25),
        ("残疾人", 30),
        ("优抚对象", 10),
        ("老党员", 15),
        ("致富带头人", 8),
        ("信访重点户", 3),
        ("外出务工", 200),
    ];
    let relations = ["配偶", "子女", "子女", "父母", "孙子女", "儿媳"];
    // Built once: a scan per household is quadratic on the large demo.
    let group_names: std::collections::HashMap<String, String> = regions
        .iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    for i in 0..shape.households {
        let vi = i % villages.len();
        let group = {
            let v = &villages[vi];
            v.groups[(i / villages.len()) % v.groups.len()].clone()
        };
        let code = format!("H{}{:05}", &villages[vi].code[6..], i / villages.len() + 1);
        let head = g.name();
        let head_id = g.id_number(1940, 1995);
        let size = 1 + g.rng.usize(..5) + usize::from(g.rng.bool());
        let mut tags = Vec::new();
        for (t, per_mille) in tag_odds {
            if g.rng.u32(..1000) < *per_mille {
                tags.push(*t);
            }
        }
        // About one household form in twelve still lacks its income sources (LH-4).
        let income = if i % 12 == 7 {
            String::new()
        } else {
            format!("{}、{}", g.pick(INCOME), g.pick(INCOME))
        };
        let situation = if tags.iter().any(|t| *t == "低保户" || *t == "因病致贫") {
            "家庭收入较低，有慢性病人需长期服药"
        } else {
            "生产生活正常"
        };
        let phone = g.phone();
        let addr = format!(
            "{}{}号",
            group_names
                .get(group.as_str())
                .map(String::as_str)
                .unwrap_or(""),
            i / villages.len() + 1
        );
        households.push(row(&[
            &code,
            &head,
            &head_id,
            &group,
            &addr,
            &phone,
            &size.to_string(),
            &tags.join("、"),
            &income,
            situation,
        ]));
        members.push(row(&[
            &code, &head, &head_id, "户主", &phone, "务农", "健康",
        ]));
        for _ in 1..size {
            let rel = g.pick(&relations);
            let (from, to) = match rel {
                "父母" => (1930, 1955),
                "子女" | "儿媳" => (1975, 2012),
                "孙子女" => (2005, 2022),
                _ => (1945, 1995),
            };
            let id = g.id_number(from, to);
            let name = g.name();
            let health = if g.rng.u8(..10) == 0 {
                "慢性病"
            } else {
                "健康"
            };
            let work = match rel {
                "孙子女" => "在校",
                "父母" => "无",
                _ => g.pick(&["务农", "外出务工", "个体经营", "务农"]),
            };
            members.push(row(&[&code, &name, &id, rel, "", work, health]));
        }
        villages[vi].households.push(code);
    }

    // Links. Columns: 年度 干部身份证号 单位代码 关系类型 对象代码 开始日期 结束日期
    let hh_tags: std::collections::HashMap<&str, &str> = households
        .iter()
        .map(|h| (h[0].as_str(), h[7].as_str()))
        .collect();
    let find_hh = |v: &Village, tag: &str, skip: usize| -> Option<String> {
        v.households
            .iter()
            .filter(|h| hh_tags.get(h.as_str()).is_some_and(|t| t.contains(tag)))
            .nth(skip)
            .cloned()
    };
    let tagged_villages = |tag: &str| -> Vec<String> {
        regions
            .iter()
            .filter(|r| r[4] == tag)
            .map(|r| r[0].clone())
            .collect()
    };
    let renovation = tagged_villages("农村面貌改造提升村");
    let old_area = tagged_villages("老区村");
    let mut visits: Vec<(String, String)> = Vec::new();
    // Each leader's own contact points: a county's leaders share one only where the county has
    // fewer towns, tagged villages or firms than leaders (the LXD-4 warning then says so).
    let poor: Vec<String> = villages
        .iter()
        .flat_map(|v| {
            v.households
                .iter()
                .filter(|h| {
                    hh_tags
                        .get(h.as_str())
                        .is_some_and(|t| t.contains("建档立卡贫困户"))
                })
                .cloned()
        })
        .collect();
    for (i, id) in county_leaders.iter().enumerate() {
        let town = &towns[i % towns.len()].0;
        links.push(row(&[&ys, id, "", "联系点-镇街", town, "", ""]));
        // One leader in eight has not yet named every contact point (LXD-1).
        let incomplete = i % 8 == 5;
        if let Some(r) = renovation
            .get(i % renovation.len().max(1))
            .filter(|_| !incomplete)
        {
            links.push(row(&[&ys, id, "", "联系点-改造提升村", r, "", ""]));
        }
        if let Some(r) = old_area.get(i % old_area.len().max(1)) {
            links.push(row(&[&ys, id, "", "联系点-老区村", r, "", ""]));
        }
        if let Some(h) = poor.get((i * 7) % poor.len().max(1)) {
            links.push(row(&[&ys, id, "", "联系点-贫困户", h, "", ""]));
        }
        links.push(row(&[
            &ys,
            id,
            "",
            "联系点-民营企业",
            &enterprises[i % enterprises.len()],
            "",
            "",
        ]));
        links.push(row(&[
            &ys,
            id,
            "",
            "联系点-重点项目",
            &projects[i % projects.len()],
            "",
            "",
        ]));
    }
    for (k, (id, ti)) in town_leaders.iter().enumerate() {
        let town_villages: Vec<&Village> = villages.iter().filter(|v| v.town == *ti).collect();
        // The k-th leader of this town: a village of the town no colleague has.
        let nth = town_leaders[..k].iter().filter(|(_, t)| t == ti).count();
        let v = town_villages[nth % town_villages.len()];
        links.push(row(&[&ys, id, "", "联系点-村社区", &v.code, "", ""]));
        links.push(row(&[&ys, id, "", "包村", &v.code, "", ""]));
        let round = nth / town_villages.len();
        for (kind, tag) in [
            ("联系点-老党员", "老党员"),
            ("联系点-致富带头人", "致富带头人"),
            ("联系点-贫困户", "建档立卡贫困户"),
        ] {
            // A household of that kind in the village, or (none there) any not yet taken.
            let spare = v.households.len().max(1);
            let h = find_hh(v, tag, round)
                .or_else(|| v.households.get((20 + 3 * round) % spare).cloned());
            if let Some(h) = h.filter(|_| !(k % 9 == 4 && tag == "致富带头人")) {
                links.push(row(&[&ys, id, "", kind, &h, "", ""]));
            }
        }
        for h in v.households.iter().skip(10 + 6 * round).take(5) {
            links.push(row(&[&ys, id, "", "联系点-普通群众", h, "", ""]));
        }
    }
    for (k, (id, _)) in dept_leaders.iter().enumerate() {
        let v = &villages[(k * 5 + 1) % villages.len()];
        links.push(row(&[
            &ys,
            id,
            "",
            "联系点-基层单位",
            &format!("V{}", v.code),
            "",
            "",
        ]));
        // One department leader in nine has named only two service objects (LXD-3).
        let objects = if k % 9 == 2 { 2 } else { 3 };
        for h in v.households.iter().skip(k % 7).take(objects) {
            links.push(row(&[&ys, id, "", "联系点-服务对象", h, "", ""]));
        }
    }
    for (k, id) in section_cadres.iter().enumerate() {
        let v = &villages[(k * 11) % villages.len()];
        let spare = v.households.len().max(1);
        if let Some(h) = find_hh(v, "低保户", k % 3)
            .or_else(|| v.households.get((25 + k) % spare).cloned())
            .filter(|_| k % 9 != 7)
        {
            links.push(row(&[&ys, id, "", "一助一", &h, "", ""]));
            visits.push((id.clone(), h));
        }
    }
    // Departments report to a community as units (双报到, BF-7); one in nine has not.
    let communities: Vec<&Village> = villages.iter().filter(|v| v.community).collect();
    for (di, (code, _)) in departments.iter().enumerate() {
        if let Some(c) = communities
            .get((di * 3) % communities.len().max(1))
            .filter(|_| di % 9 != 4)
        {
            links.push(row(&[&ys, "", code, "社区报到", &c.code, "", ""]));
        }
    }
    for (di, (code, _)) in departments.iter().enumerate() {
        let v = &villages[(di * 5 + 2) % villages.len()];
        // One department in eight has no veteran-benefit household yet (BF-3).
        if let Some(h) = find_hh(v, "优抚对象", 0)
            .or_else(|| v.households.first().cloned())
            .filter(|_| di % 8 != 5)
        {
            // The pairing names a leader of the department as its contact person, except in
            // one department in eleven, which has yet to name one (BF-3).
            let contact = dept_leaders
                .iter()
                .filter(|(_, d)| *d == di)
                .nth(2)
                .or_else(|| dept_leaders.iter().find(|(_, d)| *d == di))
                .filter(|_| di % 11 != 7)
                .map(|(id, _)| id.as_str())
                .unwrap_or("");
            links.push(row(&[&ys, contact, code, "优抚帮扶", &h, "", ""]));
        }
    }
    for (ti, ids) in liaison.iter().enumerate() {
        let town_villages: Vec<&Village> = villages.iter().filter(|v| v.town == ti).collect();
        for (k, id) in ids
            .iter()
            .enumerate()
            .skip(towns_leader_count(&town_leaders, ti))
        {
            let v = town_villages[k % town_villages.len()];
            links.push(row(&[&ys, id, "", "包村", &v.code, "", ""]));
        }
    }
    for (k, id) in reserve.iter().enumerate() {
        if k % 2 == 0 {
            let v = &villages[(k * 13) % villages.len()];
            let start = year_start + Duration::days(60 + (k as i64 % 30));
            // Most postings run their 90 days and more; one in four is cut short (DJC-1).
            let end = start + Duration::days(if k % 8 == 6 { 75 } else { 120 });
            links.push(row(&[
                &ys,
                id,
                "",
                "下基层锻炼",
                &v.code,
                &start.to_string(),
                &end.to_string(),
            ]));
        }
    }
    for (k, id) in in_service.iter().enumerate() {
        // One in-service party member in eleven has not reported to a community (ZY-4).
        if let Some(c) = communities
            .get(k % communities.len().max(1))
            .filter(|_| k % 11 != 6)
        {
            links.push(row(&[&ys, id, "", "社区报到", &c.code, "", ""]));
            // Most pair with a hardship household of the community they report to (BF-8);
            // one in seven has not yet.
            if k % 7 != 4
                && let Some(h) =
                    find_hh(c, "低保户", k % 2).or_else(|| find_hh(c, "建档立卡贫困户", 0))
            {
                links.push(row(&[&ys, id, "", "一助一", &h, "", ""]));
                visits.push((id.clone(), h));
            }
            if k % 3 != 2 {
                links.push(row(&[
                    &ys,
                    id,
                    "",
                    "服务岗位",
                    &format!("{}-岗位{}", c.code, k % 4 + 1),
                    "",
                    "",
                ]));
            }
        }
    }
    // Every village cadre pairs with a hardship household of the village (CG-8); one in
    // eight has not yet.
    for (vi, v) in villages.iter().enumerate() {
        for (ci, id) in v.cadres.iter().enumerate() {
            if (vi + ci) % 8 == 5 {
                continue;
            }
            if let Some(h) = find_hh(v, "低保户", ci)
                .or_else(|| find_hh(v, "五保户", 0))
                .or_else(|| v.households.get(ci * 3).cloned())
            {
                links.push(row(&[&ys, id, "", "一助一", &h, "", ""]));
                visits.push((id.clone(), h));
            }
        }
    }
    // Every household linked to a cadre of its village or a party member living there
    // (about 4% left unlinked, so coverage pages and LH-1 have something to show).
    for (vi, v) in villages.iter().enumerate() {
        let linkers: Vec<&String> = v.cadres.iter().chain(village_members[vi].iter()).collect();
        let leaves_some = vi % 3 == 1;
        for (hi, h) in v.households.iter().enumerate() {
            if leaves_some && g.rng.u8(..100) < 12 {
                continue;
            }
            let who = linkers[hi % linkers.len()];
            links.push(row(&[&ys, who, "", "联户", h, "", ""]));
            visits.push((who.clone(), h.clone()));
        }
    }

    // Activities. Columns: 开始日期 结束日期 参加人身份证号 类型 对象代码 随行人数 时长(小时) 内容 反映事项
    // Every record comes from what the policy asks (diligence.rs): visits to linked households
    // and contact points, receptions, duty, stays, talks, meetings, volunteer service.
    // The work each rule asks of the people it binds, most in full, a few falling short.
    {
        let mut households_at: std::collections::HashMap<String, Vec<String>> =
            std::collections::HashMap::new();
        for h in &households {
            households_at
                .entry(h[3].clone())
                .or_default()
                .push(h[0].clone());
        }
        for v in &villages {
            households_at.insert(v.code.clone(), v.households.clone());
        }
        let village_codes: Vec<String> = villages.iter().map(|v| v.code.clone()).collect();
        if let Ok(policy) = crate::domain::policy::Policy::parse(crate::domain::policy::DEFAULT) {
            let more = diligence::links_for_the_rules(
                &policy,
                &diligence::World {
                    people: &people,
                    links: &links,
                    households_at: &households_at,
                    villages: &village_codes,
                    units: &units,
                    regions: &regions,
                    today,
                },
            );
            links.extend(more);
            activities.extend(diligence::work_for_the_rules(
                &policy,
                &diligence::World {
                    people: &people,
                    links: &links,
                    households_at: &households_at,
                    villages: &village_codes,
                    units: &units,
                    regions: &regions,
                    today,
                },
            ));
        }
    }

    // The same cadre at the same household on the same day is one record, not two.
    let mut seen = std::collections::HashSet::new();
    activities.retain(|r| seen.insert(r.join("\u{1f}")));

    // Rows written before the card columns were added get them empty.
    for r in &mut regions {
        r.resize(Kind::Regions.columns().len(), String::new());
    }
    for r in &mut units {
        r.resize(Kind::Units.columns().len(), String::new());
    }
    Demo {
        tables: vec![
            (Kind::Regions, regions),
            (Kind::Units, units),
            (Kind::People, people),
            (Kind::Households, households),
            (Kind::Members, members),
            (Kind::Links, links),
            (Kind::Activities, activities),
        ],
    }
}

fn towns_leader_count(leaders: &[(String, usize)], town: usize) -> usize {
    leaders.iter().filter(|(_, t)| *t == town).count()
}

/// The password of every demo account. Demo only: a real county's accounts get initial
/// passwords that must be changed at first login.
pub const DEMO_PASSWORD: &str = "lianxin2026";

/// One ready account per access role, tied to fitting people of the demo county.
/// Returns (user name, what it is) for printing.
pub async fn create_accounts(
    db: &sea_orm::DatabaseConnection,
) -> anyhow::Result<Vec<(String, String)>> {
    use crate::domain::access::{AccessRole as R, Grant, Scope};
    use crate::store::access::{NewAccount, create_account, find_account};
    use crate::store::entities::{link, person, region};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

    let with_role = |role: &'static str| {
        person::Entity::find()
            .filter(person::Column::Roles.contains(format!(",{role},")))
            .order_by_asc(person::Column::Id)
    };
    let town = region::Entity::find()
        .filter(region::Column::Level.eq("town"))
        .order_by_asc(region::Column::Code)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("演示县没有镇"))?;
    let leader = with_role("town_leadership_member").one(db).await?;
    let secretary = with_role("village_secretary").one(db).await?;
    let representative = with_role("county_representative").one(db).await?;
    // A party member who links households and has no other demo account (not the
    // village secretary of `cungan`, not the representative of `daibiao`).
    let linker = person::Entity::find()
        .filter(person::Column::Roles.contains(",party_member,"))
        .filter(person::Column::Roles.not_like("%,village_cadre,%"))
        .filter(person::Column::Roles.not_like("%,county_representative,%"))
        .filter(
            person::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(link::Column::PersonId)
                    .from(link::Entity)
                    .and_where(link::Column::Kind.eq("household_link"))
                    .to_owned(),
            ),
        )
        .order_by_asc(person::Column::Id)
        .one(db)
        .await?;
    let parent_of = |p: &Option<person::Model>| p.as_ref().and_then(|p| p.region_code.clone());
    let rep_town = match parent_of(&representative) {
        Some(v) => region::Entity::find()
            .filter(region::Column::Code.eq(v))
            .one(db)
            .await?
            .and_then(|r| r.parent_code),
        None => None,
    };

    let g = |role, scope| Grant { role, scope };
    let specs: Vec<(&str, String, Option<&person::Model>, Vec<Grant>)> = vec![
        (
            "admin",
            "系统管理员".into(),
            None,
            vec![g(R::Admin, Scope::County)],
        ),
        (
            "zuzhibu",
            "组织部".into(),
            None,
            vec![g(R::OrgDept, Scope::County)],
        ),
        (
            "dangzhengban",
            format!("{}党政办", town.name),
            None,
            vec![g(R::Office, Scope::Region(town.code.clone()))],
        ),
        (
            "lingdao",
            leader.as_ref().map(|p| p.name.clone()).unwrap_or_default(),
            leader.as_ref(),
            vec![
                g(
                    R::Leader,
                    Scope::Region(parent_of(&leader).unwrap_or(town.code.clone())),
                ),
                g(R::Cadre, Scope::Own),
            ],
        ),
        (
            "ganbu",
            linker.as_ref().map(|p| p.name.clone()).unwrap_or_default(),
            linker.as_ref(),
            vec![g(R::Cadre, Scope::Own)],
        ),
        (
            "cungan",
            secretary
                .as_ref()
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            secretary.as_ref(),
            vec![g(
                R::VillageCadre,
                Scope::Region(parent_of(&secretary).unwrap_or(town.code.clone())),
            )],
        ),
        (
            "daibiao",
            representative
                .as_ref()
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            representative.as_ref(),
            vec![g(
                R::Representative,
                Scope::Region(rep_town.unwrap_or(town.code.clone())),
            )],
        ),
        (
            "ducha",
            "督查组".into(),
            None,
            vec![g(R::Inspector, Scope::County)],
        ),
    ];
    let mut out = Vec::new();
    for (username, name, person, grants) in specs {
        let what = grants
            .iter()
            .map(|g| format!("{}（{}）", g.role.zh(), g.scope.zh()))
            .collect::<Vec<_>>()
            .join("、");
        if find_account(db, username).await?.is_none() {
            create_account(
                db,
                NewAccount {
                    username: username.into(),
                    display_name: if name.is_empty() {
                        username.into()
                    } else {
                        name.clone()
                    },
                    person_id: person.map(|p| p.id),
                    password: DEMO_PASSWORD.into(),
                    must_change_password: false,
                    grants,
                },
                "演示数据",
                chrono::Utc::now(),
            )
            .await?;
        }
        out.push((username.to_string(), format!("{name} · {what}")));
    }
    Ok(out)
}
