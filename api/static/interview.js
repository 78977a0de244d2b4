// Checks the 统一社会信用代码 as it is typed (GB 32100-2015 and the GB 11714 organisation code).
// The page works without this script: the server checks the code when the step is sent.
(function () {
  "use strict";
  var ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  var CODE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  var ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];
  var en = document.documentElement.lang === "en";

  function orgValue(c) { return /\d/.test(c) ? Number(c) : c.charCodeAt(0) - 55; }

  function problem(code) {
    if (!code) return "";
    for (var i = 0; i < code.length; i++) {
      if (ALPHABET.indexOf(code[i]) < 0) return en ? "character not allowed: " + code[i] : "含有不允许的字符：" + code[i];
    }
    if (code.length < 18) return en ? code.length + " of 18 characters" : "已输入 " + code.length + "/18 位";
    if (code.length > 18) return en ? "more than 18 characters" : "超过 18 位";
    var org = 0;
    for (var j = 0; j < 8; j++) org += orgValue(code[8 + j]) * ORG_WEIGHTS[j];
    var oc = 11 - org % 11, orgCheck = oc === 10 ? "X" : oc === 11 ? "0" : String(oc);
    if (code[16] !== orgCheck) return en ? "organisation code check fails" : "组织机构代码校验位错误（应为 " + orgCheck + "）";
    var total = 0;
    for (var k = 0; k < 17; k++) total += ALPHABET.indexOf(code[k]) * CODE_WEIGHTS[k];
    var check = ALPHABET[(31 - total % 31) % 31];
    if (code[17] !== check) return en ? "check character should be " + check : "校验码应为 " + check;
    return null;
  }

  var input = document.querySelector("[data-credit-code]");
  var out = document.getElementById("credit-code-check");
  if (!input || !out) return;
  input.addEventListener("input", function () {
    var code = input.value.trim().toUpperCase();
    var p = problem(code);
    out.textContent = p === null ? (en ? "✓ valid" : "✓ 代码有效") : p;
    out.className = "check-result " + (p === null ? "ok" : p ? "bad" : "");
  });
})();

// "Upload saved answers" opens the resume panel it links to (no inline handler: the pages' CSP forbids them).
document.querySelectorAll("[data-opens]").forEach(function (link) {
  link.addEventListener("click", function () {
    var panel = document.getElementById(link.getAttribute("data-opens"));
    if (panel) panel.open = true;
  });
});
