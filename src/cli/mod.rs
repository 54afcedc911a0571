//! The `lianxin` command line: its commands and what each does, in the library so that
//! `main.rs` only parses and hands over.

mod commands;
mod progress;

use crate::config::Config;
use crate::demo::{self, Size};
use crate::domain::formats::Kind;
use crate::exchange;
use crate::startup::Application;
use crate::store::import::{ImportFailure, ImportOptions, Outcome};
use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "lianxin",
    version,
    about = "连心：党员干部直接联系服务群众工作系统"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
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
    /// 打印连心卡/亲情卡（PDF，A4每页8张，带裁切线）：一个区划的全部农户、一名干部的联系户，
    /// 或一个单位的连心卡（每个服务对象一张）。卡面信息有变化的户印新版（新二维码）
    Cards {
        /// 区划代码（村、镇或全县）
        #[arg(long, conflicts_with_all = ["person", "unit"])]
        region: Option<String>,
        /// 干部身份证号
        #[arg(long, conflicts_with = "unit")]
        person: Option<String>,
        /// 单位代码
        #[arg(long)]
        unit: Option<String>,
        /// 输出的 PDF 文件
        #[arg(long, short)]
        output: PathBuf,
        /// 记为谁印制（默认“命令行”）
        #[arg(long, default_value = "命令行")]
        by: String,
        /// 每个文件最多约多少张（在村与村之间分文件：FILE.pdf、FILE-2.pdf……）
        #[arg(long, default_value_t = 10_000)]
        per_file: usize,
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
    /// 备份数据库到一个新文件（服务运行时也可）：SQLite 为一致的快照，PostgreSQL 调用 pg_dump
    Backup { file: PathBuf },
    /// 从备份恢复数据库（请先停止服务）：检查完整后替换，并升级到本版本的结构
    Restore { file: PathBuf },
    /// 工作日日历：录入国务院公布的节假日（holiday）和调休上班日（workday）
    Calendar {
        #[command(subcommand)]
        action: CalendarAction,
    },
    /// 排班：plan 按工作日日历排班（再次执行即重新排，只改必须改的班次），swap 调班，leave 请假，ics 个人日历
    Rota {
        #[command(subcommand)]
        action: RotaAction,
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
pub enum CalendarAction {
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
pub enum RotaAction {
    /// lianxin rota plan --rule XF-2 --scope 350999 --from 2026-01-01 --to 2026-12-31
    Plan {
        #[arg(long)]
        rule: String,
        #[arg(long)]
        scope: String,
        #[arg(long)]
        from: chrono::NaiveDate,
        #[arg(long)]
        to: chrono::NaiveDate,
    },
    /// 调换两个班次的人员：lianxin rota swap 班次编号 班次编号
    Swap { a: i32, b: i32 },
    /// 请假（不排班），并重新排受影响的班次
    Leave {
        #[arg(long)]
        person: String,
        #[arg(long)]
        from: chrono::NaiveDate,
        #[arg(long)]
        to: chrono::NaiveDate,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// 打印一个人的排班日历（iCalendar）
    Ics {
        #[arg(long)]
        person: String,
    },
}

#[derive(Subcommand)]
pub enum PolicyAction {
    /// 检查制度文件，用中文指出有误的规则和字段
    Check { file: PathBuf },
}

#[derive(Subcommand)]
pub enum BenchWhat {
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
    /// 年度考核：在当前数据库上为全部联户干部计算考核表（含全年评估）并计时
    Assessment {
        #[arg(long)]
        year: Option<i32>,
        /// 重复次数（取中位数）
        #[arg(long, default_value_t = 3)]
        runs: usize,
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
pub enum UserAction {
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

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = Config::load().context("配置文件有误")?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => commands::serve(config).await,
        Command::Migrate => {
            let db = crate::store::connect(&config.database_url).await?;
            crate::store::migrate(&db).await?;
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
                Ok(vec![exchange::load_file(kind, &name, &bytes).into()])
            };
            let db = crate::store::connect(&config.database_url).await?;
            crate::store::migrate(&db).await?;
            let opts = ImportOptions {
                dry_run,
                hold_before_commit: hold_before_commit.map(Duration::from_secs),
                item_clock: Some(
                    crate::store::rules::policy_in_force(
                        &db,
                        config.policy()?,
                        crate::time::today(),
                    )
                    .await?
                    .ledger
                    .item,
                ),
                now: chrono::Utc::now(),
                account: None,
                progress: Some(Arc::default()),
            };
            let started = Instant::now();
            let bar = opts.progress.clone().map(progress::ImportBar::follow);
            let result = exchange::import_files(&db, files, "命令行导入", &opts).await;
            if let Some(b) = bar {
                b.finish();
            }
            // Imports from the command line are audited like those from the pages.
            if let Ok(o) = &result
                && !o.dry_run
            {
                let detail = o
                    .tallies
                    .iter()
                    .map(|(k, t)| format!("{k}：新增{}，更新{}", t.created, t.updated))
                    .collect::<Vec<_>>()
                    .join("；");
                crate::store::access::audit(
                    &db,
                    chrono::Utc::now(),
                    None,
                    "命令行",
                    "import",
                    &path.display().to_string(),
                    &detail,
                    "local",
                )
                .await?;
            }
            Ok(commands::report(result, started))
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
            let db = crate::store::connect(&config.database_url).await?;
            crate::store::migrate(&db).await?;
            let rows = exchange::export_rows(&db, kind, reveal).await?;
            let detail = if reveal {
                "完整身份证号和电话"
            } else {
                "已脱敏"
            };
            crate::store::access::audit(
                &db,
                chrono::Utc::now(),
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
        Command::User { action } => commands::user(&config, action).await,
        Command::Book {
            kind,
            code,
            year,
            output,
        } => {
            let step = progress::Step::quiet("生成记录本");
            let done = commands::book(&config, &kind, code.as_deref(), year, &output).await;
            step.done();
            done
        }
        Command::Cards {
            region,
            person,
            unit,
            output,
            by,
            per_file,
        } => {
            let who = commands::Whose {
                region,
                person,
                unit,
            };
            let step = progress::Step::quiet("印制连心卡");
            let done = commands::cards(&config, who, &output, &by, per_file).await;
            step.done();
            done
        }
        Command::Compliance {
            year,
            as_of,
            format,
            output,
        } => {
            let step = progress::Step::quiet("评估落实情况");
            let done = commands::compliance(&config, year, as_of, &format, output.as_deref()).await;
            step.done();
            done
        }
        Command::Calendar { action } => commands::calendar(&config, action).await,
        Command::Rota { action } => commands::rota(&config, action).await,
        Command::Backup { file } => {
            let db = crate::store::connect(&config.database_url).await?;
            let bytes = crate::store::backup::backup(&db, &config.database_url, &file).await?;
            println!("已备份到 {}（{} KB）", file.display(), bytes / 1024);
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { file } => {
            crate::store::backup::restore(&config.database_url, &file).await?;
            let db = crate::store::connect(&config.database_url).await?;
            crate::store::migrate(&db).await?;
            println!(
                "已从 {} 恢复，并升级到本版本的数据库结构：{}",
                file.display(),
                config.database_url_for_logs()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Policy {
            action: PolicyAction::Check { file },
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("无法读取 {}", file.display()))?;
            match crate::domain::policy::Policy::parse(&text) {
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
                    let db = crate::store::connect(&config.database_url).await?;
                    crate::store::migrate(&db).await?;
                    let year =
                        year.unwrap_or_else(|| chrono::Datelike::year(&crate::web::view::today()));
                    let policy = crate::store::rules::policy_in_force(
                        &db,
                        config.policy()?,
                        crate::time::today(),
                    )
                    .await?;
                    crate::bench::compliance(&db, &policy, year, runs, by_rule).await?;
                }
                BenchWhat::Assessment { year, runs } => {
                    let db = crate::store::connect(&config.database_url).await?;
                    crate::store::migrate(&db).await?;
                    let year =
                        year.unwrap_or_else(|| chrono::Datelike::year(&crate::web::view::today()));
                    let policy = crate::store::rules::policy_in_force(
                        &db,
                        config.policy()?,
                        crate::time::today(),
                    )
                    .await?;
                    crate::bench::assessment(&db, &policy, year, runs).await?;
                }
                BenchWhat::Assign { households, cadres } => {
                    let dir = tempfile::tempdir()?;
                    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
                    let db = crate::store::connect(&url).await?;
                    crate::store::migrate(&db).await?;
                    crate::bench::assignment(&db, households, cadres).await?;
                }
                BenchWhat::Ledger { year } => {
                    let db = crate::store::connect(&config.database_url).await?;
                    crate::store::migrate(&db).await?;
                    let year =
                        year.unwrap_or_else(|| chrono::Datelike::year(&crate::web::view::today()));
                    crate::bench::ledger(&db, year).await?;
                }
                BenchWhat::Person { year, people } => {
                    let db = crate::store::connect(&config.database_url).await?;
                    crate::store::migrate(&db).await?;
                    let year =
                        year.unwrap_or_else(|| chrono::Datelike::year(&crate::web::view::today()));
                    let policy = crate::store::rules::policy_in_force(
                        &db,
                        config.policy()?,
                        crate::time::today(),
                    )
                    .await?;
                    crate::bench::person(&db, &policy, year, people).await?;
                }
                BenchWhat::Items { count, today } => {
                    let db = crate::store::connect(&config.database_url).await?;
                    crate::store::migrate(&db).await?;
                    let today = today.unwrap_or_else(crate::web::view::today);
                    let token = crate::bench::items(&db, count, today).await?;
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
            let db = crate::store::connect(&config.database_url).await?;
            crate::store::migrate(&db).await?;
            let counts = crate::store::registry::counts(&db).await?;
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
                let opts = ImportOptions {
                    progress: Some(Arc::default()),
                    ..ImportOptions::at(chrono::Utc::now())
                };
                let bar = opts.progress.clone().map(progress::ImportBar::follow);
                let result = exchange::import_files(&db, files, "演示数据", &opts).await;
                if let Some(b) = bar {
                    b.finish();
                }
                if commands::report(result, started) != ExitCode::SUCCESS {
                    return Ok(ExitCode::FAILURE);
                }
                // Each step says what it does and how long it took: the county's take minutes.
                // What the offices did with the year's items and postings.
                let step = progress::Step::start("各台账事项的办理与干部下派");
                demo::follow_up(&db, today).await?;
                step.done();
                // The year's cards, printed in January and handed out since.
                let policy =
                    crate::store::rules::policy_in_force(&db, config.policy()?, today).await?;
                let step = progress::Step::start("连心卡的印制与发放");
                if let Err(e) = demo::hand_out_cards(&db, &policy.cards, "350999", today).await {
                    anyhow::bail!("演示数据的连心卡未能生成：{e:?}");
                }
                step.done();
                // The year's survey, spot checks and assessment, as far as the day allows.
                let step = progress::Step::start("年度调查、抽查与考核");
                demo::survey_and_assess(&db, &policy, today).await?;
                step.done();
                // The county's and the towns' major decisions, with their consultations.
                let step = progress::Step::start("重大决策及其征求意见");
                demo::decisions(&db, &policy, today).await?;
                step.done();
                // Service projects of the units reported to communities; proposals of the
                // liaison offices.
                let step = progress::Step::start("单位服务项目与联络站建议");
                demo::community(&db, &policy, today).await?;
                step.done();
                // Representatives' published contact details; service-room applications.
                let step = progress::Step::start("党代表联系方式公示与服务室申办");
                demo::representatives_and_service_rooms(&db, &policy, today).await?;
                step.done();
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
            commands::serve(config).await
        }
    }
}
