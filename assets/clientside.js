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
