/* When the server ends the session (idle timeout, sign-out elsewhere), Dash's requests get
   401: send the browser to the sign-in page instead of leaving a half-working screen. */
(function () {
  var original = window.fetch;
  if (!original) { return; }
  window.fetch = function () {
    return original.apply(this, arguments).then(function (response) {
      if (response.status === 401 && response.url && response.url.indexOf("/_dash-") !== -1) {
        window.location.assign("/login?expired=1");
      }
      return response;
    });
  };
})();
