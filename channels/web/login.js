"use strict";
(function () {
  var err = new URLSearchParams(location.search).get("error");
  var box = document.getElementById("login-error");
  if (err === "throttled") box.textContent = "登录失败次数过多，请5分钟后再试。";
  if (err) box.hidden = false;
  document.getElementById("id").focus();
})();
