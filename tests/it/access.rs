//! Accounts, roles and scopes: who may read and change what, across two towns.

use crate::helpers::*;
use lianxin::domain::access::{AccessRole as R, Grant, Scope};
use reqwest::StatusCode;

const JIA: &str = "3509100"; // 甲镇: H001, H002; 张三, 李四
const BING: &str = "3509101"; // 丙镇: H003; 孙九

/// Every role of issue 3, each with its scope, logged in.
async fn matrix(app: &TestApp, f: &Fixture) -> Vec<(&'static str, reqwest::Client)> {
    let accounts: Vec<(&str, Vec<Grant>, Option<&str>)> = vec![
        (
            "org",
            vec![Grant {
                role: R::OrgDept,
                scope: Scope::County,
            }],
            None,
        ),
        (
            "office",
            vec![Grant {
                role: R::Office,
                scope: Scope::Region(JIA.into()),
            }],
            None,
        ),
        (
            "leader",
            vec![Grant {
                role: R::Leader,
                scope: Scope::Region(JIA.into()),
            }],
            Some(f.li.as_str()),
        ),
        (
            "cadre",
            vec![Grant {
                role: R::Cadre,
                scope: Scope::Own,
            }],
            Some(f.zhang.as_str()),
        ),
        (
            "vcadre",
            vec![Grant {
                role: R::VillageCadre,
                scope: Scope::Region("3509101200".into()),
            }],
            Some(f.sun.as_str()),
        ),
        (
            "rep",
            vec![Grant {
                role: R::Representative,
                scope: Scope::Region(BING.into()),
            }],
            None,
        ),
        (
            "inspector",
            vec![Grant {
                role: R::Inspector,
                scope: Scope::Region(JIA.into()),
            }],
            None,
        ),
    ];
    let mut out = vec![("admin", app.client.clone())];
    for (name, grants, person) in accounts {
        app.add_account_with(name, grants, person, false).await;
        out.push((name, app.login(name, PASSWORD).await));
    }
    out
}

async fn status(c: &reqwest::Client, app: &TestApp, method: &str, path: &str) -> StatusCode {
    let req = match method {
        "POST" => c.post(app.url(path)),
        _ => c.get(app.url(path)),
    };
    req.send().await.unwrap().status()
}

#[tokio::test]
async fn each_role_reads_only_its_scope_and_forbidden_writes_change_nothing() {
    let app = spawn_app().await;
    let f = app.load_fixture().await;
    let clients = matrix(&app, &f).await;
    let ids = {
        let all = app.get_json("/api/v1/people").await;
        let find = |name: &str| {
            all["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .unwrap()["id"]
                .as_i64()
                .unwrap()
        };
        [find("张三"), find("李四"), find("孙九")]
    };
    // Expected visibility: households H001 H002 H003, then people 张三 李四 孙九.
    let expect: &[(&str, [bool; 3], [bool; 3])] = &[
        ("admin", [true, true, true], [true, true, true]),
        ("org", [true, true, true], [true, true, true]),
        ("office", [true, true, false], [true, true, false]),
        ("leader", [true, true, false], [true, true, false]),
        ("cadre", [true, true, false], [true, false, false]),
        ("vcadre", [false, false, true], [false, false, true]),
        ("rep", [false, false, true], [false, false, true]),
        ("inspector", [true, true, false], [true, true, false]),
    ];
    for (name, households, people) in expect {
        let c = &clients.iter().find(|(n, _)| n == name).unwrap().1;
        for (code, visible) in ["H001", "H002", "H003"].iter().zip(households) {
            let want = if *visible { 200 } else { 404 };
            assert_eq!(
                status(c, &app, "GET", &format!("/api/v1/households/{code}")).await,
                want,
                "{name} API {code}"
            );
            assert_eq!(
                status(c, &app, "GET", &format!("/households/{code}")).await,
                want,
                "{name} page {code}"
            );
        }
        for (id, visible) in ids.iter().zip(people) {
            let want = if *visible { 200 } else { 404 };
            assert_eq!(
                status(c, &app, "GET", &format!("/api/v1/people/{id}")).await,
                want,
                "{name} person {id}"
            );
        }
        let list: serde_json::Value = c
            .get(app.url("/api/v1/households"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            list["total"].as_u64().unwrap(),
            households.iter().filter(|v| **v).count() as u64,
            "{name} list"
        );
        // Nobody gets a full ID number without asking for it.
        for path in [
            "/api/v1/households",
            "/api/v1/people",
            "/households",
            "/people",
        ] {
            let body = c
                .get(app.url(path))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(
                full_id_numbers(&body).is_empty(),
                "{name} {path} shows a full ID number"
            );
        }
    }

    // Reveal: out of scope 404, in scope without the right 403, else the full value (audited).
    let reveal: &[(&str, &str, u16)] = &[
        ("admin", "H001", 200),
        ("org", "H001", 200),
        ("office", "H001", 200),
        ("leader", "H001", 200),
        ("cadre", "H001", 200),
        ("vcadre", "H001", 404),
        ("vcadre", "H003", 200),
        ("rep", "H003", 403),
        ("rep", "H001", 404),
        ("inspector", "H001", 403),
    ];
    for (name, code, want) in reveal {
        let c = &clients.iter().find(|(n, _)| n == name).unwrap().1;
        let r = c
            .post(app.url(&format!("/api/v1/households/{code}/reveal")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), *want, "{name} reveal {code}");
        if *want == 200 {
            let body = r.text().await.unwrap();
            if *code == "H001" {
                assert!(
                    body.contains(&f.head),
                    "{name}: the full head ID is revealed"
                );
            }
        }
    }
    let audit = app.get_text("/admin/audit?action=reveal").await;
    assert!(
        audit.contains("household:H001") && audit.contains("office"),
        "reveals are audited"
    );

    // Writes: only the administrator imports; only county-wide roles export; only admins manage accounts.
    let before = app.counts().await;
    let csv = "户编号,户主姓名,所属区划\nH900,新户,3509100200\n";
    // The administrator goes last, so every refusal is checked against an unchanged database.
    for (name, c) in clients.iter().skip(1).chain(clients.iter().take(1)) {
        let r = c
            .post(app.url("/api/v1/import/households?file=h.csv"))
            .body(csv)
            .send()
            .await
            .unwrap();
        if *name != "admin" {
            assert_eq!(r.status(), 403, "{name} import");
            assert_eq!(
                app.counts().await,
                before,
                "{name}'s refused import changed something"
            );
        }
        let want_export = if matches!(*name, "admin" | "org") {
            200
        } else {
            403
        };
        assert_eq!(
            status(c, &app, "GET", "/api/v1/export/households").await,
            want_export,
            "{name} export"
        );
        let want_admin = if *name == "admin" { 200 } else { 403 };
        assert_eq!(
            status(c, &app, "GET", "/admin/accounts").await,
            want_admin,
            "{name} accounts page"
        );
        assert_eq!(
            status(c, &app, "GET", "/admin/audit").await,
            want_admin,
            "{name} audit page"
        );
        let r = c
            .post(app.url("/admin/accounts/disable"))
            .form(&[("username", "cadre")])
            .send()
            .await
            .unwrap();
        if *name != "admin" {
            assert_eq!(r.status(), 403, "{name} disable");
        }
    }
    assert_eq!(
        app.counts().await["households"],
        4,
        "the admin's import went in"
    );
}

#[tokio::test]
async fn without_a_session_pages_send_to_login_and_the_api_answers_401() {
    let app = spawn_app().await;
    let anon = plain_client();
    let r = anon.get(app.url("/households?q=x")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login?next=%2Fhouseholds%3Fq%3Dx");
    assert_eq!(
        anon.get(app.url("/api/v1/households"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        anon.post(app.url("/api/v1/import/regions?file=r.csv"))
            .body("x")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        anon.get(app.url("/healthz")).send().await.unwrap().status(),
        200
    );
    assert_eq!(
        anon.get(app.url("/login")).send().await.unwrap().status(),
        200
    );
    // A login page cannot be used to send people elsewhere.
    let page = anon
        .get(app.url("/login?next=//evil.example/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("evil.example"));
}

#[tokio::test]
async fn repeated_failed_logins_lock_the_account_and_the_audit_shows_it() {
    let app = spawn_app().await;
    app.add_account("zhao", R::Office, Scope::County, None)
        .await;
    let c = plain_client();
    for i in 0..5 {
        let r = c
            .post(app.url("/login"))
            .form(&[("username", "zhao"), ("password", "wrong-pass-1")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "attempt {i}");
        assert!(r.text().await.unwrap().contains("用户名或密码错误"));
    }
    // Now even the right password is refused until the lock ends.
    let r = c
        .post(app.url("/login"))
        .form(&[("username", "zhao"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 423);
    assert!(r.text().await.unwrap().contains("锁定"));
    let audit = app.get_text("/admin/audit?username=zhao").await;
    assert!(
        audit.contains("账号锁定") && audit.contains("登录失败"),
        "{audit}"
    );
    // An administrator's reset lifts the lock.
    let page = app
        .client
        .post(app.url("/admin/accounts/reset"))
        .form(&[("username", "zhao")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let initial = page
        .split("初始密码：")
        .nth(1)
        .unwrap()
        .split('（')
        .next()
        .unwrap()
        .to_string();
    let r = c
        .post(app.url("/login"))
        .form(&[("username", "zhao"), ("password", initial.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        "/account/password",
        "a reset password must be changed"
    );
}

#[tokio::test]
async fn many_failures_from_one_address_are_refused() {
    let app = spawn_app().await;
    let c = plain_client();
    for i in 0..20 {
        let user = format!("ghost{i}");
        let r = c
            .post(app.url("/login"))
            .form(&[("username", user.as_str()), ("password", "whatever-1")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = c
        .post(app.url("/login"))
        .form(&[("username", "admin"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
}

/// Behind a trusted proxy each client's address is its own (one flood does not lock out the
/// whole county behind the proxy); from anyone else `X-Forwarded-For` changes nothing.
#[tokio::test]
async fn failures_count_per_forwarded_address_only_behind_a_trusted_proxy() {
    async fn fail_twenty(app: &TestApp, forwarded: &str) {
        let c = plain_client();
        for i in 0..20 {
            let user = format!("ghost{i}");
            let r = c
                .post(app.url("/login"))
                .header("x-forwarded-for", forwarded)
                .form(&[("username", user.as_str()), ("password", "whatever-1")])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 401);
        }
    }
    async fn admin_from(app: &TestApp, forwarded: &str) -> u16 {
        plain_client()
            .post(app.url("/login"))
            .header("x-forwarded-for", forwarded)
            .form(&[("username", "admin"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
    let behind = spawn_app_with(|c| c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    fail_twenty(&behind, "203.0.113.7").await;
    assert_eq!(admin_from(&behind, "203.0.113.7").await, 429);
    assert_eq!(
        admin_from(&behind, "203.0.113.7, 198.51.100.9").await,
        303,
        "another client behind the proxy is not refused"
    );

    let open = spawn_app().await;
    fail_twenty(&open, "203.0.113.7").await;
    assert_eq!(
        admin_from(&open, "198.51.100.9").await,
        429,
        "a header written by the client changes nothing"
    );
}

#[tokio::test]
async fn an_initial_password_must_be_changed_before_anything_else() {
    let app = spawn_app().await;
    app.add_account_with(
        "qian",
        vec![Grant {
            role: R::OrgDept,
            scope: Scope::County,
        }],
        None,
        true,
    )
    .await;
    let c = app.login("qian", PASSWORD).await;
    let r = c.get(app.url("/households")).send().await.unwrap();
    assert_eq!(
        (
            r.status().as_u16(),
            r.headers()["location"].to_str().unwrap()
        ),
        (303, "/account/password")
    );
    assert_eq!(
        c.get(app.url("/api/v1/households"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let bad = c
        .post(app.url("/account/password"))
        .form(&[("current", PASSWORD), ("new", "short"), ("again", "short")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("密码至少8位"));
    let ok = c
        .post(app.url("/account/password"))
        .form(&[
            ("current", PASSWORD),
            ("new", "new-pass-2027"),
            ("again", "new-pass-2027"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(
        c.get(app.url("/households")).send().await.unwrap().status(),
        200,
        "the session goes on"
    );
    app.login("qian", "new-pass-2027").await;
}

#[tokio::test]
async fn logout_and_disabling_end_sessions() {
    let app = spawn_app().await;
    app.add_account("sun", R::OrgDept, Scope::County, None)
        .await;
    let c = app.login("sun", PASSWORD).await;
    assert_eq!(
        c.get(app.url("/households")).send().await.unwrap().status(),
        200
    );
    let r = app
        .client
        .post(app.url("/admin/accounts/disable"))
        .form(&[("username", "sun")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        c.get(app.url("/households")).send().await.unwrap().status(),
        303,
        "disabled: session ended"
    );
    let r = reqwest::Client::new()
        .post(app.url("/login"))
        .form(&[("username", "sun"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let admin2 = app.login("admin", PASSWORD).await;
    assert_eq!(
        admin2
            .post(app.url("/logout"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    assert_eq!(
        admin2
            .get(app.url("/households"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    assert_eq!(
        app.client
            .get(app.url("/households"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "other sessions go on"
    );
}

/// Two processes serve one county: a session opened at one works at the other, and a logout,
/// a disabled account or a revoked token at one ends it at the other on the next request,
/// although each process remembers the callers it has seen.
#[tokio::test]
async fn a_session_ended_in_one_process_is_ended_in_every_process() {
    let app = spawn_app().await;
    let second = app.second_process().await;
    let status = |c: &reqwest::Client, base: &str, path: &str| {
        let (c, url) = (c.clone(), format!("{base}{path}"));
        async move { c.get(url).send().await.unwrap().status().as_u16() }
    };
    app.add_account("sun", R::OrgDept, Scope::County, None)
        .await;
    let sun = app.login("sun", PASSWORD).await;
    // Both processes have seen (and remember) the session.
    for base in [&app.address, &second] {
        assert_eq!(status(&sun, base, "/households").await, 200, "{base}");
    }
    let r = sun.post(format!("{second}/logout")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        status(&sun, &app.address, "/households").await,
        303,
        "logged out at the second process: the first no longer lets the session in"
    );

    let sun = app.login("sun", PASSWORD).await;
    for base in [&app.address, &second] {
        assert_eq!(status(&sun, base, "/households").await, 200, "{base}");
    }
    let r = app
        .client
        .post(format!("{second}/admin/accounts/disable"))
        .form(&[("username", "sun")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        status(&sun, &app.address, "/households").await,
        303,
        "disabled at the second process: the first ends the session"
    );

    // An API token revoked at one process is refused at the other.
    let admin = app.login("admin", PASSWORD).await;
    let token = new_token(&app, &admin).await;
    let api = |base: &str| {
        reqwest::Client::new()
            .get(format!("{base}/api/v1/households"))
            .bearer_auth(&token)
    };
    assert_eq!(api(&app.address).send().await.unwrap().status(), 200);
    assert_eq!(api(&second).send().await.unwrap().status(), 200);
    let page = admin
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let id = page
        .split("/account/tokens/revoke")
        .nth(1)
        .and_then(|s| s.split("name=\"id\" value=\"").nth(1))
        .and_then(|s| s.split('"').next())
        .expect("a revoke form for the token")
        .to_string();
    let r = admin
        .post(format!("{second}/account/tokens/revoke"))
        .form(&[("id", id.as_str())])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    assert_eq!(
        api(&app.address).send().await.unwrap().status(),
        401,
        "revoked at the second process"
    );
}

/// A list's total is remembered between requests, but never past a change: a household
/// imported through the second process, or written straight into the database, is counted by
/// the first process's next page.
#[tokio::test]
async fn a_list_total_follows_writes_made_by_another_process() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let second = app.second_process().await;
    let total = |base: String| {
        let c = app.client.clone();
        async move {
            let v: serde_json::Value = c
                .get(format!("{base}/api/v1/households"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["total"].as_u64().expect("a total")
        }
    };
    assert_eq!(total(app.address.clone()).await, 3);
    assert_eq!(total(app.address.clone()).await, 3, "remembered: the same");
    let r = app
        .client
        .post(format!("{second}/api/v1/import/households?file=households.csv"))
        .body("户编号,户主姓名,户主身份证号,所属区划,地址,联系电话,人口,类别,收入来源,生产生活状况\nH004,周八,,3509101200,丁村2号,,2,,务农,正常\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    assert_eq!(
        total(app.address.clone()).await,
        4,
        "imported at the second process"
    );
    let db = app.db().await;
    sea_orm::ConnectionTrait::execute_unprepared(&db, "DELETE FROM household WHERE code = 'H004'")
        .await
        .unwrap();
    assert_eq!(total(second.clone()).await, 3, "deleted outside lianxin");
    assert_eq!(total(app.address.clone()).await, 3);
}

/// Writes are answered one at a time per process on SQLite, but a sender whose body is still on
/// its way (a weak signal, or someone stalling on purpose) holds up nobody: the turn is taken
/// only once the body has arrived.
#[tokio::test]
async fn a_slow_sender_holds_up_no_other_write() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app().await;
    let host = app.address.trim_start_matches("http://").to_string();
    let mut slow = tokio::net::TcpStream::connect(&host).await.unwrap();
    slow.write_all(
        format!(
            "POST /k/abcdefabcdefabcdefabcdef/rating HTTP/1.1\r\nHost: {host}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nrating="
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    // The rest of that body never comes; another write goes through meanwhile.
    let token = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        new_token(&app, &app.client),
    )
    .await
    .expect("a write waited for a stalled sender");
    assert!(token.starts_with("lx_"), "{token}");
    drop(slow);
}

/// Makes an API token on the account page of the client's account; the token shown once.
async fn new_token(app: &TestApp, c: &reqwest::Client) -> String {
    let page = c
        .post(app.url("/account/tokens"))
        .form(&[("name", "数据交换")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    page.split("id=\"new-token\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn api_tokens_act_as_their_account_until_revoked() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let f = fixture().0;
    app.add_account("api", R::Cadre, Scope::Own, Some(&f.zhang))
        .await;
    let c = app.login("api", PASSWORD).await;
    let token = new_token(&app, &c).await;
    assert!(token.starts_with("lx_"));
    let machine = reqwest::Client::new();
    let list: serde_json::Value = machine
        .get(app.url("/api/v1/households"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 2, "the token sees what its cadre sees");
    assert_eq!(
        machine
            .get(app.url("/api/v1/households/H003"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        machine
            .get(app.url("/api/v1/households"))
            .bearer_auth("lx_forged")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let me = c
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!me.contains(&token), "a token is shown once");
    let id = me
        .split("name=\"id\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    c.post(app.url("/account/tokens/revoke"))
        .form(&[("id", id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        machine
            .get(app.url("/api/v1/households"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn cross_site_writes_are_refused_and_pages_carry_security_headers() {
    let app = spawn_app().await;
    let before = app.counts().await;
    let r = app
        .client
        .post(app.url("/api/v1/import/regions?file=r.csv"))
        .header("sec-fetch-site", "cross-site")
        .body("区划代码,名称,层级\n3509,青山县,县\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(app.counts().await, before);
    let r = app.get("/households").await;
    let h = r.headers();
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
    let login = reqwest::Client::new()
        .post(app.url("/login"))
        .form(&[("username", "admin"), ("password", PASSWORD)]);
    let r = plain_client()
        .execute(login.build().unwrap())
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
            && !cookie.contains("Secure")
    );
    let r = plain_client()
        .post(app.url("/login"))
        .header("x-forwarded-proto", "https")
        .form(&[("username", "admin"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Secure"),
        "behind TLS the cookie is Secure"
    );
}

#[tokio::test]
async fn the_demo_county_comes_with_an_account_for_every_role() {
    let app = spawn_app().await;
    let out = app.cli(&[
        "demo",
        "--size",
        "small",
        "--no-serve",
        "--today",
        "2026-11-20",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut totals = Vec::new();
    for user in [
        "admin",
        "zuzhibu",
        "dangzhengban",
        "lingdao",
        "ganbu",
        "cungan",
        "daibiao",
        "ducha",
    ] {
        assert!(stdout.contains(user), "{user} not printed");
        // The test's own admin keeps its password; the others have the demo one.
        let pw = if user == "admin" {
            PASSWORD
        } else {
            lianxin::demo::DEMO_PASSWORD
        };
        let c = app.login(user, pw).await;
        let list: serde_json::Value = c
            .get(app.url("/api/v1/households"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        totals.push((user, list["total"].as_u64().unwrap()));
    }
    let all = totals[0].1;
    assert!(all >= 600);
    for (user, n) in &totals[2..7] {
        assert!(
            *n > 0 && *n < all,
            "{user} should see part of the county, sees {n} of {all}"
        );
    }
}

/// A token made with the old password ends with it; a common password is refused; a page
/// number past the last, however large, shows the last page; a record carrying more than the
/// settings' number of matters is refused whole.
#[tokio::test]
async fn hardening_tokens_passwords_pages_and_list_lengths() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let f = fixture().0;
    app.add_account("api", R::Cadre, Scope::Own, Some(&f.zhang))
        .await;
    let c = app.login("api", PASSWORD).await;
    let token = new_token(&app, &c).await;
    let machine = reqwest::Client::new();
    let status = |t: String| {
        let m = machine.clone();
        let url = app.url("/api/v1/households");
        async move { m.get(url).bearer_auth(t).send().await.unwrap().status() }
    };
    assert_eq!(status(token.clone()).await, 200);
    // A common password is refused, in Chinese; nothing changes.
    let r = c
        .post(app.url("/account/password"))
        .form(&[
            ("current", PASSWORD),
            ("new", "password1"),
            ("again", "password1"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(r.contains("常见"), "{r}");
    assert_eq!(status(token.clone()).await, 200);
    // A real change ends the token.
    c.post(app.url("/account/password"))
        .form(&[
            ("current", PASSWORD),
            ("new", "qingshan-2027"),
            ("again", "qingshan-2027"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(status(token).await, 401);

    // Page numbers: the largest there is shows the last page, on the API and the pages.
    let v = app
        .get_json("/api/v1/households?page=922337203685477581")
        .await;
    assert_eq!(v["page"], v["pages"], "{v}");
    let r = app.get("/households?page=18446744073709551615").await;
    assert_eq!(r.status(), 200);

    // A record with more matters than the settings allow: refused whole, saying why.
    let zhang = app.login("api", "qingshan-2027").await;
    let before = app.counts().await;
    let matters: Vec<String> = (0..101).map(|i| format!("事项{i}")).collect();
    let r = zhang
        .post(app.url("/api/v1/activities"))
        .json(&serde_json::json!({
            "client_key": "flood-0001-abcd", "kind": "入户走访", "start_date": "2026-11-02",
            "participants": [f.zhang], "targets": ["H001"], "matters": matters
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let e: serde_json::Value = r.json().await.unwrap();
    assert!(e["error"].as_str().unwrap().contains("最多100项"), "{e}");
    assert_eq!(app.counts().await, before);

    // Strangers' pages take small bodies only.
    let big = "x".repeat(1 << 20);
    for path in ["/login", "/fankui/0000000000000000000000000000dead"] {
        let r = plain_client()
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("username={big}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 413, "{path}");
    }
    // A logged-in cadre's record is a small request too (1 MiB by default).
    let r = zhang
        .post(app.url("/api/v1/activities"))
        .header("content-type", "application/json")
        .body(format!("{{\"notes\": \"{}\"}}", "x".repeat(2 << 20)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    // An import's file is spooled to disk under its own limit (16 MiB here), and a file over
    // it leaves nothing behind, through the API or the page.
    let incoming = app.dir.path().join("data/uploads/incoming");
    let huge = vec![b'x'; 17 << 20];
    let sent = app
        .client
        .post(app.url("/api/v1/import/households?file=big.csv"))
        .body(huge.clone())
        .send()
        .await;
    if let Ok(r) = sent {
        assert_eq!(r.status(), 413);
    }
    let form = reqwest::multipart::Form::new()
        .text("kind", "households")
        .part(
            "file",
            reqwest::multipart::Part::bytes(huge).file_name("big.csv"),
        );
    if let Ok(r) = app
        .client
        .post(app.url("/import"))
        .multipart(form)
        .send()
        .await
    {
        assert_eq!(r.status(), 413);
    }
    let left: Vec<_> = std::fs::read_dir(&incoming)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(app.counts().await, before);
}

/// Guesses sent all at once cannot outrun the lock: after 15 concurrent wrong passwords (fewer
/// than the address's own limit) the account is locked, and the right password is refused until
/// the lock ends.
#[tokio::test]
async fn concurrent_guesses_lock_the_account() {
    let app = spawn_app().await;
    app.add_account("target", R::Office, Scope::County, None)
        .await;
    let mut guesses = Vec::new();
    for i in 0..15 {
        let url = app.url("/login");
        guesses.push(tokio::spawn(async move {
            plain_client()
                .post(url)
                .form(&[
                    ("username", "target"),
                    ("password", &format!("guess-{i}-x1")),
                ])
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }));
    }
    let mut statuses = Vec::new();
    for g in guesses {
        statuses.push(g.await.unwrap());
    }
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 423),
        "{statuses:?}"
    );
    let r = plain_client()
        .post(app.url("/login"))
        .form(&[("username", "target"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        423,
        "the right password waits for the lock to end"
    );
    // At most the allowed number of guesses were checked: the rest were refused unchecked.
    let audit = app.get_text("/admin/audit?username=target").await;
    assert!(audit.contains("账号锁定"), "{audit}");
}

/// A cadre cannot put work in the names of people beyond their reach, cannot test who is in the
/// registry through a record's participants or targets, cannot move a record away from
/// themselves by correcting it, and does not see the county's shared contact points; an import
/// from the command line is audited.
#[tokio::test]
async fn records_stay_within_the_authors_reach() {
    let app = spawn_app().await;
    app.load_fixture().await;
    let f = fixture().0;
    app.add_account("zhang", R::Cadre, Scope::Own, Some(&f.zhang))
        .await;
    let zhang = app.login("zhang", PASSWORD).await;
    let nobody = id("35099919900909009");
    let post = |body: serde_json::Value| {
        let c = zhang.clone();
        let url = app.url("/api/v1/activities");
        async move {
            let r = c.post(url).json(&body).send().await.unwrap();
            let status = r.status().as_u16();
            (
                status,
                r.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        }
    };
    // 孙九 of another town is beyond 张三's reach: he is invited to confirm, exactly as an
    // ID number nobody holds would be, and the record does not count for him until he does.
    let mut answers = Vec::new();
    let mut records = Vec::new();
    for (k, other) in [(1, &f.sun), (2, &nobody)] {
        let (status, r) = post(serde_json::json!({
            "client_key": format!("reach-000{k}-abcd"), "kind": "入户走访",
            "start_date": "2026-11-02", "participants": [f.zhang, other], "targets": ["H001"],
            "notes": format!("联合走访第{k}次")
        }))
        .await;
        assert_eq!(status, 201, "{r}");
        let masked = lianxin::domain::ids::mask_id_number(other);
        assert_eq!(r["invited"], serde_json::json!([masked]), "{r}");
        assert!(r["warnings"].to_string().contains("确认后才计入"), "{r}");
        records.push(r["activity_id"].as_i64().unwrap());
        answers.push(
            serde_json::json!([r["invited"], r["warnings"], r["items"]])
                .to_string()
                .replace(&masked, "*"),
        );
    }
    assert_eq!(
        answers[0], answers[1],
        "the answer does not tell who exists"
    );
    app.add_account("sun", R::Cadre, Scope::Own, Some(&f.sun))
        .await;
    let sun = app.login("sun", PASSWORD).await;
    let book = |c: &reqwest::Client| {
        let c = c.clone();
        let url = app.url("/books/record/me");
        async move { c.get(url).send().await.unwrap().text().await.unwrap() }
    };
    assert!(
        !book(&sun).await.contains("联合走访第1次"),
        "not his until he confirms"
    );
    let asked: serde_json::Value = sun
        .get(app.url("/api/v1/me/invitations"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let asked = asked.as_array().unwrap();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0]["activity_id"].as_i64(), Some(records[0]));
    assert_eq!(asked[0]["author"], "张三");
    // He may read the record he is asked about; his /me page asks him.
    let me_page = sun
        .get(app.url("/me"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        me_page.contains("请您确认") && me_page.contains("是我参加的"),
        "{me_page}"
    );
    let answer = |id: i64, accept: bool| {
        let c = sun.clone();
        let url = app.url(&format!("/api/v1/activities/{id}/invitation"));
        async move {
            c.post(url)
                .json(&serde_json::json!({ "accept": accept }))
                .send()
                .await
                .unwrap()
        }
    };
    let r = answer(records[0], true).await;
    assert_eq!(r.status(), 200);
    let d: serde_json::Value = r.json().await.unwrap();
    assert_eq!(d["accepted"], true, "{d}");
    assert_eq!(d["participants"].as_array().map(Vec::len), Some(2), "{d}");
    assert!(
        book(&sun).await.contains("联合走访第1次"),
        "counted once confirmed"
    );
    assert_eq!(
        answer(records[0], true).await.status(),
        404,
        "answered once"
    );
    // 张三 reads his record back without learning who 孙九 is.
    let read_back = |id: i64| {
        let c = zhang.clone();
        let url = app.url(&format!("/api/v1/activities/{id}"));
        async move {
            c.get(url)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let d = read_back(records[0]).await;
    let shown = d["participants"].to_string();
    assert!(
        shown.contains("张三") && shown.contains("范围外人员"),
        "{shown}"
    );
    assert!(
        !d.to_string().contains("孙九") && !d.to_string().contains("村委委员"),
        "{d}"
    );
    // The number nobody holds stays waiting; nobody else can answer it.
    let d = read_back(records[1]).await;
    assert_eq!(d["invited"].as_array().map(Vec::len), Some(1), "{d}");
    assert_eq!(answer(records[1], false).await.status(), 404);
    // A correction by 张三 keeps 孙九's confirmation and cannot invite him twice.
    let r = zhang
        .put(app.url(&format!("/api/v1/activities/{}", records[0])))
        .json(&serde_json::json!({
            "client_key": "reach-0001-abcd", "kind": "入户走访",
            "start_date": "2026-11-02", "participants": [f.zhang, f.sun], "targets": ["H001"],
            "notes": "联合走访第1次（更正）"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r: serde_json::Value = r.json().await.unwrap();
    assert_eq!(r["invited"], serde_json::json!([]), "{r}");
    assert!(book(&sun).await.contains("联合走访第1次（更正）"));
    // Declined, a record never counts for him, and its history says so.
    let (status, r) = post(serde_json::json!({
        "client_key": "reach-0007-abcd", "kind": "入户走访",
        "start_date": "2026-11-03", "participants": [f.zhang, f.sun], "targets": ["H001"],
        "notes": "他没来的一次"
    }))
    .await;
    assert_eq!(status, 201, "{r}");
    let third = r["activity_id"].as_i64().unwrap();
    assert_eq!(answer(third, false).await.status(), 200);
    assert!(!book(&sun).await.contains("他没来的一次"));
    let page = zhang
        .get(app.url(&format!("/activities/{third}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("参加人否认") && !page.contains("待本人确认</dt>"),
        "{page}"
    );
    let before = app.counts().await;
    // The same for a person named as a target.
    let mut answers = Vec::new();
    for (k, other) in [(3, &f.sun), (4, &nobody)] {
        let (status, e) = post(serde_json::json!({
            "client_key": format!("reach-000{k}-abcd"), "kind": "谈心谈话",
            "start_date": "2026-11-02", "participants": [f.zhang], "targets": [other]
        }))
        .await;
        assert_eq!(status, 400, "{e}");
        answers.push(
            e["error"]
                .as_str()
                .unwrap()
                .replace(&lianxin::domain::ids::shown_code(other), "*"),
        );
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(app.counts().await, before, "nothing written");
    // A record of his own cannot be corrected into someone else's name.
    let (status, r) = post(serde_json::json!({
        "client_key": "reach-0005-abcd", "kind": "入户走访",
        "start_date": "2026-11-02", "participants": [f.zhang], "targets": ["H001"]
    }))
    .await;
    assert_eq!(status, 201, "{r}");
    let id = r["activity_id"].as_i64().unwrap();
    let r = zhang
        .put(app.url(&format!("/api/v1/activities/{id}")))
        .json(&serde_json::json!({
            "client_key": "reach-0006-abcd", "kind": "入户走访",
            "start_date": "2026-11-02", "participants": [f.li], "targets": ["H001"]
        }))
        .send()
        .await
        .unwrap();
    assert!(r.status() == 403 || r.status() == 400, "{}", r.status());
    // The county's shared contact points are not a cadre's to read.
    assert_eq!(
        zhang
            .get(app.url("/contacts"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        zhang
            .get(app.url("/api/v1/contacts/duplicates"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    // An import from the command line is in the audit log.
    let dir = app.write_dir(
        "more",
        &[(
            "regions.csv",
            "区划代码,名称,层级,上级代码,标签\n3509102,戊镇,镇,3509,\n",
        )],
    );
    assert!(app.cli(&["import", dir.to_str().unwrap()]).status.success());
    let audit = app.get_text("/admin/audit?action=import").await;
    assert!(
        audit.contains("命令行") && audit.contains("more"),
        "{audit}"
    );
}
