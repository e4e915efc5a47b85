/* The Surveys page and the survey editor: a [data-copy] button copies the value of the field
 * whose id it names (a survey link, an embed snippet) and says so on itself and in the live
 * region. Loaded as a file: the Content-Security-Policy runs no inline code. */
(function () {
  "use strict";

  function copied(button) {
    var label = button.getAttribute("data-copied");
    if (!button.hasAttribute("data-label")) button.setAttribute("data-label", button.textContent);
    button.textContent = label;
    if (window.motAnnounce) window.motAnnounce(label, false);
    window.setTimeout(function () {
      button.textContent = button.getAttribute("data-label");
    }, 2000);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    event.preventDefault();
    var text = field.value;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { copied(button); }, function () {
        field.focus();
        field.select();
      });
    } else {
      field.focus();
      field.select();
      if (document.execCommand && document.execCommand("copy")) copied(button);
    }
  });
})();
