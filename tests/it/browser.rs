//! Journeys in a real browser: headless Chromium driven over WebDriver (Debian `chromium` and
//! `chromium-driver`), at 400 px like a cadre's phone. Each test asserts what a person sees on
//! the page. `LIANXIN_SCREENSHOTS=DIR` saves a PNG of every page checked (scripts/screenshots.sh).

use crate::helpers::*;
use fantoccini::{Client, ClientBuilder, Locator};
use lianxin::domain::access::{AccessRole, Grant, Scope};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One test's browsers at a time: Chromium is heavy on two cores, and the tests stay
/// predictable. A test may hold several browsers (the office and the resident).
static TURN: std::sync::Mutex<(Option<std::thread::ThreadId>, usize)> =
    std::sync::Mutex::new((None, 0));
static TURN_FREE: std::sync::Condvar = std::sync::Condvar::new();

struct Turn;

impl Turn {
    fn take() -> Turn {
        let me = std::thread::current().id();
        let mut t = TURN.lock().unwrap_or_else(|e| e.into_inner());
        while t.0.is_some_and(|owner| owner != me) {
            t = TURN_FREE.wait(t).unwrap_or_else(|e| e.into_inner());
        }
        t.0 = Some(me);
        t.1 += 1;
        Turn
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut t = TURN.lock().unwrap_or_else(|e| e.into_inner());
        t.1 = t.1.saturating_sub(1);
        if t.1 == 0 {
            t.0 = None;
            TURN_FREE.notify_all();
        }
    }
}

pub struct Browser {
    pub c: Client,
    base: String,
    width: u32,
    /// Who is logged in: their user name is theirs, not the interface's English.
    user: std::sync::Mutex<String>,
    driver: Child,
    _turn: Turn,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn chromedriver() -> &'static str {
    for p in ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"] {
        if std::path::Path::new(p).exists() {
            return p;
        }
    }
    panic!(
        "浏览器测试需要 chromium 和 chromium-driver：运行 scripts/test.sh（会用 apt-get 安装），或 apt-get install chromium chromium-driver"
    );
}

impl Browser {
    /// A fresh browser (no cookies, no storage) at phone width.
    pub async fn open(app: &TestApp) -> Browser {
        Browser::sized(app, 400, 900).await
    }

    pub async fn sized(app: &TestApp, width: u32, height: u32) -> Browser {
        let turn = Turn::take();
        let port = free_port();
        let driver = Command::new(chromedriver())
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut options = json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--lang=zh-CN",
                     format!("--window-size={width},{height}")]
        });
        if width < 640 {
            // A phone: the viewport itself at that width (a desktop window has a minimum).
            options["mobileEmulation"] = json!({
                "deviceMetrics": {"width": width, "height": height, "pixelRatio": 1.0}
            });
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), options);
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let c = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a browser session");
        Browser {
            c,
            width,
            user: std::sync::Mutex::new(String::new()),
            base: app.address.clone(),
            driver,
            _turn: turn,
        }
    }

    pub async fn go(&self, path: &str) {
        self.c
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("navigate");
    }

    pub async fn path(&self) -> String {
        let u = self.c.current_url().await.expect("url");
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        }
    }

    /// What a person reads on the page.
    pub async fn text(&self) -> String {
        self.c
            .execute(
                "return document.body ? document.body.innerText : ''",
                vec![],
            )
            .await
            .expect("text")
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits until the page shows `what` (10 s at most), and answers the page's text.
    pub async fn wait_text(&self, what: &str) -> String {
        let started = Instant::now();
        loop {
            let t = self.text().await;
            if t.contains(what) {
                return t;
            }
            if started.elapsed() > Duration::from_secs(10) {
                panic!("page {} never showed “{what}”:\n{t}", self.path().await);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the address holds `part` (after a boosted navigation).
    pub async fn wait_path(&self, part: &str) {
        let started = Instant::now();
        while !self.path().await.contains(part) {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "never reached an address with {part}: {}",
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.c
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    /// What a form field holds now.
    pub async fn value(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        e.clear().await.ok();
        e.send_keys(text).await.expect("type");
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    /// Clicks the link or button whose text is `label`.
    pub async fn click_text(&self, label: &str) {
        let xpath =
            format!("//a[normalize-space(.)='{label}'] | //button[normalize-space(.)='{label}']");
        self.c
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no link or button “{label}”: {e}"))
            .click()
            .await
            .expect("click");
    }

    pub async fn js(&self, script: &str) -> Value {
        self.c.execute(script, vec![]).await.expect("script")
    }

    pub async fn login(&self, user: &str) {
        if let Ok(mut u) = self.user.lock() {
            *u = user.to_string();
        }
        self.go("/login").await;
        self.fill("input[name=username]", user).await;
        self.fill("input[name=password]", PASSWORD).await;
        self.click("form[action='/login'] button").await;
        let started = Instant::now();
        while self.path().await.starts_with("/login") {
            assert!(started.elapsed() < Duration::from_secs(10), "login {user}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The menu entries shown to this caller.
    pub async fn menu(&self) -> Vec<String> {
        let v = self
            .js("return Array.from(document.querySelectorAll('nav.menu a')).map(a => a.textContent)")
            .await;
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// What every page must hold to: nothing wider than the screen, no English for a person
    /// who is not an administrator. Saves a screenshot when asked to.
    pub async fn check(&self, name: &str) {
        let over = self
            .js("return [document.documentElement.scrollWidth, window.innerWidth]")
            .await;
        let (sw, iw) = (over[0].as_u64().unwrap_or(0), over[1].as_u64().unwrap_or(0));
        if let Ok(dir) = std::env::var("LIANXIN_SCREENSHOTS") {
            std::fs::create_dir_all(&dir).ok();
            if let Ok(png) = self.c.screenshot().await {
                std::fs::write(format!("{dir}/{name}.png"), png).ok();
            }
        }
        assert_eq!(iw, u64::from(self.width), "{name}: the screen's width");
        assert!(
            sw <= iw,
            "{name} ({}): the page is {sw}px wide on a {iw}px screen",
            self.path().await
        );
        let user = self.user.lock().map(|u| u.clone()).unwrap_or_default();
        let mut text = self.text().await;
        if !user.is_empty() {
            text = text.replace(&user, "");
        }
        let english = english_words(&text);
        assert!(
            english.is_empty(),
            "{name} ({}) shows English: {english:?}",
            self.path().await
        );
    }

    pub async fn done(mut self) {
        let c = self.c.clone();
        c.close().await.ok();
        self.driver.kill().ok();
        self.driver.wait().ok();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.driver.kill().ok();
        self.driver.wait().ok();
    }
}

/// Runs of four or more Latin letters a reader would take for English (file formats and the
/// codes of households are not words).
fn english_words(text: &str) -> Vec<String> {
    const ALLOWED: [&str; 3] = ["Excel", "JSON", "xlsx"];
    // Addresses printed for residents are not words.
    let text: String = text
        .split_whitespace()
        .filter(|w| !w.contains("://"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphabetic() {
            word.push(c);
            continue;
        }
        if word.len() >= 4 && !ALLOWED.contains(&word.as_str()) {
            out.push(word.clone());
        }
        word.clear();
    }
    out
}

/// The fixture with an account per role: the cadre 张三 (links H001, H002), the town office of
/// 甲镇, the town leader 李四, an inspector, the organisation department.
async fn county() -> (TestApp, Fixture) {
    let app = spawn_app().await;
    let f = app.load_fixture().await;
    app.add_account("ganbu", AccessRole::Cadre, Scope::Own, Some(&f.zhang))
        .await;
    app.add_account(
        "zhenban",
        AccessRole::Office,
        Scope::Region("3509100".into()),
        None,
    )
    .await;
    app.add_account_with(
        "lingdao",
        vec![
            Grant {
                role: AccessRole::Leader,
                scope: Scope::Region("3509100".into()),
            },
            Grant {
                role: AccessRole::Leader,
                scope: Scope::Own,
            },
        ],
        Some(&f.li),
        false,
    )
    .await;
    app.add_account("ducha", AccessRole::Inspector, Scope::County, None)
        .await;
    app.add_account("zuzhibu", AccessRole::OrgDept, Scope::County, None)
        .await;
    // The names people see in histories and the menu.
    {
        use sea_orm::ConnectionTrait;
        let db = app.db().await;
        for (user, name) in [
            ("ganbu", "张三"),
            ("zhenban", "甲镇党政办"),
            ("lingdao", "李四"),
            ("ducha", "县委督查室"),
            ("zuzhibu", "县委组织部"),
            ("admin", "系统管理员"),
        ] {
            db.execute_unprepared(&format!(
                "UPDATE account SET display_name = '{name}' WHERE username = '{user}'"
            ))
            .await
            .expect("name the account");
        }
    }
    (app, f)
}

/// Pretends the phone has no signal (for the draft script), or has it back.
async fn set_online(b: &Browser, online: bool) {
    b.js(&format!(
        "Object.defineProperty(navigator, 'onLine', {{configurable: true, get: () => {online}}}); {}",
        if online {
            "window.dispatchEvent(new Event('online'));"
        } else {
            ""
        }
    ))
    .await;
}

async fn items_of(app: &TestApp, household: &str) -> Vec<String> {
    use lianxin::store::entities::ledger_item;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    ledger_item::Entity::find()
        .filter(ledger_item::Column::HouseholdCode.eq(household))
        .all(&app.db().await)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.matter)
        .collect()
}

#[tokio::test]
async fn a_cadre_loses_nothing_on_a_mistake_or_without_signal() {
    let (app, _) = county().await;
    let b = Browser::open(&app).await;
    b.login("ganbu").await;
    // A cadre starts on their own work, with the menu of their role only.
    assert_eq!(b.path().await, "/me");
    let menu = b.menu().await;
    assert!(menu.contains(&"记一笔".to_string()), "{menu:?}");
    for hidden in ["区划", "人员", "导入导出", "接口", "制度", "落实"] {
        assert!(!menu.iter().any(|m| m == hidden), "{hidden} in {menu:?}");
    }
    let me = b.wait_text("我联系的户").await;
    assert!(
        me.contains("王五户") && !me.contains("LH-2"),
        "names, not codes:\n{me}"
    );
    b.check("cadre-me").await;

    b.click_text("记一笔").await;
    b.find("form[data-draft]").await;
    b.check("cadre-record-form").await;
    // A household visit with no household ticked, and hours in words.
    b.fill("textarea[name=notes]", "了解春耕准备情况").await;
    b.fill("textarea[name=matter_text]", "村道路灯损坏").await;
    b.fill("input[name=hours]", "两小时").await;
    b.click("form[data-draft] button[type=submit]").await;
    let t = b.wait_text("请修改以下内容").await;
    assert!(t.contains("时长(小时)"), "{t}");
    // Everything typed is still there, in the form and in the draft.
    assert_eq!(b.value("textarea[name=notes]").await, "了解春耕准备情况");
    assert_eq!(b.value("textarea[name=matter_text]").await, "村道路灯损坏");
    let draft = b
        .js("return Object.keys(localStorage).filter(k => k.startsWith('lianxin-draft')).length")
        .await;
    assert_eq!(draft, json!(1), "the draft is kept");
    b.check("cadre-record-errors").await;
    // Hours fixed; still no household: refused by the server, text kept.
    b.fill("input[name=hours]", "").await;
    b.click("form[data-draft] button[type=submit]").await;
    let t = b.wait_text("入户走访须选择至少一户").await;
    assert!(
        t.contains("已填写的内容都保留着") || t.contains("请"),
        "{t}"
    );
    assert_eq!(b.value("textarea[name=notes]").await, "了解春耕准备情况");
    assert!(items_of(&app, "H001").await.len() == 2, "nothing new saved");

    // Two households visited, each matter under the household that raised it; sent without
    // signal, kept, and sent when the signal returns.
    b.click("input[name=targets][value=H001]").await;
    b.click("input[name=targets][value=H002]").await;
    let selects =
        b.c.find_all(Locator::Css("select[name=matter_household]"))
            .await
            .unwrap();
    let texts =
        b.c.find_all(Locator::Css("textarea[name=matter_text]"))
            .await
            .unwrap();
    assert!(selects.len() >= 2 && texts.len() >= 2);
    selects[0].select_by_value("H001").await.unwrap();
    selects[1].select_by_value("H002").await.unwrap();
    texts[1].send_keys("低保复核").await.unwrap();
    set_online(&b, false).await;
    b.click("form[data-draft] button[type=submit]").await;
    b.wait_text("草稿已保存在本机").await;
    b.check("cadre-record-offline").await;
    // The phone is put away and the page opened again: the draft comes back.
    b.go("/activities/new").await;
    let t = b.wait_text("已恢复上次未提交的草稿").await;
    assert!(t.contains("记一笔工作"), "{t}");
    assert_eq!(b.value("textarea[name=notes]").await, "了解春耕准备情况");
    set_online(&b, true).await;
    b.wait_path("saved=1").await;
    let t = b.wait_text("已保存。").await;
    assert!(t.contains("王五") && t.contains("赵六"), "{t}");
    b.check("cadre-record-saved").await;
    let gone = b
        .js("return Object.keys(localStorage).filter(k => k.startsWith('lianxin-draft')).length")
        .await;
    assert_eq!(gone, json!(0), "the draft is gone once saved");
    // Each matter is in the ledger of the household that raised it.
    assert!(
        items_of(&app, "H001")
            .await
            .contains(&"村道路灯损坏".into())
    );
    assert_eq!(items_of(&app, "H002").await, vec!["低保复核".to_string()]);
    // Households by their head's name; the cadre's own page with links by name.
    b.go("/households").await;
    let t = b.wait_text("王五户").await;
    assert!(!t.contains("H003"), "only the cadre's households:\n{t}");
    b.check("cadre-households").await;
    b.go("/me").await;
    b.click_text("查看全部落实情况").await;
    let t = b.wait_text("联系关系").await;
    assert!(t.contains("王五户") && t.contains("赵六户"), "{t}");
    b.check("cadre-person").await;
    // The cadre's record book says where each item stands, not the matter again.
    b.go("/books/record/me").await;
    let t = b.wait_text("联户工作记录本").await;
    assert!(t.contains("已登记（村级"), "{t}");
    b.check("cadre-record-book").await;
    b.done().await;
}

/// Registers a visit's matter for H001 through the API, as 张三's phone would.
async fn a_matter_from_a_visit(app: &TestApp, f: &Fixture, matter: &str) -> i64 {
    let cadre = app.login("ganbu", PASSWORD).await;
    let r = cadre
        .post(app.url("/api/v1/activities"))
        .json(&json!({
            "client_key": format!("k{}", uuid_like(matter)),
            "kind": "入户走访", "start_date": "2026-11-02",
            "participants": [f.zhang], "targets": ["H001"],
            "matters": [matter]
        }))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert!(status.is_success(), "{v}");
    v["items"][0].as_i64().expect("an item")
}

fn uuid_like(s: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    format!("{:016x}", h.finish())
}

#[tokio::test]
async fn a_matter_goes_through_the_town_office_to_the_residents_not_solved_and_back() {
    let (app, f) = county().await;
    let id = a_matter_from_a_visit(&app, &f, "村口桥面破损").await;

    // The town office sees the village's new item in its inbox and can act on it.
    let office = Browser::open(&app).await;
    office.login("zhenban").await;
    assert_eq!(office.path().await, "/inbox");
    let t = office.wait_text("下级在办").await;
    assert!(t.contains("村口桥面破损"), "{t}");
    office.check("office-inbox").await;
    office.go(&format!("/items/{id}")).await;
    let t = office.wait_text("办理").await;
    assert!(t.contains("交办") && t.contains("办结"), "{t}");
    office.check("office-item").await;
    // One step at a time; the picker starts empty and searches by name.
    office.click_text("交办").await;
    let picked = office.find("select[name=person_id]").await;
    assert_eq!(picked.prop("value").await.unwrap(), Some(String::new()));
    office.fill("form.search input[name=q]", "李").await;
    office.click("form.search button").await;
    office.wait_path("q=").await;
    office.wait_text("李四").await;
    office
        .find("select[name=person_id]")
        .await
        .select_by_label("李四 副镇长")
        .await
        .unwrap();
    office.check("office-assign").await;
    office.click("form.step button").await;
    office.wait_text("已交办").await;
    office.click_text("办结").await;
    office
        .fill("form.step textarea[name=note]", "已协调交通站修复桥面")
        .await;
    office.click("form.step button").await;
    office.wait_text("已办结").await;
    // The written reply: by name, to the household's head, with the resident's link.
    office.go(&format!("/items/{id}/doc/reply")).await;
    let t = office.wait_text("书面答复意见书").await;
    assert!(t.contains("王五："), "addressed to the head of H001:\n{t}");
    assert!(t.contains("甲镇乙村村民委员会"), "{t}");
    assert!(!t.contains("青山县村"), "{t}");
    let url = t
        .split_whitespace()
        .find(|w| w.contains("/fankui/"))
        .expect("the full link")
        .to_string();
    assert!(url.starts_with("http://"), "{url}");
    assert_eq!(
        office
            .js("return document.querySelectorAll('svg').length")
            .await,
        json!(1),
        "a QR code"
    );
    office.check("office-reply").await;

    // The office opening the resident's link is told it would be its own 代填.
    office.c.goto(&url).await.unwrap();
    office.wait_text("代填").await;

    // The resident, on their own phone, says it is not solved.
    let resident = Browser::open(&app).await;
    resident.c.goto(&url).await.unwrap();
    let t = resident.wait_text("问题解决了吗").await;
    assert!(
        t.contains("已协调交通站修复桥面") && !t.contains("代填"),
        "{t}"
    );
    resident.check("resident-answer").await;
    resident.click("input[value=未解决]").await;
    resident.click("form button").await;
    let t = resident.wait_text("谢谢您的反馈").await;
    assert!(t.contains("重新打开"), "{t}");
    assert!(t.contains("甲镇民情处理站"), "now at the town desk:\n{t}");
    assert!(
        !t.contains("已协调交通站修复桥面"),
        "the old result is gone:\n{t}"
    );
    resident.check("resident-reopened").await;
    // A wrong link says so plainly, without the staff login.
    resident
        .go("/fankui/0000000000000000000000000000dead")
        .await;
    let t = resident.wait_text("链接无效").await;
    assert!(!t.contains("登录"), "{t}");
    assert_eq!(
        resident.path().await,
        "/fankui/0000000000000000000000000000dead"
    );
    resident.done().await;

    // Back at the town desk: waiting for it, with a new deadline and the answer in history.
    office.go("/inbox").await;
    let t = office.wait_text("待我办理").await;
    let waiting = t
        .split("待我办理")
        .nth(1)
        .and_then(|s| s.split("已逾期").next())
        .unwrap_or_default();
    assert!(waiting.contains("村口桥面破损"), "{t}");
    office.go(&format!("/items/{id}")).await;
    let t = office.wait_text("办理经过").await;
    assert!(t.contains("未解决"), "{t}");
    assert!(t.contains("已上报") && t.contains("镇民情处理站"), "{t}");
    office.done().await;

    // The cadre still follows the household's item from /me, as a link.
    let cadre = Browser::open(&app).await;
    cadre.login("ganbu").await;
    cadre.wait_text("村口桥面破损").await;
    cadre.click(&format!("a[href='/items/{id}']")).await;
    cadre.wait_text("办理经过").await;
    cadre.check("cadre-item").await;
    cadre.done().await;

    // The inspector supervises; the town leader acts on a town-level item.
    let inspector = app.login("ducha", PASSWORD).await;
    let r = inspector
        .post(app.url(&format!("/api/v1/items/{id}/steps")))
        .json(&json!({"action": "supervise", "note": "限期办结", "deadline": "2026-12-31"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let leader = app.login("lingdao", PASSWORD).await;
    let r = leader
        .post(app.url(&format!("/api/v1/items/{id}/steps")))
        .json(&json!({"action": "resolve", "note": "镇里安排资金重建桥面"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

#[tokio::test]
async fn every_role_starts_on_its_page_and_errors_are_chinese_pages() {
    let (app, _) = county().await;
    let b = Browser::sized(&app, 1280, 900).await;
    // The login page shows no menu.
    b.go("/login").await;
    assert!(b.menu().await.is_empty());
    b.check("login").await;
    for (user, start, must, must_not) in [
        ("zhenban", "/inbox", "待办", "接口"),
        ("zuzhibu", "/compliance", "制度", "记一笔"),
        ("ducha", "/compliance", "待办", "导入导出"),
        ("lingdao", "/me", "记一笔", "导入导出"),
        ("admin", "/", "接口", "记一笔"),
    ] {
        b.js("document.cookie = 'lx_session=; Max-Age=0; path=/'")
            .await;
        b.login(user).await;
        assert_eq!(b.path().await, start, "{user}");
        let menu = b.menu().await;
        assert!(menu.iter().any(|m| m == must), "{user}: {menu:?}");
        assert!(!menu.iter().any(|m| m == must_not), "{user}: {menu:?}");
        if user != "admin" {
            b.check(&format!("start-{user}")).await;
        }
        if user == "zuzhibu" {
            // The policy page in Chinese; the file itself only when asked for.
            b.go("/compliance/policy").await;
            b.wait_text("修改制度文件").await;
            b.check("policy").await;
            // Saved unchanged, dated from 1 July: the page says from when, and lists it.
            b.js("document.querySelector('details').open = true; document.querySelector('input[name=from]').value = '2026-07-01';")
                .await;
            b.click_text("检查并保存生效").await;
            let t = b.wait_text("已保存为第1版").await;
            assert!(t.contains("自2026-07-01起生效"), "{t}");
            assert!(t.contains("历次保存的版本（1）"), "{t}");
            b.check("policy-saved").await;
        }
    }
    // An unknown address: a Chinese page with the menu and a way back.
    b.go("/no-such-page").await;
    let t = b.wait_text("找不到这个页面").await;
    assert!(t.contains("返回首页"), "{t}");
    assert!(!b.menu().await.is_empty());
    // A boosted click on a forbidden page shows the error instead of nothing.
    b.js("document.cookie = 'lx_session=; Max-Age=0; path=/'")
        .await;
    b.login("ducha").await;
    b.js("var a = document.createElement('a'); a.id = 'x'; a.href = '/import'; a.textContent = 'x'; document.querySelector('main').appendChild(a); htmx.process(a); a.click();")
        .await;
    let t = b.wait_text("无权访问").await;
    assert!(t.contains("您的角色无权"), "{t}");
    b.check("forbidden").await;
    b.done().await;
}

#[tokio::test]
async fn the_organisation_department_takes_its_report_home() {
    let (app, _) = county().await;
    let b = Browser::open(&app).await;
    b.login("zuzhibu").await;
    b.fill("input[name=year]", "2026").await;
    b.fill("input[name=as_of]", "").await;
    b.js("document.querySelector('input[name=as_of]').value = '2026-11-15'")
        .await;
    b.click("form.filters button").await;
    b.wait_path("as_of=2026-11-15").await;
    let t = b.wait_text("截至 2026-11-15").await;
    assert!(t.contains("下载完整报表"), "{t}");
    b.check("compliance-overview").await;
    let href = b
        .find("a[href*='/compliance/report'][href*='xlsx']")
        .await
        .attr("href")
        .await
        .unwrap()
        .expect("a download link");
    assert!(href.contains("as_of=2026-11-15"), "{href}");
    // The link answers the workbook, for the session that sees it.
    let cookie =
        b.c.get_all_cookies()
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.name() == "lx_session")
            .expect("session");
    let r = plain_client()
        .get(app.url(&href))
        .header("cookie", format!("lx_session={}", cookie.value()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK", "an .xlsx file");
    // Towns side by side, behind first.
    b.click_text("比较各镇").await;
    let t = b.wait_text("各镇（街道）落实情况").await;
    assert!(t.contains("甲镇") && t.contains("丙镇"), "{t}");
    b.check("compliance-compare").await;
    b.done().await;
}

#[tokio::test]
async fn an_import_filled_as_excel_fills_it_names_the_scientific_notation() {
    let app = spawn_app().await;
    // The template keeps ID numbers as text and offers the coded columns as lists.
    let r = app.get("/templates/people").await;
    assert_eq!(r.status(), 200);
    let template = r.bytes().await.unwrap().to_vec();
    let sheets = unzip_text(&template);
    assert!(sheets.contains("<dataValidation"), "drop-down lists");
    assert!(sheets.contains("numFmtId=\"49\""), "text columns");
    assert!(sheets.contains("示例"), "an example sheet");
    // A regions file, then people as Excel would fill them: the ID number typed as a number.
    let regions = app.path("区划.csv");
    std::fs::write(
        &regions,
        "区划代码,名称,层级,上级代码,标签\n3509,青山县,县,,\n3509100,甲镇,镇,3509,\n",
    )
    .unwrap();
    let units = app.path("单位.csv");
    std::fs::write(
        &units,
        "单位代码,单位名称,类型,所属区划\nT1,甲镇党委政府,镇党委政府,3509100\n",
    )
    .unwrap();
    let people = app.path("人员.xlsx");
    {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["身份证号", "姓名", "手机号", "单位代码", "角色"]
            .iter()
            .enumerate()
        {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_number(1, 0, 350425196102110013u64 as f64).unwrap();
        ws.write_string(1, 1, "张三").unwrap();
        ws.write_number(1, 2, 13905991234u64 as f64).unwrap();
        ws.write_string(1, 3, "T1").unwrap();
        ws.write_string(1, 4, "党员").unwrap();
        ws.write_string(2, 0, &id("35099919850202002")).unwrap();
        ws.write_string(2, 1, "李四").unwrap();
        ws.write_string(2, 3, "T9").unwrap();
        wb.save(&people).unwrap();
    }
    let b = Browser::sized(&app, 1280, 900).await;
    b.login("admin").await;
    b.go("/import").await;
    let t = b.wait_text("导入顺序").await;
    assert!(t.contains("区划 → 单位 → 人员"), "{t}");
    b.check("import").await;
    for (kind, file) in [("regions", &regions), ("units", &units)] {
        b.go("/import").await;
        b.find("select[name=kind]")
            .await
            .select_by_value(kind)
            .await
            .unwrap();
        b.find("input[type=file]")
            .await
            .send_keys(&file.display().to_string())
            .await
            .unwrap();
        b.click("form[action='/import'] button").await;
        b.click_text("确认导入").await;
        b.wait_text("导入完成").await;
        // The confirmation says what was written: two regions, then one unit.
        let created = b.find("td[data-label='新增']").await.text().await.unwrap();
        assert_eq!(created, if kind == "regions" { "2" } else { "1" }, "{kind}");
        if kind == "regions" {
            b.check("import-done").await;
        }
    }
    b.go("/import").await;
    b.find("select[name=kind]")
        .await
        .select_by_value("people")
        .await
        .unwrap();
    b.find("input[type=file]")
        .await
        .send_keys(&people.display().to_string())
        .await
        .unwrap();
    b.click("form[action='/import'] button").await;
    let t = b.wait_text("科学计数法").await;
    // Every error of the file in one round: the mangled ID, the missing one, the unknown unit.
    assert!(t.contains("身份证号被Excel转成了科学计数法"), "{t}");
    assert!(t.contains("T9"), "{t}");
    assert!(!t.contains("校验位"), "no blame on the check digit:\n{t}");
    b.check("import-errors").await;
    b.done().await;
    // On a phone: the streamed check and import pages fit the screen; the same regions again
    // are checked and written as unchanged.
    let b = Browser::open(&app).await;
    b.login("admin").await;
    b.go("/import").await;
    b.find("input[type=file]")
        .await
        .send_keys(&regions.display().to_string())
        .await
        .unwrap();
    b.click("form[action='/import'] button").await;
    let t = b.wait_text("确认导入").await;
    assert!(t.contains("共 2 行，已检查 2 行（已完成）"), "{t}");
    b.check("import-checked-phone").await;
    b.click_text("确认导入").await;
    let t = b.wait_text("导入完成").await;
    assert!(t.contains("已处理 2 行"), "{t}");
    b.check("import-done-phone").await;
    b.done().await;
}

/// The XML parts of an .xlsx, concatenated (enough to look for a tag).
fn unzip_text(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut archive = calamine_zip(bytes);
    for i in 0..archive.len() {
        if let Ok(mut f) = archive.by_index(i) {
            let mut s = String::new();
            if std::io::Read::read_to_string(&mut f, &mut s).is_ok() {
                out.push_str(&s);
            }
        }
    }
    out
}

fn calamine_zip(bytes: &[u8]) -> zip::ZipArchive<std::io::Cursor<Vec<u8>>> {
    zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a zip file")
}

/// A village cadre names a cadre of another town on a visit: the record is saved at once, the
/// other cadre finds it on his phone's start page and confirms it, and only then is it in his
/// record book; the author reads it back without learning who he is.
#[tokio::test]
async fn a_visit_naming_someone_beyond_reach_counts_once_they_confirm() {
    let (app, f) = county().await;
    app.add_account("sunjiu", AccessRole::Cadre, Scope::Own, Some(&f.sun))
        .await;
    let b = Browser::open(&app).await;
    b.login("ganbu").await;
    b.go("/activities/new").await;
    b.fill("input[name=participants]", &f.sun).await;
    b.click("input[name=targets][value=H001]").await;
    b.fill("textarea[name=notes]", "和丙镇的同志一起看望王五")
        .await;
    b.click("form[data-draft] button[type=submit]").await;
    let t = b.wait_text("待本人确认").await;
    assert!(
        t.contains("已保存") && t.contains("确认后才计入其工作"),
        "{t}"
    );
    assert!(
        !t.contains("随行人员"),
        "no warning that does not apply: {t}"
    );
    assert!(!t.contains("孙九"), "{t}");
    let record = b.path().await;
    b.check("invited-record").await;

    b.js("document.cookie = 'lx_session=; Max-Age=0; path=/'")
        .await;
    b.login("sunjiu").await;
    assert_eq!(b.path().await, "/me");
    b.go("/books/record/me").await;
    assert!(!b.text().await.contains("和丙镇的同志一起看望王五"));
    b.go("/me").await;
    let t = b.wait_text("请您确认").await;
    assert!(
        t.contains("记录人 张三") && t.contains("和丙镇的同志一起看望王五"),
        "{t}"
    );
    b.check("invitation").await;
    b.click_text("是我参加的").await;
    let t = b.wait_text("已确认").await;
    assert!(!t.contains("请您确认"), "{t}");
    b.go("/books/record/me").await;
    b.wait_text("和丙镇的同志一起看望王五").await;

    b.js("document.cookie = 'lx_session=; Max-Age=0; path=/'")
        .await;
    b.login("ganbu").await;
    b.go(&record).await;
    let t = b.wait_text("范围外人员").await;
    assert!(!t.contains("孙九") && !t.contains("待本人确认："), "{t}");
    assert!(t.contains("参加人确认"), "{t}");
    b.check("confirmed-record").await;
    b.done().await;
}

/// The town office prints 乙村's cards and marks one delivered; a resident scans the card on a
/// 400 px phone, reports a matter, and the office finds it in its inbox.
#[tokio::test]
async fn a_card_is_printed_delivered_and_a_resident_reports_through_it() {
    let (app, _) = county().await;
    let b = Browser::open(&app).await;
    b.login("zhenban").await;
    assert!(b.menu().await.iter().any(|m| m == "连心卡"));
    b.go("/cards").await;
    let t = b.wait_text("未印制").await;
    assert!(t.contains("王五") && t.contains("张三"), "{t}");
    b.check("cards-office").await;
    // The web print: every card with its QR code, no English.
    b.click_text("网页打印").await;
    let t = b.wait_text("扫码反映问题").await;
    assert!(
        t.contains("连心亲情卡") && t.contains("联户干部：张三"),
        "{t}"
    );
    let qr = b
        .js("return document.querySelectorAll('.lxk svg').length")
        .await;
    assert_eq!(qr, json!(2));
    b.check("cards-print").await;
    // Back on the list: the cards wait for delivery; 王五's is ticked as delivered today.
    b.go("/cards").await;
    b.wait_text("待送达").await;
    b.click("input[name=codes][value=H001]").await;
    b.click_text("登记所勾选的卡已送达").await;
    let t = b.wait_text("已登记 1 张卡送达").await;
    assert!(t.contains("已送达"), "{t}");
    b.check("cards-delivered").await;
    b.done().await;

    // The resident: no login, large type, the phone's width.
    let secret = card_secret(&app, "H001").await;
    let r = Browser::open(&app).await;
    r.go(&format!("/k/{secret}")).await;
    let t = r.wait_text("为您服务").await;
    assert!(t.contains("张三") && t.contains("13812345678"), "{t}");
    assert!(r.menu().await.is_empty(), "a resident sees no staff menu");
    let size = r
        .js("return parseFloat(getComputedStyle(document.body).fontSize)")
        .await;
    assert!(size.as_f64().unwrap_or(0.0) >= 18.0, "large type: {size}");
    r.check("resident-home").await;
    // Sent empty, the page says what is missing and keeps the page.
    r.js("document.querySelector('#matter').removeAttribute('required')")
        .await;
    r.click_text("提交").await;
    r.wait_text("请写下您要反映的事情").await;
    r.fill("#matter", "家门口的水渠堵了，下雨就漫到屋里").await;
    r.click_text("提交").await;
    let t = r.wait_text("已经收到您反映的问题").await;
    assert!(
        t.contains("家门口的水渠堵了") && t.contains("已登记"),
        "{t}"
    );
    r.check("resident-reported").await;
    r.done().await;

    // The next person: the town office sees it among its villages' items.
    let b = Browser::open(&app).await;
    b.login("zhenban").await;
    b.go("/inbox").await;
    let t = b.wait_text("家门口的水渠堵了").await;
    // The visit's two matters and the resident's own report, waiting at the village.
    assert!(t.contains("下级在办（可交办、办结、督办）（3）"), "{t}");
    b.check("cards-inbox").await;
    // The office's check of the records: nothing suspicious in the fixture.
    b.go("/integrity").await;
    b.wait_text("没有发现可疑的记录").await;
    b.check("integrity").await;
    b.done().await;

    // The cadre sees where the cards of his own households stand, and cannot print or mark.
    let g = Browser::open(&app).await;
    g.login("ganbu").await;
    assert!(g.menu().await.iter().any(|m| m == "连心卡"));
    g.go("/cards").await;
    let t = g.wait_text("我的联系户").await;
    assert!(
        t.contains("王五") && t.contains("已送达") && t.contains("待送达"),
        "{t}"
    );
    assert!(!t.contains("打印") && !t.contains("登记所勾选"), "{t}");
    g.check("cards-cadre").await;
    g.go("/cards/print?region=3509100200").await;
    g.wait_text("无权").await;
    g.done().await;
}

/// Ticks the first choice of every question on the page (as a person taps them).
async fn answer_all(b: &Browser, value: &str) {
    let names = b
        .js(&format!(
            "return Array.from(new Set(Array.from(document.querySelectorAll('input[type=radio][value={value}]')).map(r => r.name)))"
        ))
        .await;
    for n in names.as_array().cloned().unwrap_or_default() {
        let n = n.as_str().unwrap_or_default().to_string();
        b.click(&format!("input[name={n}][value={value}]")).await;
    }
}

#[tokio::test]
async fn a_survey_is_run_answered_by_phone_and_on_the_card_then_spot_checks_and_the_assessment() {
    let (app, _) = county().await;
    // The organisation department starts the year's survey.
    let b = Browser::open(&app).await;
    b.login("zuzhibu").await;
    assert!(b.menu().await.iter().any(|m| m == "民意调查"));
    b.go("/surveys").await;
    b.wait_text("开展新的调查").await;
    b.check("survey-index").await;
    b.fill("input[name=name]", "2026年度民意调查").await;
    b.click_text("按名册抽样并开始调查").await;
    let t = b.wait_text("抽中户数").await;
    assert!(t.contains("进行中") && t.contains("联户干部 2"), "{t}");
    b.check("survey-show").await;
    let survey = b.path().await;
    b.done().await;

    // The town office calls its drawn households: 王五 and 赵六 of 甲镇, not 钱七 of 丙镇.
    let b = Browser::open(&app).await;
    b.login("zhenban").await;
    b.go(&format!("{survey}/calls")).await;
    let t = b.wait_text("访问名单").await;
    assert!(
        t.contains("王五") && t.contains("赵六") && !t.contains("钱七"),
        "{t}"
    );
    b.check("survey-calls").await;
    b.click_text("王五").await;
    let t = b.wait_text("县民意调查").await;
    assert!(!t.contains("13700001111"), "masked until asked: {t}");
    b.click_text("显示电话").await;
    b.wait_text("13700001111").await;
    b.check("survey-household").await;
    answer_all(&b, "satisfied").await;
    b.click_text("保存答卷").await;
    let t = b.wait_text("答卷已保存").await;
    assert!(t.contains("：满意（电话访问）"), "{t}");
    b.check("survey-answered").await;
    b.done().await;

    // 赵六 answers on the page behind the household's card.
    print_village(&app, &app.client).await;
    let secret = card_secret(&app, "H002").await;
    let r = Browser::open(&app).await;
    r.go(&format!("/k/{secret}")).await;
    r.wait_text("被随机抽中").await;
    answer_all(&r, "basically_satisfied").await;
    r.check("resident-survey").await;
    r.click_text("提交答卷").await;
    let t = r.wait_text("谢谢您参加民意调查").await;
    assert!(!t.contains("被随机抽中"), "nothing left to answer: {t}");
    r.done().await;

    // Closed, the results can be read.
    let b = Browser::open(&app).await;
    b.login("zuzhibu").await;
    b.go(&survey).await;
    b.click_text("结束调查（之后不再收答卷，结果可以查看）")
        .await;
    b.wait_text("调查已结束").await;
    b.click_text("查看结果").await;
    let t = b.wait_text("满意率").await;
    assert!(t.contains("县公安局") && t.contains("样本不足"), "{t}");
    b.check("survey-results").await;
    b.done().await;

    // The town office draws a spot check of its records and records what a call found.
    let b = Browser::open(&app).await;
    b.login("zhenban").await;
    assert!(b.menu().await.iter().any(|m| m == "抽查"));
    b.go("/spot-checks").await;
    b.wait_text("抽一轮").await;
    b.check("spot-checks").await;
    b.click_text("随机抽取").await;
    let t = b.wait_text("待核实1条").await;
    assert!(t.contains("入户走访") && t.contains("王五户"), "{t}");
    b.click("input[name=method][value=phone]").await;
    b.click("input[name=outcome][value=confirmed]").await;
    b.click_text("保存核实结果").await;
    let t = b.wait_text("待核实0条").await;
    assert!(t.contains("核实：属实"), "{t}");
    b.check("spot-check-round").await;
    // The assessment of its cadres: 张三 (李四 links no household).
    b.go("/assessment").await;
    let t = b.wait_text("联户干部（").await;
    assert!(t.contains("张三") && t.contains("按单位"), "{t}");
    b.check("assessment").await;
    b.done().await;

    // A household-linking cadre has none of these.
    let g = Browser::open(&app).await;
    g.login("ganbu").await;
    let menu = g.menu().await;
    assert!(
        !menu
            .iter()
            .any(|m| ["民意调查", "抽查", "考核"].contains(&m.as_str())),
        "{menu:?}"
    );
    g.go("/surveys").await;
    g.wait_text("无权").await;
    g.done().await;
}

#[tokio::test]
async fn a_town_plans_its_reception_rota_and_residents_read_it_on_a_phone() {
    let (app, _) = county().await;
    let b = Browser::open(&app).await;
    b.login("zhenban").await;
    assert!(b.menu().await.iter().any(|m| m == "排班"));
    b.go("/rotas").await;
    b.wait_text("排一份").await;
    b.check("rotas").await;
    // 乡镇（街道）领导每日接访 for 甲镇 over a week of January.
    b.js("document.querySelector('select[name=rule]').value = 'XF-4'")
        .await;
    b.js("document.querySelector('select[name=scope]').value = '3509100'")
        .await;
    b.js("document.querySelector('input[name=from]').value = '2027-01-04'")
        .await;
    b.js("document.querySelector('input[name=to]').value = '2027-01-10'")
        .await;
    b.click_text("开始排班").await;
    let t = b.wait_text("调换所选甲、乙两个班次的人员").await;
    assert!(t.contains("李四") && t.contains("2027-01-04"), "{t}");
    b.check("rota-show").await;
    b.done().await;

    // A resident's phone, no login: who receives the public, where, and whom to call.
    let r = Browser::open(&app).await;
    r.go("/rota/3509100").await;
    let t = r.wait_text("公开排班表").await;
    assert!(
        t.contains("乡镇（街道）领导每日接访")
            && t.contains("李四")
            && t.contains("乡镇（街道）群众接待室"),
        "{t}"
    );
    assert!(r.menu().await.is_empty());
    r.check("rota-public").await;
    r.go("/rota/999").await;
    r.wait_text("没有这个地方的排班表").await;
    r.done().await;
}

#[tokio::test]
async fn a_town_office_records_a_decision_and_its_consultations_on_a_phone() {
    let (app, _) = county().await;
    let b = Browser::open(&app).await;
    b.login("zhenban").await;
    assert!(b.menu().await.iter().any(|m| m == "三问决策"));
    b.go("/decisions?year=2026").await;
    b.wait_text("登记一项重大决策").await;
    b.fill("input[name=title]", "甲镇集镇污水管网改造").await;
    b.js("document.querySelector('input[name=decided_on]').value = '2026-04-08'")
        .await;
    b.click_text("登记决策").await;
    let t = b.wait_text("甲镇集镇污水管网改造").await;
    assert!(
        t.contains("甲镇党委政府") && t.contains("实施中") && t.contains("事前问需"),
        "{t}"
    );
    // The consultation before: who was asked, what they said, what changed.
    b.js("document.querySelector('details').open = true").await;
    b.click("input[name=stage][value=before]").await;
    b.js("document.querySelector('input[name=held_on]').value = '2026-03-20'")
        .await;
    b.fill("input[name=asked]", "集镇居民和商户代表40人").await;
    b.fill("textarea[name=said]", "希望先改主街").await;
    b.fill("textarea[name=changed]", "主街段提前到第一期").await;
    b.click_text("保存征询记录").await;
    let t = b.wait_text("希望先改主街").await;
    assert!(
        t.contains("尚缺：事中问计事后问效")
            || (t.contains("事中问计") && !t.contains("三次征询都已登记")),
        "{t}"
    );
    b.check("decisions").await;
    b.done().await;

    // The next person: the organisation department sees the town's decision and what it lacks.
    let o = Browser::open(&app).await;
    o.login("zuzhibu").await;
    o.go("/decisions?year=2026").await;
    let t = o.wait_text("甲镇集镇污水管网改造").await;
    assert!(t.contains("集镇居民和商户代表40人"), "{t}");
    o.done().await;
    // A cadre has no such page.
    let c = Browser::open(&app).await;
    c.login("ganbu").await;
    assert!(!c.menu().await.iter().any(|m| m == "三问决策"));
    c.done().await;
}

#[tokio::test]
async fn a_town_office_runs_a_community_project_and_a_proposal_on_a_phone() {
    let (app, _) = county().await;
    crate::community::community_and_office(&app).await;
    let b = Browser::open(&app).await;
    b.login("zhenban").await;
    let menu = b.menu().await;
    assert!(
        menu.iter().any(|m| m == "服务项目") && menu.iter().any(|m| m == "议案建议"),
        "{menu:?}"
    );
    // The community's need, claimed by the unit reported there, completed, confirmed.
    b.go("/projects?year=2026").await;
    b.wait_text("登记社区需求").await;
    b.js("document.querySelector('select[name=region_code]').value = '3509100300'")
        .await;
    b.fill("input[name=title]", "老旧楼道照明改造").await;
    b.fill("textarea[name=need]", "3栋老楼楼道没有灯").await;
    b.js("document.querySelector('input[name=listed_on]').value = '2026-03-01'")
        .await;
    b.click_text("登记需求").await;
    let t = b.wait_text("待认领").await;
    assert!(t.contains("城关社区") && t.contains("县公安局"), "{t}");
    b.js("document.querySelector('input[name=claimed_on]').value = '2026-03-05'")
        .await;
    b.click_text("认领").await;
    b.wait_text("认领单位：县公安局").await;
    b.js("document.querySelector('details').open = true").await;
    b.js("document.querySelector('input[name=completed_on]').value = '2026-05-20'")
        .await;
    b.fill("input[name=took_part]", "机关党员12人").await;
    b.fill("textarea[name=outcome]", "装灯36盏").await;
    b.click_text("保存完成情况").await;
    b.wait_text("已完成待社区确认").await;
    b.js("document.querySelector('details').open = true").await;
    b.js("document.querySelector('input[name=confirmed_on]').value = '2026-05-25'")
        .await;
    b.fill("textarea[name=confirmation]", "居民代表验收，楼道亮了")
        .await;
    b.click_text("确认完成").await;
    let t = b.wait_text("社区已确认").await;
    assert!(
        t.contains("居民代表验收，楼道亮了") && t.contains("装灯36盏"),
        "{t}"
    );
    b.check("projects").await;

    // A proposal of 甲镇党建办, forwarded to 县公安局 and answered.
    b.go("/proposals?year=2026").await;
    b.wait_text("登记议案建议").await;
    b.fill("input[name=meeting]", "甲镇第十五次党代会").await;
    b.click("input[name=kind][value=suggestion]").await;
    b.fill("input[name=title]", "集镇停车难").await;
    b.fill(
        "textarea[name=content]",
        "赶集日车辆乱停，建议划定临时停车区",
    )
    .await;
    b.fill("input[name=raised_by]", "李四等3名党代表").await;
    b.js("document.querySelector('input[name=submitted_on]').value = '2026-03-02'")
        .await;
    b.click_text("登记").await;
    let t = b.wait_text("待交办").await;
    assert!(
        t.contains("建议：集镇停车难") && t.contains("甲镇党建办"),
        "{t}"
    );
    b.js("document.querySelector('select[name=to_unit]').value = 'D1'")
        .await;
    b.js("document.querySelector('input[name=forwarded_on]').value = '2026-03-10'")
        .await;
    b.click_text("交办").await;
    let t = b.wait_text("答复期限 2026-06-08").await;
    assert!(t.contains("承办单位：县公安局"), "{t}");
    b.js("document.querySelector('details').open = true").await;
    b.js("document.querySelector('input[name=answered_on]').value = '2026-05-30'")
        .await;
    b.fill("textarea[name=answer]", "已划定临时停车区两处")
        .await;
    b.click_text("保存答复").await;
    let t = b.wait_text("已划定临时停车区两处").await;
    assert!(t.contains("已答复"), "{t}");
    b.check("proposals").await;
    b.done().await;

    // The next person: the organisation department sees both; a cadre has neither menu.
    let o = Browser::open(&app).await;
    o.login("zuzhibu").await;
    o.go("/proposals?year=2026").await;
    o.wait_text("集镇停车难").await;
    o.go("/projects?year=2026").await;
    o.wait_text("老旧楼道照明改造").await;
    o.done().await;
    let c = Browser::open(&app).await;
    c.login("ganbu").await;
    let menu = c.menu().await;
    assert!(
        !menu.iter().any(|m| m == "服务项目" || m == "议案建议"),
        "{menu:?}"
    );
    c.done().await;
}

/// Issue 18's last pieces on a phone: a cadre records the aid given on a condolence visit (a
/// wrong kind or a value without what was given is refused, nothing typed lost), and it shows
/// on the household's page; the town office sees its representatives' working group with its
/// convener and records that a representative's contact details were published.
#[tokio::test]
async fn aid_on_a_condolence_visit_and_a_representatives_contact_published_on_a_phone() {
    let (app, f) = county().await;
    let (a, b_id) = (id("35099919800101101"), id("35099919800101102"));
    for (kind, file, body) in [
        (
            "units",
            "units.csv",
            "单位代码,单位名称,类型,所属区划,上级单位,标签,监督电话\nG1,甲镇第一党代表工作小组,党代表工作小组,3509100,,,\n".to_string(),
        ),
        (
            "people",
            "people.csv",
            format!(
                "身份证号,姓名,单位代码,角色,所属区划\n{a},钱代表,T1,镇党代表、党代表工作小组召集人,3509100\n{b_id},孙代表,T1,镇党代表,3509100\n"
            ),
        ),
        (
            "links",
            "links.csv",
            format!(
                "年度,干部身份证号,单位代码,关系类型,对象代码\n2026,{a},,工作小组成员,G1\n2026,{b_id},,工作小组成员,G1\n"
            ),
        ),
    ] {
        let r = app.import(kind, file, body).await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }
    let _ = f;
    let b = Browser::open(&app).await;
    b.login("ganbu").await;
    b.go("/activities/new").await;
    b.js("document.querySelector('select[name=kind]').value = 'household_visit'")
        .await;
    b.click("input[name=targets][value=H001]").await;
    b.fill("textarea[name=notes]", "春节前看望王五一家").await;
    b.fill("input[name=aid]", "慰问金").await;
    b.fill("input[name=aid_value]", "500").await;
    b.click("form[data-draft] button[type=submit]").await;
    let t = b.wait_text("请修改以下内容").await;
    assert!(t.contains("只有“走访慰问”记录可填写慰问物资"), "{t}");
    assert_eq!(b.value("input[name=aid]").await, "慰问金");
    assert_eq!(b.value("textarea[name=notes]").await, "春节前看望王五一家");
    b.js("document.querySelector('select[name=kind]').value = 'condolence_visit'")
        .await;
    b.click("form[data-draft] button[type=submit]").await;
    let t = b.wait_text("已保存。").await;
    assert!(t.contains("慰问金（价值500元）"), "{t}");
    b.check("condolence-aid").await;
    b.go("/households/H001").await;
    let t = b.wait_text("走访和工作记录").await;
    assert!(t.contains("慰问金（价值500元）"), "{t}");

    b.js("document.cookie = 'lx_session=; Max-Age=0; path=/'")
        .await;
    b.login("zhenban").await;
    assert!(b.menu().await.iter().any(|m| m == "党代表"));
    b.go("/representatives?year=2026").await;
    let t = b.wait_text("甲镇第一党代表工作小组").await;
    assert!(
        t.contains("召集人：钱代表") && t.contains("孙代表") && t.contains("未公开2人"),
        "{t}"
    );
    // Without where it was published: refused, the choice kept.
    let sun = person_id(&app, "孙代表").await;
    b.js(&format!(
        "document.querySelector('select[name=person_id]').value = '{sun}'"
    ))
    .await;
    b.js("document.querySelector('input[name=published_on]').value = '2026-03-02'")
        .await;
    b.js("document.querySelector('input[name=place]').removeAttribute('required')")
        .await;
    b.click_text("保存").await;
    let t = b.wait_text("公开的地方").await;
    assert!(t.contains("不能为空"), "{t}");
    assert_eq!(b.value("select[name=person_id]").await, sun.to_string());
    b.fill("input[name=place]", "党代表工作室公示栏").await;
    b.click_text("保存").await;
    let t = b.wait_text("已记录孙代表的联系方式公开").await;
    assert!(
        t.contains("2026-03-02 党代表工作室公示栏") && t.contains("未公开1人"),
        "{t}"
    );
    b.check("representatives").await;
    b.done().await;
}

#[tokio::test]
async fn a_town_office_registers_a_matter_on_a_phone_and_a_mistake_keeps_what_was_typed() {
    let (app, _) = county().await;
    let b = Browser::open(&app).await;
    b.login("zhenban").await;
    b.go("/items/new").await;
    b.wait_text("登记事项").await;
    b.check("office-register-form").await;
    b.fill("input[name=household_code]", "H001").await;
    b.fill("input[name=resident_name]", "王五").await;
    b.fill("input[name=resident_phone]", "12345").await;
    b.fill("textarea[name=matter]", "村口桥梁护栏松动").await;
    b.click("form[action='/items/new'] button").await;
    // A wrong phone number: refused with the field named (the form's own label has no
    // colon: waiting for it would not wait for the answer), everything typed still there.
    let t = b.wait_text("联系电话：").await;
    assert!(t.contains("11位"), "{t}");
    assert_eq!(b.value("textarea[name=matter]").await, "村口桥梁护栏松动");
    assert_eq!(b.value("input[name=household_code]").await, "H001");
    assert!(
        !items_of(&app, "H001")
            .await
            .contains(&"村口桥梁护栏松动".to_string()),
        "nothing saved"
    );
    b.check("office-register-error").await;
    b.fill("input[name=resident_phone]", "13800138000").await;
    b.click("form[action='/items/new'] button").await;
    // Saved once, and the item's page shows it with the household by its head's name.
    b.wait_path("done=register").await;
    let t = b.wait_text("村口桥梁护栏松动").await;
    assert!(t.contains("王五"), "{t}");
    b.check("office-register-saved").await;
    let saved = items_of(&app, "H001").await;
    assert_eq!(
        saved.iter().filter(|m| *m == "村口桥梁护栏松动").count(),
        1,
        "{saved:?}"
    );
    // The office's inbox lists it.
    b.go("/inbox").await;
    b.wait_text("村口桥梁护栏松动").await;
    let shown = b
        .js("const a = [...document.querySelectorAll('a')].find(a => a.textContent.includes('村口桥梁护栏松动')); if (a) a.scrollIntoView(); return !!a")
        .await;
    assert_eq!(shown, json!(true), "a link to the item in the inbox");
    b.check("office-register-inbox").await;
    b.done().await;
}
