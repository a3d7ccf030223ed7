/* Callbacks that run in the browser: they read nothing from the server and decide nothing the
   server relies on, and as requests they cost a server round trip each. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  caseload: Object.assign({}, (window.dash_clientside || {}).caseload, {
    /* The contact dialog's Save button: enabled once an outcome of the dialog's own list is
       chosen. A convenience only: the log_followup command refuses a contact without a valid
       outcome whatever the button said. */
    needsOutcome: function (outcome, options) {
      return !(options || []).some(function (o) { return o.value === outcome; });
    },
    /* The client page's Previous / Next in the order Today last showed (ids only, kept in the
       tab): [previous href, its disabled, next href, its disabled, "2 of 14 on Today"]. The
       order comes from the browser, so it only picks links: the page they open resolves the
       id through the caller's scope like any other. Anything but a list of at most 2,000
       short printable ids (longer than any caseload) gives no links. */
    todaySteps: function (clientId, order) {
      var none = [null, true, null, true, ""];
      var plausible = /^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]{1,64}$/;
      if (typeof clientId !== "string" || !Array.isArray(order) || order.length > 2000) {
        return none;
      }
      for (var j = 0; j < order.length; j++) {
        if (typeof order[j] !== "string" || !plausible.test(order[j])) { return none; }
      }
      var i = order.indexOf(clientId);
      if (i < 0) { return none; }
      var href = function (k) {
        return k >= 0 && k < order.length ? "/client/" + encodeURIComponent(order[k]) : null;
      };
      var before = href(i - 1), after = href(i + 1);
      return [before, before === null, after, after === null,
              (i + 1) + " of " + order.length + " on Today"];
    },
    /* The header's freshness line is asked for again on a navigation only when the copy shown
       is older than maxAgeMs: loads arrive hours apart, and every navigation asking for it
       doubled the requests a page visit sends. Only navigations ask, so a tab left open never
       keeps its session alive. */
    freshnessDue: function (_path, askedAt, maxAgeMs) {
      var now = Date.now();
      if (askedAt && now - askedAt < maxAgeMs) {
        return window.dash_clientside.no_update;
      }
      return now;
    }
  })
});
