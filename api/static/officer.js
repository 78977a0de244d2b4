// Officer upload: the API needs a bearer header, which a plain HTML form cannot send.
"use strict";
(function () {
  const form = document.getElementById("upload");
  const out = document.getElementById("run");
  const words = out.dataset;

  function show(lines) {
    out.replaceChildren(...lines.map((text) => {
      const p = document.createElement("p");
      p.textContent = text;
      return p;
    }));
  }

  async function call(url, token, options) {
    const response = await fetch(url, Object.assign({ headers: { Authorization: "Bearer " + token } }, options));
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      const error = new Error((body.message_zh || "") + " / " + (body.message_en || response.status) +
        (body.issues || []).map((i) => "\n" + i.field + ": " + (i.value ? i.value + " " : "") + i.message_zh +
          " / " + i.message_en).join(""));
      error.body = body;
      throw error;
    }
    return response;
  }

  async function poll(id, token) {
    for (;;) {
      const run = await (await call("/v1/screens/" + id, token)).json();
      show([words[run.status] + " · " + id, "input sha256 " + run.input_sha256,
            "rules " + run.rules_hash + " · as of " + run.as_of + " · " + run.rows + " rows"]
        .concat(run.summary ? summaryLines(run.summary) : [])
        .concat(run.error ? [run.error] : []));
      if (run.status === "done") return offerDownload(run, token);
      if (run.status === "failed") return;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  // Counts per row and per policy; runs stored before the error entries were counted lack some keys.
  function summaryLines(summary) {
    const rows = [["valid", summary.valid], ["invalid", summary.invalid], ["duplicates", summary.duplicates],
      ["entries", summary.error_entries]].filter(([, n]) => n !== undefined);
    const amounts = summary.amounts || {};
    return [rows.map(([key, n]) => words[key] + " " + n).join(" · ")].concat(
      Object.entries(summary.policies).map(([policy, n]) =>
        policy + ": " + Object.entries(n).map(([status, count]) => words[status] + " " + count).join(", ") +
        (amounts[policy] ? " · " + words.amount + " " + amounts[policy] : "")));
  }

  async function offerDownload(run, token) {
    const blob = await (await call(run.result_url, token)).blob();
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "screen-" + run.id + ".xlsx";
    link.textContent = words.download;
    link.id = "download";
    out.appendChild(link);
  }

  // Several sheets hold data: the officer picks one and submits again.
  const sheetField = document.getElementById("sheet-field");
  function offerSheets(issues) {
    form.sheet.replaceChildren(...issues.map((issue) => {
      const option = document.createElement("option");
      option.value = issue.value;
      option.textContent = issue.value + (issue.message_en === "hidden" ? " (" + issue.message_zh + " hidden)" : "");
      return option;
    }));
    sheetField.hidden = false;
  }
  form.file.addEventListener("change", () => { sheetField.hidden = true; });

  document.getElementById("recent").addEventListener("click", async () => {
    const token = form.token.value.trim();
    const list = document.getElementById("runs");
    try {
      const runs = await (await call("/v1/screens", token)).json();
      list.replaceChildren(...runs.map((run) => {
        const item = document.createElement("li");
        const open = document.createElement("button");
        open.type = "button";
        open.textContent = run.created_at.slice(0, 19).replace("T", " ") + " · " + words[run.status] + " · " +
          run.rows + " · " + run.officer + " · " + run.id;
        open.addEventListener("click", () => poll(run.id, token).catch((e) => show(String(e.message).split("\n"))));
        item.appendChild(open);
        return item;
      }));
    } catch (error) {
      show(String(error.message).split("\n"));
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = form.token.value.trim();
    const data = new FormData();
    data.append("file", form.file.files[0]);
    if (form.as_of.value) data.append("as_of", form.as_of.value);
    if (!sheetField.hidden && form.sheet.value) data.append("sheet", form.sheet.value);
    try {
      const run = await (await call("/v1/screens", token, { method: "POST", body: data })).json();
      await poll(run.id, token);
    } catch (error) {
      if (error.body && error.body.error === "choose_sheet") offerSheets(error.body.issues);
      show(String(error.message).split("\n"));
    }
  });
})();
