use lianxin::config::Config;
use lianxin::domain::access::{AccessRole, Grant, Scope};
use lianxin::startup::Application;
use sea_orm::ConnectionTrait;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub database_url: String,
    pub dir: TempDir,
    pg: Option<(String, String)>,
}

/// The admin URL of the PostgreSQL server to test against, if any.
fn pg_admin_url() -> Option<String> {
    std::env::var("LIANXIN_TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
}

/// A fresh, empty, migrated database: its URL and a connection.
pub async fn fresh_database(dir: &Path) -> (String, Option<(String, String)>) {
    match pg_admin_url() {
        Some(admin) => {
            let name = format!("lianxin_test_{}", uuid::Uuid::new_v4().simple());
            let conn = sea_orm::Database::connect(&admin)
                .await
                .expect("connect to PostgreSQL admin database");
            conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            conn.close().await.ok();
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b.to_string())
                .expect("database URL has a path");
            (format!("{base}/{name}"), Some((admin, name)))
        }
        None => (format!("sqlite://{}", dir.join("test.db").display()), None),
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with_policy(None).await
}

/// The shipped policy file of this name (`policy/national-2022.toml`).
pub fn shipped_policy(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("policy")
        .join(format!("{name}.toml"))
}

/// An app working under the county's own policy file (else the default).
pub async fn spawn_app_with_policy(policy_file: Option<PathBuf>) -> TestApp {
    spawn_app_with(|c| c.policy_file = policy_file).await
}

/// An app whose configuration the test changes first.
pub async fn spawn_app_with(change: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let (database_url, pg) = fresh_database(dir.path()).await;
    let mut config = Config {
        listen: "127.0.0.1:0".into(),
        database_url: database_url.clone(),
        data_dir: dir.path().join("data"),
        max_upload_mib: 16,
        ..Config::default()
    };
    change(&mut config);
    let app = Application::build(config).await.expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run());
    let mut t = TestApp {
        address,
        client: reqwest::Client::new(),
        database_url,
        dir,
        pg,
    };
    t.add_account("admin", AccessRole::Admin, Scope::County, None)
        .await;
    t.client = t.login("admin", PASSWORD).await;
    t
}

/// The password every test account gets.
pub const PASSWORD: &str = "test-pass-2026";

impl TestApp {
    pub async fn db(&self) -> sea_orm::DatabaseConnection {
        lianxin::store::connect(&self.database_url)
            .await
            .expect("connect")
    }

    /// Creates an account (no forced password change) straight in the store.
    pub async fn add_account(
        &self,
        username: &str,
        role: AccessRole,
        scope: Scope,
        person_id_number: Option<&str>,
    ) {
        self.add_account_with(
            username,
            vec![Grant { role, scope }],
            person_id_number,
            false,
        )
        .await;
    }

    pub async fn add_account_with(
        &self,
        username: &str,
        grants: Vec<Grant>,
        person_id_number: Option<&str>,
        must_change: bool,
    ) {
        use lianxin::store::entities::person;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let db = self.db().await;
        let person_id = match person_id_number {
            Some(id) => Some(
                person::Entity::find()
                    .filter(person::Column::IdNumber.eq(id))
                    .one(&db)
                    .await
                    .unwrap()
                    .expect("person exists")
                    .id,
            ),
            None => None,
        };
        lianxin::store::access::create_account(
            &db,
            lianxin::store::access::NewAccount {
                username: username.into(),
                display_name: username.into(),
                person_id,
                password: PASSWORD.into(),
                must_change_password: must_change,
                grants,
            },
            "test",
            chrono::Utc::now(),
        )
        .await
        .expect("create account");
    }

    /// A client holding a session of this account.
    /// A second lianxin process serving the same database (as behind one address): its
    /// address. Cookies are kept per host, so a client's session goes to both.
    pub async fn second_process(&self) -> String {
        let config = Config {
            listen: "127.0.0.1:0".into(),
            database_url: self.database_url.clone(),
            data_dir: self.dir.path().join("data"),
            max_upload_mib: 16,
            ..Config::default()
        };
        let app = Application::build(config).await.expect("build second app");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run());
        address
    }

    pub async fn login(&self, username: &str, password: &str) -> reqwest::Client {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let r = client
            .post(self.url("/login"))
            .form(&[("username", username), ("password", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            303,
            "login {username}: {}",
            r.text().await.unwrap_or_default()
        );
        client
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            // Dropped on a thread of its own: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async {
                    if let Ok(conn) = sea_orm::Database::connect(&admin).await {
                        let _ = conn
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_text(&self, path: &str) -> String {
        let r = self.get(path).await;
        assert_eq!(r.status(), 200, "GET {path}");
        r.text().await.expect("body")
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let r = self.get(path).await;
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().await.expect("json")
    }

    /// POSTs a file to the import API.
    pub async fn import(
        &self,
        kind: &str,
        file: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/api/v1/import/{kind}?file={file}")))
            .body(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn counts(&self) -> serde_json::Value {
        self.get_json("/api/v1/stats").await
    }

    /// Runs the `lianxin` binary against this app's database.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        self.cli_command(args).output().expect("run lianxin")
    }

    pub fn cli_command(&self, args: &[&str]) -> std::process::Command {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_lianxin"));
        c.args(args)
            .env("LIANXIN_DATABASE_URL", &self.database_url)
            .env("LIANXIN_DATA_DIR", self.dir.path().join("data"))
            .env("LIANXIN_LOG", "warn")
            .current_dir(self.dir.path());
        c
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes CSV files (name → content) into a folder of the temp dir.
    pub fn write_dir(&self, folder: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir = self.path(folder);
        std::fs::create_dir_all(&dir).expect("mkdir");
        for (name, content) in files {
            std::fs::write(dir.join(name), content).expect("write");
        }
        dir
    }
}

/// A person's row id, found by name through the API (as a client would).
/// Posts a form; the status and where it redirects to (or the body).
pub async fn post_form(
    client: &reqwest::Client,
    url: String,
    form: &[(&str, &str)],
) -> (u16, String) {
    let r = client.post(url).form(form).send().await.expect("request");
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_string);
    let body = r.text().await.unwrap_or_default();
    (status, location.unwrap_or(body))
}

/// The QR secret of a household's first printed card.
pub async fn card_secret(app: &TestApp, household: &str) -> String {
    use lianxin::store::entities::card;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    card::Entity::find()
        .filter(card::Column::HolderCode.eq(household))
        .one(&app.db().await)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no card for {household}"))
        .secret
        .unwrap()
}

pub async fn person_id(app: &TestApp, name: &str) -> i64 {
    let q: String = name.bytes().map(|b| format!("%{b:02X}")).collect();
    let page = app.get_json(&format!("/api/v1/people?q={q}")).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {page}"))["id"]
        .as_i64()
        .unwrap()
}

/// A valid ID number from 17 digits.
pub fn id(first17: &str) -> String {
    let c = lianxin::domain::ids::check_char(first17).expect("17 digits");
    format!("{first17}{c}")
}

/// Any 18-character ID number (digits, or ending in X) that appears unmasked.
pub fn full_id_numbers(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 18 <= chars.len() {
        let w = &chars[i..i + 18];
        let digits17 = w[..17].iter().all(|c| c.is_ascii_digit());
        let last_ok = w[17].is_ascii_digit() || w[17] == 'X';
        let before_ok = i == 0 || !chars[i - 1].is_ascii_digit();
        let after_ok = i + 18 == chars.len() || !chars[i + 18].is_ascii_digit();
        if digits17 && last_ok && before_ok && after_ok {
            let s: String = w.iter().collect();
            if lianxin::domain::ids::IdNumber::parse(&s).is_ok() {
                out.push(s);
            }
            i += 18;
        } else {
            i += 1;
        }
    }
    out
}

/// A small registry: a county, a town, a village with a group, units, two people, three households.
pub struct Fixture {
    pub zhang: String,
    pub li: String,
    pub sun: String,
    pub head: String,
}

pub fn fixture() -> (Fixture, Vec<(&'static str, String)>) {
    let zhang = id("35099919800101001");
    let li = id("35099919850202002");
    let head = id("35099919600303003");
    let sun = id("35099919880404004");
    let files = vec![
        (
            "regions.csv",
            "区划代码,名称,层级,上级代码,标签\n3509,青山县,县,,\n3509100,甲镇,镇,3509,\n3509100200,乙村,村,3509100,老区村\n3509100200001,第一组,组,3509100200,\n3509101,丙镇,镇,3509,\n3509101200,丁村,村,3509101,\n".to_string(),
        ),
        (
            "units.csv",
            "单位代码,单位名称,类型,所属区划,上级单位,标签,监督电话\nT1,甲镇党委政府,镇党委政府,3509100,,,\nV1,乙村两委,村两委,3509100200,,,\nD1,县公安局,县直单位,3509,,执法管理、信访任务重,0598-7312345\nV2,丁村两委,村两委,3509101200,,,\n".to_string(),
        ),
        (
            "people.csv",
            format!("身份证号,姓名,手机号,单位代码,职务,角色,所属区划,责任片区,任期开始,基层工作经历,所属党支部\n{zhang},张三,13812345678,V1,村委会主任,村委会主任、村干部、党员,3509100200,3509100200001,2024-01-15,是,\n{li},李四,13987654321,T1,副镇长,镇领导班子成员、包村干部,3509100,,2023/5/1,否,\n{sun},孙九,13600002222,V2,村委委员,村干部,3509101200,,,,\n"),
        ),
        (
            "households.csv",
            format!("户编号,户主姓名,户主身份证号,所属区划,地址,联系电话,人口,类别,收入来源,生产生活状况\nH001,王五,{head},3509100200001,乙村1号,13700001111,3,低保户、残疾人,务农,生活困难\nH002,赵六,,3509100200,乙村2号,,2,,外出务工,正常\nH003,钱七,,3509101200,丁村1号,,1,五保户,低保金,独居\n"),
        ),
        (
            "members.csv",
            format!("户编号,姓名,身份证号,与户主关系,手机号,就业情况,健康状况\nH001,王五,{head},户主,,务农,残疾\nH001,王小五,,子女,,在校,健康\n"),
        ),
        (
            "links.csv",
            format!("年度,干部身份证号,单位代码,关系类型,对象代码,开始日期,结束日期\n2026,{zhang},,联户,H001,,\n2026,{zhang},,联户,H002,,\n2026,{li},,包村,3509100200,,\n2026,,D1,优抚帮扶,H003,,\n2026,{sun},,联户,H003,,\n"),
        ),
        (
            "activities.csv",
            format!("开始日期,结束日期,参加人身份证号,类型,对象代码,随行人数,时长(小时),内容,反映事项\n2026-03-02,,{zhang}、{li},入户走访,H001,1,,了解生产生活情况,\"村道路灯损坏\n饮水管道漏水\"\n2026-08-15,,{zhang},电话联系,H001,,,电话回访,\n"),
        ),
    ];
    (
        Fixture {
            zhang,
            li,
            sun,
            head,
        },
        files,
    )
}

impl TestApp {
    /// Loads the fixture through the import API, file by file.
    pub async fn load_fixture(&self) -> Fixture {
        let (f, files) = fixture();
        for (name, content) in files {
            let kind = name.trim_end_matches(".csv");
            let r = self.import(kind, name, content).await;
            let status = r.status();
            assert_eq!(
                status,
                200,
                "import {name}: {}",
                r.text().await.unwrap_or_default()
            );
        }
        f
    }
}

/// A client that does not follow redirects and holds no session.
pub fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Prints the village's cards through the web print page, as the office does.
pub async fn print_village(app: &TestApp, client: &reqwest::Client) -> String {
    let r = client
        .get(app.url("/cards/print?region=3509100200"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}
