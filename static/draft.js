/* 连心: a work record typed without signal is not lost.
   The form is kept in this browser (localStorage) as it is typed; if sending fails,
   the draft stays and is sent again when the phone is back online. The form carries
   a submission key, so the server records it once however often it arrives.
   The draft is deleted only when the server answers with the saved record
   (a redirect to /activities/ID?saved=1 or ?duplicate=1); an error page, a login page or a
   lost connection keeps it. */
(function () {
  var form = document.querySelector("form[data-draft]");
  if (!form || !window.localStorage) return;
  var key = "lianxin-draft:" + form.getAttribute("data-draft");
  var note = document.getElementById("draft-note");
  var sending = false;
  function say(t) { if (note) note.textContent = t; }
  function fields() {
    var out = [];
    for (var i = 0; i < form.elements.length; i++) {
      var e = form.elements[i];
      if (!e.name || e.type === "submit") continue;
      if ((e.type === "checkbox" || e.type === "radio") && !e.checked) continue;
      out.push([e.name, e.value]);
    }
    return out;
  }
  function restore(saved) {
    var byName = {};
    saved.forEach(function (p) { (byName[p[0]] = byName[p[0]] || []).push(p[1]); });
    for (var i = 0; i < form.elements.length; i++) {
      var e = form.elements[i];
      if (!e.name || !(e.name in byName)) continue;  /* the key too: a resent draft is recorded once */
      if (e.type === "checkbox" || e.type === "radio") e.checked = byName[e.name].indexOf(e.value) >= 0;
      else if (byName[e.name].length) e.value = byName[e.name].shift();  /* repeated fields in order */
    }
  }
  function save() { localStorage.setItem(key, JSON.stringify({ at: Date.now(), fields: fields() })); }
  function saved(r) {
    var u = new URL(r.url, window.location.href);
    return r.ok && /^\/activities\/\d+$/.test(u.pathname) && /[?&](saved|duplicate)=1/.test(u.search);
  }
  var raw = localStorage.getItem(key);
  if (raw && !form.hasAttribute("data-errors")) {
    try { restore(JSON.parse(raw).fields); say("已恢复上次未提交的草稿。"); } catch (e) {}
  }
  form.addEventListener("input", save);
  form.addEventListener("change", save);
  function send() {
    if (sending) return Promise.resolve();
    sending = true;
    var body = new URLSearchParams();
    fields().forEach(function (p) { body.append(p[0], p[1]); });
    return fetch(form.action, { method: "POST", body: body, credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" } })
      .then(function (r) {
        sending = false;
        if (saved(r)) {
          localStorage.removeItem(key);
          window.location.href = r.url;
          return;
        }
        /* Not saved: show the server's page (the form with its errors, or the login page);
           the draft stays in this browser. */
        return r.text().then(function (html) { document.open(); document.write(html); document.close(); });
      }, function (e) { sending = false; throw e; });
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    save();
    if (!navigator.onLine) { say("当前没有网络：草稿已保存在本机，联网后会自动提交。"); return; }
    say("正在提交……");
    send().catch(function () { say("提交失败（网络不稳定）：草稿已保存在本机，联网后会自动提交。"); });
  });
  window.addEventListener("online", function () {
    if (localStorage.getItem(key)) { say("网络已恢复，正在提交草稿……"); send().catch(function () {}); }
  });
})();
