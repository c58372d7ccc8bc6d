// tarea: the therapist's pages (out/private, never published). One thing only: a button that
// copies a packet's ready-to-send message. Without JavaScript the message is still there to
// select and copy by hand.
(function () {
  "use strict";
  function copied(button) {
    var label = button.textContent;
    button.textContent = button.getAttribute("data-copied");
    window.setTimeout(function () { button.textContent = label; }, 2000);
  }
  document.querySelectorAll("button.copy-message").forEach(function (button) { button.hidden = false; });
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.copy-message") : null;
    if (!button) return;
    var text = button.parentNode.querySelector("textarea");
    // The clipboard API where the page may use it; else the selection (a page opened from disk).
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text.value).then(function () { copied(button); }, function () {});
    } else {
      text.select();
      if (document.execCommand("copy")) copied(button);
    }
  });
})();
