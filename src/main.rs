//! The `lianxin` command: parse, load config, call into the library.

use anyhow::Context;
use clap::{Parser, Subcommand};
use lianxin::config::Config;
use lianxin::demo::{self, Size};
use lianxin::domain::formats::Kind;
use lianxin::exchange;
use lianxin::startup::Application;
use lianxin::store::import::{ImportFailure, ImportOptions, Outcome};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

// The rule engine builds and drops hundreds of thousands of small strings and vectors per
// evaluation; glibc's allocator spent a fifth of it consolidating free chunks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "lianxin",
    version,
    about = "连心：党员干部直接联系服务群众工作系统"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// 启动服务（默认）
    Serve,
    /// 执行数据库迁移
    Migrate,
    /// 导入 FORMATS.md 规定的表格：一个文件（需 --kind）或一个目录
    Import {
        /// 数据类型：regions units people households members links activities
        #[arg(long)]
        kind: Option<String>,
        /// 文件或目录
        path: PathBuf,
        /// 只检查，不写入
        #[arg(long)]
        dry_run: bool,
        /// For the crash test: wait this many seconds before committing.
        #[arg(long, hide = true)]
        hold_before_commit: Option<u64>,
    },
    /// 生成空白导入模板（.xlsx）
    Template {
        kind: String,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// 导出名册（.xlsx 或 .csv，按扩展名）
    Export {
        kind: String,
        #[arg(long, short)]
        output: PathBuf,
        /// 导出完整的身份证号和手机号（默认脱敏）
        #[arg(long)]
        reveal: bool,
    },
    /// 账号管理：add 新建、reset 重置密码、disable 停用、list 列出
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// 生成记录本（.xlsx）：record 人员编号 | household 户编号 | village 村代码 | ledger 单位代码或 county | volunteer
    Book {
        kind: String,
        code: Option<String>,
        #[arg(long)]
        year: Option<i32>,
        #[arg(long, short)]
        output: PathBuf,
    },
    /// 落实情况报表（FORMATS.md）：每条制度、每个对象、每个周期是否达标
    Compliance {
        #[arg(long)]
        year: Option<i32>,
        /// 截至日期（默认今天，或该年最后一天）
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
        /// json 或 xlsx
        #[arg(long, default_value = "json")]
        format: String,
        /// 输出文件（xlsx 必填；json 默认打印）
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// 工作日日历：录入国务院公布的节假日（holiday）和调休上班日（workday）
    Calendar {
        #[command(subcommand)]
        action: CalendarAction,
    },
    /// 制度文件：check 检查一个制度文件是否有误
    Policy {
        #[command(subcommand)]
        action: PolicyAction,
    },
    /// 性能测量（不是测试）：assign 联户安排，ledger 全县联户工作台账
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
    /// 生成演示县并启动服务
    Demo {
        #[arg(long, value_enum, default_value = "small")]
        size: Size,
        /// 只把演示数据写成导入文件（CSV）到该目录，不启动服务
        #[arg(long)]
        write_files: Option<PathBuf>,
        /// 生成后不启动服务
        #[arg(long)]
        no_serve: bool,
        /// 演示数据截至的日期（默认今天）
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
    },
}

#[derive(Subcommand)]
enum CalendarAction {
    /// 录入一天：lianxin calendar set 2027-01-01 holiday 元旦
    Set {
        day: chrono::NaiveDate,
        /// holiday（放假）或 workday（调休上班）
        kind: String,
        name: String,
    },
    /// 列出某年的节假日和调休上班日，以及宣布的重要敏感时期和特殊时期
    Show { year: i32 },
    /// 宣布一段时期：lianxin calendar declare sensitive 2026-10-01 2026-10-08 国庆 [--region 代码]
    Declare {
        /// sensitive（重要敏感时期）或 special（特殊时期：火灾、汛期、灾害）
        kind: String,
        start: chrono::NaiveDate,
        end: chrono::NaiveDate,
        name: String,
        /// 只对该区划及其下级有效（默认全县）
        #[arg(long)]
        region: Option<String>,
    },
}

#[derive(Subcommand)]
enum PolicyAction {
    /// 检查制度文件，用中文指出有误的规则和字段
    Check { file: PathBuf },
}

#[derive(Subcommand)]
enum BenchWhat {
    /// 全年落实情况评估：在当前数据库上计时（读取事实、评估）
    Compliance {
        #[arg(long)]
        year: Option<i32>,
        /// 重复次数（取中位数）
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// 另列最慢的规则（逐条单独评估的用时）
        #[arg(long)]
        by_rule: bool,
    },
    /// 联户安排方案：在临时库中生成一个镇（户数、干部数可调），计时读取、生成和确认
    Assign {
        #[arg(long, default_value_t = 10_000)]
        households: usize,
        #[arg(long, default_value_t = 300)]
        cadres: usize,
    },
    /// 全县联户工作台账：在当前数据库上生成并写成 .xlsx
    Ledger {
        #[arg(long)]
        year: Option<i32>,
    },
    /// 单人落实情况：在当前数据库上为若干人员分别读取并评估（人员页和“我的”）
    Person {
        #[arg(long)]
        year: Option<i32>,
        #[arg(long, default_value_t = 50)]
        people: usize,
    },
    /// 待办压测准备：在当前数据库中补足台账事项（默认20万件），打印镇党政办的会话令牌
    Items {
        #[arg(long, default_value_t = 200_000)]
        count: usize,
        /// 事项日期围绕的日子（默认今天）
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
    },
}

#[derive(Subcommand)]
enum UserAction {
    /// 新建账号，打印初始密码（首次登录须修改）
    Add {
        username: String,
        /// admin org_dept office leader cadre village_cadre representative inspector
        #[arg(long)]
        role: String,
        /// 范围：区划代码（或与 --unit 一起用单位代码）；全县角色不需要
        #[arg(long)]
        scope: Option<String>,
        #[arg(long)]
        unit: bool,
        /// 姓名（默认取名册中对应人员的姓名）
        #[arg(long)]
        name: Option<String>,
        /// 名册中对应人员的身份证号
        #[arg(long)]
        person: Option<String>,
    },
    /// 重置密码，打印新的初始密码
    Reset { username: String },
    /// 停用账号（结束其所有会话和令牌）
    Disable { username: String },
    /// 列出账号
    List,
}

fn main() -> ExitCode {
    lianxin::telemetry::init_logs();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("无法启动运行时：{e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误：{e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = Config::load().context("配置文件有误")?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            let db = lianxin::store::connect(&config.database_url).await?;
            lianxin::store::migrate(&db).await?;
            println!("数据库已是最新结构：{}", config.database_url_for_logs());
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            kind,
            path,
            dry_run,
            hold_before_commit,
        } => {
            let files = if path.is_dir() {
                exchange::load_dir(&path)
            } else {
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("")
                    .to_string();
                let kind = match kind
                    .as_deref()
                    .map(Kind::parse)
                    .or_else(|| exchange::kind_of_file(&name).map(Ok))
                {
                    Some(Ok(k)) => k,
                    Some(Err(e)) => anyhow::bail!(e),
                    None => anyhow::bail!("无法从文件名判断数据类型，请用 --kind 指定"),
                };
                let bytes =
                    std::fs::read(&path).with_context(|| format!("无法读取 {}", path.display()))?;
                Ok(vec![exchange::load_file(kind, &name, &bytes)])
            };
            let db = lianxin::store::connect(&config.database_url).await?;
            lianxin::store::migrate(&db).await?;
            let opts = ImportOptions {
                dry_run,
                hold_before_commit: hold_before_commit.map(Duration::from_secs),
                item_clock: Some(
                    lianxin::store::rules::policy_in_force(&db, config.policy()?)
                        .await?
                        .ledger
                        .item,
                ),
            };
            let started = Instant::now();
            let result = exchange::import_files(&db, files, "命令行导入", &opts).await;
            // Imports from the command line are audited like those from the pages.
            if let Ok(o) = &result {
                if !o.dry_run {
                    let detail = o
                        .tallies
                        .iter()
                        .map(|(k, t)| format!("{k}：新增{}，更新{}", t.created, t.updated))
                        .collect::<Vec<_>>()
                        .join("；");
                    lianxin::store::access::audit(
                        &db,
                        None,
                        "命令行",
                        "import",
                        &path.display().to_string(),
                        &detail,
                        "local",
                    )
                    .await?;
                }
            }
            Ok(report(result, started))
        }
        Command::Template { kind, output } => {
            let kind = Kind::parse(&kind).map_err(anyhow::Error::msg)?;
            let out =
                output.unwrap_or_else(|| PathBuf::from(format!("{}-template.xlsx", kind.key())));
            std::fs::write(&out, exchange::template(kind)?)?;
            println!("已生成模板：{}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Export {
            kind,
            output,
            reveal,
        } => {
            let kind = Kind::parse(&kind).map_err(anyhow::Error::msg)?;
            let db = lianxin::store::connect(&config.database_url).await?;
            lianxin::store::migrate(&db).await?;
            let rows = exchange::export_rows(&db, kind, reveal).await?;
            let detail = if reveal {
                "完整身份证号和电话"
            } else {
                "已脱敏"
            };
            lianxin::store::access::audit(
                &db,
                None,
                "命令行",
                "export",
                kind.key(),
                detail,
                "local",
            )
            .await?;
            let headers = exchange::headers(kind);
            let bytes = if output.extension().is_some_and(|e| e == "csv") {
                exchange::write_export_csv(&headers, &rows)?
            } else {
                exchange::write_xlsx(kind.zh(), &headers, &rows)?
            };
            std::fs::write(&output, bytes)?;
            println!("已导出{}条{}：{}", rows.len(), kind.zh(), output.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::User { action } => user(&config, action).await,
        Command::Book {
            kind,
            code,
            year,
            output,
        } => book(&config, &kind, code.as_deref(), year, &output).await,
        Command::Compliance {
            year,
            as_of,
            format,
            output,
        } => compliance(&config, year, as_of, &format, output.as_deref()).await,
        Command::Calendar { action } => calendar(&config, action).await,
        Command::Policy {
            action: PolicyAction::Check { file },
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("无法读取 {}", file.display()))?;
            match lianxin::domain::policy::Policy::parse(&text) {
                Ok(p) => {
                    println!("制度文件无误：{}（{}条规则）", p.title, p.rules.len());
                    Ok(ExitCode::SUCCESS)
                }
                Err(errors) => {
                    eprintln!("制度文件有{}处错误：", errors.len());
                    for e in errors {
                        eprintln!("  {e}");
                    }
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Bench { what } => {
            match what {
                BenchWhat::Compliance {
                    year,
                    runs,
                    by_rule,
                } => {
                    let db = lianxin::store::connect(&config.database_url).await?;
                    lianxin::store::migrate(&db).await?;
                    let year = year
                        .unwrap_or_else(|| chrono::Datelike::year(&lianxin::web::view::today()));
                    let policy =
                        lianxin::store::rules::policy_in_force(&db, config.policy()?).await?;
                    lianxin::bench::compliance(&db, &policy, year, runs, by_rule).await?;
                }
                BenchWhat::Assign { households, cadres } => {
                    let dir = tempfile::tempdir()?;
                    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
                    let db = lianxin::store::connect(&url).await?;
                    lianxin::store::migrate(&db).await?;
                    lianxin::bench::assignment(&db, households, cadres).await?;
                }
                BenchWhat::Ledger { year } => {
                    let db = lianxin::store::connect(&config.database_url).await?;
                    lianxin::store::migrate(&db).await?;
                    let year = year
                        .unwrap_or_else(|| chrono::Datelike::year(&lianxin::web::view::today()));
                    lianxin::bench::ledger(&db, year).await?;
                }
                BenchWhat::Person { year, people } => {
                    let db = lianxin::store::connect(&config.database_url).await?;
                    lianxin::store::migrate(&db).await?;
                    let year = year
                        .unwrap_or_else(|| chrono::Datelike::year(&lianxin::web::view::today()));
                    let policy =
                        lianxin::store::rules::policy_in_force(&db, config.policy()?).await?;
                    lianxin::bench::person(&db, &policy, year, people).await?;
                }
                BenchWhat::Items { count, today } => {
                    let db = lianxin::store::connect(&config.database_url).await?;
                    lianxin::store::migrate(&db).await?;
                    let today = today.unwrap_or_else(lianxin::web::view::today);
                    let token = lianxin::bench::items(&db, count, today).await?;
                    println!("SESSION={token}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            size,
            write_files,
            no_serve,
            today,
        } => {
            let today = today.unwrap_or_else(|| chrono::Local::now().date_naive());
            if let Some(dir) = write_files {
                let started = Instant::now();
                let d = demo::generate(size, today);
                std::fs::create_dir_all(&dir)?;
                for (kind, rows) in &d.tables {
                    let bytes = exchange::write_csv(&exchange::headers(*kind), rows)?;
                    std::fs::write(dir.join(format!("{}.csv", kind.key())), bytes)?;
                    println!("{}：{}行", kind.zh(), rows.len());
                }
                println!(
                    "演示数据已写入 {}（用时 {:.1} 秒）",
                    dir.display(),
                    started.elapsed().as_secs_f64()
                );
                return Ok(ExitCode::SUCCESS);
            }
            let db = lianxin::store::connect(&config.database_url).await?;
            lianxin::store::migrate(&db).await?;
            let counts = lianxin::store::registry::counts(&db).await?;
            if counts.regions > 0 {
                println!(
                    "数据库中已有数据（{}户），不再生成演示县。要重新生成，请先删除 {}。",
                    counts.households,
                    config.database_url_for_logs()
                );
            } else {
                let started = Instant::now();
                let d = demo::generate(size, today);
                let files = Ok(d.import_files());
                let result =
                    exchange::import_files(&db, files, "演示数据", &ImportOptions::default()).await;
                if report(result, started) != ExitCode::SUCCESS {
                    return Ok(ExitCode::FAILURE);
                }
                // What the offices did with the year's items and postings.
                demo::follow_up(&db, today).await?;
            }
            let accounts = demo::create_accounts(&db).await?;
            println!("\n演示账号（密码均为 {}，仅供演示）：", demo::DEMO_PASSWORD);
            for (u, what) in accounts {
                println!("  {u:<14} {what}");
            }
            if no_serve {
                return Ok(ExitCode::SUCCESS);
            }
            drop(db);
            serve(config).await
        }
    }
}

fn report(result: Result<Outcome, ImportFailure>, started: Instant) -> ExitCode {
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

async fn serve(config: Config) -> anyhow::Result<ExitCode> {
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

async fn user(config: &Config, action: UserAction) -> anyhow::Result<ExitCode> {
    use lianxin::domain::access::{AccessRole, Grant, scope_for};
    use lianxin::store::access::{self, AccountError, Caller, NewAccount};
    let db = lianxin::store::connect(&config.database_url).await?;
    lianxin::store::migrate(&db).await?;
    let operator = Caller::operator();
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
                    use lianxin::store::entities::person;
                    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
                    let id =
                        lianxin::domain::ids::IdNumber::parse(&id).map_err(anyhow::Error::msg)?;
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
            match access::create_account(&db, new, &operator.username).await {
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

/// Writes one record book from the database, as the pages would offer it.
async fn book(
    config: &Config,
    kind: &str,
    code: Option<&str>,
    year: Option<i32>,
    output: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    use lianxin::store::{books, registry as reg};
    let db = lianxin::store::connect(&config.database_url).await?;
    lianxin::store::migrate(&db).await?;
    let policy = lianxin::store::rules::policy_in_force(&db, config.policy()?).await?;
    let today = lianxin::web::view::today();
    let year = year.unwrap_or_else(|| chrono::Datelike::year(&today));
    let day = chrono::NaiveDate::from_ymd_opt(year, 12, 31)
        .unwrap_or(today)
        .min(today);
    let all = lianxin::store::access::Visibility::everything();
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

async fn compliance(
    config: &Config,
    year: Option<i32>,
    as_of: Option<chrono::NaiveDate>,
    format: &str,
    output: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    let db = lianxin::store::connect(&config.database_url).await?;
    lianxin::store::migrate(&db).await?;
    let policy = lianxin::store::rules::policy_in_force(&db, config.policy()?).await?;
    let today = lianxin::web::view::today();
    let year = year.unwrap_or_else(|| chrono::Datelike::year(&today));
    let as_of = as_of.unwrap_or_else(|| {
        chrono::NaiveDate::from_ymd_opt(year, 12, 31)
            .unwrap_or(today)
            .min(today)
    });
    let facts = lianxin::store::rules::facts(&db, year).await?;
    let report = lianxin::domain::rules::evaluate(&policy, &facts, year, as_of);
    // The report names people by ID number (FORMATS.md): its export is audited like any other.
    lianxin::store::access::audit(
        &db,
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

async fn calendar(config: &Config, action: CalendarAction) -> anyhow::Result<ExitCode> {
    use lianxin::domain::calendar::DayKind;
    let db = lianxin::store::connect(&config.database_url).await?;
    lianxin::store::migrate(&db).await?;
    match action {
        CalendarAction::Set { day, kind, name } => {
            if kind != "holiday" && kind != "workday" {
                anyhow::bail!("类型应为 holiday（放假）或 workday（调休上班），而不是“{kind}”");
            }
            lianxin::store::rules::set_calendar_day(&db, "命令行", day, &kind, &name).await?;
            let zh = if kind == "holiday" {
                "放假"
            } else {
                "调休上班"
            };
            println!("已录入：{day} {zh}（{name}）");
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
            let p = lianxin::domain::calendar::DeclaredPeriod {
                sensitive,
                region,
                start,
                end,
                name,
            };
            match lianxin::store::rules::declare_period(&db, "命令行", p).await? {
                Ok(id) => println!("已宣布（编号 {id}）：{start} 至 {end}"),
                Err(e) => anyhow::bail!(e),
            }
        }
        CalendarAction::Show { year } => {
            let cal = lianxin::store::rules::calendar(&db).await?;
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
