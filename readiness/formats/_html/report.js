// The audit report's behaviour: sort by a column, filter by text and verdict, expand all.
// The page is complete without it; it only shows its controls once it runs.
(function () {
  "use strict";
  var table = document.querySelector("table.rows");
  var toolbar = document.getElementById("toolbar");
  if (!table || !toolbar) {
    return;
  }
  var bodies = Array.prototype.slice.call(table.tBodies).filter(function (body) {
    return body.dataset.name !== undefined;
  });
  var search = document.getElementById("filter-text");
  var boxes = Array.prototype.slice.call(
    toolbar.querySelectorAll("input[type=checkbox][data-verdict]")
  );
  var status = document.getElementById("filter-status");
  var expand = document.getElementById("expand-all");
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);

  function filter() {
    var query = search.value.trim().toLowerCase();
    var wanted = {};
    boxes.forEach(function (box) {
      wanted[box.dataset.verdict] = box.checked;
    });
    var shown = 0;
    bodies.forEach(function (body) {
      var visible =
        wanted[body.dataset.verdict] !== false &&
        (query === "" || body.dataset.search.indexOf(query) !== -1);
      body.hidden = !visible;
      if (visible) {
        shown += 1;
      }
    });
    status.value = shown + " of " + bodies.length + " shown";
  }

  function compare(key, type) {
    return function (a, b) {
      var x = a.dataset[key] || "";
      var y = b.dataset[key] || "";
      var order =
        type === "number"
          ? parseFloat(x) - parseFloat(y)
          : x.localeCompare(y, undefined, { numeric: true, sensitivity: "base" });
      if (order === 0) {
        order = parseFloat(a.dataset.rank) - parseFloat(b.dataset.rank);
      }
      return order === 0 ? a.dataset.name.localeCompare(b.dataset.name) : order;
    };
  }

  function sortBy(header) {
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var byKey = compare(header.dataset.key, header.dataset.type);
    bodies.sort(function (a, b) {
      return ascending ? byKey(a, b) : -byKey(a, b);
    });
    bodies.forEach(function (body) {
      table.appendChild(body);
    });
    headers.forEach(function (other) {
      other.removeAttribute("aria-sort");
    });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  headers.forEach(function (header) {
    if (!header.dataset.key) {
      return;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.title = "Sort by " + header.textContent.toLowerCase();
    while (header.firstChild) {
      button.appendChild(header.firstChild);
    }
    header.appendChild(button);
    button.addEventListener("click", function () {
      sortBy(header);
    });
  });
  // The server-side order is by verdict rank, blockers first: say so.
  headers.forEach(function (header) {
    if (header.dataset.key === "rank") {
      header.setAttribute("aria-sort", "ascending");
    }
  });

  function allDetails() {
    return Array.prototype.slice.call(table.querySelectorAll("details"));
  }
  expand.addEventListener("click", function () {
    var open = expand.getAttribute("aria-pressed") !== "true";
    allDetails().forEach(function (details) {
      details.open = open;
    });
    expand.setAttribute("aria-pressed", open ? "true" : "false");
    expand.textContent = open ? "Collapse all" : "Expand all";
  });

  // Printing shows every row and every detail; the reader's view comes back afterwards.
  var before = null;
  window.addEventListener("beforeprint", function () {
    before = allDetails().map(function (details) {
      return details.open;
    });
    allDetails().forEach(function (details) {
      details.open = true;
    });
    bodies.forEach(function (body) {
      body.dataset.wasHidden = body.hidden ? "1" : "";
      body.hidden = false;
    });
  });
  window.addEventListener("afterprint", function () {
    if (before !== null) {
      allDetails().forEach(function (details, index) {
        details.open = before[index];
      });
    }
    bodies.forEach(function (body) {
      body.hidden = body.dataset.wasHidden === "1";
    });
  });

  search.addEventListener("input", filter);
  boxes.forEach(function (box) {
    box.addEventListener("change", filter);
  });
  filter();
  toolbar.hidden = false;
  table.dataset.sortable = "ready";
})();
