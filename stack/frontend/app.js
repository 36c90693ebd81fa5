// Status page: renders the readiness checks (when the API has a status report) and the item list from the API.
(function () {
  "use strict";

  const config = window.OPSGATE_CONFIG || {};
  const apiBase = config.apiBase || "/api/v1";

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function showError(message, err) {
    console.error(message, err);
    const box = document.getElementById("error");
    box.textContent = box.hidden ? message : box.textContent + " " + message;
    box.hidden = false;
  }

  // Readiness answers 503 with a full body when degraded, so that status is data, not a failure.
  async function getJson(path, okStatuses) {
    const response = await fetch(apiBase + path, { headers: { Accept: "application/json" } });
    if (!okStatuses.includes(response.status)) {
      throw new Error("GET " + apiBase + path + " returned HTTP " + response.status);
    }
    return response.json();
  }

  function describeCheck(check) {
    if (!check.ok) return check.error || "failing";
    if ("latency_ms" in check) return "ok (" + check.latency_ms.toFixed(1) + " ms)";
    return "ok (revision " + check.current + ")";
  }

  function renderStatus(health) {
    const overall = document.getElementById("overall");
    overall.textContent = health.status;
    overall.className = "badge " + (health.status === "ok" ? "ok" : "bad");
    document.getElementById("version").textContent = health.version;

    const checks = document.getElementById("checks");
    checks.replaceChildren();
    Object.keys(health.checks).forEach(function (name) {
      const check = health.checks[name];
      checks.append(el("dt", null, name), el("dd", check.ok ? "ok" : "bad", describeCheck(check)));
    });
  }

  function renderItems(data) {
    const list = document.getElementById("items");
    list.replaceChildren();
    data.items.forEach(function (item) {
      const li = el("li");
      li.append(el("strong", null, item.name));
      if (item.description) li.append(el("span", "description", item.description));
      list.append(li);
    });
    list.dataset.loaded = "true"; // lets CSS show an empty-state hint without adding an <li>
  }

  async function load() {
    if (config.statusPath) {
      try {
        renderStatus(await getJson(config.statusPath, [200, 503]));
      } catch (err) {
        showError("Could not load the service status.", err);
      }
    } else {
      document.getElementById("status").hidden = true;
    }
    try {
      renderItems(await getJson("/items", [200]));
    } catch (err) {
      showError("Could not load the items.", err);
    }
  }

  document.addEventListener("DOMContentLoaded", load);
})();
