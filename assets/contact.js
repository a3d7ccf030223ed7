/* The contact dialog's Save button, in the browser: enabled once an outcome of the dialog's
   own list is chosen. A convenience only (no request per click): the log_followup command
   refuses a contact without a valid outcome whatever the button said. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  caseload: Object.assign({}, (window.dash_clientside || {}).caseload, {
    needsOutcome: function (outcome, options) {
      return !(options || []).some(function (o) { return o.value === outcome; });
    }
  })
});
