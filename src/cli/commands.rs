//! What each command does: import and export, accounts, books, the compliance report, the
//! calendar, the demo county and serving.

use super::*;

pub(super) fn report(result: Result<Outcome, ImportFailure>, started: Instant) -> ExitCode {
    match result {
        Ok(o) => {
            for k in Kind::ALL {
                if let Some(t) = o
                    .tallies
                    .get(k.key())
                    .filter(|t| t.created + t.updated + t.unchanged > 0)
                {
                    println!(
                        "{}：新增{}，更新{}，不变{}",
                        k.zh(),
                        t.created,
                        t.updated,
                        t.unchanged
                    );
                }
            }
            let verb = if o.dry_run {
                "检查通过（未写入）"
            } else {
                "导入完成"
            };
            println!("{verb}，用时 {:.1} 秒", started.elapsed().as_secs_f64());
            ExitCode::SUCCESS
        }
        Err(ImportFailure::Invalid(errors)) => {
            eprintln!("导入失败：发现{}处错误，没有写入任何数据。", errors.len());
            for e in &errors {
                eprintln!("  {e}");
            }
            ExitCode::from(2)
        }
        Err(ImportFailure::Db(e)) => {
            eprintln!("导入失败（数据库错误，没有写入任何数据）：{e}");
            ExitCode::FAILURE
        }
    }
}

pub(super) async fn serve(config: Config) -> anyhow::Result<ExitCode> {
    let app = Application::build(config.clone()).await?;
    println!(
        "连心已启动：http://{}  （数据库 {}）",
        config.listen,
        config.database_url_for_logs()
    );
    tracing::info!(listen = %config.listen, "serving");
    app.run().await?;
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn user(config: &Config, action: UserAction) -> anyhow::Result<ExitCode> {
    use crate::domain::access::{AccessRole, Grant, scope_for};
    use crate::store::access::{self, AccountError, Caller, NewAccount};
    let db = crate::store::connect(&config.database_url).await?;
    crate::store::migrate(&db).await?;
    let operator = Caller::operator(chrono::Utc::now());
    let fail = |e: AccountError| -> anyhow::Result<ExitCode> {
        match e {
            AccountError::Invalid(m) => {
                eprintln!("错误：{m}");
                Ok(ExitCode::from(2))
            }
            other => Err(other.into()),
        }
    };
    match action {
        UserAction::Add {
            username,
            role,
            scope,
            unit,
            name,
            person,
        } => {
            let role = AccessRole::parse(&role).map_err(anyhow::Error::msg)?;
            let scope = scope_for(role, scope.as_deref(), unit).map_err(anyhow::Error::msg)?;
            let person = match person {
                Some(id) => {
                    use crate::store::entities::person;
                    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
                    let id =
                        crate::domain::ids::IdNumber::parse(&id).map_err(anyhow::Error::msg)?;
                    let p = person::Entity::find()
                        .filter(person::Column::IdNumber.eq(id.as_str()))
                        .one(&db)
                        .await?;
                    Some(p.ok_or_else(|| anyhow::anyhow!("名册中没有这个身份证号的人员"))?)
                }
                None => None,
            };
            let password = access::initial_password();
            let new = NewAccount {
                display_name: name
                    .or_else(|| person.as_ref().map(|p| p.name.clone()))
                    .unwrap_or_else(|| username.clone()),
                username: username.clone(),
                person_id: person.map(|p| p.id),
                password: password.clone(),
                must_change_password: true,
                grants: vec![Grant { role, scope }],
            };
            match access::create_account(&db, new, &operator.username, operator.now).await {
                Ok(_) => {
                    println!("已创建账号 {username}，初始密码：{password}（首次登录须修改）");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => fail(e),
            }
        }
        UserAction::Reset { username } => {
            let Some(acc) = access::find_account(&db, &username).await? else {
                eprintln!("错误：账号 {username} 不存在");
                return Ok(ExitCode::from(2));
            };
            let password = access::initial_password();
            match access::set_password(&db, acc.id, &password, true, &operator, None).await {
                Ok(()) => {
                    println!("已重置 {username} 的密码，初始密码：{password}（登录后须修改）");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => fail(e),
            }
        }
        UserAction::Disable { username } => {
            match access::set_disabled(&db, &username, true, &operator).await {
                Ok(()) => {
                    println!("已停用账号 {username}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => fail(e),
            }
        }
        UserAction::List => {
            for (a, grants) in access::accounts(&db).await? {
                let g: Vec<String> = grants
                    .iter()
                    .map(|g| format!("{}（{}）", g.role.zh(), g.scope.zh()))
                    .collect();
                let state = if a.disabled {
                    "已停用"
                } else if a.must_change_password {
                    "待改初始密码"
                } else {
                    "正常"
                };
                println!(
                    "{:<16} {:<10} {} {}",
                    a.username,
                    a.display_name,
                    state,
                    g.join("、")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Prints the cards of a region, a cadre's households or a unit into one PDF.
/// Whose cards a print covers (one of the three).
pub(super) struct Whose {
    pub region: Option<String>,
    pub person: Option<String>,
    pub unit: Option<String>,
}

/// The n-th file of a print: the name given, then `-2`, `-3` … before the extension.
fn nth_file(output: &std::path::Path, n: usize) -> std::path::PathBuf {
    if n <= 1 {
        return output.to_path_buf();
    }
    let stem = output
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "cards".into());
    output.with_file_name(format!("{stem}-{n}.pdf"))
}

pub(super) async fn cards(
    config: &Config,
    who: Whose,
    output: &std::path::Path,
    by: &str,
    per_file: usize,
) -> anyhow::Result<ExitCode> {
    let Whose {
        region,
        person,
        unit,
    } = who;
    use crate::store::cards::Scope;
    let started = std::time::Instant::now();
    let font = match crate::print::load_font(config.card_font.as_deref()) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(2));
        }
    };
    let db = crate::store::connect(&config.database_url).await?;
    crate::store::migrate(&db).await?;
    let policy =
        crate::store::rules::policy_in_force(&db, config.policy()?, crate::time::today()).await?;
    let scope = match (region, person, unit) {
        (Some(r), None, None) => Scope::Region(r),
        (None, Some(p), None) => {
            let id = crate::store::work::person_ids_by_code(&db)
                .await?
                .get(p.trim())
                .copied()
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "没有身份证号为 {} 的人员",
                        crate::domain::ids::mask_id_number(&p)
                    )
                })?;
            Scope::Person(id)
        }
        (None, None, Some(u)) => Scope::Unit(u),
        _ => anyhow::bail!("请用 --region、--person 或 --unit 之一指明要打印谁的卡"),
    };
    let base = config
        .base_url
        .clone()
        .filter(|b| !b.trim().is_empty())
        .unwrap_or_else(|| format!("http://{}", config.listen));
    let out = output.to_path_buf();
    let written = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = written.clone();
    let printed = crate::print::print_scope(
        &db,
        &policy.cards,
        font,
        &scope,
        &base,
        by,
        chrono::Utc::now(),
        per_file.max(1),
        move |n, bytes| {
            let path = nth_file(&out, n);
            std::fs::write(&path, &bytes)
                .map_err(|e| format!("写入 {} 失败：{e}", path.display()))?;
            if let Ok(mut w) = record.lock() {
                w.push((path, bytes.len()));
            }
            Ok(())
        },
    )
    .await;
    let done = match printed {
        Ok(x) => x,
        Err(crate::store::StoreError::Db(e)) => return Err(e.into()),
        Err(crate::store::StoreError::NotFound(m)) => {
            eprintln!("{m}不存在");
            return Ok(ExitCode::from(2));
        }
        Err(crate::store::StoreError::Invalid(m) | crate::store::StoreError::Forbidden(m)) => {
            eprintln!("{m}");
            return Ok(ExitCode::from(2));
        }
    };
    let files = written.lock().map(|w| w.clone()).unwrap_or_default();
    let kb: usize = files.iter().map(|(_, n)| n).sum::<usize>() / 1024;
    let names: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
    println!(
        "已写入 {}：{} 张卡，{} 页（其中新版 {} 张），{} KB，用时 {:.1} 秒",
        names.join("、"),
        done.cards,
        done.pages,
        done.new_versions,
        kb,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes one record book from the database, as the pages would offer it.
pub(super) async fn book(
    config: &Config,
    kind: &str,
    code: Option<&str>,
    year: Option<i32>,
    output: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    use crate::store::{books, registry as reg};
    let db = crate::store::connect(&config.database_url).await?;
    crate::store::migrate(&db).await?;
    let policy =
        crate::store::rules::policy_in_force(&db, config.policy()?, crate::time::today()).await?;
    let today = crate::web::view::today();
    let year = year.unwrap_or_else(|| chrono::Datelike::year(&today));
    let day = chrono::NaiveDate::from_ymd_opt(year, 12, 31)
        .unwrap_or(today)
        .min(today);
    let all = crate::store::access::Visibility::everything();
    let need = |what: &str| anyhow::anyhow!("{kind} 需要{what}");
    let b = match kind {
        "record" => {
            let id: i32 = code.ok_or_else(|| need("人员编号"))?.parse()?;
            let p = reg::person(&db, id, &all)
                .await?
                .ok_or_else(|| anyhow::anyhow!("没有编号为 {id} 的人员"))?;
            books::record_book(&db, &p, year).await?
        }
        "household" => {
            let c = code.ok_or_else(|| need("户编号"))?;
            let h = reg::household(&db, c, &all)
                .await?
                .ok_or_else(|| anyhow::anyhow!("没有户 {c}"))?;
            books::household_page(&db, &h).await?
        }
        "village" => {
            let c = code.ok_or_else(|| need("村（社区）代码"))?;
            let r = reg::region(&db, c)
                .await?
                .ok_or_else(|| anyhow::anyhow!("没有区划 {c}"))?;
            books::village_book(&db, &policy, &r, year, day).await?
        }
        "ledger" => {
            let c = code.unwrap_or("county");
            let u = if c == "county" {
                None
            } else {
                Some(
                    reg::unit(&db, c)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("没有单位 {c}"))?,
                )
            };
            books::unit_ledger(&db, &policy, u.as_ref(), year, day).await?
        }
        "volunteer" => books::volunteer_hours(&db, year).await?,
        other => {
            anyhow::bail!("未知的记录本“{other}”，可选：record household village ledger volunteer")
        }
    };
    std::fs::write(output, exchange::write_book(&b)?)?;
    for s in &b.sheets {
        // Lines in the sheet: title, particulars, and per section its caption and header.
        let lines = 2 + s
            .sections
            .iter()
            .map(|x| x.rows.len() + 1 + usize::from(x.caption.is_some()))
            .sum::<usize>();
        println!("{}：{}行（连标题共{}行）", s.name, s.rows(), lines);
    }
    println!("已写入 {}：{}", b.title, output.display());
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn compliance(
    config: &Config,
    year: Option<i32>,
    as_of: Option<chrono::NaiveDate>,
    format: &str,
    output: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    let db = crate::store::connect(&config.database_url).await?;
    crate::store::migrate(&db).await?;
    let versions = crate::store::rules::policy_versions(&db, config.policy()?).await?;
    let today = crate::web::view::today();
    let year = year.unwrap_or_else(|| chrono::Datelike::year(&today));
    let as_of = as_of.unwrap_or_else(|| {
        chrono::NaiveDate::from_ymd_opt(year, 12, 31)
            .unwrap_or(today)
            .min(today)
    });
    let facts = crate::store::rules::facts(&db, year).await?.as_of(as_of);
    let in_force: Vec<_> = versions.iter().map(|v| v.in_force()).collect();
    let report = crate::domain::rules::evaluate_dated(&in_force, &facts, year, as_of);
    // The report names people by ID number (FORMATS.md): its export is audited like any other.
    crate::store::access::audit(
        &db,
        chrono::Utc::now(),
        None,
        "命令行",
        "export",
        "compliance",
        &format!("{year} 截至 {as_of}"),
        "local",
    )
    .await?;
    match format {
        "json" => {
            let text = serde_json::to_string_pretty(&report)?;
            match output {
                Some(p) => std::fs::write(p, text)?,
                None => println!("{text}"),
            }
        }
        "xlsx" => {
            let out = output.ok_or_else(|| anyhow::anyhow!("xlsx 需要 --output 文件"))?;
            std::fs::write(out, exchange::write_compliance(&report)?)?;
            eprintln!("已写入 {}：{}行", out.display(), report.results.len());
        }
        other => anyhow::bail!("未知的格式“{other}”，可选：json、xlsx"),
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn rota(config: &Config, action: super::RotaAction) -> anyhow::Result<ExitCode> {
    use super::RotaAction;
    use crate::store::StoreError;
    let db = crate::store::connect(&config.database_url).await?;
    crate::store::migrate(&db).await?;
    let now = chrono::Utc::now();
    let policy =
        crate::store::rules::policy_in_force(&db, config.policy()?, crate::time::today()).await?;
    let fail = |e: StoreError| -> anyhow::Result<ExitCode> {
        match e {
            StoreError::Invalid(m) | StoreError::Forbidden(m) => eprintln!("{m}"),
            StoreError::NotFound(m) => eprintln!("找不到{m}"),
            StoreError::Db(e) => eprintln!("数据库出错：{e}"),
        }
        Ok(ExitCode::from(2))
    };
    let person_of = |id: String| {
        let db = db.clone();
        async move {
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
            crate::store::entities::person::Entity::find()
                .filter(crate::store::entities::person::Column::IdNumber.eq(id.trim()))
                .one(&db)
                .await
        }
    };
    match action {
        RotaAction::Plan {
            rule,
            scope,
            from,
            to,
        } => match crate::store::rota::plan(&db, &policy, &rule, &scope, from, to, "命令行", now)
            .await
        {
            Ok((_, lines)) => {
                for l in lines.iter().filter(|l| l.status == "planned") {
                    println!("{}\t{}\t{}\t班次{}", l.day, l.id_number, l.name, l.slot);
                }
                eprintln!(
                    "共{}班",
                    lines.iter().filter(|l| l.status == "planned").count()
                );
            }
            Err(e) => return fail(e),
        },
        RotaAction::Swap { a, b } => match crate::store::rota::swap(&db, a, b, "命令行", now).await
        {
            Ok(()) => println!("已调换班次{a}和班次{b}"),
            Err(e) => return fail(e),
        },
        RotaAction::Leave {
            person,
            from,
            to,
            note,
        } => {
            let Some(p) = person_of(person.clone()).await? else {
                eprintln!("找不到身份证号为{person}的人员");
                return Ok(ExitCode::from(2));
            };
            match crate::store::rota::leave(&db, &policy, p.id, from, to, &note, "命令行", now)
                .await
            {
                Ok(n) => println!("已登记{}请假（{from}至{to}），重新排了{n}份排班", p.name),
                Err(e) => return fail(e),
            }
        }
        RotaAction::Ics { person } => {
            let Some(p) = person_of(person.clone()).await? else {
                eprintln!("找不到身份证号为{person}的人员");
                return Ok(ExitCode::from(2));
            };
            match crate::store::rota::events(&db, &policy, "person", &p.id.to_string()).await {
                Ok(ev) => print!(
                    "{}",
                    crate::domain::rota::ics(&format!("{}的排班", p.name), &ev)
                ),
                Err(e) => return fail(e),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// After a day or a period is entered, the rotas still running are planned again.
async fn replan_after_calendar(
    config: &Config,
    db: &sea_orm::DatabaseConnection,
) -> anyhow::Result<()> {
    let today = crate::time::today();
    let policy = crate::store::rules::policy_in_force(db, config.policy()?, today).await?;
    match crate::store::rota::replan_running(db, &policy, today, "命令行", chrono::Utc::now()).await
    {
        Ok(0) => {}
        Ok(n) => println!("已按新的日历重新排了{n}份排班（只改受影响的班次）"),
        Err(e) => anyhow::bail!("重新排班失败：{e:?}"),
    }
    Ok(())
}

pub(super) async fn calendar(config: &Config, action: CalendarAction) -> anyhow::Result<ExitCode> {
    use crate::domain::calendar::DayKind;
    let db = crate::store::connect(&config.database_url).await?;
    crate::store::migrate(&db).await?;
    match action {
        CalendarAction::Set { day, kind, name } => {
            if kind != "holiday" && kind != "workday" {
                anyhow::bail!("类型应为 holiday（放假）或 workday（调休上班），而不是“{kind}”");
            }
            crate::store::rules::set_calendar_day(
                &db,
                "命令行",
                day,
                &kind,
                &name,
                chrono::Utc::now(),
            )
            .await?;
            let zh = if kind == "holiday" {
                "放假"
            } else {
                "调休上班"
            };
            println!("已录入：{day} {zh}（{name}）");
            replan_after_calendar(config, &db).await?;
        }
        CalendarAction::Declare {
            kind,
            start,
            end,
            name,
            region,
        } => {
            let sensitive = match kind.as_str() {
                "sensitive" | "重要敏感时期" => true,
                "special" | "特殊时期" => false,
                o => anyhow::bail!(
                    "类型应为 sensitive（重要敏感时期）或 special（特殊时期），而不是“{o}”"
                ),
            };
            let p = crate::domain::calendar::DeclaredPeriod {
                sensitive,
                region,
                start,
                end,
                name,
            };
            match crate::store::rules::declare_period(&db, "命令行", p, chrono::Utc::now()).await?
            {
                Ok(id) => {
                    println!("已宣布（编号 {id}）：{start} 至 {end}");
                    replan_after_calendar(config, &db).await?;
                }
                Err(e) => anyhow::bail!(e),
            }
        }
        CalendarAction::Show { year } => {
            let cal = crate::store::rules::calendar(&db).await?;
            if !cal.knows(year) {
                println!("{year}年的节假日安排尚未录入：工作日按周一至周五计算。");
            }
            for p in cal.declared() {
                if chrono::Datelike::year(&p.start) <= year
                    && chrono::Datelike::year(&p.end) >= year
                {
                    println!(
                        "{} 至 {} {} {}（{}）",
                        p.start,
                        p.end,
                        if p.sensitive {
                            "重要敏感时期"
                        } else {
                            "特殊时期"
                        },
                        p.name,
                        p.region.as_deref().unwrap_or("全县")
                    );
                }
            }
            let mut d = chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
            while chrono::Datelike::year(&d) == year {
                match cal.day(d) {
                    Some(DayKind::Holiday(n)) => println!("{d} 放假 {n}"),
                    Some(DayKind::Workday(n)) => println!("{d} 上班 {n}"),
                    None => {}
                }
                d += chrono::Duration::days(1);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
