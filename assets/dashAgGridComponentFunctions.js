/* Cell renderers for the dashboard's grids (Today, Missed, Sleep & stress). Loaded as a static asset (CSP: script-src 'self'). */
var dagcomponentfuncs = (window.dashAgGridComponentFunctions =
  window.dashAgGridComponentFunctions || {});

(function () {
  var h = function () {
    return React.createElement.apply(React, arguments);
  };

  dagcomponentfuncs.TierBadge = function (props) {
    var d = props.data || {};
    var children = [
      h("i", { className: "bi " + d.tier_icon + " me-1", "aria-hidden": "true", key: "i" }),
      h("span", { key: "t" }, d.tier !== undefined ? d.tier : props.value),
    ];
    if (d.newly_high) {
      children.push(
        h("span", { className: "badge-new ms-1", key: "n", title: "Newly high since yesterday" }, "NEW")
      );
    }
    return h(
      "span",
      { className: "tier-badge tier-" + d.tier_key, style: { color: d.tier_color } },
      children
    );
  };

  dagcomponentfuncs.ScoreChange = function (props) {
    var v = props.value;
    if (v === null || v === undefined) {
      return h("span", { className: "text-muted" }, "–");
    }
    var up = v > 0;
    var flat = v === 0;
    var icon = flat ? "bi-dash" : up ? "bi-arrow-up-right" : "bi-arrow-down-right";
    var cls = flat ? "change-flat" : up ? "change-up" : "change-down";
    return h("span", { className: cls }, [
      h("i", { className: "bi " + icon + " me-1", "aria-hidden": "true", key: "i" }),
      h("span", { key: "v" }, (up ? "+" : "") + v.toFixed(1)),
    ]);
  };

  dagcomponentfuncs.Sparkline = function (props) {
    // One fixed 0-100 scale for every row, so a flat line near 100 and one near 10 do not
    // look alike; the dashed line marks where the program's high tier begins.
    var values = props.value || [];
    var d = props.data || {};
    var w = 84, h2 = 28, pad = 3;
    var nums = values.filter(function (v) { return v !== null && v !== undefined; });
    if (nums.length < 2) {
      return h("span", { className: "text-muted small" }, "not enough data");
    }
    var y = function (v) {
      var c = Math.max(0, Math.min(100, v));
      return h2 - pad - (c / 100) * (h2 - 2 * pad);
    };
    var step = (w - 2 * pad) / Math.max(1, values.length - 1);
    var points = [];
    values.forEach(function (v, i) {
      if (v === null || v === undefined) { return; }
      points.push((pad + i * step).toFixed(1) + "," + y(v).toFixed(1));
    });
    var last = points[points.length - 1].split(",");
    var parts = [];
    if (typeof d.spark_high === "number") {
      var yh = y(d.spark_high).toFixed(1);
      parts.push(h("line", { key: "t", x1: pad, x2: w - pad, y1: yh, y2: yh,
        stroke: "#D55E00", strokeWidth: 1, strokeDasharray: "2,2", opacity: 0.6 }));
    }
    parts.push(h("polyline", { key: "l", points: points.join(" "), fill: "none", stroke: "#555", strokeWidth: 1.5 }));
    parts.push(h("circle", { key: "c", cx: last[0], cy: last[1], r: 2.5, fill: d.tier_color || "#555" }));
    return h(
      "svg",
      { width: w, height: h2, className: "sparkline", role: "img",
        "aria-label": "score over 14 days, from " + nums[0].toFixed(0) + " to " + nums[nums.length - 1].toFixed(0) },
      parts
    );
  };

  dagcomponentfuncs.ClientLink = function (props) {
    var d = props.data || {};
    var href = "/client/" + encodeURIComponent(d.client_id);
    return h(
      "a",
      {
        href: href,
        className: "client-link",
        onClick: function (e) {
          // Same-page navigation through Dash's router, like dcc.Link.
          if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) { return; }
          e.preventDefault();
          window.history.pushState({}, "", href);
          window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
          window.scrollTo(0, 0);
        },
      },
      props.value
    );
  };

  dagcomponentfuncs.FollowupStatus = function (props) {
    var d = props.data || {};
    var icons = { done: "bi-check-circle-fill", due: "bi-telephone-outbound", snoozed: "bi-pause-circle", none: "" };
    if (!d.followup) { return h("span", { className: "text-muted" }, "–"); }
    return h("span", { className: "followup followup-" + d.followup_kind }, [
      icons[d.followup_kind] ? h("i", { className: "bi " + icons[d.followup_kind] + " me-1", key: "i", "aria-hidden": "true" }) : null,
      h("span", { key: "t" }, d.followup),
    ]);
  };

  dagcomponentfuncs.RowActions = function (props) {
    var act = function (kind) {
      return function (e) {
        e.stopPropagation();
        props.setData(kind);
      };
    };
    return h("span", { className: "row-actions" }, [
      h("button", { key: "c", type: "button", className: "btn btn-sm btn-outline-primary me-1 action-contact",
        title: "Log a contact", "aria-label": "Log a contact", onClick: act("contact") },
        h("i", { className: "bi bi-telephone", "aria-hidden": "true" })),
      (props.data || {}).followup_kind === "snoozed"
        ? h("button", { key: "u", type: "button", className: "btn btn-sm btn-outline-secondary action-unsnooze",
            title: "Undo snooze", "aria-label": "Undo snooze", onClick: act("unsnooze") },
            h("i", { className: "bi bi-arrow-counterclockwise", "aria-hidden": "true" }))
        : h("button", { key: "s", type: "button", className: "btn btn-sm btn-outline-secondary action-snooze",
            title: "Snooze until a date", "aria-label": "Snooze", onClick: act("snooze") },
            h("i", { className: "bi bi-alarm", "aria-hidden": "true" })),
    ]);
  };

  // A column whose value sorts (an ISO date, a number) and whose words ride along in
  // "<field>_text" ("Nov 24 · 3 d ago", "+1.6"); a date without words was never.
  dagcomponentfuncs.ValueText = function (props) {
    var d = props.data || {};
    var text = d[props.colDef.field + "_text"];
    return h("span", { title: text || "" }, text || "never");
  };

  // The contact button alone (pages without snooze): the same setData as RowActions.
  dagcomponentfuncs.ContactAction = function (props) {
    return h("button", { type: "button", className: "btn btn-sm btn-outline-primary action-contact",
      title: "Log a contact", "aria-label": "Log a contact",
      onClick: function (e) { e.stopPropagation(); props.setData("contact"); } },
      h("i", { className: "bi bi-telephone", "aria-hidden": "true" }));
  };
})();

/* Today's reasons: one line each (the top two), cut with an ellipsis; all of them in the
   cell's tooltip. */
(function () {
  var f = window.dashAgGridComponentFunctions;
  var h = function () { return React.createElement.apply(React, arguments); };
  // Today on a phone: one card per client with the same two buttons as a grid row.
  f.PhoneCard = function (props) {
    var d = props.data || {};
    var reason = String(d.reasons || "").split("\n")[0];
    return h("div", { className: "phone-card" }, [
      h("div", { key: "top", className: "phone-card-top" }, [
        h("span", { key: "r", className: "text-muted me-2" }, d.rank),
        h("span", { key: "n", className: "phone-card-name" }, f.ClientLink({ data: d, value: d.name })),
        h("span", { key: "s", className: "ms-auto fw-semibold" }, d.score === null ? "–" : Math.round(d.score)),
      ]),
      h("div", { key: "tier" }, f.TierBadge({ data: d, value: d.tier })),
      h("div", { key: "why", className: "phone-card-reason" }, reason),
      h("div", { key: "bottom", className: "phone-card-bottom" }, [
        h("span", { key: "c", className: "small text-muted" }, "Last check-in " + (d.last_checkin_text || "never")),
        h("span", { key: "a", className: "ms-auto" }, f.RowActions(props)),
      ]),
    ]);
  };

  // Missed check-ins on a phone: the streak and last check-in, and the contact button.
  f.MissedPhoneCard = function (props) {
    var d = props.data || {};
    var adh = d.adh28 === null || d.adh28 === undefined ? "–" : d.adh28 + "%";
    return h("div", { className: "phone-card" }, [
      h("div", { key: "top", className: "phone-card-top" }, [
        h("span", { key: "n", className: "phone-card-name" }, f.ClientLink({ data: d, value: d.name })),
        h("span", { key: "t", className: "ms-auto" }, f.TierBadge({ data: d, value: d.tier_rank })),
      ]),
      h("div", { key: "facts", className: "phone-card-reason" },
        (d.missed_streak > 0 ? "Missed " + d.missed_streak + " in a row" : "No missed streak") +
        " · checked in " + adh + " of 28 days"),
      h("div", { key: "bottom", className: "phone-card-bottom" }, [
        h("span", { key: "c", className: "small text-muted" }, "Last check-in " + (d.last_checkin_text || "never")),
        h("span", { key: "a", className: "ms-auto" }, f.ContactAction(props)),
      ]),
    ]);
  };

  f.ReasonLines = function (props) {
    var lines = String(props.value || "").split("\n");
    return h("div", { className: "reason-lines" }, lines.map(function (line, i) {
      return h("div", { key: i, className: "reason-line" }, line);
    }));
  };
})();
