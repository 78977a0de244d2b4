// Officer upload: the API needs a bearer header, which a plain HTML form cannot send.
"use strict";
(function () {
  const form = document.getElementById("upload");
  const out = document.getElementById("run");
  const words = out.dataset;
  const SVG = "http://www.w3.org/2000/svg";

  function para(text) {
    const p = document.createElement("p");
    p.textContent = text;
    return p;
  }

  function show(nodes) {
    out.replaceChildren(...nodes.map((n) => (typeof n === "string" ? para(n) : n)));
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
      show([words[run.status] + " · " + run.rows + " " + words.rows + " · " + words.asof + " " + run.as_of +
            " · " + words.rules + " " + run.rules_hash]
        .concat(run.summary ? summary(run.summary) : [])
        .concat(run.error ? [run.error] : []));
      if (run.status === "done") return offerDownload(run, token);
      if (run.status === "failed") return;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  // The file chooser's button is a label in the page's language; the chosen file's name is shown beside it.
  const file = document.getElementById("file");
  const chosen = document.getElementById("file-name");
  file.addEventListener("change", () => {
    chosen.textContent = file.files.length ? file.files[0].name : chosen.dataset.none;
  });

  function nameOf(summary, policy) {
    return (summary.names || {})[policy] || policy;
  }

  // The same summary as the workbook's 汇总 sheet: counts per measure by Chinese name, then two charts.
  function summary(s) {
    const rows = [["valid", s.valid], ["invalid", s.invalid], ["duplicates", s.duplicates],
      ["entries", s.error_entries]].filter(([, n]) => n !== undefined);
    const nodes = [rows.map(([key, n]) => words[key] + " " + n +
      (key === "invalid" && s.blank ? "（" + words.blank + " " + s.blank + "）" : "")).join(" · ")];
    if ((s.skipped_columns || []).length) nodes.push(words.skipped + "：" + s.skipped_columns.join("、"));
    nodes.push(table(s));
    const policies = Object.keys(s.policies);
    nodes.push(bars(words.chartEligible, policies.map((p) => [nameOf(s, p), s.policies[p].eligible])));
    const bins = Object.entries((s.scores || {}).ip_strength_card || {})
      .filter(([k]) => /^score \d/.test(k))
      .map(([k, n]) => [k.slice(6), n])
      .sort((a, b) => parseInt(a[0], 10) - parseInt(b[0], 10));
    if (bins.length) nodes.push(columns(words.chartStrength, bins));
    return nodes;
  }

  function table(s) {
    const t = document.createElement("table");
    t.className = "summary";
    const head = [words.measure, words.eligible, words.ineligible, words.undetermined, words.amount, words.funded];
    const tr = document.createElement("tr");
    head.forEach((h) => { const th = document.createElement("th"); th.textContent = h; tr.appendChild(th); });
    t.appendChild(tr);
    for (const [p, n] of Object.entries(s.policies)) {
      const funded = (s.funded || {})[p];
      const cells = [nameOf(s, p), n.eligible, n.ineligible, n.undetermined,
        (s.amounts || {})[p] ? s.amounts[p].toLocaleString() : "", funded ? funded.funded + " / " +
        words.waiting + " " + funded.waiting : ""];
      const row = document.createElement("tr");
      cells.forEach((c) => { const td = document.createElement("td"); td.textContent = c; row.appendChild(td); });
      t.appendChild(row);
    }
    return t;
  }

  function svg(width, height, title) {
    const root = document.createElementNS(SVG, "svg");
    root.setAttribute("viewBox", "0 0 " + width + " " + height);
    root.setAttribute("role", "img");
    root.setAttribute("aria-label", title);
    root.classList.add("chart");
    root.style.maxWidth = width + "px";          // text stays at its size on a wide screen
    add(root, "text", { x: 0, y: 14, class: "title" }, title);
    return root;
  }

  function add(parent, tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    parent.appendChild(node);
    return node;
  }

  // Horizontal bars, one per measure: HTML rather than SVG, so the names keep their size and wrap on a
  // phone (an SVG scaled to 390 px made them unreadable). Widths through the CSSOM, which the CSP allows.
  function bars(title, items) {
    const max = Math.max(1, ...items.map(([, n]) => n));
    const figure = document.createElement("figure");
    figure.className = "bars";
    figure.setAttribute("role", "img");
    figure.setAttribute("aria-label", title);
    const caption = document.createElement("figcaption");
    caption.textContent = title;
    const list = document.createElement("ol");
    items.forEach(([label, n]) => {
      const item = document.createElement("li");
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = label;
      const bar = document.createElement("span");
      bar.className = "bar";
      const fill = document.createElement("span");
      fill.className = "fill";
      fill.style.width = (85 * n / max) + "%";  // the count stays beside the longest bar
      const count = document.createElement("span");
      count.className = "count";
      count.textContent = String(n);
      bar.append(fill, count);
      item.append(name, bar);
      list.appendChild(item);
    });
    figure.append(caption, list);
    return figure;
  }

  // Vertical columns: the IP-strength histogram.
  function columns(title, items) {
    const max = Math.max(1, ...items.map(([, n]) => n));
    const width = 36;
    const root = svg(Math.max(320, 20 + items.length * width), 200, title);
    items.forEach(([label, n], i) => {
      const h = 140 * n / max;
      const x = 10 + i * width;
      add(root, "rect", { x: x, y: 170 - h, width: width - 6, height: Math.max(1, h), class: "bar strength" });
      add(root, "text", { x: x + (width - 6) / 2, y: 166 - h, "text-anchor": "middle" }, String(n));
      add(root, "text", { x: x + (width - 6) / 2, y: 186, "text-anchor": "middle", class: "axis" }, label);
    });
    return root;
  }

  async function offerDownload(run, token) {
    const blob = await (await call(run.result_url, token)).blob();
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "screen-" + run.id + ".xlsx";
    link.textContent = words.download;
    link.id = "download";
    link.className = "button";
    out.insertBefore(link, out.children[1] || null);  // under the run's status line, before the tables
  }

  // Several sheets hold data: the officer picks one and submits again.
  const sheetField = document.getElementById("sheet-field");
  function offerSheets(issues) {
    form.sheet.replaceChildren(...issues.map((issue) => {
      const option = document.createElement("option");
      option.value = issue.value;
      option.textContent = issue.value + (issue.message_en === "hidden" ? "（" + words.hidden + "）" : "");
      return option;
    }));
    sheetField.hidden = false;
  }
  form.file.addEventListener("change", () => { sheetField.hidden = true; });
  document.getElementById("add-allocation").addEventListener("click", () => {
    const rows = form.querySelectorAll(".allocation");
    const copy = rows[rows.length - 1].cloneNode(true);
    copy.querySelectorAll("input, select").forEach((input) => { input.value = ""; });
    rows[rows.length - 1].after(copy);
  });

  document.getElementById("recent").addEventListener("click", async () => {
    const token = form.token.value.trim();
    const list = document.getElementById("runs");
    try {
      const runs = await (await call("/v1/screens", token)).json();
      list.replaceChildren(...runs.map((run) => {
        const item = document.createElement("li");
        const open = document.createElement("button");
        open.type = "button";
        const s = run.summary || {};
        const allocated = Object.keys(s.allocations || {}).map((p) => nameOf(s, p));
        open.textContent = run.created_at.slice(0, 19).replace("T", " ") + " · " + words[run.status] + " · " +
          run.rows + " " + words.rows + " · " + run.officer + (allocated.length ? " · " + allocated.join("、") : "");
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
    form.querySelectorAll(".allocation").forEach((row) => {
      const measure = row.querySelector("select").value;
      const quota = row.querySelector("[name=quota]").value;
      const budget = row.querySelector("[name=budget]").value;
      if (measure && quota !== "") data.append("quota", measure + "=" + quota);
      if (measure && budget !== "") data.append("budget", measure + "=" + budget);
    });
    if (form.ignore_unknown_columns.checked) data.append("ignore_unknown_columns", "true");
    try {
      const run = await (await call("/v1/screens", token, { method: "POST", body: data })).json();
      await poll(run.id, token);
    } catch (error) {
      if (error.body && error.body.error === "choose_sheet") offerSheets(error.body.issues);
      show(String(error.message).split("\n"));
    }
  });
})();
